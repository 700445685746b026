package brain

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/docent-bot/docent/brain/classifier"
	"github.com/docent-bot/docent/chat"
)

// memModels keeps models in memory; the real store is tested in store/.
type memModels struct {
	mu    sync.Mutex // guards saved and saves
	saved map[string]Saved
	saves int
}

func (m *memModels) LoadModel(_ context.Context, name string) (Saved, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.saved[name]
	if !ok {
		return Saved{}, ErrNoModel
	}
	return s, nil
}

func (m *memModels) SaveModel(_ context.Context, name string, s Saved) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.saved == nil {
		m.saved = map[string]Saved{}
	}
	m.saved[name] = s
	m.saves++
	return nil
}

func testIntents() []Intent {
	return []Intent{
		{Name: "greeting", Description: "Saying hello",
			Patterns:            []string{"hello", "hi", "hey there", "good morning", "hello everyone", "你好", "大家好", "hi all"},
			Responses:           []string{"Hello {{.Member}}!"},
			ResponsesByLanguage: map[string][]string{"zh": {"你好，{{.Member}}！"}}},
		{Name: "report_bug", Description: "How to report a bug",
			Patterns:  []string{"how do I report a bug", "I found a bug", "where to file bugs", "bug report", "the app crashes", "怎么报告bug", "something is broken", "report an issue"},
			Responses: []string{"File it at {{.Links.issues}}, {{.Member}}."}},
		{Name: "install", Description: "Installing and setting up",
			Patterns:  []string{"how do I install it", "installation steps", "setup guide", "how to set up locally", "怎么安装", "install fails", "getting started", "requirements to install"},
			Responses: []string{"See {{.Links.docs}}/install."}},
		{Name: "thanks", Description: "Saying thanks",
			Patterns:  []string{"thanks", "thank you", "thx", "much appreciated", "谢谢", "cheers", "thanks a lot", "ty"},
			Responses: []string{"You're welcome, {{.Member}}!", "Happy to help!"}},
	}
}

func testConfig() Config {
	return Config{Threshold: 0.5, Margin: 0.1, Classifier: classifier.DefaultSettings(), BotName: "Docent",
		Links: map[string]string{"issues": "https://example.org/issues", "docs": "https://example.org/docs"}}
}

func newBrain(t *testing.T) (*Brain, *memModels) {
	t.Helper()
	b, err := New(testConfig(), testIntents(), nil)
	if err != nil {
		t.Fatal(err)
	}
	models := &memModels{}
	if _, err := b.Prepare(context.Background(), models); err != nil {
		t.Fatal(err)
	}
	return b, models
}

func TestAnswer(t *testing.T) {
	b, _ := newBrain(t)
	alice := chat.Member{ID: "1", Name: "alice"}
	tests := []struct {
		text, intent, want string
		source             chat.Source
	}{
		{"hello", "greeting", "Hello alice!", chat.SourceIntent},
		{"你好", "greeting", "你好，alice！", chat.SourceIntent},
		{"how do I report a bug?", "report_bug", "File it at https://example.org/issues, alice.", chat.SourceIntent},
		{"how do I install docent", "install", "See https://example.org/docs/install.", chat.SourceIntent},
		{"qwerty zxcv", "", "I'm not sure I understood that, alice. I don't know those words yet. You can rephrase, or ask a human in the channel.", chat.SourceFallback},
	}
	for _, tc := range tests {
		a, err := b.Answer(context.Background(), Question{Text: tc.text, Member: alice})
		if err != nil {
			t.Fatal(err)
		}
		if a.Source != tc.source || a.Intent != tc.intent || !strings.HasPrefix(a.Text, tc.want) {
			t.Errorf("%q: got %s/%s %q (%.2f), want %s/%s %q", tc.text, a.Source, a.Intent, a.Text, a.Confidence, tc.source, tc.intent, tc.want)
		}
	}
}

func TestNotSureOffersCandidates(t *testing.T) {
	cfg := testConfig()
	cfg.Threshold = 1.01 // nothing is ever sure
	b, err := New(cfg, testIntents(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Prepare(context.Background(), &memModels{}); err != nil {
		t.Fatal(err)
	}
	a, _ := b.Answer(context.Background(), Question{Text: "I found a bug in the installer", Member: chat.Member{Name: "bo"}})
	if a.Source != chat.SourceFallback || len(a.Candidates) != 3 {
		t.Fatalf("got %+v, want a fallback with 3 candidates", a)
	}
	if !strings.Contains(a.Text, "did you mean: How to report a bug") {
		t.Errorf("text %q does not offer the likeliest intent by its description first", a.Text)
	}
	if strings.Contains(a.Text, "Saying") {
		t.Errorf("text %q offers an intent the question's words do not relate to", a.Text)
	}
	zh, _ := b.Answer(context.Background(), Question{Text: "怎么报告bug"})
	if !strings.HasPrefix(zh.Text, "这个问题我不知道答案") || !strings.Contains(zh.Text, "你是想问：怎么报告bug") {
		t.Errorf("Chinese question got %q, want the Chinese not-sure answer", zh.Text)
	}
}

func TestPrepareCachesModel(t *testing.T) {
	b, models := newBrain(t)
	if models.saves != 1 {
		t.Fatalf("first Prepare saved %d models, want 1", models.saves)
	}
	b2, _ := New(testConfig(), testIntents(), nil)
	p, err := b2.Prepare(context.Background(), models)
	if err != nil || p.Trained {
		t.Fatalf("second Prepare: trained=%v err=%v, want the saved model loaded", p.Trained, err)
	}
	ctx := context.Background()
	a1, _ := b.Answer(ctx, Question{Text: "thank you"})
	a2, _ := b2.Answer(ctx, Question{Text: "thank you"})
	if a1.Confidence != a2.Confidence {
		t.Errorf("loaded model answers with %.6f, trained one %.6f", a2.Confidence, a1.Confidence)
	}

	changed := testIntents()
	changed[0].Patterns = append(changed[0].Patterns, "howdy")
	b3, _ := New(testConfig(), changed, nil)
	p, err = b3.Prepare(ctx, models)
	if err != nil || !p.Trained || p.Reason != "intents or classifier settings changed" {
		t.Fatalf("changed intents: %+v err=%v, want a retrain saying why", p, err)
	}

	// Only responses changed: the model is still good.
	respOnly := testIntents()
	respOnly[0].Responses = []string{"Hi!"}
	b4, _ := New(testConfig(), respOnly, nil)
	if b4.Fingerprint() != b.Fingerprint() {
		t.Fatal("responses changed the fingerprint")
	}

	models.saved[modelName] = Saved{Hash: b3.Fingerprint(), Data: []byte("garbage")}
	p, err = b3.Prepare(ctx, models)
	if err != nil || !p.Trained || !strings.HasPrefix(p.Reason, "saved model unreadable") {
		t.Fatalf("damaged model: %+v err=%v, want a retrain", p, err)
	}
}

func TestNewReportsEveryProblem(t *testing.T) {
	in := testIntents()
	in[1].Responses = []string{"See {{.Links.nowhere}}"}
	in[1].Where = "intents/bugs.yaml:3"
	in[2].Patterns = nil
	in = append(in, Intent{Name: "greeting", Patterns: []string{"x"}, Responses: []string{"y"}, Where: "intents/more.yaml:9"})
	in = append(in, Intent{Name: "broken", Patterns: []string{"x"}, Responses: []string{"{{.Member"}})
	_, err := New(testConfig(), in, nil)
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{
		`intents/bugs.yaml:3: intent "report_bug": response 1: uses link "nowhere", which is not in the config's links section`,
		`intent "install": has no patterns`,
		`intents/more.yaml:9: intent "greeting": is defined twice`,
		`intent "broken": response 1:`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q:\n%v", want, err)
		}
	}
}

func TestAnswerWithoutModel(t *testing.T) {
	b, _ := New(testConfig(), testIntents(), nil)
	if _, err := b.Answer(context.Background(), Question{Text: "hi"}); err == nil {
		t.Fatal("Answer before Prepare: want an error")
	}
}

func TestExplain(t *testing.T) {
	b, _ := newBrain(t)
	w, err := b.Explain("how do I report a bug")
	if err != nil {
		t.Fatal(err)
	}
	if !w.Sure || len(w.Labels) != 2 || w.Labels[0].Label != "report_bug" {
		t.Fatalf("Explain: %+v", w)
	}
	if top := w.Labels[0].Words[0].Word; top != "bug" && top != "report" {
		t.Errorf("strongest word for report_bug is %q, want bug or report", top)
	}
	s := w.String()
	for _, want := range []string{`I read "how do I report a bug" as **report_bug**`, "I would answer with it", "Runner-up: **", `Words for report_bug: "`} {
		if !strings.Contains(s, want) {
			t.Errorf("explanation lacks %q:\n%s", want, s)
		}
	}
	w, _ = b.Explain("qwerty zxcv")
	if w.Sure || !strings.Contains(w.String(), "I know none of those words") {
		t.Errorf("gibberish: %s", w.String())
	}
}

func TestSnippetKeepsAngleBrackets(t *testing.T) {
	got := snippet("> Quoted advice.\n\n`!teach <intent> <text>` adds **text** as a pattern.\n", 200)
	if want := "Quoted advice. !teach <intent> <text> adds text as a pattern."; got != want {
		t.Errorf("snippet = %q, want %q", got, want)
	}
}

// A code block is left out of a snippet whatever its fence: a ``` line
// inside a longer fence is code, not the end of the block.
func TestSnippetLeavesCodeOut(t *testing.T) {
	got := snippet("Why does this fail?\n````md\n```\nstill code\n````\n  ~~~\n  more code\n  ~~~\nthanks", 200)
	if want := "Why does this fail? thanks"; got != want {
		t.Errorf("snippet = %q, want %q", got, want)
	}
}
