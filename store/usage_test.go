package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/docent-bot/docent/store"
)

func TestUsage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "docent.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	day := store.Day(time.Date(2026, 11, 28, 23, 30, 0, 0, time.FixedZone("x", -3600)))
	if day != "2026-11-29" {
		t.Fatalf("Day in UTC = %s", day)
	}
	if got, _ := s.UsageOn(ctx, day, "all"); got[0] != (store.Usage{}) {
		t.Errorf("usage before any: %+v", got)
	}
	for range 3 {
		if err := s.AddUsage(ctx, day, store.Usage{Requests: 1, Tokens: 100}, "all", "member:test:alice"); err != nil {
			t.Fatal(err)
		}
	}
	s.AddUsage(ctx, "2026-11-30", store.Usage{Requests: 1, Tokens: 7}, "all")
	s.Close()

	s, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.UsageOn(ctx, day, "all", "member:test:alice", "member:test:bo")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Usage{{3, 300}, {3, 300}, {}}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("scope %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	all, _ := s.UsageDay(ctx, day)
	if len(all) != 2 || all["member:test:alice"].Tokens != 300 {
		t.Errorf("UsageDay = %+v", all)
	}
	if err := s.AddUsage(ctx, "yesterday", store.Usage{}, "all"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("a bad day: %v", err)
	}
}
