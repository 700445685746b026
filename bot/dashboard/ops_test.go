package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/adapters/discord/discordtest"
	"github.com/docent-bot/docent/adapters/slack/slacktest"
	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/bot/metrics"
)

// A Docent that talks on Discord only can be watched: its ops listener
// serves /readyz, 503 until the gateway is ready and again while it is
// down, and /metrics, which counts the answers it sent.
func TestDiscordOnlyServesOps(t *testing.T) {
	fd := discordtest.New(t)
	release := fd.Hold() // the gateway answers IDENTIFY only when told
	t.Setenv("DOCENT_TEST_DISCORD_TOKEN", "tok")
	b, done := runOps(t, fmt.Sprintf(`  discord:
    enabled: true
    token: ${DOCENT_TEST_DISCORD_TOKEN}
    api_base: %s
`, fd.URL), func() { release() }) // the latest Hold's

	select {
	case <-fd.Identify:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no IDENTIFY within 10s")
	}
	// The ops listener listens before any adapter starts.
	if b.OpsAddr() == nil {
		t.Fatal("no ops listener while the Discord adapter runs")
	}
	ops := "http://" + b.OpsAddr().String()
	readyz := func() (int, map[string]bool) {
		t.Helper()
		code, body := get(t, http.DefaultClient, ops+"/readyz")
		var ready struct{ Checks []bot.Check }
		if err := json.Unmarshal([]byte(body), &ready); err != nil {
			t.Fatalf("/readyz %q: %v", body, err)
		}
		checks := map[string]bool{}
		for _, c := range ready.Checks {
			checks[c.Name] = c.OK
		}
		return code, checks
	}
	if code, checks := readyz(); code != http.StatusServiceUnavailable || checks["adapter discord"] || !checks["store"] || !checks["model"] {
		t.Errorf("/readyz before the gateway's READY: %d %v, want 503 for the discord adapter only", code, checks)
	}
	if code, body := get(t, http.DefaultClient, ops+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}

	release()
	fd.Next(t, "PUT /api/v9/applications/42/commands")
	waitReady(t, readyz, http.StatusOK, "READY")

	fd.Send("MESSAGE_CREATE", map[string]any{
		"id": "1001", "channel_id": "300", "content": "how do I report a bug?", "timestamp": time.Now().Format(time.RFC3339),
		"author": map[string]any{"id": "7", "username": "alice"},
	})
	if post := fd.Next(t, "POST /api/v9/channels/300/messages"); post.Body["content"] == nil {
		t.Fatalf("answer posted without content: %v", post.Body)
	}
	scrape(t, ops, map[string]string{
		`docent_messages_in_total{adapter="discord"}`:  "1",
		`docent_messages_out_total{adapter="discord"}`: "1",
		`docent_answers_total{source="intent"}`:        "1",
	})

	// The gateway drops and is held: not ready until it is resumed.
	release = fd.Hold()
	fd.Drop()
	select {
	case <-fd.Resume:
	case <-time.After(10 * time.Second):
		t.Fatal("no RESUME within 10s of the drop")
	}
	if code, checks := readyz(); code != http.StatusServiceUnavailable || checks["adapter discord"] {
		t.Errorf("/readyz while the gateway is down: %d %v, want 503", code, checks)
	}
	release()
	waitReady(t, readyz, http.StatusOK, "RESUMED")
}

// waitReady waits until /readyz answers code, after the gateway sent event.
func waitReady(t *testing.T, readyz func() (int, map[string]bool), code int, event string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, checks := readyz()
		if got == code {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz after %s: %d %v, want %d", event, got, checks, code)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A Docent that talks on Slack only can be watched too: ready while its
// socket runs, and counting the answers.
func TestSlackOnlyServesOps(t *testing.T) {
	fs := slacktest.New(t)
	t.Setenv("DOCENT_TEST_SLACK_BOT_TOKEN", slacktest.BotToken)
	t.Setenv("DOCENT_TEST_SLACK_APP_TOKEN", slacktest.AppToken)
	b, _ := runOps(t, fmt.Sprintf(`  slack:
    enabled: true
    bot_token: ${DOCENT_TEST_SLACK_BOT_TOKEN}
    app_token: ${DOCENT_TEST_SLACK_APP_TOKEN}
    api_url: %s
`, fs.URL), func() {})
	c := fs.Conn(t)
	ops := "http://" + b.OpsAddr().String()
	const ts = "1700000000.000100"
	if err := c.WriteJSON(slacktest.Envelope("env-1", "Ev1", map[string]any{"type": "app_mention", "user": "U1",
		"text": "<@" + slacktest.BotUserID + "> how do I report a bug?", "ts": ts, "event_ts": ts, "channel": "C1"})); err != nil {
		t.Fatal(err)
	}
	fs.WaitCalls(t, "chat.postMessage", 1)
	scrape(t, ops, map[string]string{
		`docent_messages_in_total{adapter="slack"}`:  "1",
		`docent_messages_out_total{adapter="slack"}`: "1",
		`docent_answers_total{source="intent"}`:      "1",
	})
	if code, body := get(t, http.DefaultClient, ops+"/readyz"); code != http.StatusOK || !strings.Contains(body, `"name":"adapter slack","ok":true`) {
		t.Errorf("/readyz: %d %s", code, body)
	}
}

// runOps runs a Docent with the adapters in the YAML under `adapters:`
// (the console off) and the dashboard on its ops listener, on a free
// port, until the test ends; release runs first then. Run's result
// arrives on done if it returns early.
func runOps(t *testing.T, adapters string, release func()) (b *bot.Bot, done <-chan error) {
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
ops:
  listen: 127.0.0.1:0
adapters:
  console:
    enabled: false
`+adapters)
	cfg, err := bot.LoadConfig(filepath.Join(dir, "docent.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	b, err = bot.Open(context.Background(), cfg, bot.Options{Version: "test", Metrics: m,
		Ops: func(b *bot.Bot) (http.Handler, error) {
			return New(b, Options{Metrics: m.Handler(), Loopback: cfg.Ops.Loopback()})
		}})
	if err != nil {
		t.Fatal(err)
	}
	platforms, err := b.PlatformAdapters()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- b.Run(ctx, platforms...) }()
	t.Cleanup(func() {
		release()
		cancel()
		select {
		case err := <-ran:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("Run did not return within 15s of cancel")
		}
		if err := b.Close(); err != nil {
			t.Error(err)
		}
		if b.OpsAddr() != nil {
			t.Error("OpsAddr still set after Run returned")
		}
	})
	return b, ran
}

// scrape reads /metrics until the series hold the values wanted (an
// answer is counted once stored, just after it is sent), or fails.
func scrape(t *testing.T, ops string, want map[string]string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, text := get(t, http.DefaultClient, ops+"/metrics")
		if code != http.StatusOK {
			t.Fatalf("/metrics: %d %s", code, text)
		}
		var wrong []string
		for series, v := range want {
			// Not metricValue: a series appears only once counted.
			m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(text)
			if m == nil || m[1] != v {
				wrong = append(wrong, fmt.Sprintf("%s = %v, want %s", series, m, v))
			}
		}
		if len(wrong) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics after 10s: %s", strings.Join(wrong, "; "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
