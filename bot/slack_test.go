package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/docent-bot/docent/adapters/slack"
	"github.com/docent-bot/docent/adapters/slack/slacktest"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// announceIntents holds an answer that would notify a whole channel if it
// reached Slack as written.
const announceIntents = `intents:
  - name: announce
    description: Announcing a release
    patterns: [make an announcement, announce the release, tell everyone, post the release news]
    responses: ["<!channel> @here v2 is out: **read the notes**."]
`

// slackMassMention is anything in a Slack message that notifies many.
var slackMassMention = regexp.MustCompile(`(?i)<!|<@S|[@＠](channel|here|everyone)`)

// TestSlackEndToEnd runs a real Bot with its Slack adapter against a fake
// Slack over Socket Mode: a mention is answered in its thread through the
// router, brain and store; a retried event is answered once; an answer
// holding <!channel> reaches Slack neutralised; a 👍 click on an answer is
// stored against it.
func TestSlackEndToEnd(t *testing.T) {
	f := slacktest.New(t)
	t.Setenv("DOCENT_TEST_SLACK_BOT_TOKEN", slacktest.BotToken)
	t.Setenv("DOCENT_TEST_SLACK_APP_TOKEN", slacktest.AppToken)
	path := writeConfig(t, fmt.Sprintf(`adapters:
  slack:
    enabled: true
    bot_token: ${DOCENT_TEST_SLACK_BOT_TOKEN}
    app_token: ${DOCENT_TEST_SLACK_APP_TOKEN}
    api_url: %s
`, f.URL))
	write(t, filepath.Join(filepath.Dir(path), "intents", "announce.yaml"), announceIntents)
	b := openBot(t, path)
	runBot(t, b, platformAdapter(t, b, "slack"))
	ctx := context.Background()
	var err error

	c := f.Conn(t)
	var sent []string
	send := func(env map[string]any) {
		t.Helper()
		sent = append(sent, env["envelope_id"].(string))
		if err := c.WriteJSON(env); err != nil {
			t.Fatal(err)
		}
	}
	const question = "1700000000.000100"
	thread := chat.Conversation{Platform: "slack", Channel: "C1", Thread: question}
	mention := func(ts, text string) map[string]any {
		return map[string]any{"type": "app_mention", "user": "U1", "text": "<@" + slacktest.BotUserID + "> " + text,
			"ts": ts, "event_ts": ts, "channel": "C1"}
	}
	postIn := func(n int, threadTS string) slacktest.Call {
		t.Helper()
		var found []slacktest.Call
		waitFor(t, fmt.Sprintf("%d answers in thread %s", n, threadTS), func() bool {
			found = found[:0]
			for _, p := range f.Calls("chat.postMessage") {
				if p.Get("channel") == "C1" && p.Get("thread_ts") == threadTS {
					found = append(found, p)
				}
			}
			return len(found) >= n
		})
		return found[n-1]
	}

	t.Log("a mention is answered in its thread")
	send(slacktest.Envelope("env-1", "Ev1", mention(question, "how do I report a bug?")))
	post := postIn(1, question)
	if !strings.Contains(post.Get("text"), "File it at") || !strings.Contains(post.Get("text"), "https://example.org/issues") {
		t.Errorf("answer = %q, want the report_bug response", post.Get("text"))
	}

	t.Log("the same event again (Slack retries) is not answered again")
	send(slacktest.Envelope("env-1-retry", "Ev1", mention(question, "how do I report a bug?")))
	// A follow-up in the same thread, queued after the retry: once it is
	// answered, the retry would have been too.
	send(slacktest.Envelope("env-2", "Ev2", map[string]any{"type": "message", "channel": "C1", "channel_type": "channel",
		"user": "U1", "ts": "1700000001.000100", "thread_ts": question, "text": "how do I install it?"}))
	if follow := postIn(2, question); !strings.Contains(follow.Get("text"), "https://example.org/docs") {
		t.Errorf("follow-up answered %q, want the install response", follow.Get("text"))
	}
	var recs []store.Record
	waitFor(t, "the follow-up's answer stored", func() bool {
		if recs, err = b.store.Conversation(ctx, thread, 0); err != nil {
			t.Fatal(err)
		}
		return len(recs) >= 4
	})
	var questions, answers int
	var answer store.Record
	for _, r := range recs {
		switch r.Kind {
		case store.KindAnswer:
			answers++
			if r.PlatformID == post.TS {
				answer = r
			}
		default:
			questions++
		}
	}
	if questions != 2 || answers != 2 {
		t.Errorf("thread holds %d questions and %d answers, want 2 and 2 (the retry not taken)", questions, answers)
	}
	if answer.ID == 0 || answer.Intent != "report_bug" {
		t.Fatalf("stored answer with Slack ts %s: %+v, want the report_bug answer", post.TS, answer)
	}

	t.Log("an answer holding <!channel> and @here reaches Slack neutralised")
	send(slacktest.Envelope("env-3", "Ev3", mention("1700000002.000100", "make an announcement")))
	loud := postIn(1, "1700000002.000100")
	for _, text := range append([]string{loud.Get("text")}, blockTexts(t, loud.Get("blocks"))...) {
		if m := slackMassMention.FindString(text); m != "" {
			t.Errorf("announcement %q still notifies with %q", text, m)
		}
	}
	if !strings.Contains(loud.Get("text"), "v2 is out") || loud.Get("link_names") != "false" {
		t.Errorf("announcement text %q link_names %q, want the announce response with link_names=false", loud.Get("text"), loud.Get("link_names"))
	}

	t.Log("a 👍 click on the answer is stored against it")
	blockID, actionID := button(t, post.Get("blocks"), "👍")
	send(map[string]any{"envelope_id": "int-1", "type": "interactive", "accepts_response_payload": false,
		"payload": map[string]any{"type": "block_actions", "user": map[string]any{"id": "U2", "name": "bo"},
			"trigger_id": "trig-1", "channel": map[string]any{"id": "C1"},
			"container": map[string]any{"type": "message", "message_ts": post.TS, "channel_id": "C1"},
			"message":   map[string]any{"ts": post.TS, "thread_ts": question},
			"actions": []any{map[string]any{"action_id": actionID, "block_id": blockID, "type": "button",
				"value": "up", "action_ts": "1700000003.000100"}}}})
	var votes []store.Vote
	waitFor(t, "the vote stored", func() bool {
		if votes, err = b.store.Feedback(ctx, answer.ID); err != nil {
			t.Fatal(err)
		}
		return len(votes) > 0
	})
	if v := votes[0]; len(votes) != 1 || v.Vote != chat.VoteUp || v.Member.ID != "U2" || v.AnswerID != answer.ID {
		t.Errorf("votes on the answer = %+v, want one 👍 by U2", votes)
	}

	acked := map[string]bool{}
	for len(acked) < len(sent) {
		select {
		case id := <-f.Acks:
			acked[id] = true
		case <-time.After(5 * time.Second):
			t.Fatalf("acknowledged %v, sent %v", acked, sent)
		}
	}
}

// blockTexts returns every "text" string in a Block Kit JSON array.
func blockTexts(t *testing.T, blocks string) []string {
	t.Helper()
	var out []string
	walkBlocks(t, blocks, func(m map[string]any) {
		if s, ok := m["text"].(string); ok {
			out = append(out, s)
		}
	})
	return out
}

// button returns the block_id and action_id of the button labelled label
// in the blocks the adapter posted, as Slack sends them back on a click.
func button(t *testing.T, blocks, label string) (blockID, actionID string) {
	t.Helper()
	walkBlocks(t, blocks, func(m map[string]any) {
		if m["type"] != "actions" {
			return
		}
		for _, e := range m["elements"].([]any) {
			el := e.(map[string]any)
			if txt, _ := el["text"].(map[string]any); el["type"] == "button" && txt["text"] == label {
				blockID, actionID = m["block_id"].(string), el["action_id"].(string)
			}
		}
	})
	if actionID == "" {
		t.Fatalf("no %s button in blocks %s", label, blocks)
	}
	return blockID, actionID
}

func walkBlocks(t *testing.T, blocks string, visit func(map[string]any)) {
	t.Helper()
	if blocks == "" {
		return
	}
	var v any
	if err := json.Unmarshal([]byte(blocks), &v); err != nil {
		t.Fatalf("blocks %q: %v", blocks, err)
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			visit(v)
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
}

// TestSlackEmptyMessages: a bare mention, a DM of spaces and a file shared
// without words each get a short prompt to ask, in place; and a message the
// bot leaves unanswered (rate limited, after the notice) loses its 👀
// reaction instead of keeping it forever.
func TestSlackEmptyMessages(t *testing.T) {
	f := slacktest.New(t)
	t.Setenv("DOCENT_TEST_SLACK_BOT_TOKEN", slacktest.BotToken)
	t.Setenv("DOCENT_TEST_SLACK_APP_TOKEN", slacktest.AppToken)
	cfg, err := LoadConfig(writeConfig(t, fmt.Sprintf(`adapters:
  slack:
    enabled: true
    bot_token: ${DOCENT_TEST_SLACK_BOT_TOKEN}
    app_token: ${DOCENT_TEST_SLACK_APP_TOKEN}
    api_url: %s
`, f.URL)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Bot.RateLimit = RateLimitConfig{MemberPerMinute: 1, MemberBurst: 1}
	b, err := Open(context.Background(), cfg, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	runBot(t, b, platformAdapter(t, b, "slack"))
	c := f.Conn(t)
	send := func(id string, ev map[string]any) {
		t.Helper()
		if err := c.WriteJSON(slacktest.Envelope("env-"+id, "Ev"+id, ev)); err != nil {
			t.Fatal(err)
		}
	}
	posted := func(channel, ts string) string {
		t.Helper()
		var text string
		waitFor(t, "an answer to "+channel+"/"+ts, func() bool {
			for _, p := range f.Calls("chat.postMessage") {
				if p.Get("channel") == channel && (p.Get("thread_ts") == ts || channel[0] == 'D') {
					text = p.Get("text")
					return true
				}
			}
			return false
		})
		return text
	}
	removed := func(ts string) {
		t.Helper()
		waitFor(t, "the 👀 taken off "+ts, func() bool {
			for _, r := range f.Calls("reactions.remove") {
				if r.Get("timestamp") == ts {
					return true
				}
			}
			return false
		})
	}
	const prompt = "Yes? Ask me a question"

	send("1", map[string]any{"type": "app_mention", "user": "U1", "text": "<@" + slacktest.BotUserID + ">",
		"ts": "1700000000.000100", "channel": "C1"})
	if got := posted("C1", "1700000000.000100"); !strings.HasPrefix(got, prompt) {
		t.Errorf("bare mention answered %q, want the prompt", got)
	}
	removed("1700000000.000100")
	send("2", map[string]any{"type": "message", "channel": "D2", "channel_type": "im", "user": "U2",
		"text": "   ", "ts": "1700000001.000100"})
	if got := posted("D2", ""); !strings.HasPrefix(got, prompt) {
		t.Errorf("DM of spaces answered %q, want the prompt", got)
	}
	send("3", map[string]any{"type": "message", "subtype": "file_share", "channel": "D3", "channel_type": "im", "user": "U3",
		"text": "", "ts": "1700000002.000100", "files": []any{map[string]any{"id": "F1", "name": "log.txt"}}})
	if got := posted("D3", ""); !strings.HasPrefix(got, prompt) {
		t.Errorf("file without words answered %q, want the prompt", got)
	}

	// U4's burst is 1: answered, told to slow down, then left unanswered.
	for i, ts := range []string{"1700000003.000100", "1700000004.000100", "1700000005.000100"} {
		send(fmt.Sprint(4+i), map[string]any{"type": "app_mention", "user": "U4",
			"text": "<@" + slacktest.BotUserID + "> how do I report a bug?", "ts": ts, "channel": "C4"})
	}
	removed("1700000005.000100")
}

// TestSlackMemberNamesAndAsk: {{.Member}} is the member's Slack display
// name, looked up once with users.info, and "there" only when Slack knows
// no name; `/docent ask` posts who asked what to the channel and answers
// in that post's thread.
func TestSlackMemberNamesAndAsk(t *testing.T) {
	f := slacktest.New(t)
	f.SetUser("U1", "Alice")
	c := runSlackBot(t, f)
	send := func(env map[string]any) {
		t.Helper()
		if err := c.WriteJSON(env); err != nil {
			t.Fatal(err)
		}
	}
	answerIn := func(ts string) string { t.Helper(); return answerInThread(t, f, "C1", ts) }
	hello := func(id, user, ts string) map[string]any {
		return slacktest.Envelope("env-"+id, "Ev"+id, map[string]any{"type": "app_mention", "user": user,
			"text": "<@" + slacktest.BotUserID + "> hello", "ts": ts, "channel": "C1"})
	}
	send(hello("1", "U1", "1700000000.000100"))
	if got := answerIn("1700000000.000100"); got != "Hello Alice!" {
		t.Errorf("greeting a member Slack knows: %q, want Hello Alice!", got)
	}
	send(hello("2", "U1", "1700000001.000100"))
	if got := answerIn("1700000001.000100"); got != "Hello Alice!" {
		t.Errorf("greeting them again: %q", got)
	}
	if n := len(f.Calls("users.info")); n != 1 {
		t.Errorf("users.info called %d times for one member, want 1 (cached)", n)
	}
	send(hello("3", "U9", "1700000002.000100"))
	if got := answerIn("1700000002.000100"); got != "Hello there!" {
		t.Errorf("greeting a member Slack has no name for: %q, want Hello there!", got)
	}

	send(map[string]any{"envelope_id": "cmd-1", "type": "slash_commands", "accepts_response_payload": true,
		"payload": map[string]any{"command": "/docent", "text": "ask how do I report a bug? <!channel>", "user_id": "U1",
			"user_name": "alice", "channel_id": "C1", "team_id": "T1", "trigger_id": "tr1"}})
	var root slacktest.Call
	waitFor(t, "the question posted", func() bool {
		for _, p := range f.Calls("chat.postMessage") {
			if p.Get("channel") == "C1" && p.Get("thread_ts") == "" {
				root = p
				return true
			}
		}
		return false
	})
	if want := "<@U1> asked: “how do I report a bug? &lt;!channel&gt;”"; root.Get("text") != want {
		t.Errorf("posted above the answer: %q, want %q", root.Get("text"), want)
	}
	if got := answerIn(root.TS); !strings.Contains(got, "https://example.org/issues") {
		t.Errorf("/docent ask answered %q in the question's thread, want the report_bug answer", got)
	}
}

// A member's name is looked up in their own queue, not at intake: while
// Slack takes its time over one member's users.info, another member is
// answered, and the first is answered by name once Slack replies.
func TestSlackNameLookupBlocksNobody(t *testing.T) {
	f := slacktest.New(t)
	f.SetUser("U1", "Alice")
	f.SetUser("U2", "Bo")
	release := f.HoldUser(t, "U1")
	c := runSlackBot(t, f)
	answerIn := func(ts string) string { t.Helper(); return answerInThread(t, f, "C1", ts) }
	for i, user := range []string{"U1", "U2"} {
		ev := slacktest.Envelope(fmt.Sprint("env-", i), fmt.Sprint("Ev", i), map[string]any{"type": "app_mention", "user": user,
			"text": "<@" + slacktest.BotUserID + "> hello", "ts": fmt.Sprintf("1700000000.00010%d", i), "channel": "C1"})
		if err := c.WriteJSON(ev); err != nil {
			t.Fatal(err)
		}
	}
	if got := answerIn("1700000000.000101"); got != "Hello Bo!" {
		t.Errorf("the second member, while Slack holds the first one's name: %q, want Hello Bo!", got)
	}
	for _, p := range f.Calls("chat.postMessage") {
		if p.Get("thread_ts") == "1700000000.000100" {
			t.Errorf("the first member was answered before Slack gave their name: %q", p.Get("text"))
		}
	}
	release()
	if got := answerIn("1700000000.000100"); got != "Hello Alice!" {
		t.Errorf("the first member, once Slack answered: %q, want Hello Alice!", got)
	}
}

// runSlackBot runs a Bot with its Slack adapter against f until the test
// ends, and returns the socket-mode connection to send events on.
func runSlackBot(t *testing.T, f *slacktest.Server) *websocket.Conn {
	t.Helper()
	t.Setenv("DOCENT_TEST_SLACK_BOT_TOKEN", slacktest.BotToken)
	t.Setenv("DOCENT_TEST_SLACK_APP_TOKEN", slacktest.AppToken)
	b := openBot(t, writeConfig(t, fmt.Sprintf(`adapters:
  slack:
    enabled: true
    bot_token: ${DOCENT_TEST_SLACK_BOT_TOKEN}
    app_token: ${DOCENT_TEST_SLACK_APP_TOKEN}
    api_url: %s
`, f.URL)))
	runBot(t, b, platformAdapter(t, b, "slack"))
	return f.Conn(t)
}

// answerInThread waits for Docent's post in a thread of channel and
// returns its text.
func answerInThread(t *testing.T, f *slacktest.Server, channel, ts string) string {
	t.Helper()
	var text string
	waitFor(t, "an answer in thread "+ts, func() bool {
		for _, p := range f.Calls("chat.postMessage") {
			if p.Get("channel") == channel && p.Get("thread_ts") == ts {
				text = p.Get("text")
				return true
			}
		}
		return false
	})
	return text
}

// TestSlackBurstSharesCommits: events taken from Slack together are stored
// together, as on Discord. One mention holds up intake (its Admit waits)
// while 100 others, from 100 members, queue behind it; once it is let go,
// the 100 share commits instead of taking one fsync each. A follow-up
// from another member in a thread the burst starts is still delivered
// after the mention that started it, and so taken as part of that thread.
func TestSlackBurstSharesCommits(t *testing.T) {
	const n = 100
	f := slacktest.New(t)
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
	cfg := slack.DefaultConfig()
	cfg.Enabled, cfg.BotToken, cfg.AppToken, cfg.APIURL = true, slacktest.BotToken, slacktest.AppToken, f.URL
	cfg.WorkingReaction = "" // no reactions.add calls to wait for
	tr := &http.Transport{}
	a, err := slack.New(cfg, slack.Options{Log: log, HTTPClient: &http.Client{Transport: tr}})
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
	c := f.Conn(t)
	send := func(i int, event map[string]any) {
		t.Helper()
		id := fmt.Sprint(i)
		if err := c.WriteJSON(slacktest.Envelope("env-"+id, "Ev"+id, event)); err != nil {
			t.Fatal(err)
		}
	}
	mention := func(i int, user, text string) map[string]any {
		ts := fmt.Sprintf("1700000000.%06d", i)
		return map[string]any{"type": "app_mention", "user": user, "text": "<@" + slacktest.BotUserID + "> " + text,
			"ts": ts, "event_ts": ts, "channel": "C1"}
	}
	send(0, mention(0, "U0", "hold"))
	<-holding
	send(1, mention(1, "U1", "start a thread"))
	send(2, map[string]any{"type": "message", "user": "U2", "text": "and on arm64?", "ts": "1700000001.000002",
		"thread_ts": "1700000000.000001", "event_ts": "1700000001.000002", "channel": "C1"})
	for i := 3; i < n+3; i++ {
		send(i, mention(i, fmt.Sprint("U", 1000+i), fmt.Sprintf("question %d", i)))
	}
	// Each envelope is acknowledged once delivered, so the acks cannot say
	// that the burst is queued: the adapter's count of events taken does.
	send(n+3, map[string]any{"type": "reaction_added", "user": "U9", "reaction": "tada", "item_user": "U9",
		"item": map[string]any{"type": "message", "channel": "C1", "ts": "1700000000.000001"}, "event_ts": "1700000002.000001"})
	for deadline := time.Now().Add(30 * time.Second); a.Taken() < n+4; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the burst was not all taken: %d of %d", a.Taken(), n+4)
		}
	}
	select {
	case id := <-f.Acks:
		t.Fatalf("envelope %s acknowledged while the intake is held, before its delivery", id)
	default:
	}
	start := st.WriteStats()
	unblock()
	var order []string
	for range n + 3 {
		select {
		case text := <-handled:
			order = append(order, text)
		case <-time.After(30 * time.Second):
			t.Fatalf("the burst was not all handled: %d of %d (the follow-up among them: %v)", len(order), n+3, slices.Contains(order, "and on arm64?"))
		}
	}
	// The router answers two members' messages in any order; that the
	// follow-up reached it at all says the mention was delivered first.
	if !slices.Contains(order, "and on arm64?") {
		t.Error("the follow-up in the thread the burst started was not delivered")
	}
	// Every envelope is acknowledged once delivered.
	for acked := map[string]bool{}; len(acked) < n+4; {
		select {
		case id := <-f.Acks:
			acked[id] = true
		case <-time.After(30 * time.Second):
			t.Fatalf("%d of %d envelopes acknowledged", len(acked), n+4)
		}
	}
	got := st.WriteStats()
	if w := got.Writes - start.Writes; w != n+2 {
		t.Errorf("%d writes, want %d (the burst's messages)", w, n+2)
	}
	if c := got.Commits - start.Commits; c > n/2 {
		t.Errorf("%d messages taken from Slack together took %d commits, want at most %d", n+2, c, n/2)
	} else {
		t.Logf("%d messages taken from Slack together took %d commits (%.2f fsyncs a message)", n+2, c, float64(c)/float64(n+2))
	}
}
