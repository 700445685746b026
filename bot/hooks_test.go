package bot

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/brain"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// faqModule adds intents of its own to the brain from its records (one
// pattern per key of its bucket), as the lessons module does, and keeps
// the Host to read the brain, retrain and tell commands from questions.
type faqModule struct {
	host    *module.Host
	noStale bool // no intent that no longer works
}

var bucketTestFAQ = store.NewBucket("test_faq")

func (f *faqModule) Name() string { return "faq" }

func (f *faqModule) Provision(_ context.Context, h *module.Host) error {
	f.host = h
	return nil
}

func (f *faqModule) Intents(_ context.Context, st store.Buckets, base []brain.Intent) ([]brain.Intent, error) {
	faq := brain.Intent{Name: "faq_ship", Responses: []string{"Ship it with `make release`."}, Where: "from the faq"}
	err := st.View(context.Background(), func(tx *store.Tx) error {
		return tx.Scan(bucketTestFAQ, nil, func(k, _ []byte) error {
			faq.Patterns = append(faq.Patterns, string(k))
			return nil
		})
	})
	stale := brain.Intent{Name: "faq_stale", Patterns: []string{"where did it go"}, Responses: []string{"See {{.Links.gone}}"}}
	if f.noStale {
		return append(base, faq), err
	}
	return append(base, faq, stale), err
}

func (f *faqModule) addPattern(ctx context.Context, p string) error {
	return f.host.Store.Update(ctx, func(tx *store.Tx) error { return tx.Put(bucketTestFAQ, []byte(p), nil) })
}

func hasIntent(br *brain.Brain, name string) *brain.Intent {
	for _, in := range br.Intents() {
		if in.Name == name {
			return &in
		}
	}
	return nil
}

// TestModuleIntentsAndBrain follows a module's intents (module.IntentSource)
// into the brain at Open, at a retrain it asks for (Host.Retrain) and in
// `docent explain`; a stale one is left out with a warning; and the module
// reads the brain in use (Host.Brain), checks intents before keeping them
// (Host.TryIntents), tells commands from questions (Host.IsCommand) and
// reads the core's records (Host.Records). (`docent explain` and `docent
// train` do not leave out what no longer works: they fail on it, as they
// did on a stale lesson.)
func TestModuleIntentsAndBrain(t *testing.T) {
	ctx := context.Background()
	path := writeConfig(t, "")
	faq := &faqModule{}
	cfg, err := LoadConfig(path, WithModules(func() module.Module { return faq }))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Bot.RateLimit = RateLimitConfig{}
	st, err := OpenStore(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"how do I ship a release", "cut a release"} {
		if err := st.Update(ctx, func(tx *store.Tx) error { return tx.Put(bucketTestFAQ, []byte(p), nil) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	b, err := Open(ctx, cfg, Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	h := faq.host
	if h.Brain() != b.brain.Load() {
		t.Fatal("Host.Brain is not the brain in use")
	}
	if in := hasIntent(h.Brain(), "faq_ship"); in == nil || !slices.Equal(in.Patterns, []string{"cut a release", "how do I ship a release"}) || in.Where != "from the faq" {
		t.Fatalf("the module's intent in the brain: %+v", in)
	}
	if hasIntent(h.Brain(), "faq_stale") != nil || hasIntent(h.Brain(), "greeting") == nil {
		t.Error("the stale intent is in use, or the files' are not")
	}
	if want := `msg="an intent added by module faq is left out: its response no longer works" module=faq intent=faq_stale`; !strings.Contains(logs.String(), want) {
		t.Errorf("no warning %q in:\n%s", want, logs.String())
	}

	for text, want := range map[string]bool{"!help": true, "!why hello": true, "how do I ship a release": false, "!nosuch": true, "! not one": false} {
		if got := h.IsCommand(text); got != want {
			t.Errorf("IsCommand(%q) = %v, want %v", text, got, want)
		}
	}
	try := func(response string) error {
		return h.TryIntents(append(h.Brain().Intents(), brain.Intent{Name: "x", Patterns: []string{"x"}, Responses: []string{response}}))
	}
	if err := try("See {{.Links.gone}}"); err == nil {
		t.Error("TryIntents took a response with a link that is not set")
	}
	if err := try("See {{.Links.docs}}"); err != nil {
		t.Errorf("TryIntents: %v", err)
	}

	conv := chat.Conversation{Platform: "console", Channel: "local"}
	if got := bottest.Ask(t, b.Inbox(), conv, alice, "how do I ship a release"); len(got) != 1 || got[0].Intent != "faq_ship" {
		t.Fatalf("asked the module's pattern: %+v", got)
	}
	answered, err := h.Records.Answered(ctx, []chat.Source{chat.SourceIntent}, 10)
	if err != nil || len(answered) != 1 || answered[0].Question.Text != "how do I ship a release" {
		t.Fatalf("Host.Records.Answered = %+v, %v", answered, err)
	}
	if q, err := h.Records.Record(ctx, answered[0].Question.ID); err != nil || q.Text != "how do I ship a release" {
		t.Errorf("Host.Records.Record = %+v, %v", q, err)
	}

	old := h.Brain()
	if err := faq.addPattern(ctx, "publish a new version"); err != nil {
		t.Fatal(err)
	}
	p, err := h.Retrain(ctx)
	if err != nil || !p.Trained {
		t.Fatalf("Retrain = %+v, %v", p, err)
	}
	if h.Brain() == old || h.Brain() != b.brain.Load() {
		t.Fatal("after Retrain, Host.Brain is not the new brain in use")
	}
	if in := hasIntent(h.Brain(), "faq_ship"); in == nil || !slices.Contains(in.Patterns, "publish a new version") {
		t.Errorf("after Retrain the module's intent is %+v", in)
	}
	closeBot(t, b)

	cfg, err = LoadConfig(path, WithModules(func() module.Module { return &faqModule{noStale: true} }))
	if err != nil {
		t.Fatal(err)
	}
	why, err := Explain(ctx, cfg, nil, "publish a new version")
	if err != nil || len(why.Labels) == 0 || why.Labels[0].Label != "faq_ship" {
		t.Errorf("docent explain reads %+v, %v; want the module's intent", why.Explanation, err)
	}
}
