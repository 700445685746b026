package llm

import (
	"sync"
	"time"
)

// Throttler coalesces a stream's updates for a platform that limits how
// often a message may be edited: the first update is delivered at once,
// then at most one per interval, always the latest text, and the last one
// is always delivered. Deliveries run one at a time on a goroutine of
// their own, so a slow edit never holds up reading the stream.
//
//	th := llm.Throttle(time.Second, func(text string) { edit(msg, text) })
//	ans, err := client.Stream(ctx, req, th.Update)
//	th.Stop() // delivers the last update; no delivery after Stop returns
type Throttler struct {
	interval time.Duration
	deliver  func(text string)

	mu      sync.Mutex    // guards the fields below
	text    string        // the latest update
	pending bool          // text is not delivered yet
	running bool          // a worker is delivering or waiting out the interval
	stopped bool          // Stop was called: updates are ignored
	idle    chan struct{} // closed when the running worker exits
	stop    chan struct{} // closed by Stop: the worker delivers without waiting
}

// Throttle returns a Throttler delivering to deliver at most once per
// interval. Call Stop when the stream ends.
func Throttle(interval time.Duration, deliver func(text string)) *Throttler {
	return &Throttler{interval: interval, deliver: deliver, stop: make(chan struct{})}
}

// Update records the latest text; it never waits for a delivery. Its
// signature fits Client.Stream's onDelta.
func (t *Throttler) Update(text string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	t.text, t.pending = text, true
	if !t.running {
		t.running = true
		t.idle = make(chan struct{})
		go t.run(t.idle)
	}
}

// run delivers the latest text, waits out the interval, and repeats until
// nothing new came in while it waited.
func (t *Throttler) run(idle chan struct{}) {
	defer close(idle)
	for {
		t.mu.Lock()
		if !t.pending {
			t.running = false
			t.mu.Unlock()
			return
		}
		text := t.text
		t.pending = false
		t.mu.Unlock()

		t.deliver(text)
		select {
		case <-time.After(t.interval):
		case <-t.stop:
		}
	}
}

// Stop delivers the latest update if it is not delivered yet, at once
// rather than after the interval, and waits for the delivery under way.
// Later updates are ignored.
func (t *Throttler) Stop() {
	t.mu.Lock()
	if t.stopped {
		t.mu.Unlock()
		return
	}
	t.stopped = true
	close(t.stop)
	idle, running := t.idle, t.running
	t.mu.Unlock()
	if running {
		<-idle
	}
}
