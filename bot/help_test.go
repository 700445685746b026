package bot

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/chat"
)

// TestHelpListsWhatWorksHere: !help lists the commands that work for this
// member in this configuration. With docs and no LLM, nobody sees !usage or
// !review, and a command that needs the LLM, called anyway, says why; a
// member sees no admin command, an admin sees them marked as the admins'.
// With an LLM configured, an admin sees !usage.
func TestHelpListsWhatWorksHere(t *testing.T) {
	admins := "bot:\n  admins: [\"discord:123\"]\n"
	docsOnly := writeConfig(t, admins+`knowledge:
  folders:
    - path: docs
      base_url: https://example.org/docs/
`)
	if err := os.MkdirAll(filepath.Join(filepath.Dir(docsOnly), "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(filepath.Dir(docsOnly), "docs", "deploy.md"), deployDoc)
	// The LLM is never asked: !help and !usage need only its configuration.
	srv := httptest.NewServer(&fakeLLM{reply: "unused"})
	defer srv.Close()
	withLLM := llmConfig(t, srv.URL, "  model: test-model\n"+admins, "deploy.md", deployDoc)

	member := chat.Member{ID: "9", Name: "bo"}
	admin := chat.Member{ID: "123", Name: "al"}
	adminOnly := []string{"`!gaps`", "`!lessons`", "`!promote", "`!reload`", "`!teach", "`!unteach", "`!usage`"}
	for _, tc := range []struct {
		name       string
		config     string
		who        chat.Member
		want, lack []string
	}{
		{"docs only, a member", docsOnly, member,
			[]string{"`!help`", "`!related <text>`", "`!forget me`"},
			append([]string{"(admins)", "`!review", "`!challenges`"}, adminOnly...)},
		{"docs only, an admin", docsOnly, admin,
			[]string{"`!help`", "`!gaps` — what members asked that I could not answer, grouped, largest first (admins)",
				"`!teach <intent> <text> | new <name> <response>` — ", "`!reload` — ", "you see them because you are one here"},
			[]string{"`!usage`", "LLM usage"}},
		{"with an LLM, a member", withLLM, member,
			[]string{"`!help`", "`!related <text>`"},
			append([]string{"(admins)"}, adminOnly...)},
		{"with an LLM, an admin", withLLM, admin,
			[]string{"`!usage` — today's LLM usage against the budget, and who used the most (admins)", "`!gaps` — "},
			nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := openBot(t, tc.config)
			defer closeBot(t, b)
			conv := chat.Conversation{Platform: "discord", Channel: "c"}
			got := bottest.Ask(t, b.Inbox(), conv, tc.who, "!help")
			if len(got) != 1 {
				t.Fatalf("!help answered %+v, want one answer", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got[0].Text, w) {
					t.Errorf("!help lacks %q:\n%s", w, got[0].Text)
				}
			}
			for _, l := range tc.lack {
				if strings.Contains(got[0].Text, l) {
					t.Errorf("!help lists %q:\n%s", l, got[0].Text)
				}
			}
		})
	}

	// Called anyway without an LLM, !usage says why there is nothing to show.
	b := openBot(t, docsOnly)
	defer closeBot(t, b)
	got := bottest.Ask(t, b.Inbox(), chat.Conversation{Platform: "discord", Channel: "c"}, admin, "!usage")
	if len(got) != 1 || !strings.Contains(got[0].Text, "the AI assistant is not set up here") {
		t.Errorf("!usage without an LLM answered %+v", got)
	}
}
