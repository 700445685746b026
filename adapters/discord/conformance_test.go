package discord

import (
	"context"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docent-bot/docent/adapters/discord/discordtest"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/chat/chattest"
)

// TestConformance runs the adapter conformance suite against the fake
// Discord: members write in guild channel 200 of guild 100, mentioning
// Docent, and the answers go in a thread on their message.
func TestConformance(t *testing.T) {
	chattest.TestAdapter(t, &harness{})
}

// TestConformanceSlashCommands runs the suite on the answers to /ask in
// channel 200: they replace the deferred response or follow it up.
func TestConformanceSlashCommands(t *testing.T) {
	chattest.TestAdapter(t, &harness{slash: true})
}

// harness runs the adapter against discordtest and reads the REST calls
// it made as what Discord received.
type harness struct {
	f     *discordtest.Server
	a     *Adapter
	slash bool // members ask with /ask, not with a mention

	mu      sync.Mutex        // guards the fields below
	n       int               // messages asked
	authors map[string]string // message ID → its author, for reply pings
	threads map[string]string // thread ID → the conversation it continues
	where   map[string]string // Docent's message ID → its channel, for votes
	tokens  map[string]string // an interaction's token → the conversation it continues
	shown   map[string]bool   // webhook message IDs sent, to tell an edit from a first answer
}

const (
	confGuild   = "100"
	confChannel = "200"
	confAsker   = "7"
	confAnnounc = "300"
)

func (h *harness) Start(t *testing.T, in chat.Inbox) chattest.Adapter {
	h.f = discordtest.New(t)
	h.authors, h.threads, h.where = map[string]string{}, map[string]string{}, map[string]string{}
	h.tokens, h.shown = map[string]string{}, map[string]bool{}
	cfg := DefaultConfig()
	cfg.Enabled, cfg.Token, cfg.MessageContent, cfg.APIBase = true, "tok", true, h.f.URL
	a, err := New(cfg, Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h.a = a
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, in) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return within 10s of cancel")
		}
	})
	select {
	case <-h.f.Identify:
	case <-time.After(10 * time.Second):
		t.Fatal("no IDENTIFY within 10s")
	}
	h.f.Next(t, "PUT /api/v9/applications/42/commands")
	// Announce works once Run has marked the adapter ready, just after the
	// commands are registered.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		a.mu.Lock()
		ready := a.ready
		a.mu.Unlock()
		if ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the adapter was not ready within 10s")
		}
	}
	return a
}

func (h *harness) Ask(t *testing.T, text string) string {
	h.mu.Lock()
	h.n++
	id := strconv.Itoa(5000 + h.n)
	h.authors[id] = confAsker
	token := "tok" + id
	h.tokens[token] = confChannel + "/" + id
	h.mu.Unlock()
	if h.slash {
		h.f.Send("INTERACTION_CREATE", command(id, token, "ask", text))
	} else {
		h.f.Send("MESSAGE_CREATE", message(id, confChannel, confGuild, "<@42> "+text, true))
	}
	return confChannel + "/" + id
}

func (h *harness) AnnounceChannel() string { return confAnnounc }

func (h *harness) MaxText() int { return MaxMessage }

func (h *harness) Vote(t *testing.T, p chattest.Post, v chat.Vote) {
	h.mu.Lock()
	channel := h.where[p.ID]
	h.mu.Unlock()
	emoji := "👍"
	if v == chat.VoteDown {
		emoji = "👎"
	}
	h.f.Send("MESSAGE_REACTION_ADD", map[string]any{
		"user_id": confAsker, "channel_id": channel, "message_id": p.ID, "guild_id": confGuild,
		"emoji": map[string]any{"name": emoji}, "member": map[string]any{"user": alice},
	})
}

var (
	threadPath  = regexp.MustCompile(`^/api/v9/channels/(\d+)/messages/(\d+)/threads$`)
	messagesOf  = regexp.MustCompile(`^/api/v9/channels/(\d+)/messages$`)
	messagePath = regexp.MustCompile(`^/api/v9/channels/(\d+)/messages/(\d+)$`)
	webhookOf   = regexp.MustCompile(`^/api/v9/webhooks/42/([^/]+)$`)
	webhookMsg  = regexp.MustCompile(`^/api/v9/webhooks/42/([^/]+)/messages/([^/]+)$`)
)

// Received reads the REST calls made so far: the adapter returns from a
// reply once Discord answered, so they are all recorded.
func (h *harness) Received(t *testing.T) []chattest.Post {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []chattest.Post
	for _, r := range h.f.Drain() {
		if m := threadPath.FindStringSubmatch(r.Path); m != nil && r.Method == "POST" {
			h.threads[m[2]+"9"] = m[1] + "/" + m[2] // discordtest names the thread after the message
			continue
		}
		if p, ok := h.webhook(r); ok {
			out = append(out, p)
			continue
		}
		var p chattest.Post
		var channel string
		switch m1, m2 := messagesOf.FindStringSubmatch(r.Path), messagePath.FindStringSubmatch(r.Path); {
		case m1 != nil && r.Method == "POST":
			p = chattest.Post{Op: chattest.Sent, ID: r.ID}
			channel = m1[1]
		case m2 != nil && r.Method == "PATCH":
			p = chattest.Post{Op: chattest.Edited, ID: m2[2]}
			channel = m2[1]
		case m2 != nil && r.Method == "DELETE":
			out = append(out, chattest.Post{Op: chattest.Deleted, ID: m2[2], In: m2[1]})
			continue
		default:
			continue // opening a DM, registering commands
		}
		p.Text, _ = r.Body["content"].(string)
		p.Pings = h.pings(r.Body)
		p.In = channel
		if conv, ok := h.threads[channel]; ok {
			p.In = conv
		}
		if ref, ok := r.Body["message_reference"].(map[string]any); ok {
			if id, _ := ref["message_id"].(string); id != "" {
				p.In = channel + "/" + id
			}
		}
		if user, ok := strings.CutPrefix(channel, "800"); ok && channel == discordtest.DMChannel(user) {
			p.In, p.Only = "dm:"+user, user
		}
		if p.Op == chattest.Sent {
			h.where[p.ID] = channel
		}
		out = append(out, p)
	}
	return out
}

// webhook reads a call answering a slash command: the deferred response
// replaced (the first answer, shown where "Docent is thinking…" was),
// edited or deleted, and followups, ephemeral ones for the asker alone.
// discordtest puts them all in channel 200.
func (h *harness) webhook(r discordtest.Request) (chattest.Post, bool) {
	var p chattest.Post
	var token string
	switch m1, m2 := webhookOf.FindStringSubmatch(r.Path), webhookMsg.FindStringSubmatch(r.Path); {
	case m1 != nil && r.Method == "POST":
		token = m1[1]
		p = chattest.Post{Op: chattest.Sent, ID: r.ID}
		if flags, _ := r.Body["flags"].(float64); int(flags)&64 != 0 {
			p.Only = confAsker
		}
	case m2 != nil:
		token = m2[1]
		p.ID = m2[2]
		if p.ID == "@original" {
			p.ID = "orig" + token
		}
		switch {
		case r.Method == "DELETE":
			p.Op = chattest.Deleted
		case h.shown[p.ID]:
			p.Op = chattest.Edited
		default:
			p.Op = chattest.Sent
		}
	default:
		return p, false
	}
	h.shown[p.ID] = true
	p.Text, _ = r.Body["content"].(string)
	p.Pings = h.pings(r.Body)
	p.In = h.tokens[token]
	if p.Op == chattest.Sent {
		h.where[p.ID] = confChannel
	}
	return p, true
}

var (
	userMention = regexp.MustCompile(`<@!?(\d+)>`)
	roleMention = regexp.MustCompile(`<@&(\d+)>`)
	massMention = regexp.MustCompile(`@(everyone|here)`)
)

// pings is whom Discord notifies for a message body: the mentions in its
// content that its allowed_mentions let through (everything, without
// them), and the author of the message it replies to when replied_user is
// set.
func (h *harness) pings(body map[string]any) []chat.Mention {
	content, _ := body["content"].(string)
	parse := []string{"users", "roles", "everyone"}
	var users, roles []string
	replied := true
	if am, ok := body["allowed_mentions"].(map[string]any); ok {
		parse, users, roles = strs(am["parse"]), strs(am["users"]), strs(am["roles"])
		replied, _ = am["replied_user"].(bool)
	}
	var out []chat.Mention
	for _, m := range userMention.FindAllStringSubmatch(content, -1) {
		if slices.Contains(parse, "users") || slices.Contains(users, m[1]) {
			out = append(out, chat.Mention{Kind: chat.MentionMember, ID: m[1]})
		}
	}
	for _, m := range roleMention.FindAllStringSubmatch(content, -1) {
		if slices.Contains(parse, "roles") || slices.Contains(roles, m[1]) {
			out = append(out, chat.Mention{Kind: chat.MentionGroup, ID: m[1]})
		}
	}
	if massMention.MatchString(content) && slices.Contains(parse, "everyone") {
		out = append(out, chat.Mention{Kind: chat.MentionEveryone})
	}
	if ref, ok := body["message_reference"].(map[string]any); ok && replied {
		id, _ := ref["message_id"].(string)
		if author := h.authors[id]; author != "" {
			out = append(out, chat.Mention{Kind: chat.MentionMember, ID: author})
		}
	}
	return out
}

func strs(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
