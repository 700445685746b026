package knowledge

import (
	_ "embed"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/docent-bot/docent/brain/tokenize"
	"github.com/docent-bot/docent/chat"
)

// The "not sure" decision: is the best passage found for a question worth
// showing, or should Docent say it does not know?
//
// A fixed cut on Hit.Confidence does not hold across docs: a big set of
// docs (Hugo's 992 pages) matches any question somewhat, a small one
// hardly, and a long question, with many words no one passage holds,
// scores a lower confidence than a short one about the same section. So
// each index learns its own cut, per question length, from questions that
// no docs answer: off-topic questions (offtopic.txt), alone and joined two
// to five at a time, searched in this index. A question's best passage is
// worth showing when its confidence reaches DefaultNotSureQuantile of
// those off-topic questions of about the same length (±25% words).
// Measured on the dev questions of four docs sets (Docent's guide, Task,
// Requests, Hugo; TestNotSureAcrossSets): few answerable questions go
// unanswered on any of them; questions about the project that its docs
// do not answer (a bug, a missing feature) score like answerable ones
// and are shown passages: no score tells them apart.

// DefaultNotSureQuantile is the share of off-topic questions of a
// question's length whose best passage's confidence a question's must
// reach to be shown: 0.5, the median. Chosen on half of the dev questions
// of the four docs sets as the one that leaves at most 5% of answerable
// questions without a passage on each and abstains most (see
// TestNotSureAcrossSets for the curve).
const DefaultNotSureQuantile = 0.5

// SureQuantile is the share of off-topic questions of a question's
// length whose best passage's confidence a question's must reach for
// Docent to present the passage as the answer rather than as the closest
// it found: 0.9, nine in ten off-topic questions of that length match the
// docs less well. Between the two cuts an answer is shown hedged.
const SureQuantile = 0.9

//go:embed offtopic.txt
var offTopicFile string

// offTopic returns the off-topic questions of offtopic.txt.
func offTopic() []string {
	var out []string
	for line := range strings.Lines(offTopicFile) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

// Calibration: off-topic questions joined up to maxJoined at a time, the
// least number of them a cut is taken from, and the longest question the
// cuts are kept for (longer ones get its cut).
const (
	maxJoined       = 5
	minNullSamples  = 30
	maxCalibrated   = 256
	lengthTolerance = 1.25
)

// calibration holds an index's cuts: what the "not sure" decision needs
// of its docs. Computed when first needed after the docs or the
// background change (docsGen), not for each thread added.
type calibration struct {
	mu   sync.Mutex // held while calibrating: one caller computes, the others wait for it
	cuts atomic.Pointer[cuts]
}

type cuts struct {
	gen uint64
	// min[n] is the lowest confidence shown for a question of n words,
	// sure[n] the lowest presented as the answer (SureQuantile).
	min, sure []float64
}

// MinConfidence is the lowest Hit.Confidence worth showing for query: the
// "not sure" cut of this index for a question of its length (see
// DefaultNotSureQuantile). The first call after the docs change searches
// the off-topic questions (a few hundred milliseconds on a thousand pages).
func (ix *Index) MinConfidence(query string) float64 {
	return ix.MinConfidenceForWords(ix.queryWords(query))
}

// MinCoverage is the least share of a question's words (those the docs
// use, weighted by IDF) that a passage must hold to be presented as the
// answer: below a third, it speaks of something else than most of the
// question. On the dev questions of the four docs sets, with the sure cut
// alone 63 wrong first passages were presented as the answer and 2 right
// ones hedged; with MinCoverage too, 51 and 8 (TestSureCutSeparates), and
// 14 of the 33 unanswered questions, not 20, are answered as if sure.
const MinCoverage = 1.0 / 3

// Sure says whether h, found for query, is presented as the answer rather
// than as the closest found: its confidence reaches SureConfidence, and
// it holds at least MinCoverage of the question's words (Coverage).
func (ix *Index) Sure(query string, h Hit) bool {
	return h.Confidence >= ix.SureConfidence(query) && ix.Coverage(query, h.ID) >= MinCoverage
}

// Coverage is the share of query's words that the passage id holds
// (title, heading or text), each weighted by its IDF; words no passage
// uses do not count. 0 for an unknown passage or a question of only
// unknown words.
func (ix *Index) Coverage(query, id string) float64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	slot, ok := ix.byID[id]
	if !ok {
		return 0
	}
	e := ix.entries[slot]
	seen := map[string]bool{}
	var total, held float64
	for _, t := range tokenize.Tokens(nil, query) {
		if seen[t.Text] || len(ix.postings[t.Text]) == 0 {
			continue
		}
		seen[t.Text] = true
		w := ix.idfOf(t.Text)
		total += w
		if _, found := slices.BinarySearchFunc(e.terms, t.Text, func(tf termFreq, s string) int { return strings.Compare(tf.term, s) }); found {
			held += w
		}
	}
	if total == 0 {
		return 0
	}
	return held / total
}

// Calibrate learns the cuts of the current docs and background now, so
// that the first question after a change does not wait for them (a few
// hundred milliseconds on a thousand pages); MinConfidence and
// SureConfidence learn them on first use otherwise.
func (ix *Index) Calibrate() { ix.currentCuts() }

// MinConfidenceForWords is MinConfidence for a question of n words.
func (ix *Index) MinConfidenceForWords(n int) float64 {
	c := ix.currentCuts()
	return c.min[min(max(n, 0), len(c.min)-1)]
}

// SureConfidence is the lowest Hit.Confidence at which the best passage
// for query is presented as the answer, not only as the closest found:
// the confidence that SureQuantile of the off-topic questions of its
// length do not reach in this index (at least MinConfidence's).
func (ix *Index) SureConfidence(query string) float64 {
	c := ix.currentCuts()
	n := min(max(ix.queryWords(query), 0), len(c.sure)-1)
	return max(c.sure[n], c.min[n])
}

// queryWords is how many distinct terms query has, not counting pairs of
// words: those of queryTerms.
func (ix *Index) queryWords(query string) int {
	toks := tokenize.Tokens(nil, query)
	seen := make(map[string]struct{}, len(toks))
	for _, t := range toks {
		seen[t.Text] = struct{}{}
	}
	return len(seen)
}

func (ix *Index) currentCuts() *cuts {
	ix.mu.RLock()
	gen := ix.docsGen
	ix.mu.RUnlock()
	if c := ix.cal.cuts.Load(); c != nil && c.gen == gen {
		return c
	}
	ix.cal.mu.Lock()
	defer ix.cal.mu.Unlock()
	if c := ix.cal.cuts.Load(); c != nil && c.gen == gen {
		return c
	}
	c := &cuts{gen: gen}
	c.min, c.sure = ix.calibrate()
	ix.cal.cuts.Store(c)
	return c
}

// calibrate searches the off-topic questions, alone and joined, and
// returns the "not sure" and the sure cuts for each question length up
// to maxCalibrated.
func (ix *Index) calibrate() (notSure, sure []float64) {
	qs := offTopic()
	quantile := ix.opts.notSureQuantile
	type sample struct {
		words int
		conf  float64
	}
	samples := make([]sample, 0, maxJoined*len(qs))
	var parts []string
	for k := 1; k <= maxJoined; k++ {
		for i := range qs {
			// Joined with questions a fixed stride apart, so that each
			// length mixes different ones.
			parts = parts[:0]
			for j := range k {
				parts = append(parts, qs[(i+j*53)%len(qs)])
			}
			q := strings.Join(parts, " ")
			conf := 0.0
			if hits := ix.Search(q, 1, chat.Place{}); len(hits) > 0 {
				conf = hits[0].Confidence
			}
			samples = append(samples, sample{ix.queryWords(q), conf})
		}
	}
	slices.SortFunc(samples, func(a, b sample) int { return a.words - b.words })
	out, sure := make([]float64, maxCalibrated+1), make([]float64, maxCalibrated+1)
	var window []float64
	for n := 1; n <= maxCalibrated; n++ {
		// The off-topic questions of about n words; a wider range when
		// too few are that long.
		for tol := lengthTolerance; ; tol *= lengthTolerance {
			lo, hi := float64(n)/tol, float64(n)*tol
			window = window[:0]
			for _, s := range samples {
				if w := float64(s.words); w >= lo && w <= hi {
					window = append(window, s.conf)
				}
			}
			if len(window) >= min(minNullSamples, len(samples)) {
				break
			}
		}
		if len(window) == 0 {
			continue
		}
		slices.Sort(window)
		out[n] = window[int(quantile*float64(len(window)-1)+0.5)]
		sure[n] = window[int(SureQuantile*float64(len(window)-1)+0.5)]
	}
	out[0], sure[0] = out[1], sure[1]
	return out, sure
}
