package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/docent-bot/docent/bot"
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
	before, err := os.Stat(path)
	if err != nil {
		fmt.Fprintln(c.Stderr, "docent migrate:", err)
		return exitError
	}
	line := newProgressLine(c.Stderr)
	var last store.Converting
	st, err := bot.OpenStoreConverting(cfg, slog.New(slog.NewTextHandler(c.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), func(p store.Converting) {
		last = p
		line.show(p.Done, p.Total)
	})
	line.clear()
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
		fmt.Fprintf(c.Stdout, "the freed pages stay inside the file (%.1f MB); docent compact gives them back\n", float64(before.Size())/1e6)
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

// progressLine is a one-line count on a terminal; elsewhere it says
// nothing.
type progressLine struct {
	w  io.Writer
	on bool
}

func newProgressLine(w io.Writer) *progressLine {
	f, ok := w.(*os.File)
	return &progressLine{w: w, on: ok && term.IsTerminal(int(f.Fd()))}
}

func (p *progressLine) show(done, total int) {
	if !p.on || total == 0 {
		return
	}
	const width = 40
	frac := min(float64(done)/float64(total), 1)
	filled := int(frac * width)
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%% %d of %d records", strings.Repeat("#", filled), strings.Repeat(" ", width-filled), 100*frac, done, total)
}

func (p *progressLine) clear() {
	if p.on {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", 72))
	}
}
