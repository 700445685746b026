package slack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/docent-bot/docent/adapters/internal/intake"
	"github.com/docent-bot/docent/chat"
)

// The signing secret of the fuzzed adapter, and what it knows: a thread it
// answers in, one of its answers (for votes), a help channel and a denied
// one.
const (
	fuzzSecret = "fuzz-secret"
	fuzzBot    = "UBOT"
	fuzzThread = "C1/1700000000.000100"
	fuzzAnswer = "C1/1700000900.000001"
	fuzzHelp   = "C3"
	fuzzDenied = "C4"
)

// fuzzPaths are the endpoints FuzzSlackEvents posts to; its first argument
// picks one (modulo their number).
var fuzzPaths = []string{EventsPath, CommandsPath, InteractivePath}

// How a fuzzed request is signed; the second argument picks one.
const (
	signedWell = iota
	signedNot
	signedWrongSecret
	signedTooLongAgo
	signings
)

// FuzzSlackEvents posts arbitrary bytes to the events mode HTTP endpoints,
// signed as Slack signs them (or not, or badly), and handles what the
// adapter queues as its worker would: no panic, no hang, a 2xx or 4xx
// answer, nothing accepted without a good signature, and whatever is
// delivered is a message or vote Docent can use.
//
// Socket Mode needs no target of its own: slack-go decodes its envelopes
// internally (socketmode's unexported parseEvent) with the same
// slackevents.ParseEvent, and the adapter handles what it gets with the
// same handle.
func FuzzSlackEvents(f *testing.F) {
	f.Fuzz(func(t *testing.T, endpoint, signing uint8, body []byte) {
		path := fuzzPaths[int(endpoint)%len(fuzzPaths)]
		how := int(signing) % signings
		code, in := postEvent(t, path, how, body)
		if code < 200 || code >= 500 || (code >= 300 && code < 400) {
			t.Fatalf("POST %s %q: status %d, want 2xx or 4xx", path, body, code)
		}
		refused := http.StatusUnauthorized
		if len(body) > maxRequestBytes {
			refused = http.StatusRequestEntityTooLarge // before the signature is checked
		}
		if (how != signedWell || len(body) > maxRequestBytes) && (code != refused || len(in.msgs) > 0 || len(in.votes) > 0) {
			t.Fatalf("POST %s %q signed %d: status %d, %d messages and %d votes delivered, want %d and none",
				path, body, how, code, len(in.msgs), len(in.votes), refused)
		}
		for _, m := range in.msgs {
			if err := checkMessage(m, len(body)); err != nil {
				t.Fatalf("POST %s %q delivered %+v: %v", path, body, m, err)
			}
		}
		for _, fb := range in.votes {
			if err := checkFeedback(fb); err != nil {
				t.Fatalf("POST %s %q delivered the vote %+v: %v", path, body, fb, err)
			}
		}
	})
}

// fuzzInbox records what the adapter delivers.
type fuzzInbox struct {
	mu    sync.Mutex // guards msgs and votes
	msgs  []chat.Message
	votes []chat.Feedback
}

func (in *fuzzInbox) Deliver(_ context.Context, m chat.Message, _ chat.Responder) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.msgs = append(in.msgs, m)
	return nil
}

func (in *fuzzInbox) Feedback(_ context.Context, f chat.Feedback) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.votes = append(in.votes, f)
	return nil
}

// okSlack answers every Web API call at once with {"ok": true}, without a
// network: a fuzz run makes hundreds of thousands of them.
type okSlack struct{}

func (okSlack) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"ok":true}`)), Request: r,
	}, nil
}

// postEvent posts body to path on a fresh adapter's events handler, signed
// as how says, handles what it queued, and returns the status and what was
// delivered. It fails the test when that is not all done within 5 s.
func postEvent(t *testing.T, path string, how int, body []byte) (int, *fuzzInbox) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Enabled, cfg.Mode = true, ModeEvents
	cfg.BotToken, cfg.SigningSecret = "xoxb-fuzz", fuzzSecret
	cfg.HelpChannels, cfg.DenyChannels = []string{fuzzHelp}, []string{fuzzDenied}
	// The user groups are a cache fetched in the background, nothing
	// decoded from the event; a delivery's wait for the first fetch races
	// it, which would make coverage vary from run to run of one input.
	cfg.UsergroupsRefresh = 0
	a, err := New(cfg, Options{HTTPClient: &http.Client{Transport: okSlack{}}})
	if err != nil {
		t.Fatal(err)
	}
	a.loggedIn(fuzzBot, "T1")
	a.threads.Put(fuzzThread, "")
	a.answers.Put(fuzzAnswer, "1700000000.000100")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	in := &fuzzInbox{}
	queue := intake.New(1, func(ctx context.Context, q incoming) { a.handle(ctx, in, q) })
	h := a.eventsHandler(ctx, queue)
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, path, bytes.NewReader(body))
	if path != EventsPath {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	switch how {
	case signedWell:
		sign(req, fuzzSecret, body, time.Now())
	case signedWrongSecret:
		sign(req, "wrong-secret", body, time.Now())
	case signedTooLongAgo:
		sign(req, fuzzSecret, body, time.Now().Add(-6*time.Minute))
	}
	done := make(chan string, 1)
	var code int
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Sprintf("panic: %v\n%s", p, debug.Stack())
			}
		}()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		code = rec.Code
		queue.Close()
		queue.Run(ctx) // handles what the request queued, if anything
		a.wg.Wait()    // reactions and user groups
		done <- ""
	}()
	select {
	case p := <-done:
		if p != "" {
			t.Fatalf("POST %s %q: %s", path, body, p)
		}
	case <-ctx.Done():
		t.Fatalf("POST %s %q: not handled within 5s", path, body)
	}
	return code, in
}

// checkMessage reports what makes m unusable by the bot: a field that is
// not UTF-8, no channel to answer in, no author, or text out of proportion
// to the body of n bytes it came from (decoding turns a bad byte into the
// 3 bytes of U+FFFD; a command adds its name). Text may be empty: a bare
// mention of Docent is delivered as one.
func checkMessage(m chat.Message, n int) error {
	if err := validUTF8(append([]string{m.ID, m.Conversation.Platform, m.Conversation.Channel, m.Conversation.Thread,
		m.Space, m.Author.ID, m.Author.Name, m.Text}, m.Roles...)...); err != nil {
		return err
	}
	switch {
	case m.Conversation.Platform != Platform:
		return fmt.Errorf("platform %q", m.Conversation.Platform)
	case m.Conversation.Channel == "":
		return fmt.Errorf("no channel")
	case m.Author.ID == "":
		return fmt.Errorf("no author")
	case len(m.Text) > 3*n+len("!help"):
		return fmt.Errorf("%d bytes of text from %d bytes of body", len(m.Text), n)
	case m.Time.IsZero():
		return fmt.Errorf("no time")
	}
	return nil
}

// checkFeedback reports what makes a vote unusable: a field that is not
// UTF-8, no answer, channel or member, an unknown vote or an overlong
// reason.
func checkFeedback(f chat.Feedback) error {
	if err := validUTF8(f.AnswerID, f.Conversation.Platform, f.Conversation.Channel, f.Conversation.Thread,
		f.Member.ID, f.Member.Name, f.Reason); err != nil {
		return err
	}
	switch {
	case f.Conversation.Platform != Platform:
		return fmt.Errorf("platform %q", f.Conversation.Platform)
	case f.Conversation.Channel == "":
		return fmt.Errorf("no channel")
	case f.AnswerID == "":
		return fmt.Errorf("no answer")
	case f.Member.ID == "":
		return fmt.Errorf("no member")
	case f.Vote != chat.VoteUp && f.Vote != chat.VoteDown && f.Vote != chat.VoteNone:
		return fmt.Errorf("vote %d", f.Vote)
	case len(f.Reason) > maxReason:
		return fmt.Errorf("a reason of %d bytes", len(f.Reason))
	}
	return nil
}

func validUTF8(fields ...string) error {
	for _, s := range fields {
		if !utf8.ValidString(s) {
			return fmt.Errorf("%q is not UTF-8", s)
		}
	}
	return nil
}

// Requests the fuzzer found, and ones too big for its corpus.

// postWell posts body to path signed with the fuzzed adapter's secret.
func postWell(t *testing.T, path, body string) (int, *fuzzInbox) {
	t.Helper()
	return postEvent(t, path, signedWell, []byte(body))
}

// A message, mention, command, vote or click without a channel names no
// place to answer in, or no answer: it was delivered all the same.
func TestEventsWithoutChannelAreIgnored(t *testing.T) {
	callback := func(event string) string {
		return `{"type":"event_callback","event_id":"Ev1","event":` + event + `}`
	}
	click := `{"type":"block_actions","user":{"id":"U8"},"actions":[{"action_id":"docent_vote_up","block_id":"docent_feedback","type":"button"}]}`
	for _, tc := range []struct{ path, body string }{
		{EventsPath, callback(`{"type":"message","channel_type":"im","user":"U1","text":"hi","ts":"1700000001.000100"}`)},
		{EventsPath, callback(`{"type":"app_mention","user":"U1","text":"<@UBOT> hi","ts":"1700000001.000100"}`)},
		{EventsPath, callback(`{"type":"reaction_added","user":"U1","reaction":"+1","item_user":"UBOT","item":{"type":"message"}}`)},
		{EventsPath, callback(`{"type":"reaction_added","user":"U1","reaction":"+1","item_user":"UBOT","item":{"type":"message","channel":"C1"}}`)},
		{CommandsPath, "command=%2Fdocent&text=ping&user_id=U1"},
		{InteractivePath, "payload=" + url.QueryEscape(click)},
	} {
		if code, in := postWell(t, tc.path, tc.body); code != http.StatusOK || len(in.msgs) > 0 || len(in.votes) > 0 {
			t.Errorf("POST %s %s: status %d, delivered %+v %+v", tc.path, tc.body, code, in.msgs, in.votes)
		}
	}
	// The same with the channel (and the answer's ts) are delivered.
	if _, in := postWell(t, EventsPath, callback(`{"type":"message","channel":"D1","channel_type":"im","user":"U1","text":"hi","ts":"1700000001.000100"}`)); len(in.msgs) != 1 {
		t.Errorf("a DM was not delivered")
	}
	if _, in := postWell(t, CommandsPath, "command=%2Fdocent&text=ping&user_id=U1&channel_id=C1"); len(in.msgs) != 1 {
		t.Errorf("a command was not delivered")
	}
	withChannel := strings.Replace(click, `"actions"`, `"container":{"channel_id":"C1","message_ts":"1700000900.000001"},"actions"`, 1)
	if _, in := postWell(t, InteractivePath, "payload="+url.QueryEscape(withChannel)); len(in.votes) != 1 {
		t.Errorf("a click was not delivered")
	}
}

// A command comes as a form, whose values may be any bytes: its text and
// the member's name reached the bot as they were, not UTF-8; a member or
// channel ID that is not UTF-8 is no Slack ID.
func TestCommandTextIsMadeUTF8(t *testing.T) {
	_, in := postWell(t, CommandsPath, "command=%2Fdocent&text=why+caf%C3%A9+%FF%FE&user_id=U1&user_name=a%C0n&channel_id=C1")
	if len(in.msgs) != 1 {
		t.Fatalf("delivered %d messages, want 1", len(in.msgs))
	}
	if m := in.msgs[0]; m.Text != "!why café \uFFFD" || m.Author.Name != "a\uFFFDn" {
		t.Errorf("delivered text %q by %q", m.Text, m.Author.Name)
	}
	for _, ids := range []string{"user_id=U%FF1&channel_id=C1", "user_id=U1&channel_id=C%FF1"} {
		if _, in := postWell(t, CommandsPath, "command=%2Fdocent&text=ping&"+ids); len(in.msgs) != 0 {
			t.Errorf("%s: delivered %+v", ids, in.msgs)
		}
	}
}

// Bodies far beyond what Slack sends: over the 1 MiB limit is refused
// unread with 413; nesting past encoding/json's depth limit is a bad
// event; a body just under the limit is delivered, no bigger.
func TestHugeAndDeepBodies(t *testing.T) {
	over := `{"type":"event_callback","event":{"type":"message","channel":"D1","channel_type":"im","user":"U1","ts":"1","text":"` +
		strings.Repeat("a", maxRequestBytes) + `"}}`
	for _, path := range fuzzPaths {
		if code, in := postWell(t, path, over); code != http.StatusRequestEntityTooLarge || len(in.msgs) > 0 {
			t.Errorf("POST %s of %d bytes: status %d, %d delivered", path, len(over), code, len(in.msgs))
		}
	}
	under := strings.Replace(over, strings.Repeat("a", 200), "", 1)
	if code, in := postWell(t, EventsPath, under); code != http.StatusOK || len(in.msgs) != 1 || len(in.msgs[0].Text) != maxRequestBytes-200 {
		t.Errorf("POST %s of %d bytes: status %d, %d delivered", EventsPath, len(under), code, len(in.msgs))
	}
	deep := `{"type":"event_callback","event":{"type":"message","channel":"D1","channel_type":"im","user":"U1","ts":"1","text":"hi","blocks":` +
		strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}}`
	if code, in := postWell(t, EventsPath, deep); code != http.StatusBadRequest || len(in.msgs) > 0 {
		t.Errorf("POST %s nested 100,000 deep: status %d, %d delivered", EventsPath, code, len(in.msgs))
	}
	form := "payload=" + url.QueryEscape(`{"type":"block_actions","user":{"id":"U8"},"actions":`+strings.Repeat("[", 100000)+strings.Repeat("]", 100000)+`}`)
	if code, in := postWell(t, InteractivePath, form); code != http.StatusBadRequest || len(in.votes) > 0 {
		t.Errorf("POST %s nested 100,000 deep: status %d, %d delivered", InteractivePath, code, len(in.votes))
	}
}
