package classifier

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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

func BenchmarkClassify(b *testing.B) {
	m := train(b, small, DefaultSettings())
	b.ReportAllocs()
	for b.Loop() {
		m.Classify("how do I report a bug in the installer", 3)
	}
}

func BenchmarkTrain(b *testing.B) {
	for b.Loop() {
		train(b, small, DefaultSettings())
	}
}
