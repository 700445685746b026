package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/brain"
	"github.com/docent-bot/docent/brain/knowledge"
	"github.com/docent-bot/docent/brain/knowledge/docseval"
	"github.com/docent-bot/docent/chat"
)

// evalDocsCommands measure the docs search.
func evalDocsCommands() []Command {
	return []Command{
		{Name: "eval docs", Group: "The classifier", Args: "--questions FILE [--config FILE] [--docs DIR] [--split dev|heldout|all] [--runs N] [--misses] [--json]", Summary: "measure how well Docent finds the docs section that answers a question (recall, MRR, \"not sure\", latency), beside SQLite FTS5 bm25 over the same passages", Run: (*Env).evalDocs},
	}
}

// The systems `docent eval docs` compares.
const (
	systemDocent = "docent"        // what a member gets: search and the "not sure" cut
	systemNoCut  = "docent-no-cut" // the same ranking, every hit shown
	systemFTS5   = "fts5-bm25"     // SQLite FTS5's bm25() over the same passages
)

// docsEvalReport is `docent eval docs --json`.
type docsEvalReport struct {
	Questions     string   `json:"questions"`
	Docs          []string `json:"docs"`
	Split         string   `json:"split"`
	Answerable    int      `json:"answerable"`
	Unanswered    int      `json:"unanswered"`
	AllAnswerable int      `json:"answerable_in_file"`
	AllUnanswered int      `json:"unanswered_in_file"`
	Passages      int      `json:"passages"`
	IndexMs       float64  `json:"index_ms"`
	// RestartMs is indexing the same docs again from the cache of the
	// first index, as a restart whose docs did not change does.
	RestartMs  float64 `json:"restart_ms"`
	CacheBytes int     `json:"cache_bytes"`
	// HeapInUseMB is the Go heap in use after indexing (and a collection);
	// PeakRSSMB the most memory the process held, from getrusage, at the
	// end (null where it is not known).
	HeapInUseMB float64  `json:"heap_in_use_mb"`
	PeakRSSMB   *float64 `json:"peak_rss_mb"`
	FTS5LoadMs  float64  `json:"fts5_load_ms"`
	// MinConfidence is knowledge.min_confidence when the configuration
	// sets it (a fixed cut); 0 when each question gets the index's own
	// cut for its length, whose values NotSure shows.
	MinConfidence float64     `json:"min_confidence"`
	NotSure       notSureCuts `json:"not_sure"`
	Results       int         `json:"results"`
	FTS5Tokenizer string      `json:"fts5_tokenizer"`
	Runs          int         `json:"runs"`
	MissingWants  []string    `json:"missing_wants"`
	// Intents says whose intents answered (IntentCount of them) in the
	// docent system's whole answer path.
	Intents     string             `json:"intents"`
	IntentCount int                `json:"intent_count"`
	Systems     []docseval.Figures `json:"systems"`
}

// memModels keeps the classifier `docent eval docs` trains in memory.
type memModels struct {
	mu    sync.Mutex // guards saved
	saved map[string]brain.Saved
}

func (m *memModels) LoadModel(_ context.Context, name string) (brain.Saved, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.saved[name]
	if !ok {
		return brain.Saved{}, brain.ErrNoModel
	}
	return s, nil
}

func (m *memModels) SaveModel(_ context.Context, name string, s brain.Saved) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.saved == nil {
		m.saved = map[string]brain.Saved{}
	}
	m.saved[name] = s
	return nil
}

func (c *Env) evalDocs(args []string) int {
	fs := c.Flags()
	configFile := fs.String("config", "", "configuration `FILE`: its knowledge folders and settings, and its intents (the words every question uses)")
	questions := fs.String("questions", "", "the question `FILE` (YAML: questions with the sections that answer them, and unanswered ones)")
	docs := fs.String("docs", "", "measure on this docs `DIR` instead of the configuration's knowledge folders (its other settings and its intents still apply)")
	split := fs.String("split", docseval.SplitDev, "which questions: dev (not held out), heldout or all")
	runs := fs.Int("runs", 5, "time each question `N` times, after an untimed first search")
	misses := fs.Bool("misses", false, "list the questions whose section Docent did not show in its first three")
	jsonOut := fs.Bool("json", false, "print one JSON object")
	if code, done := c.Parse(fs, args); done {
		return code
	}
	if *questions == "" || fs.NArg() > 0 {
		fmt.Fprintln(c.Stderr, "docent eval docs: give --questions FILE (see docent eval docs --help)")
		return exitUsage
	}
	cfg, err := c.LoadConfig(*configFile)
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitUsage
	}
	all, err := docseval.Load(*questions)
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitUsage
	}
	set, err := all.Split(*split)
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitUsage
	}
	if len(set.Questions)+len(set.Unanswered) == 0 {
		fmt.Fprintf(c.Stderr, "docent eval docs: %s has no %s questions\n", *questions, *split)
		return exitUsage
	}
	folders := cfg.KnowledgeFolders()
	if *docs != "" {
		if fi, err := os.Stat(*docs); err != nil || !fi.IsDir() {
			fmt.Fprintf(c.Stderr, "docent eval docs: --docs %s is not a folder\n", *docs)
			return exitUsage
		}
		folders = []knowledge.Folder{{Path: *docs}}
	}
	if len(folders) == 0 {
		fmt.Fprintln(c.Stderr, "docent eval docs: the configuration has no knowledge.folders; give --docs DIR")
		return exitUsage
	}

	intents := "the configuration's"
	if *configFile == "" && *docs != "" {
		// Other docs than the built-in configuration's are a community
		// adopting Docent: it gets the starter intents that `docent init
		// --docs DIR --site URL` leaves in, those that need no link but
		// the docs'. The built-in configuration's links are Docent's own.
		cfg.Links = map[string]string{"docs": cfg.Links["docs"]}
		intents = "the starter intents `docent init` keeps"
	}

	ctx, stop := signalCtx()
	defer stop()
	start := time.Now()
	log := c.Logger(cfg)
	br, ix, err := bot.DocsBrain(ctx, cfg, folders, log)
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitError
	}
	indexTook := time.Since(start)
	runtime.GC()
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	var paths []string
	for _, f := range folders {
		paths = append(paths, f.Path)
	}
	rel := docseval.Relative(paths...)
	passages := ix.Passages(func(p knowledge.Passage) bool { return p.Source == knowledge.SourceDocs })
	// A section found as itself or, for a heading with no text of its
	// own, as one of its subsections; both are what a search can find.
	within := make(map[string][]string, len(passages))
	var ids []string
	for _, p := range passages {
		sec := docseval.Section(rel(p.ID))
		for _, w := range p.Within {
			within[sec] = append(within[sec], rel(w))
		}
		if within[sec] == nil {
			within[sec] = []string{}
		}
		ids = append(append(ids, sec), within[sec]...)
	}
	missing := docseval.MissingWants(set, ids)
	if err := checkWantsFound(set, missing, paths, *configFile, *docs); err != nil {
		fmt.Fprintf(c.Stderr, "docent eval docs: %v\n", err)
		return exitUsage
	}
	restartTook, cacheBytes, err := restartFromCache(ctx, ix, folders, log)
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitError
	}
	runtime.GC() // the second index is garbage: not to be collected while searches are timed
	// The whole answer path needs the classifier: trained here, kept
	// nowhere.
	if _, err := br.Prepare(ctx, &memModels{}); err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitError
	}
	start = time.Now()
	fts, err := docseval.NewFTS5(ctx, passages, rel)
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitError
	}
	defer fts.Close()
	ftsTook := time.Since(start)

	docent := docseval.Hits(systemDocent, func(q string) []knowledge.Hit { return br.Passages(q, chat.Place{}) }, rel)
	docent.Intent = func(ctx context.Context, q string) (string, error) {
		a, err := br.Answer(ctx, brain.Question{Text: q})
		if err != nil || a.Source != chat.SourceIntent {
			return "", err
		}
		return a.Intent, nil
	}
	systems := []docseval.System{
		docent,
		docseval.Hits(systemNoCut, func(q string) []knowledge.Hit { return ix.Search(q, docseval.Depth, chat.Place{}) }, rel),
		{Name: systemFTS5, Search: fts.Search},
	}
	figs, err := docseval.Evaluate(ctx, set, systems, docseval.Options{Runs: *runs, Within: within})
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitError
	}
	rep := docsEvalReport{
		Questions: *questions, Docs: paths, Split: *split,
		Answerable: len(set.Questions), Unanswered: len(set.Unanswered),
		AllAnswerable: len(all.Questions), AllUnanswered: len(all.Unanswered),
		Passages: len(passages), IndexMs: millis(indexTook), FTS5LoadMs: millis(ftsTook),
		RestartMs: millis(restartTook), CacheBytes: cacheBytes, HeapInUseMB: float64(mem.HeapInuse) / (1 << 20),
		MinConfidence: cfg.Knowledge.MinConfidence, NotSure: notSureOf(ix, cfg.Knowledge.MinConfidence), Results: cfg.Knowledge.Results,
		FTS5Tokenizer: docseval.FTS5Tokenizer, Runs: max(*runs, 1),
		MissingWants: missing, Systems: figs,
		Intents: intents, IntentCount: len(br.Intents()),
	}
	if rss, ok := peakRSS(); ok {
		mb := float64(rss) / (1 << 20)
		rep.PeakRSSMB = &mb
	}
	roundDocsReport(&rep)
	if *jsonOut {
		if rep.MissingWants == nil {
			rep.MissingWants = []string{}
		}
		return c.printJSON(rep)
	}
	printDocsReport(c.Stdout, rep, *misses)
	return exitOK
}

// checkWantsFound refuses to measure docs that lack most of the sections
// the questions want (missing): the question file is about other docs, and
// a table of 0% would say nothing. A few missing are a warning under the
// table, as docs change.
func checkWantsFound(set docseval.Set, missing, paths []string, configFile, docs string) error {
	wanted := map[string]bool{}
	for _, q := range set.Questions {
		for _, w := range q.Want {
			wanted[w] = true
		}
	}
	if len(missing)*2 <= len(wanted) {
		return nil
	}
	measured := "the docs of --docs"
	switch {
	case docs != "":
	case configFile != "":
		measured = "the knowledge.folders of " + configFile
	default:
		measured = "the built-in configuration's knowledge.folders: Docent's own guide"
	}
	return fmt.Errorf("%d of the %d sections the questions want are not in %s (%s), like %s: the question file is about other docs; "+
		"give --docs DIR, the docs it is about, or --config FILE, a configuration whose knowledge.folders they are",
		len(missing), len(wanted), strings.Join(paths, ", "), measured, strings.Join(missing[:min(len(missing), 3)], ", "))
}

// notSureCuts is the "not sure" decision `docent eval docs` measured.
type notSureCuts struct {
	// Fixed is knowledge.min_confidence when set; else the cut is the
	// index's own, calibrated on off-topic questions (Quantile), and
	// ByWords shows it for a few question lengths.
	Fixed    float64            `json:"fixed,omitempty"`
	Quantile float64            `json:"off_topic_quantile,omitempty"`
	ByWords  map[string]float64 `json:"min_confidence_by_words,omitempty"`
}

// notSureLengths are the question lengths, in words, whose cut is shown.
var notSureLengths = []int{5, 10, 20, 40}

func notSureOf(ix *knowledge.Index, fixed float64) notSureCuts {
	if fixed > 0 {
		return notSureCuts{Fixed: fixed}
	}
	c := notSureCuts{Quantile: knowledge.DefaultNotSureQuantile, ByWords: map[string]float64{}}
	for _, n := range notSureLengths {
		c.ByWords[strconv.Itoa(n)] = math.Round(ix.MinConfidenceForWords(n)*1e4) / 1e4
	}
	return c
}

func (c notSureCuts) describe() string {
	if c.Fixed > 0 {
		return fmt.Sprintf("knowledge.min_confidence %v, fixed", c.Fixed)
	}
	var cuts []string
	for _, n := range notSureLengths {
		cuts = append(cuts, fmt.Sprintf("%.3f at %d words", c.ByWords[strconv.Itoa(n)], n))
	}
	return fmt.Sprintf("not sure below the confidence of %.0f%% of off-topic questions of the same length on these docs: %s",
		100*c.Quantile, strings.Join(cuts, ", "))
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }

// restartFromCache indexes folders again from the cache of ix, as a bot
// restarted with the same docs does, and says how long that took and how
// large the cache is.
func restartFromCache(ctx context.Context, ix *knowledge.Index, folders []knowledge.Folder, log *slog.Logger) (time.Duration, int, error) {
	var cache bytes.Buffer
	if err := ix.WriteCache(&cache); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	again := knowledge.New(knowledge.Options{Log: log})
	if err := again.ReadCache(cache.Bytes()); err != nil {
		return 0, 0, err
	}
	if err := again.Rebuild(ctx, folders); err != nil {
		return 0, 0, err
	}
	took := time.Since(start)
	if st := again.LastRebuild(); st.Analysed > 0 {
		return 0, 0, fmt.Errorf("docent eval docs: %d of %d files were analysed again after a restart from the cache", st.Analysed, st.Files)
	}
	return took, cache.Len(), nil
}

// roundDocsReport rounds the figures once, so that the screen and --json
// show the very same numbers.
func roundDocsReport(r *docsEvalReport) {
	round := func(v float64, places int) float64 {
		p := math.Pow(10, float64(places))
		return math.Round(v*p) / p
	}
	r.IndexMs, r.FTS5LoadMs, r.RestartMs = round(r.IndexMs, 1), round(r.FTS5LoadMs, 1), round(r.RestartMs, 1)
	r.HeapInUseMB = round(r.HeapInUseMB, 1)
	if r.PeakRSSMB != nil {
		*r.PeakRSSMB = round(*r.PeakRSSMB, 1)
	}
	for i := range r.Systems {
		f := &r.Systems[i]
		for _, v := range []*float64{f.SectionAt1, f.SectionAt3, f.PageAt1, f.PageAt3, f.MRR, f.NoPassage, f.Abstained, f.IntentTook, f.IntentUnanswered} {
			if v != nil {
				*v = round(*v, 4)
			}
		}
		f.P50ms, f.P99ms = round(f.P50ms, 3), round(f.P99ms, 3)
	}
}

func printDocsReport(w io.Writer, r docsEvalReport, misses bool) {
	which := map[string]string{
		docseval.SplitDev:     "held-out questions left out",
		docseval.SplitHeldout: "only the held-out questions",
		docseval.SplitAll:     "held-out questions included",
	}[r.Split]
	fmt.Fprintf(w, "docs: %s: %d passages, indexed in %.0f ms (FTS5 table loaded in %.0f ms)\n", strings.Join(r.Docs, ", "), r.Passages, r.IndexMs, r.FTS5LoadMs)
	rss := "unknown"
	if r.PeakRSSMB != nil {
		rss = fmt.Sprintf("%.1f MB", *r.PeakRSSMB)
	}
	fmt.Fprintf(w, "index: %.0f ms again from its cache (%.1f MB), as a restart with the same docs; heap in use after indexing %.1f MB; peak RSS of this run %s\n",
		r.RestartMs, float64(r.CacheBytes)/(1<<20), r.HeapInUseMB, rss)
	fmt.Fprintf(w, "questions: %s, split %s (%s): %d of %d answerable, %d of %d unanswered; latency over %d runs\n\n",
		r.Questions, r.Split, which, r.Answerable, r.AllAnswerable, r.Unanswered, r.AllUnanswered, r.Runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "system\tsection@1\tsection@3\tpage@1\tpage@3\tMRR@3\tno passage\tabstained\tintent\tp50 ms\tp99 ms\t\n")
	for _, f := range r.Systems {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.3f\t%.3f\t\n", f.System,
			percent(f.SectionAt1), percent(f.SectionAt3), percent(f.PageAt1), percent(f.PageAt3), decimal(f.MRR),
			percent(f.NoPassage), percent(f.Abstained), percent(f.IntentTook), f.P50ms, f.P99ms)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nno passage: answerable questions shown nothing (\"not sure\"); abstained: unanswered questions shown nothing.\n")
	fmt.Fprintf(w, "intent: answerable questions that an intent answered before the docs were searched, as a member asks them (%s, %d);\n"+
		"  the figures before it count the docs' passages for every question, those too. An intent the question file names for a question is right.\n",
		r.Intents, r.IntentCount)
	fmt.Fprintf(w, "%s: what a member gets when no intent is sure (%s, results %d); %s: its ranking, all shown;\n",
		systemDocent, r.NotSure.describe(), r.Results, systemNoCut)
	fmt.Fprintf(w, "%s: SQLite FTS5 bm25() over the same passages (tokenizer %q, any word of the question), which shows nothing only when no passage has any of them.\n",
		systemFTS5, r.FTS5Tokenizer)
	if r.Passages == 0 {
		fmt.Fprintf(w, "\nwarning: no passage at all: the folders hold no file of a kind Docent reads\n")
	}
	if n := len(r.MissingWants); n > 0 {
		fmt.Fprintf(w, "\nwarning: %d of the wanted sections are not passages of these docs, so no search can find them: %s\n", n, strings.Join(r.MissingWants[:min(n, 10)], ", "))
		if n > 10 {
			fmt.Fprintf(w, "  … and %d more (--json lists them all)\n", n-10)
		}
	}
	if misses && len(r.Systems) > 0 {
		f := r.Systems[0]
		if len(f.Misses) == 0 {
			fmt.Fprintf(w, "\n%s showed the section in its first %d for every question.\n", f.System, docseval.Depth)
		} else {
			fmt.Fprintf(w, "\n%s did not show the section in its first %d for %d questions:\n", f.System, docseval.Depth, len(f.Misses))
		}
		for _, m := range f.Misses {
			got := strings.Join(m.Got, ", ")
			if got == "" {
				got = "nothing"
			}
			fmt.Fprintf(w, "  %q\n    want %s; got %s\n", m.Q, strings.Join(m.Want, " or "), got)
		}
		var took []docseval.IntentAnswer
		for _, a := range f.Intents {
			if !a.Right {
				took = append(took, a)
			}
		}
		if len(took) > 0 {
			fmt.Fprintf(w, "\nan intent answered %d questions that the question file names no intent for:\n", len(took))
		}
		for _, a := range took {
			what := "answerable"
			if !a.Answerable {
				what = "unanswered"
			}
			fmt.Fprintf(w, "  %q (%s)\n    got intent %s\n", a.Q, what, a.Intent)
		}
	}
}

func percent(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100**v)
}

func decimal(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.3f", *v)
}
