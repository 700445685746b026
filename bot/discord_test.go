package bot

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docent-bot/docent/adapters/discord"
	"github.com/docent-bot/docent/adapters/discord/discordtest"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// TestDiscordEndToEnd runs a real Bot with its Discord adapter against a
// fake Discord: a mention is answered in a thread through the router, brain
// and store; a 👍 on that answer is stored against it; /ping is answered.
// One gateway connection, as discordgo's Close sleeps a second.
func TestDiscordEndToEnd(t *testing.T) {
	f := discordtest.New(t)
	t.Setenv("DOCENT_TEST_DISCORD_TOKEN", "tok")
	b := openBot(t, writeConfig(t, fmt.Sprintf(`adapters:
  discord:
    enabled: true
    token: ${DOCENT_TEST_DISCORD_TOKEN}
    api_base: %s
`, f.URL)))
	runBot(t, b, platformAdapter(t, b, "discord"))
	ctx := context.Background()
	var err error

	select {
	case id := <-f.Identify:
		if id["token"] != "Bot tok" {
			t.Errorf("IDENTIFY token = %v, want the one from the environment", id["token"])
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no IDENTIFY")
	}
	reg := f.Next(t, "PUT /api/v9/applications/42/commands")
	var names []string
	for _, c := range reg.Body["list"].([]any) {
		names = append(names, c.(map[string]any)["name"].(string))
	}
	if s := "," + strings.Join(names, ",") + ","; !strings.Contains(s, ",ask,") || !strings.Contains(s, ",ping,") {
		t.Errorf("registered slash commands %v, want ask and ping among them", names)
	}

	asker := map[string]any{"id": "7", "username": "alice", "global_name": "Alice"}
	t.Log("a mention is answered in a new thread, pinging only the asker")
	f.Send("MESSAGE_CREATE", map[string]any{
		"id": "1001", "channel_id": "200", "guild_id": "100", "author": asker,
		"content": "<@42> how do I report a bug?", "timestamp": time.Now().Format(time.RFC3339),
		"mentions": []any{map[string]any{"id": "42", "username": "docent", "bot": true}},
	})
	f.Next(t, "POST /api/v9/channels/200/messages/1001/threads")
	post := f.Next(t, "POST /api/v9/channels/10019/messages")
	if post.Body["content"] != "File it at https://example.org/issues." {
		t.Errorf("answer = %q", post.Body["content"])
	}
	discordtest.CheckAllowed(t, post, "7")

	// The router stores the answer after the adapter sent it.
	var answer store.Record
	waitFor(t, "the answer stored with its Discord message ID", func() bool {
		recs, err := b.store.Conversation(ctx, chat.Conversation{Platform: "discord", Channel: "200"}, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Kind == store.KindAnswer && r.PlatformID == post.ID {
				answer = r
				return true
			}
		}
		return false
	})
	if answer.Intent != "report_bug" {
		t.Errorf("stored answer intent = %q, want report_bug", answer.Intent)
	}

	t.Log("a 👍 on the answer is stored against it")
	f.Send("MESSAGE_REACTION_ADD", map[string]any{
		"user_id": "7", "message_id": post.ID, "channel_id": "10019", "guild_id": "100",
		"emoji": map[string]any{"name": "👍"}, "member": map[string]any{"user": asker},
	})
	var votes []store.Vote
	waitFor(t, "the vote stored", func() bool {
		if votes, err = b.store.Feedback(ctx, answer.ID); err != nil {
			t.Fatal(err)
		}
		return len(votes) > 0
	})
	if v := votes[0]; len(votes) != 1 || v.Vote != chat.VoteUp || v.Member != (chat.Member{ID: "7", Name: "Alice"}) || v.AnswerID != answer.ID {
		t.Errorf("votes on the answer = %+v, want one 👍 by Alice", votes)
	}

	t.Log("/ping is deferred, then answered in the original response")
	f.Send("INTERACTION_CREATE", map[string]any{
		"id": "600", "application_id": "42", "type": 2, "token": "itok", "version": 1,
		"guild_id": "100", "channel_id": "200", "member": map[string]any{"user": asker},
		"data": map[string]any{"id": "c-ping", "name": "ping", "type": 1},
	})
	if cb := f.Next(t, "POST /api/v9/interactions/600/itok/callback"); cb.Body["type"] != float64(5) {
		t.Errorf("interaction callback type = %v, want 5 (deferred)", cb.Body["type"])
	}
	pong := f.Next(t, "PATCH /api/v9/webhooks/42/itok/messages/@original")
	if c, _ := pong.Body["content"].(string); !strings.HasPrefix(c, "pong (") {
		t.Errorf("/ping answered %q, want pong (…)", c)
	}
	discordtest.CheckAllowed(t, pong, "7")
	f.NoMore(t)
}

// waitFor polls cond until it holds, failing the test after 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDiscordFullQueueBlocksNobody: a member whose queue is full is told
// Docent is busy, and meanwhile another member's Discord message is read
// off the gateway and answered; the held messages are answered once
// released, shutdown finishes, and no goroutine is left.
func TestDiscordFullQueueBlocksNobody(t *testing.T) {
	f := discordtest.New(t)
	st := openStore(t)
	before := runtime.NumGoroutine()
	started := make(chan string, 8)
	release := make(chan struct{})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	defer unblock()
	h := HandlerFunc(func(ctx context.Context, r chat.Responder, m *Message) {
		started <- m.Text
		if m.Text == "hold" {
			<-release
		}
		r.Reply(ctx, chat.Answer{Text: "re: " + m.Text})
	})
	log := slog.New(slog.DiscardHandler)
	rt := NewRouter(st, h, log, RouterOptions{MaxConcurrent: 4, QueuePerConversation: 1})
	cfg := discord.DefaultConfig()
	cfg.Enabled, cfg.Token, cfg.APIBase, cfg.MessageContent = true, "tok", f.URL, true
	tr := &http.Transport{}
	a, err := discord.New(cfg, discord.Options{Log: log, HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- a.Run(ctx, rt) }()
	defer func() {
		unblock()
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("Run: %v", err)
		}
		if err := rt.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
		tr.CloseIdleConnections()
		waitGoroutines(t, before)
	}()
	<-f.Identify
	f.Next(t, "PUT /api/v9/applications/42/commands")

	dm := func(id, channel, user, text string) {
		f.Send("MESSAGE_CREATE", map[string]any{
			"id": id, "channel_id": channel, "content": text, "timestamp": time.Now().Format(time.RFC3339),
			"author": map[string]any{"id": user, "username": "member" + user},
		})
	}
	dm("1", "300", "7", "hold")
	if got := <-started; got != "hold" {
		t.Fatalf("handled %q first", got)
	}
	dm("2", "300", "7", "two")   // waits in alice's queue: now full
	dm("3", "300", "7", "three") // busy
	dm("4", "301", "8", "hello") // bob, while alice's queue is full
	posts := map[string]string{}
	for range 2 {
		r := f.Any(t)
		if r.Method != http.MethodPost {
			t.Fatalf("REST call %s, want a message posted", r)
		}
		c, _ := r.Body["content"].(string)
		posts[r.Path] = c
	}
	if c := posts["/api/v9/channels/301/messages"]; c != "re: hello" {
		t.Errorf("bob's answer while alice's queue is full: %q (posts %q)", c, posts)
	}
	if c := posts["/api/v9/channels/300/messages"]; c != busyNotice {
		t.Errorf("alice was told %q, want the busy notice", c)
	}
	unblock()
	for _, want := range []string{"re: hold", "re: two"} {
		if c, _ := f.Next(t, "POST /api/v9/channels/300/messages").Body["content"].(string); c != want {
			t.Errorf("alice's answer %q, want %q", c, want)
		}
	}
}

// TestDiscordBurstSharesCommits: messages read off the gateway together
// are stored together. One member's message holds up intake (its Admit
// waits) while 32 others, from 32 members, queue behind it; once it is
// let go, the 32 share commits instead of taking one fsync each.
func TestDiscordBurstSharesCommits(t *testing.T) {
	const n = 32
	f := discordtest.New(t)
	st := openStore(t)
	before := runtime.NumGoroutine()
	holding, release := make(chan struct{}), make(chan struct{})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	defer unblock()
	handled := make(chan string, n+8)
	h := HandlerFunc(func(ctx context.Context, r chat.Responder, m *Message) { handled <- m.Text })
	log := slog.New(slog.DiscardHandler)
	rt := NewRouter(st, h, log, RouterOptions{MaxConcurrent: 4, Admit: func(m *Message) (bool, string) {
		if m.Text == "hold" {
			close(holding)
			<-release // within Deliver, on the intake's worker
		}
		return true, ""
	}})
	cfg := discord.DefaultConfig()
	cfg.Enabled, cfg.Token, cfg.APIBase, cfg.MessageContent = true, "tok", f.URL, true
	tr := &http.Transport{}
	a, err := discord.New(cfg, discord.Options{Log: log, HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- a.Run(ctx, rt) }()
	defer func() {
		unblock()
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("Run: %v", err)
		}
		if err := rt.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
		tr.CloseIdleConnections()
		waitGoroutines(t, before)
	}()
	<-f.Identify
	f.Next(t, "PUT /api/v9/applications/42/commands")

	dm := func(id, channel, user, text string) {
		f.Send("MESSAGE_CREATE", map[string]any{
			"id": id, "channel_id": channel, "content": text, "timestamp": time.Now().Format(time.RFC3339),
			"author": map[string]any{"id": user, "username": "member" + user},
		})
	}
	dm("1", "300", "7", "hold")
	<-holding
	for i := range n {
		dm(fmt.Sprint(100+i), fmt.Sprint(400+i), fmt.Sprint(1000+i), fmt.Sprintf("question %d", i))
	}
	// A slash command is deferred from the gateway's read loop, after the
	// events before it were queued: once its callback is posted, the 32
	// are all waiting in the intake queue.
	f.Send("INTERACTION_CREATE", map[string]any{
		"id": "600", "application_id": "42", "type": 2, "token": "itok", "version": 1,
		"guild_id": "100", "channel_id": "200", "member": map[string]any{"user": map[string]any{"id": "9", "username": "ping"}},
		"data": map[string]any{"id": "c-ping", "name": "ping", "type": 1},
	})
	f.Next(t, "POST /api/v9/interactions/600/itok/callback")
	if got := <-handled; !strings.HasSuffix(got, "ping") {
		t.Fatalf("handled %q first, want the slash command", got)
	}
	start := st.WriteStats()
	unblock()
	for range n + 1 {
		select {
		case <-handled:
		case <-time.After(30 * time.Second):
			t.Fatal("the burst was not all handled")
		}
	}
	got := st.WriteStats()
	if w := got.Writes - start.Writes; w != n {
		t.Errorf("%d writes, want %d (the burst's messages)", w, n)
	}
	if c := got.Commits - start.Commits; c > n/2 {
		t.Errorf("%d messages read off the gateway together took %d commits, want at most %d", n, c, n/2)
	} else {
		t.Logf("%d messages read off the gateway together took %d commits", n, c)
	}
}
