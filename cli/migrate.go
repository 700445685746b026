package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/internal/progress"
	"github.com/docent-bot/docent/store"
)

func migrateCommands() []Command {
	return []Command{
		{Name: "migrate", Group: "Data and privacy", Args: "[--config FILE] [--db FILE] [--no-compact]", Summary: "bring the database to this version's schema (Docent stopped; Docent also does it when it starts): converts the records, resumes where a killed run stopped, then compacts the file", Run: (*Env).migrate},
	}
}

func (c *Env) migrate(args []string) int {
	fs := c.Flags()
	f := newDataFlags(fs, "configuration `FILE` (for the database path and the modules)", true)
	noCompact := fs.Bool("no-compact", false, "leave the pages the conversion freed inside the file (docent compact gives them back later)")
	cfg, code, done := c.setupData(fs, args, f)
	if done {
		return code
	}
	if c.onPostgres(cfg, "migrate", "Docent brings the PostgreSQL database to its schema when it starts, and no conversion or compaction applies there") {
		return exitError
	}
	path := cfg.StorePath()
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintln(c.Stderr, "docent migrate:", err)
		return exitError
	}
	line := progress.New(c.Stderr, "records")
	var last store.Converting
	st, err := bot.OpenStoreConverting(cfg, slog.New(slog.NewTextHandler(c.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), func(p store.Converting) {
		last = p
		line.Show(int64(p.Done), int64(p.Total))
	})
	line.Clear()
	if errors.Is(err, store.ErrLocked) {
		fmt.Fprintf(c.Stderr, "docent migrate: Docent is running on %s (it migrates the file when it starts); stop it first\n", path)
		return exitError
	}
	if err != nil {
		fmt.Fprintln(c.Stderr, "docent migrate:", err)
		return exitError
	}
	if err := st.Close(); err != nil {
		fmt.Fprintln(c.Stderr, "docent migrate:", err)
		return exitError
	}
	if last.Total == 0 {
		fmt.Fprintf(c.Stdout, "%s is at this version's schema: no records to convert\n", path)
		return exitOK
	}
	fmt.Fprintf(c.Stdout, "converted the records of %s: %d of %d in %s", path, last.Done-last.Resumed, last.Total, last.Took.Round(time.Millisecond))
	if last.Resumed > 0 {
		fmt.Fprintf(c.Stdout, " (%d converted by an earlier run that stopped)", last.Resumed)
	}
	fmt.Fprintln(c.Stdout)
	if *noCompact {
		after, err := os.Stat(path)
		if err != nil {
			fmt.Fprintln(c.Stderr, "docent migrate:", err)
			return exitError
		}
		fmt.Fprintf(c.Stdout, "the freed pages stay inside the file (%.1f MB); docent compact gives them back\n", float64(after.Size())/1e6)
		return exitOK
	}
	start := time.Now()
	sizes, err := store.CompactFile(path, cfg.Store.LockTimeout)
	if err != nil {
		fmt.Fprintln(c.Stderr, "docent migrate: compact:", err)
		return exitError
	}
	fmt.Fprintf(c.Stdout, "compacted %s from %.1f MB to %.1f MB in %s: %.0f bytes per record\n", path,
		float64(sizes.Before)/1e6, float64(sizes.After)/1e6, time.Since(start).Round(time.Millisecond), float64(sizes.After)/float64(last.Total))
	return exitOK
}
