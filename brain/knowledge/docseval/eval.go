package docseval

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"
)

// Depth is how many passages the figures look at: recall@3 and MRR@3
// count a section found among the first three shown.
const Depth = 3

// System is a search under test.
type System struct {
	Name string
	// Search returns the IDs of the passages shown for q, best first, as
	// question files name sections (relative to the docs folder, "~2"
	// part suffixes allowed); none when it abstains ("not sure"). Only the
	// first Depth count.
	Search func(ctx context.Context, q string) ([]string, error)
	// Intent, when set, answers q as a member asks it and returns the
	// intent that answered, "" when the docs (or "not sure") did: the
	// whole answer path, where an intent the classifier is sure of is
	// answered before the docs are searched.
	Intent func(ctx context.Context, q string) (string, error)
}

// Options tune Evaluate.
type Options struct {
	// Runs is how many times each question is searched and timed, for
	// the latency (default 5), after a first search that gives the
	// figures and warms the caches.
	Runs int
	// Within maps each passage's section, as question files name it, to
	// the sections that hold it, outermost first (knowledge.Passage's
	// Within). A wanted heading with no text of its own before its
	// subsections is no passage: a subsection of it shown counts as it
	// (the member lands inside the wanted section). A wanted section that
	// is a passage is found only as itself.
	Within map[string][]string
}

// Figures are how one system did on a question set. Ratios are in [0, 1],
// null when the set has no question they are about.
type Figures struct {
	System string `json:"system"`
	// Recall@k: the share of answerable questions for which a wanted
	// section (or, at page level, a section of a wanted page) is among
	// the first k shown.
	SectionAt1 *float64 `json:"section_recall_at_1"`
	SectionAt3 *float64 `json:"section_recall_at_3"`
	PageAt1    *float64 `json:"page_recall_at_1"`
	PageAt3    *float64 `json:"page_recall_at_3"`
	// MRR is the mean of 1/rank of the first wanted section among the
	// first Depth shown (0 when none is).
	MRR *float64 `json:"mrr_at_3"`
	// NoPassage is the share of answerable questions shown nothing: the
	// member hears "not sure" although the docs answer.
	NoPassage *float64 `json:"answerable_no_passage"`
	// Abstained is the share of unanswered questions shown nothing: an
	// honest "I don't know".
	Abstained *float64 `json:"unanswered_abstained"`
	// Latency of one search, over every question and run.
	P50ms float64 `json:"latency_p50_ms"`
	P99ms float64 `json:"latency_p99_ms"`
	// Misses are the answerable questions whose section is not among the
	// first Depth shown.
	Misses []Miss `json:"misses,omitempty"`
	// IntentTook is the share of answerable questions an intent answered
	// instead of the docs (the question naming no such intent): the
	// member got the intent's response, whatever the search found. Null
	// for a system without an Intent, or a set with no answerable question.
	IntentTook *float64 `json:"answerable_intent,omitempty"`
	// IntentUnanswered is the share of unanswered questions an intent
	// answered (the question naming no such intent).
	IntentUnanswered *float64 `json:"unanswered_intent,omitempty"`
	// Intents are the questions an intent answered, in file order.
	Intents []IntentAnswer `json:"intent_answers,omitempty"`
}

// IntentAnswer is a question that an intent answered.
type IntentAnswer struct {
	Q      string `json:"q"`
	Intent string `json:"intent"`
	// Answerable is whether the docs answer it; Right whether the
	// question file names this intent as a right answer.
	Answerable bool `json:"answerable"`
	Right      bool `json:"right"`
}

// Miss is an answerable question whose section was not found.
type Miss struct {
	Q    string   `json:"q"`
	Want []string `json:"want"`
	Got  []string `json:"got"` // the sections shown, best first
}

// Evaluate runs every question of set through each system and measures
// them.
func Evaluate(ctx context.Context, set Set, systems []System, opts Options) ([]Figures, error) {
	runs := opts.Runs
	if runs <= 0 {
		runs = 5
	}
	out := make([]Figures, 0, len(systems))
	for _, sys := range systems {
		f, err := evaluate(ctx, set, sys, runs, opts.Within)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func evaluate(ctx context.Context, set Set, sys System, runs int, within map[string][]string) (Figures, error) {
	texts := make([]string, 0, len(set.Questions)+len(set.Unanswered))
	for _, q := range set.Questions {
		texts = append(texts, q.Q)
	}
	for _, u := range set.Unanswered {
		texts = append(texts, u.Q)
	}
	shown := make([][]string, len(texts))
	lat := make([]time.Duration, 0, runs*len(texts))
	// Every question once per run, rather than one question many times
	// in a row, so that no run finds everything in the caches. Run 0 is
	// not timed: it gives the figures.
	for run := range runs + 1 {
		for i, text := range texts {
			if err := ctx.Err(); err != nil {
				return Figures{}, err
			}
			start := time.Now()
			ids, err := sys.Search(ctx, text)
			took := time.Since(start)
			if err != nil {
				return Figures{}, fmt.Errorf("docs eval: %s: search %q: %w", sys.Name, text, err)
			}
			if run == 0 {
				shown[i] = ids[:min(len(ids), Depth)]
				continue
			}
			lat = append(lat, took)
		}
	}

	f := Figures{System: sys.Name}
	var sec1, sec3, page1, page3, rr, none float64
	for i, q := range set.Questions {
		got := shown[i]
		if len(got) == 0 {
			none++
		}
		if r := rankSection(got, q.Want, within); r > 0 {
			sec3++
			rr += 1 / float64(r)
			if r == 1 {
				sec1++
			}
		} else {
			var secs []string
			for _, id := range got {
				secs = append(secs, Section(id))
			}
			f.Misses = append(f.Misses, Miss{Q: q.Q, Want: q.Want, Got: secs})
		}
		if r := rank(got, q.Want, Page); r > 0 {
			page3++
			if r == 1 {
				page1++
			}
		}
	}
	n := len(set.Questions)
	f.SectionAt1, f.SectionAt3 = ratio(sec1, n), ratio(sec3, n)
	f.PageAt1, f.PageAt3 = ratio(page1, n), ratio(page3, n)
	f.MRR, f.NoPassage = ratio(rr, n), ratio(none, n)
	var abstained float64
	for i := range set.Unanswered {
		if len(shown[len(set.Questions)+i]) == 0 {
			abstained++
		}
	}
	f.Abstained = ratio(abstained, len(set.Unanswered))
	if sys.Intent != nil {
		if err := intents(ctx, set, sys, &f); err != nil {
			return Figures{}, err
		}
	}
	slices.Sort(lat)
	f.P50ms, f.P99ms = percentile(lat, 0.50), percentile(lat, 0.99)
	return f, nil
}

// intents runs every question through sys.Intent, untimed: how often
// an intent answered what the docs should have.
func intents(ctx context.Context, set Set, sys System, f *Figures) error {
	var took, unanswered float64
	ask := func(q, right string, answerable bool) error {
		name, err := sys.Intent(ctx, q)
		if err != nil {
			return fmt.Errorf("docs eval: %s: answer %q: %w", sys.Name, q, err)
		}
		if name == "" {
			return nil
		}
		a := IntentAnswer{Q: q, Intent: name, Answerable: answerable, Right: name == right}
		f.Intents = append(f.Intents, a)
		switch {
		case a.Right:
		case answerable:
			took++
		default:
			unanswered++
		}
		return nil
	}
	for _, q := range set.Questions {
		if err := ask(q.Q, q.Intent, true); err != nil {
			return err
		}
	}
	for _, u := range set.Unanswered {
		if err := ask(u.Q, u.Intent, false); err != nil {
			return err
		}
	}
	f.IntentTook = ratio(took, len(set.Questions))
	f.IntentUnanswered = ratio(unanswered, len(set.Unanswered))
	return nil
}

// rank is the 1-based position of the first of got that is, at the level
// of, one of want; 0 when none is.
func rank(got, want []string, level func(string) string) int {
	for i, id := range got {
		for _, w := range want {
			if level(id) == level(w) {
				return i + 1
			}
		}
	}
	return 0
}

// rankSection is rank at section level, where a shown subsection of a
// wanted heading that is no passage counts as that heading (see
// Options.Within).
func rankSection(got, want []string, within map[string][]string) int {
	for i, id := range got {
		sec := Section(id)
		for _, w := range want {
			if sec == w {
				return i + 1
			}
			if _, passage := within[w]; !passage && slices.Contains(within[sec], w) {
				return i + 1
			}
		}
	}
	return 0
}

func ratio(x float64, n int) *float64 {
	if n == 0 {
		return nil
	}
	r := x / float64(n)
	return &r
}

// percentile is the nearest-rank percentile of sorted durations, in ms.
func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := max(int(math.Ceil(p*float64(len(sorted))))-1, 0)
	return float64(sorted[i].Nanoseconds()) / 1e6
}

// MissingWants returns the wanted sections of set that are not among ids
// (passage IDs as systems return them, and the sections holding them:
// see Options.Within), in file order: a renamed heading,
// or an anchor the splitter makes differently, shows here rather than as a
// silent miss.
func MissingWants(set Set, ids []string) []string {
	have := map[string]bool{}
	for _, id := range ids {
		have[Section(id)] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, q := range set.Questions {
		for _, w := range q.Want {
			if !have[Section(w)] && !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}
