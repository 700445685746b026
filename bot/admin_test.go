package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/chat"
)

// TestAdminMatching: an admin command is taken only from a member listed
// in bot.admins with the same platform, or holding a listed role on that
// platform; an ID listed for one platform, or a role ID, is nobody's on
// another.
func TestAdminMatching(t *testing.T) {
	cfg, err := LoadConfig(writeConfig(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Bot.RateLimit = RateLimitConfig{}
	cfg.Bot.Admins = []string{"discord:123", "discord:role:55", "slack:role:S1"}
	b, err := Open(context.Background(), cfg, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer closeBot(t, b)
	for _, tc := range []struct {
		name     string
		platform string
		member   string
		roles    []string
		admin    bool
	}{
		{"listed discord member", "discord", "123", nil, true},
		{"same ID on slack", "slack", "123", nil, false},
		{"same ID on the web", "web", "123", nil, false},
		{"holding a listed discord role", "discord", "9", []string{"12", "55"}, true},
		{"holding other roles", "discord", "9", []string{"56", "5"}, false},
		{"the listed role's ID as a member ID", "discord", "55", nil, false},
		{"a discord role ID held on slack", "slack", "9", []string{"55"}, false},
		{"holding a listed slack user group", "slack", "9", []string{"S1"}, true},
		{"that user group's ID on discord", "discord", "9", []string{"S1"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := bottest.NewRecorder()
			m := chat.Message{Conversation: chat.Conversation{Platform: tc.platform, Channel: "c"},
				Author: chat.Member{ID: tc.member, Name: "m"}, Roles: tc.roles, Text: "!lessons"}
			if err := b.Inbox().Deliver(context.Background(), m, r); err != nil {
				t.Fatal(err)
			}
			got := r.Wait(t)
			if len(got) != 1 {
				t.Fatalf("answers %+v, want one", got)
			}
			refused := strings.Contains(got[0].Text, "is for the admins")
			if refused == tc.admin {
				t.Errorf("!lessons from %s:%s with roles %v answered %q; admin %t", tc.platform, tc.member, tc.roles, got[0].Text, tc.admin)
			}
		})
	}
}
