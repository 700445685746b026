package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	berrors "go.etcd.io/bbolt/errors"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/bot/lessons"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// idle is an adapter that only waits, so that Run keeps the bot (and its
// intents watcher) going while the test talks to the inbox.
type idle struct{}

func (idle) Name() string { return "idle" }
func (idle) Run(ctx context.Context, _ chat.Inbox) error {
	<-ctx.Done()
	return nil
}

const thanksIntent = `  - name: thanks
    description: Saying thanks
    patterns: [thanks, thank you, thx, much appreciated, cheers, thank you so much, many thanks, ty]
    responses: ["You're welcome!"]
`

// Hot reload, all three promises: an edited intents file is picked up and
// retrained in the background; questions asked while it trains get the old
// model; a broken file is reported with file and line and the old model stays.
func TestHotReload(t *testing.T) { synctest.Test(t, testHotReload) }

func testHotReload(t *testing.T) {
	path := writeConfig(t, "")
	write(t, path, strings.Replace(mustRead(t, path), "  intents: [intents]\n", "  intents: [intents]\n  watch_interval: 20ms\n", 1))
	intentsFile := filepath.Join(filepath.Dir(path), "intents", "test.yaml")
	b := openBot(t, path)

	trained, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	b.beforeSwap = func() {
		once.Do(func() { close(trained) })
		<-release
	}
	noSocketsInBubble(t, b)
	runBot(t, b, idle{})
	synctest.Wait() // Run's watcher has read the files as they were

	console := chat.Conversation{Platform: "console", Channel: "local"}
	ask := func(text string) chat.Answer {
		t.Helper()
		got := bottest.Ask(t, b.Inbox(), console, alice, text)
		if len(got) != 1 {
			t.Fatalf("%q: %d answers", text, len(got))
		}
		return got[0]
	}
	if a := ask("thank you so much"); a.Intent == "thanks" {
		t.Fatal("knows thanks before it was added")
	}

	// 1. Edit the file: the watcher notices and trains in the background.
	write(t, intentsFile, testIntents+thanksIntent)
	select {
	case <-trained:
	case <-time.After(10 * time.Second):
		t.Fatal("the edited intents file was not picked up within 10s")
	}
	// 2. While the new model waits to be swapped in, the old one answers.
	if a := ask("thank you so much"); a.Intent == "thanks" {
		t.Errorf("answered %+v before the swap; want the old model", a)
	}
	close(release)
	synctest.Wait()
	if a := ask("thank you so much"); a.Intent != "thanks" {
		t.Fatalf("answered %+v once the new model was let go; want it swapped in", a)
	}
	if p := b.Prepared(); !p.Trained || p.Intents != 4 {
		t.Errorf("after the reload: %+v, want 4 intents, trained", p)
	}

	// 3. Break the file: reported with file and line, the good model stays.
	write(t, intentsFile, testIntents+thanksIntent+"  - name: broken\n    patterns: [x]\n    responses: [y]\n    colour: blue\n")
	a := ask("!reload")
	if !strings.Contains(a.Text, "kept the current ones") || !strings.Contains(a.Text, intentsFile+":23:5: intents[4]: unknown field \"colour\"") {
		t.Errorf("!reload with a broken file answered:\n%s", a.Text)
	}
	if a := ask("thank you so much"); a.Intent != "thanks" {
		t.Errorf("after a failed reload answered %+v; want the last good model", a)
	}
	// Only admins may reload; on the console everyone is one.
	got := bottest.Ask(t, b.Inbox(), chat.Conversation{Platform: "discord", Channel: "c1"}, alice, "!reload")
	if len(got) != 1 || !strings.Contains(got[0].Text, "is for the admins") {
		t.Errorf("!reload from a member: %+v", got)
	}
}

func TestReloadReusesModelWhenOnlyResponsesChange(t *testing.T) {
	path := writeConfig(t, "")
	b := openBot(t, path)
	defer closeBot(t, b)
	write(t, filepath.Join(filepath.Dir(path), "intents", "test.yaml"), strings.Replace(testIntents, "Hello {{.Member}}!", "Hi there {{.Member}}!", 1))
	p, err := b.Reload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p.Trained {
		t.Error("reload retrained although only a response changed")
	}
	if a := bottest.Ask(t, b.Inbox(), convA, alice, "hello"); len(a) != 1 || a[0].Text != "Hi there alice!" {
		t.Errorf("answers %+v, want the new response", a)
	}
}

// With a docs folder, a question no intent is sure of is answered with the
// best passages and their links; an edited doc is re-indexed while running.
func TestKnowledgeAnswersAndReindex(t *testing.T) { synctest.Test(t, testKnowledgeAnswersAndReindex) }

func testKnowledgeAnswersAndReindex(t *testing.T) {
	path := writeConfig(t, `knowledge:
  folders:
    - path: docs
      base_url: https://example.org/docs/
`)
	dir := filepath.Dir(path)
	write(t, path, strings.Replace(mustRead(t, path), "  intents: [intents]\n", "  intents: [intents]\n  watch_interval: 20ms\n", 1))
	if err := os.MkdirAll(filepath.Join(dir, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "docs", "deploy.md"), "# Deploying\n\n## Kubernetes\n\nRun the helm chart with `helm install docent ./chart` on your cluster.\n")
	b := openBot(t, path)
	noSocketsInBubble(t, b)
	runBot(t, b, idle{})
	synctest.Wait() // Run's watcher has read the files as they were

	conv := chat.Conversation{Platform: "test", Channel: "kb"}
	ask := func(text string) chat.Answer {
		got := bottest.Ask(t, b.Inbox(), conv, alice, text)
		if len(got) != 1 {
			t.Fatalf("%q: %d answers", text, len(got))
		}
		return got[0]
	}
	a := ask("how to deploy on kubernetes with helm")
	if a.Source != chat.SourceKnowledge || !strings.Contains(a.Text, "[Deploying › Kubernetes](https://example.org/docs/deploy.md#kubernetes)") {
		t.Fatalf("answer %s %q, want the Kubernetes passage with its link", a.Source, a.Text)
	}
	if a := ask("qwerty zxcv"); a.Source != chat.SourceFallback {
		t.Errorf("gibberish answered from the docs: %q", a.Text)
	}

	write(t, filepath.Join(dir, "docs", "backup.md"), "# Backups\n\n## Restoring a snapshot\n\nStop Docent, copy the snapshot over the database file, start it.\n")
	time.Sleep(2*20*time.Millisecond + time.Millisecond) // seen changed, then settled
	synctest.Wait()
	if a := ask("how do I restore a snapshot"); a.Source != chat.SourceKnowledge || !strings.Contains(a.Text, "backup.md#restoring-a-snapshot") {
		t.Fatalf("the new doc was not indexed within two polls: %q", a.Text)
	}
}

// An admin teaches Docent a question it was unsure of; a member cannot.
func TestTeach(t *testing.T) {
	path := writeConfig(t, "")
	b := openBot(t, path)
	console := chat.Conversation{Platform: "console", Channel: "local"}
	ask := func(conv chat.Conversation, text string) chat.Answer {
		t.Helper()
		got := bottest.Ask(t, b.Inbox(), conv, alice, text)
		if len(got) != 1 {
			t.Fatalf("%q: %+v", text, got)
		}
		return got[0]
	}
	q := "how do I rotate the signing keys"
	if a := ask(console, q); a.Source == chat.SourceIntent {
		t.Fatalf("sure before it was taught: %+v", a)
	}
	if a := ask(chat.Conversation{Platform: "discord", Channel: "c"}, "!teach new key_rotation Rotate them."); !strings.Contains(a.Text, "is for the admins") {
		t.Errorf("a member's teach: %q", a.Text)
	}
	for _, step := range []struct{ text, want string }{ // in order: the lessons build on each other
		{"!teach new Key Rotation x", "is not an intent name"},
		{"!teach new greeting hi", "There is already an intent greeting"},
		{"!teach new broken {{.Links.nowhere}}", "That response does not work"},
		// It would loop for minutes, writing nothing, if it ran.
		{"!teach new spin {{range 3000000000}}{{end}}", "That response does not work: taught in chat: intent \"spin\": response 1: line 1:8: {{range 3000000000}}: a response may range only over a field of its data, such as .Links"},
		{"!teach nosuch how do I x", "I have no intent nosuch"},
		{"!teach", "Usage:"},
		{"!teach new key_rotation Rotate them with `docent keys rotate`.", "Created the intent key_rotation"},
		{"!teach key_rotation " + q, "Learnt: \"" + q + "\" is now a pattern of key_rotation"},
	} {
		if a := ask(console, step.text); !strings.Contains(a.Text, step.want) {
			t.Errorf("%s: %q, want %q", step.text, a.Text, step.want)
		}
	}
	if a := ask(console, q); a.Intent != "key_rotation" || a.Text != "Rotate them with `docent keys rotate`." {
		t.Errorf("after teaching: %+v", a)
	}
	// The lesson outlives a restart.
	closeBot(t, b)
	b = openBot(t, path)
	defer closeBot(t, b)
	if a := ask(console, q); a.Intent != "key_rotation" {
		t.Errorf("after a restart: %+v", a)
	}
}

func TestRelated(t *testing.T) {
	path := writeConfig(t, `knowledge:
  folders:
    - path: docs
      base_url: https://example.org/docs/
  related: 2
  related_confidence: 0.2
`)
	dir := filepath.Dir(path)
	os.MkdirAll(filepath.Join(dir, "docs"), 0o755)
	write(t, filepath.Join(dir, "docs", "bugs.md"), "# Bugs\n\n## Writing a bug report\n\nReport a bug with the version, the steps and the logs.\n")
	b := openBot(t, path)
	defer closeBot(t, b)
	conv := chat.Conversation{Platform: "test", Channel: "rel"}
	a := bottest.Ask(t, b.Inbox(), conv, alice, "how do I report a bug?")[0]
	if a.Intent != "report_bug" || !strings.HasSuffix(a.Text, "\n\nRelated: [Bugs › Writing a bug report](https://example.org/docs/bugs.md#writing-a-bug-report)") {
		t.Errorf("intent answer %q, want the related section under it", a.Text)
	}
	if a := bottest.Ask(t, b.Inbox(), conv, alice, "hello")[0]; strings.Contains(a.Text, "Related") {
		t.Errorf("an unrelated answer lists %q", a.Text)
	}
	if a := bottest.Ask(t, b.Inbox(), conv, alice, "!related bug report")[0]; !strings.Contains(a.Text, "1. [Bugs › Writing a bug report](https://example.org/docs/bugs.md#writing-a-bug-report)") {
		t.Errorf("!related: %q", a.Text)
	}
	if a := bottest.Ask(t, b.Inbox(), conv, alice, "!related quantum chromodynamics")[0]; a.Text != "I found nothing related in the docs or earlier threads." {
		t.Errorf("!related with nothing: %q", a.Text)
	}
}

// Questions Docent could not answer are grouped; one group becomes an
// intent in one command, and leaves the list.
func TestGaps(t *testing.T) {
	b := openBot(t, writeConfig(t, ""))
	defer closeBot(t, b)
	console := chat.Conversation{Platform: "console", Channel: "local"}
	ask := func(text string) chat.Answer {
		t.Helper()
		got := bottest.Ask(t, b.Inbox(), console, alice, text)
		if len(got) != 1 {
			t.Fatalf("%q: %+v", text, got)
		}
		return got[0]
	}
	for _, q := range []string{"how do I rotate the signing keys", "rotate signing keys how", "signing key rotation please",
		"how do I export metrics to prometheus", "prometheus metrics export"} {
		if a := ask(q); a.Source != chat.SourceFallback {
			t.Fatalf("%q answered from %s; the test needs it unsure", q, a.Source)
		}
	}
	report := ask("!gaps").Text
	if !strings.Contains(report, "1. signing_keys (3): “how do I rotate the signing keys”; “rotate signing keys how”; “signing key rotation please”") ||
		!strings.Contains(report, "2. export_metrics (2)") {
		t.Fatalf("!gaps:\n%s", report)
	}
	if got := ask("!teach gap 1 Rotate them with `docent keys rotate`.").Text; !strings.Contains(got, "Created the intent signing_keys from 3 questions") || !strings.HasSuffix(got, "`!unteach 1` takes it back.") {
		t.Fatalf("!teach gap: %q", got)
	}
	if a := ask("rotate signing keys"); a.Intent != "signing_keys" {
		t.Errorf("after teaching the gap: %+v", a)
	}
	if report := ask("!gaps").Text; strings.Contains(report, "signing_keys") || !strings.Contains(report, "1. export_metrics (2)") {
		t.Errorf("!gaps after teaching:\n%s", report)
	}
}

// A lesson that no longer works (its link left the config) does not stop
// Docent from starting; reserved words and names with spaces are refused.
func TestLessonSafety(t *testing.T) {
	path := writeConfig(t, "")
	b := openBot(t, path)
	if _, err := lessons.Teach(context.Background(), b.store, lessons.Taught{Intent: "stale", Response: "See {{.Links.gone}}"}); err != nil {
		t.Fatal(err)
	}
	if _, err := lessons.Teach(context.Background(), b.store, lessons.Taught{Intent: "stale", Pattern: "stale question"}); err != nil {
		t.Fatal(err)
	}
	console := chat.Conversation{Platform: "console", Channel: "local"}
	for text, want := range map[string]string{
		"!teach new gap hello":       "is a word of the teach command",
		"!promote 1 reset password":  "Usage: `!promote",
		"!teach gap nosuch whatever": "There is no gap nosuch now",
	} {
		if a := bottest.Ask(t, b.Inbox(), console, alice, text); len(a) != 1 || !strings.Contains(a[0].Text, want) {
			t.Errorf("%s: %+v, want %q", text, a, want)
		}
	}
	closeBot(t, b)
	b = openBot(t, path) // starts despite the stale lesson
	defer closeBot(t, b)
	for _, in := range b.brain.Load().Intents() {
		if in.Name == "stale" {
			t.Error("the stale lesson's intent is in use")
		}
	}
}

// fillDatabase appends messages to the database at path, capped at
// maxSize bytes, until not even a small one fits, even after a reopen
// (which frees the pages the last transactions left pending).
func fillDatabase(t *testing.T, path string, maxSize int64) {
	t.Helper()
	c := chat.Conversation{Platform: "test", Channel: "filler"}
	n := 0
	for added := -1; added != 0; {
		added = 0
		st, err := store.Open(path, store.Options{MaxSize: maxSize})
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{64 << 10, 8 << 10, 1 << 10, 64} {
			for {
				n++
				m := chat.Message{ID: fmt.Sprint("fill-", n), Conversation: c, Author: alice, Text: strings.Repeat("f", size), Time: time.Now()}
				_, err := st.AppendMessage(context.Background(), m)
				if errors.Is(err, berrors.ErrMaxSizeReached) {
					// What a message needs no longer fits; a model may.
					err = st.SaveModel(context.Background(), store.Model{Name: fmt.Sprint("filler-", n), Data: make([]byte, size), Saved: time.Now()})
				}
				if err != nil {
					if !errors.Is(err, berrors.ErrMaxSizeReached) {
						t.Fatal(err)
					}
					break
				}
				added++
			}
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRetrainOnAFullDisk: when the disk (here: store.max_size_mb) is full
// and the intents changed, Docent starts with the retrained model in
// memory, says (log and /readyz) that it is not saved, and `!reload` says
// what failed instead of blaming the intents. Before, the start failed
// with "save model: database reached maximum size", and !reload said "the
// intents have problems".
func TestRetrainOnAFullDisk(t *testing.T) {
	path := writeConfig(t, "")
	closeBot(t, openBot(t, path))
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(cfg.StorePath())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store.MaxSizeMB = fi.Size()>>20 + 2
	cfg.Bot.RateLimit = RateLimitConfig{}
	fillDatabase(t, cfg.StorePath(), cfg.Store.MaxSizeMB<<20)
	intentsFile := filepath.Join(filepath.Dir(path), "intents", "test.yaml")
	write(t, intentsFile, testIntents+thanksIntent) // the saved model no longer fits

	logs := &consoleOut{}
	b, err := Open(context.Background(), cfg, Options{Version: "test", Log: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatalf("start on a full disk that must retrain: %v", err)
	}
	defer closeBot(t, b)
	if p := b.Prepared(); !p.Trained || p.SaveErr == nil || p.Intents != 4 {
		t.Errorf("prepared %+v; want trained on 4 intents, not saved", p)
	}
	if !strings.Contains(strings.Join(logs.printed(), "\n"), "level=WARN msg=\"the classifier was retrained and is in use, but it could not be saved") {
		t.Errorf("no warning that the model was not saved; logs:\n%s", strings.Join(logs.printed(), "\n"))
	}
	for _, c := range b.Readiness(context.Background()) {
		if c.Name == "model" && (!c.OK || !strings.Contains(c.Detail, "not saved") || !strings.Contains(c.Detail, "maximum size")) {
			t.Errorf("readiness %+v; want ready, saying the model is not saved and why", c)
		}
	}
	console := chat.Conversation{Platform: "console", Channel: "local"}
	if got := bottest.Ask(t, b.Inbox(), console, alice, "thank you so much"); len(got) != 1 || got[0].Intent != "thanks" {
		t.Errorf("the retrained model does not answer: %+v", got)
	}

	// Intents no model was saved for: !reload must retrain, and cannot save.
	write(t, intentsFile, testIntents+"  - name: farewell\n    patterns: [bye, goodbye, see you later, farewell]\n    responses: [Bye!]\n")
	got := bottest.Ask(t, b.Inbox(), console, alice, "!reload")
	if len(got) != 1 || strings.Contains(got[0].Text, "problems") || !strings.Contains(got[0].Text, "Reloaded 4 intents") ||
		!strings.Contains(got[0].Text, "the retrained model could not be saved") || !strings.Contains(got[0].Text, "maximum size") {
		t.Errorf("!reload on a full disk answered %+v; want it reloaded, saying the model could not be saved and why", got)
	}
	if p := b.Prepared(); p.Intents != 4 || p.SaveErr == nil {
		t.Errorf("after !reload: %+v; want the 4 intents in use, not saved", p)
	}
	if got := bottest.Ask(t, b.Inbox(), console, alice, "goodbye"); len(got) != 1 || got[0].Intent != "farewell" {
		t.Errorf("the model retrained by !reload does not answer: %+v", got)
	}
}
