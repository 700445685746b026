package docseval

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docent-bot/docent/brain/knowledge"
	"github.com/docent-bot/docent/chat"
)

const questionsYAML = `
questions:
  - q: first
    want: a.md#x
    source: https://example.org/1
  - q: second
    want: [b.md#y, c.md#z]
  - q: third
    want: a.md#w
    heldout: true
  - q: fourth
    want: d.md#v
  - q: fifth
    want: a.md#x
unanswered:
  - just the question, as in docs/guide/eval.yaml
  - q: second unanswered
    source: https://example.org/2
    heldout: true
`

// scripted is a System that shows fixed sections for each question: the
// input of the metrics under test.
func scripted(shown map[string][]string) System {
	return System{Name: "scripted", Search: func(_ context.Context, q string) ([]string, error) {
		return shown[q], nil
	}}
}

func near(t *testing.T, name string, got *float64, want float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = null, want %.4f", name, want)
		return
	}
	if math.Abs(*got-want) > 1e-9 {
		t.Errorf("%s = %.4f, want %.4f", name, *got, want)
	}
}

// TestMetrics checks every figure on rankings made to exercise the rules:
// a "~2" part counts as its section, a sibling section counts at page
// level only, a section shown fourth does not count, and no passage is an
// abstention.
func TestMetrics(t *testing.T) {
	set, err := Parse([]byte(questionsYAML))
	if err != nil {
		t.Fatal(err)
	}
	sys := scripted(map[string][]string{
		"first":             {"a.md#x~2", "b.md#y"},                 // section at 1
		"second":            {"a.md#x", "c.md#q", "c.md#z"},         // section at 3, page at 2
		"third":             {"a.md#v"},                             // page at 1 only
		"fourth":            nil,                                    // nothing shown
		"fifth":             {"e.md", "e.md#f", "e.md#g", "a.md#x"}, // fourth: too late
		"second unanswered": {"a.md"},                               // an answer where none is
	})
	figs, err := Evaluate(context.Background(), set, []System{sys}, Options{Runs: 2})
	if err != nil {
		t.Fatal(err)
	}
	f := figs[0]
	near(t, "section@1", f.SectionAt1, 1.0/5)
	near(t, "section@3", f.SectionAt3, 2.0/5)
	near(t, "page@1", f.PageAt1, 2.0/5)
	near(t, "page@3", f.PageAt3, 3.0/5)
	near(t, "MRR@3", f.MRR, (1+1.0/3)/5)
	near(t, "no passage", f.NoPassage, 1.0/5)
	near(t, "abstained", f.Abstained, 1.0/2)
	var missed []string
	for _, m := range f.Misses {
		missed = append(missed, m.Q)
	}
	if want := []string{"third", "fourth", "fifth"}; !slices.Equal(missed, want) {
		t.Errorf("misses %v, want %v", missed, want)
	}
	if got := f.Misses[2].Got; !slices.Equal(got, []string{"e.md", "e.md#f", "e.md#g"}) {
		t.Errorf("fifth's miss shows %v, want the first three", got)
	}
	if f.P50ms < 0 || f.P99ms < f.P50ms {
		t.Errorf("latency p50 %v, p99 %v", f.P50ms, f.P99ms)
	}
	if f.IntentTook != nil || f.IntentUnanswered != nil || f.Intents != nil {
		t.Errorf("a system without Intent has intent figures: %v %v %v", f.IntentTook, f.IntentUnanswered, f.Intents)
	}
}

// TestIntentFigures: an intent that answers an answerable question takes
// it from the docs, unless the question file names that intent.
func TestIntentFigures(t *testing.T) {
	set, err := Parse([]byte(`questions:
  - q: first
    want: a.md#x
  - q: hi
    want: a.md#x
    intent: greeting
  - q: hello
    want: a.md#x
    intent: thanks
  - q: fourth
    want: a.md#x
unanswered:
  - q: bye
    intent: goodbye
  - q: what can you do
  - q: nothing
`))
	if err != nil {
		t.Fatal(err)
	}
	sys := scripted(nil)
	answers := map[string]string{"first": "capabilities", "hi": "greeting", "hello": "greeting", "bye": "goodbye", "what can you do": "capabilities"}
	sys.Intent = func(_ context.Context, q string) (string, error) { return answers[q], nil }
	figs, err := Evaluate(context.Background(), set, []System{sys}, Options{Runs: 1})
	if err != nil {
		t.Fatal(err)
	}
	f := figs[0]
	near(t, "answerable taken", f.IntentTook, 2.0/4) // first, and hello (named thanks, got greeting)
	near(t, "unanswered taken", f.IntentUnanswered, 1.0/3)
	var got []string
	for _, a := range f.Intents {
		got = append(got, fmt.Sprintf("%s:%s:%v:%v", a.Q, a.Intent, a.Answerable, a.Right))
	}
	want := []string{"first:capabilities:true:false", "hi:greeting:true:true", "hello:greeting:true:false",
		"bye:goodbye:false:true", "what can you do:capabilities:false:false"}
	if !slices.Equal(got, want) {
		t.Errorf("intent answers\n%v, want\n%v", got, want)
	}
}

// TestWantedHeadingWithoutText checks that a wanted heading with no text
// of its own, so no passage, is found as any of its subsections, and that
// a wanted section that is a passage is found only as itself, never as a
// part of what it holds.
func TestWantedHeadingWithoutText(t *testing.T) {
	set, err := Parse([]byte(`
questions:
  - q: empty heading
    want: a.md#setup
  - q: heading with text
    want: b.md#config
`))
	if err != nil {
		t.Fatal(err)
	}
	within := map[string][]string{
		"a.md#linux":   {"a.md#a", "a.md#setup"}, // a.md#setup has no passage
		"b.md#config":  {"b.md#b"},
		"b.md#options": {"b.md#b", "b.md#config"},
	}
	sys := scripted(map[string][]string{
		"empty heading":     {"c.md#x", "a.md#linux~2"},
		"heading with text": {"b.md#options"},
	})
	figs, err := Evaluate(context.Background(), set, []System{sys}, Options{Runs: 1, Within: within})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "section@3", figs[0].SectionAt3, 1.0/2)
	near(t, "MRR@3", figs[0].MRR, 0.5/2)
	if m := figs[0].Misses; len(m) != 1 || m[0].Q != "heading with text" {
		t.Errorf("misses %+v, want only the heading with text", m)
	}
	figs, err = Evaluate(context.Background(), set, []System{sys}, Options{Runs: 1})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "section@3 without Within", figs[0].SectionAt3, 0)
}

func TestSplit(t *testing.T) {
	set, err := Parse([]byte(questionsYAML))
	if err != nil {
		t.Fatal(err)
	}
	for split, want := range map[string][2]int{SplitDev: {4, 1}, SplitHeldout: {1, 1}, SplitAll: {5, 2}} {
		s, err := set.Split(split)
		if err != nil {
			t.Fatal(err)
		}
		if got := [2]int{len(s.Questions), len(s.Unanswered)}; got != want {
			t.Errorf("split %s: %v questions and unanswered, want %v", split, got, want)
		}
	}
	if _, err := set.Split("test"); err == nil {
		t.Error("split test: no error")
	}
	heldout, _ := set.Split(SplitHeldout)
	if heldout.Questions[0].Q != "third" || heldout.Unanswered[0].Q != "second unanswered" {
		t.Errorf("held out: %+v", heldout)
	}
	if set.Unanswered[0].Q != "just the question, as in docs/guide/eval.yaml" || set.Questions[0].Source != "https://example.org/1" {
		t.Errorf("parsed %+v", set)
	}
}

func TestParseErrors(t *testing.T) {
	for name, text := range map[string]string{
		"unknown field": "questions:\n  - q: a\n    want: a.md\n    wnat: b.md\n",
		"no want":       "questions:\n  - q: a\n",
		"empty q":       "unanswered:\n  - q: ''\n",
		"nothing":       "questions: []\n",
	} {
		if _, err := Parse([]byte(text)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	_, err := Parse([]byte("questions:\n  - q: a\n    want: a.md\n    wnat: b.md\n"))
	if err == nil || !strings.Contains(err.Error(), "wnat") || !strings.Contains(err.Error(), "line 4") {
		t.Errorf("unknown field: %v, want it named with its line", err)
	}
}

func TestSectionPageRelative(t *testing.T) {
	for id, want := range map[string][2]string{
		"a.md#x":       {"a.md#x", "a.md"},
		"a.md#x~2":     {"a.md#x", "a.md"},
		"a.md~3":       {"a.md", "a.md"},
		"a~b/c.md#d~2": {"a~b/c.md#d", "a~b/c.md"},
		"a~b/c.md":     {"a~b/c.md", "a~b/c.md"},
	} {
		if got := [2]string{Section(id), Page(id)}; got != want {
			t.Errorf("%s: section and page %v, want %v", id, got, want)
		}
	}
	rel := Relative("/x/docs/", "docs/guide")
	for id, want := range map[string]string{
		"/x/docs/a.md#b":      "a.md#b",
		"docs/guide/c.md":     "c.md",
		"docs/guidebook/c.md": "docs/guidebook/c.md",
	} {
		if got := rel(id); got != want {
			t.Errorf("Relative(%s) = %s, want %s", id, got, want)
		}
	}
	if got := Relative(".")("a.md#b"); got != "a.md#b" {
		t.Errorf("Relative(.) = %s", got)
	}
}

// tinyDocs writes a docs folder of two pages, four sections.
func tinyDocs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"install.md": "# Install\n\n## On Linux\n\nUse apt-get to install the zeppelin package on a linux machine.\n\n" +
			"## On Windows\n\nRun the winget installer on windows.\n",
		"config.md": "# Configuration\n\n## Ports\n\nThe listen port is set with the port key.\n\n" +
			"## Logging\n\nLogs go to stderr; set the level to debug for verbose logs.\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestFTS5OnDocs runs the baseline on a tiny docs folder split by the
// real splitter: passage IDs as the index makes them, made relative.
func TestFTS5OnDocs(t *testing.T) {
	dir := tinyDocs(t)
	ctx := context.Background()
	ix := knowledge.New(knowledge.Options{})
	if err := ix.Rebuild(ctx, []knowledge.Folder{{Path: dir}}); err != nil {
		t.Fatal(err)
	}
	rel := Relative(dir)
	passages := ix.Passages(func(p knowledge.Passage) bool { return p.Source == knowledge.SourceDocs })
	f, err := NewFTS5(ctx, passages, rel)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	set, err := Parse([]byte(`
questions:
  - q: apt-get zeppelin
    want: install.md#on-linux
  - q: winget
    want: install.md#on-windows
  - q: which port
    want: config.md#ports
  - q: verbose debug logs
    want: config.md#ports # the page, not the section
  - q: quux
    want: install.md#on-linux
unanswered:
  - frobnicate quux
  - debug the zeppelin
`))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range passages {
		ids = append(ids, rel(p.ID))
	}
	if missing := MissingWants(set, ids); len(missing) != 0 {
		t.Fatalf("wants naming no passage: %v (passages %v)", missing, ids)
	}
	figs, err := Evaluate(ctx, set, []System{
		{Name: "fts5", Search: f.Search},
		Hits("docent", func(q string) []knowledge.Hit { return ix.Search(q, Depth, chat.Place{}) }, rel),
	}, Options{Runs: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, fg := range figs {
		near(t, fg.System+" section@1", fg.SectionAt1, 3.0/5)
		near(t, fg.System+" section@3", fg.SectionAt3, 3.0/5)
		near(t, fg.System+" page@1", fg.PageAt1, 4.0/5)
		near(t, fg.System+" MRR@3", fg.MRR, 3.0/5)
		near(t, fg.System+" no passage", fg.NoPassage, 1.0/5)
		near(t, fg.System+" abstained", fg.Abstained, 1.0/2)
	}
}

func TestMissingWants(t *testing.T) {
	set, err := Parse([]byte(questionsYAML))
	if err != nil {
		t.Fatal(err)
	}
	got := MissingWants(set, []string{"a.md#x~2", "b.md#y", "c.md#z", "a.md#w"})
	if !slices.Equal(got, []string{"d.md#v"}) {
		t.Errorf("missing %v, want [d.md#v]", got)
	}
}
