package classifier

import (
	"math"
	"slices"
	"strings"
)

// Explanation says why the model gave a text its probabilities.
type Explanation struct {
	// Known is Result.Known for the text.
	Known int
	// Labels holds one entry per requested intent, in the order asked.
	Labels []LabelWhy
}

// LabelWhy is one intent's probability and the words behind it.
type LabelWhy struct {
	Label string
	P     float64
	// Words holds every word of the text, the one that pushed most toward
	// the intent first and the one that pushed most against it last.
	Words []WordWeight
}

// WordWeight is a word as the member wrote it (after Unicode NFKC
// normalisation) and its weight: how much the log-probability of the
// intent drops when the word is left out (its features, and the word pairs
// it is part of). Positive weights push toward the intent, negative ones
// against.
type WordWeight struct {
	Word   string
	Weight float64
}

// Explain gives the probability of each of labels for text and the words
// that pushed toward and against it; with no labels, the two most likely
// intents. Unknown labels are skipped. It is deterministic.
func (m *Model) Explain(text string, labels ...string) Explanation {
	sc := m.getScratch()
	defer m.scratch.Put(sc)
	m.features(sc, text)
	ex := Explanation{Known: sc.knownWords()}
	probs := make([]float32, len(m.labels)+1)
	m.forward(sc.rows, sc.hidden, probs)
	probabilities(probs)
	if len(labels) == 0 {
		for _, s := range m.ClassifyInto(nil, text, 2).Top {
			labels = append(labels, s.Label)
		}
	}
	var want []int
	for _, l := range labels {
		if i := slices.Index(m.labels, l); i >= 0 {
			want = append(want, i)
			ex.Labels = append(ex.Labels, LabelWhy{Label: l, P: float64(probs[i])})
		}
	}

	// Leave each word out in turn.
	f := &sc.f
	rowOf := make([]int32, len(f.ids))
	for i, id := range f.ids {
		rowOf[i] = m.tab.get(id)
	}
	without := make([]float32, len(m.labels)+1)
	var rows []int32
	for p := range f.sp.Pieces {
		rows = rows[:0]
		for i, r := range rowOf {
			if o := f.owner[i]; r >= 0 && o[0] != int32(p) && o[1] != int32(p) {
				rows = append(rows, r)
			}
		}
		m.forward(rows, sc.hidden, without)
		probabilities(without)
		word := strings.Clone(f.sp.Text(p))
		for j, c := range want {
			w := logp(probs[c]) - logp(without[c])
			ex.Labels[j].Words = append(ex.Labels[j].Words, WordWeight{Word: word, Weight: w})
		}
	}
	for j := range ex.Labels {
		// Stable: equal weights keep the order of the text.
		slices.SortStableFunc(ex.Labels[j].Words, func(a, b WordWeight) int {
			switch {
			case a.Weight > b.Weight:
				return -1
			case a.Weight < b.Weight:
				return 1
			}
			return 0
		})
	}
	return ex
}

func logp(p float32) float64 { return math.Log(max(float64(p), 1e-30)) }
