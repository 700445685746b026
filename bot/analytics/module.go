// Package analytics turns the store's activity counters into the reports
// admins read (`docent stats`, the stats, top and trending commands): who
// is active, where and when, what they ask, how Docent answers, and what
// is trending. It reads members' messages for those counters (topic words
// and thanks, with chat/topics), and generates synthetic history for
// benchmarks.
package analytics

import (
	"context"
	"log/slog"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat/topics"
	"github.com/docent-bot/docent/store"
)

// Module is community analytics as a feature of the bot: the activity
// counters (written with the records they count, through its recorder),
// the members' share of them (exported, forgotten, expired), the stats,
// top and trending commands, and `docent stats` on the command line. It
// has no config section.
type Module struct {
	// Set by Provision.
	st      store.Buckets
	log     *slog.Logger
	isAdmin func(*module.Message) bool
	prefix  string
}

// New returns the analytics module.
func New() *Module { return &Module{} }

// Name is the module's name in logs and errors.
func (mod *Module) Name() string { return "analytics" }

// Recorders are the activity counters' recorder: it reads members'
// messages for topic words and thanks, the command prefix marking
// commands, which have none.
func (mod *Module) Recorders(env module.RecordEnv) []store.Recorder {
	log := env.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return []store.Recorder{recorder{text: topics.Text{CommandPrefix: env.Prefix}, log: log}}
}

// MemberParts is each member's share of the counters.
func (mod *Module) MemberParts() []store.MemberPart { return []store.MemberPart{memberPart{}} }

// Provision takes the store, the logger, the admins' rule and the command
// prefix from the bot.
func (mod *Module) Provision(_ context.Context, h *module.Host) error {
	mod.st, mod.log, mod.isAdmin, mod.prefix = h.Store, h.Log, h.IsAdmin, h.Prefix
	if mod.isAdmin == nil {
		mod.isAdmin = func(*module.Message) bool { return false }
	}
	return nil
}
