package cli

import (
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/internal/progress"
	"github.com/docent-bot/docent/store"
)

func migrateCommands() []Command {
	return []Command{
		{Name: "migrate", Group: "Data and privacy", Args: "[--config FILE] [--db FILE] [--no-compact | --to URL | --from URL --db FILE] [--replace] [--verify]",
			Summary: "bring the database to this version's schema (Docent stopped; Docent also does it when it starts): converts the records, resumes where a killed run stopped, then compacts the file; with --to or --from, copies it between a bbolt file and PostgreSQL",
			Help:    migrateHelp, Run: (*Env).migrate},
	}
}

const migrateHelp = `bring the database to this version's schema, or copy it between a bbolt
file and PostgreSQL. Docent must be stopped: each command holds the
database's lock while it runs.

  docent migrate [--db FILE] [--no-compact]
      converts the records of the bbolt file (store.path, or FILE) to this
      version's schema, going on where a killed run stopped, then compacts
      the file. Docent also converts them when it starts.

  docent migrate --to URL [--db FILE] [--replace]
      copies the bbolt file (FILE, else store.path) into the PostgreSQL
      database at URL: every bucket, key, value and sequence, the modules'
      too. A schema 1 file is converted first, in place. Then store.postgres.url
      points Docent at the copy.

  docent migrate --from URL --db FILE [--replace]
      copies the PostgreSQL database at URL into the bbolt file FILE, the
      other way.

The destination must be empty: a database that holds anything is refused,
by name, unless --replace, which empties it first. The copy runs in
batches, with a progress bar on a terminal; killed or interrupted, the
same command run again goes on where it stopped (Docent refuses to open the
unfinished copy meanwhile). Then it reads both sides again and prints each
bucket's keys, sequence and SHA-256 on both: any difference is an error
naming the bucket. --verify compares them again later, copying nothing.

URL is postgres://user:password@host:port/database?sslmode=..., or
'$DOCENT_DATABASE_URL' in single quotes (any $NAME or ${NAME}): Docent
reads the variable itself, so the password stays out of the shell's
history and the process list. Output and errors show the URL without its
password.`

func (c *Env) migrate(args []string) int {
	fs := c.Flags()
	f := newDataFlags(fs, "configuration `FILE` (for the database path and the modules)", false)
	db := fs.String("db", "", "bbolt database `FILE` instead of the configuration's store.path: to convert, to copy from (--to), or to copy into (--from)")
	noCompact := fs.Bool("no-compact", false, "leave the pages the conversion freed inside the file (docent compact gives them back later)")
	to := fs.String("to", "", "copy the bbolt file into the PostgreSQL database at `URL` (or '$DOCENT_DATABASE_URL')")
	from := fs.String("from", "", "copy the PostgreSQL database at `URL` (or '$DOCENT_DATABASE_URL') into the bbolt file --db FILE")
	replace := fs.Bool("replace", false, "with --to or --from: empty a destination that is not empty, instead of refusing it")
	verify := fs.Bool("verify", false, "with --to or --from: compare the two databases bucket by bucket, copying nothing")
	cfg, code, done := c.setupData(fs, args, f)
	if done {
		return code
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	switch {
	case set["to"] && set["from"]:
		fmt.Fprintln(c.Stderr, "docent migrate: --to copies into PostgreSQL and --from out of it: give one of them")
		return exitUsage
	case (set["to"] || set["from"]) && *noCompact:
		fmt.Fprintln(c.Stderr, "docent migrate: --no-compact is for the conversion alone; a copy leaves no freed pages")
		return exitUsage
	case !set["to"] && !set["from"] && (*replace || *verify):
		fmt.Fprintln(c.Stderr, "docent migrate: --replace and --verify go with --to URL or --from URL")
		return exitUsage
	case set["to"]:
		return c.migrateTo(cfg, *to, *db, copyFlags{replace: *replace, verify: *verify})
	case set["from"]:
		return c.migrateFrom(cfg, *from, *db, copyFlags{replace: *replace, verify: *verify})
	}
	if err := useDB(cfg, *db); err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitUsage
	}
	if c.onPostgres(cfg, "migrate", "Docent brings the PostgreSQL database to its schema when it starts, and no conversion or compaction applies there") {
		return exitError
	}
	path := cfg.StorePath()
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintln(c.Stderr, "docent migrate:", err)
		return exitError
	}
	last, err := c.openConverting(cfg, "records")
	if errors.Is(err, store.ErrLocked) {
		fmt.Fprintf(c.Stderr, "docent migrate: Docent is running on %s (it migrates the file when it starts); stop it first\n", path)
		return exitError
	}
	if err != nil {
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

// copyFlags are what --to and --from share.
type copyFlags struct{ replace, verify bool }

// migrateTo copies the bbolt file (--db, else store.path) into the
// PostgreSQL database at rawURL, converting the file's records first.
func (c *Env) migrateTo(cfg *bot.Config, rawURL, db string, f copyFlags) int {
	u, err := databaseURL("--to", rawURL)
	if err != nil {
		fmt.Fprintln(c.Stderr, "docent migrate:", err)
		return exitUsage
	}
	if db == "" && cfg.OnPostgres() {
		fmt.Fprintln(c.Stderr, "docent migrate --to: the configuration keeps the history in PostgreSQL (store.postgres.url); name the bbolt file to copy with --db FILE")
		return exitUsage
	}
	if err := useDB(cfg, db); err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitUsage
	}
	path := cfg.StorePath()
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintln(c.Stderr, "docent migrate:", err)
		return exitError
	}
	if !f.verify {
		// The copy takes this version's schema: bring the file to it,
		// as docent migrate alone does (without compacting: the copy
		// leaves the freed pages behind).
		if code := c.convertFirst(cfg, path); code != exitOK {
			return code
		}
	}
	return c.copyDatabase(cfg, store.Location{File: path}, store.Location{URL: u}, f)
}

// migrateFrom copies the PostgreSQL database at rawURL into the bbolt
// file db.
func (c *Env) migrateFrom(cfg *bot.Config, rawURL, db string, f copyFlags) int {
	u, err := databaseURL("--from", rawURL)
	if err != nil {
		fmt.Fprintln(c.Stderr, "docent migrate:", err)
		return exitUsage
	}
	if db == "" {
		fmt.Fprintln(c.Stderr, "docent migrate --from: name the bbolt file to copy into with --db FILE (it must not exist yet, or be empty)")
		return exitUsage
	}
	abs, err := filepath.Abs(db)
	if err != nil {
		fmt.Fprintln(c.Stderr, "docent migrate:", err)
		return exitUsage
	}
	return c.copyDatabase(cfg, store.Location{URL: u}, store.Location{File: abs}, f)
}

// openConverting opens the configured file and closes it, which brings
// it to this version's schema, with a progress bar of the records
// converted on a terminal; last is where the conversion ended.
func (c *Env) openConverting(cfg *bot.Config, label string) (last store.Converting, err error) {
	line := progress.New(c.Stderr, label)
	st, err := bot.OpenStoreConverting(cfg, slog.New(slog.NewTextHandler(c.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), func(p store.Converting) {
		last = p
		line.Show(int64(p.Done), int64(p.Total))
	})
	line.Clear()
	if err != nil {
		return last, err
	}
	return last, st.Close()
}

// convertFirst converts the records of the file at path to this
// version's schema, if they are not, saying so.
func (c *Env) convertFirst(cfg *bot.Config, path string) int {
	last, err := c.openConverting(cfg, "records converted")
	if errors.Is(err, store.ErrLocked) {
		fmt.Fprintf(c.Stderr, "docent migrate: Docent is running on %s; stop it first (the copy needs the file to itself)\n", path)
		return exitError
	}
	if err != nil {
		fmt.Fprintln(c.Stderr, "docent migrate:", err)
		return exitError
	}
	if last.Total > 0 {
		fmt.Fprintf(c.Stdout, "converted the records of %s to this version's schema first: %d of %d in %s (docent compact gives the freed pages back)\n",
			path, last.Done-last.Resumed, last.Total, last.Took.Round(time.Millisecond))
	}
	return exitOK
}

// databaseURL is the PostgreSQL URL a flag gives: the URL, or the
// environment variable that $NAME or ${NAME} names, so that the password
// stays out of the shell's history and the process list.
func databaseURL(flagName, v string) (string, error) {
	if name, ok := strings.CutPrefix(v, "$"); ok {
		if inner, ok := strings.CutPrefix(name, "{"); ok {
			name = strings.TrimSuffix(inner, "}")
		}
		env, set := os.LookupEnv(name)
		if !set || env == "" {
			return "", fmt.Errorf("%s %s: the environment has no %s (export it, or give the URL)", flagName, v, name)
		}
		v = env
	}
	if v == "" {
		return "", fmt.Errorf("%s is empty: give a postgres:// URL, or '$DOCENT_DATABASE_URL' (in single quotes: Docent reads it from the environment)", flagName)
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" && u.Query().Get("host") == "" {
		return "", fmt.Errorf("%s: want postgres://user:password@host:port/database, got %s", flagName, store.RedactURL(v))
	}
	return v, nil
}

// copyDatabase copies (or with --verify compares) and prints what it
// found, bucket by bucket.
func (c *Env) copyDatabase(cfg *bot.Config, from, to store.Location, f copyFlags) int {
	ctx, stop := signalCtx()
	defer stop()
	var bar *progress.Bar
	phase := ""
	opts := store.CopyOptions{LockTimeout: cfg.Store.LockTimeout, Replace: f.replace, Progress: func(p store.CopyProgress) {
		if p.Phase != phase {
			if bar != nil {
				bar.Clear()
			}
			unit := map[string]string{"reading": "keys read", "copying": "keys copied", "verifying": "keys verified"}[p.Phase]
			phase, bar = p.Phase, progress.New(c.Stderr, unit)
		}
		bar.Show(p.Done, p.Total)
	}}
	run := store.Copy
	if f.verify {
		run = store.CompareCopy
	}
	r, err := run(ctx, from, to, opts)
	if bar != nil {
		bar.Clear()
	}
	if r != nil {
		printCopy(c.Stdout, r, f.verify)
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, store.ErrNotEmpty):
		fmt.Fprintf(c.Stderr, "docent migrate: %v (--replace empties it first)\n", err)
	case errors.Is(err, store.ErrCopyDiffers) && !f.verify:
		fmt.Fprintf(c.Stderr, "docent migrate: %v\n(the source changed since an interrupted copy began, or the destination was written meanwhile: --replace copies afresh)\n", err)
	case ctx.Err() != nil:
		fmt.Fprintf(c.Stderr, "docent migrate: interrupted: %v\n", err)
	default:
		fmt.Fprintln(c.Stderr, "docent migrate:", err)
	}
	return exitError
}

// printCopy prints what a copy did, then each bucket on both sides.
func printCopy(w io.Writer, r *store.CopyReport, verify bool) {
	if !verify {
		fmt.Fprintf(w, "copied %s into %s: %d keys (%.1f MB of keys and values) in %s (reading the source %s, copying %s, verifying %s)", r.From, r.To, r.Keys, float64(r.Bytes)/1e6,
			r.Took.Round(time.Millisecond), r.Reading.Round(time.Millisecond), r.Copying.Round(time.Millisecond), r.Verifying.Round(time.Millisecond))
		if r.Resumed > 0 {
			fmt.Fprintf(w, "; %d keys copied before by a run that stopped", r.Resumed)
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "compared %s with %s, its copy, in %s\n", r.To, r.From, r.Took.Round(time.Millisecond))
	}
	dst := map[string]store.BucketSum{}
	for _, b := range r.Destination {
		dst[b.Name] = b
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "bucket\tkeys\tcopy's keys\tsequence\tcopy's\tSHA-256\tcopy's SHA-256\t")
	row := func(name string, s, d *store.BucketSum) {
		cell := func(b *store.BucketSum) (keys, seq, sum string) {
			if b == nil {
				return "-", "-", "-"
			}
			return fmt.Sprint(b.Keys), fmt.Sprint(b.Sequence), b.Sum()[:16]
		}
		sk, ss, sh := cell(s)
		dk, ds, dh := cell(d)
		same := "same"
		if s == nil || d == nil || *s != *d {
			same = "DIFFERS"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, sk, dk, ss, ds, sh, dh, same)
	}
	for _, s := range r.Source {
		if d, ok := dst[s.Name]; ok {
			row(s.Name, &s, &d)
			delete(dst, s.Name)
		} else {
			row(s.Name, &s, nil)
		}
	}
	for _, d := range r.Destination {
		if _, extra := dst[d.Name]; extra {
			row(d.Name, nil, &d)
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "database SHA-256 (over the buckets' names, keys, sequences and sums): source %s, copy %s\n", databaseSum(r.Source), databaseSum(r.Destination))
}

// databaseSum is one SHA-256 over every bucket's sum, in order.
func databaseSum(buckets []store.BucketSum) string {
	h := sha256.New()
	for _, b := range buckets {
		fmt.Fprintf(h, "%q %d %d %x\n", b.Name, b.Keys, b.Sequence, b.SHA256)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}
