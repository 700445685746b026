package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/brain/classifier"
	"github.com/docent-bot/docent/brain/dataset"
)

// brainCommands train, measure and explain the intent classifier.
func brainCommands() []Command {
	return []Command{
		{Name: "train", Group: "The classifier", Args: "[--config FILE]", Summary: "train the intent classifier now and save it", Run: (*Env).train},
		{Name: "eval", Group: "The classifier", Args: "(--dataset FILE | --cv K) [--config FILE] [--json] [--rule accuracy|balanced]", Summary: "measure the classifier on a CLINC150-shaped data set, or cross-validate the configured intents", Run: (*Env).eval},
		{Name: "explain", Group: "The classifier", Args: "[--config FILE] [--json] TEXT", Summary: "how the classifier reads TEXT: the intent, its probability, the runner-up and the words behind them", Run: (*Env).explain},
	}
}

// The classifier's commands: eval, explain, bench classifier.

func (c *Env) eval(args []string) int {
	fs := c.Flags()
	configFile := fs.String("config", "", "configuration `FILE` (its brain.classifier settings and, for --cv, its intents)")
	datasetFile := fs.String("dataset", "", "evaluate on a data set `FILE` in the CLINC150 JSON shape")
	folds := fs.Int("cv", 0, "cross-validate the configured intents with `K` folds")
	jsonOut := fs.Bool("json", false, "print one JSON object")
	rule := fs.String("rule", dataset.RuleAccuracy, "how the out-of-scope threshold is chosen on val + oos_val: accuracy (the CLINC150 paper's) or balanced")
	perIntent := fs.Int("per-intent", 0, "train on only the first `N` training examples of each intent (0: all)")
	noOOSTrain := fs.Bool("no-oos-train", false, "leave oos_train out of training")
	if code, done := c.Parse(fs, args); done {
		return code
	}
	if (*datasetFile == "") == (*folds == 0) || fs.NArg() > 0 {
		fmt.Fprintln(c.Stderr, "docent eval: give either --dataset FILE or --cv K (see docent eval --help)")
		return exitUsage
	}
	if *rule != dataset.RuleAccuracy && *rule != dataset.RuleBalanced {
		fmt.Fprintf(c.Stderr, "docent eval: --rule must be %s or %s, got %q\n", dataset.RuleAccuracy, dataset.RuleBalanced, *rule)
		return exitUsage
	}
	cfg, err := c.LoadConfig(*configFile)
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitUsage
	}
	ctx, stop := signalCtx()
	defer stop()
	if *folds != 0 {
		return c.crossValidate(ctx, cfg, *folds, *jsonOut)
	}

	d, err := dataset.LoadFile(*datasetFile)
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitUsage
	}
	if len(d.Test) == 0 {
		fmt.Fprintf(c.Stderr, "docent eval: %s has no test examples to measure on\n", *datasetFile)
		return exitUsage
	}
	if *perIntent > 0 {
		d.Train = dataset.PerIntent(d.Train, *perIntent)
	}
	rep, err := dataset.Evaluate(ctx, d, cfg.Brain.Classifier, dataset.Options{Rule: *rule, NoOOSTrain: *noOOSTrain})
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitError
	}
	roundReport(&rep)
	if *jsonOut {
		return c.printJSON(rep)
	}
	intents := map[string]bool{}
	for _, e := range d.Train {
		intents[e.Label] = true
	}
	fmt.Fprintf(c.Stdout, "%s: %d training examples of %d intents (+%d out-of-scope); %d+%d validation; %d+%d test\n\n",
		*datasetFile, len(d.Train), len(intents), len(d.OOSTrain), len(d.Val), len(d.OOSVal), len(d.Test), len(d.OOSTest))
	w := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "in_scope_accuracy\t%v\n", rep.InScopeAccuracy)
	fmt.Fprintf(w, "oos_recall\t%s\n", optional(rep.OOSRecall))
	fmt.Fprintf(w, "macro_f1\t%v\n", rep.MacroF1)
	fmt.Fprintf(w, "threshold\t%v\t(rule: %s)\n", rep.Threshold, rep.Rule)
	fmt.Fprintf(w, "train_seconds\t%v\n", rep.TrainSeconds)
	fmt.Fprintf(w, "predict_p50_us\t%v\n", rep.PredictP50us)
	fmt.Fprintf(w, "predict_p99_us\t%v\n", rep.PredictP99us)
	fmt.Fprintf(w, "model_bytes\t%d\t(%.1f MB)\n", rep.ModelBytes, float64(rep.ModelBytes)/1e6)
	fmt.Fprintf(w, "peak_rss_bytes\t%d\t(%.0f MB)\n", rep.PeakRSSBytes, float64(rep.PeakRSSBytes)/1e6)
	w.Flush()
	if len(rep.Rules) > 1 {
		fmt.Fprintf(c.Stdout, "\nAt each rule's threshold:\n")
		w = tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintf(w, "rule\tthreshold\tin_scope_accuracy\toos_recall\tmacro_f1\n")
		for _, r := range rep.Rules {
			fmt.Fprintf(w, "%s\t%v\t%v\t%s\t%v\n", r.Rule, r.Threshold, r.InScopeAccuracy, optional(r.OOSRecall), r.MacroF1)
		}
		w.Flush()
	}
	return exitOK
}

func optional(v *float64) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(*v)
}

// roundReport rounds the figures once, so that the screen and --json show
// the very same numbers.
func roundReport(r *dataset.Report) {
	round := func(v float64, places int) float64 {
		p := math.Pow(10, float64(places))
		return math.Round(v*p) / p
	}
	ratio := func(v *float64) {
		if v != nil {
			*v = round(*v, 4)
		}
	}
	for _, v := range []*float64{&r.InScopeAccuracy, &r.MacroF1, &r.Threshold} {
		ratio(v)
	}
	ratio(r.OOSRecall)
	r.TrainSeconds = round(r.TrainSeconds, 2)
	r.PredictP50us = round(r.PredictP50us, 1)
	r.PredictP99us = round(r.PredictP99us, 1)
	for i := range r.Rules {
		for _, v := range []*float64{&r.Rules[i].InScopeAccuracy, &r.Rules[i].MacroF1, &r.Rules[i].Threshold} {
			ratio(v)
		}
		ratio(r.Rules[i].OOSRecall)
	}
}

func (c *Env) printJSON(v any) int {
	enc := json.NewEncoder(c.Stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitError
	}
	return exitOK
}

// examplesOf turns the configured intents into training examples.
func examplesOf(cfg *bot.Config) ([]classifier.Example, error) {
	intents, err := cfg.LoadIntents()
	if err != nil {
		return nil, err
	}
	var ex []classifier.Example
	for _, in := range intents {
		for _, p := range in.Patterns {
			ex = append(ex, classifier.Example{Text: p, Label: in.Name})
		}
	}
	return ex, nil
}

// cvJSON is `docent eval --cv K --json`.
type cvJSON struct {
	*dataset.CVReport
	Similar []dataset.Similar `json:"similar_patterns"`
}

// similarOverlap is the word overlap at which two patterns of different
// intents are reported as too similar.
const similarOverlap = 0.75

func (c *Env) crossValidate(ctx context.Context, cfg *bot.Config, k int, jsonOut bool) int {
	if k < 2 {
		fmt.Fprintf(c.Stderr, "docent eval: --cv needs at least 2 folds, got %d\n", k)
		return exitUsage
	}
	ex, err := examplesOf(cfg)
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitUsage
	}
	rep, err := dataset.CrossValidate(ctx, ex, k, cfg.Brain.Classifier)
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitError
	}
	similar := dataset.SimilarPatterns(ex, similarOverlap, 20)
	if jsonOut {
		return c.printJSON(cvJSON{rep, similar})
	}
	fmt.Fprintf(c.Stdout, "%d-fold cross-validation of %d intents (%d patterns) in %.1f s: accuracy %.1f%%, macro F1 %.3f\n\n",
		k, len(rep.Intents), len(ex), rep.TrainSeconds, 100*rep.Accuracy, rep.MacroF1)

	scores := slices.Clone(rep.Intents)
	slices.SortStableFunc(scores, func(a, b dataset.IntentScore) int { return cmpFloat(a.F1, b.F1) })
	w := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "intent\tpatterns\tprecision\trecall\tF1\t\n")
	for _, s := range scores {
		fmt.Fprintf(w, "%s\t%d\t%.2f\t%.2f\t%.2f\t\n", s.Intent, s.Examples, s.Precision, s.Recall, s.F1)
	}
	w.Flush()
	fmt.Fprintln(c.Stdout, "(worst first)")

	if len(rep.Confusion) > 0 {
		fmt.Fprintf(c.Stdout, "\nMost confused (asked → answered as):\n")
		for _, cf := range rep.Confusion[:min(10, len(rep.Confusion))] {
			quoted := make([]string, len(cf.Examples))
			for i, e := range cf.Examples {
				quoted[i] = fmt.Sprintf("%q", e)
			}
			fmt.Fprintf(c.Stdout, "  %s → %s ×%d, e.g. %s\n", cf.Intent, cf.Predicted, cf.Count, strings.Join(quoted, ", "))
		}
	}
	if len(rep.Few) > 0 || len(similar) > 0 {
		fmt.Fprintf(c.Stdout, "\nTo fix:\n")
		for _, f := range rep.Few {
			fmt.Fprintf(c.Stdout, "  %s has too few patterns to learn from (fewer than %d): add more, in different words\n", f, k)
		}
		for _, s := range similar {
			fmt.Fprintf(c.Stdout, "  too similar (%.0f%% the same words): %q (%s) and %q (%s)\n", 100*s.Overlap, s.A.Text, s.A.Label, s.B.Text, s.B.Label)
		}
	}
	return exitOK
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (c *Env) explain(args []string) int {
	fs := c.Flags()
	configFile := fs.String("config", "", "configuration `FILE`")
	jsonOut := fs.Bool("json", false, "print one JSON object")
	if code, done := c.Parse(fs, args); done {
		return code
	}
	text := strings.Join(fs.Args(), " ")
	if strings.TrimSpace(text) == "" {
		fmt.Fprintln(c.Stderr, `docent explain: give the text to explain, e.g. docent explain "how do I install it?"`)
		return exitUsage
	}
	cfg, err := c.LoadConfig(*configFile)
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitUsage
	}
	w, err := bot.Explain(context.Background(), cfg, newLogger(cfg, io.Discard), text)
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitError
	}
	if *jsonOut {
		return c.printJSON(w)
	}
	fmt.Fprintln(c.Stdout, w.String())
	return exitOK
}

// benchClassifier trains on the configured intents (or a data set's train
// split) several times and times single-sentence predictions.
func (c *Env) benchClassifier(args []string) int {
	fs := c.Flags()
	configFile := fs.String("config", "", "configuration `FILE`")
	datasetFile := fs.String("dataset", "", "use this data set's train split (CLINC150 JSON shape) instead of the configured intents")
	runs := fs.Int("runs", 3, "training runs (the median is reported)")
	cfg, code, done := c.Setup(fs, args, configFile)
	if done {
		return code
	}
	var (
		ex  []classifier.Example
		err error
	)
	source := "the configured intents"
	if *datasetFile != "" {
		d, err := dataset.LoadFile(*datasetFile)
		if err != nil {
			fmt.Fprintln(c.Stderr, err)
			return exitUsage
		}
		ex, source = d.Train, *datasetFile
	} else if ex, err = examplesOf(cfg); err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitUsage
	}
	ctx := context.Background()
	var trains []time.Duration
	var m *classifier.Model
	for range max(*runs, 1) {
		start := time.Now()
		m, err = classifier.Train(ctx, ex, cfg.Brain.Classifier)
		if err != nil {
			fmt.Fprintln(c.Stderr, err)
			return exitError
		}
		trains = append(trains, time.Since(start))
	}
	slices.Sort(trains)

	// Each example's text, predicted on its own, many times over.
	var lat []time.Duration
	dst := make([]classifier.Score, 0, 3)
	for _, e := range ex {
		m.ClassifyInto(dst, e.Text, 3) // warm
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for round := 0; len(lat) < 200000 && round < 50; round++ {
		for _, e := range ex {
			start := time.Now()
			m.ClassifyInto(dst, e.Text, 3)
			lat = append(lat, time.Since(start))
		}
	}
	runtime.ReadMemStats(&after)
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(int(p*float64(len(lat))), len(lat)-1)].Nanoseconds()) / 1e3
	}
	data, _ := m.MarshalBinary()
	fmt.Fprintf(c.Stdout, "classifier on %s: %d examples of %d intents, %d features\n", source, len(ex), len(m.Labels()), m.Vocabulary())
	w := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "train\t%.2f s median of %d (min %.2f, max %.2f)\n", trains[len(trains)/2].Seconds(), len(trains), trains[0].Seconds(), trains[len(trains)-1].Seconds())
	fmt.Fprintf(w, "predict\tp50 %.1f µs, p99 %.1f µs, p99.9 %.1f µs over %d predictions\n", pct(0.5), pct(0.99), pct(0.999), len(lat))
	fmt.Fprintf(w, "allocations\t%.3f per prediction\n", float64(after.Mallocs-before.Mallocs)/float64(len(lat)))
	fmt.Fprintf(w, "model\t%.1f MB\n", float64(len(data))/1e6)
	fmt.Fprintf(w, "peak RSS\t%.0f MB\n", float64(dataset.PeakRSS())/1e6)
	w.Flush()
	return exitOK
}

func (c *Env) train(args []string) int {
	fs := c.Flags()
	configFile := fs.String("config", "", "configuration `FILE`")
	cfg, code, done := c.Setup(fs, args, configFile)
	if done {
		return code
	}
	p, err := bot.Train(context.Background(), cfg, c.Logger(cfg))
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitError
	}
	fmt.Fprintf(c.Stdout, "trained on %d patterns of %d intents in %s; saved to %s\n", p.Examples, p.Intents, p.Took.Round(time.Millisecond), cfg.StorePath())
	return exitOK
}
