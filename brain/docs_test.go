package brain

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/docent-bot/docent/brain/classifier"
	"github.com/docent-bot/docent/brain/knowledge"
	"github.com/docent-bot/docent/brain/knowledge/docseval"
	"github.com/docent-bot/docent/brain/llm"
	"github.com/docent-bot/docent/chat"
)

// datasetsDir holds real projects' docs (see its README).
const datasetsDir = "../../shared/datasets/docs"

// datasetPath is the docs folder of a set in datasetsDir.
func datasetPath(set string) string { return filepath.Join(datasetsDir, set, "docs") }

// starterIntents reads the starter intents of ../intents, their patterns
// and descriptions; the responses are not what these tests are about.
func starterIntents(t testing.TB) []Intent {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "intents", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no starter intents: %v", err)
	}
	var out []Intent
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var file struct {
			Intents []struct {
				Name, Description string
				Patterns          []string
			}
		}
		if err := yaml.Unmarshal(data, &file); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, in := range file.Intents {
			out = append(out, Intent{Name: in.Name, Description: in.Description, Patterns: in.Patterns, Responses: []string{"ok"}})
		}
	}
	return out
}

// datasetIndex indexes one of the real docs sets as its site publishes
// it, with the starter intents' patterns as background (as the bot
// does), skipping the test when the docs are not there.
func datasetIndex(t testing.TB, name string, intents []Intent) *knowledge.Index {
	t.Helper()
	folders := map[string]knowledge.Folder{
		"task": {Path: datasetPath("task"), BaseURL: "https://taskfile.dev/docs/",
			Links: knowledge.LinksPretty, Anchors: knowledge.AnchorsVitePress},
		"requests": {Path: datasetPath("requests"), BaseURL: "https://requests.readthedocs.io/en/latest/",
			Links: knowledge.LinksPretty, TrailingSlash: true},
		"hugo": {Path: datasetPath("hugo"), BaseURL: "https://gohugo.io/",
			Links: knowledge.LinksPretty, TrailingSlash: true, Lowercase: true},
	}
	f := folders[name]
	if _, err := os.Stat(f.Path); err != nil {
		t.Skipf("no %s docs: %v", name, err)
	}
	ix := knowledge.New(knowledge.Options{})
	if err := ix.Rebuild(context.Background(), []knowledge.Folder{f}); err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, in := range intents {
		patterns = append(patterns, in.Patterns...)
	}
	ix.SetBackground(patterns)
	return ix
}

// devQuestions are the dev questions of a question set (never the held
// out ones), with the sections that answer them.
func devQuestions(t *testing.T, name string) []docseval.Question {
	t.Helper()
	all, err := docseval.Load(filepath.Join("..", "testdata", "docs-questions", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dev, err := all.Split(docseval.SplitDev)
	if err != nil {
		t.Fatal(err)
	}
	return dev.Questions
}

// helpLink is where the test brains send a member to ask a human.
const helpLink = "https://example.org/help"

// docsBrain is a brain set up as a community's: the starter intents,
// trained, and the docs of ix, with the default settings.
func docsBrain(t *testing.T, intents []Intent, ix Searcher, minConfidence float64) *Brain {
	t.Helper()
	b, err := New(Config{Threshold: 0.5, Margin: 0.1, Classifier: classifier.DefaultSettings(), BotName: "Docent",
		Links:         map[string]string{"help_channel": helpLink, "issues": "https://example.org/issues", "docs": "https://example.org/docs"},
		Knowledge:     ix,
		MinConfidence: minConfidence, Results: 3}, intents, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Prepare(context.Background(), &memModels{}); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAnswersFromTheDocs asks questions members asked (dev questions of
// the real docs sets) as a member would, without an LLM: the answer is
// the part of the best section that answers, with its code, then its
// link, in one Discord message; not a list of links.
func TestAnswersFromTheDocs(t *testing.T) {
	intents := starterIntents(t)
	tests := []struct {
		set, q string
		want   []string
	}{
		{"task", "how do I pass extra args through to the command? like `task yarn -- install` should end up running `yarn install` in the web folder",
			[]string{"all following parameters are added to a special `.CLI_ARGS` variable", "```yaml\n", "- yarn {{.CLI_ARGS}}",
				"\n\nMore in [Guide › Forwarding CLI arguments to commands](https://taskfile.dev/docs/guide#forwarding-cli-arguments-to-commands)"}},
		{"requests", "does requests still support python 2.7? readme used to say so",
			[]string{"As of Requests 2.28.0, Requests no longer supports Python 2.7.",
				"More in [Frequently Asked Questions › Python 2 Support?](https://requests.readthedocs.io/en/latest/community/faq/#python-2-support)"}},
		{"hugo", "enableGitInfo = true is set but the last modified date never changes, how do I make lastmod come from the git commit?",
			[]string{"the `Lastmod` method on a `Page` object returns the Git AuthorDate of the last commit that included the file",
				"More in [GitInfo › Last modified date](https://gohugo.io/methods/page/gitinfo/#last-modified-date)"}},
	}
	for _, tc := range tests {
		t.Run(tc.set, func(t *testing.T) {
			b := docsBrain(t, intents, datasetIndex(t, tc.set, intents), knowledge.DefaultMinConfidence)
			a, err := b.Answer(context.Background(), Question{Text: tc.q, Member: chat.Member{Name: "alice"}})
			if err != nil {
				t.Fatal(err)
			}
			if a.Source != chat.SourceKnowledge {
				t.Fatalf("source %s, want knowledge:\n%s", a.Source, a.Text)
			}
			for _, w := range tc.want {
				if !strings.Contains(a.Text, w) {
					t.Errorf("answer lacks %q:\n%s", w, a.Text)
				}
			}
			if len([]rune(a.Text)) > 2000 {
				t.Errorf("answer is %d characters, more than a Discord message:\n%s", len([]rune(a.Text)), a.Text)
			}
			// One or two other sections to read, not the answer's again.
			if _, also, ok := strings.Cut(a.Text, "\nSee also: "); ok {
				links := regexp.MustCompile(`\]\((https://[^)]+)\)`).FindAllStringSubmatch(also, -1)
				if len(links) == 0 || len(links) > 2 {
					t.Errorf("see also lists %d sections: %q", len(links), also)
				}
				for _, l := range links {
					if strings.Contains(a.Text, "More in ") && strings.Contains(a.Text[:strings.Index(a.Text, "\nSee also")], "("+l[1]+")") {
						t.Errorf("see also repeats the answer's section %s", l[1])
					}
				}
			}
		})
	}
}

// TestNotSureOffersOnlyRelatedIntents is issue 15's example: a question
// about Task's includes, which no passage answers well enough, used to
// get "Did you mean: How to ask a good question; How to contribute; How
// to report a bug?", the softmax's top three starter intents, none about
// the question. Now no intent is offered, and the member is told where
// to ask a human.
func TestNotSureOffersOnlyRelatedIntents(t *testing.T) {
	intents := starterIntents(t)
	b := docsBrain(t, intents, datasetIndex(t, "task", intents), knowledge.DefaultMinConfidence)
	q := "I have one terraform taskfile and want to include it 3 times, once per environment, with a different env var each time. how do I hand vars to an included file?"
	a, err := b.Answer(context.Background(), Question{Text: q, Member: chat.Member{Name: "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Source == chat.SourceKnowledge {
		t.Skipf("the docs answer it now (%s): nothing to offer instead", a.Text)
	}
	for _, in := range intents {
		if strings.Contains(a.Text, in.Description) {
			t.Errorf("offers %q, which the question is not about:\n%s", in.Description, a.Text)
		}
	}
	if !strings.Contains(a.Text, helpLink) {
		t.Errorf("does not say where to ask a human:\n%s", a.Text)
	}
}

// TestNotSureShowsClosestSections: when no passage passes the decision,
// the sections that hold most of the question's words are offered as
// the closest found; a question the docs know nothing of gets an honest
// "I don't know" and where to ask a human, with no section and no intent.
func TestNotSureShowsClosestSections(t *testing.T) {
	dir := t.TempDir()
	doc := "# Backups\n\n## Restore a backup\n\nStop Docent, then run `docent restore FILE`: the old database is kept beside it.\n\n" +
		"## Compact the database\n\nRun `docent compact` while Docent is stopped.\n"
	if err := os.WriteFile(filepath.Join(dir, "backups.md"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	ix := knowledge.New(knowledge.Options{})
	if err := ix.Rebuild(context.Background(), []knowledge.Folder{{Path: dir, BaseURL: "https://example.org/docs/"}}); err != nil {
		t.Fatal(err)
	}
	intents := starterIntents(t)
	var patterns []string
	for _, in := range intents {
		patterns = append(patterns, in.Patterns...)
	}
	ix.SetBackground(patterns)
	// Nothing passes: every hit is below the answer's cut.
	b := docsBrain(t, intents, ix, 1.01)

	a, _ := b.Answer(context.Background(), Question{Text: "how do I restore the database from a backup file", Member: chat.Member{Name: "bo"}})
	want := "I don't know the answer to that, bo. The closest I found in the docs: [Backups › Restore a backup](https://example.org/docs/backups.md#restore-a-backup)"
	if a.Source != chat.SourceFallback || !strings.HasPrefix(a.Text, want) || !strings.HasSuffix(a.Text, "ask a human: "+helpLink) {
		t.Errorf("got %s %q,\nwant %q… and where to ask a human", a.Source, a.Text, want)
	}

	a, _ = b.Answer(context.Background(), Question{Text: "how much does the enterprise plan cost", Member: chat.Member{Name: "bo"}})
	if want := "I don't know the answer to that, bo. You can rephrase, or ask a human: " + helpLink; a.Text != want {
		t.Errorf("got %q,\nwant %q", a.Text, want)
	}
}

// TestLLMGetsTheSectionsShown: with an LLM, it gets the sections that the
// answer without one would show, the best first, each whole, redacted.
func TestLLMGetsTheSectionsShown(t *testing.T) {
	intents := starterIntents(t)
	ix := datasetIndex(t, "task", intents)
	q := "how do I pass extra args through to the command? like `task yarn -- install` should end up running `yarn install` in the web folder"
	plain, err := docsBrain(t, intents, ix, knowledge.DefaultMinConfidence).Answer(context.Background(), Question{Text: q})
	if err != nil || plain.Source != chat.SourceKnowledge {
		t.Fatalf("without the LLM: %s %q %v", plain.Source, plain.Text, err)
	}
	shown := regexp.MustCompile(`\]\((https://[^)]+)\)`).FindAllStringSubmatch(plain.Text, -1)

	var (
		mu   sync.Mutex // guards sent
		sent []byte
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		sent = body
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": "c1", "object": "chat.completion", "model": "m",
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": "Use {{.CLI_ARGS}} [1]."}}}})
	}))
	defer srv.Close()
	cfg := llm.DefaultConfig()
	cfg.BaseURL, cfg.Model, cfg.Timeout, cfg.MaxRetries = srv.URL+"/v1", "m", 5*time.Second, 0
	client, err := llm.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b := docsBrain(t, intents, ix, knowledge.DefaultMinConfidence)
	b.cfg.LLM = client
	a, err := b.Answer(context.Background(), Question{Text: q})
	if err != nil || a.Source != chat.SourceLLM {
		t.Fatalf("with the LLM: %s %q %v", a.Source, a.Text, err)
	}
	mu.Lock()
	var req struct {
		Messages []struct{ Content string }
	}
	err = json.Unmarshal(sent, &req)
	mu.Unlock()
	if err != nil || len(req.Messages) == 0 {
		t.Fatalf("request %s: %v", sent, err)
	}
	prompt := req.Messages[len(req.Messages)-1].Content
	at := 0
	for i, l := range shown {
		// The answer names the best section first; the others after it.
		j := strings.Index(prompt, "Link: "+l[1]+"\n")
		if j < 0 {
			t.Errorf("the LLM did not get %s, which the member would be shown", l[1])
			continue
		}
		if i == 0 && j < at {
			t.Errorf("the best section %s is not the first passage", l[1])
		}
		at = j
	}
	if !strings.Contains(strings.Join(strings.Fields(prompt), " "), "If `--` is given in the CLI, all following parameters are added to a special `.CLI_ARGS` variable.") {
		t.Errorf("the LLM did not get the best section's text:\n%s", prompt)
	}
}

// TestLongNotSureQuestionCostsInProportion: a long message that no intent
// and no passage answers (up to bot.max_message_bytes) costs about as
// much more than a short one as it is longer. Asking the classifier which
// word pushed toward each intent (a forward pass per word) made 200 times
// the words cost 5000 times as much: 3 s for 15 KB on a 2-core machine.
// The times compared are of the same machine and moment, so a slow or
// busy machine does not fail it.
func TestLongNotSureQuestionCostsInProportion(t *testing.T) {
	intents := starterIntents(t)
	b := docsBrain(t, intents, datasetIndex(t, "task", intents), 1.01)
	b.cfg.Threshold = 1.01 // nothing is sure: the not-sure answer is built
	words := strings.Fields(strings.Repeat("my build fails with an error when I include the taskfile from another repo ", 200))
	cost := func(n int) time.Duration {
		q := Question{Text: strings.Join(words[:n], " "), Member: chat.Member{Name: "x"}}
		best := time.Duration(1 << 62)
		for range 3 {
			start := time.Now()
			a, err := b.Answer(context.Background(), q)
			if err != nil || a.Source != chat.SourceFallback {
				t.Fatalf("%s %q %v", a.Source, a.Text, err)
			}
			best = min(best, time.Since(start))
		}
		return best
	}
	short, long := cost(14), cost(14*200)
	if long > 1000*short {
		t.Errorf("200 times the words cost %.0f times as much (%v against %v)", float64(long)/float64(short), long, short)
	}
}
