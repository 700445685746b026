package bot

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/bot/budgets"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
)

// The budget counts on the bot's clock, not the machine's: the day of a
// question's request and the day !usage reports are the clock's.
func TestBudgetFollowsTheBotsClock(t *testing.T) {
	fake := &fakeLLM{reply: "Run the helm chart [1]."}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	path := llmConfig(t, srv.URL, "  model: test-model\n  timeout: 3s\n  budget:\n    member_requests: 1\n", "deploy.md", deployDoc)
	b := openBot(t, path)
	defer closeBot(t, b)
	b.now = func() time.Time { return time.Date(2031, 5, 6, 23, 30, 0, 0, time.UTC) }
	conv := chat.Conversation{Platform: "console", Channel: "local"}
	if got := bottest.Ask(t, b.Inbox(), conv, alice, "deploy on kubernetes with helm"); len(got) != 1 || got[0].Source != chat.SourceLLM {
		t.Fatalf("first question: %+v", got)
	}
	got := bottest.Ask(t, b.Inbox(), conv, alice, "!usage")
	if len(got) != 1 || !strings.Contains(got[0].Text, "LLM usage today (2031-05-06, UTC): 1 answers, 132 tokens") {
		t.Errorf("!usage on the bot's day: %+v", got)
	}
	// The next day by the clock, the member's budget is whole again.
	b.now = func() time.Time { return time.Date(2031, 5, 7, 0, 30, 0, 0, time.UTC) }
	if got := bottest.Ask(t, b.Inbox(), conv, alice, "deploy on kubernetes with helm, again"); len(got) != 1 || got[0].Source != chat.SourceLLM {
		t.Errorf("the next day: %+v", got)
	}
}

// With no module deciding who may use the LLM (a module.Gate), nothing is
// limited: the budget's section is then only words in the file.
func TestNoGateNoLimit(t *testing.T) {
	fake := &fakeLLM{reply: "Run the helm chart [1]."}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	path := llmConfig(t, srv.URL, "  model: test-model\n  timeout: 3s\n  budget:\n    member_requests: 1\n", "deploy.md", deployDoc)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Bot.RateLimit = RateLimitConfig{}
	cfg.modules = slices.DeleteFunc(slices.Clone(cfg.modules), func(m module.Module) bool { return m.Name() == "budgets" })
	b, err := Open(context.Background(), cfg, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer closeBot(t, b)
	conv := chat.Conversation{Platform: "console", Channel: "local"}
	for _, q := range []string{"deploy on kubernetes with helm", "deploy on kubernetes with helm, again"} {
		if got := bottest.Ask(t, b.Inbox(), conv, alice, q); len(got) != 1 || got[0].Source != chat.SourceLLM {
			t.Errorf("%q without a budgets module: %+v", q, got)
		}
	}
}

// A database from before the budgets module kept its counts (the store's
// own "usage" bucket) opens with them as they were, at the module's first
// schema version.
func TestBudgetsSchemaOnAnOldDatabase(t *testing.T) {
	old, err := os.ReadFile(filepath.Join("budgets", "testdata", "usage-before-module.db"))
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeLLM{reply: "Run the helm chart [1]."}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	path := llmConfig(t, srv.URL, "  model: test-model\n  timeout: 3s\n", "deploy.md", deployDoc)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(cfg.StorePath()), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.StorePath(), old, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := Open(context.Background(), cfg, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer closeBot(t, b)
	versions, err := b.store.SchemaVersions(context.Background())
	if err != nil || versions["budgets"] != 1 {
		t.Errorf("schema versions %v (%v), want budgets at 1", versions, err)
	}
	used, err := b.Module("budgets").(*budgets.Module).Records().Day(context.Background(), "2026-11-28")
	if err != nil || used["all"] != (budgets.Usage{Requests: 2, Tokens: 420}) {
		t.Errorf("the old counts: %v (%v)", used, err)
	}
}
