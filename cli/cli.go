// Package cli is Docent's command line: running the bot and its tools
// (config check, history, train, eval, stats, backups, challenges...).
// The root's main package embeds the default assets and calls Main.
package cli

import (
	"cmp"
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
	"github.com/docent-bot/docent/bot/config"
	"github.com/docent-bot/docent/bot/module"
)

const defaultConfig = "config.example.yaml"

// Main runs the command line args (os.Args: the program's name first)
// with the commands given (Commands, and any a module declares) and
// returns the process's exit code.
func Main(args []string, env *Env, commands []Command) int {
	if len(args) > 0 {
		args = args[1:]
	}
	return env.Run(commands, args)
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // something failed while running
	exitUsage = 2 // bad command line or configuration
)

// Command is one command of the command line, declared once: the
// dispatch, `docent help`, `docent help NAME` and `docent NAME -h` all
// come from it.
type Command struct {
	Name    string // the words after docent: "challenge try"
	Group   string // the heading docent help lists it under
	Args    string // what follows the name in its usage line
	Summary string // one line for docent help
	Help    string // what -h says below the usage line, when more than Summary
	// Run runs the command with the arguments after its name and returns
	// the exit code: 0 for success, 1 when something failed while running,
	// 2 for a bad command line or configuration. env.Flags makes its flag
	// set, with this usage; env.LoadConfig and env.Logger do the rest.
	Run func(env *Env, args []string) int
	// Secrets makes env.LoadConfig check the tokens and keys the config
	// names (run, config check); other commands reach no platform and no
	// LLM, and run without them (bot.WithoutSecrets).
	Secrets bool
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
	// Modules are feature modules beyond Docent's own, for a program that
	// embeds Docent (bot.WithModules): every config the commands load
	// reads their sections.
	Modules []func() module.Module

	commands []Command // the table being run, for help
	command  *Command  // the command running, for its flags' usage
}

// Commands are Docent's commands, group by group, in the order docent
// help lists them.
func Commands() []Command {
	return slices.Concat(
		runCommands(),
		versionCommands(),
		initCommands(),
		configCommands(),
		historyCommands(),
		brainCommands(),
		evalDocsCommands(),
		intentsCommands(),
		privacyCommands(),
		migrateCommands(),
		benchCommands(),
		moduleCommands(),
	)
}

// checkCommands finds the mistakes of a table: a command without a name
// or a Run, or declared twice.
func checkCommands(commands []Command) error {
	var errs []error
	seen := map[string]bool{}
	for i, cmd := range commands {
		name := strings.Join(strings.Fields(cmd.Name), " ")
		switch {
		case name == "":
			errs = append(errs, fmt.Errorf("command %d has no name", i))
		case seen[name]:
			errs = append(errs, fmt.Errorf("command %q is declared twice", name))
		case cmd.Run == nil:
			errs = append(errs, fmt.Errorf("command %q has nothing to run", name))
		}
		seen[name] = true
	}
	return errors.Join(errs...)
}

// Run runs one command line (without the program's name) with commands.
func (c *Env) Run(commands []Command, args []string) int {
	if err := checkCommands(commands); err != nil {
		fmt.Fprintf(c.Stderr, "docent: %v\n", err)
		return exitError
	}
	c = c.with(commands, nil)
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && !isHelpFlag(args[0]) {
		args = append([]string{"run"}, args...) // `docent` and `docent --config x` mean `docent run`
	}
	if isHelpFlag(args[0]) {
		c.usage(c.Stdout)
		return exitOK
	}
	cmd, n, ok := match(commands, args)
	if !ok {
		return c.unknown(args)
	}
	return cmd.Run(c.with(commands, &cmd), args[n:])
}

func isHelpFlag(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// with is c running the table commands, and cmd of it (nil: none yet).
func (c *Env) with(commands []Command, cmd *Command) *Env {
	e := *c
	e.commands, e.command = commands, cmd
	return &e
}

// match finds the command whose words begin args, the longest such (so
// that "lessons rm" wins over "lessons"); n is how many words it took.
func match(commands []Command, args []string) (cmd Command, n int, ok bool) {
	for _, c := range commands {
		words := strings.Fields(c.Name)
		if len(words) > n && len(args) >= len(words) && slices.Equal(args[:len(words)], words) {
			cmd, n, ok = c, len(words), true
		}
	}
	return cmd, n, ok
}

// unknown tells that args name no command, with the nearest one when a
// typing mistake away, and returns the exit code.
func (c *Env) unknown(args []string) int {
	var group []Command // the commands of a group word typed right: "challenge lst"
	for _, cmd := range c.commands {
		if words := strings.Fields(cmd.Name); len(words) > 1 && words[0] == args[0] {
			group = append(group, cmd)
		}
	}
	if len(group) > 0 {
		sub := ""
		if len(args) > 1 {
			sub = fmt.Sprintf(" %q", args[1])
		}
		fmt.Fprintf(c.Stderr, "docent %s: unknown or missing subcommand%s", args[0], sub)
		if near := nearest(names(group, false), args); near != "" {
			fmt.Fprintf(c.Stderr, "; did you mean %q?", "docent "+near)
		}
		fmt.Fprintf(c.Stderr, "\nThe %s commands:\n", args[0])
		for _, cmd := range group {
			fmt.Fprintf(c.Stderr, "  docent %s %s\n", cmd.Name, cmd.Args)
		}
		return exitUsage
	}
	fmt.Fprintf(c.Stderr, "docent: unknown command %q", args[0])
	if near := nearest(names(c.commands, true), args); near != "" {
		fmt.Fprintf(c.Stderr, "; did you mean %q?", "docent "+near)
	}
	fmt.Fprintf(c.Stderr, "\nRun `docent help` for the commands.\n")
	return exitUsage
}

// names are the commands' names, by how many words they have; with
// groups, the first word of every name too ("challenge").
func names(commands []Command, groups bool) map[int][]string {
	byWords := map[int][]string{}
	for _, cmd := range commands {
		words := strings.Fields(cmd.Name)
		byWords[len(words)] = append(byWords[len(words)], strings.Join(words, " "))
		if groups && len(words) > 1 {
			byWords[1] = append(byWords[1], words[0])
		}
	}
	return byWords
}

// nearest is the name that args would begin with but for a typing
// mistake ("chalenge try", "stat"), or "". Longer names are tried first,
// so that "user exprot" finds "user export", not "user".
func nearest(names map[int][]string, args []string) string {
	for n := len(args); n > 0; n-- {
		if near := config.Closest(strings.Join(args[:n], " "), names[n]); near != "" {
			return near
		}
	}
	return ""
}

// usage is docent help: every command, group by group.
func (c *Env) usage(w io.Writer) {
	fmt.Fprintf(w, "Docent: a chat bot for developer communities.\n\nUsage: docent COMMAND [options]\n")
	var groups []string
	for _, cmd := range c.commands {
		if !slices.Contains(groups, cmd.Group) {
			groups = append(groups, cmd.Group)
		}
	}
	for _, g := range groups {
		fmt.Fprintf(w, "\n%s:\n", cmp.Or(g, "Other"))
		for _, cmd := range c.commands {
			if cmd.Group == g {
				printCommand(w, cmd)
			}
		}
	}
	fmt.Fprintf(w, "\nThe configuration is --config FILE, else $DOCENT_CONFIG, else ./%s, else the built-in default.\n", defaultConfig)
	fmt.Fprintf(w, "Run `docent help COMMAND` or `docent COMMAND --help` for a command's options.\n")
}

func printCommand(w io.Writer, cmd Command) {
	fmt.Fprintf(w, "  %s\n        %s\n", strings.TrimSpace("docent "+cmd.Name+" "+cmd.Args), cmd.Summary)
}

// help is docent help [COMMAND]: all the commands; one command's usage
// and options, as `docent COMMAND -h` shows them; or the commands of a
// group ("challenge", or a heading like "Challenges").
func (c *Env) help(args []string) int {
	fs := c.Flags()
	if code, done := c.Parse(fs, args); done {
		return code
	}
	if args = fs.Args(); len(args) == 0 {
		c.usage(c.Stdout)
		return exitOK
	}
	if cmd, n, ok := match(c.commands, args); ok {
		if n < len(args) {
			fmt.Fprintf(c.Stderr, "docent help: unexpected argument %q (docent help %s shows that command)\n", args[n], cmd.Name)
			return exitUsage
		}
		return cmd.Run(c.with(c.commands, &cmd), []string{"-h"})
	}
	var group []Command
	for _, cmd := range c.commands {
		if words := strings.Fields(cmd.Name); len(args) == 1 && (words[0] == args[0] || strings.EqualFold(cmd.Group, args[0])) {
			group = append(group, cmd)
		}
	}
	if len(group) == 0 {
		return c.unknown(args)
	}
	for _, cmd := range group {
		printCommand(c.Stdout, cmd)
	}
	return exitOK
}

// flags returns a flag set for a subcommand that prints its own help.
func (c *Env) flags(name, args, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet("docent "+name, flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s\n\n%s\n", strings.TrimSpace("docent "+name+" "+args), summary)
		var has bool
		fs.VisitAll(func(*flag.Flag) { has = true })
		if has {
			fmt.Fprintf(fs.Output(), "\nOptions:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// Parse parses flags; done is true when the command should stop with code.
// Help asked for goes to stdout; help after a mistake goes to stderr.
func (c *Env) Parse(fs *flag.FlagSet, args []string) (code int, done bool) {
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
	if opt := optionAfterArguments(fs, args); opt != "" {
		// Go's flags end at the first argument: "docent import FILE --db X"
		// would import a file named --db. Say so instead.
		fmt.Fprintf(c.Stderr, "%s: the option %s comes after the arguments, where it would be read as one; put the options first: %s [options] %s\n",
			fs.Name(), opt, fs.Name(), strings.Join(fs.Args(), " "))
		return exitUsage, true
	}
	return 0, false
}

// optionAfterArguments returns the first of fs's arguments (after its
// flags) that names one of its flags, "-db" or "--db=x", as typed; "" when
// none does or when "--" ended the flags on purpose.
func optionAfterArguments(fs *flag.FlagSet, args []string) string {
	rest := fs.Args()
	if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
		return ""
	}
	for _, a := range rest {
		if a == "--" {
			return ""
		}
		name, ok := strings.CutPrefix(a, "-")
		if !ok {
			continue
		}
		name = strings.TrimPrefix(name, "-")
		name, _, _ = strings.Cut(name, "=")
		if name != "" && fs.Lookup(name) != nil {
			return a
		}
	}
	return ""
}

// Setup parses a command's flags and loads the configuration they name;
// done is true when the command should stop with code.
// configFile is read after the flags are parsed, so it is the flag's pointer.
func (c *Env) Setup(fs *flag.FlagSet, args []string, configFile *string) (cfg *bot.Config, code int, done bool) {
	if code, done := c.Parse(fs, args); done {
		return nil, code, true
	}
	cfg, err := c.LoadConfig(*configFile)
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return nil, exitUsage, true
	}
	return cfg, 0, false
}

// Flags returns the flag set of the command running, whose usage
// comes from its declaration.
func (c *Env) Flags() *flag.FlagSet {
	var cmd Command
	if c.command != nil {
		cmd = *c.command
	}
	return c.flags(cmd.Name, cmd.Args, cmp.Or(cmd.Help, cmd.Summary))
}

// LoadConfig finds and loads the configuration: the flag, then
// $DOCENT_CONFIG, then ./config.example.yaml, then the built-in default.
// A config that names no brain.intents uses the built-in starter intents.
func (c *Env) LoadConfig(flagValue string) (*bot.Config, error) {
	name := flagValue
	if name == "" {
		name = os.Getenv("DOCENT_CONFIG")
	}
	if name == "" {
		if _, err := os.Stat(defaultConfig); err == nil {
			name = defaultConfig
		}
	}
	opts := []bot.LoadOption{c.starterIntents(), opsListen(), bot.WithModules(c.Modules...)}
	if c.command == nil || !c.command.Secrets {
		opts = append(opts, bot.WithoutSecrets())
	}
	if name == "" {
		return bot.LoadConfigFS(c.Defaults, defaultConfig, "built-in "+defaultConfig, opts...)
	}
	return bot.LoadConfig(name, opts...)
}

// starterIntents are the intents of a config that names none: those
// built in, which `docent intents export --out DIR` writes out to edit.
func (c *Env) starterIntents() bot.LoadOption {
	return bot.WithStarterIntents(c.Defaults, "intents")
}

// opsListen is $DOCENT_OPS_LISTEN, which replaces the config's ops.listen
// when set: a container's address, or a free port for tests.
func opsListen() bot.LoadOption {
	addr, ok := os.LookupEnv("DOCENT_OPS_LISTEN")
	if !ok {
		return func(*bot.Config) {}
	}
	return bot.WithOpsListen(addr, "$DOCENT_OPS_LISTEN")
}

// signalCtx is done at the first SIGINT or SIGTERM.
func signalCtx() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
}

// Logger is the log a command writes to stderr, as cfg's log section says.
func (c *Env) Logger(cfg *bot.Config) *slog.Logger { return newLogger(cfg, c.Stderr) }

func newLogger(cfg *bot.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level)) // validated with the config
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
