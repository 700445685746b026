// Package classifier is Docent's local intent classifier: a bag-of-features
// neural network. A text's features are its words, pairs of adjacent words
// and the character n-grams of each word (so "instal" still shares most of
// its features with "install"); each known feature has a learned row, the
// rows are summed into a hidden layer with a ReLU, and a softmax over the
// intents plus one fixed "none of them" logit gives the probabilities. The
// none logit is what lets the model say that a text is about nothing it
// knows: out-of-scope examples (an empty label) and synthetic outliers made
// from the training data teach it to win.
//
// Training is minibatch Adam on cross-entropy, split over two shards whose
// gradients are summed in a fixed order: the same examples and settings give
// the same weights, bit for bit, whatever the number of threads.
package classifier

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/blas/gonum"

	"github.com/docent-bot/docent/brain/tokenize"
)

// Settings are the training hyper-parameters. They are part of the model's
// fingerprint: changing any of them retrains. Zero values of the fields
// documented as automatic are filled in from the size of the training set.
//
// The yaml names are those of the configuration's brain.classifier section
// and of Problems.
type Settings struct {
	Hidden int `yaml:"hidden"` // hidden units
	// Epochs is the number of passes over the training set; 0 picks it
	// from the number of examples (see Auto).
	Epochs         int     `yaml:"epochs"`
	BatchSize      int     `yaml:"batch_size"`      // examples per Adam step; 0 picks it from the number of examples
	LearningRate   float64 `yaml:"learning_rate"`   // Adam step size
	LabelSmoothing float64 `yaml:"label_smoothing"` // share of the target spread over all intents; keeps probabilities honest
	Dropout        float64 `yaml:"dropout"`         // chance of hiding each input feature while training
	Seed           uint64  `yaml:"seed"`            // initial weights, example order, dropout and outliers
	// MinN and MaxN bound the length in characters of the word pieces used
	// as features ("<in", "ins", …, "all>"); MinN 0 uses whole words only.
	MinN int `yaml:"min_n"`
	MaxN int `yaml:"max_n"`
	// Outliers is the number of synthetic out-of-scope texts made per
	// training example each epoch, by drawing words at random from the
	// whole training set; they teach the model to be unsure of word salad
	// that mixes intents. 0 turns them off.
	Outliers float64 `yaml:"outliers"`
	// Threads is how many goroutines train; 0 means two. It does not
	// change the model.
	Threads int `yaml:"threads"`
}

// DefaultSettings suit both a community's intent list (tens of intents
// with a handful to a few dozen patterns each) and benchmark-sized data
// (150 intents with 100 patterns each): epochs and batch size follow the
// number of examples.
func DefaultSettings() Settings {
	return Settings{Hidden: 64, Epochs: 0, BatchSize: 0, LearningRate: 0.005, LabelSmoothing: 0.1, Dropout: 0.2,
		Seed: 1, MinN: 3, MaxN: 5, Outliers: 0.25}
}

// Auto returns s with the automatic fields filled in for n training
// examples. The rule aims at a fixed number of Adam steps, about 4,000,
// within 8 to 120 epochs: small intent lists get many passes with small
// batches, large data sets few passes with larger batches.
func (s Settings) Auto(n int) Settings {
	if s.BatchSize == 0 {
		// Roughly one step per 1/500 of the data, between 8 and 32.
		s.BatchSize = min(max(n/500, 8), 32)
	}
	if s.Epochs == 0 {
		steps := max((n+s.BatchSize-1)/s.BatchSize, 1)
		s.Epochs = min(max((4000+steps-1)/steps, 8), 120)
	}
	return s
}

// Problem is one unusable setting: the field's name as written in the
// configuration ("learning_rate") and what is wrong with it.
type Problem struct {
	Field, Msg string
}

// Problems lists every setting that cannot train a model.
func (s Settings) Problems() []Problem {
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{field, fmt.Sprintf(format, args...)})
	}
	if s.Hidden < 1 || s.Hidden > maxHidden {
		add("hidden", "must be between 1 and %d, got %d", maxHidden, s.Hidden)
	}
	if s.Epochs < 0 || s.Epochs > 10000 {
		add("epochs", "must be between 0 (automatic) and 10000, got %d", s.Epochs)
	}
	if s.BatchSize < 0 || s.BatchSize > 4096 {
		add("batch_size", "must be between 0 (automatic) and 4096, got %d", s.BatchSize)
	}
	if !(s.LearningRate > 0 && s.LearningRate < 10) {
		add("learning_rate", "must be above 0 and below 10, got %g", s.LearningRate)
	}
	if !(s.LabelSmoothing >= 0 && s.LabelSmoothing < 1) {
		add("label_smoothing", "must be at least 0 and below 1, got %g", s.LabelSmoothing)
	}
	if !(s.Dropout >= 0 && s.Dropout < 1) {
		add("dropout", "must be at least 0 and below 1, got %g", s.Dropout)
	}
	if s.MinN < 0 || s.MinN > maxNGram {
		add("min_n", "must be between 0 (whole words only) and %d, got %d", maxNGram, s.MinN)
	}
	if s.MinN > 0 && (s.MaxN < s.MinN || s.MaxN > maxNGram) {
		add("max_n", "must be between min_n (%d) and %d, got %d", s.MinN, maxNGram, s.MaxN)
	}
	if !(s.Outliers >= 0 && s.Outliers <= 4) {
		add("outliers", "must be between 0 and 4, got %g", s.Outliers)
	}
	if s.Threads < 0 || s.Threads > 256 {
		add("threads", "must be between 0 (two) and 256, got %d", s.Threads)
	}
	return ps
}

// Validate reports settings that cannot train a model, all at once.
func (s Settings) Validate() error {
	var errs []error
	for _, p := range s.Problems() {
		errs = append(errs, fmt.Errorf("%s %s", p.Field, p.Msg))
	}
	return errors.Join(errs...)
}

// maxHidden bounds the hidden layer, so a typo cannot ask for gigabytes;
// maxNGram bounds the character n-grams.
const (
	maxHidden = 4096
	maxNGram  = 8
)

// Example is one training sentence and the intent it expresses. An empty
// Label marks an out-of-scope example: a text that is none of the intents.
type Example struct {
	Text  string
	Label string
}

// Score is one intent with the model's probability for it.
type Score struct {
	Label string
	P     float64
}

// Result is the model's view of one text.
type Result struct {
	// Top holds the most likely intents, most likely first. The
	// probabilities of all intents add up to 1 minus the probability that
	// the text is none of them.
	Top []Score
	// Known counts the text's words the model recognises: words seen in
	// training, or typos and variants of them, which share more than half
	// their character n-grams with words seen in training. Zero means the
	// model knows none of the words and Top is a guess.
	Known int
}

// Model is a trained classifier. It is immutable and safe for concurrent use.
type Model struct {
	labels     []string
	keys       []uint64 // row → feature hash
	tab        table    // feature hash → row
	minN, maxN int
	hidden     int
	w1         []float32 // len(keys) × hidden: one row per feature
	b1         []float32 // hidden
	w2         []float32 // len(labels) × hidden: one row per intent
	b2         []float32 // len(labels)

	scratch sync.Pool // *scratch, so Classify reuses its buffers
}

type scratch struct {
	f      featurizer
	rows   []int32
	known  []wordCount // per piece
	hidden []float32
	logits []float32
}

func (m *Model) getScratch() *scratch {
	sc, _ := m.scratch.Get().(*scratch)
	if sc == nil {
		sc = &scratch{hidden: make([]float32, m.hidden), logits: make([]float32, len(m.labels)+1)}
	}
	return sc
}

// Labels returns the intents the model knows, in a fixed order.
func (m *Model) Labels() []string { return slices.Clone(m.labels) }

// Vocabulary returns the number of features the model knows.
func (m *Model) Vocabulary() int { return len(m.keys) }

// Fingerprint identifies what a model is trained on: the examples in order,
// the settings, the tokenizer and this package's format. A stored model whose
// fingerprint differs from the current one is stale.
func Fingerprint(examples []Example, s Settings) string {
	h := sha256.New()
	var buf [8]byte
	num := func(v uint64) {
		binary.LittleEndian.PutUint64(buf[:], v)
		h.Write(buf[:])
	}
	str := func(v string) {
		num(uint64(len(v)))
		h.Write([]byte(v))
	}
	num(formatVersion)
	str(tokenize.Fingerprint()) // Splitter's output depends on the Unicode and normalisation tables
	num(uint64(s.Hidden))
	num(uint64(s.Epochs))
	num(uint64(s.BatchSize))
	num(math.Float64bits(s.LearningRate))
	num(math.Float64bits(s.LabelSmoothing))
	num(math.Float64bits(s.Dropout))
	num(s.Seed)
	num(uint64(s.MinN))
	num(uint64(s.MaxN))
	num(math.Float64bits(s.Outliers))
	// Threads is left out on purpose: it does not change the model.
	num(uint64(len(examples)))
	for _, e := range examples {
		str(e.Label)
		str(e.Text)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Classify returns the k most likely intents for text.
func (m *Model) Classify(text string, k int) Result {
	return m.ClassifyInto(make([]Score, 0, min(max(k, 0), len(m.labels))), text, k)
}

// ClassifyInto is Classify appending the scores to dst[:0], so a caller
// that keeps dst classifies without allocating.
func (m *Model) ClassifyInto(dst []Score, text string, k int) Result {
	sc := m.getScratch()
	defer m.scratch.Put(sc)
	m.features(sc, text)
	m.forward(sc.rows, sc.hidden, sc.logits)
	probabilities(sc.logits)

	k = min(max(k, 0), len(m.labels))
	res := Result{Top: dst[:0], Known: sc.knownWords()}
	probs := sc.logits[:len(m.labels)]
	for n := range k {
		best := -1
		for i, p := range probs {
			if p >= 0 && (best < 0 || p > probs[best]) {
				best = i
			}
		}
		if best < 0 { // no probability left that is a number: the model is damaged
			best = n
			probs[best] = 0
		}
		res.Top = append(res.Top, Score{Label: m.labels[best], P: float64(probs[best])})
		probs[best] = -1 // taken
	}
	return res
}

// wordCount tallies the features of one word: whether the word itself is
// known, and how many of its n-grams there are and are known.
type wordCount struct {
	word          bool
	grams, ngrams int32
}

// features fills sc.rows with the rows of text's known features and
// sc.known with what is known of each word.
func (m *Model) features(sc *scratch, text string) {
	sc.f.extract(text, m.minN, m.maxN)
	sc.rows = sc.rows[:0]
	sc.known = slices.Grow(sc.known[:0], len(sc.f.sp.Pieces))[:len(sc.f.sp.Pieces)]
	clear(sc.known)
	for i, id := range sc.f.ids {
		o := sc.f.owner[i]
		r := m.tab.get(id)
		if r >= 0 {
			sc.rows = append(sc.rows, r)
		}
		if o[1] >= 0 {
			continue // a pair
		}
		wc := &sc.known[o[0]]
		if sc.f.kind[i] == kindWord {
			wc.word = r >= 0
			continue
		}
		wc.ngrams++
		if r >= 0 {
			wc.grams++
		}
	}
}

// knownWords counts the words features found known.
func (sc *scratch) knownWords() int {
	n := 0
	for _, wc := range sc.known {
		if wc.word || 2*wc.grams > wc.ngrams {
			n++
		}
	}
	return n
}

// forward computes the output logits for the present features; logits has
// one more element than there are intents, the none logit, always 0. The
// feature rows are summed and scaled by 1/sqrt(n), so long and short
// messages land on the same scale.
func (m *Model) forward(rows []int32, hidden, logits []float32) {
	copy(hidden, m.b1)
	if len(rows) > 0 {
		scale := float32(1 / math.Sqrt(float64(len(rows))))
		for _, r := range rows {
			axpy(scale, m.w1[int(r)*m.hidden:][:m.hidden], hidden)
		}
	}
	for i, v := range hidden {
		hidden[i] = max(v, 0)
	}
	C := len(m.labels)
	for c := range C {
		logits[c] = m.b2[c] + dot(m.w2[c*m.hidden:][:m.hidden], hidden)
	}
	logits[C] = 0
}

// probabilities turns logits into probabilities in place.
func probabilities(v []float32) {
	mx := float32(math.Inf(-1))
	for _, x := range v {
		mx = max(mx, x)
	}
	var sum float32
	for i, x := range v {
		e := float32(math.Exp(float64(x - mx)))
		v[i] = e
		sum += e
	}
	inv := 1 / sum
	for i := range v {
		v[i] *= inv
	}
}

// blas is gonum's pure-Go BLAS, whose float32 kernels use SIMD assembly
// on amd64 (and plain Go elsewhere): 2 to 3 times the speed of a Go loop
// on the 64-wide rows here (BenchmarkKernels). It has no state.
var blas gonum.Implementation

// axpy adds a·x to y.
func axpy(a float32, x, y []float32) {
	blas.Saxpy(len(x), a, x, 1, y[:len(x)], 1)
}

// dot is x·y.
func dot(x, y []float32) float32 {
	return blas.Sdot(len(x), x, 1, y[:len(x)], 1)
}
