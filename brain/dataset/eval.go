package dataset

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/docent-bot/docent/brain/classifier"
)

// Threshold rules: how the out-of-scope threshold is chosen on the
// validation splits. The test splits are never looked at.
const (
	// RuleAccuracy maximises accuracy on val + oos_val with out-of-scope as
	// one more intent: the rule of the CLINC150 paper. With far more
	// in-scope than out-of-scope validation texts it favours low thresholds.
	RuleAccuracy = "accuracy"
	// RuleBalanced maximises the mean of in-scope accuracy on val and
	// out-of-scope recall on oos_val, weighing the two kinds of mistake
	// equally whatever the sizes of the splits.
	RuleBalanced = "balanced"
)

// Options tune Evaluate.
type Options struct {
	// Rule picks the threshold reported as Threshold: RuleAccuracy (the
	// default) or RuleBalanced. Both are always in Report.Rules.
	Rule string
	// NoOOSTrain leaves oos_train out of training. By default its texts
	// are given to the classifier as out-of-scope examples (empty label).
	NoOOSTrain bool
	// Threshold is used when the data set has no val split.
	Threshold float64
}

// Report is what Evaluate measured. The JSON names are those of
// `docent eval --json`.
type Report struct {
	InScopeAccuracy float64  `json:"in_scope_accuracy"`
	OOSRecall       *float64 `json:"oos_recall"` // nil without oos_test
	MacroF1         float64  `json:"macro_f1"`
	Threshold       float64  `json:"threshold"`
	Rule            string   `json:"threshold_rule"`
	TrainSeconds    float64  `json:"train_seconds"`
	PredictP50us    float64  `json:"predict_p50_us"`
	PredictP99us    float64  `json:"predict_p99_us"`
	ModelBytes      int      `json:"model_bytes"`
	PeakRSSBytes    int64    `json:"peak_rss_bytes"` // 0 when unknown
	// Rules holds the figures at the threshold of every rule.
	Rules []RuleResult `json:"rules"`
}

// RuleResult is the test figures at the threshold one rule chose.
type RuleResult struct {
	Rule            string   `json:"rule"`
	Threshold       float64  `json:"threshold"`
	InScopeAccuracy float64  `json:"in_scope_accuracy"`
	OOSRecall       *float64 `json:"oos_recall"`
	MacroF1         float64  `json:"macro_f1"`
}

type scored struct {
	label string // true label, OutOfScope for out-of-scope
	pred  string
	p     float64
}

// Evaluate trains on d.Train (and d.OOSTrain as out-of-scope examples),
// chooses the threshold on d.Val and d.OOSVal, and measures on d.Test and
// d.OOSTest.
func Evaluate(ctx context.Context, d *Dataset, s classifier.Settings, opt Options) (Report, error) {
	if opt.Rule == "" {
		opt.Rule = RuleAccuracy
	}
	if opt.Rule != RuleAccuracy && opt.Rule != RuleBalanced {
		return Report{}, fmt.Errorf("dataset: unknown threshold rule %q", opt.Rule)
	}
	train := slices.Clone(d.Train)
	if !opt.NoOOSTrain {
		for _, e := range d.OOSTrain {
			train = append(train, classifier.Example{Text: e.Text})
		}
	}
	start := time.Now()
	m, err := classifier.Train(ctx, train, s)
	if err != nil {
		return Report{}, fmt.Errorf("dataset: train: %w", err)
	}
	rep := Report{TrainSeconds: time.Since(start).Seconds(), Rule: opt.Rule}
	data, err := m.MarshalBinary()
	if err != nil {
		return Report{}, fmt.Errorf("dataset: encode model: %w", err)
	}
	rep.ModelBytes = len(data)

	score := func(in, oos []classifier.Example) []scored {
		out := make([]scored, 0, len(in)+len(oos))
		dst := make([]classifier.Score, 0, 1)
		for i, e := range slices.Concat(in, oos) {
			res := m.ClassifyInto(dst, e.Text, 1)
			label := e.Label
			if i >= len(in) {
				label = OutOfScope
			}
			out = append(out, scored{label: label, pred: res.Top[0].Label, p: res.Top[0].P})
		}
		return out
	}
	val := score(d.Val, d.OOSVal)
	test := score(d.Test, d.OOSTest)
	rep.PredictP50us, rep.PredictP99us = predictLatency(m, slices.Concat(d.Test, d.OOSTest))

	for _, rule := range []string{RuleAccuracy, RuleBalanced} {
		thr := opt.Threshold
		if len(d.Val) > 0 {
			thr = chooseThreshold(val, rule)
		}
		acc, recall, f1 := measure(test, thr)
		r := RuleResult{Rule: rule, Threshold: thr, InScopeAccuracy: acc, MacroF1: f1}
		if len(d.OOSTest) > 0 {
			r.OOSRecall = &recall
		}
		rep.Rules = append(rep.Rules, r)
		if rule == opt.Rule {
			rep.Threshold, rep.InScopeAccuracy, rep.OOSRecall, rep.MacroF1 = thr, acc, r.OOSRecall, f1
		}
	}
	rep.PeakRSSBytes = PeakRSS()
	return rep, nil
}

// latencyPasses is how many times each test sentence is timed.
const latencyPasses = 5

// predictLatency times the prediction of every sentence, on its own, in
// latencyPasses passes, and returns the median and the 99th percentile of
// the sentences' median times in microseconds. The median of a sentence's
// passes is its cost without the machine's own interruptions: on a
// virtual machine, timer interrupts and scheduler ticks land in about one
// prediction in a hundred and add tens of microseconds to it, which no
// change to the classifier could remove; `docent bench classifier` shows
// the raw percentiles with them.
func predictLatency(m *classifier.Model, texts []classifier.Example) (p50, p99 float64) {
	if len(texts) == 0 {
		return 0, 0
	}
	// Timed in the steady state a running bot is in: not while the
	// collector still sweeps up after training.
	runtime.GC()
	dst := make([]classifier.Score, 0, 1)
	per := make([][latencyPasses]time.Duration, len(texts))
	for pass := range latencyPasses {
		for i, e := range texts {
			t0 := time.Now()
			m.ClassifyInto(dst, e.Text, 1)
			per[i][pass] = time.Since(t0)
		}
	}
	med := make([]time.Duration, len(texts))
	for i := range per {
		p := per[i]
		slices.Sort(p[:])
		med[i] = p[latencyPasses/2]
	}
	slices.Sort(med)
	pct := func(q float64) float64 {
		return float64(med[min(int(q*float64(len(med))), len(med)-1)].Nanoseconds()) / 1e3
	}
	return pct(0.50), pct(0.99)
}

// chooseThreshold returns the threshold on the top probability that scores
// best on val by rule: a text is out-of-scope when its top probability is
// below the threshold. Ties go to the lowest threshold.
func chooseThreshold(val []scored, rule string) float64 {
	var nIn, nOut int
	for _, v := range val {
		if v.label == OutOfScope {
			nOut++
		} else {
			nIn++
		}
	}
	byP := slices.Clone(val)
	slices.SortFunc(byP, func(a, b scored) int {
		switch {
		case a.p < b.p:
			return -1
		case a.p > b.p:
			return 1
		}
		return 0
	})
	// Threshold 0: every text keeps its intent.
	right, rejected := 0, 0 // in-scope right, out-of-scope rejected
	for _, v := range val {
		if v.label != OutOfScope && v.pred == v.label {
			right++
		}
	}
	value := func() float64 {
		if rule == RuleBalanced {
			a, r := 0.0, 0.0
			if nIn > 0 {
				a = float64(right) / float64(nIn)
			}
			if nOut > 0 {
				r = float64(rejected) / float64(nOut)
			}
			return (a + r) / 2
		}
		return float64(right+rejected) / float64(nIn+nOut)
	}
	best, bestThr := value(), 0.0
	// Raising the threshold just above byP[i].p rejects texts 0..i.
	for i, v := range byP {
		if v.label == OutOfScope {
			rejected++
		} else if v.pred == v.label {
			right--
		}
		if i+1 < len(byP) && byP[i+1].p == v.p {
			continue
		}
		if val := value(); val > best {
			best = val
			if i+1 < len(byP) {
				bestThr = (v.p + byP[i+1].p) / 2
			} else {
				bestThr = v.p + 1e-9
			}
		}
	}
	return bestThr
}

// measure returns in-scope accuracy, out-of-scope recall and macro F1 over
// all classes (out-of-scope being one when present) at a threshold.
func measure(test []scored, thr float64) (acc, recall, macroF1 float64) {
	type counts struct{ tp, fp, fn int }
	per := map[string]*counts{}
	get := func(l string) *counts {
		c := per[l]
		if c == nil {
			c = &counts{}
			per[l] = c
		}
		return c
	}
	var nIn, right, nOut, rejected int
	for _, t := range test {
		pred := t.pred
		if t.p < thr {
			pred = OutOfScope
		}
		get(t.label)
		if pred == t.label {
			get(pred).tp++
		} else {
			get(pred).fp++
			get(t.label).fn++
		}
		if t.label == OutOfScope {
			nOut++
			if pred == OutOfScope {
				rejected++
			}
		} else {
			nIn++
			if pred == t.label {
				right++
			}
		}
	}
	if nIn > 0 {
		acc = float64(right) / float64(nIn)
	}
	if nOut > 0 {
		recall = float64(rejected) / float64(nOut)
	}
	n := 0
	for l, c := range per {
		if l == OutOfScope && nOut == 0 {
			continue // predicted out-of-scope, but the split has none
		}
		macroF1 += f1(c.tp, c.fp, c.fn)
		n++
	}
	if n > 0 {
		macroF1 /= float64(n)
	}
	return acc, recall, macroF1
}

func f1(tp, fp, fn int) float64 {
	if tp == 0 {
		return 0
	}
	return 2 * float64(tp) / float64(2*tp+fp+fn)
}

// PeakRSS returns the process's peak resident set size in bytes (VmHWM on
// Linux), or 0 where that is unknown.
func PeakRSS() int64 {
	if runtime.GOOS != "linux" {
		return 0
	}
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			fields := bytes.Fields(v)
			if len(fields) >= 1 {
				kb, err := strconv.ParseInt(string(fields[0]), 10, 64)
				if err == nil {
					return kb << 10
				}
			}
		}
	}
	return 0
}
