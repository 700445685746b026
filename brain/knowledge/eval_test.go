package knowledge

import (
	"context"
	"fmt"
	"github.com/docent-bot/docent/chat"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// guideDir is Docent's own user guide, the knowledge folder of the example
// config, and evalFile the questions written for it.
const (
	guideDir  = "../../docs/guide"
	evalFile  = guideDir + "/eval.yaml"
	guideBase = "https://github.com/docent-bot/docent/blob/main/docs/guide/"
)

type evalSet struct {
	Questions []struct {
		Q    string `yaml:"q"`
		Want wants  `yaml:"want"`
	} `yaml:"questions"`
	Unanswered []string `yaml:"unanswered"`
}

// wants is one file#anchor, or a list of them of which any counts.
type wants []string

func (w *wants) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*w = wants{n.Value}
		return nil
	}
	return n.Decode((*[]string)(w))
}

func loadEval(t testing.TB) evalSet {
	t.Helper()
	data, err := os.ReadFile(evalFile)
	if err != nil {
		t.Fatal(err)
	}
	var set evalSet
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&set); err != nil {
		t.Fatalf("%s: %v", evalFile, err)
	}
	return set
}

// starterPatterns are the example questions of Docent's starter intents,
// the background the bot gives the index.
func starterPatterns(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../../intents/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("starter intents: %v", err)
	}
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var file struct {
			Intents []struct {
				Patterns []string `yaml:"patterns"`
			} `yaml:"intents"`
		}
		if err := yaml.Unmarshal(data, &file); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, in := range file.Intents {
			out = append(out, in.Patterns...)
		}
	}
	return out
}

func guideIndex(t testing.TB, opts Options, background []string) *Index {
	t.Helper()
	ix := New(opts)
	ix.SetBackground(background)
	if err := ix.Rebuild(context.Background(), []Folder{{Path: guideDir, BaseURL: guideBase}}); err != nil {
		t.Fatal(err)
	}
	return ix
}

// sectionOf is a hit's file#anchor in the guide, without the part number.
func sectionOf(h Hit) string {
	id := strings.TrimPrefix(h.ID, guideDir+"/")
	if i := strings.LastIndexByte(id, '~'); i > strings.LastIndexByte(id, '#') {
		id = id[:i]
	}
	return id
}

// evalResult is how one ranking did on the eval set.
type evalResult struct {
	at1, at3, mrr float64
	misses        []string // questions whose passage is not in the top 3
	relevant      []float64
	unanswered    []float64 // top-1 confidence of each unanswered question
	relScore      []float64 // top-1 raw scores, for comparison
	unScore       []float64
}

func evaluate(ix *Index, set evalSet) evalResult {
	var r evalResult
	for _, q := range set.Questions {
		hits := ix.Search(q.Q, 3, chat.Place{})
		rank := 0
		for i, h := range hits {
			if slices.Contains(q.Want, sectionOf(h)) {
				rank = i + 1
				break
			}
		}
		switch {
		case rank == 1:
			r.at1++
			fallthrough
		case rank > 0:
			r.at3++
			r.mrr += 1 / float64(rank)
		default:
			var got []string
			for _, h := range hits {
				got = append(got, sectionOf(h))
			}
			r.misses = append(r.misses, fmt.Sprintf("%q: want %v, got %v", q.Q, q.Want, got))
		}
		conf, score := 0.0, 0.0
		if len(hits) > 0 {
			conf, score = hits[0].Confidence, hits[0].Score
		}
		r.relevant = append(r.relevant, conf)
		r.relScore = append(r.relScore, score)
	}
	n := float64(len(set.Questions))
	r.at1, r.at3, r.mrr = r.at1/n, r.at3/n, r.mrr/n
	for _, q := range set.Unanswered {
		conf, score := 0.0, 0.0
		if hits := ix.Search(q, 1, chat.Place{}); len(hits) > 0 {
			conf, score = hits[0].Confidence, hits[0].Score
		}
		r.unanswered = append(r.unanswered, conf)
		r.unScore = append(r.unScore, score)
	}
	return r
}

// separation counts the relevant questions whose best hit falls below min
// and the unanswered ones whose best hit reaches it.
func separation(relevant, unanswered []float64, min float64) (below, above int) {
	for _, c := range relevant {
		if c < min {
			below++
		}
	}
	for _, c := range unanswered {
		if c >= min {
			above++
		}
	}
	return below, above
}

// TestRetrievalQuality measures the search over the shipped guide:
// recall@1 and recall@3 of the eval questions, and how well the "not
// sure" decision (Index.MinConfidence) separates them from questions the
// guide does not answer. Run with -v for the figures.
func TestRetrievalQuality(t *testing.T) {
	set := loadEval(t)
	if len(set.Questions) < 40 || len(set.Unanswered) < 10 {
		t.Fatalf("%s: %d questions and %d unanswered; want at least 40 and 10", evalFile, len(set.Questions), len(set.Unanswered))
	}
	ix := guideIndex(t, Options{}, starterPatterns(t))
	// Every expected passage exists: a renamed heading fails here, not as
	// a silent miss.
	sections := map[string]bool{}
	for _, e := range ix.entries {
		sections[sectionOf(Hit{Passage: e.p})] = true
	}
	for _, q := range set.Questions {
		for _, w := range q.Want {
			if !sections[w] {
				t.Errorf("%s: %q expects %s, which is not a passage of the guide", evalFile, q.Q, w)
			}
		}
	}

	r := evaluate(ix, set)
	t.Logf("%d questions over %d passages: recall@1 %.3f, recall@3 %.3f, MRR@3 %.3f", len(set.Questions), ix.Len(), r.at1, r.at3, r.mrr)
	for _, m := range r.misses {
		t.Logf("not in the top 3: %s", m)
	}
	// The "not sure" decision: each question against the index's own cut
	// for its length.
	var below, above int
	for i, q := range set.Questions {
		if r.relevant[i] < ix.MinConfidence(q.Q) {
			below++
		}
	}
	for i, q := range set.Unanswered {
		if r.unanswered[i] >= ix.MinConfidence(q) {
			above++
		}
	}
	t.Logf("\"not sure\" cut (%.2f of off-topic questions of the same length): %d of %d answered questions below it, %d of %d unanswered questions at or above it",
		DefaultNotSureQuantile, below, len(r.relevant), above, len(r.unanswered))
	t.Logf("fixed cuts, for comparison:")
	for _, min := range []float64{0.06, 0.08, 0.10, 0.12, 0.14} {
		below, above := separation(r.relevant, r.unanswered, min)
		t.Logf("  at %.2f: %2d answered below, %2d unanswered at or above", min, below, above)
	}
	t.Logf("top-1 confidence, answered:   %s", quantiles(r.relevant))
	t.Logf("top-1 confidence, unanswered: %s", quantiles(r.unanswered))
	if r.at3 < 0.90 {
		t.Errorf("recall@3 = %.3f, want at least 0.90", r.at3)
	}
	// The decision hides at most 5% of the answered questions and keeps
	// at least half of the unanswered ones out.
	if 20*below > len(r.relevant) || 2*above > len(r.unanswered) {
		t.Errorf("the \"not sure\" cut separates badly: %d of %d answered below, %d of %d unanswered above",
			below, len(r.relevant), above, len(r.unanswered))
	}
}

// quantiles shows a distribution as min, quartiles and max.
func quantiles(xs []float64) string {
	s := slices.Clone(xs)
	sort.Float64s(s)
	q := func(p float64) float64 { return s[int(p*float64(len(s)-1)+0.5)] }
	return fmt.Sprintf("min %.3f  q1 %.3f  median %.3f  q3 %.3f  max %.3f", q(0), q(0.25), q(0.5), q(0.75), q(1))
}
