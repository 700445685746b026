// Package classifier is Docent's local intent classifier: a bag-of-words
// neural network with one hidden layer and a softmax output, trained with
// minibatch Adam on cross-entropy. Features are the tokenizer's tokens plus
// adjacent word pairs; the input is sparse, so a forward pass costs one row
// of the first layer per feature present, not one per word in the vocabulary.
//
// Training is deterministic for a given seed: the same examples and settings
// give the same weights, bit for bit, on the same architecture.
package classifier

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/docent-bot/docent/brain/tokenize"
)

// Settings are the training hyper-parameters. They are part of the model's
// fingerprint: changing any of them retrains.
type Settings struct {
	Hidden         int     // hidden units
	Epochs         int     // passes over the training set
	BatchSize      int     // examples per Adam step
	LearningRate   float64 // Adam step size
	LabelSmoothing float64 // share of the target spread over all classes; keeps probabilities honest
	Dropout        float64 // chance of hiding each input feature while training
	Seed           uint64  // initial weights and example order
}

// DefaultSettings suit a community's intent list: a few dozen intents with
// a handful to a few hundred patterns each.
func DefaultSettings() Settings {
	return Settings{Hidden: 64, Epochs: 60, BatchSize: 8, LearningRate: 0.01, LabelSmoothing: 0.1, Dropout: 0.1, Seed: 1}
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
	if s.Epochs < 1 {
		add("epochs", "must be at least 1, got %d", s.Epochs)
	}
	if s.BatchSize < 1 {
		add("batch_size", "must be at least 1, got %d", s.BatchSize)
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

// maxHidden bounds the hidden layer, so a typo cannot ask for gigabytes.
const maxHidden = 4096

// Example is one training sentence and the intent it expresses.
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
	// Top holds the most likely intents, most likely first.
	Top []Score
	// Known counts the text's features the model has seen in training;
	// zero means the model knows none of its words.
	Known int
}

// Model is a trained classifier. It is immutable and safe for concurrent use.
type Model struct {
	labels   []string
	features []string         // index → feature text
	vocab    map[string]int32 // feature text → index
	hidden   int
	w1       []float32 // len(features) × hidden: one row per feature
	b1       []float32 // hidden
	w2       []float32 // len(labels) × hidden: one row per intent
	b2       []float32 // len(labels)

	scratch sync.Pool // *scratch, so Classify reuses its buffers
}

type scratch struct {
	toks   []tokenize.Token
	feats  []int32
	hidden []float32
	logits []float32
	buf    []byte
}

// Labels returns the intents the model knows, in a fixed order.
func (m *Model) Labels() []string { return slices.Clone(m.labels) }

// Vocabulary returns the number of features the model knows.
func (m *Model) Vocabulary() int { return len(m.features) }

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
	str(tokenize.Fingerprint())
	num(uint64(s.Hidden))
	num(uint64(s.Epochs))
	num(uint64(s.BatchSize))
	num(math.Float64bits(s.LearningRate))
	num(math.Float64bits(s.LabelSmoothing))
	num(math.Float64bits(s.Dropout))
	num(s.Seed)
	num(uint64(len(examples)))
	for _, e := range examples {
		str(e.Label)
		str(e.Text)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// featureTexts lists the features of a token sequence: every token, and
// every pair of adjacent words ("report bug"), deduplicated by the caller.
// The bytes passed to yield are only valid during the call; buf is scratch
// space for the pairs, returned for reuse.
func featureTexts(toks []tokenize.Token, buf []byte, yield func([]byte)) []byte {
	var prev string
	for _, t := range toks {
		buf = append(buf[:0], t.Text...)
		yield(buf)
		if t.Kind != tokenize.Word {
			prev = ""
			continue
		}
		if prev != "" {
			buf = append(append(append(buf[:0], prev...), ' '), t.Text...)
			yield(buf)
		}
		prev = t.Text
	}
	return buf
}

// Classify returns the k most likely intents for text.
func (m *Model) Classify(text string, k int) Result {
	sc, _ := m.scratch.Get().(*scratch)
	if sc == nil {
		sc = &scratch{hidden: make([]float32, m.hidden), logits: make([]float32, len(m.labels))}
	}
	defer m.scratch.Put(sc)

	sc.toks = tokenize.Tokens(sc.toks[:0], text)
	sc.feats = m.lookup(sc.feats[:0], sc.toks, &sc.buf)
	m.forward(sc.feats, sc.hidden, sc.logits)
	softmax(sc.logits)

	k = min(max(k, 0), len(m.labels))
	res := Result{Top: make([]Score, 0, k), Known: len(sc.feats)}
	for range k {
		best := -1
		for i, p := range sc.logits {
			if p >= 0 && (best < 0 || p > sc.logits[best]) {
				best = i
			}
		}
		res.Top = append(res.Top, Score{Label: m.labels[best], P: float64(sc.logits[best])})
		sc.logits[best] = -1 // taken
	}
	return res
}

// lookup appends the indexes of the known features of toks, each once.
func (m *Model) lookup(dst []int32, toks []tokenize.Token, buf *[]byte) []int32 {
	*buf = featureTexts(toks, *buf, func(f []byte) {
		if i, ok := m.vocab[string(f)]; ok && !slices.Contains(dst, i) {
			dst = append(dst, i)
		}
	})
	return dst
}

// forward computes the output logits for a set of present features. The
// input vector has 1/sqrt(n) at each of the n features, so long and short
// messages land on the same scale.
func (m *Model) forward(feats []int32, hidden, logits []float32) {
	copy(hidden, m.b1)
	if len(feats) > 0 {
		scale := float32(1 / math.Sqrt(float64(len(feats))))
		for _, f := range feats {
			axpy(scale, m.w1[int(f)*m.hidden:][:m.hidden], hidden)
		}
	}
	for i := range hidden {
		hidden[i] = max(hidden[i], 0)
	}
	for c := range logits {
		logits[c] = m.b2[c] + dot(m.w2[c*m.hidden:][:m.hidden], hidden)
	}
}

func axpy(a float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += a * v
	}
}

func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s float32
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

// softmax turns logits into probabilities in place.
func softmax(v []float32) {
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
	for i := range v {
		v[i] /= sum
	}
}

// Train fits a model to examples. It returns ctx's error if ctx is done
// before training ends.
func Train(ctx context.Context, examples []Example, s Settings) (*Model, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	}
	if len(examples) == 0 {
		return nil, errors.New("classifier: no training examples")
	}

	// Labels and vocabulary in first-seen order, so the model is the same
	// for the same examples whatever the map iteration order.
	m := &Model{vocab: map[string]int32{}, hidden: s.Hidden}
	labelIndex := map[string]int{}
	type sample struct {
		feats []int32
		label int
	}
	samples := make([]sample, 0, len(examples))
	var (
		toks []tokenize.Token
		buf  []byte
	)
	for _, e := range examples {
		li, ok := labelIndex[e.Label]
		if !ok {
			li = len(m.labels)
			labelIndex[e.Label] = li
			m.labels = append(m.labels, e.Label)
		}
		toks = tokenize.Tokens(toks[:0], e.Text)
		var feats []int32
		buf = featureTexts(toks, buf, func(b []byte) {
			i, ok := m.vocab[string(b)]
			if !ok {
				f := string(b)
				i = int32(len(m.features))
				m.vocab[f] = i
				m.features = append(m.features, f)
			}
			if !slices.Contains(feats, i) {
				feats = append(feats, i)
			}
		})
		samples = append(samples, sample{feats, li})
	}
	if len(m.labels) < 2 {
		return nil, fmt.Errorf("classifier: need at least 2 intents to tell apart, got %d", len(m.labels))
	}

	V, H, C := len(m.features), s.Hidden, len(m.labels)
	rng := rand.New(rand.NewPCG(s.Seed, s.Seed^0x9e3779b97f4a7c15))

	// Initial weights: uniform, scaled for the typical number of active
	// inputs rather than the vocabulary size, since the input is sparse.
	active := 0
	for _, sm := range samples {
		active += len(sm.feats)
	}
	fanIn := max(float64(active)/float64(len(samples)), 1)
	m.w1 = uniform(rng, V*H, math.Sqrt(6/(fanIn+float64(H))))
	m.b1 = make([]float32, H)
	m.w2 = uniform(rng, C*H, math.Sqrt(6/float64(H+C)))
	m.b2 = make([]float32, C)

	opt := newAdam(s.LearningRate, V*H, H, C*H, C)
	g := struct{ w1, b1, w2, b2 []float32 }{make([]float32, V*H), make([]float32, H), make([]float32, C*H), make([]float32, C)}
	touched := make([]bool, V)
	var rows []int32 // rows of w1 with a gradient in this batch

	pre := make([]float32, H) // hidden layer before ReLU
	act := make([]float32, H)
	probs := make([]float32, C)
	dh := make([]float32, H)
	feats := make([]int32, 0, 64)
	order := make([]int, len(samples))
	for i := range order {
		order[i] = i
	}
	smoothing := float32(s.LabelSmoothing)

	for epoch := range s.Epochs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("classifier: training stopped at epoch %d of %d: %w", epoch, s.Epochs, err)
		}
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for start := 0; start < len(order); start += s.BatchSize {
			batch := order[start:min(start+s.BatchSize, len(order))]
			inv := 1 / float32(len(batch))
			clear(g.b1)
			clear(g.w2)
			clear(g.b2)
			for _, r := range rows {
				clear(g.w1[int(r)*H:][:H])
				touched[r] = false
			}
			rows = rows[:0]

			for _, idx := range batch {
				sm := samples[idx]
				// Dropout hides features, so the model cannot lean on one
				// word; at least one feature always stays.
				feats = feats[:0]
				for _, f := range sm.feats {
					if s.Dropout == 0 || rng.Float64() >= s.Dropout {
						feats = append(feats, f)
					}
				}
				if len(feats) == 0 && len(sm.feats) > 0 {
					feats = append(feats, sm.feats[rng.IntN(len(sm.feats))])
				}

				copy(pre, m.b1)
				scale := float32(0)
				if len(feats) > 0 {
					scale = float32(1 / math.Sqrt(float64(len(feats))))
				}
				for _, f := range feats {
					axpy(scale, m.w1[int(f)*H:][:H], pre)
				}
				for i, v := range pre {
					act[i] = max(v, 0)
				}
				for c := range C {
					probs[c] = m.b2[c] + dot(m.w2[c*H:][:H], act)
				}
				softmax(probs)

				// Output gradient of cross-entropy against the smoothed target.
				clear(dh)
				for c := range C {
					target := smoothing / float32(C)
					if c == sm.label {
						target += 1 - smoothing
					}
					d := (probs[c] - target) * inv
					g.b2[c] += d
					axpy(d, act, g.w2[c*H:][:H])
					axpy(d, m.w2[c*H:][:H], dh)
				}
				for i, v := range pre {
					if v <= 0 {
						dh[i] = 0
					}
				}
				axpy(1, dh, g.b1)
				for _, f := range feats {
					if !touched[f] {
						touched[f] = true
						rows = append(rows, f)
					}
					axpy(scale, dh, g.w1[int(f)*H:][:H])
				}
			}

			opt.step()
			opt.updateDense(1, m.b1, g.b1)
			opt.updateDense(2, m.w2, g.w2)
			opt.updateDense(3, m.b2, g.b2)
			// Sparse rows: only the features seen in this batch move, as in
			// "lazy" Adam; the others keep their moments untouched.
			for _, r := range rows {
				opt.updateRange(0, int(r)*H, H, m.w1, g.w1)
			}
		}
	}
	return m, nil
}

func uniform(rng *rand.Rand, n int, limit float64) []float32 {
	w := make([]float32, n)
	for i := range w {
		w[i] = float32((rng.Float64()*2 - 1) * limit)
	}
	return w
}

// adam keeps the first and second moments for each parameter tensor.
type adam struct {
	lr, beta1, beta2, eps float64
	t                     int
	m, v                  [][]float32
	// Bias-corrected step size for the current step.
	alpha float32
}

func newAdam(lr float64, sizes ...int) *adam {
	a := &adam{lr: lr, beta1: 0.9, beta2: 0.999, eps: 1e-8}
	for _, n := range sizes {
		a.m = append(a.m, make([]float32, n))
		a.v = append(a.v, make([]float32, n))
	}
	return a
}

func (a *adam) step() {
	a.t++
	a.alpha = float32(a.lr * math.Sqrt(1-math.Pow(a.beta2, float64(a.t))) / (1 - math.Pow(a.beta1, float64(a.t))))
}

func (a *adam) updateDense(tensor int, w, g []float32) {
	a.updateRange(tensor, 0, len(w), w, g)
}

func (a *adam) updateRange(tensor, off, n int, w, g []float32) {
	b1, b2, eps := float32(a.beta1), float32(a.beta2), float32(a.eps)
	m, v := a.m[tensor][off:][:n], a.v[tensor][off:][:n]
	w, g = w[off:][:n], g[off:][:n]
	for i, gi := range g {
		m[i] = b1*m[i] + (1-b1)*gi
		v[i] = b2*v[i] + (1-b2)*gi*gi
		w[i] -= a.alpha * m[i] / (float32(math.Sqrt(float64(v[i]))) + eps)
	}
}
