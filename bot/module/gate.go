package module

import (
	"context"
	"fmt"
	"sync"

	"github.com/docent-bot/docent/brain"
	"github.com/docent-bot/docent/brain/llm"
	"github.com/docent-bot/docent/store"
)

// Gate is a module that decides whether a question may use the LLM and
// records what its answer cost (the budgets module); the brain asks it
// before every LLM answer. With no Gate among the modules, the LLM is not
// limited.
type Gate interface {
	Module
	// Allow says whether q may use the LLM; when not, the reason is a
	// sentence for the member.
	Allow(ctx context.Context, q brain.Question) (ok bool, reason string)
	// Spend records what an answer to q cost.
	Spend(ctx context.Context, q brain.Question, u llm.Usage)
	// Budget is the same budget for the modules' own LLM use
	// (Host.Budget).
	Budget() Budget
}

// Held is what the modules hold back, for the message being handled, to
// write in the transaction of its answer (store.AnswerRecord.Along): the
// LLM request the answer cost and its tokens, in the answer's one commit
// where there were three. The router gives each message one, in its
// context (HeldFrom), and writes what no stored answer carried alone.
type Held struct {
	mu      sync.Mutex // guards pending, and what the riders let Amend change
	pending []store.Rider
}

type heldKey struct{}

// WithHeld returns ctx carrying h.
func WithHeld(ctx context.Context, h *Held) context.Context {
	return context.WithValue(ctx, heldKey{}, h)
}

// HeldFrom returns the Held of the message being handled, or nil outside
// the router (then write at once).
func HeldFrom(ctx context.Context) *Held {
	h, _ := ctx.Value(heldKey{}).(*Held)
	return h
}

// Add holds r for the next answer stored.
func (h *Held) Add(r store.Rider) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pending = append(h.pending, r)
}

// Amend calls fn with the riders still held, newest first, until fn
// returns true, and reports whether one did. fn runs under h's lock: what
// it changes in a rider is seen by the answer that takes it.
func (h *Held) Amend(fn func(store.Rider) bool) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.pending) - 1; i >= 0; i-- {
		if fn(h.pending[i]) {
			return true
		}
	}
	return false
}

// Take hands over the riders held so far, to ride with an answer.
func (h *Held) Take() []store.Rider {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.pending
	h.pending = nil
	return p
}

// Settle writes riders that no answer carried (the answer was not stored,
// or there was none), in one transaction with the other queued writes,
// and tells each it is done.
func Settle(ctx context.Context, b interface {
	Update(ctx context.Context, fn func(*store.Tx) error) error
}, rs ...store.Rider) error {
	if len(rs) == 0 {
		return nil
	}
	defer func() {
		for _, r := range rs {
			r.Done()
		}
	}()
	err := b.Update(ctx, func(tx *store.Tx) error {
		for _, r := range rs {
			if err := r.Write(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("settle %d held writes: %w", len(rs), err)
	}
	return nil
}
