package knowledge

import (
	"context"
	"fmt"
	"github.com/docent-bot/docent/chat"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPenalty(t *testing.T) {
	ix := craftedIndex(t, Options{})
	const q = "reload the intents files"
	before := ix.Search(q, 3, chat.Place{})
	if len(before) < 2 || before[0].ID != "guide/commands.md#reload" {
		t.Fatalf("the test needs commands.md#reload first: %+v", before)
	}
	top, second := before[0], before[1]

	if err := ix.SetPenalty(top.ID, 0.5); err != nil {
		t.Fatal(err)
	}
	if f := ix.Penalty(top.ID); f != 0.5 {
		t.Errorf("Penalty = %v, want 0.5", f)
	}
	// Its score and confidence are halved; the others' are untouched.
	find := func(hits []Hit, id string) Hit {
		for _, h := range hits {
			if h.ID == id {
				return h
			}
		}
		t.Fatalf("%s not found in %+v", id, hits)
		return Hit{}
	}
	after := ix.Search(q, 3, chat.Place{})
	if h := find(after, top.ID); math.Abs(h.Score-top.Score/2) > 1e-9 || math.Abs(h.Confidence-top.Confidence/2) > 1e-9 {
		t.Errorf("penalised: score %v confidence %v, want %v and %v", h.Score, h.Confidence, top.Score/2, top.Confidence/2)
	}
	if h := find(after, second.ID); h.Score != second.Score || h.Confidence != second.Confidence {
		t.Errorf("another passage changed: %+v, was %+v", h, second)
	}

	// A heavy enough penalty changes the order.
	if err := ix.SetPenalty(top.ID, second.Score/top.Score*0.9); err != nil {
		t.Fatal(err)
	}
	if got := ix.Search(q, 3, chat.Place{}); got[0].ID != second.ID || got[1].ID != top.ID {
		t.Errorf("after a penalty below the runner-up's score: %s, %s; want %s first", got[0].ID, got[1].ID, second.ID)
	}
	// Kept when the docs are re-indexed.
	if err := ix.Rebuild(context.Background(), []Folder{{FS: craftedFS, Path: "guide", BaseURL: "https://example.org/docs"}}); err != nil {
		t.Fatal(err)
	}
	if got := ix.Search(q, 3, chat.Place{}); got[0].ID != second.ID {
		t.Errorf("after Rebuild: %s first", got[0].ID)
	}
	// 1 removes it.
	if err := ix.SetPenalty(top.ID, 1); err != nil {
		t.Fatal(err)
	}
	if got := ix.Search(q, 3, chat.Place{}); got[0].ID != top.ID || got[0].Score != top.Score || ix.Penalty(top.ID) != 1 {
		t.Errorf("after removing the penalty: %+v", got[0])
	}

	for _, bad := range []float64{0, -0.5, 1.5, math.NaN(), math.Inf(1), math.Inf(-1)} {
		err := ix.SetPenalty(top.ID, bad)
		if err == nil || !strings.Contains(err.Error(), `penalty for passage "guide/commands.md#reload"`) {
			t.Errorf("SetPenalty(%v): %v, want an error naming the passage", bad, err)
		}
	}
	if ix.Penalty(top.ID) != 1 {
		t.Error("a refused penalty was kept")
	}
}

func TestPassages(t *testing.T) {
	ix := craftedIndex(t, Options{})
	got := ix.Passages(func(p Passage) bool { return strings.HasPrefix(p.Link, "https://example.org/docs/commands.md#") })
	ids := map[string]bool{}
	for _, p := range got {
		ids[p.ID] = true
	}
	if len(ids) != 2 || !ids["guide/commands.md#ping"] || !ids["guide/commands.md#reload"] {
		t.Errorf("Passages = %+v, want commands.md's two sections", got)
	}
	if got := ix.Passages(func(Passage) bool { return false }); len(got) != 0 {
		t.Errorf("Passages(none) = %+v", got)
	}
}

func TestDownvotePenalty(t *testing.T) {
	for n, want := range map[int]float64{-1: 1, 0: 1, 1: 1 / 1.5, 2: 0.5, 4: 1.0 / 3, 6: 0.25, 100: 0.25} {
		if got := DownvotePenalty(n); math.Abs(got-want) > 1e-12 {
			t.Errorf("DownvotePenalty(%d) = %v, want %v", n, got, want)
		}
	}
}

// A penalised thread's slot, reused by another thread, is not penalised;
// the thread added again under its ID is.
func TestPenaltyFollowsTheID(t *testing.T) {
	ix := craftedIndex(t, Options{})
	here := chat.Place{Platform: "test", Channel: "help"}
	add := func(id, q string) {
		t.Helper()
		if err := ix.AddThread(Thread{ID: id, Question: q, Answer: "rotate it in the portal", Place: here}); err != nil {
			t.Fatal(err)
		}
	}
	score := func(q string) float64 {
		t.Helper()
		hits := ix.Search(q, 1, here)
		if len(hits) != 1 {
			t.Fatalf("%q: %+v", q, hits)
		}
		return hits[0].Score
	}
	add("1", "rotate the discord token")
	full := score("rotate the discord token")
	if err := ix.SetPenalty("thread:1", 0.5); err != nil {
		t.Fatal(err)
	}
	if got := score("rotate the discord token"); math.Abs(got-full/2) > 1e-9 {
		t.Errorf("penalised thread scores %v, want %v", got, full/2)
	}
	ix.RemoveThread("1")
	add("2", "rotate the discord token") // takes the freed slot
	if got := score("rotate the discord token"); got != full {
		t.Errorf("another thread in the freed slot scores %v, want %v", got, full)
	}
	ix.RemoveThread("2")
	add("1", "rotate the discord token")
	if got := score("rotate the discord token"); math.Abs(got-full/2) > 1e-9 {
		t.Errorf("the thread added again scores %v, want %v", got, full/2)
	}
}

// Penalties change while others search (for the race detector).
func TestPenaltyConcurrent(t *testing.T) {
	ix := craftedIndex(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if hits := ix.Search("reload the intents", 3, chat.Place{}); len(hits) == 0 {
					t.Error("no hits")
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			if err := ix.SetPenalty("guide/commands.md#reload", DownvotePenalty(i%4)); err != nil {
				t.Error(err)
			}
			_ = ix.Penalty(fmt.Sprint(i))
		}
	})
	wg.Wait()
}

// TestThreadsCount follows adds, removals and rebuilds.
func TestThreadsCount(t *testing.T) {
	ix := New(Options{})
	for _, id := range []string{"1", "2", "3"} {
		if err := ix.AddThread(Thread{ID: id, Question: "how do I deploy " + id, Answer: "with the chart", Link: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	ix.RemoveThread("2")
	if n := ix.Threads(); n != 2 {
		t.Errorf("after 3 added and 1 removed: %d threads", n)
	}
	if err := ix.Rebuild(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if n := ix.Threads(); n != 2 {
		t.Errorf("after a rebuild: %d threads, want the 2 kept", n)
	}
}
