package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/store"
)

// privacyCommands keep the database and a member's data: backups, compaction, export and deletion.
func privacyCommands() []Command {
	return []Command{
		{Name: "backup", Group: "Data and privacy", Args: "[--config FILE] [--force] FILE", Summary: "copy the database into FILE, consistently, while Docent runs or not", Run: (*Env).backup},
		{Name: "restore", Group: "Data and privacy", Args: "[--config FILE] FILE", Summary: "put a backup in place of the database (Docent stopped; the old file is kept beside it)", Run: (*Env).restore},
		{Name: "compact", Group: "Data and privacy", Args: "[--config FILE]", Summary: "rewrite the database without its free pages (Docent stopped)", Run: (*Env).compact},
		{Name: "user export", Group: "Data and privacy", Args: "--platform P --id ID [--out FILE] [--config FILE]", Summary: "everything stored about a member, as JSON", Run: (*Env).userExport},
		{Name: "user delete", Group: "Data and privacy", Args: "--platform P --id ID --yes [--config FILE]", Summary: "delete everything stored about a member", Run: (*Env).userDelete},
	}
}

// withStore runs fn on the configured database when no Docent has it
// open; running reports that one does (then the caller asks it through
// the control socket).
func (c *Env) withStore(cfg *bot.Config, fn func(*store.Store) error) (running bool, err error) {
	st, err := openHistory(cfg)
	if errors.Is(err, store.ErrLocked) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	defer st.Close()
	return false, fn(st)
}

func (c *Env) backup(args []string) int {
	fs := c.Flags()
	configFile := fs.String("config", "", "configuration `FILE` (for the database path)")
	force := fs.Bool("force", false, "replace FILE if it exists")
	cfg, code, done := c.Setup(fs, args, configFile)
	if done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(c.Stderr, "docent backup: give the backup's FILE name, like: docent backup docent-2026-11-28.db")
		return exitUsage
	}
	dst := fs.Arg(0)
	if _, err := os.Stat(dst); err == nil && !*force {
		fmt.Fprintf(c.Stderr, "docent backup: %s exists; give a new name or --force\n", dst)
		return exitUsage
	}
	ctx, stop := signalCtx()
	defer stop()
	c.removeLeftovers("backup", filepath.Dir(dst), store.BackupTemp)
	c.removeLeftovers("backup", filepath.Dir(cfg.StorePath()), store.DatabaseTemps(cfg.StorePath())...)
	// Into a temporary file beside the destination, renamed at the end:
	// an interrupted backup never leaves a truncated file under its name.
	tmp, err := store.CreateTemp(filepath.Dir(dst), store.BackupTemp)
	if err != nil {
		fmt.Fprintln(c.Stderr, "docent backup:", err)
		return exitError
	}
	defer os.Remove(tmp.Name())
	from := "the database"
	start := time.Now()
	running, err := c.withStore(cfg, func(st *store.Store) error {
		_, err := st.Backup(ctx, tmp)
		return err
	})
	if running {
		from = "the running Docent"
		_, err = bot.Control(ctx, cfg, bot.ControlRequest{Op: "backup"}, tmp)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if verr := store.Verify(tmp.Name()); verr != nil {
			err = fmt.Errorf("the copy %w", verr)
		}
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		fmt.Fprintln(c.Stderr, "docent backup:", err)
		return exitError
	}
	fi, _ := os.Stat(dst)
	fmt.Fprintf(c.Stdout, "backed up %s (%.1f MB) from %s in %s; restore it with: docent restore %s\n",
		dst, float64(fi.Size())/1e6, from, time.Since(start).Round(time.Millisecond), dst)
	return exitOK
}

// removeLeftovers removes the copies of the database that a killed
// Docent left in dir, and says so.
func (c *Env) removeLeftovers(command, dir string, patterns ...string) {
	removed, err := store.RemoveLeftovers(dir, patterns...)
	for _, l := range removed {
		fmt.Fprintf(c.Stderr, "docent %s: removed %s (%.1f MB), a copy of the database left by an interrupted run\n", command, l.Path, float64(l.Size)/1e6)
	}
	if err != nil {
		fmt.Fprintf(c.Stderr, "docent %s: %v\n", command, err)
	}
}

func (c *Env) restore(args []string) int {
	fs := c.Flags()
	configFile := fs.String("config", "", "configuration `FILE` (for the database path)")
	cfg, code, done := c.Setup(fs, args, configFile)
	if done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(c.Stderr, "docent restore: give the backup FILE to restore")
		return exitUsage
	}
	src, dst := fs.Arg(0), cfg.StorePath()
	if _, err := os.Stat(src); err != nil {
		fmt.Fprintln(c.Stderr, "docent restore:", err)
		return exitUsage
	}
	kept, err := store.Restore(src, dst, cfg.Store.LockTimeout)
	if errors.Is(err, store.ErrLocked) {
		fmt.Fprintf(c.Stderr, "docent restore: Docent is running on %s; stop it first\n", dst)
		return exitError
	}
	if err != nil {
		fmt.Fprintln(c.Stderr, "docent restore:", err)
		return exitError
	}
	fmt.Fprintf(c.Stdout, "restored %s from %s", dst, src)
	if kept != "" {
		fmt.Fprintf(c.Stdout, "; the database it replaced is kept as %s", kept)
	}
	fmt.Fprintln(c.Stdout)
	return exitOK
}

func (c *Env) compact(args []string) int {
	fs := c.Flags()
	configFile := fs.String("config", "", "configuration `FILE` (for the database path)")
	cfg, code, done := c.Setup(fs, args, configFile)
	if done {
		return code
	}
	path := cfg.StorePath()
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintln(c.Stderr, "docent compact:", err)
		return exitError
	}
	start := time.Now()
	sizes, err := store.CompactFile(path, cfg.Store.LockTimeout)
	if errors.Is(err, store.ErrLocked) {
		fmt.Fprintf(c.Stderr, "docent compact: Docent is running on %s; stop it first\n", path)
		return exitError
	}
	if err != nil {
		fmt.Fprintln(c.Stderr, "docent compact:", err)
		return exitError
	}
	fmt.Fprintf(c.Stdout, "compacted %s from %.1f MB to %.1f MB in %s\n", path,
		float64(sizes.Before)/1e6, float64(sizes.After)/1e6, time.Since(start).Round(time.Millisecond))
	return exitOK
}

func (c *Env) userCommand(name string, args []string) (cfg *bot.Config, m store.MemberRef, fs flagSet, code int, done bool) {
	f := c.Flags()
	configFile := f.String("config", "", "configuration `FILE` (for the database path)")
	platform := f.String("platform", "", "the member's `platform`: discord, slack, console")
	id := f.String("id", "", "the member's platform user `ID`")
	out := f.String("out", "", "export: write to `FILE` instead of stdout")
	yes := f.Bool("yes", false, "delete: do it (without it, nothing is deleted)")
	cfg, code, done = c.Setup(f, args, configFile)
	if done {
		return nil, m, flagSet{}, code, true
	}
	if *platform == "" || *id == "" {
		fmt.Fprintf(c.Stderr, "docent user %s: give the member with --platform and --id, like --platform discord --id 80351110224678912\n", name)
		return nil, m, flagSet{}, exitUsage, true
	}
	return cfg, store.MemberRef{Platform: *platform, ID: *id}, flagSet{out: *out, yes: *yes}, 0, false
}

type flagSet struct {
	out string
	yes bool
}

func (c *Env) userExport(args []string) int {
	cfg, m, f, code, done := c.userCommand("export", args)
	if done {
		return code
	}
	ctx, stop := signalCtx()
	defer stop()
	var buf bytes.Buffer
	running, err := c.withStore(cfg, func(st *store.Store) error {
		d, err := st.ExportMember(ctx, m)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		return enc.Encode(d)
	})
	if running {
		_, err = bot.Control(ctx, cfg, bot.ControlRequest{Op: "export", Member: m}, &buf)
	}
	if err != nil {
		fmt.Fprintln(c.Stderr, "docent user export:", err)
		return exitError
	}
	if f.out == "" {
		c.Stdout.Write(buf.Bytes())
		return exitOK
	}
	if err := os.WriteFile(f.out, buf.Bytes(), 0o600); err != nil {
		fmt.Fprintln(c.Stderr, "docent user export:", err)
		return exitError
	}
	fmt.Fprintf(c.Stderr, "wrote %s's data to %s (%d bytes)\n", m, f.out, buf.Len())
	return exitOK
}

func (c *Env) userDelete(args []string) int {
	cfg, m, f, code, done := c.userCommand("delete", args)
	if done {
		return code
	}
	if !f.yes {
		fmt.Fprintf(c.Stderr, "docent user delete: this deletes everything stored about %s and cannot be undone; add --yes to do it (docent user export first keeps a copy)\n", m)
		return exitUsage
	}
	ctx, stop := signalCtx()
	defer stop()
	var forgotten store.Forgotten
	running, err := c.withStore(cfg, func(st *store.Store) error {
		var err error
		forgotten, err = st.ForgetMember(ctx, m)
		return err
	})
	if running {
		var rep bot.ControlReply
		rep, err = bot.Control(ctx, cfg, bot.ControlRequest{Op: "forget", Member: m}, io.Discard)
		if rep.Forgotten != nil {
			forgotten = *rep.Forgotten
		}
	}
	if err != nil {
		fmt.Fprintln(c.Stderr, "docent user delete:", err)
		return exitError
	}
	var parts strings.Builder
	for _, k := range slices.Sorted(maps.Keys(forgotten.Parts)) {
		if k == "lessons" {
			continue // not deleted: said below
		}
		fmt.Fprintf(&parts, ", %d %s", forgotten.Parts[k], strings.ReplaceAll(k, "_", " "))
	}
	fmt.Fprintf(c.Stdout, "deleted %s: %d messages, %d answers to them, %d votes, %d days of LLM usage%s; %d lessons no longer name them; out of %d days of activity counters\n",
		m, forgotten.Messages, forgotten.Answers, forgotten.Votes, forgotten.Usage, parts.String(), forgotten.Parts["lessons"], forgotten.Activity)
	fmt.Fprintln(c.Stdout, "Freed pages can still hold the deleted bytes until they are reused; `docent compact` (with Docent stopped) rewrites the file without them.")
	return exitOK
}
