package bot

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docent-bot/docent/adapters/discord/discordtest"
	"github.com/docent-bot/docent/adapters/slack/slacktest"
)

// syncBuffer is a log destination the bot's goroutines write to while the
// test reads.
type syncBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// duplicateKey returns the first key that appears twice in one JSON object
// of line (at any depth), or "".
func duplicateKey(line string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(line))
	var walk func() (string, error)
	walk = func() (string, error) {
		tok, err := dec.Token()
		if err != nil {
			return "", err
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return "", err
				}
				key := k.(string)
				if seen[key] {
					return key, nil
				}
				seen[key] = true
				if dup, err := walk(); dup != "" || err != nil {
					return dup, err
				}
			}
			_, err = dec.Token() // '}'
			return "", err
		case json.Delim('['):
			for dec.More() {
				if dup, err := walk(); dup != "" || err != nil {
					return dup, err
				}
			}
			_, err = dec.Token() // ']'
			return "", err
		}
		return "", nil
	}
	return walk()
}

func TestDuplicateKey(t *testing.T) {
	for line, want := range map[string]string{
		`{"a":1,"b":{"a":2}}`:                     "",
		`{"a":1,"a":2}`:                           "a",
		`{"x":[{"k":1,"k":2}]}`:                   "k",
		`{"adapter":"d","msg":"x","adapter":"d"}`: "adapter",
	} {
		if got, err := duplicateKey(line); err != nil || got != want {
			t.Errorf("duplicateKey(%s) = %q, %v; want %q", line, got, err, want)
		}
	}
}

// TestAdapterLogsHaveNoDuplicateKeys runs Discord and Slack against their
// fakes with JSON logs and fails on any line holding a key twice: strict
// log collectors refuse such lines.
func TestAdapterLogsHaveNoDuplicateKeys(t *testing.T) {
	fd := discordtest.New(t)
	fs := slacktest.New(t)
	t.Setenv("DOCENT_TEST_DISCORD_TOKEN", "tok")
	t.Setenv("DOCENT_TEST_SLACK_BOT_TOKEN", slacktest.BotToken)
	t.Setenv("DOCENT_TEST_SLACK_APP_TOKEN", slacktest.AppToken)
	cfg, err := LoadConfig(writeConfig(t, fmt.Sprintf(`adapters:
  discord:
    enabled: true
    token: ${DOCENT_TEST_DISCORD_TOKEN}
    api_base: %s
  slack:
    enabled: true
    bot_token: ${DOCENT_TEST_SLACK_BOT_TOKEN}
    app_token: ${DOCENT_TEST_SLACK_APP_TOKEN}
    api_url: %s
`, fd.URL, fs.URL)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Bot.RateLimit = RateLimitConfig{}
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b, err := Open(context.Background(), cfg, Options{Version: "test", Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	adapters, err := b.PlatformAdapters()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.cfg.Ops.Listen = freeOpsPort
	ran := make(chan error, 1)
	go func() { ran <- b.Run(ctx, adapters...) }()

	<-fd.Identify
	fd.Next(t, "PUT /api/v9/applications/42/commands")
	fd.Send("MESSAGE_CREATE", map[string]any{
		"id": "1001", "channel_id": "300", "content": "how do I report a bug?", "timestamp": time.Now().Format(time.RFC3339),
		"author": map[string]any{"id": "7", "username": "alice"},
	})
	fd.Next(t, "POST /api/v9/channels/300/messages")
	c := fs.Conn(t)
	if err := c.WriteJSON(slacktest.Envelope("env-1", "Ev1", map[string]any{"type": "app_mention", "user": "U1",
		"text": "<@" + slacktest.BotUserID + "> how do I report a bug?", "ts": "1700000000.000100", "channel": "C1"})); err != nil {
		t.Fatal(err)
	}
	fs.WaitCalls(t, "chat.postMessage", 1)
	cancel()
	select {
	case err := <-ran:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}

	seen := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		line := sc.Text()
		dup, err := duplicateKey(line)
		if err != nil && err != io.EOF {
			t.Fatalf("log line is not JSON: %v\n%s", err, line)
		}
		if dup != "" {
			t.Errorf("key %q twice in %s", dup, line)
		}
		var rec struct{ Adapter string }
		json.Unmarshal([]byte(line), &rec)
		seen[rec.Adapter]++
	}
	if seen["discord"] == 0 || seen["slack"] == 0 {
		t.Errorf("log lines by adapter %v: want lines from both discord and slack\n%s", seen, logs.String())
	}
}
