package discord

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/docent-bot/docent/adapters/internal/intake"
)

// When the whole intake queue is full, the gateway's read loop waits for
// room instead of dropping what it read: a dropped event is a member's
// message lost, while a read loop that waits makes discordgo resume and
// Discord send the rest again. On synctest's clock: that the third event
// waits is seen once everything has settled, not by waiting 100ms.
func TestFullIntakeWaitsAndLosesNothing(t *testing.T) {
	synctest.Test(t, testFullIntakeWaitsAndLosesNothing)
}

func testFullIntakeWaitsAndLosesNothing(t *testing.T) {
	release, started := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var got []int
	q := intake.NewByKey(1, func(e event) string { return e.key }, func(ctx context.Context, e event) { e.deliver(ctx) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan struct{})
	go func() { q.Run(ctx); close(ran) }()
	a := &Adapter{log: slog.New(slog.DiscardHandler), queue: q, ctx: ctx}
	deliver := func(i int) func(context.Context) {
		return func(context.Context) {
			if i == 0 {
				close(started)
				<-release // the disk is slow
			}
			mu.Lock()
			got = append(got, i)
			mu.Unlock()
		}
	}
	taken := make(chan int, 3)
	go func() {
		for i := range 3 { // 0 is being handled, 1 fills the queue, 2 must wait
			a.take("MESSAGE_CREATE", "300/7", deliver(i))
			taken <- i
			if i == 0 {
				<-started // else 1 may join 0's round, and 2 find room
			}
		}
	}()
	for want := range 2 {
		select {
		case i := <-taken:
			if i != want {
				t.Fatalf("took %d, want %d", i, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("event %d not taken", want)
		}
	}
	synctest.Wait()
	select {
	case i := <-taken:
		t.Fatalf("event %d taken with the queue full: it can only have been dropped", i)
	default:
	}
	close(release)
	if i := <-taken; i != 2 {
		t.Fatalf("took %d, want 2", i)
	}
	q.Close()
	<-ran
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 || got[0] != 0 || got[1] != 1 || got[2] != 2 {
		t.Errorf("delivered %v, want [0 1 2]", got)
	}
}
