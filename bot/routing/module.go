// Package routing is "who can help": for a question nobody answered, it
// finds the members most likely to answer it, from who answered what
// before, and asks the helpers who opted in, by direct message.
//
// Its recorder runs the exchange Detector on the records as they are
// stored (and on every record of an imported history), and keeps what
// ranking needs in its own buckets: each member's answers (the topic
// words of the questions they answered within the reply window, and
// when), when they last spoke and how much in the last 90 days, the open
// questions, the opt-ins and the pings sent. A restart or an import of
// years of history gives the same state.
//
// Ranking (Index.Rank) is one function, used by the pings, the dashboard
// page and the evaluation (`docent routing eval`), which replays the
// history in time order and scores, for each question that got an
// addressed or referenced reply (a Discord reply) within the window, where the true answerer was ranked,
// beside the baselines a person would try first.
//
// Only opted-in helpers (`!helper on`) are ever pinged, at most
// max_pings_per_day each, never the asker, never twice for one question,
// and never for a question Docent answered well (a confident answer
// nobody downvoted). Everyone else shows only on the admins' page.
//
// For what to read next (the recommend module), a helper is also offered
// the recent questions nobody answered that they could read, on their
// topics (Suggest, a module.Suggester; the questions come from the
// members' threads through Host.Threads).
package routing

import (
	"context"
	"log/slog"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat/topics"
	"github.com/docent-bot/docent/store"
)

// Config is the `routing:` section.
type Config struct {
	// Enabled turns routing on: the records are read for who answers
	// what, and the commands, pings and page are there.
	Enabled bool `yaml:"enabled"`
	// MaxPingsPerDay is how many questions each helper is asked about
	// per UTC day, at most.
	MaxPingsPerDay int `yaml:"max_pings_per_day"`
	// WaitMinutes is how long a question stays unanswered before helpers
	// are asked.
	WaitMinutes int `yaml:"wait_minutes"`
	// HelpersPerQuestion is how many helpers are asked about one
	// question.
	HelpersPerQuestion int `yaml:"helpers_per_question"`
	// ReplyMinutes: a reply counts as an answer within this many minutes
	// of the question (later ones are usually about something else).
	ReplyMinutes int `yaml:"reply_minutes"`
}

// DefaultConfig is off; when on: 3 pings a day, after 15 minutes, 2
// helpers a question, replies within 10 minutes.
func DefaultConfig() Config {
	return Config{MaxPingsPerDay: 3, WaitMinutes: 15, HelpersPerQuestion: 2, ReplyMinutes: 10}
}

// Module is question routing as a feature module.
type Module struct {
	cfg Config

	// Set by Provision.
	st      store.Buckets
	log     *slog.Logger
	now     func() time.Time
	isAdmin func(*module.Message) bool
	prefix  string
	records module.Records
	text    topics.Text
	threads module.Historian // the questions nobody answered, for Suggest; nil if none
}

// New returns the routing module, with its defaults.
func New() *Module { return &Module{cfg: DefaultConfig()} }

// Name is the module's name and its section's key.
func (mod *Module) Name() string { return "routing" }

// Config is the section, decoded in place.
func (mod *Module) Config() any { return &mod.cfg }

// On reports whether routing is enabled.
func (mod *Module) On() bool { return mod.cfg.Enabled }

// Validate checks the section's numbers.
func (mod *Module) Validate(c *module.Check) {
	for _, f := range []struct {
		field     string
		v, lo, hi int
	}{
		{"max_pings_per_day", mod.cfg.MaxPingsPerDay, 0, 100},
		{"wait_minutes", mod.cfg.WaitMinutes, 1, 24 * 60},
		{"helpers_per_question", mod.cfg.HelpersPerQuestion, 1, 10},
		{"reply_minutes", mod.cfg.ReplyMinutes, 1, 60},
	} {
		if f.v < f.lo || f.v > f.hi {
			c.Errorf(f.field, "must be %d to %d, got %s", f.lo, f.hi, c.Show(f.field, f.v))
		}
	}
}

func (mod *Module) replyWindow() time.Duration {
	return time.Duration(mod.cfg.ReplyMinutes) * time.Minute
}

// Provision takes the store, clock, logger and admins' rule.
func (mod *Module) Provision(_ context.Context, h *module.Host) error {
	mod.st, mod.log, mod.now, mod.isAdmin, mod.prefix, mod.records, mod.threads = h.Store, h.Log, h.Now, h.IsAdmin, h.Prefix, h.Records, h.Threads
	mod.text = topics.Text{CommandPrefix: h.Prefix}
	if mod.log == nil {
		mod.log = slog.New(slog.DiscardHandler)
	}
	if mod.now == nil {
		mod.now = time.Now
	}
	if mod.isAdmin == nil {
		mod.isAdmin = func(*module.Message) bool { return false }
	}
	return nil
}

// Recorders is the recorder of exchanges, when routing is on: off, it
// reads nothing, and turned on later it is given the whole history.
func (mod *Module) Recorders(env module.RecordEnv) []store.Recorder {
	if !mod.On() {
		return nil
	}
	return []store.Recorder{newRecorder(topics.Text{CommandPrefix: env.Prefix}, mod.replyWindow())}
}

// MemberParts is each member's share: their opt-in, answers, activity,
// open questions and pings.
func (mod *Module) MemberParts() []store.MemberPart { return []store.MemberPart{memberPart{}} }

// Schema is the version of the module's buckets.
func (mod *Module) Schema() store.Schema {
	return store.Schema{Version: 1, Migrations: []store.Migration{{From: 0, To: 1}}}
}
