package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/store"
)

// zoo is a feature module with a section and a command-line command, as
// a program embedding Docent would add one.
type zoo struct {
	cfg struct {
		Animals int `yaml:"animals"`
	}
}

func (z *zoo) Name() string { return "zoo" }
func (z *zoo) Config() any  { return &z.cfg }
func (z *zoo) Validate(c *module.Check) {
	if z.cfg.Animals < 0 {
		c.Errorf("animals", "must be 0 or more, got %d", z.cfg.Animals)
	}
}

func (z *zoo) CommandLine() []module.CLICommand {
	return []module.CLICommand{{Name: "zoo count", Group: "Zoo", Args: "[--config FILE] [--db FILE]", Summary: "count the animals",
		Run: func(cl module.CommandLine, args []string) int {
			cfg, code, done := cl.Setup(cl.Flags(), args, true)
			if done {
				return code
			}
			st, err := cfg.OpenStore()
			if err != nil {
				fmt.Fprintln(cl.Stderr(), err)
				return module.ExitError
			}
			defer st.Close()
			conversations, err := st.Conversations(context.Background())
			if err != nil {
				fmt.Fprintln(cl.Stderr(), err)
				return module.ExitError
			}
			fmt.Fprintf(cl.Stdout(), "%d animals in %s, %d conversations\n", cfg.Module("zoo").(*zoo).cfg.Animals, filepath.Base(cfg.File()), len(conversations))
			return module.ExitOK
		}}}
}

// A module's command runs with the module as the config file configures
// it, is listed by docent help under its group, and a mistake in its
// section stops it with the file's line.
func TestModuleCommandLine(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "docent.yaml")
	write := func(zooSection string) {
		t.Helper()
		data := "store:\n  path: " + filepath.Join(dir, "docent.db") + "\nzoo:\n" + zooSection
		if err := os.WriteFile(cfgPath, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("  animals: 3\n")
	commands := append(Commands(), ModuleCommands([]module.Module{&zoo{}})...)
	var out, errb strings.Builder
	env := testEnv(nil, &out, &errb)
	env.Modules = []func() module.Module{func() module.Module { return &zoo{} }}

	if code := env.Run(commands, []string{"zoo", "count", "--config", cfgPath}); code != 1 || !strings.Contains(errb.String(), "no database at") {
		t.Errorf("zoo count before any database: exit %d, stderr %q", code, errb.String())
	}
	st, err := store.Open(filepath.Join(dir, "docent.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	errb.Reset()
	if code := env.Run(commands, []string{"zoo", "count", "--config", cfgPath}); code != 0 || out.String() != "3 animals in docent.yaml, 0 conversations\n" {
		t.Errorf("zoo count: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	out.Reset()
	if code := env.Run(commands, []string{"help"}); code != 0 || !strings.Contains(out.String(), "\nZoo:\n  docent zoo count [--config FILE] [--db FILE]\n        count the animals\n") {
		t.Errorf("docent help lacks the module's group:\n%s", out.String())
	}
	write("  animals: -1\n")
	errb.Reset()
	if code := env.Run(commands, []string{"zoo", "count", "--config", cfgPath}); code != 2 || !strings.Contains(errb.String(), "docent.yaml:4:12: zoo.animals: must be 0 or more, got -1") {
		t.Errorf("zoo count with a bad section: exit %d, stderr %q", code, errb.String())
	}
}

// keeper is a module whose command needs Docent opened as `docent run`
// would (module.Configuration.Start): the brain, provisioned.
type keeper struct{ host *module.Host }

func (k *keeper) Name() string { return "keeper" }

func (k *keeper) Provision(_ context.Context, h *module.Host) error {
	k.host = h
	return nil
}

func (k *keeper) CommandLine() []module.CLICommand {
	return []module.CLICommand{{Name: "keeper intents", Group: "Keeper", Summary: "count the intents in use",
		Run: func(cl module.CommandLine, args []string) int {
			cfg, code, done := cl.Setup(cl.Flags(), args, true)
			if done {
				return code
			}
			m, stop, err := cfg.Start(context.Background(), "keeper")
			if err != nil {
				fmt.Fprintln(cl.Stderr(), err)
				return module.ExitError
			}
			defer stop()
			fmt.Fprintf(cl.Stdout(), "%d intents in use\n", len(m.(*keeper).host.Brain().Intents()))
			if _, _, err := cfg.Start(context.Background(), "nosuch"); err == nil || !strings.Contains(err.Error(), "no module nosuch") {
				fmt.Fprintf(cl.Stderr(), "Start of a module that is not wired: %v\n", err)
				return module.ExitError
			}
			return module.ExitOK
		}}}
}

// A module's command can open Docent as `docent run` would and use its
// module provisioned, on the database Docent stored (TestDataCommandsTakeDB:
// it creates none).
func TestModuleCommandStartsDocent(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "intents"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		"docent.yaml": "store:\n  path: docent.db\nbrain:\n  intents: [intents]\n",
		filepath.Join("intents", "test.yaml"): "intents:\n  - name: greeting\n    patterns: [hello, hi]\n    responses: [Hello!]\n" +
			"  - name: thanks\n    patterns: [thank you, thanks]\n    responses: [You are welcome.]\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.Open(filepath.Join(dir, "docent.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	commands := append(Commands(), ModuleCommands([]module.Module{&keeper{}})...)
	var out, errb strings.Builder
	env := testEnv(nil, &out, &errb)
	env.Modules = []func() module.Module{func() module.Module { return &keeper{} }}
	if code := env.Run(commands, []string{"keeper", "intents", "--config", filepath.Join(dir, "docent.yaml")}); code != 0 || out.String() != "2 intents in use\n" {
		t.Errorf("keeper intents: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}

// Every command that reads history takes --db the same way: a database to
// read instead of store.path, which must exist (a mistyped name creates
// nothing), with the same message and exit code.
func TestDataCommandsTakeDB(t *testing.T) {
	commands := append(Commands(), ModuleCommands([]module.Module{&zoo{}})...)
	for _, tc := range []struct {
		command string
		args    []string
		// readsStorePath: without --db, the command reads store.path
		// and stops when there is no database there, creating none.
		readsStorePath bool
	}{
		{"stats", nil, true},
		{"gaps", nil, true},
		{"history", []string{"--list"}, true},
		{"zoo count", nil, true},
	} {
		t.Run(tc.command, func(t *testing.T) {
			dir := t.TempDir()
			cfgPath := filepath.Join(dir, "docent.yaml")
			if err := os.WriteFile(cfgPath, []byte("store:\n  path: "+filepath.Join(dir, "elsewhere.db")+"\nzoo:\n  animals: 2\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(dir, "copy.db")
			st, err := store.Open(db, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			st.Close()
			missing := filepath.Join(dir, "nope.db")
			var out, errb strings.Builder
			env := testEnv(nil, &out, &errb)
			env.Modules = []func() module.Module{func() module.Module { return &zoo{} }}
			run := func(args ...string) int {
				out.Reset()
				errb.Reset()
				args = append(append(strings.Fields(tc.command), tc.args...), args...)
				return env.Run(commands, args)
			}
			want := "docent: --db " + missing + ": stat " + missing + ": no such file or directory\n"
			if code := run("--config", cfgPath, "--db", missing); code != exitUsage || errb.String() != want {
				t.Errorf("--db of no file: exit %d, stderr %q; want %d, %q", code, errb.String(), exitUsage, want)
			}
			if _, err := os.Stat(missing); err == nil {
				t.Error("a database was created where --db pointed")
			}
			if code := run("--config", cfgPath, "--db", db); code != exitOK {
				t.Errorf("--db of a database: exit %d, stderr %q", code, errb.String())
			}
			if code := run("--config", cfgPath); tc.readsStorePath && (code != exitError || !strings.Contains(errb.String(), "no database at")) {
				t.Errorf("without --db, and no database at store.path: exit %d, stdout %q, stderr %q; want %d and no database at", code, out.String(), errb.String(), exitError)
			}
			if _, err := os.Stat(filepath.Join(dir, "elsewhere.db")); tc.readsStorePath && err == nil {
				t.Error("a database was created at store.path")
			}
		})
	}
}
