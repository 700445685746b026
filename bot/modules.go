package bot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docent-bot/docent/bot/analytics"
	"github.com/docent-bot/docent/bot/attention"
	"github.com/docent-bot/docent/bot/budgets"
	"github.com/docent-bot/docent/bot/challenges"
	"github.com/docent-bot/docent/bot/config"
	"github.com/docent-bot/docent/bot/importer"
	"github.com/docent-bot/docent/bot/lessons"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/bot/privacy"
	"github.com/docent-bot/docent/bot/recommend"
	"github.com/docent-bot/docent/bot/routing"
	"github.com/docent-bot/docent/bot/threads"
	"github.com/docent-bot/docent/brain"
	"github.com/docent-bot/docent/brain/llm"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// NewModules returns a fresh instance of every feature module, with its
// defaults, in the order they are provisioned and started: each loaded
// config has its own, and the command line reads what is declared on them
// (its commands). Adding a capability is one folder and one line here.
func NewModules() []module.Module {
	return []module.Module{
		budgets.New(),
		privacy.New(),
		challenges.New(),
		analytics.New(),
		lessons.New(),
		importer.New(),
		attention.New(),
		recommend.New(),
		threads.New(),
		routing.New(),
	}
}

// WithModules adds feature modules after Docent's own (NewModules), for a
// program that builds Docent with capabilities of its own: each loaded
// config calls the constructors for instances of its own, as NewModules
// does. Their sections are decoded, validated and wired like the built-in
// ones.
func WithModules(news ...func() module.Module) LoadOption {
	return func(c *Config) {
		c.modules = slices.Clone(c.modules)
		for _, n := range news {
			c.modules = append(c.modules, n())
		}
	}
}

// Module returns the configured module named name, or nil.
func (c *Config) Module(name string) module.Module {
	for _, m := range c.modules {
		if m.Name() == name {
			return m
		}
	}
	return nil
}

// Module returns the bot's module named name, or nil.
func (b *Bot) Module(name string) module.Module { return b.cfg.Module(name) }

// Modules are the feature modules, configured.
func (c *Config) Modules() []module.Module { return slices.Clone(c.modules) }

// Modules are the bot's feature modules, provisioned.
func (b *Bot) Modules() []module.Module { return slices.Clone(b.modules) }

// Files reads the files the config names, relative to its folder.
func (c *Config) Files() module.Files { return c.files }

// Positions are where each field of the config file was written.
func (c *Config) Positions() config.Positions { return c.pos }

// sectionName is what a module's name must look like: it is a YAML key
// and a struct tag (where "," and "-" mean something).
var sectionName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// nestedName is a module.Placed's path below its section: field names
// joined by dots.
var nestedName = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)

// withSections returns a pointer to a struct that holds cfg inline and
// one field per configured module, named by the module's section, holding
// the module's defaults: decoding the file into it decodes every section
// strictly, with its line numbers, and an unknown section is an error that
// lists the modules' sections too. A module.Placed's section is decoded
// where it is placed, straight into the module's struct (placed, for
// config.Options.Placed). store copies the decoded sections back.
func withSections(cfg *Config, modules []module.Module) (dst any, placed map[string]any, store func(), err error) {
	taken := map[string]string{}
	for i := range reflect.TypeFor[Config]().NumField() {
		f := reflect.TypeFor[Config]().Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" && name != "-" {
			taken[name] = "a section of Docent's own"
		}
	}
	for _, m := range modules {
		if what, dup := taken[m.Name()]; dup || !sectionName.MatchString(m.Name()) {
			if what == "" {
				what = "not a section name (lower case letters, digits and _)"
			}
			return nil, nil, nil, fmt.Errorf("bot: module %q (%T): the name is %s", m.Name(), m, what)
		}
		taken[m.Name()] = "another module's"
	}
	fields := []reflect.StructField{{Name: "Core", Type: reflect.TypeFor[Config](), Tag: `yaml:",inline"`}}
	var configured []module.Configured
	for _, m := range modules {
		if cm, ok := m.(module.Configured); ok {
			// The section is decoded into what Config returns and copied
			// back through it: it must be a pointer to a struct, the same
			// one each time, or the module never sees its section.
			c := cm.Config()
			if v := reflect.ValueOf(c); v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct || cm.Config() != c {
				return nil, nil, nil, fmt.Errorf("bot: module %s (%T): Config must return a pointer to the module's own section struct, the same each time; got %T", m.Name(), m, c)
			}
			if p, ok := m.(module.Placed); ok {
				at := p.Section()
				in, field, nested := strings.Cut(at, ".")
				if !nested || taken[in] != "a section of Docent's own" || !nestedName.MatchString(field) || coreField(in, field) || placed[at] != nil {
					return nil, nil, nil, fmt.Errorf("bot: module %s (%T): its section %q is not a free place inside one of Docent's sections", m.Name(), m, at)
				}
				if placed == nil {
					placed = map[string]any{}
				}
				placed[at] = c
				continue
			}
			configured = append(configured, cm)
			fields = append(fields, reflect.StructField{
				Name: fmt.Sprintf("Module%d", len(configured)),
				Type: reflect.TypeOf(c).Elem(),
				Tag:  reflect.StructTag(fmt.Sprintf(`yaml:%q`, m.Name())),
			})
		}
	}
	v := reflect.New(reflect.StructOf(fields)).Elem()
	v.Field(0).Set(reflect.ValueOf(cfg).Elem())
	for i, cm := range configured {
		v.Field(i + 1).Set(reflect.ValueOf(cm.Config()).Elem())
	}
	return v.Addr().Interface(), placed, func() {
		reflect.ValueOf(cfg).Elem().Set(v.Field(0))
		for i, cm := range configured {
			reflect.ValueOf(cm.Config()).Elem().Set(v.Field(i + 1))
		}
	}, nil
}

// coreField reports whether Docent's section named section has a field
// named by field's first name: a module's section placed there would never
// be decoded.
func coreField(section, field string) bool {
	first, _, _ := strings.Cut(field, ".")
	for f := range reflect.TypeFor[Config]().Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != section || f.Type.Kind() != reflect.Struct {
			continue
		}
		for sf := range f.Type.Fields() {
			if name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ","); name == first {
				return true
			}
		}
	}
	return false
}

// validateModules lets each module check its own section; adapters says
// which platforms' adapters are enabled.
func (c *Config) validateModules(pos config.Positions, adapters map[string]bool) config.Errors {
	var errs config.Errors
	for _, m := range c.modules {
		if cm, ok := m.(module.Configured); ok {
			section := m.Name()
			if p, ok := m.(module.Placed); ok {
				section = p.Section()
			}
			check := module.NewCheck(section, pos, c.files, adapters)
			cm.Validate(check)
			errs = append(errs, check.Errors()...)
		}
	}
	return errs
}

// CheckModules reads the files the modules' sections name (the challenge
// files), as the start would, for `docent config check`.
func CheckModules(cfg *Config) error {
	var errs []error
	for _, m := range cfg.modules {
		if fc, ok := m.(module.FileChecker); ok {
			errs = append(errs, fc.CheckFiles(cfg.files, cfg.pos))
		}
	}
	return errors.Join(errs...)
}

// fileSpace serves the modules as module.Files.
var _ module.Files = fileSpace{}

func (f fileSpace) Walk(p string) ([]string, error)    { return f.walk(p) }
func (f fileSpace) ReadFile(p string) ([]byte, error)  { return f.readFile(p) }
func (f fileSpace) Stat(p string) (fs.FileInfo, error) { return f.stat(p) }
func (f fileSpace) Show(p string) string               { return f.show(p) }
func (f fileSpace) OnDisk() bool                       { return f.fsys == nil }

// provision lends each module the bot's services, in order; the first
// that fails stops the start.
func (b *Bot) provision(ctx context.Context) error {
	var budget module.Budget = unlimited{}
	if g := b.gate(); g != nil {
		budget = g.Budget()
	}
	h := &module.Host{Log: b.log, Store: b.store, LLM: b.llm, Budget: budget, Prefix: b.cfg.Bot.CommandPrefix,
		IsAdmin: b.isAdmin, Files: b.cfg.files, DataDir: filepath.Dir(b.cfg.StorePath()), Positions: b.cfg.pos, WatchInterval: b.cfg.Brain.WatchInterval,
		Members: members{b}, RetentionDays: b.cfg.Store.RetentionDays,
		Now:   func() time.Time { return b.now() },
		Brain: func() *brain.Brain { return b.brain.Load() }, Prepared: b.Prepared, Retrain: b.Reload,
		TryIntents: func(intents []brain.Intent) error {
			_, err := brain.New(b.brainConfig(), intents, nil)
			return err
		},
		// The commands are made after the modules are provisioned, and
		// before any message is handled.
		IsCommand: func(text string) bool {
			_, _, _, ok := b.commands.Parse(text)
			return ok
		},
		Records: b.store, History: b.store, Suggest: b.suggest, Threads: b.historian()}
	for i, m := range b.modules {
		if p, ok := m.(module.Provisioner); ok {
			if err := p.Provision(ctx, h); err != nil {
				// Those provisioned already release what they took: Close
				// is never called on a bot that did not open.
				return errors.Join(fmt.Errorf("bot: module %s: %w", m.Name(), err), cleanup(b.modules[:i]))
			}
		}
	}
	return nil
}

// suggest collects what the Suggester modules offer member, each ID
// prefixed with its module's name; a module that fails (an error or a
// panic) is logged and left out.
func (b *Bot) suggest(ctx context.Context, member store.MemberRef) []module.Suggestion {
	var out []module.Suggestion
	for _, m := range b.modules {
		s, ok := m.(module.Suggester)
		if !ok {
			continue
		}
		var got []module.Suggestion
		err := func() (err error) {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("panic: %v", p)
				}
			}()
			got, err = s.Suggest(ctx, member)
			return err
		}()
		if err != nil {
			b.log.Warn("a module's suggestions are left out", "module", m.Name(), "err", err)
			continue
		}
		for _, sg := range got {
			sg.ID = m.Name() + ":" + sg.ID
			out = append(out, sg)
		}
	}
	return out
}

// historian is the module that keeps the members' own exchanges (the
// threads module), or nil.
func (b *Bot) historian() module.Historian {
	for _, m := range b.modules {
		if h, ok := m.(module.Historian); ok {
			return h
		}
	}
	return nil
}

// gate is the module that decides who may use the LLM (the budgets
// module), or nil: then nothing is limited.
func (b *Bot) gate() module.Gate {
	for _, m := range b.modules {
		if g, ok := m.(module.Gate); ok {
			return g
		}
	}
	return nil
}

// unlimited is the modules' LLM budget when no module is a Gate.
type unlimited struct{}

func (unlimited) Reserve(context.Context, *module.Message, string) string { return "" }
func (unlimited) Spend(context.Context, *module.Message, llm.Usage)       {}

// commandName is what a module's command may be called: what members
// type after the prefix, and a Discord slash command's name.
var commandName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// addModuleCommands adds the modules' commands to cs, after the built-in
// ones, refusing a name that is taken, cannot be typed or has nothing to
// run.
func (b *Bot) addModuleCommands(cs *Commands) error {
	var errs []error
	for _, m := range b.modules {
		c, ok := m.(module.Commander)
		if !ok {
			continue
		}
		for _, cmd := range c.Commands() {
			switch {
			case !commandName.MatchString(cmd.Name):
				errs = append(errs, fmt.Errorf("bot: module %s: command %q: a name is 1 to 32 lowercase letters, digits, - or _, starting with a letter", m.Name(), cmd.Name))
			case cs.byName[cmd.Name] != nil || cmd.Name == "ask":
				errs = append(errs, fmt.Errorf("bot: module %s: command %q: the name is taken (by Docent or another module)", m.Name(), cmd.Name))
			case cmd.Run == nil:
				errs = append(errs, fmt.Errorf("bot: module %s: command %q has nothing to run", m.Name(), cmd.Name))
			default:
				cs.Add(cmd)
			}
		}
	}
	return errors.Join(errs...)
}

// runModules starts each module's background loop; they stop when ctx is
// done, and wg waits for them.
//
// A loop that fails before ctx is done (an error, or a panic, which is
// recovered) is logged, and /readyz reports the module as stopped: the
// rest of Docent goes on answering. A loop with nothing to do returns nil.
func (b *Bot) runModules(ctx context.Context, wg *sync.WaitGroup, adapters []Adapter) {
	announcers := map[string]chat.Announcer{}
	messengers := map[string]chat.DirectMessenger{}
	for _, a := range adapters {
		if p, ok := a.(chat.Announcer); ok {
			announcers[a.Name()] = p
		}
		if p, ok := a.(chat.DirectMessenger); ok {
			messengers[a.Name()] = p
		}
	}
	for _, m := range b.modules {
		r, ok := m.(module.Runner)
		if !ok {
			continue
		}
		// Replicas claiming their shards (shard_id: auto) all pass as shard
		// 0: the loop runs on the one replica that leads for it.
		env := module.RunEnv{Announcers: maps.Clone(announcers), Messengers: maps.Clone(messengers), Shard: max(int(b.cfg.Adapters.Discord.ShardID), 0)}
		if b.store.Replica() {
			b.loops.Store(m.Name(), loopStandby)
			wg.Go(func() { b.leadModule(ctx, m.Name(), r, env) })
			continue
		}
		b.loops.Store(m.Name(), loopRunning)
		wg.Go(func() { b.loopEnded(ctx, m.Name(), runModule(ctx, r, env)) })
	}
}

// The states of a module's loop in b.loops besides "stopped: why".
const (
	loopRunning = "running"
	loopStandby = "standing by: another replica runs it"
)

// loopEnded notes how a module's loop ended.
func (b *Bot) loopEnded(ctx context.Context, name string, err error) {
	switch {
	case err != nil && ctx.Err() == nil:
		b.log.Error("a module's background work stopped", "module", name, "err", err)
		b.loops.Store(name, "stopped: "+err.Error())
	case err == nil && ctx.Err() == nil:
		b.loops.Delete(name) // nothing to do: no check to show
	}
}

// runModule runs r, turning a panic into an error.
func runModule(ctx context.Context, r module.Runner, env module.RunEnv) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return r.Run(ctx, env)
}

// moduleChecks are the readiness checks of the modules' loops: running,
// or stopped by a failure; a loop with nothing to do has none.
func (b *Bot) moduleChecks() []Check {
	var out []Check
	for _, m := range b.modules {
		state, ok := b.loops.Load(m.Name())
		if !ok {
			continue
		}
		detail := state.(string)
		out = append(out, Check{Name: "module " + m.Name(), OK: detail == loopRunning || detail == loopStandby, Detail: detail})
	}
	return out
}

// cleanupModules lets each module release what it holds.
func (b *Bot) cleanupModules() error { return cleanup(b.modules) }

// cleanup lets each of modules release what it holds, the last first.
func cleanup(modules []module.Module) error {
	var errs []error
	for _, m := range slices.Backward(modules) {
		if c, ok := m.(module.CleanerUpper); ok {
			if err := c.Cleanup(); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", m.Name(), err))
			}
		}
	}
	return errors.Join(errs...)
}

// scrub hides what the modules hide in a message before it is stored.
// A module that panics hides the whole text: storing what it was meant to
// hide is worse than storing a placeholder.
func (b *Bot) scrub(text string) (out string) {
	for _, m := range b.modules {
		s, ok := m.(module.Scrubber)
		if !ok {
			continue
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					b.log.Error("a module failed to read a message before it was stored; stored a placeholder instead", "module", m.Name(), "panic", p)
					text = "[not stored: Docent could not read this message]"
				}
			}()
			text = s.Scrub(text)
		}()
	}
	return text
}

// schemas are the modules' schemas, for the store: every module's, so
// that a file where a newer Docent recorded a version for a module that
// has none here (version 0) is refused too.
func schemas(modules []module.Module) []store.Owner {
	out := make([]store.Owner, 0, len(modules))
	for _, m := range modules {
		o := store.Owner{Name: m.Name()}
		if s, ok := m.(module.Schemaed); ok {
			o.Schema = s.Schema()
		}
		out = append(out, o)
	}
	return out
}

// memberParts are the modules' shares of the members' data, for the store.
func memberParts(modules []module.Module) []store.MemberPart {
	var parts []store.MemberPart
	for _, m := range modules {
		if s, ok := m.(module.Stored); ok {
			parts = append(parts, s.MemberParts()...)
		}
	}
	return parts
}

// recorders are the modules' figures of the records stored, for the store.
func recorders(modules []module.Module, env module.RecordEnv) []store.Recorder {
	var out []store.Recorder
	for _, m := range modules {
		if r, ok := m.(module.Recorder); ok {
			out = append(out, r.Recorders(env)...)
		}
	}
	return out
}

// moduleIntents adds the intents of the modules that have some
// (module.IntentSource) to base, in module order, reading their records
// from st. added says which module added each new intent.
func moduleIntents(ctx context.Context, modules []module.Module, st store.Buckets, base []brain.Intent) (intents []brain.Intent, added map[string]string, err error) {
	intents, added = base, map[string]string{}
	for _, m := range modules {
		src, ok := m.(module.IntentSource)
		if !ok {
			continue
		}
		known := map[string]bool{}
		for _, in := range intents {
			known[in.Name] = true
		}
		if intents, err = src.Intents(ctx, st, intents); err != nil {
			return nil, nil, fmt.Errorf("bot: module %s: read its intents: %w", m.Name(), err)
		}
		for _, in := range intents {
			if !known[in.Name] {
				added[in.Name] = m.Name()
			}
		}
	}
	return intents, added, nil
}

// usableIntents leaves out the intents a module added (added, from
// moduleIntents) whose response no longer works (a link removed from the
// config since, say), with a warning: one stale record must not stop
// Docent from starting.
func usableIntents(bc brain.Config, log *slog.Logger, intents []brain.Intent, added map[string]string) []brain.Intent {
	probe := brain.Intent{Name: "probe_intent", Patterns: []string{"probe"}, Responses: []string{"probe"}}
	return slices.DeleteFunc(intents, func(in brain.Intent) bool {
		mod, ok := added[in.Name]
		if !ok {
			return false
		}
		if _, err := brain.New(bc, []brain.Intent{in, probe}, nil); err != nil {
			where := in.Where
			if where == "" {
				where = "added by module " + mod
			}
			log.Warn("an intent "+where+" is left out: its response no longer works", "module", mod, "intent", in.Name, "err", err)
			return true
		}
		return false
	})
}
