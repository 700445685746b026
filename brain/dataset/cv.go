package dataset

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/docent-bot/docent/brain/classifier"
	"github.com/docent-bot/docent/brain/tokenize"
)

// CVReport is the outcome of cross-validation on a list of examples.
type CVReport struct {
	Folds     int           `json:"folds"`
	Accuracy  float64       `json:"accuracy"`
	MacroF1   float64       `json:"macro_f1"`
	Intents   []IntentScore `json:"intents"`   // in the order intents first appear
	Confusion []Confusion   `json:"confusion"` // most frequent first
	// Few lists intents with fewer examples than folds: some folds test
	// them without any training example.
	Few          []string `json:"few,omitempty"`
	TrainSeconds float64  `json:"train_seconds"` // all folds
}

// IntentScore is one intent's precision, recall and F1 over all folds.
type IntentScore struct {
	Intent    string  `json:"intent"`
	Examples  int     `json:"examples"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// Confusion is a pair of intents the model mixed up: examples of Intent
// classified as Predicted, with up to three of them.
type Confusion struct {
	Intent    string   `json:"intent"`
	Predicted string   `json:"predicted"`
	Count     int      `json:"count"`
	Examples  []string `json:"examples"`
}

// CrossValidate runs stratified k-fold cross-validation: each intent's
// examples are shuffled (by s.Seed) and dealt round-robin into k folds; each
// fold is classified by a model trained on the others. Every example is
// tested once, by its top intent, without a threshold.
func CrossValidate(ctx context.Context, examples []classifier.Example, k int, s classifier.Settings) (*CVReport, error) {
	if k < 2 {
		return nil, fmt.Errorf("dataset: cross-validation needs at least 2 folds, got %d", k)
	}
	var order []string
	byIntent := map[string][]int{}
	for i, e := range examples {
		if e.Label == "" {
			continue
		}
		if _, ok := byIntent[e.Label]; !ok {
			order = append(order, e.Label)
		}
		byIntent[e.Label] = append(byIntent[e.Label], i)
	}
	if len(order) < 2 {
		return nil, fmt.Errorf("dataset: cross-validation needs at least 2 intents, got %d", len(order))
	}
	rep := &CVReport{Folds: k}
	fold := make([]int, len(examples))
	rng := rand.New(rand.NewPCG(s.Seed, 0xc0ffee))
	next := 0 // intents start at successive folds so small ones spread out
	for _, l := range order {
		idx := slices.Clone(byIntent[l])
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		for n, i := range idx {
			fold[i] = (next + n) % k
		}
		next += len(idx)
		if len(idx) < k {
			rep.Few = append(rep.Few, l)
		}
	}

	pred := make([]string, len(examples))
	start := time.Now()
	for f := range k {
		var train []classifier.Example
		for i, e := range examples {
			if e.Label == "" || fold[i] != f {
				train = append(train, e)
			}
		}
		m, err := classifier.Train(ctx, train, s)
		if err != nil {
			return nil, fmt.Errorf("dataset: fold %d of %d: %w", f+1, k, err)
		}
		for i, e := range examples {
			if e.Label != "" && fold[i] == f {
				pred[i] = m.Classify(e.Text, 1).Top[0].Label
			}
		}
	}

	rep.TrainSeconds = time.Since(start).Seconds()
	type counts struct{ tp, fp, fn int }
	per := map[string]*counts{}
	for _, l := range order {
		per[l] = &counts{}
	}
	confused := map[[2]string]*Confusion{}
	right, n := 0, 0
	for i, e := range examples {
		if e.Label == "" {
			continue
		}
		n++
		if pred[i] == e.Label {
			right++
			per[e.Label].tp++
			continue
		}
		per[e.Label].fn++
		per[pred[i]].fp++
		key := [2]string{e.Label, pred[i]}
		c := confused[key]
		if c == nil {
			c = &Confusion{Intent: e.Label, Predicted: pred[i]}
			confused[key] = c
		}
		c.Count++
		if len(c.Examples) < 3 {
			c.Examples = append(c.Examples, e.Text)
		}
	}
	rep.Accuracy = float64(right) / float64(n)
	for _, l := range order {
		c := per[l]
		is := IntentScore{Intent: l, Examples: len(byIntent[l]), F1: f1(c.tp, c.fp, c.fn)}
		if c.tp+c.fp > 0 {
			is.Precision = float64(c.tp) / float64(c.tp+c.fp)
		}
		is.Recall = float64(c.tp) / float64(c.tp+c.fn)
		rep.Intents = append(rep.Intents, is)
		rep.MacroF1 += is.F1 / float64(len(order))
	}
	for _, c := range confused {
		rep.Confusion = append(rep.Confusion, *c)
	}
	slices.SortFunc(rep.Confusion, func(a, b Confusion) int {
		return cmp.Or(b.Count-a.Count, cmp.Compare(a.Intent, b.Intent), cmp.Compare(a.Predicted, b.Predicted))
	})
	return rep, nil
}

// Similar is a pair of patterns of different intents that read nearly the
// same, so the classifier cannot tell their intents apart from them.
type Similar struct {
	A, B    classifier.Example
	Overlap float64 `json:"overlap"` // shared words over all words (Jaccard), 0 to 1
}

// SimilarPatterns finds pairs of examples of different intents whose
// words (as the tokenizer sees them) overlap by at least min, most similar
// first, at most limit of them.
func SimilarPatterns(examples []classifier.Example, min float64, limit int) []Similar {
	sets := make([]map[string]bool, len(examples))
	for i, e := range examples {
		sets[i] = map[string]bool{}
		for _, t := range tokenize.Tokens(nil, e.Text) {
			if t.Kind == tokenize.Word || t.Kind == tokenize.Char {
				sets[i][t.Text] = true
			}
		}
	}
	var out []Similar
	for i := range examples {
		for j := i + 1; j < len(examples); j++ {
			if examples[i].Label == examples[j].Label || len(sets[i]) == 0 || len(sets[j]) == 0 {
				continue
			}
			shared := 0
			for w := range sets[i] {
				if sets[j][w] {
					shared++
				}
			}
			if o := float64(shared) / float64(len(sets[i])+len(sets[j])-shared); o >= min {
				out = append(out, Similar{A: examples[i], B: examples[j], Overlap: o})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Similar) int { return cmp.Compare(b.Overlap, a.Overlap) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}
