// Package gaps finds what members ask that Docent cannot answer: it groups
// the questions Docent was unsure of (or whose answers were voted down) by
// the words they share, largest group first, and names each group, so
// that an admin can turn it into an intent in one step.
package gaps

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/docent-bot/docent/brain/tokenize"
)

// Question is one question Docent did not answer well.
type Question struct {
	ID   uint64
	Text string
}

// Cluster is a group of similar questions.
type Cluster struct {
	// Name is a suggested intent name from the group's most telling words.
	Name      string
	Questions []Question
}

// MinSimilarity is how alike (cosine of IDF-weighted words) a question
// must be to a group to join it.
const MinSimilarity = 0.5

// Find groups questions, largest group first (ties: the group whose first
// question came first). background are texts whose words are common (the
// intents' patterns): they make words like "how" and "do" weigh little.
// The result depends only on the inputs and their order.
func Find(questions []Question, background []string) []Cluster {
	docs := make([]map[string]float64, len(questions))
	df := map[string]int{}
	count := func(text string) map[string]float64 {
		tf := map[string]float64{}
		for _, t := range tokenize.Tokens(nil, text) {
			if t.Kind == tokenize.Word || t.Kind == tokenize.CharBigram {
				tf[t.Text]++
			}
		}
		return tf
	}
	for _, b := range background {
		for w := range count(b) {
			df[w]++
		}
	}
	for i, q := range questions {
		docs[i] = count(q.Text)
		for w := range docs[i] {
			df[w]++
		}
	}
	n := float64(len(questions) + len(background))
	idf := func(w string) float64 { return math.Log(1 + n/float64(df[w])) }
	for _, d := range docs {
		norm := 0.0
		for w, tf := range d {
			d[w] = tf * idf(w)
			norm += d[w] * d[w]
		}
		norm = math.Sqrt(norm)
		for w := range d {
			d[w] /= norm
		}
	}

	type group struct {
		sum     map[string]float64 // of the members' vectors
		norm    float64            // of sum
		members []int
	}
	var groups []*group
	for i, d := range docs {
		if len(d) == 0 {
			continue
		}
		var best *group
		bestSim := MinSimilarity
		for _, g := range groups {
			// The cosine with the centroid, the normalised sum.
			if s := cosine(d, g.sum) / g.norm; s >= bestSim {
				best, bestSim = g, s
			}
		}
		if best == nil {
			best = &group{sum: map[string]float64{}}
			groups = append(groups, best)
		}
		best.members = append(best.members, i)
		for w, v := range d {
			best.sum[w] += v
		}
		best.norm = 0
		for _, v := range best.sum {
			best.norm += v * v
		}
		best.norm = math.Sqrt(best.norm)
	}
	slices.SortStableFunc(groups, func(a, b *group) int { return cmp.Compare(len(b.members), len(a.members)) })
	out := make([]Cluster, 0, len(groups))
	// Words as written, for the names: how many texts use each.
	rawDF := map[string]int{}
	for _, t := range append(slices.Clone(background), texts(questions)...) {
		seen := map[string]bool{}
		for _, w := range strings.FieldsFunc(strings.ToLower(t), func(r rune) bool { return !('a' <= r && r <= 'z' || '0' <= r && r <= '9') }) {
			if !seen[w] {
				seen[w] = true
				rawDF[w]++
			}
		}
	}
	for _, g := range groups {
		var c Cluster
		for _, m := range g.members {
			c.Questions = append(c.Questions, questions[m])
		}
		c.Name = name(c.Questions, rawDF, len(questions)+len(background))
		out = append(out, c)
	}
	return out
}

func texts(qs []Question) []string {
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = q.Text
	}
	return out
}

func cosine(a, b map[string]float64) float64 {
	if len(a) > len(b) {
		a, b = b, a
	}
	s := 0.0
	for w, v := range a {
		s += v * b[w]
	}
	return s
}

// name makes an intent name of the two most telling words the group's
// questions use, as written (not stemmed): frequent in the group, rare in
// the background.
func name(qs []Question, rawDF map[string]int, total int) string {
	tf := map[string]int{}
	for _, q := range qs {
		for _, w := range strings.FieldsFunc(strings.ToLower(q.Text), func(r rune) bool { return !('a' <= r && r <= 'z' || '0' <= r && r <= '9') }) {
			if isNameWord(w) {
				tf[w]++
			}
		}
	}
	type ww struct {
		w string
		v float64
	}
	var words []ww
	for w, n := range tf {
		words = append(words, ww{w, float64(n) * math.Log(1+float64(total)/float64(1+rawDF[w]))})
	}
	slices.SortFunc(words, func(a, b ww) int { return cmp.Or(cmp.Compare(b.v, a.v), strings.Compare(a.w, b.w)) })
	var parts []string
	for _, x := range words[:min(2, len(words))] {
		parts = append(parts, x.w)
	}
	if len(parts) == 0 {
		return "unanswered_questions"
	}
	return strings.Join(parts, "_")
}

func isNameWord(w string) bool {
	if len(w) < 3 {
		return false
	}
	for _, r := range w {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}
