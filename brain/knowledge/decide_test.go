package knowledge

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/docent-bot/docent/chat"
)

// devSet is a question file's dev split: its held-out questions are
// dropped unread.
type devSet struct {
	questions  []string
	unanswered []string
}

func loadDevSet(t testing.TB, name string) devSet {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Questions []struct {
			Q       string `yaml:"q"`
			Heldout bool   `yaml:"heldout"`
		} `yaml:"questions"`
		Unanswered []yaml.Node `yaml:"unanswered"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var s devSet
	for _, q := range file.Questions {
		if !q.Heldout {
			s.questions = append(s.questions, q.Q)
		}
	}
	for _, n := range file.Unanswered {
		if n.Kind == yaml.ScalarNode {
			s.unanswered = append(s.unanswered, n.Value)
			continue
		}
		var u struct {
			Q       string `yaml:"q"`
			Heldout bool   `yaml:"heldout"`
		}
		if err := n.Decode(&u); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !u.Heldout {
			s.unanswered = append(s.unanswered, u.Q)
		}
	}
	return s
}

// setIndex indexes a docs set as `docent eval docs --docs` does, with the
// starter intents' patterns as background; it skips a missing set.
func setIndex(t testing.TB, s docsSet, opts Options) *Index {
	t.Helper()
	if _, err := os.Stat(s.dir); err != nil {
		t.Skipf("no %s docs: %v", s.name, err)
	}
	ix := New(opts)
	ix.SetBackground(starterPatterns(t))
	if err := ix.Rebuild(t.Context(), []Folder{{Path: s.dir}}); err != nil {
		t.Fatal(err)
	}
	return ix
}

// notShown counts the questions whose best passage the decision hides
// (or that have none).
func notShown(ix *Index, qs []string) int {
	n := 0
	for _, q := range qs {
		if hits := ix.Search(q, 1, chat.Place{}); len(hits) == 0 || hits[0].Confidence < ix.MinConfidence(q) {
			n++
		}
	}
	return n
}

// halves splits questions into those at even and at odd places.
func halves(qs []string) [2][]string {
	var h [2][]string
	for i, q := range qs {
		h[i%2] = append(h[i%2], q)
	}
	return h
}

func share(n, of int) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%5.1f%%", 100*float64(n)/float64(of))
}

// TestNotSureAcrossSets checks the "not sure" decision on the dev
// questions of every docs set present: at most 5% of the answerable
// questions get no passage. With DOCENT_XSET=1 it prints the trade-off
// curve over the quantile, on each half of the questions and all of
// them, and (when datasetsDir's CLINC150 is there) on off-topic
// questions never used to calibrate: its 1000 test ones.
func TestNotSureAcrossSets(t *testing.T) {
	var heldOffTopic []string
	if data, err := os.ReadFile(filepath.Join(datasetsDir, "..", "clinc150", "data_full.json")); err == nil {
		var clinc struct {
			OOSTest [][2]string `json:"oos_test"`
		}
		if err := json.Unmarshal(data, &clinc); err != nil {
			t.Fatal(err)
		}
		for _, p := range clinc.OOSTest {
			heldOffTopic = append(heldOffTopic, p[0])
		}
	}
	curve := os.Getenv("DOCENT_XSET") != ""
	for _, s := range docsSets {
		t.Run(s.name, func(t *testing.T) {
			ix := setIndex(t, s, Options{})
			set := loadDevSet(t, s.questions)
			np := notShown(ix, set.questions)
			ab := notShown(ix, set.unanswered)
			t.Logf("%s: quantile %.2f: no passage %d of %d (%s), abstained %d of %d (%s); cut for 5, 10, 20, 40 words: %.3f %.3f %.3f %.3f",
				s.name, DefaultNotSureQuantile, np, len(set.questions), share(np, len(set.questions)), ab, len(set.unanswered), share(ab, len(set.unanswered)),
				ix.MinConfidenceForWords(5), ix.MinConfidenceForWords(10), ix.MinConfidenceForWords(20), ix.MinConfidenceForWords(40))
			if 20*np > len(set.questions) {
				t.Errorf("%s: %d of %d answerable questions get no passage; want at most 5%%", s.name, np, len(set.questions))
			}
			if !curve {
				return
			}
			qh, uh := halves(set.questions), halves(set.unanswered)
			for _, p := range []float64{0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95} {
				ix.opts.notSureQuantile = p
				ix.mu.Lock()
				ix.docsGen++ // calibrate again
				ix.mu.Unlock()
				var line []string
				for h := range 2 {
					line = append(line, fmt.Sprintf("half %d: no passage %s abstained %s", h,
						share(notShown(ix, qh[h]), len(qh[h])), share(notShown(ix, uh[h]), len(uh[h]))))
				}
				line = append(line, fmt.Sprintf("all: no passage %s abstained %s", share(notShown(ix, set.questions), len(set.questions)),
					share(notShown(ix, set.unanswered), len(set.unanswered))))
				if heldOffTopic != nil {
					line = append(line, "off-topic abstained "+share(notShown(ix, heldOffTopic), len(heldOffTopic)))
				}
				t.Logf("%-8s q %.2f  %s", s.name, p, strings.Join(line, " | "))
			}
		})
	}
}

// BenchmarkNotSureCalibration is what the first question after the docs
// change pays: searching the off-topic questions and computing the cuts,
// on the guide and on Hugo's 992 pages when they are there.
func BenchmarkNotSureCalibration(b *testing.B) {
	for _, s := range []docsSet{docsSets[0], docsSets[3]} {
		b.Run(s.name, func(b *testing.B) {
			ix := setIndex(b, s, Options{})
			for b.Loop() {
				ix.calibrate()
			}
		})
	}
}

// BenchmarkMinConfidence is the decision's cost once calibrated.
func BenchmarkMinConfidence(b *testing.B) {
	ix := setIndex(b, docsSets[0], Options{})
	set := loadEval(b)
	ix.MinConfidence("warm up")
	for i := 0; b.Loop(); i++ {
		ix.MinConfidence(set.Questions[i%len(set.Questions)].Q)
	}
}

// TestQueryWords: the length the cut is looked up by counts the distinct
// terms of queryTerms that are not pairs.
func TestQueryWords(t *testing.T) {
	ix := New(Options{})
	for _, q := range []string{"", "how do I reload the intents", "reload reload RELOAD", "如何备份数据库", "config check says unknwon field, config check!"} {
		want := 0
		for _, qt := range ix.queryTerms(q) {
			if !strings.Contains(qt.term, pairSep) {
				want++
			}
		}
		if got := ix.queryWords(q); got != want {
			t.Errorf("queryWords(%q) = %d, want %d", q, got, want)
		}
	}
}

// TestMinConfidenceFollowsTheDocs: the cut is learnt again when the docs
// change, even while members ask (run with -race), and it is the one a
// fresh index of the new docs learns.
func TestMinConfidenceFollowsTheDocs(t *testing.T) {
	small := t.TempDir()
	if err := os.WriteFile(filepath.Join(small, "weather.md"), []byte("# Weather\n\nThe weather today in Berlin is sunny; tomorrow it will rain.\n\n"+
		"## Glue\n\nGlue is made from starch, water and time.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ix := New(Options{})
	ix.SetBackground(starterPatterns(t))
	if err := ix.Rebuild(t.Context(), []Folder{{Path: guideDir}}); err != nil {
		t.Fatal(err)
	}
	guideCut := ix.MinConfidenceForWords(6)

	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			ix.MinConfidence("what's the weather in Berlin today")
		}
	}()
	if err := ix.Rebuild(t.Context(), []Folder{{Path: small}}); err != nil {
		t.Fatal(err)
	}
	<-done

	fresh := New(Options{})
	fresh.SetBackground(starterPatterns(t))
	if err := fresh.Rebuild(t.Context(), []Folder{{Path: small}}); err != nil {
		t.Fatal(err)
	}
	got, want := ix.MinConfidenceForWords(6), fresh.MinConfidenceForWords(6)
	if got != want {
		t.Errorf("after the rebuild the cut for 6 words is %.4f; a fresh index of the same docs learns %.4f", got, want)
	}
	if got == guideCut {
		t.Errorf("the cut stayed the guide's (%.4f) for docs about the weather", guideCut)
	}
}
