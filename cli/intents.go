package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/chat"
)

// intentsExportHelp is what `docent intents export -h` says.
const intentsExportHelp = `Export the intents as Docent uses them: the intents files plus the patterns
and intents admins taught in chat (!teach, !teach gap, !promote), in the
format of the intents files, so that you can commit them.

Without --out, prints one YAML document to stdout with only the intents the
lessons changed, each complete: an intent of your files with all its
patterns (replace the intent of that name in the file its comment names),
or an intent created in chat (add it to any intents file). Prints nothing
when nothing was taught.

With --out DIR, writes every intent into DIR: one file per intents file,
named like it, and taught-in-chat.yaml for the intents created in chat.
Point brain.intents at DIR, or copy the files over yours. Existing files are
not overwritten without --force. Comments of the original files are not kept.

Either way, once your files hold what was taught, remove the lessons with
docent lessons rm (the comments list their IDs).`

// intentsCommands write the intents out as files.
func intentsCommands() []Command {
	return []Command{
		{Name: "intents export", Group: "Lessons", Args: "[--config FILE] [--out DIR [--force]]", Summary: "write the intents with what was taught in chat as intents files: the changed ones to stdout, or all into DIR",
			Help: intentsExportHelp, Run: (*Env).intentsExport},
	}
}

// intentsExport writes the intents as Docent uses them (the files plus
// what admins taught in chat) as intents files, so that what was taught
// can be committed with the rest.
func (c *Env) intentsExport(args []string) int {
	fs := c.Flags()
	configFile := fs.String("config", "", "configuration `FILE`")
	out := fs.String("out", "", "write every intent, one file per intents file plus "+
		"taught-in-chat.yaml, into `DIR` (created if needed) instead of printing the changed ones")
	force := fs.Bool("force", false, "with --out: overwrite files that exist (their comments are lost)")
	cfg, code, done := c.Setup(fs, args, configFile)
	if done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(c.Stderr, "docent intents export: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if *force && *out == "" {
		fmt.Fprintln(c.Stderr, "docent intents export: --force only applies with --out DIR")
		return exitUsage
	}
	if _, err := os.Stat(cfg.StorePath()); !cfg.OnPostgres() && errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(c.Stderr, "docent intents export: no database at %s yet, so nothing was taught: the intents files are what Docent uses\n", cfg.StorePath())
		return exitError
	}
	x, err := bot.ExportIntents(context.Background(), cfg, newLogger(cfg, io.Discard))
	if err != nil {
		fmt.Fprintf(c.Stderr, "docent intents export: %v\n", err)
		return exitError
	}
	for _, l := range x.LeftOut {
		fmt.Fprintf(c.Stderr, "docent intents export: left out %s\n", l)
	}
	if *out == "" {
		data, err := x.ChangedYAML()
		if err != nil {
			fmt.Fprintf(c.Stderr, "docent intents export: %v\n", err)
			return exitError
		}
		if data == nil {
			fmt.Fprintln(c.Stderr, "docent intents export: nothing was taught in chat: the intents files are what Docent uses")
			return exitOK
		}
		c.Stdout.Write(data)
		return exitOK
	}
	return c.writeExport(x, *out, *force)
}

// writeExport writes each file of x into dir; none unless all can be.
func (c *Env) writeExport(x bot.IntentsExport, dir string, force bool) int {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(c.Stderr, "docent intents export: create %s: %v\n", dir, err)
		return exitError
	}
	var exist []string
	for _, f := range x.Files {
		if _, err := os.Stat(filepath.Join(dir, f.Name)); err == nil {
			exist = append(exist, filepath.Join(dir, f.Name))
		}
	}
	if len(exist) > 0 && !force {
		fmt.Fprintf(c.Stderr, "docent intents export: %s already exist; nothing written (--force overwrites them, losing their comments)\n", strings.Join(exist, ", "))
		return exitError
	}
	// Render everything before writing anything.
	data := make([][]byte, len(x.Files))
	for i, f := range x.Files {
		var err error
		if data[i], err = f.YAML(); err != nil {
			fmt.Fprintf(c.Stderr, "docent intents export: %s: %v\n", f.Name, err)
			return exitError
		}
	}
	changed := 0
	for i, f := range x.Files {
		path := filepath.Join(dir, f.Name)
		if err := writeFileAtomic(path, data[i]); err != nil {
			fmt.Fprintf(c.Stderr, "docent intents export: %v\n", err)
			return exitError
		}
		n := 0
		for _, in := range f.Intents {
			if in.Changed() {
				n++
			}
		}
		changed += n
		from := "created in chat"
		if f.Source != "" {
			from = "from " + f.Source
		}
		fmt.Fprintf(c.Stdout, "wrote %s: %s %s, %d changed in chat\n", path, chat.Plural(len(f.Intents), "intent"), from, n)
	}
	if changed > 0 {
		fmt.Fprintf(c.Stdout, "Point brain.intents at %s (or copy the files over yours), then remove the lessons: the comments list them.\n", dir)
	}
	return exitOK
}

// writeFileAtomic writes data to path through a temporary file renamed
// into place, so that a crash never leaves half an intents file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, there is nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
