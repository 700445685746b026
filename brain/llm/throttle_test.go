package llm

import (
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

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

// deliveries records what a Throttler delivered and when, on the bubble's
// clock.
type deliveries struct {
	start time.Time
	mu    sync.Mutex // guards got
	got   []string   // "text@elapsed"
}

func (d *deliveries) deliver(s string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.got = append(d.got, s+"@"+time.Since(d.start).String())
}

// want waits until every goroutine of the bubble is blocked, then checks
// the deliveries so far.
func (d *deliveries) want(t *testing.T, when string, want ...string) {
	t.Helper()
	synctest.Wait()
	d.mu.Lock()
	defer d.mu.Unlock()
	if !slices.Equal(d.got, want) {
		t.Fatalf("%s: delivered %q, want %q", when, d.got, want)
	}
}

func TestThrottleCoalesces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &deliveries{start: time.Now()}
		th := Throttle(time.Second, d.deliver)

		th.Update("a")
		d.want(t, "first update", "a@0s")
		th.Update("ab")
		th.Update("abc")
		d.want(t, "within the interval", "a@0s")
		time.Sleep(time.Second)
		d.want(t, "after the interval", "a@0s", "abc@1s")
		// Quiet for a whole interval: the next update goes out at once again.
		time.Sleep(time.Second)
		synctest.Wait()
		th.Update("abcd")
		d.want(t, "after a quiet interval", "a@0s", "abc@1s", "abcd@2s")
		th.Update("abcde")
		th.Stop()
		d.want(t, "Stop", "a@0s", "abc@1s", "abcd@2s", "abcde@2s")
		th.Update("late")
		th.Stop()
		time.Sleep(time.Hour)
		d.want(t, "after Stop", "a@0s", "abc@1s", "abcd@2s", "abcde@2s")
	})
}

func TestThrottleStopWaitsForSlowDelivery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		d := &deliveries{start: time.Now()}
		th := Throttle(time.Hour, func(s string) {
			if s == "a" {
				<-release
			}
			d.deliver(s)
		})
		th.Update("a")
		synctest.Wait() // "a" is being delivered
		th.Update("ab")
		done := make(chan struct{})
		go func() { th.Stop(); close(done) }()
		synctest.Wait()
		select {
		case <-done:
			t.Fatal("Stop returned during a delivery")
		default:
		}
		time.Sleep(time.Minute)
		close(release)
		<-done
		d.want(t, "Stop", "a@1m0s", "ab@1m0s") // without waiting the hour
	})
}
