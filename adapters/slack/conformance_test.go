package slack

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/docent-bot/docent/adapters/slack/slacktest"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/chat/chattest"
)

// TestConformance runs the adapter conformance suite against the fake
// Slack in socket mode: member U1 mentions Docent in channel C1, and the
// answers go in the thread of the question, with feedback buttons.
func TestConformance(t *testing.T) {
	chattest.TestAdapter(t, &harness{})
}

// harness runs the adapter against slacktest and reads the Web API calls
// it made as what Slack received.
type harness struct {
	f    *slacktest.Server
	conn *websocket.Conn

	mu   sync.Mutex        // guards the fields below
	n    int               // messages asked
	seen int               // calls already read
	in   map[string]string // message ts → the conversation it went to, for edits and votes
}

const confAsker = "U1"

func (h *harness) Start(t *testing.T, in chat.Inbox) chattest.Adapter {
	h.f = slacktest.New(t)
	h.in = map[string]string{}
	cfg := DefaultConfig()
	cfg.Enabled = true
	cfg.BotToken, cfg.AppToken, cfg.APIURL = slacktest.BotToken, slacktest.AppToken, h.f.URL
	cfg.WorkingReaction = ""
	cfg.UsergroupsRefresh = 0
	a, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
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
	h.conn = h.f.Conn(t)
	return a
}

func (h *harness) send(t *testing.T, v any) {
	if err := h.conn.WriteJSON(v); err != nil {
		t.Fatalf("write to the socket: %v", err)
	}
}

func (h *harness) Ask(t *testing.T, text string) string {
	h.mu.Lock()
	h.n++
	n := h.n
	h.mu.Unlock()
	ts := "1700000100." + strconv.Itoa(100000+n)
	h.send(t, slacktest.Envelope("env-c"+strconv.Itoa(n), "EvC"+strconv.Itoa(n), mention(ts, confAsker, text)))
	return "C1/" + ts
}

func (h *harness) AnnounceChannel() string { return "C9" }

// MaxText is Slack's advised limit on a message's text.
func (h *harness) MaxText() int { return 4000 }

func (h *harness) Vote(t *testing.T, p chattest.Post, v chat.Vote) {
	action := actionVoteUp
	if v == chat.VoteDown {
		action = actionVoteDown
	}
	h.mu.Lock()
	h.n++
	id := "int-c" + strconv.Itoa(h.n)
	h.mu.Unlock()
	channel, thread, _ := strings.Cut(p.In, "/")
	h.send(t, map[string]any{"envelope_id": id, "type": "interactive", "accepts_response_payload": false,
		"payload": map[string]any{"type": "block_actions", "user": map[string]any{"id": confAsker, "name": "ann"},
			"trigger_id": "trig-" + id, "channel": map[string]any{"id": channel},
			"container": map[string]any{"type": "message", "message_ts": p.ID, "channel_id": channel},
			"message":   map[string]any{"ts": p.ID, "thread_ts": thread},
			"actions": []any{map[string]any{"action_id": action, "block_id": feedbackBlockID, "type": "button",
				"value": "x", "action_ts": "1700000300.000100"}}}})
}

// Received reads the Web API calls made so far: the adapter returns from
// a reply once Slack answered, so they are all recorded.
func (h *harness) Received(t *testing.T) []chattest.Post {
	h.mu.Lock()
	defer h.mu.Unlock()
	all := h.f.All()
	calls := all[h.seen:]
	h.seen = len(all)
	var out []chattest.Post
	for _, c := range calls {
		p := chattest.Post{Text: c.Get("text")}
		channel := c.Get("channel")
		switch c.Method {
		case "chat.postMessage":
			p.Op, p.ID = chattest.Sent, c.TS
			p.In = channel
			if th := c.Get("thread_ts"); th != "" {
				p.In = channel + "/" + th
			}
			h.in[p.ID] = p.In
		case "chat.postEphemeral":
			p.Op, p.Only = chattest.Sent, c.Get("user")
			p.In = channel
			if th := c.Get("thread_ts"); th != "" {
				p.In = channel + "/" + th
			}
		case "chat.update":
			p.Op, p.ID, p.In = chattest.Edited, c.Get("ts"), h.in[c.Get("ts")]
		case "chat.delete":
			p.Op, p.ID, p.In = chattest.Deleted, c.Get("ts"), h.in[c.Get("ts")]
		default:
			continue // reactions, look-ups, opening a DM
		}
		if user, ok := cutDM(channel); ok {
			p.In, p.Only = "dm:"+user, user
		}
		p.Pings = pings(t, c)
		out = append(out, p)
	}
	return out
}

func cutDM(channel string) (string, bool) {
	if len(channel) > 1 && channel[0] == 'D' {
		return channel[1:], true
	}
	return "", false
}

var (
	specialMention = regexp.MustCompile(`<!(channel|here|everyone)(\|[^>]*)?>`)
	groupMention   = regexp.MustCompile(`<!subteam\^([A-Z0-9]+)(\|[^>]*)?>`)
	memberMention  = regexp.MustCompile(`<@([UW][A-Z0-9]+)(\|[^>]*)?>`)
	bareMention    = regexp.MustCompile(`(?i)@(channel|here|everyone)\b`)
)

// pings is whom Slack notifies for a message: the mentions written as
// Slack markup in its text and blocks, and the bare @channel, @here and
// @everyone when it is sent with link_names.
func pings(t *testing.T, c slacktest.Call) []chat.Mention {
	texts := []string{c.Get("text")}
	if b := c.Get("blocks"); b != "" {
		texts = append(texts, blockTexts(t, b)...)
	}
	var out []chat.Mention
	for _, text := range texts {
		for range specialMention.FindAllString(text, -1) {
			out = append(out, chat.Mention{Kind: chat.MentionEveryone})
		}
		for _, m := range groupMention.FindAllStringSubmatch(text, -1) {
			out = append(out, chat.Mention{Kind: chat.MentionGroup, ID: m[1]})
		}
		for _, m := range memberMention.FindAllStringSubmatch(text, -1) {
			out = append(out, chat.Mention{Kind: chat.MentionMember, ID: m[1]})
		}
		if ln := c.Get("link_names"); (ln == "true" || ln == "1") && bareMention.MatchString(text) {
			out = append(out, chat.Mention{Kind: chat.MentionEveryone})
		}
	}
	return out
}
