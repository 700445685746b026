package discord

import (
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/adapters/discord/discordtest"
	"github.com/docent-bot/docent/chat"
)

// delivery is one message the adapter delivered, with its responder.
type delivery struct {
	m chat.Message
	r chat.Responder
}

// inbox records deliveries and votes; the test answers them itself.
type inbox struct {
	msgs  chan delivery
	votes chan chat.Feedback
}

func (in *inbox) Deliver(_ context.Context, m chat.Message, r chat.Responder) error {
	in.msgs <- delivery{m, r}
	return nil
}

func (in *inbox) Feedback(_ context.Context, f chat.Feedback) error {
	in.votes <- f
	return nil
}

func (in *inbox) next(t *testing.T) delivery {
	t.Helper()
	select {
	case d := <-in.msgs:
		return d
	case <-time.After(5 * time.Second):
		t.Fatal("no message delivered within 5s")
	}
	return delivery{}
}

func (in *inbox) vote(t *testing.T) chat.Feedback {
	t.Helper()
	select {
	case f := <-in.votes:
		return f
	case <-time.After(5 * time.Second):
		t.Fatal("no vote delivered within 5s")
	}
	return chat.Feedback{}
}

var alice = map[string]any{"id": "7", "username": "alice", "global_name": "Alice"}

func message(id, channel, guild, content string, mentionsBot bool) map[string]any {
	m := map[string]any{
		"id": id, "channel_id": channel, "content": content, "author": alice,
		"timestamp": time.Now().Format(time.RFC3339), "mentions": []any{},
	}
	if guild != "" {
		m["guild_id"] = guild
		m["member"] = map[string]any{"roles": []any{"555"}} // the guild member's roles come with the message
	}
	if mentionsBot {
		m["mentions"] = []any{map[string]any{"id": "42", "username": "docent", "bot": true}}
	}
	return m
}

func command(id, token, name, text string) map[string]any {
	data := map[string]any{"id": "c-" + name, "name": name, "type": 1}
	if text != "" {
		data["options"] = []any{map[string]any{"name": "text", "type": 3, "value": text}}
	}
	return map[string]any{
		"id": id, "application_id": "42", "type": 2, "token": token, "version": 1,
		"guild_id": "100", "channel_id": "200", "member": map[string]any{"user": alice}, "data": data,
	}
}

// TestGateway runs the adapter against a fake Discord, step by step as a
// community would use it: one gateway connection (Close sleeps 1 s).
func TestGateway(t *testing.T) {
	f := discordtest.New(t)
	cfg := DefaultConfig()
	cfg.Enabled, cfg.Token, cfg.MessageContent = true, "tok", true
	cfg.HelpChannels, cfg.DenyChannels, cfg.CommandGuilds = []string{"300"}, []string{"400"}, []string{"100"}
	cfg.APIBase = f.URL
	a, err := New(cfg, Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	in := &inbox{msgs: make(chan delivery, 10), votes: make(chan chat.Feedback, 10)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, in) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not return within 5s of cancel")
		}
	}()

	// IDENTIFY asks for the minimum intents, message content as configured.
	select {
	case id := <-f.Identify:
		if id["token"] != "Bot tok" {
			t.Errorf("IDENTIFY token = %v", id["token"])
		}
		const want = 1 | 1<<9 | 1<<10 | 1<<12 | 1<<13 | 1<<15
		if id["intents"] != float64(want) {
			t.Errorf("IDENTIFY intents = %v, want %d", id["intents"], want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no IDENTIFY")
	}

	t.Log("slash commands are registered in the command guild")
	reg := f.Next(t, "PUT /api/v9/applications/42/guilds/100/commands")
	var names []string
	for _, c := range reg.Body["list"].([]any) {
		names = append(names, c.(map[string]any)["name"].(string))
	}
	if strings.Join(names, ",") != "ask,help,why,ping,about" {
		t.Errorf("registered %v", names)
	}

	t.Log("a denied channel and a help channel's chatter are ignored; a mention is delivered")
	f.Send("MESSAGE_CREATE", message("1001", "400", "100", "<@42> how do I deploy?", true))
	f.Send("MESSAGE_CREATE", message("1002", "300", "100", "thanks all", false))
	f.Send("MESSAGE_CREATE", map[string]any{"id": "1003", "channel_id": "200", "guild_id": "100", "content": "<@42> hi",
		"author": map[string]any{"id": "9", "username": "otherbot", "bot": true}, "timestamp": time.Now().Format(time.RFC3339)})
	f.Send("MESSAGE_CREATE", message("1004", "200", "100", "<@42> how do I deploy?", true))
	d := in.next(t)
	want := chat.Message{ID: "1004", Conversation: chat.Conversation{Platform: "discord", Channel: "200"}, Space: "100",
		Author: chat.Member{ID: "7", Name: "Alice"}, Text: "how do I deploy?", Mentioned: true, Roles: []string{"555"}}
	d.m.Time = time.Time{}
	if !reflect.DeepEqual(d.m, want) {
		t.Fatalf("delivered %+v\nwant      %+v", d.m, want)
	}
	select {
	case ch := <-f.Typing:
		if ch != "200" {
			t.Errorf("typing in %s, want 200", ch)
		}
	case <-time.After(5 * time.Second):
		t.Error("no typing indicator")
	}

	t.Log("the answer goes to a new thread on the member's message, pinging no one else")
	sent, err := d.r.Reply(ctx, chat.Answer{Text: "Run make deploy. " + pings})
	if err != nil {
		t.Fatal(err)
	}
	f.Next(t, "POST /api/v9/channels/200/messages/1004/threads")
	post := f.Next(t, "POST /api/v9/channels/10049/messages")
	discordtest.CheckAllowed(t, post, "7")

	t.Log("a follow-up in that thread is delivered without a mention")
	f.Send("MESSAGE_CREATE", message("1005", "10049", "100", "and on Windows", false))
	d = in.next(t)
	if d.m.Conversation != (chat.Conversation{Platform: "discord", Channel: "200", Thread: "10049"}) || d.m.Text != "and on Windows" || d.m.Mentioned {
		t.Fatalf("follow-up delivered as %+v", d.m)
	}
	if _, err := d.r.Reply(ctx, chat.Answer{Text: "Same, with WSL."}); err != nil {
		t.Fatal(err)
	}
	discordtest.CheckAllowed(t, f.Next(t, "POST /api/v9/channels/10049/messages"), "7")

	t.Log("a question in a help channel is delivered, with the message it replies to")
	q := message("1006", "300", "100", "Does it run on ARM?", false)
	q["type"], q["message_reference"] = 19, map[string]any{"message_id": "990", "channel_id": "300", "guild_id": "100"}
	f.Send("MESSAGE_CREATE", q)
	if d = in.next(t); d.m.Text != "Does it run on ARM?" || d.m.Mentioned || d.m.Conversation.Channel != "300" || d.m.RepliesTo != "990" {
		t.Fatalf("help question delivered as %+v", d.m)
	}

	t.Log("a DM is delivered as direct and answered as a reply")
	f.Send("MESSAGE_CREATE", message("1007", "500", "", "hi there", false))
	if d = in.next(t); !d.m.Direct || d.m.Conversation.Channel != "500" {
		t.Fatalf("DM delivered as %+v", d.m)
	}
	if _, err := d.r.Reply(ctx, chat.Answer{Text: "Hello!"}); err != nil {
		t.Fatal(err)
	}
	if dm := f.Next(t, "POST /api/v9/channels/500/messages"); dm.Body["message_reference"] == nil {
		t.Errorf("DM answer is not a reply: %v", dm.Body)
	}

	t.Log("/ask is deferred at once, delivered as a question and answered in the original response")
	f.Send("INTERACTION_CREATE", command("600", "itok", "ask", "what is go?"))
	cb := f.Next(t, "POST /api/v9/interactions/600/itok/callback")
	if cb.Body["type"] != float64(5) {
		t.Errorf("interaction callback type = %v, want 5 (deferred)", cb.Body["type"])
	}
	if d = in.next(t); d.m.Text != "what is go?" || !d.m.Mentioned || d.m.ID != "600" {
		t.Fatalf("/ask delivered as %+v", d.m)
	}
	if _, err := d.r.Reply(ctx, chat.Answer{Text: pings}); err != nil {
		t.Fatal(err)
	}
	discordtest.CheckAllowed(t, f.Next(t, "PATCH /api/v9/webhooks/42/itok/messages/@original"), "7")

	t.Log("/help is delivered as the prefix command; an ephemeral answer is a followup flagged 64")
	f.Send("INTERACTION_CREATE", command("601", "itok2", "help", ""))
	f.Next(t, "POST /api/v9/interactions/601/itok2/callback")
	if d = in.next(t); d.m.Text != "!help" {
		t.Fatalf("/help delivered as %+v", d.m)
	}
	if _, err := d.r.Reply(ctx, chat.Answer{Text: "Commands: ...", Ephemeral: true}); err != nil {
		t.Fatal(err)
	}
	f.Next(t, "DELETE /api/v9/webhooks/42/itok2/messages/@original")
	if fu := f.Next(t, "POST /api/v9/webhooks/42/itok2"); fu.Body["flags"] != float64(64) {
		t.Errorf("ephemeral answer flags = %v", fu.Body["flags"])
	}

	t.Log("👍 on Docent's answer is a vote, its removal takes it back; other reactions are ignored")
	reaction := func(msg, emoji string) map[string]any {
		return map[string]any{"user_id": "7", "message_id": msg, "channel_id": "10049", "guild_id": "100",
			"emoji": map[string]any{"name": emoji}, "member": map[string]any{"user": alice}}
	}
	f.Send("MESSAGE_REACTION_ADD", reaction("1005", "👍")) // the member's own message
	f.Send("MESSAGE_REACTION_ADD", reaction(sent.ID, "🎉"))
	f.Send("MESSAGE_REACTION_ADD", reaction(sent.ID, "👍"))
	v := in.vote(t)
	v.Time = time.Time{}
	wantVote := chat.Feedback{Conversation: chat.Conversation{Platform: "discord", Channel: "200", Thread: "10049"},
		AnswerID: sent.ID, Member: chat.Member{ID: "7", Name: "Alice"}, Vote: chat.VoteUp}
	if v != wantVote {
		t.Errorf("vote %+v\nwant %+v", v, wantVote)
	}
	t.Log("the vote is the latest of 👍/👎 the member still has, none when neither remains")
	for _, step := range []struct {
		event, emoji string
		want         chat.Vote
	}{
		{"MESSAGE_REACTION_ADD", "👎", chat.VoteDown},    // both held, 👎 latest
		{"MESSAGE_REACTION_REMOVE", "👍", chat.VoteDown}, // 👎 still there
		{"MESSAGE_REACTION_ADD", "👍", chat.VoteUp},      // both again, 👍 latest
		{"MESSAGE_REACTION_REMOVE", "👍", chat.VoteDown}, // back to 👎
		{"MESSAGE_REACTION_REMOVE", "👎", chat.VoteNone}, // neither
	} {
		f.Send(step.event, reaction(sent.ID, step.emoji))
		if v = in.vote(t); v.Vote != step.want || v.AnswerID != sent.ID || v.Member.ID != "7" {
			t.Errorf("%s %s delivered as %+v, want vote %v", step.event, step.emoji, v, step.want)
		}
	}

	t.Log("a slash command in a denied channel gets an ephemeral refusal")
	denied := command("602", "itok3", "ask", "hello?")
	denied["channel_id"] = "400"
	f.Send("INTERACTION_CREATE", denied)
	refusal := f.Next(t, "POST /api/v9/interactions/602/itok3/callback")
	rd, _ := refusal.Body["data"].(map[string]any)
	if refusal.Body["type"] != float64(4) || rd["flags"] != float64(64) {
		t.Errorf("refusal = %v", refusal.Body)
	}
	discordtest.CheckAllowed(t, discordtest.Request{Method: "callback", Body: rd}, "7")

	t.Log("a dropped gateway connection is resumed and messages flow again")
	f.Drop()
	select {
	case r := <-f.Resume:
		if r["session_id"] != "sess-1" || r["token"] != "Bot tok" {
			t.Errorf("RESUME = %v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no RESUME within 10s of the dropped connection")
	}
	f.Send("MESSAGE_CREATE", message("1008", "500", "", "still there?", false))
	if d = in.next(t); d.m.Text != "still there?" {
		t.Fatalf("after resume delivered %+v", d.m)
	}

	select {
	case d := <-in.msgs:
		t.Errorf("unexpected delivery %+v", d.m)
	default:
	}
	f.NoMore(t)
}

// TestIdentifyCarriesShard: with shard_id 1 of 2, IDENTIFY asks Discord
// for that shard's guilds only.
func TestIdentifyCarriesShard(t *testing.T) {
	f := discordtest.New(t)
	cfg := DefaultConfig()
	cfg.Enabled, cfg.Token, cfg.APIBase = true, "tok", f.URL
	cfg.ShardID, cfg.ShardCount = 1, 2
	a, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, &inbox{msgs: make(chan delivery, 1), votes: make(chan chat.Feedback, 1)}) }()
	select {
	case id := <-f.Identify:
		if got := id["shard"]; !reflect.DeepEqual(got, []any{float64(1), float64(2)}) {
			t.Errorf(`IDENTIFY "shard" = %v, want [1 2]`, got)
		}
	case <-time.After(5 * time.Second):
		t.Error("no IDENTIFY")
	}
	f.Next(t, "PUT /api/v9/applications/42/commands") // registered by every shard
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}
