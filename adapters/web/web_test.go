package web

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
)

func TestRenderShowsHTMLAsText(t *testing.T) {
	r := NewRenderer()
	for _, tc := range []struct {
		name, md   string
		want       []string
		notWant    []string
		wantLinkTo string
	}{
		{name: "inline script", md: "Try <script>window.__pwned=1</script> now",
			want: []string{"&lt;script&gt;window.__pwned=1&lt;/script&gt;"}, notWant: []string{"<script"}},
		{name: "html block", md: "<div onclick=\"x()\">\n<img src=x onerror=alert(1)>\n</div>",
			want: []string{"&lt;img src=x onerror=alert(1)&gt;"}, notWant: []string{"<img", "<div"}},
		{name: "javascript link", md: "[click](javascript:alert(1))", notWant: []string{"javascript:"}},
		{name: "code block", md: "```go\nfmt.Println(\"<b>\")\n```",
			want: []string{"<pre><code class=\"language-go\">", "&lt;b&gt;"}},
		{name: "autolink citation", md: "[1] Intents <https://example.org/docs#intents>",
			want: []string{`href="https://example.org/docs#intents"`, `rel="nofollow noreferrer noopener"`, `target="_blank"`}},
		{name: "bold and lists", md: "**yes**\n\n- one\n- two", want: []string{"<strong>yes</strong>", "<li>one</li>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := r.HTML(tc.md)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("HTML(%q) = %q, want it to contain %q", tc.md, got, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("HTML(%q) = %q, must not contain %q", tc.md, got, w)
				}
			}
		})
	}
}

func TestConfigProblems(t *testing.T) {
	for listen, ok := range map[string]bool{"127.0.0.1:8080": true, ":8080": true, "localhost:0": true, "[::1]:80": true,
		"8080": false, "example.org:80": false, "127.0.0.1:99999": false} {
		ps := Config{Enabled: true, Listen: listen}.Problems()
		if (len(ps) == 0) != ok {
			t.Errorf("listen %q: problems %v, want ok=%v", listen, ps, ok)
		}
	}
	if !Loopback("127.0.0.1:8080") || !Loopback("localhost:1") || Loopback(":8080") || Loopback("0.0.0.0:80") {
		t.Error("Loopback is wrong")
	}
}

// fakeInbox answers every message with its text in Markdown, as a draft
// then an edit, and records votes.
type fakeInbox struct {
	mu    sync.Mutex
	got   []chat.Message
	votes []chat.Feedback
}

func (f *fakeInbox) Deliver(ctx context.Context, m chat.Message, r chat.Responder) error {
	f.mu.Lock()
	f.got = append(f.got, m)
	f.mu.Unlock()
	go func() {
		sent, err := r.Reply(context.Background(), chat.Answer{Text: "draft", Draft: true, Source: chat.SourceLLM})
		if err != nil {
			return
		}
		ed, _ := chat.EditorOf(r)
		ed.Edit(context.Background(), sent, chat.Answer{Text: "You said: **" + m.Text + "**", Source: chat.SourceLLM})
	}()
	return nil
}

func (f *fakeInbox) Feedback(ctx context.Context, fb chat.Feedback) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.votes = append(f.votes, fb)
	return nil
}

func startAdapter(t *testing.T, inbox chat.Inbox) (string, *Adapter) {
	t.Helper()
	addr := make(chan net.Addr, 1)
	a := New(Config{Enabled: true, Listen: "127.0.0.1:0"}, Options{OnListen: func(x net.Addr) { addr <- x }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, inbox) }()
	var base string
	select {
	case x := <-addr:
		base = "http://" + x.String()
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("not listening after 5s")
	}
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
	return base, a
}

func TestChatRoundTripOverHTTP(t *testing.T) {
	inbox := &fakeInbox{}
	base, a := startAdapter(t, inbox)
	if !a.Connected() {
		t.Error("Connected() = false while serving")
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	page, err := client.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("page CSP = %q", csp)
	}
	events, err := client.Get(base + "/chat/events")
	if err != nil {
		t.Fatal(err)
	}
	defer events.Body.Close()
	post := func(path, body string) *http.Response {
		t.Helper()
		res, err := client.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := post("/chat/send", `{"text":"hi <b>there</b>"}`); res.StatusCode != http.StatusAccepted {
		t.Fatalf("send: %s", res.Status)
	}
	// Two events for one answer: the draft, then the edit, same ID.
	sc := bufio.NewScanner(events.Body)
	var shownEvents []shown
	for len(shownEvents) < 2 && sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var s shown
			if err := json.Unmarshal([]byte(data), &s); err != nil {
				t.Fatal(err)
			}
			shownEvents = append(shownEvents, s)
		}
	}
	if len(shownEvents) != 2 {
		t.Fatalf("events: %+v (%v)", shownEvents, sc.Err())
	}
	draft, final := shownEvents[0], shownEvents[1]
	if !draft.Draft || draft.Votable || final.Draft || !final.Votable || draft.ID != final.ID {
		t.Errorf("draft %+v then final %+v: want one answer drafted then edited", draft, final)
	}
	if want := "You said: <strong>hi &lt;b&gt;there&lt;/b&gt;</strong>"; !strings.Contains(final.HTML, want) {
		t.Errorf("final HTML %q lacks %q", final.HTML, want)
	}
	inbox.mu.Lock()
	m := inbox.got[0]
	inbox.mu.Unlock()
	if m.Conversation.Platform != Platform || m.Conversation.Channel == "" || m.Author.ID != m.Conversation.Channel || !m.Direct {
		t.Errorf("message delivered as %+v", m)
	}

	if res := post("/chat/feedback", `{"answer_id":"`+final.ID+`","vote":-1}`); res.StatusCode != http.StatusOK {
		t.Fatalf("vote: %s", res.Status)
	}
	if res := post("/chat/feedback", `{"answer_id":"w999-000000000000","vote":1}`); res.StatusCode != http.StatusNotFound {
		t.Errorf("vote on an answer not sent to this visitor: %s, want 404", res.Status)
	}
	if res := post("/chat/feedback", `{"answer_id":"`+final.ID+`","vote":7}`); res.StatusCode != http.StatusBadRequest {
		t.Errorf("vote 7: %s, want 400", res.Status)
	}
	inbox.mu.Lock()
	votes := inbox.votes
	inbox.mu.Unlock()
	if len(votes) != 1 || votes[0].Vote != chat.VoteDown || votes[0].AnswerID != final.ID || votes[0].Member.ID != m.Author.ID {
		t.Errorf("votes = %+v", votes)
	}

	// Another browser cannot vote on this visitor's answers.
	other := &http.Client{Timeout: 5 * time.Second}
	res, err := other.Post(base+"/chat/feedback", "application/json", strings.NewReader(`{"answer_id":"`+final.ID+`","vote":1}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("another visitor's vote: %s, want 404", res.Status)
	}

	// A post from another site is refused.
	req, _ := http.NewRequest("POST", base+"/chat/send", strings.NewReader(`{"text":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site post: %s, want 403", res.Status)
	}
}

// Run ends its event streams and returns promptly when ctx is done, even
// with a page still connected.
func TestShutdownEndsStreams(t *testing.T) {
	inbox := &fakeInbox{}
	addr := make(chan net.Addr, 1)
	a := New(Config{Enabled: true, Listen: "127.0.0.1:0"}, Options{OnListen: func(x net.Addr) { addr <- x }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, inbox) }()
	base := "http://" + (<-addr).String()
	res, err := http.Get(base + "/chat/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run still running 5s after cancel with a stream open")
	}
	if a.Connected() {
		t.Error("Connected() after Run returned")
	}
}

func TestPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := Config{Enabled: true, Listen: ln.Addr().String()}
	err = New(cfg, Options{}).Run(context.Background(), &fakeInbox{})
	if err == nil || !strings.Contains(err.Error(), "adapters.web.listen") {
		t.Errorf("Run on a taken port: %v, want an error naming adapters.web.listen", err)
	}
	if err := New(cfg, Options{Optional: true}).Run(context.Background(), &fakeInbox{}); err != nil {
		t.Errorf("optional Run on a taken port: %v, want nil", err)
	}
}

// quietInbox takes every message and answers none.
type quietInbox struct {
	mu  sync.Mutex
	got []chat.Message
}

func (q *quietInbox) Deliver(ctx context.Context, m chat.Message, r chat.Responder) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.got = append(q.got, m)
	return nil
}

func (q *quietInbox) last() chat.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.got[len(q.got)-1]
}

// serve sends one request through h with cookie (if not "") and returns
// the response and the visitor cookie it sets ("" when none).
func serve(t *testing.T, h http.Handler, method, path, cookie, body string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: visitorCookie, Value: cookie})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	for _, c := range res.Cookies() {
		if c.Name == visitorCookie {
			return res, c.Value
		}
	}
	return res, ""
}

// TestVisitorIDIsNotTheCookie: the ID history and exports show is not the
// session cookie, and setting someone's ID (or any value the server did
// not issue) as the cookie makes a new visitor, not them.
func TestVisitorIDIsNotTheCookie(t *testing.T) {
	inbox := &quietInbox{}
	h := New(Config{}, Options{}).Handler(inbox)
	_, cookie := serve(t, h, "GET", "/", "", "")
	if cookie == "" {
		t.Fatal("the page set no visitor cookie")
	}
	if res, _ := serve(t, h, "POST", "/chat/send", cookie, `{"text":"my backup fails"}`); res.StatusCode != http.StatusAccepted {
		t.Fatalf("send: %s", res.Status)
	}
	victim := inbox.last().Author.ID
	if victim == "" || strings.Contains(cookie, victim) || inbox.last().Conversation.Channel != victim {
		t.Fatalf("the cookie %q holds the public ID %q", cookie, victim)
	}
	// The same cookie is the same visitor.
	serve(t, h, "POST", "/chat/send", cookie, `{"text":"still me"}`)
	if got := inbox.last().Author.ID; got != victim {
		t.Errorf("the same cookie made visitor %q, then %q", victim, got)
	}
	flipped := cookie[:len(cookie)-1] + map[bool]string{true: "1", false: "0"}[strings.HasSuffix(cookie, "0")]
	for _, forged := range []string{victim, strings.Repeat("ab", 16), flipped} {
		res, fresh := serve(t, h, "POST", "/chat/send", forged, `{"text":"!export me"}`)
		if res.StatusCode != http.StatusAccepted {
			t.Fatalf("send with cookie %q: %s", forged, res.Status)
		}
		if got := inbox.last().Author.ID; got == victim {
			t.Errorf("cookie %q made the message the victim's", forged)
		}
		if fresh == "" || fresh == forged {
			t.Errorf("cookie %q: no new cookie issued (got %q)", forged, fresh)
		}
	}
}

// TestPageLoadsCostNothing: more cookie-less page loads and event streams
// than the visitor table holds take no place in it, and a new visitor can
// then still chat.
func TestPageLoadsCostNothing(t *testing.T) {
	inbox := &quietInbox{}
	a := New(Config{}, Options{})
	h := a.Handler(inbox)
	for range maxVisitors + 50 {
		if res, _ := serve(t, h, "GET", "/", "", ""); res.StatusCode != http.StatusOK {
			t.Fatalf("page: %s", res.Status)
		}
	}
	// An event stream whose page went away leaves nothing either.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("GET", "/chat/events", nil).WithContext(ctx)
	h.ServeHTTP(httptest.NewRecorder(), req)
	a.mu.Lock()
	n, w := len(a.visitors), len(a.watching)
	a.mu.Unlock()
	if n != 0 || w != 0 {
		t.Errorf("after page loads and a stream: %d visitors, %d watching; want none", n, w)
	}
	if res, _ := serve(t, h, "POST", "/chat/send", "", `{"text":"hello"}`); res.StatusCode != http.StatusAccepted {
		t.Errorf("a new visitor's message: %s, want 202", res.Status)
	}
}

// TestVisitorsEvictedLeastRecentlyUsed: with the table full, a new
// visitor evicts the one unused longest, not one who wrote lately, and
// is never refused.
func TestVisitorsEvictedLeastRecentlyUsed(t *testing.T) {
	inbox := &quietInbox{}
	a := New(Config{}, Options{})
	h := a.Handler(inbox)
	send := func(cookie string) (string, string) {
		t.Helper()
		res, set := serve(t, h, "POST", "/chat/send", cookie, `{"text":"hi"}`)
		if res.StatusCode != http.StatusAccepted {
			t.Fatalf("send: %s", res.Status)
		}
		if set != "" {
			cookie = set
		}
		return cookie, inbox.last().Author.ID
	}
	first, firstID := send("")
	_, secondID := send("")
	for range maxVisitors - 2 {
		send("")
	}
	send(first) // the first writes again: now the second is the oldest
	_, newID := send("")
	if a.known(firstID) == nil {
		t.Error("the visitor who wrote lately was evicted")
	}
	if a.known(secondID) != nil {
		t.Error("the least recently used visitor was kept")
	}
	if a.known(newID) == nil {
		t.Error("the new visitor has no entry")
	}
	a.mu.Lock()
	n, l := len(a.visitors), a.recent.Len()
	a.mu.Unlock()
	if n != maxVisitors || l != maxVisitors {
		t.Errorf("%d visitors, %d in the LRU list; want %d", n, l, maxVisitors)
	}
}

// TestBacklogBounded: the events kept for a reconnecting page are bounded
// in bytes per visitor (the newest kept) and counted for all visitors.
func TestBacklogBounded(t *testing.T) {
	a := New(Config{}, Options{})
	v := a.talker("0123456789abcdef0123456789abcdef")
	big := make([]byte, 400<<10)
	for i := range 5 {
		v.push(event{seq: uint64(i + 1), data: big}, "")
	}
	v.mu.Lock()
	events, bytes := len(v.events), v.bytes
	v.mu.Unlock()
	if bytes > maxBacklogBytes || events == 0 || int64(bytes) != a.backlog.Load() {
		t.Errorf("backlog: %d events, %d bytes, %d counted; want at most %d bytes, all counted", events, bytes, a.backlog.Load(), maxBacklogBytes)
	}
	v.drop(true)
	v.push(event{seq: 9, data: big}, "")
	if a.backlog.Load() != 0 {
		t.Errorf("after dropping the visitor: %d bytes counted, want 0", a.backlog.Load())
	}
}
