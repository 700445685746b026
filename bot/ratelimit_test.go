package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/chat"
)

// TestChannelRateLimit: one channel's limit holds across members, each of
// whom is well within their own: the channel's burst is answered, the next
// member is told the channel is going too fast, later ones get silence,
// and another channel is answered meanwhile. On synctest's clock, which
// stands still while the test runs: no token comes back meanwhile, however
// slow the machine.
func TestChannelRateLimit(t *testing.T) { synctest.Test(t, testChannelRateLimit) }

func testChannelRateLimit(t *testing.T) {
	cfg, err := LoadConfig(writeConfig(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Bot.RateLimit = RateLimitConfig{MemberPerMinute: 600, MemberBurst: 100, ChannelPerMinute: 1, ChannelBurst: 2}
	b, err := Open(context.Background(), cfg, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer closeBot(t, b)
	busy := chat.Conversation{Platform: "test", Channel: "busy"}
	var got []string
	for i := range 5 {
		m := chat.Member{ID: fmt.Sprint("m", i), Name: fmt.Sprint("member", i)}
		var texts []string
		for _, a := range bottest.Ask(t, b.Inbox(), busy, m, "hello") {
			texts = append(texts, a.Text)
		}
		got = append(got, strings.Join(texts, " | "))
	}
	for i, text := range got {
		switch {
		case i < 2 && (text == "" || strings.Contains(text, "faster")):
			t.Errorf("member %d, within the channel's burst: %q, want an answer", i, text)
		case i == 2 && !strings.Contains(text, "this channel is sending messages faster"):
			t.Errorf("member %d, past the channel's burst: %q, want the channel's notice", i, text)
		case i > 2 && text != "":
			t.Errorf("member %d, after the notice: %q, want silence", i, text)
		}
	}
	quiet := chat.Conversation{Platform: "test", Channel: "quiet"}
	if a := bottest.Ask(t, b.Inbox(), quiet, alice, "hello"); len(a) != 1 || a[0].Source != chat.SourceIntent {
		t.Errorf("another channel meanwhile: %+v", a)
	}
}

// TestRateLimitBeforeQueue: a flooding member's messages past their limit
// are refused before they are queued: while their first is still being
// answered and their queue is full, the next is rate limited (told why),
// not refused as busy. On synctest's clock, as TestChannelRateLimit.
func TestRateLimitBeforeQueue(t *testing.T) { synctest.Test(t, testRateLimitBeforeQueue) }

func testRateLimitBeforeQueue(t *testing.T) {
	st := openStore(t)
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	h := HandlerFunc(func(ctx context.Context, r chat.Responder, m *Message) {
		started <- struct{}{}
		if m.Text == "first" {
			<-release
		}
		r.Reply(ctx, chat.Answer{Text: "re: " + m.Text})
	})
	log := slog.New(slog.DiscardHandler)
	limit := RateLimit(RateLimitConfig{MemberPerMinute: 1, MemberBurst: 2}, func(*Message) bool { return false }, log)
	rt := NewRouter(st, h, log, RouterOptions{MaxConcurrent: 4, QueuePerConversation: 1, Admit: limit})
	deliver := func(text string) (*bottest.Recorder, error) {
		r := bottest.NewRecorder()
		return r, rt.Deliver(context.Background(), chat.Message{Conversation: convA, Author: alice, Text: text}, r)
	}
	first, err := deliver("first")
	if err != nil {
		t.Fatal(err)
	}
	<-started
	second, err := deliver("second")
	if err != nil {
		t.Fatal(err)
	}
	third, err := deliver("third")
	if err != nil {
		close(release)
		t.Fatalf("third message, past the member's limit: %v, want it taken (and rate limited)", err)
	}
	if got := third.Wait(t); len(got) != 1 || !strings.Contains(got[0].Text, "you are sending messages faster") {
		t.Errorf("third message's answers: %+v, want the rate limit notice", got)
	}
	close(release)
	first.Wait(t)
	if got := second.Wait(t); len(got) != 1 || got[0].Text != "re: second" {
		t.Errorf("second: %+v", got)
	}
	if err := rt.Shutdown(context.Background()); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}
