package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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

func TestUnteach(t *testing.T) {
	path := dbPath(t)
	s, err := store.Open(path, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	admin := chat.Member{ID: "a1", Name: "ann"}
	for _, l := range []store.Taught{
		{Intent: "greeting", Pattern: "yo docent"},                    // 1
		{Intent: "deploy", Response: "See the deploy guide."},         // 2
		{Intent: "deploy", Pattern: "how do I deploy"},                // 3
		{Intent: "greeting", Pattern: "howdy"},                        // 4
		{Intent: "deploy", Pattern: "deploy on kubernetes"},           // 5
		{Intent: "deployment", Pattern: "not the same intent's name"}, // 6
	} {
		l.By = admin
		if _, err := s.Teach(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(ls []store.Taught) []uint64 {
		var out []uint64
		for _, l := range ls {
			out = append(out, l.ID)
		}
		return out
	}
	lessons := func() []uint64 {
		t.Helper()
		ls, err := s.Lessons(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return ids(ls)
	}

	got, err := s.Unteach(ctx, 1)
	if err != nil || !slices.Equal(ids(got), []uint64{1}) || got[0].Pattern != "yo docent" || got[0].By != admin {
		t.Fatalf("Unteach(1) = %+v, %v; want the pattern lesson", got, err)
	}
	// An intent goes with the patterns taught to it, and nothing else.
	got, err = s.Unteach(ctx, 2)
	if err != nil || !slices.Equal(ids(got), []uint64{2, 3, 5}) {
		t.Fatalf("Unteach(2) = %+v, %v; want the intent, then its patterns", got, err)
	}
	if l := lessons(); !slices.Equal(l, []uint64{4, 6}) {
		t.Errorf("lessons left %v, want [4 6]", l)
	}
	for _, id := range []uint64{2, 3, 99} {
		_, err := s.Unteach(ctx, id)
		if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), fmt.Sprintf("unteach lesson %d", id)) {
			t.Errorf("Unteach(%d) of a lesson that is not there: %v", id, err)
		}
	}
	// IDs are never reused, and the removal is on disk.
	if l, err := s.Teach(ctx, store.Taught{Intent: "greeting", Pattern: "hiya"}); err != nil || l.ID != 7 {
		t.Errorf("a lesson after unteaching: %+v, %v; want ID 7", l, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Unteach(ctx, 4); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Unteach after Close: %v", err)
	}
	s = openStore(t, path)
	if l := lessons(); !slices.Equal(l, []uint64{4, 6, 7}) {
		t.Errorf("after reopening: lessons %v, want [4 6 7]", l)
	}
}

// Unteach on a database where nothing was ever taught.
func TestUnteachNothingTaught(t *testing.T) {
	s := openStore(t, dbPath(t))
	if _, err := s.Unteach(context.Background(), 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Unteach(1): %v, want ErrNotFound", err)
	}
}
