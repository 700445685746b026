package challenges

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/docent-bot/docent/bot/config"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/brain/llm"
	"github.com/docent-bot/docent/internal/poll"
	"github.com/docent-bot/docent/store"
)

// Module is the coding challenges as a feature of the bot: the
// `challenges:` section, the members' commands, the announcer of openings
// and closings, reloading the files when they change, and each member's
// submissions (exported, forgotten and expired with the rest of their
// data). It is off until challenges.folder names a folder.
type Module struct {
	cfg Config

	// Set by Provision, when on.
	set      atomic.Pointer[Set] // swapped whole when the files change
	verifier *Verifier
	records  *Records
	log      *slog.Logger
	llm      *llm.Client
	budget   module.Budget
	prefix   string
	files    module.Files
	pos      config.Positions
	watch    time.Duration
	now      func() time.Time
	// afterPass, when set (OnPass), runs after each pass of the announcer.
	afterPass func()
}

// New returns the challenges module with the default settings.
func New() *Module { return &Module{cfg: DefaultConfig()} }

// Name is the config section's key.
func (mod *Module) Name() string { return "challenges" }

// Config is the section, decoded in place.
func (mod *Module) Config() any { return &mod.cfg }

// On reports whether challenges are configured.
func (mod *Module) On() bool { return mod.cfg.Folder != "" }

// Validate checks the section: its own settings, the folder, and that
// announcements go to platforms that are enabled.
func (mod *Module) Validate(c *module.Check) {
	ch := mod.cfg
	ch.validate(c)
	if ch.Folder == "" {
		if c.Has("announce") && len(ch.Announce) > 0 {
			c.Errorf("announce", "has no effect: challenges are off until challenges.folder names the folder of challenge files")
		}
		if c.Has("seasons") && len(ch.Seasons) > 0 {
			c.Errorf("seasons", "has no effect: challenges are off until challenges.folder names the folder of challenge files")
		}
		return
	}
	if fi, err := c.Files().Stat(ch.Folder); err != nil || !fi.IsDir() {
		c.Errorf("folder", "%s is not a folder", c.Files().Show(ch.Folder))
	}
	for _, platform := range sortedKeys(ch.Announce) {
		if on, known := c.Adapter(platform); known && !on {
			c.Errorf("announce."+platform, "announces on %s, but adapters.%s.enabled is false", platform, platform)
		}
	}
}

// Load reads the challenge files in challenges.folder, found through
// files, and checks the seasons against them. Every problem is reported
// at once, each with its file, line and field. With no folder configured
// it returns an empty set.
func (mod *Module) Load(files module.Files, pos config.Positions) (*Set, error) {
	if mod.cfg.Folder == "" {
		return Load(nil)
	}
	names, err := files.Walk(mod.cfg.Folder)
	if err != nil {
		return nil, config.Errors{pos.Errorf("challenges.folder", "%s: %v", files.Show(mod.cfg.Folder), err)}
	}
	var list []File
	var errs config.Errors
	for _, name := range names {
		data, err := files.ReadFile(name)
		if err != nil {
			errs = append(errs, &config.Error{Pos: config.Pos{File: name}, Msg: err.Error()})
			continue
		}
		list = append(list, File{Name: name, Data: data})
	}
	set, err := Load(list)
	if err != nil {
		var ce config.Errors
		if !errors.As(err, &ce) {
			return nil, err
		}
		errs = append(errs, ce...)
	}
	if set != nil {
		errs = append(errs, set.CheckSeasons(mod.cfg.Seasons, pos, "challenges.seasons")...)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return set, nil
}

// Provision loads the challenges and takes the services the commands and
// the announcer use. Off, it does nothing.
func (mod *Module) Provision(_ context.Context, h *module.Host) error {
	mod.log, mod.llm, mod.budget, mod.prefix, mod.files, mod.pos, mod.watch = h.Log, h.LLM, h.Budget, h.Prefix, h.Files, h.Positions, h.WatchInterval
	mod.now = h.Now
	mod.records = NewRecords(h.Store)
	if !mod.On() {
		return nil
	}
	set, err := mod.Load(h.Files, h.Positions)
	if err != nil {
		return err
	}
	// One check holds the hash's memory (64 MiB by default) and a core or
	// more: a few at a time whatever the burst.
	mod.verifier = NewVerifier(max(runtime.GOMAXPROCS(0)/2, 1))
	mod.set.Store(set)
	mod.log.Info("challenges loaded", "challenges", len(set.All()), "folder", h.Files.Show(mod.cfg.Folder))
	return nil
}

// MemberParts are the submissions, the one thing the challenges keep
// about a member.
func (mod *Module) MemberParts() []store.MemberPart {
	return []store.MemberPart{mod.records.MemberPart()}
}

// Records are the submissions and announcements in the store.
func (mod *Module) Records() *Records { return mod.records }

// OnPass sets a function called after each pass of the announcer over
// the challenges (tests wait on it).
func (mod *Module) OnPass(f func()) { mod.afterPass = f }

// state sums up the challenge files: names, sizes and modification
// times, so that a change is seen by polling.
func (mod *Module) state() string {
	files, err := mod.files.Walk(mod.cfg.Folder)
	if err != nil {
		return err.Error()
	}
	var state poll.Files
	for _, f := range files {
		state.Stat(f)
	}
	return state.String()
}

// reload swaps in the challenge files as they are now, or keeps the
// current ones when the files have problems.
func (mod *Module) reload() {
	set, err := mod.Load(mod.files, mod.pos)
	if err != nil {
		mod.log.Error("challenges: the files have problems; keeping the current challenges", "err", err)
		return
	}
	mod.set.Store(set)
	mod.log.Info("challenges reloaded", "challenges", len(set.All()))
}

// limits are the submission limits of the config.
func (mod *Module) limits() SubmitLimits {
	return SubmitLimits{Attempts: mod.cfg.Attempts, Cooldown: mod.cfg.Cooldown}
}

// at is when a member's message counts as sent, for the challenge's
// window, the cooldown and ties: when Docent handles it (a platform's
// clock, or a member's, is not to be trusted with a deadline).
func (mod *Module) at(*module.Message) time.Time { return mod.now() }

// CheckFiles loads the challenge files as the start would.
func (mod *Module) CheckFiles(files module.Files, pos config.Positions) error {
	_, err := mod.Load(files, pos)
	return err
}
