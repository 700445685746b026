// Package intake is the adapters' queue between a platform's event loop
// and the bot: the event loop hands each event over and goes back to
// reading at once (a gateway must keep reading, Slack wants its
// acknowledgement within 3 seconds), and one worker handles the events in
// the order they came, storing each message with its own disk write. The
// queue is bounded; when it is full the platform's side decides whether
// to wait (Put) or refuse (Offer).
package intake

import (
	"context"
	"sync"
)

// Queue is a bounded, ordered queue of T with one worker.
type Queue[T any] struct {
	items   chan T
	closing chan struct{} // closed by Close, to wake Puts waiting for room
	handle  func(context.Context, T)

	mu     sync.RWMutex // guards closed; Offer and Put hold it for reading while they send
	closed bool
	once   sync.Once
}

// New returns a queue of size items that Run hands to handle, one at a
// time, in order.
func New[T any](size int, handle func(context.Context, T)) *Queue[T] {
	return &Queue[T]{items: make(chan T, max(size, 1)), closing: make(chan struct{}), handle: handle}
}

// Offer queues v if there is room and reports whether it did. It never
// waits.
func (q *Queue[T]) Offer(v T) bool {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return false
	}
	select {
	case q.items <- v:
		return true
	default:
		return false
	}
}

// Put queues v, waiting for room until ctx is done or the queue is
// closed, and reports whether it did.
func (q *Queue[T]) Put(ctx context.Context, v T) bool {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return false
	}
	select {
	case q.items <- v:
		return true
	case <-ctx.Done():
		return false
	case <-q.closing:
		return false
	}
}

// Close stops taking items; Run handles those already queued and returns.
// Call it once the platform's side has stopped offering.
func (q *Queue[T]) Close() {
	q.once.Do(func() {
		close(q.closing)
		q.mu.Lock()
		q.closed = true
		close(q.items)
		q.mu.Unlock()
	})
}

// Run handles items in order until the queue is closed and empty. An item
// whose turn comes once ctx is done is handled on a context without its
// cancellation: it was taken from the platform (acknowledged, read off the
// gateway) and must not be dropped at shutdown.
func (q *Queue[T]) Run(ctx context.Context) {
	drain := context.WithoutCancel(ctx)
	for v := range q.items {
		if ctx.Err() != nil {
			q.handle(drain, v)
		} else {
			q.handle(ctx, v)
		}
	}
}
