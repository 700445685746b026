package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/store"
)

// privacyCommands keep the database: backups, restoring and compaction
// (a member's data is the privacy module's: bot/privacy).
func privacyCommands() []Command {
	return []Command{
		{Name: "backup", Group: "Data and privacy", Args: "[--config FILE] [--force] FILE", Summary: "copy the database into FILE, consistently, while Docent runs or not", Run: (*Env).backup},
		{Name: "restore", Group: "Data and privacy", Args: "[--config FILE] FILE", Summary: "put a backup in place of the database (Docent stopped; the old file is kept beside it)", Run: (*Env).restore},
		{Name: "compact", Group: "Data and privacy", Args: "[--config FILE] [--db FILE]", Summary: "rewrite the database without its free pages (Docent stopped)", Run: (*Env).compact},
		{Name: "sizes", Group: "Data and privacy", Args: "[--config FILE] [--db FILE] [--json]", Summary: "where the database's bytes go: each bucket's keys, values, pages and how full they are, and bytes per message", Run: (*Env).sizes},
	}
}

// withStore runs fn on the configured database when no Docent has it
// open; running reports that one does (then the caller asks it through
// the control socket).
func withStore(cfg *bot.Config, fn func(*store.Store) error) (running bool, err error) {
	return withOpened(cfg, openHistory, fn)
}

// withOpened is withStore with the database opened by open.
func withOpened(cfg *bot.Config, open func(*bot.Config) (*store.Store, error), fn func(*store.Store) error) (running bool, err error) {
	st, err := open(cfg)
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
	if c.onPostgres(cfg, "backup", "back it up with PostgreSQL's own tools: pg_dump --format=custom --file=FILE \"$DOCENT_DATABASE_URL\"") {
		return exitError
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
	// The file as it is: a backup taken by a newer Docent before its first
	// start is what an older one can go back to, so the modules' schemas
	// are not migrated, nor their figures brought up to date, first.
	running, err := withOpened(cfg, func(cfg *bot.Config) (*store.Store, error) { return bot.OpenStoreAsItIs(cfg, nil) }, func(st *store.Store) error {
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

// onPostgres says, when the history is in PostgreSQL, that command works
// on the bbolt file and what to use instead; it reports whether it did.
func (c *Env) onPostgres(cfg *bot.Config, command, instead string) bool {
	if !cfg.OnPostgres() {
		return false
	}
	fmt.Fprintf(c.Stderr, "docent %s: works on the bbolt file (store.path), and this Docent keeps its history in PostgreSQL (store.postgres.url): %s\n", command, instead)
	return true
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
	if c.onPostgres(cfg, "restore", "restore a pg_dump backup with pg_restore") {
		return exitError
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
	f := newDataFlags(fs, "configuration `FILE` (for the database path)", true)
	cfg, code, done := c.setupData(fs, args, f)
	if done {
		return code
	}
	if c.onPostgres(cfg, "compact", "PostgreSQL reuses freed space itself (autovacuum); VACUUM FULL kv_pairs gives it back to the disk") {
		return exitError
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

func (c *Env) sizes(args []string) int {
	fs := c.Flags()
	f := newDataFlags(fs, "configuration `FILE` (for the database path)", true)
	asJSON := fs.Bool("json", false, "print JSON")
	cfg, code, done := c.setupData(fs, args, f)
	if done {
		return code
	}
	if c.onPostgres(cfg, "sizes", "ask PostgreSQL: SELECT pg_size_pretty(pg_total_relation_size('kv_pairs'))") {
		return exitError
	}
	path := cfg.StorePath()
	sz, err := store.MeasureSizes(path, cfg.Store.LockTimeout)
	if errors.Is(err, store.ErrLocked) {
		fmt.Fprintf(c.Stderr, "docent sizes: Docent is running on %s; stop it first, or measure a backup (docent backup FILE)\n", path)
		return exitError
	}
	if err != nil {
		fmt.Fprintln(c.Stderr, "docent sizes:", err)
		return exitError
	}
	if *asJSON {
		return c.printJSON(sz)
	}
	w := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "bucket\tkeys\tkey bytes\tvalue bytes\tleaf pages\tbranch pages\tnested\tinline\ton disk\tfill\t")
	var alloc int64
	for _, b := range sz.Buckets {
		alloc += b.Alloc
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.0f%%\t\n", b.Name, b.Keys, b.KeyBytes, b.ValueBytes,
			b.LeafPages, b.BranchPages, b.Buckets, b.Inline, b.Alloc, 100*b.Fill())
	}
	w.Flush()
	fmt.Fprintf(c.Stdout, "%s: %d bytes, %d up to its last page in use (%d in the buckets' pages of %d bytes, the rest free); %d messages", path, sz.File, sz.Used, alloc, sz.PageSize, sz.Messages)
	if sz.Messages > 0 {
		fmt.Fprintf(c.Stdout, ", %.0f bytes per message (%.0f up to the last page, %.0f in the buckets)", float64(sz.File)/float64(sz.Messages),
			float64(sz.Used)/float64(sz.Messages), float64(alloc)/float64(sz.Messages))
	}
	fmt.Fprintln(c.Stdout)
	return exitOK
}
