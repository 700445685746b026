// Package cli is Docent's command line: running the bot and its tools
// (config check, history, train, eval, stats, backups, challenges...).
// The root's main package embeds the default assets and calls Main.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/docent-bot/docent/bot"
)

const defaultConfig = "config.example.yaml"

// Main runs the command line args (os.Args: the program's name first) and
// returns the process's exit code.
func Main(args []string, env *Env) int {
	return env.Run(args[1:])
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // something failed while running
	exitUsage = 2 // bad command line or configuration
)

type command struct {
	name, args, summary string
	run                 func(c *Env, args []string) int
}

// Env is what a command runs with: the process's streams and the built-in
// defaults, so that commands are testable and use no globals.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Defaults holds the example configuration (config.example.yaml), the
	// starter intents (intents/), the guide (docs/guide/) and the example
	// challenges (challenges/), built in so that the binary runs anywhere
	// with no files beside it.
	Defaults fs.FS
}

func commands() []command {
	return []command{
		{"run", "[--config FILE] [--json]", "run Docent (the default when no command is given)", (*Env).run},
		{"init", "--docs DIR --site URL [--docs DIR --site URL...] --name NAME [--repo URL] [--link NAME=URL...] [--generator G] [--out FILE] [--force]", "write a config for your community that answers from its docs: on a terminal without --docs it asks, else it takes flags; it detects the docs' site generator for the links", (*Env).init},
		{"config check", "[FILE]", "check a configuration file and its intents; print every problem or ok", (*Env).configCheck},
		{"history", "[--config FILE] [--db FILE] [--list] [--platform P --channel C --thread T] [--limit N] [--json]", "print a stored conversation (the console's by default)", (*Env).history},
		{"train", "[--config FILE]", "train the intent classifier now and save it", (*Env).train},
		// "eval docs" before "eval": the first command whose words match is run.
		{"eval docs", "--questions FILE [--config FILE] [--docs DIR] [--split dev|heldout|all] [--runs N] [--misses] [--json]", "measure how well Docent finds the docs section that answers a question (recall, MRR, \"not sure\", latency), beside SQLite FTS5 bm25 over the same passages", (*Env).evalDocs},
		{"eval", "(--dataset FILE | --cv K) [--config FILE] [--json] [--rule accuracy|balanced]", "measure the classifier on a CLINC150-shaped data set, or cross-validate the configured intents", (*Env).eval},
		{"explain", "[--config FILE] [--json] TEXT", "how the classifier reads TEXT: the intent, its probability, the runner-up and the words behind them", (*Env).explain},
		{"bench classifier", "[--config FILE] [--dataset FILE] [--runs N]", "time training and single-sentence prediction", (*Env).benchClassifier},
		{"bench pipeline", "[--config FILE] [--members N] [--channels M] [--questions Q] [--llm-latency D] [--llm-share F] [--json]", "drive synthetic members through the router, brain and store and time each stage", (*Env).benchPipeline},
		{"bench history", "[--config FILE] [--messages N] [--days D] [--db FILE] [--seed S]", "generate a synthetic community history and time stats and gaps on it", (*Env).benchHistory},
		{"stats", "[--config FILE] [--db FILE] [--days N] [--platform P] [--space ID] [--channel ID] [--top N] [--json]", "the community's activity: messages, members, channels, hours, askers, helpers, intents, answers and votes, time to first answer, trending words", (*Env).stats},
		{"gaps", "[--config FILE] [--db FILE] [--json]", "what members asked that Docent could not answer, grouped, largest first", (*Env).gaps},
		{"backup", "[--config FILE] [--force] FILE", "copy the database into FILE, consistently, while Docent runs or not", (*Env).backup},
		{"restore", "[--config FILE] FILE", "put a backup in place of the database (Docent stopped; the old file is kept beside it)", (*Env).restore},
		{"compact", "[--config FILE]", "rewrite the database without its free pages (Docent stopped)", (*Env).compact},
		{"user export", "--platform P --id ID [--out FILE] [--config FILE]", "everything stored about a member, as JSON", (*Env).userExport},
		{"user delete", "--platform P --id ID --yes [--config FILE]", "delete everything stored about a member", (*Env).userDelete},
		// "lessons rm" before "lessons": the first command whose words match is run.
		{"lessons rm", "[--config FILE] ID...", "remove lessons taught in chat (an intent created in chat goes with its taught patterns)", (*Env).lessonsRemove},
		{"lessons", "[--config FILE] [--json]", "list what admins taught in chat: ID, intent, pattern or new intent, by whom, when", (*Env).lessons},
		{"intents export", "[--config FILE] [--out DIR [--force]]", "write the intents with what was taught in chat as intents files: the changed ones to stdout, or all into DIR", (*Env).intentsExport},
		{"challenge hash", "[--salt S] [--tolerance T] ANSWER...", "hash a coding challenge's expected answers for its file (argon2id)", (*Env).challengeHash},
		{"challenge try", "[--config FILE] ID [PART] ANSWER", "check an answer against a configured challenge, storing nothing: exit 0 if right, 1 if wrong", (*Env).challengeTry},
		{"leaderboard", "[--config FILE] [--db FILE] [--challenge ID | --season NAME] [--top N] [--csv]", "the coding challenges' leaderboard: all time, one challenge or a season, as a table or CSV", (*Env).leaderboard},
		{"version", "", "print the version", (*Env).version},
	}
}

// Run runs one command line (without the program's name).
func (c *Env) Run(args []string) int {
	stdout, stderr := c.Stdout, c.Stderr
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" && args[0] != "-help" {
		return c.run(args) // `docent` and `docent --config x` mean `docent run`
	}
	switch args[0] {
	case "-h", "--help", "-help", "help":
		c.usage(stdout)
		return exitOK
	}
	for _, cmd := range commands() {
		words := strings.Fields(cmd.name)
		if len(args) >= len(words) && slices.Equal(args[:len(words)], words) {
			return cmd.run(c, args[len(words):])
		}
	}
	if args[0] == "user" {
		fmt.Fprintf(stderr, "docent user: unknown or missing subcommand; try: docent user export|delete --platform P --id ID\n")
		return exitUsage
	}
	if args[0] == "config" {
		fmt.Fprintf(stderr, "docent config: unknown or missing subcommand; try: docent config check [FILE]\n")
		return exitUsage
	}
	if args[0] == "intents" {
		fmt.Fprintf(stderr, "docent intents: unknown or missing subcommand; try: docent intents export [--out DIR]\n")
		return exitUsage
	}
	if args[0] == "challenge" {
		fmt.Fprintf(stderr, "docent challenge: unknown or missing subcommand; try: docent challenge hash ANSWER, or docent challenge try ID ANSWER\n")
		return exitUsage
	}
	fmt.Fprintf(stderr, "docent: unknown command %q\n\n", args[0])
	c.usage(stderr)
	return exitUsage
}

func (c *Env) usage(w io.Writer) {
	fmt.Fprintf(w, "Docent: a chat bot for developer communities.\n\nUsage:\n")
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  docent %s %s\n        %s\n", cmd.name, cmd.args, cmd.summary)
	}
	fmt.Fprintf(w, "\nThe configuration is --config FILE, else $DOCENT_CONFIG, else ./%s, else the built-in default.\n", defaultConfig)
	fmt.Fprintf(w, "Run `docent COMMAND --help` for a command's options.\n")
}

// flags returns a flag set for a subcommand that prints its own help.
func (c *Env) flags(name, args, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet("docent "+name, flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: docent %s %s\n\n%s\n", name, args, summary)
		var has bool
		fs.VisitAll(func(*flag.Flag) { has = true })
		if has {
			fmt.Fprintf(fs.Output(), "\nOptions:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parse parses flags; done is true when the command should stop with code.
// Help asked for goes to stdout; help after a mistake goes to stderr.
func (c *Env) parse(fs *flag.FlagSet, args []string) (code int, done bool) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(c.Stdout)
		}
	}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK, true
	case err != nil:
		return exitUsage, true
	}
	return 0, false
}

// setup parses a command's flags and loads the configuration they name;
// done is true when the command should stop with code.
// configFile is read after the flags are parsed, so it is the flag's pointer.
func (c *Env) setup(fs *flag.FlagSet, args []string, configFile *string) (cfg *bot.Config, code int, done bool) {
	if code, done := c.parse(fs, args); done {
		return nil, code, true
	}
	cfg, err := c.loadConfig(*configFile)
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return nil, exitUsage, true
	}
	return cfg, 0, false
}

func commandInfo(name string) command {
	for _, cmd := range commands() {
		if cmd.name == name {
			return cmd
		}
	}
	panic("unknown command " + name)
}

func (c *Env) newFlags(name string) *flag.FlagSet {
	info := commandInfo(name)
	return c.flags(name, info.args, info.summary)
}

// loadConfig finds and loads the configuration: the flag, then
// $DOCENT_CONFIG, then ./config.example.yaml, then the built-in default.
// A config that names no brain.intents uses the built-in starter intents.
func (c *Env) loadConfig(flagValue string) (*bot.Config, error) {
	name := flagValue
	if name == "" {
		name = os.Getenv("DOCENT_CONFIG")
	}
	if name == "" {
		if _, err := os.Stat(defaultConfig); err == nil {
			name = defaultConfig
		}
	}
	if name == "" {
		return bot.LoadConfigFS(c.Defaults, defaultConfig, "built-in "+defaultConfig, c.starterIntents())
	}
	return bot.LoadConfig(name, c.starterIntents())
}

// starterIntents are the intents of a config that names none: those
// built in, which `docent intents export --out DIR` writes out to edit.
func (c *Env) starterIntents() bot.LoadOption {
	return bot.WithStarterIntents(c.Defaults, "intents")
}

// signalCtx is done at the first SIGINT or SIGTERM.
func signalCtx() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
}

func newLogger(cfg *bot.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level)) // validated with the config
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
