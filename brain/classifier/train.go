package classifier

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// shards is the number of parts each minibatch's gradient is computed in.
// It is fixed, not the number of threads, so that the sums happen in the
// same order, and the model comes out the same, however many threads run.
const shards = 2

// sample is one training text as rows of the first layer.
type sample struct {
	rows  []int32
	label int32 // index of the intent, or none for out-of-scope
}

// trainer holds the state of one training run.
type trainer struct {
	s       Settings
	m       *Model
	samples []sample
	// words lists the rows of every word of every in-scope example (its
	// word and n-gram features, not pairs), for making outliers.
	words    []int32
	wordOff  []int32 // words[wordOff[i]:wordOff[i+1]] is word i
	lengths  []int32 // number of words of each in-scope example
	none     int32   // label index of "none of the intents": len(labels)
	H, C     int
	opt      *adam
	rowSq    []float32 // mean square gradient of each row of w1
	rowSteps []int32   // updates each row of w1 has had
	corr     []float32 // corr[t] = 1/(1-β2^t)
	inv      float32   // 1 / batch size
	work     [shards]*shardWork
	smoothOn float32
	smoothOf float32
}

// item is one text of a minibatch: a sample, or a synthetic outlier when
// sample is negative.
type item struct {
	sample int
	seed   uint64
}

// shardWork is one shard's part of a minibatch.
type shardWork struct {
	items []item
	// per item, filled by forward/backward:
	rows  [][]int32   // rows kept after dropout
	dh    [][]float32 // gradient at the hidden layer before ReLU
	scale []float32
	pre   []float32
	probs []float32
	gw2   []float32
	gb2   []float32
	gb1   []float32
}

// Train fits a model to examples. Examples with an empty Label are
// out-of-scope: the model learns to give them none of the intents. It
// returns ctx's error if ctx is done before training ends.
func Train(ctx context.Context, examples []Example, s Settings) (*Model, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	}
	inScope := 0
	for _, e := range examples {
		if e.Label != "" {
			inScope++
		}
	}
	if inScope == 0 {
		return nil, errors.New("classifier: no training examples")
	}
	s = s.Auto(inScope)
	threads := s.Threads
	if threads == 0 {
		threads = 2
	}

	m := &Model{hidden: s.Hidden, minN: s.MinN, maxN: s.MaxN}
	if m.minN == 0 {
		m.maxN = 0
	}
	t := &trainer{s: s, m: m, H: s.Hidden}
	// Labels and features in first-seen order, so the model is the same for
	// the same examples whatever the map iteration order.
	labelIndex := map[string]int32{}
	vocab := map[uint64]int32{}
	var f featurizer
	t.wordOff = append(t.wordOff, 0)
	for _, e := range examples {
		if _, ok := labelIndex[e.Label]; !ok && e.Label != "" {
			labelIndex[e.Label] = int32(len(m.labels))
			m.labels = append(m.labels, e.Label)
		}
	}
	if len(m.labels) < 2 {
		return nil, fmt.Errorf("classifier: need at least 2 intents to tell apart, got %d", len(m.labels))
	}
	t.C = len(m.labels)
	t.none = int32(t.C)
	for _, e := range examples {
		f.extract(e.Text, m.minN, m.maxN)
		rows := make([]int32, len(f.ids))
		for i, id := range f.ids {
			r, ok := vocab[id]
			if !ok {
				r = int32(len(m.keys))
				vocab[id] = r
				m.keys = append(m.keys, id)
			}
			rows[i] = r
		}
		label := t.none
		if e.Label != "" {
			label = labelIndex[e.Label]
			// Remember each word's own features for outliers.
			words := int32(0)
			for p := range f.sp.Pieces {
				for i, o := range f.owner {
					if o[0] == int32(p) && o[1] < 0 {
						t.words = append(t.words, rows[i])
					}
				}
				t.wordOff = append(t.wordOff, int32(len(t.words)))
				words++
			}
			if words > 0 {
				t.lengths = append(t.lengths, words)
			}
		}
		t.samples = append(t.samples, sample{rows, label})
	}
	m.tab = newTable(m.keys)
	V, H, C := len(m.keys), s.Hidden, t.C

	rng := rand.New(rand.NewPCG(s.Seed, s.Seed^0x9e3779b97f4a7c15))
	// Initial weights: uniform, scaled for the typical number of active
	// inputs rather than the vocabulary size, since the input is sparse.
	active := 0
	for _, sm := range t.samples {
		active += len(sm.rows)
	}
	fanIn := max(float64(active)/float64(len(t.samples)), 1)
	m.w1 = uniform(rng, V*H, math.Sqrt(6/(fanIn+float64(H))))
	m.b1 = make([]float32, H)
	m.w2 = uniform(rng, C*H, math.Sqrt(6/float64(H+C)))
	m.b2 = make([]float32, C)
	t.opt = newAdam(s.LearningRate, H, C*H, C)
	t.rowSq = make([]float32, V)
	t.rowSteps = make([]int32, V)
	for i := range 20000 {
		t.corr = append(t.corr, float32(1/(1-math.Pow(t.opt.beta2, float64(max(i, 1))))))
	}
	smoothing := float32(s.LabelSmoothing)
	t.smoothOf = smoothing / float32(C+1)
	t.smoothOn = 1 - smoothing + t.smoothOf
	for k := range t.work {
		w := &shardWork{pre: make([]float32, H), probs: make([]float32, C+1), gw2: make([]float32, C*H),
			gb2: make([]float32, C), gb1: make([]float32, H)}
		t.work[k] = w
	}

	nOut := int(math.Round(s.Outliers * float64(inScope)))
	if len(t.lengths) == 0 {
		nOut = 0
	}
	order := make([]item, 0, len(t.samples)+nOut)
	totalSteps := s.Epochs * ((len(t.samples) + nOut + s.BatchSize - 1) / s.BatchSize)
	var wg sync.WaitGroup
	run := func(phase func(k int)) {
		if threads == 1 {
			for k := range shards {
				phase(k)
			}
			return
		}
		wg.Add(shards - 1)
		for k := 1; k < shards; k++ {
			go func() {
				defer wg.Done()
				phase(k)
			}()
		}
		phase(0)
		wg.Wait()
	}
	for epoch := range s.Epochs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("classifier: training stopped at epoch %d of %d: %w", epoch, s.Epochs, err)
		}
		order = order[:0]
		for i := range t.samples {
			order = append(order, item{sample: i})
		}
		for range nOut {
			order = append(order, item{sample: -1})
		}
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for i := range order {
			order[i].seed = rng.Uint64()
		}
		for start := 0; start < len(order); start += s.BatchSize {
			batch := order[start:min(start+s.BatchSize, len(order))]
			inv := 1 / float32(len(batch))
			half := (len(batch) + 1) / 2
			t.work[0].items = batch[:half]
			t.work[1].items = batch[half:]
			// The step size decays linearly to zero over training.
			t.opt.decay = 1 - float64(t.opt.t)/float64(totalSteps)
			t.opt.step()
			t.inv = inv
			run(func(k int) { t.backward(k, inv) })
			run(func(k int) { t.update(k) })
		}
	}
	return m, nil
}

// splitmix is a small deterministic generator for per-item randomness, so
// that dropout and outliers do not depend on which thread runs an item.
type splitmix uint64

func (s *splitmix) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (s *splitmix) float() float64 { return float64(s.next()>>11) / (1 << 53) }
func (s *splitmix) intn(n int) int { return int(s.next() % uint64(n)) }

// backward runs forward and backward passes for shard k's items,
// accumulating the output layer's gradients in the shard's buffers and
// keeping each item's hidden gradient for update.
func (t *trainer) backward(k int, inv float32) {
	w := t.work[k]
	m, H, C := t.m, t.H, t.C
	clear(w.gw2)
	clear(w.gb2)
	for len(w.rows) < len(w.items) {
		w.rows = append(w.rows, nil)
		w.dh = append(w.dh, make([]float32, H))
		w.scale = append(w.scale, 0)
	}
	for n, it := range w.items {
		rnd := splitmix(it.seed)
		rows := w.rows[n][:0]
		label := t.none
		if it.sample >= 0 {
			sm := t.samples[it.sample]
			label = sm.label
			for _, r := range sm.rows {
				if t.s.Dropout == 0 || rnd.float() >= t.s.Dropout {
					rows = append(rows, r)
				}
			}
			// Dropout hides features so the model cannot lean on one
			// word; at least one feature always stays.
			if len(rows) == 0 && len(sm.rows) > 0 {
				rows = append(rows, sm.rows[rnd.intn(len(sm.rows))])
			}
		} else {
			// An outlier: as many words as a random example, each drawn
			// from anywhere in the training set.
			n := int(t.lengths[rnd.intn(len(t.lengths))])
			for range n {
				word := rnd.intn(len(t.wordOff) - 1)
				rows = append(rows, t.words[t.wordOff[word]:t.wordOff[word+1]]...)
			}
		}
		w.rows[n] = rows

		pre, probs, dh := w.pre, w.probs, w.dh[n]
		copy(pre, m.b1)
		scale := float32(0)
		if len(rows) > 0 {
			scale = float32(1 / math.Sqrt(float64(len(rows))))
		}
		w.scale[n] = scale
		for _, r := range rows {
			axpy(scale, m.w1[int(r)*H:][:H], pre)
		}
		for i, v := range pre {
			dh[i] = max(v, 0) // the activation, for now
		}
		for c := range C {
			probs[c] = m.b2[c] + dot(m.w2[c*H:][:H], dh)
		}
		probs[C] = 0
		probabilities(probs)
		act := dh
		// Output gradient of cross-entropy against the smoothed target; the
		// none logit is fixed, so it has no parameters to update.
		for c := range C {
			target := t.smoothOf
			if int32(c) == label {
				target = t.smoothOn
			}
			g := (probs[c] - target) * inv
			probs[c] = g
			w.gb2[c] += g
			axpy(g, act, w.gw2[c*H:][:H])
		}
		// dh = Σ_c g_c · w2[c], masked by the ReLU.
		clear(dh)
		for c := range C {
			axpy(probs[c], m.w2[c*H:][:H], dh)
		}
		for i, v := range pre {
			if v <= 0 {
				dh[i] = 0
			}
		}
	}
}

// update sums the shards' gradients and applies Adam: shard k updates the
// output rows and feature rows whose index has parity k, so the two never
// write the same weight, and every sum runs in item order.
func (t *trainer) update(k int) {
	m, H, C := t.m, t.H, t.C
	a := t.opt
	if k == 0 {
		// b1: Σ dh over the batch, in item order.
		g := t.work[0].gb1
		clear(g)
		for _, w := range t.work {
			for n := range w.items {
				axpy(1, w.dh[n], g)
			}
		}
		a.updateRange(0, 0, H, m.b1, g)
	}
	w0, w1 := t.work[0], t.work[1]
	for c := k; c < C; c += shards {
		g := w0.gw2[c*H:][:H]
		axpy(1, w1.gw2[c*H:][:H], g)
		a.updateRange(1, c*H, H, m.w2, w0.gw2)
		w0.gb2[c] += w1.gb2[c]
		a.updateRange(2, c, 1, m.b2, w0.gb2)
	}

	// Feature rows of parity k: each item's gradient is applied to its
	// rows as it comes, in item order, with a step normalised by the row's
	// running mean square gradient (a row-wise RMSprop with Adam's bias
	// correction). One pass, no gradient buffer and one moment per row
	// rather than per weight: this is what keeps the sparse layer cheap.
	a2 := float32(t.opt.beta2)
	lr := float32(t.opt.lr * t.opt.decay)
	for _, w := range t.work {
		for n := range w.items {
			dh := w.dh[n]
			coef := w.scale[n] * t.inv
			var sq float32
			for _, v := range dh {
				sq += v * v
			}
			gsq := coef * coef * sq / float32(H)
			if gsq == 0 {
				continue
			}
			for _, r := range w.rows[n] {
				if int(r)%shards != k {
					continue
				}
				steps := t.rowSteps[r] + 1
				t.rowSteps[r] = steps
				v := a2*t.rowSq[r] + (1-a2)*gsq
				t.rowSq[r] = v
				vhat := v * t.correction(steps)
				step := lr / (float32(math.Sqrt(float64(vhat))) + 1e-8)
				axpy(-step*coef, dh, m.w1[int(r)*H:][:H])
			}
		}
	}
}

// correction is Adam's bias correction 1/(1-β2^steps) for a row's second
// moment, from a table while it matters.
func (t *trainer) correction(steps int32) float32 {
	if int(steps) < len(t.corr) {
		return t.corr[steps]
	}
	return 1
}

func uniform(rng *rand.Rand, n int, limit float64) []float32 {
	w := make([]float32, n)
	for i := range w {
		w[i] = float32((rng.Float64()*2 - 1) * limit)
	}
	return w
}

// adam keeps the first and second moments for each dense parameter tensor.
type adam struct {
	lr, beta1, beta2, eps float64
	decay                 float64 // share of lr used for this step
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
	a.alpha = float32(a.lr * a.decay * math.Sqrt(1-math.Pow(a.beta2, float64(a.t))) / (1 - math.Pow(a.beta1, float64(a.t))))
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
