package bot

import (
	"context"
	"fmt"
	"sync"

	"github.com/docent-bot/docent/brain"
	"github.com/docent-bot/docent/store"
)

// What the dashboard (bot/dashboard) reads and does, and the readiness of
// a running Docent for /readyz.

// liveAdapters are the adapters Run runs and whether each still runs.
type liveAdapters struct {
	mu   sync.Mutex // guards list
	list []*liveAdapter
}

type liveAdapter struct {
	a       Adapter
	running bool
	err     error
}

func (l *liveAdapters) started(a Adapter) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, &liveAdapter{a: a, running: true})
}

func (l *liveAdapters) stopped(a Adapter, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, la := range l.list {
		if la.a == a {
			la.running, la.err = false, err
		}
	}
}

// Connector is implemented by adapters that know whether they are
// connected to their platform (a gateway, a socket, a listener); an
// adapter without it counts as connected while it runs.
type Connector interface {
	Connected() bool
}

// Check is one readiness check.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// Readiness checks what Docent needs to answer: the store open, the
// classifier's model loaded, and every adapter running and connected.
func (b *Bot) Readiness(ctx context.Context) []Check {
	var out []Check
	if err := b.store.View(ctx, func(*store.Tx) error { return nil }); err != nil {
		out = append(out, Check{Name: "store", Detail: err.Error()})
	} else {
		out = append(out, Check{Name: "store", OK: true, Detail: b.store.Path()})
	}
	if p := b.prepared.Load(); p == nil || b.brain.Load() == nil {
		out = append(out, Check{Name: "model", Detail: "the classifier has no model yet"})
	} else {
		c := Check{Name: "model", OK: true, Detail: fmt.Sprintf("%d intents", len(b.brain.Load().Intents()))}
		if p.SaveErr != nil {
			// It answers: ready, but the admin should know.
			c.Detail += fmt.Sprintf("; the retrained model is not saved (%v): it is retrained at the next start", p.SaveErr)
		}
		out = append(out, c)
	}
	out = append(out, b.moduleChecks()...)
	b.live.mu.Lock()
	defer b.live.mu.Unlock()
	if len(b.live.list) == 0 {
		out = append(out, Check{Name: "adapters", Detail: "no adapter is running"})
	}
	for _, la := range b.live.list {
		c := Check{Name: "adapter " + la.a.Name(), OK: la.running, Detail: "running"}
		switch {
		case !la.running && la.err != nil:
			c.Detail = "stopped: " + la.err.Error()
		case !la.running:
			c.Detail = "stopped"
		}
		if cn, ok := la.a.(Connector); ok && la.running && !cn.Connected() {
			c.OK, c.Detail = false, "not connected"
		}
		out = append(out, c)
	}
	return out
}

// Store is the bot's database, for reading history and activity.
func (b *Bot) Store() *store.Store { return b.store }

// Config is the configuration the bot runs with.
func (b *Bot) Config() *Config { return b.cfg }

// Intents are the intents the current model was trained on, taught ones
// included.
func (b *Bot) Intents() []brain.Intent { return b.brain.Load().Intents() }

// LLMEnabled says whether an LLM answers questions no intent is sure of.
func (b *Bot) LLMEnabled() bool { return b.llm != nil }
