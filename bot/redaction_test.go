package bot

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/chat"
)

// headsUp counts the answers that tell the member a secret was removed.
func headsUp(answers []chat.Answer) int {
	n := 0
	for _, a := range answers {
		if strings.HasPrefix(a.Text, "Heads up: your message looked like it contained a secret") {
			n++
		}
	}
	return n
}

// TestRedactionNoticeOnceADay: a member whose message held a secret is
// told so, privately, once; not again for every such message that day;
// and again once the day has passed. On synctest's clock.
func TestRedactionNoticeOnceADay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := openBot(t, writeConfig(t, ""))
		defer closeBot(t, b)
		conv := chat.Conversation{Platform: "discord", Channel: "general"}
		leak := "my token is ghp_" + strings.Repeat("a1B2", 9)
		for i, want := range []int{1, 0} {
			if got := headsUp(bottest.Ask(t, b.Inbox(), conv, alice, leak)); got != want {
				t.Errorf("secret %d: %d notices, want %d", i+1, got, want)
			}
		}
		if got := headsUp(bottest.Ask(t, b.Inbox(), conv, chat.Member{ID: "u2", Name: "bo"}, leak)); got != 1 {
			t.Errorf("another member's secret: %d notices, want 1", got)
		}
		time.Sleep(24*time.Hour - time.Second)
		if got := headsUp(bottest.Ask(t, b.Inbox(), conv, alice, leak)); got != 0 {
			t.Errorf("a secret later that day: %d notices, want 0", got)
		}
		time.Sleep(time.Second)
		if got := headsUp(bottest.Ask(t, b.Inbox(), conv, alice, leak)); got != 1 {
			t.Errorf("a secret a day after the notice: %d notices, want 1", got)
		}
	})
}

// The members told are remembered for a day, not since Docent started: a
// day later, those told before are forgotten as the next one is marked.
func TestRedactionNoticesAreForgotten(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var b Bot
		told := func(id string) bool {
			return b.firstRedaction(&Message{Message: chat.Message{Conversation: chat.Conversation{Platform: "slack"}, Author: chat.Member{ID: id}}})
		}
		for i := range 1000 {
			if !told(fmt.Sprint("U", i)) {
				t.Fatalf("member %d not told the first time", i)
			}
		}
		if n := b.warned.Len(); n != 1000 {
			t.Fatalf("remembers %d members, want the 1000 told", n)
		}
		time.Sleep(redactionNoticeEvery)
		told("U-next")
		if n := b.warned.Len(); n != 1 {
			t.Errorf("a day later remembers %d members, want only the one told since", n)
		}
	})
}
