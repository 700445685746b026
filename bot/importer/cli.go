package importer

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docent-bot/docent/bot/module"
	termbar "github.com/docent-bot/docent/internal/progress"
	"github.com/docent-bot/docent/store"
)

// CommandLine is `docent import`.
func (mod *Module) CommandLine() []module.CLICommand {
	return []module.CLICommand{{
		Name: "import", Group: "Data and privacy", Args: "[--config FILE] [--db FILE] [--platform NAME] FILE...",
		Summary: "import a community's history (JSONL of {time, channel, author, text}, a DiscordChatExporter .json, a Slack export .zip; plain or gzip), idempotent and resumable",
		Help: "Each FILE is committed in batches; importing it again adds nothing, and an import that was\n" +
			"stopped resumes after its last batch. When a Docent is running on the database, the file is\n" +
			"sent to it and it imports it between the messages it answers.",
		Run: runImport,
	}}
}

func runImport(cl module.CommandLine, args []string) int {
	fs := cl.Flags()
	platform := fs.String("platform", "irc", "the `platform` the imported members and channels belong to")
	batch := fs.Int("batch", DefaultBatch, fmt.Sprintf("lines committed at once (`N`); %d through a running Docent", RunningBatch))
	db := fs.String("db", "", "database `FILE` to import into instead of the configuration's store.path (created if there is none)")
	cfg, code, done := cl.Setup(fs, args, false)
	if done {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(cl.Stderr(), "docent import: give the FILE to import, like: docent import history.jsonl.gz")
		return module.ExitUsage
	}
	if *platform == "" || strings.ContainsRune(*platform, 0) {
		fmt.Fprintln(cl.Stderr(), "docent import: --platform needs a name, like irc")
		return module.ExitUsage
	}
	var into target
	st, err := cfg.CreateStore(*db)
	switch {
	case errors.Is(err, store.ErrLocked) && *db == "":
		// The running Docent imports it, between the messages it answers.
		fmt.Fprintln(cl.Stderr(), "docent import: a running Docent has the database open; importing through it")
		into = running(cfg.Control)
		batchSet := false
		fs.Visit(func(f *flag.Flag) { batchSet = batchSet || f.Name == "batch" })
		if !batchSet {
			*batch = RunningBatch
		}
	case errors.Is(err, store.ErrLocked):
		fmt.Fprintf(cl.Stderr(), "docent import: a running Docent has %s open; import with --config naming its configuration, and it imports the file itself\n", *db)
		return module.ExitError
	case err != nil:
		fmt.Fprintln(cl.Stderr(), "docent import:", err)
		return module.ExitError
	default:
		defer st.Close()
		into = offline(st)
	}
	ctx, stop := cl.Context()
	defer stop()
	failed := false
	for _, name := range fs.Args() {
		if err := importFile(ctx, cl, into, name, Options{Platform: *platform, Batch: *batch}); err != nil {
			fmt.Fprintln(cl.Stderr(), "docent import:", err)
			failed = true
			if ctx.Err() != nil {
				break
			}
		}
	}
	if st != nil {
		if err := st.Close(); err != nil {
			fmt.Fprintln(cl.Stderr(), "docent import: close the database:", err)
			return module.ExitError
		}
	}
	if failed {
		return module.ExitError
	}
	return module.ExitOK
}

// target imports the file f, read from r, with opts: into the database
// (offline), or through the Docent running on it.
type target func(ctx context.Context, f File, r *os.File, opts Options) (Summary, error)

// offline imports into h.
func offline(h History) target {
	return func(ctx context.Context, f File, r *os.File, opts Options) (Summary, error) {
		switch f.Format {
		case FormatSlack:
			return ImportSlack(ctx, h, f.Key, f.Size, r, opts)
		case FormatDiscord:
			return ImportDiscord(ctx, h, f.Key, f.Size, r, opts)
		default:
			return ImportJSONL(ctx, h, f.Key, f.Size, r, opts)
		}
	}
}

// running imports through the running Docent dial reaches.
func running(dial module.Dialer) target {
	return func(ctx context.Context, f File, r *os.File, opts Options) (Summary, error) {
		return ImportRunning(ctx, dial, f, r, opts)
	}
}

// importFile imports one file and prints its summary line.
func importFile(ctx context.Context, cl module.CommandLine, into target, name string, opts Options) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	// The mark is kept under the file's absolute name: the same file from
	// another folder resumes too.
	key, err := filepath.Abs(name)
	if err != nil {
		return err
	}
	opts.Bad = func(line int, err error) {
		fmt.Fprintf(cl.Stderr(), "%s:%d: skipped: %v\n", name, line, err)
	}
	bar := termbar.New(cl.Stderr(), "")
	opts.Progress = func(read int64) { bar.Show(read, fi.Size()) }
	start := time.Now()
	sum, err := into(ctx, File{Key: key, Size: fi.Size(), Format: FormatOf(name)}, f, opts)
	bar.Clear()
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	fmt.Fprintf(cl.Stdout(), "%s: %d messages, %d members, %d channels; %d skipped, %d duplicates, %d resumed, %d redacted, %d not members' messages; %.0f messages/s, %.1f s\n",
		name, sum.Messages, sum.Members, sum.Channels, sum.Skipped, sum.Duplicates, sum.Resumed, sum.Redacted, sum.Other, float64(sum.Messages)/max(secs, 1e-3), secs)
	return nil
}

// discordExport reports whether the file name is a DiscordChatExporter
// export (.json, or .json.gz); anything else is read as JSONL.
func discordExport(name string) bool {
	return strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".json.gz")
}
