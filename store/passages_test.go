package store_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/docent-bot/docent/store"
)

func TestDownvotedPassages(t *testing.T) {
	path := dbPath(t)
	s, err := store.Open(path, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	counts := func() map[string]int {
		t.Helper()
		c, err := s.PassageDownvotes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := counts(); len(c) != 0 {
		t.Errorf("a new database counts %v", c)
	}
	// Forgetting an answer never recorded is fine.
	if err := s.SetDownvotedPassages(ctx, 9, nil); err != nil {
		t.Fatal(err)
	}
	for answer, ps := range map[uint64][]string{
		10: {"docs/deploy.md#kubernetes", "docs/deploy.md#helm"},
		11: {"docs/deploy.md#kubernetes"},
		12: {"docs/backup.md"},
	} {
		if err := s.SetDownvotedPassages(ctx, answer, ps); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]int{"docs/deploy.md#kubernetes": 2, "docs/deploy.md#helm": 1, "docs/backup.md": 1}
	if c := counts(); !maps.Equal(c, want) {
		t.Errorf("counts %v, want %v", c, want)
	}
	// Replacing an answer's passages counts it once; forgetting it uncounts it.
	if err := s.SetDownvotedPassages(ctx, 10, []string{"docs/deploy.md#kubernetes"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDownvotedPassages(ctx, 12, nil); err != nil {
		t.Fatal(err)
	}
	want = map[string]int{"docs/deploy.md#kubernetes": 2}
	if c := counts(); !maps.Equal(c, want) {
		t.Errorf("after replacing and forgetting: %v, want %v", c, want)
	}

	for _, tc := range []struct {
		answer uint64
		ps     []string
	}{
		{0, []string{"x"}},
		{1, []string{""}},
		{1, []string{"bad\xff"}},
		{1, []string{strings.Repeat("x", 2000)}},
		{1, make([]string, 65)},
	} {
		if err := s.SetDownvotedPassages(ctx, tc.answer, tc.ps); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("SetDownvotedPassages(%d, %.20q): %v, want ErrInvalid", tc.answer, tc.ps, err)
		}
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PassageDownvotes(ctx); !errors.Is(err, store.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	s = openStore(t, path)
	if c := counts(); !maps.Equal(c, want) {
		t.Errorf("after reopening: %v, want %v", c, want)
	}
}
