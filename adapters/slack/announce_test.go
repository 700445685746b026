package slack

import (
	"context"
	"strings"
	"testing"

	"github.com/docent-bot/docent/adapters/slack/slacktest"
	"github.com/docent-bot/docent/chat"
)

// TestDirectMessage: a direct message goes to the IM conversations.open
// opens with the member (once, then remembered), as mrkdwn in parts that
// ping nobody, not in a thread; a refused conversations.open is an error
// naming the scope it needs.
func TestDirectMessage(t *testing.T) {
	var _ chat.DirectMessenger = (*Adapter)(nil)
	f := slacktest.New(t)
	cfg := DefaultConfig()
	cfg.Enabled = true
	cfg.BotToken, cfg.AppToken, cfg.APIURL = slacktest.BotToken, slacktest.AppToken, f.URL
	a, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := a.DirectMessage(ctx, "U1", " \n"); err == nil {
		t.Error("an empty direct message was accepted")
	}
	text := hostile + " <@U2>\n" + strings.Repeat("Someone asked about deploying; you answered this before. ", 80) // in parts
	if err := a.DirectMessage(ctx, "U1", text); err != nil {
		t.Fatal(err)
	}
	if open := f.Calls("conversations.open"); len(open) != 1 || open[0].Get("users") != "U1" {
		t.Fatalf("conversations.open calls %v, want one with users=U1", open)
	}
	posts := f.Calls("chat.postMessage")
	if len(posts) < 2 {
		t.Fatalf("%d chat.postMessage calls, want the text in several parts", len(posts))
	}
	var got strings.Builder
	for i, p := range posts {
		if p.Get("channel") != slacktest.DMChannel("U1") || p.Get("thread_ts") != "" {
			t.Errorf("part %d went to %q (thread %q), want the DM %s", i+1, p.Get("channel"), p.Get("thread_ts"), slacktest.DMChannel("U1"))
		}
		if i == 0 {
			assertHarmless(t, "the direct message", p)
		}
		if who := pings(t, p); len(who) != 0 {
			t.Errorf("part %d pings %v: %q", i+1, who, p.Get("text"))
		}
		got.WriteString(p.Get("text"))
	}
	if !strings.Contains(got.String(), "you answered this before") {
		t.Errorf("the parts %q lost the text", got.String())
	}

	t.Log("a second message reuses the DM")
	if err := a.DirectMessage(ctx, "U1", "One more thing."); err != nil {
		t.Fatal(err)
	}
	if n := len(f.Calls("conversations.open")); n != 1 {
		t.Errorf("conversations.open called %d times, want once (the DM is remembered)", n)
	}
	if posts := f.Calls("chat.postMessage"); posts[len(posts)-1].Get("text") != "One more thing." {
		t.Errorf("the last post is %q", posts[len(posts)-1].Get("text"))
	}

	t.Log("no im:write scope")
	f.Fail("conversations.open", "missing_scope")
	if err := a.DirectMessage(ctx, "U3", "hello"); err == nil || !strings.Contains(err.Error(), "im:write") {
		t.Errorf("DirectMessage without the scope: %v, want an error naming im:write", err)
	}
}
