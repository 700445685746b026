package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"

	"golang.org/x/term"

	"github.com/docent-bot/docent/adapters/console"
	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/bot/metrics"
	"github.com/docent-bot/docent/chat"
)

// runCommands is docent run: the console, the web chat and the platforms.
func runCommands() []Command {
	return []Command{
		{Name: "run", Group: "Run", Args: "[--config FILE] [--json]", Summary: "run Docent (the default when no command is given)", Run: (*Env).run, Secrets: true},
	}
}

func (c *Env) run(args []string) int {
	fs := c.Flags()
	configFile := fs.String("config", "", "configuration `FILE`")
	jsonOut := fs.Bool("json", false, "console: write each answer as one JSON object a line")
	if code, done := c.Parse(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(c.Stderr, "docent run: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	cfg, err := c.LoadConfig(*configFile)
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitUsage
	}
	log := c.Logger(cfg)

	ctx, stop := signalCtx()
	defer stop()
	// After the first signal, a second one stops Docent at once instead of
	// waiting for the drain.
	context.AfterFunc(ctx, stop)

	m := metrics.New()
	// With the console on (the local try-out), a taken ops port is only a
	// warning, as the web chat's is.
	b, err := bot.Open(ctx, cfg, bot.Options{Log: log, Version: buildOf().Version, Metrics: m,
		Ops: opsDashboard(cfg, log, m), OpsOptional: cfg.Adapters.Console.Enabled})
	if err != nil {
		if ctx.Err() != nil { // asked to stop while starting (e.g. training)
			log.Info("docent stopped before it started", "reason", err)
			return exitOK
		}
		fmt.Fprintln(c.Stderr, err)
		return exitError
	}
	platforms, err := b.PlatformAdapters()
	if err != nil {
		b.Close()
		fmt.Fprintln(c.Stderr, err)
		return exitError
	}
	consoleOn := cfg.Adapters.Console.Enabled
	if consoleOn && nullInput(c.Stdin) && (len(platforms) > 0 || cfg.Adapters.Web.Enabled) {
		// A service's input (systemd's default, docker run without -i)
		// ends before anything is read: the console would stop the web
		// chat, and with nothing else on, Docent, with exit status 0.
		log.Info("console off: standard input is " + os.DevNull + ", as a service's; the other adapters run (adapters.console.enabled: false says so in the config)")
		consoleOn = false
	}
	var adapters []bot.Adapter
	var consoleDone chan struct{} // closed when the console's input ends
	if consoleOn {
		consoleDone = make(chan struct{})
		adapters = append(adapters, signalsEnd{console.New(c.Stdin, c.Stdout, console.Options{
			Interactive: isTerminal(c.Stdin) && !*jsonOut,
			JSON:        *jsonOut,
			Member:      consoleMember(cfg.Adapters.Console.Member),
			BotName:     cfg.Bot.Name,
			Stopped:     bot.ErrStopped,
			// Files (a member's data export) go beside the database.
			FilesDir: filepath.Dir(cfg.StorePath()),
		}), consoleDone})
	}
	adapters = append(adapters, platforms...)
	if cfg.Adapters.Web.Enabled {
		wa, err := webAdapter(ctx, b, cfg, log, consoleDone)
		if err != nil {
			b.Close()
			fmt.Fprintln(c.Stderr, err)
			return exitError
		}
		adapters = append(adapters, wa)
	}
	runErr := b.Run(ctx, adapters...)
	closeErr := b.Close()
	if err := errors.Join(runErr, closeErr); err != nil {
		log.Error("docent stopped with errors", "err", err)
		return exitError
	}
	log.Info("docent stopped")
	return exitOK
}

// nullInput reports whether r is the null device.
func nullInput(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err == nil && os.SameFile(fi, null)
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// consoleMember is the person at the terminal.
func consoleMember(name string) chat.Member {
	if name == "" {
		if u, err := user.Current(); err == nil && u.Username != "" {
			name = u.Username
		} else if name = os.Getenv("USER"); name == "" {
			name = "you"
		}
	}
	return chat.Member{ID: "console:" + name, Name: name}
}
