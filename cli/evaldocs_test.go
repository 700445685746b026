package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// evalDocsFixture writes a docs folder of two pages and four sections,
// and questions about it, some held out.
func evalDocsFixture(t *testing.T) (docs, questions string) {
	t.Helper()
	dir := t.TempDir()
	docs = filepath.Join(dir, "docs")
	if err := os.Mkdir(docs, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"docs/install.md": "# Install\n\n## On Linux\n\nUse apt-get to install the zeppelin package on a linux machine.\n\n" +
			"## On Windows\n\nRun the winget installer on windows.\n",
		"docs/config.md": "# Configuration\n\n## Ports\n\nThe listen port is set with the port key.\n\n" +
			"## Logging\n\nLogs go to stderr; set the level to debug for verbose logs.\n",
		"questions.yaml": `questions:
  - q: apt-get zeppelin
    want: install.md#on-linux
  - q: winget
    want: install.md#on-windows
  - q: which port
    want: config.md#ports
  - q: verbose debug logs
    want: config.md#ports # the page, not the section
  - q: quux
    want: [install.md#on-linux, install.md#no-such-section]
  - q: windows installer
    want: install.md#on-windows
    heldout: true
unanswered:
  - q: frobnicate quux
  - q: debug the zeppelin
    heldout: true
`,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return docs, filepath.Join(dir, "questions.yaml")
}

func evalDocsRun(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	t.Setenv("DOCENT_CONFIG", "")
	var out, errb strings.Builder
	code = testEnv(strings.NewReader(""), &out, &errb).Run(Commands(), append([]string{"eval", "docs"}, args...))
	return out.String(), errb.String(), code
}

// TestEvalDocs runs `docent eval docs` in process on a tiny docs folder
// and checks the table: the split and its counts, a row per system with
// FTS5's exact figures, and the warning about a want no passage has.
func TestEvalDocs(t *testing.T) {
	docs, questions := evalDocsFixture(t)
	out, errOut, code := evalDocsRun(t, "--questions", questions, "--docs", docs, "--runs", "2", "--misses")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	t.Log("\n" + out)
	for _, want := range []string{
		"docs: " + docs + ": 4 passages, indexed in ",
		"ms again from its cache (0.0 MB), as a restart with the same docs; heap in use after indexing ",
		"questions: " + questions + ", split dev (held-out questions left out): 5 of 6 answerable, 1 of 2 unanswered; latency over 2 runs",
		"warning: 1 of the wanted sections are not passages of these docs, so no search can find them: install.md#no-such-section",
		"docent did not show the section in its first 3 for ",
		"  \"quux\"\n    want install.md#on-linux or install.md#no-such-section; got nothing",
		"(not sure below the confidence of 50% of off-topic questions of the same length on these docs: ",
		" at 40 words, results 3)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// No intent took a question: --misses says nothing of intents. The
	// logs are on stderr, not in the report.
	if strings.Contains(out, "that the question file names no intent for") {
		t.Errorf("output has a list of the questions intents took, with none:\n%s", out)
	}
	if strings.Contains(out, "classifier trained") || !strings.Contains(errOut, "classifier trained") {
		t.Errorf("the log is not on stderr alone:\nstdout:\n%s\nstderr:\n%s", out, errOut)
	}
	// The header and one row per system, aligned: each a name, seven
	// figures and two latencies.
	lines := strings.Split(out, "\n")
	var header int
	for i, l := range lines {
		if strings.Contains(l, "section@1") {
			header = i
		}
	}
	if got := strings.Fields(lines[header]); strings.Join(got, " ") != "system section@1 section@3 page@1 page@3 MRR@3 no passage abstained intent p50 ms p99 ms" {
		t.Fatalf("header %q", lines[header])
	}
	row := regexp.MustCompile(`^ *(\S+) +(\d+\.\d%) +(\d+\.\d%) +(\d+\.\d%) +(\d+\.\d%) +(\d\.\d{3}) +(\d+\.\d%) +(\d+\.\d%) +(\d+\.\d%|-) +\d+\.\d{3} +\d+\.\d{3}$`)
	var names []string
	for _, l := range lines[header+1 : header+4] {
		m := row.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("row %q is not a system's figures", l)
		}
		if len(l) != len(lines[header]) {
			t.Errorf("row %q is not as wide as the header %q", l, lines[header])
		}
		names = append(names, m[1])
		// Only docent's row answers as a member is answered.
		if (m[1] == systemDocent) != (m[9] != "-") {
			t.Errorf("%s: intent %s", m[1], m[9])
		}
		if m[1] == systemFTS5 {
			// FTS5 finds the first three at rank 1, the fourth's page
			// only, nothing for "quux"; "frobnicate quux" has no word of
			// the docs.
			if got := strings.Join(m[2:9], " "); got != "60.0% 60.0% 80.0% 80.0% 0.600 20.0% 100.0%" {
				t.Errorf("fts5 figures %s", got)
			}
		}
	}
	if got := strings.Join(names, " "); got != "docent docent-no-cut fts5-bm25" {
		t.Errorf("systems %s", got)
	}
}

func TestEvalDocsJSONAndSplits(t *testing.T) {
	docs, questions := evalDocsFixture(t)
	for split, want := range map[string][2]int{"dev": {5, 1}, "heldout": {1, 1}, "all": {6, 2}} {
		out, errOut, code := evalDocsRun(t, "--questions", questions, "--docs", docs, "--runs", "1", "--split", split, "--json")
		if code != exitOK {
			t.Fatalf("split %s: exit %d: %s", split, code, errOut)
		}
		var rep struct {
			Split                  string
			Answerable, Unanswered int
			AnswerableInFile       int      `json:"answerable_in_file"`
			Passages               int      `json:"passages"`
			MissingWants           []string `json:"missing_wants"`
			Systems                []map[string]any
			CacheBytes             int      `json:"cache_bytes"`
			HeapInUseMB            float64  `json:"heap_in_use_mb"`
			PeakRSSMB              *float64 `json:"peak_rss_mb"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("split %s: %v\n%s", split, err, out)
		}
		if rep.Split != split || rep.Answerable != want[0] || rep.Unanswered != want[1] || rep.AnswerableInFile != 6 || rep.Passages != 4 {
			t.Errorf("split %s: %+v", split, rep)
		}
		if len(rep.Systems) != 3 || rep.Systems[2]["system"] != systemFTS5 {
			t.Fatalf("split %s: systems %v", split, rep.Systems)
		}
		// The fixture's four passages and their terms take a few hundred
		// bytes; the process, megabytes.
		if rep.CacheBytes < 200 || rep.HeapInUseMB <= 0 || (runtime.GOOS == "linux") != (rep.PeakRSSMB != nil) ||
			rep.PeakRSSMB != nil && *rep.PeakRSSMB < rep.HeapInUseMB {
			t.Errorf("split %s: cache %d bytes, heap in use %v MB, peak RSS %v MB", split, rep.CacheBytes, rep.HeapInUseMB, rep.PeakRSSMB)
		}
		fts := rep.Systems[2]
		if split == "heldout" {
			// "windows installer" finds On Windows first; "debug the
			// zeppelin" finds something.
			if fts["section_recall_at_1"] != 1.0 || fts["unanswered_abstained"] != 0.0 || fts["answerable_no_passage"] != 0.0 {
				t.Errorf("held out, fts5: %v", fts)
			}
		}
		if split == "dev" && (fts["mrr_at_3"] != 0.6 || fts["page_recall_at_3"] != 0.8) {
			t.Errorf("dev, fts5: %v", fts)
		}
	}
}

func TestEvalDocsUsage(t *testing.T) {
	docs, questions := evalDocsFixture(t)
	for _, args := range [][]string{
		{"--docs", docs},
		{"--questions", questions, "--docs", docs, "--split", "test"},
		{"--questions", questions, "--docs", filepath.Join(docs, "install.md")},
		{"--questions", filepath.Join(docs, "missing.yaml"), "--docs", docs},
		{"--questions", questions, "--docs", docs, "extra"},
	} {
		if _, errOut, code := evalDocsRun(t, args...); code != exitUsage || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want %d and a message", args, code, errOut, exitUsage)
		}
	}
}

// A question file about other docs than those measured (no --docs, so
// the built-in configuration's guide) is refused with what was measured
// and the flag to give, instead of a table of 0%.
func TestEvalDocsOtherDocs(t *testing.T) {
	_, questions := evalDocsFixture(t)
	out, errOut, code := evalDocsRun(t, "--questions", questions, "--runs", "1")
	want := "docent eval docs: 4 of the 4 sections the questions want are not in docs/guide (the built-in configuration's knowledge.folders: Docent's own guide)"
	if code != exitUsage || out != "" || !strings.Contains(errOut, want) || !strings.Contains(errOut, "give --docs DIR") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit %d, no report, and %q", code, out, errOut, exitUsage, want)
	}
}

// TestEvalDocsLongQuestions asks the guide three long, detailed questions,
// as members write them, whose section Docent ranks in its first three:
// their many words lower the confidence of any one section, so a fixed
// cut (0.08) hid all three; the cut learnt for their length shows them.
func TestEvalDocsLongQuestions(t *testing.T) {
	questions := filepath.Join(t.TempDir(), "long.yaml")
	if err := os.WriteFile(questions, []byte(`questions:
  - q: "hi all, we run docent on our discord server and since last week it keeps answering questions it should not answer at all: people ask about unrelated stuff and get some intent reply. how do I make it stricter so that it only answers when it is really sure?"
    want: [answers.md#threshold-and-margin-when-docent-is-sure, troubleshooting.md#docent-answers-wrongly-or-is-never-sure]
  - q: "I edited intents/faq.yaml on our server to add a few new patterns for the deploy question, but the bot keeps giving the old answers. do I need to restart the whole process, or is there a way to reload the intents while it keeps running?"
    want: [troubleshooting.md#changes-to-the-intents-are-not-picked-up, intents.md#hot-reload-watch_interval-and-reload]
  - q: "we have been running the bot for a few months now and I would like to make a copy of everything it stored (messages, feedback, the model) every night from cron, without stopping it. how do I back up the database safely?"
    want: database.md#backups
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := evalDocsRun(t, "--questions", questions, "--runs", "1", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Systems []struct {
			System    string   `json:"system"`
			At3       *float64 `json:"section_recall_at_3"`
			NoPassage *float64 `json:"answerable_no_passage"`
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rep.Systems) == 0 || rep.Systems[0].System != systemDocent {
		t.Fatalf("no %s row:\n%s", systemDocent, out)
	}
	if d := rep.Systems[0]; *d.NoPassage != 0 || *d.At3 != 1 {
		t.Errorf("%s: no passage for %.0f%%, section in the first three for %.0f%%; want 0%% and 100%%:\n%s",
			systemDocent, 100**d.NoPassage, 100**d.At3, out)
	}
}

// TestEvalDocsFixedCut: an admin's knowledge.min_confidence still holds,
// for every question, and the report says so; --docs stands for the
// configuration's knowledge folders, whose settings still apply.
func TestEvalDocsFixedCut(t *testing.T) {
	docs, questions := evalDocsFixture(t)
	dir := t.TempDir()
	intents := filepath.Join(dir, "intents.yaml")
	if err := os.WriteFile(intents, []byte("intents:\n  - name: greeting\n    patterns: [hello, hi there]\n    responses: [Hello!]\n"+
		"  - name: thanks\n    patterns: [thank you, thanks a lot]\n    responses: [You are welcome.]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "other.md"), []byte("# Other\n\nNothing the questions ask.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "docent.yaml")
	yaml := fmt.Sprintf("store:\n  path: %q\nbrain:\n  intents: [%q]\nknowledge:\n  min_confidence: 0.99\n  folders:\n    - path: other\n      base_url: https://example.org/other/\n",
		filepath.Join(dir, "docent.db"), intents)
	if err := os.WriteFile(config, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := evalDocsRun(t, "--questions", questions, "--docs", docs, "--config", config, "--runs", "1")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// --docs stands for the configuration's folders; its settings apply.
	if !strings.HasPrefix(out, "docs: "+docs+": 4 passages,") {
		t.Errorf("output does not measure --docs alone:\n%s", out)
	}
	if !strings.Contains(out, "(knowledge.min_confidence 0.99, fixed, results 3)") {
		t.Errorf("output does not name the fixed cut:\n%s", out)
	}
	// At 0.99 nothing is shown: every answerable question gets no passage.
	row := regexp.MustCompile(`(?m)^ *docent +.* 100\.0% +100\.0% +\d`)
	if !row.MatchString(out) {
		t.Errorf("docent row does not show 100%% no passage and abstained:\n%s", out)
	}
}

// TestEvalDocsIntents: eval docs answers each question as a member asks
// it and counts the answerable ones an intent answered instead of the
// docs, except where the question file names that intent; --misses lists
// them.
func TestEvalDocsIntents(t *testing.T) {
	docs, _ := evalDocsFixture(t)
	dir := t.TempDir()
	intents := filepath.Join(dir, "intents.yaml")
	if err := os.WriteFile(intents, []byte("intents:\n  - name: greeting\n    patterns: [hello, hi there, hey, good morning]\n    responses: [Hello!]\n"+
		"  - name: thanks\n    patterns: [thank you, thanks a lot, thx, much appreciated]\n    responses: [You are welcome.]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "docent.yaml")
	yaml := fmt.Sprintf("store:\n  path: %q\nbrain:\n  intents: [%q]\n", filepath.Join(dir, "docent.db"), intents)
	if err := os.WriteFile(config, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	questions := filepath.Join(dir, "questions.yaml")
	if err := os.WriteFile(questions, []byte(`questions:
  - q: which port
    want: config.md#ports
  - q: thank you
    want: config.md#ports
  - q: thanks a lot
    want: config.md#ports
    intent: thanks
  - q: windows installer
    want: install.md#on-windows
unanswered:
  - q: hello
  - q: good morning
    intent: greeting
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := evalDocsRun(t, "--questions", questions, "--docs", docs, "--config", config, "--runs", "1", "--misses")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"(the configuration's, 2)",
		"an intent answered 2 questions that the question file names no intent for:\n" +
			"  \"thank you\" (answerable)\n    got intent thanks\n" +
			"  \"hello\" (unanswered)\n    got intent greeting\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// One of four answerable questions taken; the one named is right.
	if row := regexp.MustCompile(`(?m)^ *docent +.* 25\.0% +\d+\.\d{3} +\d+\.\d{3}$`); !row.MatchString(out) {
		t.Errorf("docent row does not show 25%% taken by an intent:\n%s", out)
	}
}
