// Package window remembers, for a while, when things happened: a member's
// request that waits for their confirmation, a conversation told of a
// problem lately. Entries that have left the window are dropped as new
// ones come, so that it holds only the recent ones.
package window

import (
	"sync"
	"time"
)

// Times holds when each key was last marked, for the window's width. It is
// safe for concurrent use.
type Times[K comparable] struct {
	width time.Duration

	mu sync.Mutex // guards at
	at map[K]time.Time
}

// New returns an empty window of width.
func New[K comparable](width time.Duration) *Times[K] {
	return &Times[K]{width: width, at: make(map[K]time.Time)}
}

// Mark records that k happened at now, and drops the keys that have left
// the window by then.
func (w *Times[K]) Mark(k K, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for old, t := range w.at { // the map stays small: only recent keys
		if !w.within(t, now) {
			delete(w.at, old)
		}
	}
	w.at[k] = now
}

// Within reports whether k was marked less than the width before now.
func (w *Times[K]) Within(k K, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.at[k]
	return ok && w.within(t, now)
}

// Take reports whether k was marked less than the width before now, and
// forgets k.
func (w *Times[K]) Take(k K, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.at[k]
	delete(w.at, k)
	return ok && w.within(t, now)
}

// Len is how many keys the window holds, some perhaps out of it already.
func (w *Times[K]) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.at)
}

func (w *Times[K]) within(t, now time.Time) bool { return now.Sub(t) < w.width }
