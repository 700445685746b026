package cli

import (
	"bufio"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/bot/analytics"
	"github.com/docent-bot/docent/bot/lessons"
	"github.com/docent-bot/docent/brain/gaps"
	"github.com/docent-bot/docent/store"
)

// dataFlags are the flags that say which database a command reads:
// --config, for its store.path, and, for a command that reads history,
// --db, another database to read instead (a copy, or generated history).
type dataFlags struct {
	config func() string // --config's value, once parsed
	db     *string       // nil: no --db
}

// newDataFlags adds --config to fs, with configHelp saying what the command
// takes from it (unless the command has its own --config, with a usage
// that says what for), and --db with withDB.
func newDataFlags(fs *flag.FlagSet, configHelp string, withDB bool) dataFlags {
	if fs.Lookup("config") == nil {
		fs.String("config", "", configHelp)
	}
	f := dataFlags{config: fs.Lookup("config").Value.String}
	if withDB {
		f.db = fs.String("db", "", "database `FILE` to read instead of the configuration's store.path")
	}
	return f
}

// setupData is Setup for a command that reads the database: it parses
// args, loads the configuration and points it at --db; done is true when
// the command should stop with code.
func (c *Env) setupData(fs *flag.FlagSet, args []string, f dataFlags) (cfg *bot.Config, code int, done bool) {
	if code, done := c.Parse(fs, args); done {
		return nil, code, true
	}
	cfg, err := c.LoadConfig(f.config())
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return nil, exitUsage, true
	}
	if f.db != nil {
		if err := useDB(cfg, *f.db); err != nil {
			fmt.Fprintln(c.Stderr, err)
			return nil, exitUsage, true
		}
	}
	return cfg, 0, false
}

// useDB applies --db to cfg; the file must exist (reading must not create
// an empty database where a mistyped name pointed).
func useDB(cfg *bot.Config, db string) error {
	if db == "" {
		return nil
	}
	if _, err := os.Stat(db); err != nil {
		return fmt.Errorf("docent: --db %s: %w", db, err)
	}
	abs, err := filepath.Abs(db)
	if err != nil {
		return err
	}
	cfg.Store.Path = abs
	cfg.Store.Postgres = bot.PostgresConfig{} // --db names a bbolt file
	return nil
}

// openHistory opens the configured database for a command that reads
// history, refusing to create an empty one.
func openHistory(cfg *bot.Config) (*store.Store, error) {
	if _, err := os.Stat(cfg.StorePath()); !cfg.OnPostgres() && errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no database at %s yet: run Docent first", cfg.StorePath())
	}
	return bot.OpenStore(cfg, slog.New(slog.DiscardHandler))
}

// openExisting is openHistory for command name, which stops with its error.
func (c *Env) openExisting(name string, cfg *bot.Config) (*store.Store, bool) {
	st, err := openHistory(cfg)
	if err != nil {
		fmt.Fprintf(c.Stderr, "docent %s: %v\n", name, err)
		return nil, false
	}
	return st, true
}

func (c *Env) benchHistory(args []string) int {
	fs := c.Flags()
	configFile := fs.String("config", "", "configuration `FILE` (its intents' patterns are the questions asked)")
	db := fs.String("db", "", "write the history to this new database `FILE` and keep it (default: a temporary file, removed)")
	messages := fs.Int("messages", 1_000_000, "members' `N` messages to generate (answers come on top)")
	days := fs.Int("days", 90, "spread over the last `N` days")
	seed := fs.Uint64("seed", 1, "random `seed`: the same seed writes the same history")
	jsonl := fs.String("jsonl", "", "also write the members' messages to this new `FILE` as a JSONL history for docent import ({time, channel, author, text} lines, gzipped when FILE ends in .gz), and time nothing")
	cfg, code, done := c.Setup(fs, args, configFile)
	if done {
		return code
	}
	if *messages < 1 || *days < 1 || *days > analytics.MaxDays {
		fmt.Fprintf(c.Stderr, "docent bench history: --messages must be at least 1 and --days 1 to %d\n", analytics.MaxDays)
		return exitUsage
	}
	if *jsonl != "" {
		if _, err := os.Stat(*jsonl); err == nil {
			fmt.Fprintf(c.Stderr, "docent bench history: %s exists; give a new file\n", *jsonl)
			return exitUsage
		}
	}
	path := *db
	if path == "" {
		dir, err := os.MkdirTemp("", "docent-history-*")
		if err != nil {
			fmt.Fprintln(c.Stderr, err)
			return exitError
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "docent.db")
	} else if _, err := os.Stat(path); err == nil {
		fmt.Fprintf(c.Stderr, "docent bench history: %s exists; give a new file\n", path)
		return exitUsage
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitUsage
	}
	cfg.Store.Path = abs
	cfg.Store.Postgres = bot.PostgresConfig{} // never the configured PostgreSQL database
	intents, err := cfg.LoadIntents()
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitUsage
	}
	var known []analytics.Known
	for _, in := range intents {
		for _, p := range in.Patterns {
			known = append(known, analytics.Known{Intent: in.Name, Text: p})
		}
	}
	ctx, stop := signalCtx()
	defer stop()
	st, err := bot.OpenStore(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitError
	}
	gen, err := analytics.Generate(ctx, st, analytics.Generation{Messages: *messages, Days: *days, Seed: *seed, Known: known})
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitError
	}
	fi, _ := os.Stat(path)
	fmt.Fprintf(c.Stdout, "generated %d messages, %d answers and %d votes over %d days in %s (%.0f records/s); database %.0f MB\n",
		gen.Messages, gen.Answers, gen.Votes, *days, gen.Took.Round(time.Millisecond),
		float64(gen.Messages+gen.Answers)/gen.Took.Seconds(), float64(fi.Size())/1e6)
	if *jsonl != "" {
		n, err := writeJSONL(ctx, cfg, *jsonl)
		if err != nil {
			os.Remove(*jsonl)
			fmt.Fprintf(c.Stderr, "docent bench history: %v\n", err)
			return exitError
		}
		fi, _ := os.Stat(*jsonl)
		fmt.Fprintf(c.Stdout, "wrote %d messages to %s (%.1f MB); import it with: docent import --db NEW.db %s\n", n, *jsonl, float64(fi.Size())/1e6, *jsonl)
		return exitOK
	}

	// What an admin waits for: opening the database, and the reports.
	start := time.Now()
	st, err = bot.OpenStore(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitError
	}
	opened := time.Since(start)
	for _, window := range []int{7, 30, *days} {
		start = time.Now()
		r, err := analytics.Build(ctx, st, analytics.Query{Days: window})
		if err != nil {
			st.Close()
			fmt.Fprintln(c.Stderr, err)
			return exitError
		}
		fmt.Fprintf(c.Stdout, "stats --days %-4d %8s  (%d messages in the window)\n", window, time.Since(start).Round(time.Millisecond), r.Messages)
	}
	st.Close()
	fmt.Fprintf(c.Stdout, "open              %8s\n", opened.Round(time.Millisecond))
	start = time.Now()
	clusters, err := reportGaps(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitError
	}
	fmt.Fprintf(c.Stdout, "gaps              %8s  (%d groups; includes loading the intents and the model)\n", time.Since(start).Round(time.Millisecond), len(clusters))
	if *db != "" {
		fmt.Fprintf(c.Stdout, "\nKept %s; try: docent stats --db %s --days 30\n", path, path)
	}
	return exitOK
}

// reportGaps opens Docent as `docent run` would, and returns the gaps the
// lessons module finds.
func reportGaps(ctx context.Context, cfg *bot.Config, log *slog.Logger) ([]gaps.Cluster, error) {
	b, err := bot.Open(ctx, cfg, bot.Options{Log: log})
	if err != nil {
		return nil, err
	}
	defer b.Close()
	l, ok := b.Module("lessons").(*lessons.Module)
	if !ok {
		return nil, errors.New("gaps: the lessons module is not wired")
	}
	return l.Gaps(ctx)
}

// jsonLine is one message of a JSONL history, as docent import reads it
// (and as the DuraSpace history in the datasets is written).
type jsonLine struct {
	Time    time.Time `json:"time"`
	Channel string    `json:"channel"`
	Author  string    `json:"author"`
	Text    string    `json:"text"`
	Kind    string    `json:"kind"`
}

// writeJSONL writes the members' messages stored in cfg's database to a
// new file, oldest first, gzipped
// when its name ends in .gz, and returns how many it wrote. Docent's
// answers are left out: an imported history is the members' own.
func writeJSONL(ctx context.Context, cfg *bot.Config, path string) (int, error) {
	st, err := bot.OpenStore(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return 0, err
	}
	defer st.Close()
	convs, err := st.Conversations(ctx)
	if err != nil {
		return 0, err
	}
	type line struct {
		id uint64
		jsonLine
	}
	var lines []line
	for _, cv := range convs {
		recs, err := st.Conversation(ctx, cv.Conversation, 0)
		if err != nil {
			return 0, err
		}
		for _, r := range recs {
			if r.Kind != store.KindMessage {
				continue
			}
			lines = append(lines, line{r.ID, jsonLine{Time: r.Time, Channel: r.Conversation.Channel, Author: cmp.Or(r.Author.Name, r.Author.ID), Text: r.Text, Kind: "message"}})
		}
	}
	// Time order, as a chat log is: the generator stores a whole exchange
	// at once, so a reply may come after the next exchange's question.
	slices.SortFunc(lines, func(a, b line) int { return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.id, b.id)) })
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, err
	}
	var w io.Writer = f
	var zw *gzip.Writer
	if strings.HasSuffix(path, ".gz") {
		zw = gzip.NewWriter(f)
		w = zw
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, l := range lines {
		if err := enc.Encode(l.jsonLine); err != nil {
			f.Close()
			return 0, err
		}
	}
	err = bw.Flush()
	if zw != nil && err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return len(lines), err
}
