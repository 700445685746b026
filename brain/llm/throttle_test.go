package llm

import (
	"testing"
	"time"
)

// fakeTimers hands the test each interval timer the Throttler starts.
type fakeTimers chan chan time.Time

func (f fakeTimers) after(time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	f <- ch
	return ch
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func none[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected %s: %v", what, v)
	case <-time.After(20 * time.Millisecond):
	}
}

func TestThrottleCoalesces(t *testing.T) {
	delivered := make(chan string, 10)
	timers := make(fakeTimers, 10)
	th := Throttle(time.Second, func(s string) { delivered <- s })
	th.after = timers.after

	th.Update("a")
	if got := recv(t, delivered, "first delivery"); got != "a" {
		t.Fatalf("first delivery = %q, want it at once", got)
	}
	tick := recv(t, timers, "interval timer")
	th.Update("ab")
	th.Update("abc")
	none(t, delivered, "delivery within the interval")

	tick <- time.Time{}
	if got := recv(t, delivered, "coalesced delivery"); got != "abc" {
		t.Fatalf("after the interval got %q, want the latest text", got)
	}
	recv(t, timers, "second interval") <- time.Time{}
	// Quiet for a whole interval: the next update goes out at once again.
	waitIdle(t, th)
	th.Update("abcd")
	if got := recv(t, delivered, "delivery after a quiet interval"); got != "abcd" {
		t.Fatalf("got %q", got)
	}
	recv(t, timers, "third interval")
	th.Update("abcde")
	th.Stop()
	if got := recv(t, delivered, "last delivery"); got != "abcde" {
		t.Fatalf("Stop delivered %q, want the last update", got)
	}
	th.Update("late")
	th.Stop()
	none(t, delivered, "delivery after Stop")
}

func waitIdle(t *testing.T, th *Throttler) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		th.mu.Lock()
		running := th.running
		th.mu.Unlock()
		if !running {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("throttler never went idle")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestThrottleStopWaitsForSlowDelivery(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	var got []string
	th := Throttle(time.Hour, func(s string) {
		if s == "a" {
			close(started)
			<-release
		}
		got = append(got, s)
	})
	th.Update("a")
	recv(t, started, "first delivery")
	th.Update("ab") // arrives while "a" is being delivered
	done := make(chan struct{})
	go func() { th.Stop(); close(done) }()
	none(t, done, "Stop returning during a delivery")
	close(release)
	recv(t, done, "Stop")
	if len(got) != 2 || got[0] != "a" || got[1] != "ab" {
		t.Fatalf("delivered %q, want [a ab] without waiting the hour", got)
	}
}
