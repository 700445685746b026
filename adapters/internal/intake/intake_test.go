package intake

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestDrainsOnShutdown: items queued behind a slow one are all handled, in
// order and on a live context, when ctx ends before they get their turn;
// nothing offered after Close is taken, and no goroutine is left (the
// bubble ends only when all of its goroutines have).
func TestDrainsOnShutdown(t *testing.T) {
	synctest.Test(t, testDrainsOnShutdown)
}

func testDrainsOnShutdown(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var got []int
	q := New(8, func(ctx context.Context, v int) {
		if v == 0 {
			<-release
		}
		mu.Lock()
		defer mu.Unlock()
		if v > 0 && ctx.Err() != nil { // 0 was taken before ctx ended
			t.Errorf("item %d handled on a done context", v)
		}
		got = append(got, v)
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		q.Run(ctx)
	}()
	for i := range 6 {
		if !q.Offer(i) {
			t.Fatalf("Offer(%d) refused with room left", i)
		}
	}
	cancel()
	close(release)
	q.Close()
	if q.Offer(99) || q.Put(context.Background(), 99) {
		t.Error("an item was taken after Close")
	}
	<-done // a Run that never returns fails the bubble: deadlock
	if want := []int{0, 1, 2, 3, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("handled %v, want %v", got, want)
	}
}

// TestBounded: Offer refuses when the queue is full and never waits; Put
// waits for room, and gives up when its context ends or the queue closes.
func TestBounded(t *testing.T) {
	synctest.Test(t, testBounded)
}

func testBounded(t *testing.T) {
	q := New(2, func(context.Context, int) {})
	if !q.Offer(1) || !q.Offer(2) {
		t.Fatal("Offer refused with room left")
	}
	if q.Offer(3) {
		t.Error("Offer took an item into a full queue")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if q.Put(ctx, 3) {
		t.Error("Put took an item into a full queue on a done context")
	}
	put := make(chan bool)
	go func() { put <- q.Put(context.Background(), 3) }()
	synctest.Wait() // Put is waiting for room
	select {
	case ok := <-put:
		t.Fatalf("Put into a full queue returned %v without waiting", ok)
	default:
	}
	q.Close()
	if <-put {
		t.Error("Put waiting for room took its item although the queue closed")
	}
	q.Run(context.Background()) // handles 1 and 2, then returns: closed
}

// TestByKeyRounds: what is queued is handled together, each key's items
// in order and keys at once (a0 waits for b0, which a one-at-a-time queue
// would never reach), and a later round waits for the one before.
func TestByKeyRounds(t *testing.T) {
	type item struct{ key, name string }
	var mu sync.Mutex
	var got []string
	b0 := make(chan struct{})
	q := NewByKey(8, func(v item) string { return v.key }, func(ctx context.Context, v item) {
		switch v.name {
		case "a0":
			select {
			case <-b0:
			case <-ctx.Done():
				t.Error("a0 waited for b0 until the end: keys were not handled at once")
			}
		case "b0":
			close(b0)
		}
		mu.Lock()
		got = append(got, v.name)
		mu.Unlock()
	})
	for _, v := range []item{{"a", "a0"}, {"b", "b0"}, {"a", "a1"}, {"a", "a2"}} {
		if !q.Offer(v) {
			t.Fatalf("Offer(%v) refused with room left", v)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		q.Run(ctx)
	}()
	q.Close()
	<-done
	var a []string
	for _, n := range got {
		if n[0] == 'a' {
			a = append(a, n)
		}
	}
	if want := []string{"a0", "a1", "a2"}; !slices.Equal(a, want) {
		t.Errorf("key a handled %v, want %v", a, want)
	}
	if len(got) != 4 || got[0] != "b0" {
		t.Errorf("handled %v, want b0 first (a0 waits for it), then a0 a1 a2", got)
	}
}
