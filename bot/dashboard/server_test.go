package dashboard

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docent-bot/docent/adapters/web"
	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/bot/metrics"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

const testIntents = `intents:
  - name: greeting
    description: Saying hello
    patterns: [hello, hi, hey there, good morning, hello everyone, hi all, greetings]
    responses: ["Hello {{.Member}}!"]
  - name: report_bug
    description: How to report a bug
    patterns: [how do I report a bug, I found a bug, where to file bugs, bug report, the app crashes, something is broken, report an issue]
    responses: ["File it at <{{.Links.issues}}>, with the steps to reproduce:\n\n` + "```sh\\ndocent version\\n```" + `"]
  - name: install
    description: Installing
    patterns: [how do I install it, installation steps, setup guide, how to set up locally, install fails, getting started, requirements]
    responses: ["See {{.Links.docs}}."]
  - name: html_trick
    description: A response holding HTML
    patterns: [show me the html trick, html trick please, the markup trick, do the html trick]
    responses: ["Here: <script>window.__pwned = 1</script> and <img src=x onerror=\"window.__pwned = 2\"> done"]
`

// server is a real Docent (store, brain, router) with the web chat on a
// loopback port and the dashboard on its ops listener, another one.
type server struct {
	base    string // the web chat
	ops     string // the ops listener: health, metrics, the dashboard
	bot     *bot.Bot
	metrics *metrics.Metrics
	dir     string
	// stop stops Docent and closes its database (also when the test ends).
	stop func()
}

// startServer opens a bot on a fresh folder and serves it until the test
// ends; opts.Metrics is filled in.
func startServer(t *testing.T, opts Options) *server {
	t.Helper()
	return startServerWith(t, opts, "")
}

// startServerWith is startServer with extra appended to the config (a
// module's section).
func startServerWith(t *testing.T, opts Options, extra string) *server {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "intents"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "intents", "test.yaml"), testIntents)
	writeFile(t, filepath.Join(dir, "docent.yaml"), `links:
  issues: https://example.org/issues
  docs: https://example.org/docs
store:
  path: docent.db
brain:
  intents: [intents]
  watch_interval: 0
adapters:
  console:
    enabled: false
  web:
    enabled: true
    listen: 127.0.0.1:0
ops:
  listen: 127.0.0.1:0
`+extra)
	cfg, err := bot.LoadConfig(filepath.Join(dir, "docent.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	opts.Metrics = m.Handler()
	opts.Loopback = true
	b, err := bot.Open(context.Background(), cfg, bot.Options{Version: "test", Metrics: m,
		Ops: func(b *bot.Bot) (http.Handler, error) { return New(b, opts) }})
	if err != nil {
		t.Fatal(err)
	}
	addr := make(chan net.Addr, 1)
	a := web.New(cfg.Adapters.Web, web.Options{OnListen: func(x net.Addr) { addr <- x }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, a) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(15 * time.Second):
				t.Error("Run did not return within 15s of cancel")
			}
			if err := b.Close(); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(stop)
	select {
	case x := <-addr:
		// The ops listener listens before the adapters start.
		return &server{base: "http://" + x.String(), ops: "http://" + b.OpsAddr().String(), bot: b, metrics: m, dir: dir, stop: stop}
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("web chat not listening after 10s")
	}
	return nil
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second}
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// ask sends questions through the web chat as one visitor and waits
// until each has its answer stored.
func (s *server) ask(t *testing.T, c *http.Client, questions ...string) {
	t.Helper()
	if code, _ := get(t, c, s.base+"/"); code != http.StatusOK {
		t.Fatalf("chat page: %d", code)
	}
	for _, q := range questions {
		body, _ := json.Marshal(map[string]string{"text": q})
		res, err := c.Post(s.base+"/chat/send", "application/json", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusAccepted {
			t.Fatalf("send %q: %s", q, res.Status)
		}
	}
	s.waitAnswers(t, len(questions))
}

// waitAnswers waits until at least n web answers are stored and sent.
func (s *server) waitAnswers(t *testing.T, n int) []store.Record {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var answers []store.Record
		convs, err := s.bot.Store().Conversations(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, cv := range convs {
			if cv.Conversation.Platform != web.Platform {
				continue
			}
			recs, err := s.bot.Store().Conversation(context.Background(), cv.Conversation, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				// An answer is stored before it is sent, its platform ID
				// after: wait for that, the ID votes name.
				if r.Kind == store.KindAnswer && r.PlatformID != "" {
					answers = append(answers, r)
				}
			}
		}
		if len(answers) >= n {
			return answers
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d answers stored after 10s, want %d", len(answers), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// metricValue reads one sample from the Prometheus text.
func metricValue(t *testing.T, text, series string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(text)
	if m == nil {
		t.Errorf("/metrics has no %s", series)
		return ""
	}
	return m[1]
}

// After a few questions, /metrics shows them: as `curl /metrics` would.
func TestMetricsAfterQuestions(t *testing.T) {
	s := startServer(t, Options{})
	c := newClient()
	s.ask(t, c, "hello", "how do I report a bug?", "qwerty zxcv", "!ping")
	code, text := get(t, http.DefaultClient, s.ops+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	for series, want := range map[string]string{
		`docent_messages_in_total{adapter="web"}`:        "4",
		`docent_messages_out_total{adapter="web"}`:       "4",
		`docent_answers_total{source="intent"}`:          "2",
		`docent_answers_total{source="fallback"}`:        "1",
		`docent_answers_total{source="command"}`:         "1",
		`docent_answers_total{source="llm"}`:             "0",
		`docent_errors_total{where="store"}`:             "0",
		`docent_classifier_seconds_count`:                "3",
		`docent_store_write_seconds_count{op="message"}`: "4",
		`docent_store_write_seconds_count{op="answer"}`:  "4",
	} {
		if got := metricValue(t, text, series); got != want {
			t.Errorf("%s = %s, want %s", series, got, want)
		}
	}
	for _, name := range []string{"# TYPE docent_llm_seconds histogram", "# TYPE docent_llm_tokens_total counter", "go_goroutines"} {
		if !strings.Contains(text, name) {
			t.Errorf("/metrics lacks %q", name)
		}
	}
	if testing.Verbose() {
		for _, l := range strings.Split(text, "\n") {
			if strings.HasPrefix(l, "docent_") && !strings.Contains(l, "_bucket") {
				t.Log(l)
			}
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	s := startServer(t, Options{})
	if code, body := get(t, http.DefaultClient, s.ops+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	code, body := get(t, http.DefaultClient, s.ops+"/readyz")
	var ready struct {
		Ready  bool
		Checks []bot.Check
	}
	if err := json.Unmarshal([]byte(body), &ready); err != nil {
		t.Fatalf("/readyz %q: %v", body, err)
	}
	names := map[string]bool{}
	for _, c := range ready.Checks {
		names[c.Name] = c.OK
	}
	if code != http.StatusOK || !ready.Ready || !names["store"] || !names["model"] || !names["adapter web"] {
		t.Errorf("/readyz: %d %s", code, body)
	}
	// A closed store makes Docent unready.
	checks := func() map[string]bool {
		out := map[string]bool{}
		for _, c := range s.bot.Readiness(context.Background()) {
			out[c.Name] = c.OK
		}
		return out
	}
	if !checks()["store"] {
		t.Error("store not ready while open")
	}
}

func TestLoginAndCSRF(t *testing.T) {
	s := startServer(t, Options{Token: "s3cret-token"})
	c := newClient()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Get(s.ops + "/admin/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/admin/login") {
		t.Fatalf("/admin/ without login: %s to %q, want a redirect to the login", res.Status, res.Header.Get("Location"))
	}
	if code, _ := get(t, http.DefaultClient, s.ops+"/metrics"); code != http.StatusUnauthorized {
		t.Errorf("/metrics without the token when a token is set: %d, want 401", code)
	}
	req, _ := http.NewRequest("GET", s.ops+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer s3cret-token")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("/metrics with the bearer token: %v %v", res.Status, err)
	} else {
		res.Body.Close()
	}
	_, page := get(t, c, s.ops+"/admin/login")
	csrf := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	if csrf == nil {
		t.Fatalf("no CSRF token on the login page:\n%s", page)
	}
	post := func(path string, form url.Values) *http.Response {
		t.Helper()
		res, err := c.PostForm(s.ops+path, form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := post("/admin/login", url.Values{"secret": {"s3cret-token"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("login without CSRF token: %s, want 403", res.Status)
	}
	if res := post("/admin/login", url.Values{"csrf": {csrf[1]}, "secret": {"wrong"}}); !strings.Contains(res.Header.Get("Location"), "bad=1") {
		t.Errorf("wrong token: redirected to %q", res.Header.Get("Location"))
	}
	res = post("/admin/login", url.Values{"csrf": {csrf[1]}, "secret": {"s3cret-token"}, "next": {"/admin/intents"}})
	if res.Header.Get("Location") != "/admin/intents" {
		t.Fatalf("login: %s to %q", res.Status, res.Header.Get("Location"))
	}
	for _, ck := range res.Cookies() {
		if ck.Name == sessionCookie && (!ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode) {
			t.Errorf("session cookie %+v: want HttpOnly and SameSite=Strict", ck)
		}
	}
	for _, p := range []string{"/admin/", "/admin/intents", "/admin/gaps", "/admin/conversations?q=hello", "/admin/usage", "/admin/challenges"} {
		if code, body := get(t, c, s.ops+p); code != http.StatusOK {
			t.Errorf("%s after login: %d\n%s", p, code, body)
		}
	}
	// A form without the token is refused even when logged in.
	if res := post("/admin/teach", url.Values{"intent": {"greeting"}, "text": {"yo"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("teach without CSRF token: %s, want 403", res.Status)
	}
	if code, body := get(t, c, s.ops+"/admin/challenges"); code != http.StatusOK || !strings.Contains(body, "Challenges are not configured.") {
		t.Errorf("challenges page: %d\n%s", code, body)
	}
}

// Off loopback with no credentials the dashboard is closed.
func TestClosedWithoutCredentialsOffLoopback(t *testing.T) {
	s := startServer(t, Options{})
	var logs strings.Builder
	d, err := New(s.bot, Options{Loopback: false, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	// Said at the start, not only at the first refused request.
	if l := logs.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "ops.listen") || !strings.Contains(l, "DOCENT_ADMIN_TOKEN") {
		t.Errorf("no warning that the dashboard is closed:\n%s", l)
	}
	logs.Reset()
	if _, err := New(s.bot, Options{Loopback: false, Token: "t", Log: slog.New(slog.NewTextHandler(&logs, nil))}); err != nil || logs.Len() != 0 {
		t.Errorf("with a token: %v, logged %q", err, logs.String())
	}
	for _, p := range []string{"/admin/", "/admin/login", "/metrics"} {
		rec := httptest.NewRecorder()
		d.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != http.StatusForbidden && rec.Code != http.StatusUnauthorized && rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want it closed", p, rec.Code)
		}
	}
	if _, err := New(s.bot, Options{PasswordHash: "not-bcrypt"}); err == nil || !strings.Contains(err.Error(), "DOCENT_ADMIN_PASSWORD_HASH") {
		t.Errorf("bad hash: %v", err)
	}
}

// A downvoted answer's question becomes a pattern from the gaps page, and
// the bot then answers it with that intent.
func TestTeachDownvotedFromDashboard(t *testing.T) {
	s := startServer(t, Options{})
	c := newClient()
	s.ask(t, c, "how can I make a pizza dough")
	answers := s.waitAnswers(t, 1)
	if err := s.bot.Inbox().(chat.FeedbackInbox).Feedback(context.Background(), chat.Feedback{
		Conversation: answers[0].Conversation, AnswerID: answers[0].PlatformID,
		Member: chat.Member{ID: answers[0].Conversation.Channel}, Vote: chat.VoteDown}); err != nil {
		t.Fatal(err)
	}
	_, page := get(t, c, s.ops+"/admin/gaps")
	if !strings.Contains(page, "how can I make a pizza dough") {
		t.Fatalf("gaps page lacks the downvoted question:\n%s", page)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.PostForm(s.ops+"/admin/teach", url.Values{"csrf": {csrf[1]}, "intent": {"install"}, "text": {"how can I make a pizza dough"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	if msg := loc.Query().Get("msg"); !strings.HasPrefix(msg, "Learnt") {
		t.Fatalf("teach: %s, message %q", res.Status, msg)
	}
	s.ask(t, c, "how can I make a pizza dough")
	got := s.waitAnswers(t, 2)
	last := got[0]
	for _, a := range got {
		if a.ID > last.ID {
			last = a
		}
	}
	if last.Intent != "install" {
		t.Errorf("after teaching, answered with %q (%s), want install", last.Intent, last.Source)
	}
}

// The overview names the window's first and last days as `docent stats`
// does: the report's To is the day after the last, which the page showed
// as if it were in the window (a 7-day window read as 8 days, ending
// tomorrow).
func TestOverviewNamesTheLastDayOfItsWindow(t *testing.T) {
	now := time.Date(2026, 5, 10, 15, 4, 0, 0, time.UTC)
	s := startServer(t, Options{Now: func() time.Time { return now }})
	for days, want := range map[int]string{
		7:  "The last 7 days (UTC), 2026-05-04 to 2026-05-10.",
		30: "The last 30 days (UTC), 2026-04-11 to 2026-05-10.",
		1:  "The last 1 day (UTC), 2026-05-10 to 2026-05-10.",
	} {
		code, body := get(t, http.DefaultClient, s.ops+"/admin/?days="+strconv.Itoa(days))
		if code != http.StatusOK {
			t.Fatalf("/admin/?days=%d: %d", days, code)
		}
		if !strings.Contains(body, want) {
			m := regexp.MustCompile(`The last [^<]*`).FindString(body)
			t.Errorf("/admin/?days=%d shows %q, want %q", days, m, want)
		}
	}
}

// The one URL Docent prints for the ops listener at start ("ops
// listening" url=http://127.0.0.1:8081/) leads to the dashboard: an admin
// who opens it got "404 page not found".
func TestOpsRootLeadsToTheDashboard(t *testing.T) {
	s := startServer(t, Options{})
	code, body := get(t, newClient(), s.ops+"/")
	if code != http.StatusOK || !strings.Contains(body, "Docent dashboard") {
		t.Fatalf("GET %s/: %d %.200q, want the dashboard", s.ops, code, body)
	}
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(s.ops + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/admin/" {
		t.Errorf("GET /: %s to %q, want 303 to /admin/", res.Status, loc)
	}
	// Nothing else at the root: an unknown path is still not found.
	if code, _ := get(t, newClient(), s.ops+"/nothing-here"); code != http.StatusNotFound {
		t.Errorf("GET /nothing-here: %d, want 404", code)
	}
}
