// Package recommend is "what to read next": each member's profile of
// interests, built from their own questions, answers, votes and channels
// as they are stored, and `!recommend`, which answers three things worth
// their time, each with a one-line reason: doc sections and earlier
// threads found through the brain, and what other modules offer
// (module.Suggester: open challenges). Members may turn it off, or ask
// for a weekly digest by direct message. `docent recommend eval` measures
// the profiles on a community's history.
package recommend

import (
	"context"
	"log/slog"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat/topics"
	"github.com/docent-bot/docent/store"
)

// Module is personal recommendation as a feature of the bot: the
// `recommend:` section, the profiles (written with the records through
// its recorder, exported and forgotten with each member's data), the
// `recommend` command and the weekly digest.
type Module struct {
	cfg Config
	// Set by Provision.
	host *module.Host
	log  *slog.Logger
	now  func() time.Time
	// afterPass, when set (OnPass), runs after each pass of the digest
	// loop.
	afterPass func()
}

// New returns the recommend module with the default settings.
func New() *Module { return &Module{cfg: DefaultConfig()} }

// Name is the config section's key.
func (mod *Module) Name() string { return "recommend" }

// Config is the section, decoded in place.
func (mod *Module) Config() any { return &mod.cfg }

// learner is how this configuration reads records into profiles.
func (mod *Module) learner(prefix string) Learner {
	return Learner{Text: topics.Text{CommandPrefix: prefix}, HalfLife: mod.cfg.HalfLife}
}

// Recorders build the profiles as records are stored; off, none.
func (mod *Module) Recorders(env module.RecordEnv) []store.Recorder {
	if !mod.cfg.Enabled {
		return nil
	}
	log := env.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return []store.Recorder{recorder{learn: mod.learner(env.Prefix), log: log, now: mod.clock}}
}

// clock is the host's clock once provisioned, else the system's.
func (mod *Module) clock() time.Time {
	if mod.now != nil {
		return mod.now()
	}
	return time.Now()
}

// MemberParts are the profiles and settings, whether on or off: a
// member's data is exported and forgotten all the same.
func (mod *Module) MemberParts() []store.MemberPart { return []store.MemberPart{memberPart{}} }

// Provision takes the bot's services.
func (mod *Module) Provision(_ context.Context, h *module.Host) error {
	mod.host, mod.log, mod.now = h, h.Log, h.Now
	if mod.log == nil {
		mod.log = slog.New(slog.DiscardHandler)
	}
	if mod.now == nil {
		mod.now = time.Now
	}
	return nil
}

// OnPass sets a function called after each pass of the digest loop
// (tests wait on it).
func (mod *Module) OnPass(f func()) { mod.afterPass = f }
