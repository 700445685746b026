package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/chat"
)

// The routing module's commands, as members use them: opting in and out,
// the status, and the helpers' list for the admins only.
func TestRoutingCommands(t *testing.T) {
	cfg, err := LoadConfig(writeConfig(t, "routing:\n  enabled: true\n  max_pings_per_day: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Bot.RateLimit = RateLimitConfig{}
	cfg.Bot.Admins = []string{"slack:root"}
	b, err := Open(context.Background(), cfg, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer closeBot(t, b)
	conv := chat.Conversation{Platform: "slack", Channel: "C1"}
	root := chat.Member{ID: "root", Name: "root"}
	for _, step := range []struct {
		who  chat.Member
		text string
		want string
	}{
		{alice, "!helper", "You are not a helper"},
		{alice, "!helper on LDAP solr", "When a question on ldap, solr gets no answer within 15 minutes"},
		{alice, "!helper", "You are a helper since"},
		{alice, "!helper", "on ldap, solr; asked 0 of at most 2 times today"},
		{alice, "!helpers", "is for the admins"},
		{root, "!helpers", "- alice (slack:u1): ldap, solr"},
		{alice, "!helper off", "not be asked"},
		{root, "!helpers", "No member is a helper yet"},
		{alice, "!help", "!helper"},
	} {
		got := bottest.Ask(t, b.Inbox(), conv, step.who, step.text)
		if len(got) != 1 || !strings.Contains(got[0].Text, step.want) {
			t.Errorf("%s %q: %+v, want %q", step.who.Name, step.text, got, step.want)
		}
	}
}

// The section is validated with its field paths; off, routing has no
// commands.
func TestRoutingConfig(t *testing.T) {
	_, err := LoadConfig(writeConfig(t, "routing:\n  enabled: true\n  wait_minutes: 0\n  max_pings_per_day: -1\n"))
	if err == nil || !strings.Contains(err.Error(), "routing.wait_minutes") || !strings.Contains(err.Error(), "routing.max_pings_per_day") {
		t.Errorf("LoadConfig: %v, want errors on routing.wait_minutes and routing.max_pings_per_day", err)
	}
	_, err = LoadConfig(writeConfig(t, "routing:\n  enabled: true\n  wait_minute: 5\n"))
	if err == nil || !strings.Contains(err.Error(), "wait_minute") {
		t.Errorf("a misspelt field: %v", err)
	}
	b := openBot(t, writeConfig(t, ""))
	defer closeBot(t, b)
	got := bottest.Ask(t, b.Inbox(), chat.Conversation{Platform: "console", Channel: "local"}, alice, "!helper on")
	if len(got) != 1 || strings.Contains(got[0].Text, "Thanks") {
		t.Errorf("!helper with routing off: %+v", got)
	}
}
