package discord

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/docent-bot/docent/adapters/discord/discordtest"
	"github.com/docent-bot/docent/chat"
)

// pings is an answer written to ping everyone it can.
const pings = "Done @everyone @here <@&777> <@8> <@!8>, and you <@7>."

// restAdapter returns an adapter whose session talks to f, without a
// gateway.
func restAdapter(t *testing.T, f *discordtest.Server) (*Adapter, *discordgo.Session) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Enabled, cfg.Token, cfg.APIBase = true, "tok", f.URL
	a, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := a.session(0)
	if err != nil {
		t.Fatal(err)
	}
	return a, s
}

func TestRepliesPingOnlyTheAsker(t *testing.T) {
	f := discordtest.New(t)
	a, s := restAdapter(t, f)
	ctx := context.Background()

	// In a guild text channel: a new thread, then the answer in it.
	r := &responder{a: a, s: s, asker: "7", channel: "200", msgID: "1001", question: "how do I deploy this thing to production today?", thread: true, sent: map[string]sentParts{}}
	sent, err := r.Reply(ctx, chat.Answer{Text: pings})
	if err != nil {
		t.Fatal(err)
	}
	th := f.Next(t, "POST /api/v9/channels/200/messages/1001/threads")
	if th.Body["name"] != "how do I deploy this thing to production today?" {
		t.Errorf("thread name = %q", th.Body["name"])
	}
	post := f.Next(t, "POST /api/v9/channels/10019/messages")
	discordtest.CheckAllowed(t, post, "7")
	if post.Body["content"] != pings {
		t.Errorf("content = %q", post.Body["content"])
	}
	if _, ok := post.Body["message_reference"]; ok {
		t.Errorf("the post in the thread is a reply: %v", post.Body)
	}
	if p, ok := a.threads.Get("10019"); !ok || p != "200" {
		t.Errorf("thread not remembered for follow-ups: %q %t", p, ok)
	}

	// A second answer goes to the same thread.
	if _, err := r.Reply(ctx, chat.Answer{Text: "more"}); err != nil {
		t.Fatal(err)
	}
	discordtest.CheckAllowed(t, f.Next(t, "POST /api/v9/channels/10019/messages"), "7")

	// An edit.
	if err := r.Edit(ctx, sent, chat.Answer{Text: pings + " (edited)"}); err != nil {
		t.Fatal(err)
	}
	edit := f.Next(t, "PATCH /api/v9/channels/10019/messages/"+sent.ID)
	discordtest.CheckAllowed(t, edit, "7")

	// Without threads: a reply to the member's message.
	r2 := &responder{a: a, s: s, asker: "7", channel: "200", msgID: "1002", sent: map[string]sentParts{}}
	if _, err := r2.Reply(ctx, chat.Answer{Text: pings}); err != nil {
		t.Fatal(err)
	}
	reply := f.Next(t, "POST /api/v9/channels/200/messages")
	discordtest.CheckAllowed(t, reply, "7")
	ref, _ := reply.Body["message_reference"].(map[string]any)
	if ref["message_id"] != "1002" {
		t.Errorf("message_reference = %v, want message 1002", reply.Body["message_reference"])
	}
	f.NoMore(t)
}

func TestLongAnswerIsSplitAndEditedInParts(t *testing.T) {
	f := discordtest.New(t)
	a, s := restAdapter(t, f)
	ctx := context.Background()
	long := strings.Repeat("word ", 300) + "\n```go\n" + strings.Repeat("fmt.Println(\"@everyone\")\n", 50) + "```\nend"
	r := &responder{a: a, s: s, asker: "7", channel: "500", msgID: "1003", sent: map[string]sentParts{}}
	sent, err := r.Reply(ctx, chat.Answer{Text: long})
	if err != nil {
		t.Fatal(err)
	}
	p1 := f.Next(t, "POST /api/v9/channels/500/messages")
	p2 := f.Next(t, "POST /api/v9/channels/500/messages")
	for _, p := range []discordtest.Request{p1, p2} {
		discordtest.CheckAllowed(t, p, "7")
		c, _ := p.Body["content"].(string)
		if len([]rune(c)) > MaxMessage || strings.Count(c, "```")%2 != 0 {
			t.Errorf("part of %d characters with %d fences", len([]rune(c)), strings.Count(c, "```"))
		}
	}
	if _, ok := p1.Body["message_reference"]; !ok {
		t.Errorf("first part is not a reply")
	}
	if _, ok := p2.Body["message_reference"]; ok {
		t.Errorf("second part is a reply too")
	}

	// A draft grows into a long answer: the first part is edited, the
	// second edited in place, a third sent.
	longer := long + "\n" + strings.Repeat("more words here ", 80)
	if n := len(Split(longer, MaxMessage)); n != 3 {
		t.Fatalf("the longer answer splits into %d parts, the test wants 3", n)
	}
	if err := r.Edit(ctx, sent, chat.Answer{Text: longer}); err != nil {
		t.Fatal(err)
	}
	discordtest.CheckAllowed(t, f.Next(t, "PATCH /api/v9/channels/500/messages/"+sent.ID), "7")
	discordtest.CheckAllowed(t, f.Next(t, "PATCH /api/v9/channels/500/messages/"+p2.ID), "7")
	p3 := f.Next(t, "POST /api/v9/channels/500/messages")
	discordtest.CheckAllowed(t, p3, "7")
	// And shrinks back: the surplus parts are deleted.
	if err := r.Edit(ctx, sent, chat.Answer{Text: "short"}); err != nil {
		t.Fatal(err)
	}
	f.Next(t, "PATCH /api/v9/channels/500/messages/"+sent.ID)
	f.Next(t, "DELETE /api/v9/channels/500/messages/"+p2.ID)
	f.Next(t, "DELETE /api/v9/channels/500/messages/"+p3.ID)
	f.NoMore(t)
}

func TestInteractionAnswersPingOnlyTheAsker(t *testing.T) {
	f := discordtest.New(t)
	a, s := restAdapter(t, f)
	ctx := context.Background()
	i := &discordgo.Interaction{ID: "600", AppID: "42", Token: "itok", Type: discordgo.InteractionApplicationCommand}
	r := &interactionResponder{a: a, s: s, i: i, asker: "7", parts: map[string]sentParts{}}

	sent, err := r.Reply(ctx, chat.Answer{Text: pings})
	if err != nil {
		t.Fatal(err)
	}
	discordtest.CheckAllowed(t, f.Next(t, "PATCH /api/v9/webhooks/42/itok/messages/@original"), "7")
	if sent.ID != "origitok" {
		t.Errorf("sent.ID = %q", sent.ID)
	}
	if err := r.Edit(ctx, sent, chat.Answer{Text: pings + "!"}); err != nil {
		t.Fatal(err)
	}
	discordtest.CheckAllowed(t, f.Next(t, "PATCH /api/v9/webhooks/42/itok/messages/@original"), "7")
	fsent, err := r.Reply(ctx, chat.Answer{Text: pings, Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	fu := f.Next(t, "POST /api/v9/webhooks/42/itok")
	discordtest.CheckAllowed(t, fu, "7")
	if fu.Body["flags"] != float64(discordgo.MessageFlagsEphemeral) {
		t.Errorf("ephemeral followup flags = %v, want 64", fu.Body["flags"])
	}
	if err := r.Edit(ctx, fsent, chat.Answer{Text: "changed"}); err != nil {
		t.Fatal(err)
	}
	discordtest.CheckAllowed(t, f.Next(t, "PATCH /api/v9/webhooks/42/itok/messages/"+fsent.ID), "7")

	// Ephemeral first: the public "thinking" response is deleted and the
	// answer sent as an ephemeral followup.
	i2 := &discordgo.Interaction{ID: "601", AppID: "42", Token: "itok2", Type: discordgo.InteractionApplicationCommand}
	r2 := &interactionResponder{a: a, s: s, i: i2, asker: "7", parts: map[string]sentParts{}}
	if _, err := r2.Reply(ctx, chat.Answer{Text: "only for you", Ephemeral: true}); err != nil {
		t.Fatal(err)
	}
	f.Next(t, "DELETE /api/v9/webhooks/42/itok2/messages/@original")
	fu2 := f.Next(t, "POST /api/v9/webhooks/42/itok2")
	discordtest.CheckAllowed(t, fu2, "7")
	if fu2.Body["flags"] != float64(discordgo.MessageFlagsEphemeral) {
		t.Errorf("flags = %v, want 64", fu2.Body["flags"])
	}
	f.NoMore(t)
}

func TestRateLimitedReplyIsRetried(t *testing.T) {
	f := discordtest.New(t)
	a, s := restAdapter(t, f)
	f.RateLimit(1)
	r := &responder{a: a, s: s, asker: "7", channel: "500", msgID: "1009", sent: map[string]sentParts{}}
	if _, err := r.Reply(context.Background(), chat.Answer{Text: "hello"}); err != nil {
		t.Fatalf("Reply after a 429: %v", err)
	}
	f.Next(t, "429 POST /api/v9/channels/500/messages")
	discordtest.CheckAllowed(t, f.Next(t, "POST /api/v9/channels/500/messages"), "7")
	f.NoMore(t)
}

func TestWhereDocentAnswers(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Enabled, cfg.Token = true, "tok"
	cfg.Guilds = []string{"100"}
	cfg.AllowChannels = []string{"200", "300"}
	cfg.DenyChannels = []string{"400"}
	a, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a.threads.Put("210", "200") // a thread Docent answered in
	a.threads.Put("410", "400")
	for _, tc := range []struct {
		guild, channel string
		want           bool
		conv           chat.Conversation
	}{
		{"100", "200", true, chat.Conversation{Platform: "discord", Channel: "200"}},
		{"100", "210", true, chat.Conversation{Platform: "discord", Channel: "200", Thread: "210"}},
		{"100", "999", false, chat.Conversation{Platform: "discord", Channel: "999"}}, // not allowed
		{"100", "400", false, chat.Conversation{Platform: "discord", Channel: "400"}}, // denied
		{"100", "410", false, chat.Conversation{Platform: "discord", Channel: "400", Thread: "410"}},
		{"101", "200", false, chat.Conversation{Platform: "discord", Channel: "200"}}, // another guild
		{"", "500", true, chat.Conversation{Platform: "discord", Channel: "500"}},     // a DM
	} {
		conv, ok := a.place(tc.guild, tc.channel)
		if ok != tc.want || conv != tc.conv {
			t.Errorf("place(%s, %s) = %v %t, want %v %t", tc.guild, tc.channel, conv, ok, tc.conv, tc.want)
		}
	}
}

func TestEmptyAnswerIsRefusedWithoutACall(t *testing.T) {
	f := discordtest.New(t)
	a, s := restAdapter(t, f)
	r := &responder{a: a, s: s, asker: "7", channel: "500", msgID: "1010", sent: map[string]sentParts{}}
	if _, err := r.Reply(context.Background(), chat.Answer{Text: " \n "}); err == nil {
		t.Error("an empty answer was accepted")
	}
	i := &discordgo.Interaction{ID: "603", AppID: "42", Token: "itok4", Type: discordgo.InteractionApplicationCommand}
	ir := &interactionResponder{a: a, s: s, i: i, asker: "7", parts: map[string]sentParts{}}
	if _, err := ir.Reply(context.Background(), chat.Answer{}); err == nil {
		t.Error("an empty slash command answer was accepted")
	}
	f.NoMore(t)
}

// TestAnnouncePingsNobody: every part of an announcement is posted with
// allowed_mentions that let it ping nobody, whatever its text mentions:
// not @everyone, @here, a role, a user, nor a replied-to member.
func TestAnnouncePingsNobody(t *testing.T) {
	f := discordtest.New(t)
	a, s := restAdapter(t, f)
	ctx := context.Background()
	if err := a.Announce(ctx, "300", pings); !errors.Is(err, chat.ErrNotConnected) {
		t.Errorf("Announce before Run connected: %v, want chat.ErrNotConnected", err)
	}
	a.mu.Lock()
	a.s, a.ready = s, true
	a.mu.Unlock()
	text := pings + "\n" + strings.Repeat("More news for everyone. ", 100) // in parts
	if err := a.Announce(ctx, "300", text); err != nil {
		t.Fatal(err)
	}
	for part := 1; part <= len(Split(text, MaxMessage)); part++ {
		post := f.Next(t, "POST /api/v9/channels/300/messages")
		am, ok := post.Body["allowed_mentions"].(map[string]any)
		if !ok {
			t.Fatalf("part %d has no allowed_mentions: %v", part, post.Body)
		}
		if parse, ok := am["parse"].([]any); !ok || len(parse) != 0 {
			t.Errorf("part %d: allowed_mentions.parse = %v, want [] (no @everyone, @here, roles or users by text)", part, am["parse"])
		}
		for _, k := range []string{"users", "roles"} {
			if v, ok := am[k]; ok && v != nil {
				t.Errorf("part %d: allowed_mentions.%s = %v, want none", part, k, v)
			}
		}
		if am["replied_user"] == true {
			t.Errorf("part %d: allowed_mentions.replied_user = true, want nobody pinged", part)
		}
	}
	f.NoMore(t)
}

// TestDirectMessage: a direct message opens the member's DM channel once
// (then reuses it), is posted there in parts with allowed_mentions that
// ping nobody, and fails with chat.ErrNotConnected before Run connected
// and with ErrDMsClosed when the member takes no DMs from Docent.
func TestDirectMessage(t *testing.T) {
	var _ chat.DirectMessenger = (*Adapter)(nil)
	f := discordtest.New(t)
	a, s := restAdapter(t, f)
	ctx := context.Background()
	if err := a.DirectMessage(ctx, "7", "hello"); !errors.Is(err, chat.ErrNotConnected) {
		t.Errorf("DirectMessage before Run connected: %v, want chat.ErrNotConnected", err)
	}
	a.mu.Lock()
	a.s, a.ready = s, true
	a.mu.Unlock()
	if err := a.DirectMessage(ctx, "7", " \n"); err == nil {
		t.Error("an empty direct message was accepted")
	}
	text := pings + "\n" + strings.Repeat("Someone asked about deploying; you answered this before. ", 60) // in parts
	if err := a.DirectMessage(ctx, "7", text); err != nil {
		t.Fatal(err)
	}
	if open := f.Next(t, "POST /api/v9/users/@me/channels"); open.Body["recipient_id"] != "7" {
		t.Errorf("opened a DM with %v, want recipient_id 7", open.Body)
	}
	dm := discordtest.DMChannel("7")
	parts := Split(text, MaxMessage)
	if len(parts) < 2 {
		t.Fatalf("the text is %d part(s), want several for this test", len(parts))
	}
	for i, want := range parts {
		post := f.Next(t, "POST /api/v9/channels/"+dm+"/messages")
		if post.Body["content"] != want {
			t.Errorf("part %d: content %q, want %q", i+1, post.Body["content"], want)
		}
		am, _ := post.Body["allowed_mentions"].(map[string]any)
		if parse, ok := am["parse"].([]any); !ok || len(parse) != 0 || am["users"] != nil || am["roles"] != nil || am["replied_user"] == true {
			t.Errorf("part %d: allowed_mentions %v, want one that pings nobody", i+1, post.Body["allowed_mentions"])
		}
	}
	t.Log("a second message reuses the DM channel")
	if err := a.DirectMessage(ctx, "7", "One more thing."); err != nil {
		t.Fatal(err)
	}
	if post := f.Next(t, "POST /api/v9/channels/"+dm+"/messages"); post.Body["content"] != "One more thing." {
		t.Errorf("second message: %v", post.Body)
	}
	t.Log("a member who takes no DMs")
	f.CloseDMs("8")
	if err := a.DirectMessage(ctx, "8", "hello"); !errors.Is(err, ErrDMsClosed) {
		t.Errorf("DirectMessage to a member who takes no DMs: %v, want ErrDMsClosed", err)
	}
	f.Next(t, "POST /api/v9/users/@me/channels")
	f.Next(t, "403 POST /api/v9/channels/"+discordtest.DMChannel("8")+"/messages")
	f.NoMore(t)
}
