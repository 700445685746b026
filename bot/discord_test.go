package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

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
