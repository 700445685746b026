package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

func TestLessons(t *testing.T) {
	path := dbPath(t)
	s := openStore(t, path)
	ctx := context.Background()
	admin := chat.Member{ID: "a1", Name: "ann"}
	if _, err := s.Teach(ctx, store.Taught{Intent: "greeting", Pattern: "yo docent", By: admin}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Teach(ctx, store.Taught{Intent: "deploy", Response: "See the deploy guide.", By: admin}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Teach(ctx, store.Taught{Intent: "deploy"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("an empty lesson: %v", err)
	}
	got, err := s.Lessons(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Pattern != "yo docent" || got[1].Response != "See the deploy guide." || got[0].ID >= got[1].ID || got[0].By != admin {
		t.Errorf("lessons %+v", got)
	}
}
