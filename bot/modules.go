package bot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docent-bot/docent/bot/challenges"
	"github.com/docent-bot/docent/bot/config"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/brain/llm"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// newModules returns a fresh instance of every feature module, with its
// defaults, in the order they are provisioned and started. Adding a
// capability is one folder and one line here.
func newModules() []module.Module {
	return []module.Module{
		challenges.New(),
	}
}

// WithModules adds feature modules after Docent's own (newModules), for a
// program that builds Docent with capabilities of its own. Their sections
// are decoded, validated and wired like the built-in ones.
func WithModules(ms ...module.Module) LoadOption {
	return func(c *Config) { c.modules = append(slices.Clone(c.modules), ms...) }
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

// withSections returns a pointer to a struct that holds cfg inline and
// one field per configured module, named by the module's section, holding
// the module's defaults: decoding the file into it decodes every section
// strictly, with its line numbers, and an unknown section is an error that
// lists the modules' sections too. store copies the decoded sections back.
func withSections(cfg *Config, modules []module.Module) (dst any, store func(), err error) {
	taken := map[string]string{}
	for i := range reflect.TypeFor[Config]().NumField() {
		f := reflect.TypeFor[Config]().Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" && name != "-" {
			taken[name] = "a section of Docent's own"
		}
	}
	for _, m := range modules {
		if what, dup := taken[m.Name()]; dup || m.Name() == "" || strings.ContainsAny(m.Name(), ". [") {
			if what == "" {
				what = "not a section name"
			}
			return nil, nil, fmt.Errorf("bot: module %q (%T): the name is %s", m.Name(), m, what)
		}
		taken[m.Name()] = "another module's"
	}
	fields := []reflect.StructField{{Name: "Core", Type: reflect.TypeFor[Config](), Tag: `yaml:",inline"`}}
	var configured []module.Configured
	for _, m := range modules {
		if cm, ok := m.(module.Configured); ok {
			configured = append(configured, cm)
			fields = append(fields, reflect.StructField{
				Name: fmt.Sprintf("Module%d", len(configured)),
				Type: reflect.TypeOf(cm.Config()).Elem(),
				Tag:  reflect.StructTag(fmt.Sprintf(`yaml:%q`, m.Name())),
			})
		}
	}
	v := reflect.New(reflect.StructOf(fields)).Elem()
	v.Field(0).Set(reflect.ValueOf(cfg).Elem())
	for i, cm := range configured {
		v.Field(i + 1).Set(reflect.ValueOf(cm.Config()).Elem())
	}
	return v.Addr().Interface(), func() {
		reflect.ValueOf(cfg).Elem().Set(v.Field(0))
		for i, cm := range configured {
			reflect.ValueOf(cm.Config()).Elem().Set(v.Field(i + 1))
		}
	}, nil
}

// validateModules lets each module check its own section; adapters says
// which platforms' adapters are enabled.
func (c *Config) validateModules(pos config.Positions, adapters map[string]bool) config.Errors {
	var errs config.Errors
	for _, m := range c.modules {
		if cm, ok := m.(module.Configured); ok {
			check := module.NewCheck(m.Name(), pos, c.files, adapters)
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
	h := &module.Host{Log: b.log, Store: b.store, LLM: b.llm, Budget: moduleBudget{b}, Prefix: b.cfg.Bot.CommandPrefix,
		Files: b.cfg.files, Positions: b.cfg.pos, WatchInterval: b.cfg.Brain.WatchInterval,
		Now: func() time.Time { return b.now() }}
	for _, m := range b.modules {
		if p, ok := m.(module.Provisioner); ok {
			if err := p.Provision(ctx, h); err != nil {
				return err
			}
		}
	}
	return nil
}

// runModules starts each module's background loop; they stop when ctx is
// done, and wg waits for them.
func (b *Bot) runModules(ctx context.Context, wg *sync.WaitGroup, adapters []Adapter) {
	env := module.RunEnv{Announcers: map[string]chat.Announcer{}, Shard: b.cfg.Adapters.Discord.ShardID}
	for _, a := range adapters {
		if p, ok := a.(chat.Announcer); ok {
			env.Announcers[a.Name()] = p
		}
	}
	for _, m := range b.modules {
		if r, ok := m.(module.Runner); ok {
			wg.Go(func() {
				if err := r.Run(ctx, env); err != nil {
					b.log.Error("a module's background work stopped", "module", m.Name(), "err", err)
				}
			})
		}
	}
}

// cleanupModules lets each module release what it holds.
func (b *Bot) cleanupModules() error {
	var errs []error
	for _, m := range slices.Backward(b.modules) {
		if c, ok := m.(module.CleanerUpper); ok {
			if err := c.Cleanup(); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", m.Name(), err))
			}
		}
	}
	return errors.Join(errs...)
}

// scrub hides what the modules hide in a message before it is stored.
func (b *Bot) scrub(text string) string {
	for _, m := range b.modules {
		if s, ok := m.(module.Scrubber); ok {
			text = s.Scrub(text)
		}
	}
	return text
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

// moduleBudget lends the bot's LLM budget to the modules.
type moduleBudget struct{ b *Bot }

// Reserve takes one LLM request from the budget (the same daily limits as
// questions), or says why not.
func (bu moduleBudget) Reserve(ctx context.Context, m *Message, what string) string {
	b := bu.b
	bc := b.cfg.LLM.Budget
	over, err := b.store.Reserve(ctx, store.Day(time.Now()), []store.Limit{
		{Scope: memberScope(m.Conversation, m.Author), Requests: bc.MemberRequests, Tokens: bc.MemberTokens},
		{Scope: channelScope(m.Conversation), Requests: bc.ChannelRequests, Tokens: bc.ChannelTokens},
		{Scope: scopeAll, Tokens: bc.DailyTokens},
	})
	switch {
	case err != nil:
		b.log.Warn("could not check the llm budget; not using the llm", "err", err)
		return fmt.Sprintf("I can't check today's AI budget right now, so I can't %s; please try again later.", what)
	case over == 0:
		return fmt.Sprintf("You've used your AI budget for today, so I can't %s until tomorrow (UTC).", what)
	case over == 1:
		return "This channel's AI budget for today is used up; try a direct message to me, or tomorrow (UTC)."
	case over == 2:
		return "The community's AI budget for today is used up; please try again tomorrow (UTC)."
	}
	return ""
}

// Spend records the tokens an LLM request used.
func (bu moduleBudget) Spend(ctx context.Context, m *Message, u llm.Usage) {
	spent := store.Usage{Tokens: u.PromptTokens + u.CompletionTokens}
	if spent.Tokens == 0 {
		return
	}
	if err := bu.b.store.AddUsage(context.WithoutCancel(ctx), store.Day(time.Now()), spent,
		memberScope(m.Conversation, m.Author), channelScope(m.Conversation), scopeAll); err != nil {
		bu.b.log.Warn("could not record llm usage", "err", err)
	}
}
