package module

import (
	"context"
	"flag"
	"io"

	"github.com/docent-bot/docent/bot/config"
	"github.com/docent-bot/docent/store"
)

// CommandLiner is a module with commands of its own on the command line
// (`docent challenge try`). Its commands are declared on a module fresh
// from its constructor; the one that runs gets the module as the config
// file configures it from CommandLine.Setup.
type CommandLiner interface {
	CommandLine() []CLICommand
}

// CLICommand is one command of the command line a module brings. `docent
// help` lists it under Group, and `docent NAME -h` prints its usage.
type CLICommand struct {
	Name    string // the words after docent: "challenge try"
	Group   string // docent help's heading: "Challenges"
	Args    string // what follows the name in its usage line
	Summary string // one line for docent help
	Help    string // what -h says below the usage line, when more than Summary
	// Run runs the command with the arguments after its name and returns
	// the exit code: 0 for success, 1 when something failed while running,
	// 2 for a bad command line or configuration.
	Run func(cl CommandLine, args []string) int
}

// Exit codes of a command.
const (
	ExitOK    = 0
	ExitError = 1 // something failed while running
	ExitUsage = 2 // a bad command line or configuration
)

// CommandLine is what a module's command runs with: the process's
// streams, its flags, and the configuration the command line names.
type CommandLine interface {
	Stdout() io.Writer
	Stderr() io.Writer
	// Flags returns the command's flag set, its usage from the
	// declaration.
	Flags() *flag.FlagSet
	// Parse parses args with fs; done is true when the command should
	// stop with code (-h, or a bad flag, already reported).
	Parse(fs *flag.FlagSet, args []string) (code int, done bool)
	// Setup adds --config (unless fs has it already, with a usage of the
	// command's own) and, with withDB, --db to fs, parses args and loads
	// the configuration; done is true when the command should stop with
	// code (the problem already reported).
	Setup(fs *flag.FlagSet, args []string, withDB bool) (Configuration, int, bool)
	// Context is done when the process is asked to stop (SIGINT,
	// SIGTERM), so that a command that waits stops with an error, not
	// halfway; cancel releases it.
	Context() (ctx context.Context, cancel context.CancelFunc)
}

// Configuration is a loaded config file, as a module's command sees it.
type Configuration interface {
	// Module is the module named name as the file configures it (its
	// section decoded and validated), not provisioned; nil when there is
	// none.
	Module(name string) Module
	Files() Files
	Positions() config.Positions
	// File is the config file's name as the admin gave it.
	File() string
	// OpenStore opens the database the config names (or --db), which must
	// exist: reading never creates one where a mistyped name pointed.
	OpenStore() (*store.Store, error)
	// CreateStore opens the database at path, or the one the config names
	// when path is "", creating it when there is none yet (`docent import`
	// into a new Docent). It fails with store.ErrLocked when a Docent has
	// it open.
	CreateStore(path string) (*store.Store, error)
	// Start opens Docent as `docent run` would, without running it (no
	// adapters, no listener), and returns its module named name,
	// provisioned: for a command that needs the brain and the records
	// together (`docent gaps`). stop closes it. It reads what Docent
	// stored: with no database at store.path it fails, creating none.
	Start(ctx context.Context, name string) (m Module, stop func() error, err error)
	// ExportMember writes everything stored about m, as indented JSON, to
	// w, and ForgetMember deletes it: in the database the config names,
	// or, when a Docent has it open, through that Docent (its control
	// socket), which also forgets what it holds in memory.
	ExportMember(ctx context.Context, m store.MemberRef, w io.Writer) error
	ForgetMember(ctx context.Context, m store.MemberRef) (store.Forgotten, error)
	// Control opens a module's op (ControlOp) on the control socket of
	// the Docent that has the database open, sending args (JSON) with the
	// request; then the connection speaks the op's own protocol. It fails
	// when no Docent runs there, or when the one running has no such op
	// (an older Docent).
	Control(ctx context.Context, op string, args any) (ControlConn, error)
}
