// Package attention shows admins who needs their attention: newcomers
// whose first question nobody answered, questions still open, regulars
// whose activity dropped sharply, and the members who helped most lately
// (the dashboard's members page, `docent members`).
//
// Its recorder runs the exchange Detector over the records as they are
// stored (and over an imported history, or one stored before the module
// existed, when the store replays it), and keeps, in the same transaction,
// the small figures the lists are made from: each member's first message
// and first question (and when and by whom it was answered), the
// questions and their first reply, each member's messages per day, and
// who answered and thanked whom per day. The lists are made when they are
// read, as of any moment (`docent members --at DATE`).
package attention

import (
	"context"
	"log/slog"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat/topics"
	"github.com/docent-bot/docent/store"
)

// Config is the `attention:` section of Docent's configuration.
type Config struct {
	// UnansweredAfter is how long a question waits for a reply before a
	// newcomer's first question counts as unanswered; it is also how long
	// after a question a reply is looked for.
	UnansweredAfter time.Duration `yaml:"unanswered_after"`
	// NewcomerFor is how long after their first message a member is a
	// newcomer: a first question asked later is not a newcomer's. The
	// page lists the newcomers of this long before its moment.
	NewcomerFor time.Duration `yaml:"newcomer_for"`
	// OpenFor is how far back the open questions are listed.
	OpenFor time.Duration `yaml:"open_for"`
	// DropRatio: a regular whose last 30 days' messages are below this
	// share of their usual month has dropped.
	DropRatio float64 `yaml:"drop_ratio"`
	// RegularMonths is in how many of the six months (30 days each)
	// before the last 30 days a member must have written to be a regular;
	// MinUsual is the fewest messages a month they must usually write.
	RegularMonths int `yaml:"regular_months"`
	MinUsual      int `yaml:"min_usual"`
	// Top is how many members each list shows at most.
	Top int `yaml:"top"`
}

// usualMonths is how many months (of 30 days) before the last 30 days a
// regular's usual activity is measured over.
const usualMonths = 6

// DefaultConfig is the configuration a file leaves out.
func DefaultConfig() Config {
	return Config{UnansweredAfter: 24 * time.Hour, NewcomerFor: 30 * 24 * time.Hour, OpenFor: 7 * 24 * time.Hour,
		DropRatio: 0.3, RegularMonths: 4, MinUsual: 20, Top: 10}
}

// maxWindow bounds unanswered_after: the Detector remembers each
// conversation over that long, in memory.
const maxWindow = 7 * 24 * time.Hour

func (c Config) validate(ch *module.Check) {
	if c.UnansweredAfter < time.Minute || c.UnansweredAfter > maxWindow {
		ch.Errorf("unanswered_after", "is %s: from 1m to %s, please", c.UnansweredAfter, maxWindow)
	}
	if c.NewcomerFor < 24*time.Hour {
		ch.Errorf("newcomer_for", "is %s: at least 24h, please", c.NewcomerFor)
	}
	if c.OpenFor < time.Hour {
		ch.Errorf("open_for", "is %s: at least 1h, please", c.OpenFor)
	}
	if !(c.DropRatio > 0 && c.DropRatio < 1) {
		ch.Errorf("drop_ratio", "is %v: between 0 and 1 (0.3: below 30%% of their usual month), please", c.DropRatio)
	}
	if c.RegularMonths < 1 || c.RegularMonths > usualMonths {
		ch.Errorf("regular_months", "is %d: from 1 to %d, please", c.RegularMonths, usualMonths)
	}
	if c.MinUsual < 1 {
		ch.Errorf("min_usual", "is %d: at least 1 message a month, please", c.MinUsual)
	}
	if c.Top < 1 || c.Top > 1000 {
		ch.Errorf("top", "is %d: from 1 to 1000, please", c.Top)
	}
}

// Module is who needs attention as a feature of the bot.
type Module struct {
	cfg Config

	// Set by Provision.
	st  store.Buckets
	now func() time.Time
}

// New returns the attention module with its defaults.
func New() *Module { return &Module{cfg: DefaultConfig()} }

// Name is the module's name, and its config section's key.
func (mod *Module) Name() string { return "attention" }

// Config is the section's value, for the decoder.
func (mod *Module) Config() any { return &mod.cfg }

// Settings are the configured settings.
func (mod *Module) Settings() Config { return mod.cfg }

// Validate checks the section.
func (mod *Module) Validate(c *module.Check) { mod.cfg.validate(c) }

// Provision takes the store and the clock from the bot.
func (mod *Module) Provision(_ context.Context, h *module.Host) error {
	mod.st, mod.now = h.Store, h.Now
	if mod.now == nil {
		mod.now = time.Now
	}
	return nil
}

// Recorders are the attention figures' recorder, with a Detector of its
// own that remembers unanswered_after of each conversation.
func (mod *Module) Recorders(env module.RecordEnv) []store.Recorder {
	log := env.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return []store.Recorder{newRecorder(mod.cfg.UnansweredAfter, topics.Text{CommandPrefix: env.Prefix}, log)}
}

// MemberParts is what the figures hold about each member.
func (mod *Module) MemberParts() []store.MemberPart { return []store.MemberPart{memberPart{}} }
