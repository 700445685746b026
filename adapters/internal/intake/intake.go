// Package intake is the adapters' queue between a platform's event loop
// and the bot: the event loop hands each event over and goes back to
// reading at once (a gateway must keep reading, Slack wants its
// acknowledgement within 3 seconds), and one worker handles the events in
// the order they came. The queue is bounded; when it is full the
// platform's side decides whether to wait (Put) or refuse (Offer).
//
// Handling an event usually means storing a message, which waits for a
// disk commit. A queue made by NewByKey hands over a burst together: the
// events of one key (one member in one channel) in order, different keys
// at once, so that their writes share commits (the store's group commit)
// instead of taking one fsync each.
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
	key     func(T) string // nil: one item at a time

	mu     sync.RWMutex // guards closed; Offer and Put hold it for reading while they send
	closed bool
	once   sync.Once
}

// New returns a queue of size items that Run hands to handle, one at a
// time, in order.
func New[T any](size int, handle func(context.Context, T)) *Queue[T] {
	return &Queue[T]{items: make(chan T, max(size, 1)), closing: make(chan struct{}), handle: handle}
}

// maxRound bounds the items a NewByKey queue handles at once.
const maxRound = 256

// NewByKey returns a queue of size items that Run hands to handle in
// rounds: whatever is queued when a round starts (at most maxRound), the
// items of each key in order, one goroutine per key; a round ends when
// all its items are handled, so an item is never handled before one
// queued ahead of it in an earlier round. A round's items have left the
// queue: size more may wait meanwhile.
func NewByKey[T any](size int, key func(T) string, handle func(context.Context, T)) *Queue[T] {
	q := New(size, handle)
	q.key = key
	return q
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
	handle := func(v T) {
		if ctx.Err() != nil {
			q.handle(drain, v)
		} else {
			q.handle(ctx, v)
		}
	}
	round := make([]T, 0, maxRound)
	for v := range q.items {
		if q.key == nil {
			handle(v)
			continue
		}
		// Take what else is queued, without waiting for more: a lone
		// event is not delayed.
		round = append(round[:0], v)
	more:
		for len(round) < maxRound {
			select {
			case v, ok := <-q.items:
				if !ok {
					break more
				}
				round = append(round, v)
			default:
				break more
			}
		}
		q.runRound(round, handle)
		clear(round) // let handled items be collected
	}
}

// runRound handles round: each key's items in order, keys concurrently.
func (q *Queue[T]) runRound(round []T, handle func(T)) {
	if len(round) == 1 {
		handle(round[0])
		return
	}
	var keys []string
	byKey := map[string][]T{}
	for _, v := range round {
		k := q.key(v)
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], v)
	}
	var wg sync.WaitGroup
	for _, k := range keys {
		wg.Go(func() {
			for _, v := range byKey[k] {
				handle(v)
			}
		})
	}
	wg.Wait()
}
