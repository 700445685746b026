package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/bot/config"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/store"
)

// moduleCommands are the commands Docent's own feature modules bring.
func moduleCommands() []Command { return ModuleCommands(bot.NewModules()) }

// ModuleCommands are the commands modules bring (module.CommandLiner),
// declared on modules fresh from their constructors; each runs with the
// module as the config file configures it. A program that embeds Docent
// with modules of its own adds theirs to Commands() and sets Env.Modules,
// so that their sections are read.
func ModuleCommands(modules []module.Module) []Command {
	var out []Command
	for _, m := range modules {
		cl, ok := m.(module.CommandLiner)
		if !ok {
			continue
		}
		for _, mc := range cl.CommandLine() {
			out = append(out, Command{Name: mc.Name, Group: mc.Group, Args: mc.Args, Summary: mc.Summary, Help: mc.Help,
				Run: func(env *Env, args []string) int { return mc.Run(moduleLine{env}, args) }})
		}
	}
	return out
}

// moduleLine is the command line as a module's command sees it.
type moduleLine struct{ env *Env }

func (l moduleLine) Stdout() io.Writer    { return l.env.Stdout }
func (l moduleLine) Stderr() io.Writer    { return l.env.Stderr }
func (l moduleLine) Flags() *flag.FlagSet { return l.env.Flags() }

func (l moduleLine) Parse(fs *flag.FlagSet, args []string) (int, bool) { return l.env.Parse(fs, args) }

func (l moduleLine) Context() (context.Context, context.CancelFunc) { return signalCtx() }

func (l moduleLine) Setup(fs *flag.FlagSet, args []string, withDB bool) (module.Configuration, int, bool) {
	cfg, code, done := l.env.setupData(fs, args, newDataFlags(fs, "configuration `FILE`", withDB))
	if done {
		return nil, code, true
	}
	return configuration{cfg}, 0, false
}

// configuration is a loaded config as module.Configuration.
type configuration struct{ cfg *bot.Config }

func (c configuration) Module(name string) module.Module { return c.cfg.Module(name) }
func (c configuration) Files() module.Files              { return c.cfg.Files() }
func (c configuration) Positions() config.Positions      { return c.cfg.Positions() }
func (c configuration) File() string                     { return c.cfg.File }
func (c configuration) OpenStore() (*store.Store, error) { return openHistory(c.cfg) }

func (c configuration) CreateStore(path string) (*store.Store, error) {
	cfg := c.cfg
	if path != "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		copied := *c.cfg
		copied.Store.Path = abs
		copied.Store.Postgres = bot.PostgresConfig{} // a path names a bbolt file
		cfg = &copied
	}
	return bot.OpenStore(cfg, slog.New(slog.DiscardHandler))
}

func (c configuration) Start(ctx context.Context, name string) (module.Module, func() error, error) {
	if c.cfg.Module(name) == nil {
		return nil, nil, fmt.Errorf("no module %s in this Docent", name)
	}
	// It reads what Docent stored: like openHistory, it creates no
	// empty database where there is none (a mistyped store.path).
	if _, err := os.Stat(c.cfg.StorePath()); !c.cfg.OnPostgres() && errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("no database at %s yet: run Docent first", c.cfg.StorePath())
	}
	b, err := bot.Open(ctx, c.cfg, bot.Options{Log: newLogger(c.cfg, io.Discard)})
	if err != nil {
		return nil, nil, err
	}
	return b.Module(name), b.Close, nil
}

func (c configuration) ExportMember(ctx context.Context, m store.MemberRef, w io.Writer) error {
	var buf bytes.Buffer
	running, err := withStore(c.cfg, func(st *store.Store) error {
		d, err := st.ExportMember(ctx, m)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		return enc.Encode(d)
	})
	if running {
		buf.Reset()
		_, err = bot.Control(ctx, c.cfg, bot.ControlRequest{Op: "export", Member: m}, &buf)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func (c configuration) ForgetMember(ctx context.Context, m store.MemberRef) (store.Forgotten, error) {
	var forgotten store.Forgotten
	running, err := withStore(c.cfg, func(st *store.Store) error {
		var err error
		forgotten, err = st.ForgetMember(ctx, m)
		return err
	})
	if running {
		var rep bot.ControlReply
		rep, err = bot.Control(ctx, c.cfg, bot.ControlRequest{Op: "forget", Member: m}, io.Discard)
		if rep.Forgotten != nil {
			forgotten = *rep.Forgotten
		}
	}
	return forgotten, err
}

func (c configuration) Control(ctx context.Context, op string, args any) (module.ControlConn, error) {
	return bot.DialControl(ctx, c.cfg, op, args)
}
