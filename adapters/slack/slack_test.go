package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/docent-bot/docent/adapters/slack/slacktest"
	"github.com/docent-bot/docent/chat"
)

// recordingInbox records what it is given and answers synchronously with
// what answer says.
type recordingInbox struct {
	answer func(ctx context.Context, m chat.Message, r chat.Responder)
	got    chan chat.Message
	votes  chan chat.Feedback
}

func newRecordingInbox(answer func(context.Context, chat.Message, chat.Responder)) *recordingInbox {
	return &recordingInbox{answer: answer, got: make(chan chat.Message, 100), votes: make(chan chat.Feedback, 100)}
}

func (in *recordingInbox) Deliver(ctx context.Context, m chat.Message, r chat.Responder) error {
	in.got <- m
	if in.answer != nil {
		in.answer(ctx, m, r)
	}
	return nil
}

func (in *recordingInbox) Feedback(_ context.Context, f chat.Feedback) error {
	in.votes <- f
	return nil
}

func (in *recordingInbox) next(t *testing.T) chat.Message {
	t.Helper()
	select {
	case m := <-in.got:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no message delivered")
		return chat.Message{}
	}
}

func message(channel, channelType, user, ts, threadTS, text string) map[string]any {
	ev := map[string]any{"type": "message", "channel": channel, "channel_type": channelType,
		"user": user, "ts": ts, "event_ts": ts, "text": text}
	if threadTS != "" {
		ev["thread_ts"] = threadTS
	}
	return ev
}

func slashCommand(id, text string) map[string]any {
	return map[string]any{"envelope_id": id, "type": "slash_commands", "accepts_response_payload": true,
		"payload": map[string]any{"command": "/docent", "text": text, "user_id": "U1", "user_name": "ann",
			"channel_id": "C1", "team_id": "T1", "trigger_id": "tr1", "response_url": "http://example.invalid/r"}}
}

// hostile is an answer that tries every way of notifying many people.
const hostile = "Hi <!channel> <!here> <!everyone> <!subteam^S123|@devs> @here @channel @everyone ＠here **bold** [docs](https://go.dev)"

var massMention = regexp.MustCompile(`(?i)<!|<@S|[@＠](channel|here|everyone)`)

func assertHarmless(t *testing.T, what string, form slacktest.Call) {
	t.Helper()
	text := form.Get("text")
	if m := massMention.FindString(text); m != "" {
		t.Errorf("%s text %q still holds a mass mention %q", what, text, m)
	}
	if b := form.Get("blocks"); b != "" {
		for _, bt := range blockTexts(t, b) {
			if m := massMention.FindString(bt); m != "" {
				t.Errorf("%s block text %q still holds a mass mention %q", what, bt, m)
			}
		}
	}
	if form.Get("link_names") != "false" {
		t.Errorf("%s sent link_names=%q, want false", what, form.Get("link_names"))
	}
	if !strings.Contains(text, "*bold*") || !strings.Contains(text, "<https://go.dev|docs>") {
		t.Errorf("%s text %q lost its formatting", what, text)
	}
}

// blockTexts returns every "text" string in a blocks JSON array.
func blockTexts(t *testing.T, blocks string) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(blocks), &v); err != nil {
		t.Fatalf("blocks %q: %v", blocks, err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "text" {
					out = append(out, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return out
}

// assertButtons checks that a message carries the answer's text and the
// feedback buttons, or none when want is false.
func assertButtons(t *testing.T, what string, form slacktest.Call, want bool) {
	t.Helper()
	b := form.Get("blocks")
	if !want {
		if b != "" {
			t.Errorf("%s has blocks %s, want none", what, b)
		}
		return
	}
	texts := blockTexts(t, b)
	if !slices.Contains(texts, form.Get("text")) || !slices.Contains(texts, "👍") || !slices.Contains(texts, "👎") ||
		!strings.Contains(b, actionVoteUp) || !strings.Contains(b, actionVoteDown) {
		t.Errorf("%s blocks %s: want the text and 👍/👎 buttons", what, b)
	}
}

func TestSocketMode(t *testing.T) {
	f := slacktest.New(t)
	cfg := DefaultConfig()
	cfg.Enabled = true
	cfg.BotToken, cfg.AppToken = slacktest.BotToken, slacktest.AppToken
	cfg.HelpChannels = []string{"CHELP"}
	cfg.DenyChannels = []string{"CDENY"}
	cfg.APIURL = f.URL
	a, err := New(cfg, Options{CommandPrefix: "!"})
	if err != nil {
		t.Fatal(err)
	}
	longCode := "```\n" + strings.Repeat("fmt.Println(\"a line of code\")\n", 300) + "```"
	barrier := make(chan struct{})
	inbox := newRecordingInbox(func(ctx context.Context, m chat.Message, r chat.Responder) {
		var err error
		switch m.Text {
		case "barrier":
			select {
			case <-barrier:
			case <-ctx.Done():
			}
		case "how do I **x**?":
			_, err = r.Reply(ctx, chat.Answer{Text: hostile})
		case "stream please":
			var sent chat.Sent
			sent, err = r.Reply(ctx, chat.Answer{Text: "Thinking…", Draft: true})
			if err == nil {
				err = chat.Editor(r.(*responder)).Edit(ctx, sent, chat.Answer{Text: hostile})
			}
		case "long please":
			_, err = r.Reply(ctx, chat.Answer{Text: "Here:\n" + longCode})
		case "!help", "what is go?":
			_, err = r.Reply(ctx, chat.Answer{Text: "only for you " + hostile, Ephemeral: true})
		}
		if err != nil {
			t.Errorf("reply to %q: %v", m.Text, err)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- a.Run(ctx, inbox) }()
	var c *websocket.Conn
	select {
	case c = <-f.Conns:
	case err := <-runErr:
		t.Fatalf("Run: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no socket mode connection")
	}
	var sentEnvelopes []string
	send := func(env map[string]any) {
		t.Helper()
		sentEnvelopes = append(sentEnvelopes, env["envelope_id"].(string))
		if err := c.WriteJSON(env); err != nil {
			t.Fatal(err)
		}
	}

	// A mention: delivered without the mention, answered in its thread,
	// harmlessly, with the working reaction on and off.
	mention := map[string]any{"type": "app_mention", "user": "U1", "text": "<@UBOT> how do I **x**?",
		"ts": "1700000000.000100", "channel": "C1", "event_ts": "1700000000.000100"}
	send(slacktest.Envelope("env-1", "Ev1", mention))
	m := inbox.next(t)
	want := chat.Message{ID: "1700000000.000100", Text: "how do I **x**?", Mentioned: true,
		Conversation: chat.Conversation{Platform: "slack", Channel: "C1", Thread: "1700000000.000100"}, Space: "T1",
		Author: chat.Member{ID: "U1"}, Time: time.Unix(1700000000, 100000), Roles: []string{"S1"}}
	if !m.Time.Equal(want.Time) {
		t.Errorf("time %v, want %v", m.Time, want.Time)
	}
	m.Time = want.Time
	if !reflect.DeepEqual(m, want) {
		t.Errorf("delivered %+v\nwant %+v", m, want)
	}
	post := f.WaitCalls(t, "chat.postMessage", 1)[0]
	if post.Get("channel") != "C1" || post.Get("thread_ts") != "1700000000.000100" {
		t.Errorf("posted to %s thread %q, want C1 thread 1700000000.000100", post.Get("channel"), post.Get("thread_ts"))
	}
	assertHarmless(t, "chat.postMessage", post)
	assertButtons(t, "the answer", post, true)
	for _, form := range []string{"reactions.add", "reactions.remove"} {
		r := f.WaitCalls(t, form, 1)[0]
		if r.Get("name") != "eyes" || r.Get("channel") != "C1" || r.Get("timestamp") != "1700000000.000100" {
			t.Errorf("%s: %v", form, r)
		}
	}

	// The same event again (Slack retries): acknowledged, answered once.
	send(slacktest.Envelope("env-1-retry", "Ev1", mention))

	// A DM, a help-channel question, ignored messages, a follow-up.
	send(slacktest.Envelope("env-2", "Ev2", message("D1", "im", "U2", "1700000001.000100", "", "hello there")))
	send(slacktest.Envelope("env-3", "Ev3", message("CHELP", "channel", "U3", "1700000002.000100", "", "what is a goroutine")))
	send(slacktest.Envelope("env-4", "Ev4", message("CHELP", "channel", "U3", "1700000003.000100", "", "thanks all")))
	bot := message("CHELP", "channel", "U9", "1700000004.000100", "", "how?")
	bot["bot_id"] = "B9"
	send(slacktest.Envelope("env-5", "Ev5", bot))
	send(slacktest.Envelope("env-6", "Ev6", message("D1", "im", "UBOT", "1700000005.000100", "", "my own words?")))
	send(slacktest.Envelope("env-7", "Ev7", message("C1", "channel", "U4", "1700000006.000100", "1700000000.000100", "and then")))
	send(slacktest.Envelope("env-8", "Ev8", message("C1", "channel", "U4", "1700000007.000100", "1699999999.000100", "other thread?")))
	send(slacktest.Envelope("env-9", "Ev9", message("C1", "channel", "U4", "1700000008.000100", "", "why not?")))
	send(slacktest.Envelope("env-10", "Ev10", message("CDENY", "channel", "U4", "1700000009.000100", "", "<@UBOT> hi")))
	deny := map[string]any{"type": "app_mention", "user": "U1", "text": "<@UBOT> hi", "ts": "1700000009.000200", "channel": "CDENY"}
	send(slacktest.Envelope("env-11", "Ev11", deny))
	// Intake hands different conversations over at once, in rounds: the
	// barrier holds up the round it is in, which holds every event sent
	// before it (or an earlier round has), so the sentinel, sent once the
	// barrier is delivered, comes in a later round: when it is delivered,
	// every event before it has been handled, the ignored ones too.
	send(slacktest.Envelope("env-12", "Ev12", message("D1", "im", "U2", "1700000010.000050", "", "barrier")))
	var got []string
	record := func(m chat.Message) {
		got = append(got, fmt.Sprintf("%s%v %s/%s dm=%t %q", m.Author.ID, m.Roles, m.Conversation.Channel, m.Conversation.Thread, m.Direct, m.Text))
	}
	for m := inbox.next(t); ; m = inbox.next(t) {
		record(m)
		if m.Text == "barrier" {
			break
		}
	}
	send(slacktest.Envelope("env-12b", "Ev12b", message("D1", "im", "U2", "1700000010.000100", "", "sentinel")))
	close(barrier)
	for m := inbox.next(t); ; m = inbox.next(t) {
		record(m)
		if m.Text == "sentinel" {
			break
		}
	}
	slices.Sort(got[:len(got)-1]) // one round's conversations come in any order
	wantGot := []string{
		`U2[] D1/1700000001.000100 dm=true "hello there"`,
		`U2[] D1/1700000010.000050 dm=true "barrier"`,
		`U3[] CHELP/1700000002.000100 dm=false "what is a goroutine"`,
		`U4[S1 S2] C1/1700000000.000100 dm=false "and then"`,
		`U2[] D1/1700000010.000100 dm=true "sentinel"`,
	}
	if strings.Join(got, "\n") != strings.Join(wantGot, "\n") {
		t.Errorf("delivered:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantGot, "\n"))
	}

	// Slash commands: acknowledged, delivered as commands or questions,
	// ephemeral answers to the member.
	send(slashCommand("cmd-1", "ask what is go?"))
	if m := inbox.next(t); m.Text != "what is go?" || !m.Mentioned || m.Conversation.Channel != "C1" || !slices.Equal(m.Roles, []string{"S1"}) {
		t.Errorf("/docent ask delivered %+v", m)
	}
	eph := f.WaitCalls(t, "chat.postEphemeral", 1)[0]
	if eph.Get("user") != "U1" || eph.Get("channel") != "C1" {
		t.Errorf("ephemeral to %s in %s, want U1 in C1", eph.Get("user"), eph.Get("channel"))
	}
	assertHarmless(t, "chat.postEphemeral", eph)
	assertButtons(t, "an ephemeral answer", eph, false)
	send(slashCommand("cmd-2", "help"))
	if m := inbox.next(t); m.Text != "!help" {
		t.Errorf("/docent help delivered %q", m.Text)
	}
	send(slashCommand("cmd-3", "why  how do I  test"))
	if m := inbox.next(t); m.Text != "!why how do I  test" {
		t.Errorf("/docent why delivered %q", m.Text)
	}

	// Streaming: the draft is edited into the final answer by chat.update.
	send(slacktest.Envelope("env-13", "Ev13", message("D1", "im", "U2", "1700000011.000100", "", "stream please")))
	inbox.next(t)
	upd := f.WaitCalls(t, "chat.update", 1)[0]
	posts := f.Calls("chat.postMessage")
	draft := posts[len(posts)-1]
	if draft.Get("text") != "Thinking…" || upd.Get("ts") == "" || upd.Get("channel") != "D1" {
		t.Errorf("draft %v, update %v", draft, upd)
	}
	assertHarmless(t, "chat.update", upd)
	assertButtons(t, "the draft", draft, false)
	assertButtons(t, "the final edit", upd, true)

	// A long answer: several messages in the thread, code blocks whole.
	before := len(f.Calls("chat.postMessage"))
	send(slacktest.Envelope("env-14", "Ev14", message("D1", "im", "U2", "1700000012.000100", "", "long please")))
	inbox.next(t)
	send(slacktest.Envelope("env-15", "Ev15", message("D1", "im", "U2", "1700000013.000100", "", "sentinel")))
	inbox.next(t)
	parts := f.Calls("chat.postMessage")[before:]
	if len(parts) < 3 {
		t.Fatalf("a %d-byte answer went out in %d messages", len(longCode), len(parts))
	}
	var lines int
	for i, p := range parts {
		text := p.Get("text")
		if len(text) > maxPart || strings.Count(text, "```")%2 != 0 || p.Get("thread_ts") != "1700000012.000100" {
			t.Errorf("part %d: %d bytes, %d fences, thread %q", i, len(text), strings.Count(text, "```"), p.Get("thread_ts"))
		}
		lines += strings.Count(text, "a line of code")
		assertButtons(t, fmt.Sprintf("part %d of %d", i+1, len(parts)), p, i == len(parts)-1)
	}
	if lines != 300 {
		t.Errorf("%d lines of code arrived, want 300", lines)
	}

	// Votes by reaction on Docent's answer; other reactions are not votes.
	answerTS := f.Calls("chat.postMessage")[0].TS
	reaction := func(typ, user, name, itemUser, ts string) map[string]any {
		return map[string]any{"type": typ, "user": user, "reaction": name, "item_user": itemUser,
			"item": map[string]any{"type": "message", "channel": "C1", "ts": ts}, "event_ts": "1700000020.000100"}
	}
	send(slacktest.Envelope("env-16", "Ev16", reaction("reaction_added", "U5", "heart", "UBOT", answerTS)))
	send(slacktest.Envelope("env-17", "Ev17", reaction("reaction_added", "U5", "+1", "U1", "1700000000.000100")))
	send(slacktest.Envelope("env-18", "Ev18", reaction("reaction_added", "U5", "+1::skin-tone-3", "UBOT", answerTS)))
	send(slacktest.Envelope("env-19", "Ev19", reaction("reaction_removed", "U5", "+1", "UBOT", answerTS)))
	send(slacktest.Envelope("env-20", "Ev20", reaction("reaction_added", "U6", "thumbsdown", "UBOT", answerTS)))
	send(map[string]any{"envelope_id": "int-1", "type": "interactive", "accepts_response_payload": false,
		"payload": buttonClick("U7", "bo", answerTS, actionVoteDown)})
	for _, want := range []chat.Feedback{
		{Member: chat.Member{ID: "U5"}, Vote: chat.VoteUp},
		{Member: chat.Member{ID: "U5"}, Vote: chat.VoteNone},
		{Member: chat.Member{ID: "U6"}, Vote: chat.VoteDown},
		{Member: chat.Member{ID: "U7", Name: "bo"}, Vote: chat.VoteDown},
	} {
		select {
		case fb := <-inbox.votes:
			want.AnswerID = answerTS
			want.Conversation = chat.Conversation{Platform: "slack", Channel: "C1", Thread: "1700000000.000100"}
			want.Time = fb.Time
			if fb != want {
				t.Errorf("vote %+v\nwant %+v", fb, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no vote %+v", want)
		}
	}
	if ug := f.WaitCalls(t, "usergroups.list", 1); len(ug) != 1 || ug[0].Get("include_users") != "true" {
		t.Errorf("usergroups.list calls %v, want one (refreshed every 5m) with include_users=true", ug)
	}

	// The 👎 click opened the reason form; submitting it brings the same
	// vote again with the reason, and an empty form brings nothing.
	open := f.WaitCalls(t, "views.open", 1)
	if len(open) != 1 || open[0].Get("trigger_id") != "trig-U7" {
		t.Fatalf("views.open calls %v, want one with the click's trigger_id", open)
	}
	var view struct {
		Type            string `json:"type"`
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
		Blocks          []struct {
			Type     string `json:"type"`
			Optional bool   `json:"optional"`
			Label    struct {
				Text string `json:"text"`
			} `json:"label"`
			Element struct {
				Type      string `json:"type"`
				ActionID  string `json:"action_id"`
				Multiline bool   `json:"multiline"`
			} `json:"element"`
		} `json:"blocks"`
	}
	viewJSON := open[0].Get("view")
	if err := json.Unmarshal([]byte(viewJSON), &view); err != nil {
		t.Fatalf("views.open view %s: %v", viewJSON, err)
	}
	if view.Type != "modal" || view.CallbackID != reasonCallbackID || len(view.Blocks) != 1 ||
		view.Blocks[0].Type != "input" || !view.Blocks[0].Optional || view.Blocks[0].Label.Text != "What was wrong?" ||
		view.Blocks[0].Element.Type != "plain_text_input" || !view.Blocks[0].Element.Multiline {
		t.Errorf("views.open view %s: want a modal with one optional plain text input \"What was wrong?\"", viewJSON)
	}
	submit := func(id, reason string) map[string]any {
		return map[string]any{"envelope_id": id, "type": "interactive", "accepts_response_payload": true,
			"payload": map[string]any{"type": "view_submission", "user": map[string]any{"id": "U7", "name": "bo"},
				"view": map[string]any{"id": "V1", "type": "modal", "callback_id": reasonCallbackID,
					"private_metadata": view.PrivateMetadata,
					"state": map[string]any{"values": map[string]any{reasonBlockID: map[string]any{
						view.Blocks[0].Element.ActionID: map[string]any{"type": "plain_text_input", "value": reason}}}}}}}
	}
	send(submit("view-1", "  "))
	send(submit("view-2", " It is about Go 1.21, not 1.26. "))
	select {
	case fb := <-inbox.votes:
		want := chat.Feedback{AnswerID: answerTS, Member: chat.Member{ID: "U7", Name: "bo"}, Vote: chat.VoteDown,
			Reason:       "It is about Go 1.21, not 1.26.",
			Conversation: chat.Conversation{Platform: "slack", Channel: "C1", Thread: "1700000000.000100"}, Time: fb.Time}
		if fb != want {
			t.Errorf("reason %+v\nwant %+v", fb, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no feedback from the submitted reason")
	}

	// Every envelope acknowledged (before the disconnect drops a pending one).
	acked := map[string]bool{}
	deadline := time.After(5 * time.Second)
	for len(acked) < len(sentEnvelopes) {
		select {
		case id := <-f.Acks:
			acked[id] = true
		case <-deadline:
			t.Fatalf("acked %v, sent %v", acked, sentEnvelopes)
		}
	}
	for _, id := range sentEnvelopes {
		if !acked[id] {
			t.Errorf("envelope %s not acknowledged", id)
		}
	}

	// Slack asks the client to reconnect: it does, and goes on.
	if err := c.WriteJSON(map[string]any{"type": "disconnect", "reason": "refresh_requested"}); err != nil {
		t.Fatal(err)
	}
	select {
	case c = <-f.Conns:
	case <-time.After(5 * time.Second):
		t.Fatal("no reconnection after a disconnect")
	}
	send(slacktest.Envelope("env-21", "Ev21", message("D1", "im", "U2", "1700000021.000100", "", "after reconnect")))
	if m := inbox.next(t); m.Text != "after reconnect" {
		t.Errorf("after reconnect delivered %q", m.Text)
	}

	select {
	case id := <-f.Acks:
		if id != "env-21" {
			t.Errorf("acknowledged %q after reconnecting, want env-21", id)
		}
	case <-time.After(5 * time.Second):
		t.Error("env-21 not acknowledged")
	}

	cancel()
	select {
	case err := <-runErr:
		if err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	select {
	case m := <-inbox.got:
		t.Errorf("unexpected extra delivery %+v", m)
	default:
	}
	waitNoGoroutines(t)
}

// waitNoGoroutines fails when goroutines of the adapter or of slack-go's
// socket mode are still running (after Run returned).
func waitNoGoroutines(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var left []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "slack-go/slack/socketmode") || strings.Contains(g, "adapters/slack.(*Adapter)") {
				left = append(left, g)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines left after Run returned:\n%s", strings.Join(left, "\n\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// buttonClick is the block_actions payload of a click on a feedback button.
func buttonClick(user, name, answerTS, action string) map[string]any {
	return map[string]any{"type": "block_actions", "user": map[string]any{"id": user, "name": name},
		"trigger_id": "trig-" + user,
		"channel":    map[string]any{"id": "C1"},
		"container":  map[string]any{"type": "message", "message_ts": answerTS, "channel_id": "C1"},
		"message":    map[string]any{"ts": answerTS, "thread_ts": "1700000000.000100"},
		"actions": []any{map[string]any{"action_id": action, "block_id": feedbackBlockID, "type": "button",
			"value": "x", "action_ts": "1700000030.000100"}}}
}

func TestSocketModeRefusedToken(t *testing.T) {
	f := slacktest.New(t)
	cfg := DefaultConfig()
	cfg.Enabled = true
	cfg.BotToken, cfg.AppToken = slacktest.BotToken, "xapp-wrong"
	cfg.APIURL = f.URL
	a, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = a.Run(ctx, newRecordingInbox(nil))
	if err == nil || ctx.Err() != nil || strings.Contains(err.Error(), "xapp-wrong") {
		t.Errorf("Run with a refused app token: %v (ctx %v)", err, ctx.Err())
	}
}

func sign(req *http.Request, secret string, body []byte, at time.Time) {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
}

func TestEventsAPI(t *testing.T) {
	f := slacktest.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Enabled = true
	cfg.Mode = ModeEvents
	cfg.BotToken, cfg.SigningSecret = slacktest.BotToken, "the-secret"
	cfg.APIURL = f.URL
	a, err := New(cfg, Options{Log: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	a.listener = ln
	inbox := newRecordingInbox(func(ctx context.Context, m chat.Message, r chat.Responder) {
		if _, err := r.Reply(ctx, chat.Answer{Text: hostile}); err != nil {
			t.Errorf("reply: %v", err)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- a.Run(ctx, inbox) }()

	base := "http://" + ln.Addr().String()
	postSigned := func(path, secret string, at time.Time, body []byte) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(string(body)))
		if path != EventsPath {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		sign(req, secret, body, at)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	event := func(id, text string) []byte {
		b, _ := json.Marshal(slacktest.Envelope("", id, map[string]any{"type": "app_mention", "user": "U1",
			"text": "<@UBOT> " + text, "ts": "1700000000.000" + id, "channel": "C1"})["payload"])
		return b
	}

	// Waits for Run to listen: the url_verification handshake.
	challenge := []byte(`{"token":"x","challenge":"ch-123","type":"url_verification"}`)
	if code, body := postSigned(EventsPath, "the-secret", time.Now(), challenge); code != 200 || body != "ch-123" {
		t.Fatalf("url_verification: %d %q", code, body)
	}
	if code, _ := postSigned(EventsPath, "wrong-secret", time.Now(), event("1", "forged")); code != http.StatusUnauthorized {
		t.Errorf("bad signature: status %d, want 401", code)
	}
	if code, _ := postSigned(EventsPath, "the-secret", time.Now().Add(-6*time.Minute), event("2", "replayed")); code != http.StatusUnauthorized {
		t.Errorf("6-minute-old timestamp: status %d, want 401", code)
	}
	cmd := []byte("command=%2Fdocent&text=help&user_id=U1&channel_id=C1")
	if code, _ := postSigned(CommandsPath, "wrong-secret", time.Now(), cmd); code != http.StatusUnauthorized {
		t.Errorf("bad signature on a command: status %d, want 401", code)
	}
	if code, _ := postSigned(EventsPath, "the-secret", time.Now(), event("3", "genuine?")); code != 200 {
		t.Errorf("good signature: status %d, want 200", code)
	}
	if code, _ := postSigned(EventsPath, "the-secret", time.Now(), event("3", "genuine?")); code != 200 {
		t.Errorf("retried event: status %d, want 200", code)
	}
	if code, _ := postSigned(CommandsPath, "the-secret", time.Now(), cmd); code != 200 {
		t.Errorf("good command: status %d, want 200", code)
	}
	if m := inbox.next(t); m.Text != "genuine?" || !m.Mentioned {
		t.Errorf("delivered %+v, want the genuine mention", m)
	}
	if m := inbox.next(t); m.Text != "!help" {
		t.Errorf("delivered %+v, want the command", m)
	}
	for _, post := range f.WaitCalls(t, "chat.postMessage", 3) {
		if post.Get("text") == "<@U1> used /docent help" { // who ran the command, above its answer
			continue
		}
		assertHarmless(t, "chat.postMessage", post)
	}
	click, _ := json.Marshal(buttonClick("U8", "cy", "1700000000.000300", actionVoteUp))
	form := []byte(url.Values{"payload": {string(click)}}.Encode())
	if code, _ := postSigned(InteractivePath, "wrong-secret", time.Now(), form); code != http.StatusUnauthorized {
		t.Errorf("bad signature on a click: status %d, want 401", code)
	}
	if code, _ := postSigned(InteractivePath, "the-secret", time.Now(), form); code != 200 {
		t.Errorf("good click: status %d, want 200", code)
	}
	select {
	case fb := <-inbox.votes:
		if fb.Member.ID != "U8" || fb.Vote != chat.VoteUp || fb.AnswerID != "1700000000.000300" || fb.Conversation.Channel != "C1" {
			t.Errorf("vote %+v", fb)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no vote from the click")
	}
	cancel()
	select {
	case err := <-runErr:
		if err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	select {
	case m := <-inbox.got:
		t.Errorf("unexpected delivery %+v", m)
	default:
	}
	waitNoGoroutines(t)
}

// lockedBuffer collects log output written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex // guards b
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestUserGroupsUnavailable: without the usergroups:read scope, or with the
// lookup off, messages are delivered without roles, and a refused lookup
// is logged once.
func TestUserGroupsUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name      string
		refresh   time.Duration
		groupsErr string
		calls     int
	}{
		{"missing scope", DefaultUsergroupsRefresh, "missing_scope", 1},
		{"off", 0, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := slacktest.New(t)
			f.SetUsergroupsError(tc.groupsErr)
			cfg := DefaultConfig()
			cfg.Enabled = true
			cfg.BotToken, cfg.AppToken = slacktest.BotToken, slacktest.AppToken
			cfg.UsergroupsRefresh = tc.refresh
			cfg.APIURL = f.URL
			var logs lockedBuffer
			a, err := New(cfg, Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			inbox := newRecordingInbox(nil)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			runErr := make(chan error, 1)
			go func() { runErr <- a.Run(ctx, inbox) }()
			var c *websocket.Conn
			select {
			case c = <-f.Conns:
			case err := <-runErr:
				t.Fatalf("Run: %v", err)
			case <-time.After(5 * time.Second):
				t.Fatal("no socket mode connection")
			}
			for i, text := range []string{"first", "second"} {
				ts := fmt.Sprintf("1700000000.00010%d", i)
				c.WriteJSON(slacktest.Envelope(fmt.Sprintf("env-%d", i), "Ev"+ts, map[string]any{"type": "app_mention", "user": "U1",
					"text": "<@UBOT> " + text, "ts": ts, "channel": "C1"}))
				if m := inbox.next(t); m.Text != text || m.Roles != nil {
					t.Errorf("delivered %q with roles %v, want %q without roles", m.Text, m.Roles, text)
				}
			}
			if n := len(f.Calls("usergroups.list")); n != tc.calls {
				t.Errorf("usergroups.list called %d times, want %d", n, tc.calls)
			}
			if n := strings.Count(logs.String(), "usergroups:read"); n != tc.calls {
				t.Errorf("the refused lookup was logged %d times, want %d:\n%s", n, tc.calls, logs.String())
			}
			cancel()
			if err := <-runErr; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
}

// TestRateLimited: a chat.postMessage refused with 429, "ratelimited" and
// Retry-After is sent again after the wait, and the answer arrives once.
func TestRateLimited(t *testing.T) {
	f := slacktest.New(t)
	f.RateLimit(1)
	cfg := DefaultConfig()
	cfg.Enabled = true
	cfg.BotToken, cfg.AppToken = slacktest.BotToken, slacktest.AppToken
	cfg.APIURL = f.URL
	a, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	replied := make(chan error, 1)
	inbox := newRecordingInbox(func(ctx context.Context, m chat.Message, r chat.Responder) {
		_, err := r.Reply(ctx, chat.Answer{Text: "after the wait"})
		replied <- err
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- a.Run(ctx, inbox) }()
	c := f.Conn(t)
	c.WriteJSON(slacktest.Envelope("env-1", "Ev1", map[string]any{"type": "app_mention", "user": "U1",
		"text": "<@UBOT> busy?", "ts": "1700000000.000100", "channel": "C1"}))
	inbox.next(t)
	start := time.Now()
	posts := f.WaitCalls(t, "chat.postMessage", 1)
	// The fake records a call when it arrives; the reply returns after
	// its response: wait for that before the test cancels the adapter.
	select {
	case err := <-replied:
		if err != nil {
			t.Errorf("reply: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the reply did not return")
	}
	if wait := time.Since(start); wait < 500*time.Millisecond {
		t.Errorf("answer sent again after %v, want after Retry-After (1s)", wait)
	}
	limited := f.Calls("429 chat.postMessage")
	if len(limited) != 1 || len(posts) != 1 {
		t.Fatalf("%d refused and %d accepted chat.postMessage calls, want 1 and 1", len(limited), len(posts))
	}
	for _, p := range []slacktest.Call{limited[0], posts[0]} {
		if p.Get("text") != "after the wait" || p.Get("thread_ts") != "1700000000.000100" {
			t.Errorf("chat.postMessage text %q thread %q", p.Get("text"), p.Get("thread_ts"))
		}
	}
	cancel()
	if err := <-runErr; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestQueuedEventsDeliveredAtShutdown: events Slack was told were taken
// (200) and still queued when Docent stops are delivered before Run
// returns, not dropped.
func TestQueuedEventsDeliveredAtShutdown(t *testing.T) {
	f := slacktest.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Enabled, cfg.Mode = true, ModeEvents
	cfg.BotToken, cfg.SigningSecret, cfg.APIURL = slacktest.BotToken, "the-secret", f.URL
	a, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a.listener = ln
	started, release := make(chan struct{}), make(chan struct{})
	inbox := newRecordingInbox(func(ctx context.Context, m chat.Message, r chat.Responder) {
		if m.Text == "first" {
			close(started)
			<-release
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- a.Run(ctx, inbox) }()
	post := func(id, text string) int {
		t.Helper()
		body, _ := json.Marshal(slacktest.Envelope("", "Ev"+id, map[string]any{"type": "app_mention", "user": "U1",
			"text": "<@UBOT> " + text, "ts": "1700000000.0001" + id, "channel": "C1"})["payload"])
		req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+EventsPath, strings.NewReader(string(body)))
		sign(req, "the-secret", body, time.Now())
		resp, err := http.DefaultClient.Do(req) // waits in the listener's backlog until Run serves
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("00", "first"); code != http.StatusOK {
		t.Fatalf("first event: status %d", code)
	}
	<-started
	const queued = 8
	for i := range queued {
		if code := post(fmt.Sprintf("%02d", i+1), fmt.Sprint("queued ", i)); code != http.StatusOK {
			t.Fatalf("event %d: status %d, want 200 (taken)", i+1, code)
		}
	}
	cancel()
	close(release)
	select {
	case err := <-runErr:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if got := len(inbox.got); got != 1+queued {
		t.Errorf("%d of %d taken events delivered by the time Run returned", got, 1+queued)
	}
}
