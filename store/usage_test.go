package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
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

func TestReserveIsAtomic(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "docent.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	limits := []store.Limit{{Scope: "member:a", Requests: 3}, {Scope: "all", Tokens: 1000}}
	var wg sync.WaitGroup
	var got atomic.Int32
	for range 20 {
		wg.Go(func() {
			over, err := s.Reserve(ctx, "2026-11-28", limits)
			if err != nil {
				t.Error(err)
			}
			if over < 0 {
				got.Add(1)
			} else if over != 0 {
				t.Errorf("over scope %d, want 0 (member:a)", over)
			}
		})
	}
	wg.Wait()
	if got.Load() != 3 {
		t.Errorf("%d of 20 concurrent reservations went through, want exactly 3", got.Load())
	}
	s.AddUsage(ctx, "2026-11-28", store.Usage{Tokens: 1000}, "all")
	if over, _ := s.Reserve(ctx, "2026-11-28", []store.Limit{{Scope: "member:b", Requests: 5}, {Scope: "all", Tokens: 1000}}); over != 1 {
		t.Errorf("over the daily tokens: got %d, want 1", over)
	}
}

// Hold takes requests in memory: concurrent holds (and Reserve) still
// cannot slip under a limit, and a held request reaches the disk in the
// transaction of the answer it paid for, with its tokens, at no fsync of
// its own.
func TestHoldSettlesWithTheAnswer(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "docent.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	const day = "2026-11-28"
	limits := []store.Limit{{Scope: "member:a", Requests: 3}, {Scope: "all", Tokens: 1000}}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		held []*store.Reservation
	)
	for range 20 {
		wg.Go(func() {
			res, over, err := s.Hold(ctx, day, limits)
			if err != nil {
				t.Error(err)
			}
			if over >= 0 {
				if over != 0 {
					t.Errorf("over scope %d, want 0 (member:a)", over)
				}
				return
			}
			mu.Lock()
			held = append(held, res)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(held) != 3 {
		t.Fatalf("%d of 20 concurrent holds went through, want exactly 3", len(held))
	}
	if over, _ := s.Reserve(ctx, day, limits); over != 0 {
		t.Errorf("Reserve with 3 requests held of 3: over %d, want 0", over)
	}
	if got := s.WriteStats().Commits; got != 1 {
		t.Errorf("%d commits, want 1 (the refused Reserve); holds write nothing", got)
	}

	c := chat.Conversation{Platform: "test", Channel: "c"}
	held[0].Tokens = 120
	before := s.WriteStats().Commits
	if _, err := s.AppendAnswer(ctx, store.AnswerRecord{Conversation: c, Author: chat.Member{ID: "docent"},
		Answer: chat.Answer{Text: "from the docs", Source: chat.SourceLLM}, Settle: held[:1]}); err != nil {
		t.Fatal(err)
	}
	if got := s.WriteStats().Commits - before; got != 1 {
		t.Errorf("the answer and its usage took %d commits, want 1", got)
	}
	used, err := s.UsageOn(ctx, day, "member:a", "all")
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.Usage{Requests: 1, Tokens: 120}); used[0] != want || used[1] != want {
		t.Errorf("usage after one answer settled: %+v, want %+v in both scopes", used, want)
	}
	// Settled: counted once, on disk. Two more are held, so still full.
	if _, over, _ := s.Hold(ctx, day, limits); over != 0 {
		t.Errorf("Hold with 1 settled and 2 held of 3: over %d, want 0", over)
	}
	if err := s.Settle(ctx, held[1:]...); err != nil {
		t.Fatal(err)
	}
	if used, _ := s.UsageOn(ctx, day, "member:a"); used[0].Requests != 3 {
		t.Errorf("requests after all settled: %d, want 3", used[0].Requests)
	}
	if _, over, _ := s.Hold(ctx, day, limits); over != 0 {
		t.Errorf("Hold with 3 settled of 3: over %d, want 0", over)
	}
	if res, over, _ := s.Hold(ctx, day, []store.Limit{{Scope: "member:b", Requests: 3}, {Scope: "all", Tokens: 1000}}); over >= 0 || res == nil {
		t.Errorf("another member's hold: over %d, want -1 (held)", over)
	}
}
