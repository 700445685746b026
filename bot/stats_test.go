package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/chat"
)

// askIn delivers text as member in a guild's channel (or a DM when space
// is "") and returns the one answer.
func askIn(t *testing.T, b *Bot, space, channel string, member chat.Member, text string) string {
	t.Helper()
	r := bottest.NewRecorder()
	m := chat.Message{Conversation: chat.Conversation{Platform: "discord", Channel: channel}, Space: space,
		Author: member, Text: text, Time: time.Now(), Direct: space == ""}
	if err := b.Inbox().Deliver(context.Background(), m, r); err != nil {
		t.Fatal(err)
	}
	got := r.Wait(t)
	if len(got) != 1 {
		t.Fatalf("%q: %d answers, want 1", text, len(got))
	}
	return got[0].Text
}

// TestStatsCommands: members of two guilds talk; each guild's stats, top
// and trending show that guild only; a DM is refused; a bad window gets
// the usage.
func TestStatsCommands(t *testing.T) {
	b := openBot(t, writeConfig(t, ""))
	defer closeBot(t, b)
	bob := chat.Member{ID: "200", Name: "bob"}
	carol := chat.Member{ID: "300", Name: "carol"}
	askIn(t, b, "g1", "help", alice, "hello")
	for _, q := range []string{"how do I install it", "install fails", "install steps please"} {
		askIn(t, b, "g1", "help", bob, q)
	}
	askIn(t, b, "g1", "general", alice, "my build fails")
	askIn(t, b, "g1", "general", bob, "run it with the race detector off")
	askIn(t, b, "g1", "general", alice, "thanks bob, that was it")
	askIn(t, b, "g2", "other", carol, "hello")

	stats := askIn(t, b, "g1", "general", alice, "!stats")
	for _, want := range []string{
		"last 7 days**: 8 messages from 2 members",       // the !stats itself is a message too
		"Busiest channels: <#general> (4), <#help> (4).", // a tie: by name
		"Asked most: install (3), greeting (1)",
		"Time to first answer: median",
	} {
		if !strings.Contains(stats, want) {
			t.Errorf("!stats lacks %q:\n%s", want, stats)
		}
	}
	if strings.Contains(stats, "other") {
		t.Errorf("g1's stats show g2's channel:\n%s", stats)
	}
	top := askIn(t, b, "g1", "general", alice, "!top 30")
	for _, want := range []string{"last 30 days", "Askers:\n1. bob: 4 questions\n2. alice: 3 questions", "Helpers (thanks and 👍 on their replies):\n1. bob: 1 credit"} {
		if !strings.Contains(top, want) {
			t.Errorf("!top lacks %q:\n%s", want, top)
		}
	}
	trending := askIn(t, b, "g1", "general", alice, "!trending")
	if !strings.Contains(trending, "1. install: 3 messages (was 0)") {
		t.Errorf("!trending:\n%s", trending)
	}
	if got := askIn(t, b, "g2", "other", carol, "!stats 1"); !strings.Contains(got, "last 1 day**: 2 messages from 1 members") {
		t.Errorf("g2 stats:\n%s", got)
	}
	if got := askIn(t, b, "", "dm-1", carol, "!stats"); !strings.Contains(got, "in a channel of your community") {
		t.Errorf("stats in a DM: %s", got)
	}
	if got := askIn(t, b, "g1", "general", alice, "!stats forever"); !strings.Contains(got, "Usage: `!stats [days]`, with days from 1 to 365") {
		t.Errorf("bad window: %s", got)
	}
}
