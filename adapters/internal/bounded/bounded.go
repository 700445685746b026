// Package bounded is the adapters' memory of recent platform IDs (events
// handled, threads answered in, Docent's own messages, votes, members'
// DM channels and names): a map that forgets its oldest keys beyond a
// size, so that a long-running adapter remembers the recent past in
// bounded memory.
package bounded

import "sync"

// Map is a map from K to V, safe for concurrent use, that holds at most
// its size of keys and forgets the one added first to make room for a new
// one. Setting a key it holds again keeps the key's place. The zero key is
// never held: an ID a platform left empty names nothing.
type Map[K comparable, V any] struct {
	mu    sync.Mutex // guards m, order, next
	max   int
	m     map[K]V
	order []K // a ring of keys in the order they were added
	next  int // where in order the oldest key is, once order is full
}

// New returns an empty map that holds at most size keys (at least one).
func New[K comparable, V any](size int) *Map[K, V] {
	return &Map[K, V]{max: max(size, 1), m: make(map[K]V)}
}

// Put sets k to v and reports whether k was new.
func (b *Map[K, V]) Put(k K, v V) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.putLocked(k, v)
}

func (b *Map[K, V]) putLocked(k K, v V) bool {
	var zero K
	if k == zero {
		return false
	}
	if _, ok := b.m[k]; ok {
		b.m[k] = v
		return false
	}
	if len(b.order) < b.max {
		b.order = append(b.order, k)
	} else {
		delete(b.m, b.order[b.next])
		b.order[b.next] = k
		b.next = (b.next + 1) % b.max
	}
	b.m[k] = v
	return true
}

// Get returns k's value and whether the map holds k.
func (b *Map[K, V]) Get(k K) (V, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.m[k]
	return v, ok
}

// Update sets k to f of its value (the zero value and false when absent)
// in one step, so that two events for the same key cannot interleave, and
// returns the new value.
func (b *Map[K, V]) Update(k K, f func(old V, ok bool) V) V {
	b.mu.Lock()
	defer b.mu.Unlock()
	old, ok := b.m[k]
	v := f(old, ok)
	b.putLocked(k, v)
	return v
}

// Len is how many keys the map holds.
func (b *Map[K, V]) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.m)
}
