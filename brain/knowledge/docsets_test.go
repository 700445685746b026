package knowledge

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/docent-bot/docent/chat"
)

// docsSet is a documentation set with its question file: Docent's guide
// and the real projects' docs in datasetsDir.
type docsSet struct {
	name, dir, questions string
	// floor is the lowest section recall@3 of the dev questions that the
	// defaults may reach (TestDocsSetsRecall).
	floor float64
}

var docsSets = []docsSet{
	{name: "guide", dir: guideDir, questions: evalFile, floor: 0.90},
	{name: "task", dir: datasetsDir + "/task/docs", questions: "../../testdata/docs-questions/task.yaml", floor: 0.51},
	{name: "requests", dir: datasetsDir + "/requests/docs", questions: "../../testdata/docs-questions/requests.yaml", floor: 0.85},
	{name: "hugo", dir: datasetsDir + "/hugo/docs", questions: "../../testdata/docs-questions/hugo.yaml", floor: 0.51},
}

// devQuestion is a question of a set's dev split: held-out questions are
// never read here, they are kept for the final figures of
// `docent eval docs --split heldout`.
type devQuestion struct {
	q    string
	want []string
}

func devQuestions(t testing.TB, s docsSet) []devQuestion {
	t.Helper()
	data, err := os.ReadFile(s.questions)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Questions []struct {
			Q       string `yaml:"q"`
			Want    wants  `yaml:"want"`
			Heldout bool   `yaml:"heldout"`
		} `yaml:"questions"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatalf("%s: %v", s.questions, err)
	}
	var out []devQuestion
	for _, q := range file.Questions {
		if !q.Heldout {
			out = append(out, devQuestion{q.Q, q.Want})
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no dev questions", s.questions)
	}
	return out
}

// setResult is how one ranking did on a set's dev questions, sections
// counted without their part numbers.
type setResult struct {
	at1, at3, mrr float64
}

func (r setResult) String() string {
	return fmt.Sprintf("%.1f/%.1f %.3f", 100*r.at1, 100*r.at3, r.mrr)
}

func evalDocsSet(t testing.TB, s docsSet, opts Options, background []string) setResult {
	t.Helper()
	if _, err := os.Stat(s.dir); err != nil {
		t.Skipf("no %s docs: %v", s.name, err)
	}
	qs := devQuestions(t, s)
	ix := New(opts)
	ix.SetBackground(background)
	if err := ix.Rebuild(context.Background(), []Folder{{Path: s.dir, BaseURL: "https://x/"}}); err != nil {
		t.Fatal(err)
	}
	var r setResult
	for _, q := range qs {
		for i, h := range ix.Search(q.q, 3, chat.Place{}) {
			if slices.Contains(q.want, sectionID(strings.TrimPrefix(h.ID, s.dir+"/"))) {
				if i == 0 {
					r.at1++
				}
				r.at3++
				r.mrr += 1 / float64(i+1)
				break
			}
		}
	}
	n := float64(len(qs))
	r.at1, r.at3, r.mrr = r.at1/n, r.at3/n, r.mrr/n
	return r
}

// TestDocsSetsRecall holds the defaults to the section recall@3 they
// reach on each set's dev questions, with the starter intents' patterns
// as background, as the bot runs them.
func TestDocsSetsRecall(t *testing.T) {
	bg := starterPatterns(t)
	for _, s := range docsSets {
		t.Run(s.name, func(t *testing.T) {
			r := evalDocsSet(t, s, Options{}, bg)
			t.Logf("section recall@1/@3 %%, MRR@3: %s", r)
			if r.at3 < s.floor {
				t.Errorf("section recall@3 %.3f, want at least %.2f", r.at3, s.floor)
			}
		})
	}
}

// TestDocsSetsAblation compares ranking variants on every set's dev
// questions: what each choice of the defaults does on docs of different
// sizes and styles. DOCENT_ABLATION=1 runs it; -v shows the table.
func TestDocsSetsAblation(t *testing.T) {
	if os.Getenv("DOCENT_ABLATION") == "" {
		t.Skip("DOCENT_ABLATION=1 runs the ablation over every docs set")
	}
	bg := starterPatterns(t)
	before := Options{TitleWeight: 2, HeadingWeight: 2, noBurstiness: true, everyPart: true}
	variants := []struct {
		name string
		opts Options
	}{
		{"before (title/heading x2)", before},
		{"+ burstiness", Options{TitleWeight: 2, HeadingWeight: 2, everyPart: true}},
		{"+ one part per section", Options{TitleWeight: 2, HeadingWeight: 2}},
		{"+ title/heading x3 (defaults)", Options{}},
		{"defaults without burstiness", Options{noBurstiness: true}},
		{"defaults, every part a hit", Options{everyPart: true}},
		{"title/heading x2.5", Options{TitleWeight: 2.5, HeadingWeight: 2.5}},
		{"title/heading x4", Options{TitleWeight: 4, HeadingWeight: 4}},
		{"Lucene idf", Options{idf: "lucene"}},
		{"k1 1.6", Options{K1: 1.6}},
		{"k1 0.9", Options{K1: 0.9}},
		{"b 0.5", Options{B: 0.5}},
		{"b 0.9", Options{B: 0.9}},
		{"pairs 0.3", Options{PairWeight: 0.3}},
		{"pairs 0.8", Options{PairWeight: 0.8}},
		{"no pairs", Options{PairWeight: -1}},
		{"no typos", Options{typoWeight: -1}},
	}
	t.Logf("%-30s %s", "section recall@1/@3 %, MRR@3", func() string {
		var names []string
		for _, s := range docsSets {
			names = append(names, fmt.Sprintf("%-17s", s.name))
		}
		return strings.Join(names, " ")
	}())
	for _, v := range variants {
		var line []string
		for _, s := range docsSets {
			line = append(line, fmt.Sprintf("%-17s", evalDocsSet(t, s, v.opts, bg)))
		}
		t.Logf("%-30s %s", v.name, strings.Join(line, " "))
	}
}
