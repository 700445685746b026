package classifier

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

var small = []Example{
	{"hello", "greeting"}, {"hi there", "greeting"}, {"hey", "greeting"}, {"good morning", "greeting"},
	{"你好", "greeting"}, {"hello everyone", "greeting"},
	{"thanks", "thanks"}, {"thank you so much", "thanks"}, {"cheers for the help", "thanks"}, {"谢谢", "thanks"},
	{"thx", "thanks"}, {"much appreciated", "thanks"},
	{"how do I report a bug", "report_bug"}, {"I found a bug", "report_bug"}, {"where do I file bug reports", "report_bug"},
	{"the app crashes, where to report it", "report_bug"}, {"怎么报告bug", "report_bug"}, {"bug report", "report_bug"},
	{"how do I install it", "install"}, {"installation instructions", "install"}, {"setup guide", "install"},
	{"how to set up docent locally", "install"}, {"怎么安装", "install"}, {"install fails", "install"},
}

func train(t testing.TB, ex []Example, s Settings) *Model {
	t.Helper()
	m, err := Train(context.Background(), ex, s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestClassify(t *testing.T) {
	m := train(t, small, DefaultSettings())
	for text, want := range map[string]string{
		"hello":                    "greeting",
		"hi everyone":              "greeting",
		"你好":                       "greeting",
		"thank you":                "thanks",
		"how do i report a bug?":   "report_bug",
		"I think I found a bug":    "report_bug",
		"how do I install docent?": "install",
		"安装":                       "install",
	} {
		res := m.Classify(text, 3)
		if len(res.Top) != 3 {
			t.Fatalf("Classify(%q) gave %d scores, want 3", text, len(res.Top))
		}
		if res.Top[0].Label != want {
			t.Errorf("Classify(%q) = %+v, want %s first", text, res.Top, want)
		}
		if !(res.Top[0].P >= res.Top[1].P && res.Top[1].P >= res.Top[2].P) {
			t.Errorf("Classify(%q) not sorted: %+v", text, res.Top)
		}
	}
}

func TestUnknownWordsAreUnsure(t *testing.T) {
	m := train(t, small, DefaultSettings())
	res := m.Classify("qwerty zxcv", 4)
	if res.Known != 0 {
		t.Errorf("Known = %d, want 0 for words never seen", res.Known)
	}
	if res.Top[0].P > 0.5 {
		t.Errorf("top probability %.2f for unseen words; want an unsure model (<= 0.5)", res.Top[0].P)
	}
	var sum float64
	for _, s := range res.Top {
		sum += s.P
	}
	if sum <= 0 || sum > 1.001 {
		t.Errorf("probabilities over all 4 intents sum to %f, want at most 1 (the rest is none of them)", sum)
	}
}

func TestDeterministic(t *testing.T) {
	a, _ := train(t, small, DefaultSettings()).MarshalBinary()
	b, _ := train(t, small, DefaultSettings()).MarshalBinary()
	if !bytes.Equal(a, b) {
		t.Fatal("two trainings with the same seed gave different models")
	}
	s := DefaultSettings()
	s.Seed = 2
	c, _ := train(t, small, s).MarshalBinary()
	if bytes.Equal(a, c) {
		t.Fatal("a different seed gave the same model")
	}
}

func TestRoundTrip(t *testing.T) {
	m := train(t, small, DefaultSettings())
	data, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range small {
		a, b := m.Classify(e.Text, 2), m2.Classify(e.Text, 2)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%q: original %+v, decoded %+v", e.Text, a, b)
		}
	}
}

func TestDecodeDamage(t *testing.T) {
	data, _ := train(t, small, DefaultSettings()).MarshalBinary()
	for name, d := range map[string][]byte{
		"empty":     nil,
		"garbage":   []byte("not a model at all"),
		"truncated": data[:len(data)/2],
		"trailing":  append(append([]byte{}, data...), 1, 2, 3),
		"version":   append(append(append([]byte{}, data[:8]...), 9, 0, 0, 0), data[12:]...),
	} {
		if _, err := Decode(d); err == nil {
			t.Errorf("%s: Decode succeeded, want an error", name)
		}
	}
}

func TestTrainErrors(t *testing.T) {
	if _, err := Train(context.Background(), nil, DefaultSettings()); err == nil {
		t.Error("no examples: want an error")
	}
	if _, err := Train(context.Background(), small[:3], DefaultSettings()); err == nil {
		t.Error("one intent: want an error")
	}
	bad := DefaultSettings()
	bad.Hidden, bad.LearningRate = 0, -1
	_, err := Train(context.Background(), small, bad)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("hidden must be")) || !bytes.Contains([]byte(err.Error()), []byte("learning_rate must be")) {
		t.Errorf("bad settings: got %v, want both problems named", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, small, DefaultSettings()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v, want context.Canceled", err)
	}
}

func TestFingerprint(t *testing.T) {
	s := DefaultSettings()
	base := Fingerprint(small, s)
	if Fingerprint(small, s) != base {
		t.Fatal("fingerprint not stable")
	}
	s2 := s
	s2.Epochs++
	changed := append([]Example{}, small...)
	changed[0].Text = "hello!"
	for name, fp := range map[string]string{
		"settings": Fingerprint(small, s2),
		"examples": Fingerprint(changed, s),
		"fewer":    Fingerprint(small[1:], s),
	} {
		if fp == base {
			t.Errorf("%s changed but the fingerprint did not", name)
		}
	}
}

func FuzzDecode(f *testing.F) {
	data, _ := train(f, small, DefaultSettings()).MarshalBinary()
	f.Add(data)
	f.Add(data[:40])
	f.Add([]byte("DOCENTCL"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err == nil {
			m.Classify("hello world", 2)
		}
	})
}

func TestTypos(t *testing.T) {
	m := train(t, small, DefaultSettings())
	for text, want := range map[string]string{
		"how do i instal it":       "install",
		"instalation instructions": "install",
		"i fuond a bgu":            "report_bug",
		"thank yuo":                "thanks",
	} {
		res := m.Classify(text, 2)
		if res.Top[0].Label != want || res.Known == 0 {
			t.Errorf("Classify(%q) = %+v, want %s first and known words", text, res, want)
		}
	}
}

func TestClassifyIntoDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	m := train(t, small, DefaultSettings())
	dst := make([]Score, 0, 3)
	for _, text := range []string{"how do I report a bug in the installer", "怎么安装 docent?", "Ünïcödé wörds"} {
		// Text that NFKC changes ("？") allocates once, in the norm package.
		m.ClassifyInto(dst, text, 3) // warm the scratch buffers
		if n := testing.AllocsPerRun(100, func() { m.ClassifyInto(dst, text, 3) }); n != 0 {
			t.Errorf("ClassifyInto(%q) allocates %.1f times, want 0", text, n)
		}
	}
}

func TestSameModelWithAnyThreads(t *testing.T) {
	s := DefaultSettings()
	s.Threads = 1
	a, _ := train(t, small, s).MarshalBinary()
	s.Threads = 3
	b, _ := train(t, small, s).MarshalBinary()
	if !bytes.Equal(a, b) {
		t.Fatal("1 and 3 threads gave different models")
	}
}

func TestOutOfScopeExamples(t *testing.T) {
	ex := append([]Example{}, small...)
	for _, text := range []string{"what is the weather in paris", "tell me a joke about cats", "what's the capital of peru",
		"weather tomorrow", "cats or dogs", "how tall is mount everest"} {
		ex = append(ex, Example{Text: text})
	}
	m := train(t, ex, DefaultSettings())
	if got := m.Labels(); len(got) != 4 {
		t.Fatalf("labels %q: out-of-scope examples must not become an intent", got)
	}
	in := m.Classify("how do I install it", 1).Top[0]
	out := m.Classify("what is the weather in london", 1).Top[0]
	if in.Label != "install" || out.P >= in.P {
		t.Errorf("in-scope %+v, out-of-scope %+v: want install, and a lower probability out of scope", in, out)
	}
}

func TestExplain(t *testing.T) {
	m := train(t, small, DefaultSettings())
	ex := m.Explain("Thanks, how do I INSTALL it?")
	if len(ex.Labels) != 2 || ex.Known == 0 {
		t.Fatalf("Explain = %+v, want the two most likely intents", ex)
	}
	top := m.Classify("Thanks, how do I INSTALL it?", 2).Top
	for i, lw := range ex.Labels {
		if lw.Label != top[i].Label || math.Abs(lw.P-top[i].P) > 1e-6 {
			t.Errorf("label %d = %s %.3f, want %s %.3f as Classify", i, lw.Label, lw.P, top[i].Label, top[i].P)
		}
		if len(lw.Words) != 6 {
			t.Errorf("%s: %d words, want 6: %+v", lw.Label, len(lw.Words), lw.Words)
		}
	}
	find := func(label string) []WordWeight {
		for _, lw := range m.Explain("Thanks, how do I INSTALL it?", label).Labels {
			return lw.Words
		}
		return nil
	}
	if w := find("install"); w[0].Word != "INSTALL" || w[0].Weight <= 0 {
		t.Errorf("install: words %+v, want INSTALL (as written) first with a positive weight", w)
	}
	if w := find("thanks"); w[0].Word != "Thanks" {
		t.Errorf("thanks: words %+v, want Thanks first", w)
	}
	if w := find("install"); w[len(w)-1].Word != "Thanks" || w[len(w)-1].Weight >= 0 {
		t.Errorf("install: words %+v, want Thanks last, pushing against", w)
	}
	if a, b := fmt.Sprint(m.Explain("how do I install it")), fmt.Sprint(m.Explain("how do I install it")); a != b {
		t.Errorf("Explain not deterministic: %s vs %s", a, b)
	}
	if got := m.Explain("hello", "no_such_intent").Labels; len(got) != 0 {
		t.Errorf("unknown label explained: %+v", got)
	}
}

func TestAuto(t *testing.T) {
	for _, tc := range []struct{ n, batch, epochs int }{
		{24, 8, 120}, {780, 8, 41}, {1500, 8, 22}, {15000, 30, 8}, {100000, 32, 8},
	} {
		s := DefaultSettings().Auto(tc.n)
		if s.BatchSize != tc.batch || s.Epochs != tc.epochs {
			t.Errorf("Auto(%d) = batch %d, %d epochs; want %d, %d", tc.n, s.BatchSize, s.Epochs, tc.batch, tc.epochs)
		}
	}
	s := DefaultSettings()
	s.Epochs, s.BatchSize = 3, 5
	if got := s.Auto(15000); got.Epochs != 3 || got.BatchSize != 5 {
		t.Errorf("Auto overrode explicit settings: %+v", got)
	}
}

func BenchmarkClassify(b *testing.B) {
	m := train(b, small, DefaultSettings())
	dst := make([]Score, 0, 3)
	b.ReportAllocs()
	for b.Loop() {
		m.ClassifyInto(dst, "how do I report a bug in the installer", 3)
	}
}

// synthetic makes a data set shaped like a real one: intents with their
// own content words over shared function words, with typos.
func synthetic(intents, per int) []Example {
	function := strings.Fields("how do i the a to can you please my what is it for me where when")
	var ex []Example
	r := uint64(7)
	next := func(n int) int { r = r*6364136223846793005 + 1442695040888963407; return int(r>>33) % n }
	for c := range intents {
		var content []string
		for w := range 6 {
			content = append(content, fmt.Sprintf("%c%cword%d%c", 'a'+rune(c%26), 'a'+rune(c/26), w, 'a'+rune(next(26))))
		}
		for range per {
			var words []string
			for range 4 + next(8) {
				if next(3) == 0 {
					words = append(words, content[next(len(content))])
				} else {
					words = append(words, function[next(len(function))])
				}
			}
			ex = append(ex, Example{Text: strings.Join(words, " "), Label: fmt.Sprintf("intent_%d", c)})
		}
	}
	return ex
}

func BenchmarkTrain(b *testing.B) {
	for _, size := range []struct{ intents, per int }{{30, 26}, {150, 100}} {
		ex := synthetic(size.intents, size.per)
		b.Run(fmt.Sprintf("%dx%d", size.intents, size.per), func(b *testing.B) {
			for b.Loop() {
				train(b, ex, DefaultSettings())
			}
		})
	}
}

// goAxpy and goDot are the plain Go loops the gonum kernels replaced; they
// stay as the reference for TestKernels and the baseline of BenchmarkKernels.
func goAxpy(a float32, x, y []float32) {
	for i, v := range x {
		y[i] += a * v
	}
}

func goDot(x, y []float32) float32 {
	var s float32
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

func TestKernels(t *testing.T) {
	for _, n := range []int{0, 1, 3, 4, 7, 64, 65, 130} {
		x, y1, y2 := make([]float32, n), make([]float32, n+2), make([]float32, n+2)
		for i := range x {
			x[i], y1[i], y2[i] = float32(i%7)-3, float32(i%5)*0.5, float32(i%5)*0.5
		}
		axpy(0.25, x, y1)
		goAxpy(0.25, x, y2)
		for i := range y1 {
			if d := y1[i] - y2[i]; d > 1e-5 || d < -1e-5 {
				t.Fatalf("n=%d: axpy[%d] = %v, want %v", n, i, y1[i], y2[i])
			}
		}
		if d := dot(x, y1) - goDot(x, y1); d > 1e-3 || d < -1e-3 {
			t.Fatalf("n=%d: dot differs by %v", n, d)
		}
	}
}

// BenchmarkKernels compares the kernels on a hidden-layer-wide row against
// the plain Go loops, in the same run.
func BenchmarkKernels(b *testing.B) {
	x, y := make([]float32, 64), make([]float32, 64)
	var sink float32
	b.Run("axpy/gonum", func(b *testing.B) {
		for b.Loop() {
			axpy(0.5, x, y)
		}
	})
	b.Run("axpy/go", func(b *testing.B) {
		for b.Loop() {
			goAxpy(0.5, x, y)
		}
	})
	b.Run("dot/gonum", func(b *testing.B) {
		for b.Loop() {
			sink += dot(x, y)
		}
	})
	b.Run("dot/go", func(b *testing.B) {
		for b.Loop() {
			sink += goDot(x, y)
		}
	})
	_ = sink
}
