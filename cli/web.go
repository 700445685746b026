package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/docent-bot/docent/adapters/web"
	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/bot/dashboard"
	"github.com/docent-bot/docent/bot/metrics"
	"github.com/docent-bot/docent/chat"
)

// opsDashboard builds the dashboard, with health, readiness and metrics,
// that the bot serves on its ops listener (ops.listen). The admin's
// credentials come from the environment only. Nil when ops.listen is off.
func opsDashboard(cfg *bot.Config, log *slog.Logger, m *metrics.Metrics) func(*bot.Bot) (http.Handler, error) {
	if cfg.Ops.Off() {
		return nil
	}
	return func(b *bot.Bot) (http.Handler, error) {
		return dashboard.New(b, dashboard.Options{
			Log:          log.With("part", "dashboard"),
			Metrics:      m.Handler(),
			Token:        os.Getenv("DOCENT_ADMIN_TOKEN"),
			PasswordHash: os.Getenv("DOCENT_ADMIN_PASSWORD_HASH"),
			Loopback:     cfg.Ops.Loopback(),
		})
	}
}

// webAdapter builds the web chat; it serves the chat only (the dashboard
// is on the ops listener). With the console on (consoleDone not nil) the
// web chat is the local try-out: it stops when the console's input ends,
// and a port already taken is only a warning.
func webAdapter(ctx context.Context, b *bot.Bot, cfg *bot.Config, log *slog.Logger, consoleDone <-chan struct{}) (bot.Adapter, error) {
	key, err := webKey(ctx, os.LookupEnv, b.Store().Secret)
	if err != nil {
		return nil, fmt.Errorf("web chat: %w", err)
	}
	a := web.New(cfg.Adapters.Web, web.Options{Log: log.With("adapter", "web"), BotName: cfg.Bot.Name,
		Optional: consoleDone != nil, Key: key, Relay: b.WebRelay()})
	if consoleDone == nil {
		return a, nil
	}
	return untilConsoleEnds{a, consoleDone}, nil
}

// webKeyEnv names the variable that may hold the key of the visitors'
// cookies.
const webKeyEnv = "DOCENT_WEB_KEY"

// webKey is the key the visitors' cookies are signed with:
// ${DOCENT_WEB_KEY} when set (every replica behind a load balancer given
// the same, as compose's docent.env does), else a key kept in the
// database, so that their conversations go on after a restart (replicas
// on one PostgreSQL database share that one too).
func webKey(ctx context.Context, getenv func(string) (string, bool), secret func(context.Context, string) ([]byte, error)) ([]byte, error) {
	// Set but empty is unset: compose's env_file sets a line "NAME=" so.
	if v, ok := getenv(webKeyEnv); ok && strings.TrimSpace(v) != "" {
		if v = strings.TrimSpace(v); len(v) < 32 {
			return nil, fmt.Errorf("%s is %d characters long; give it 32 or more (openssl rand -hex 32), or unset it to use the key kept in the database", webKeyEnv, len(v))
		}
		return []byte(v), nil
	}
	return secret(ctx, "web visitors")
}

// untilConsoleEnds runs the web chat until the console's input ends.
type untilConsoleEnds struct {
	*web.Adapter
	done <-chan struct{}
}

func (u untilConsoleEnds) Run(ctx context.Context, inbox chat.Inbox) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // also ends the goroutine below
	go func() {
		select {
		case <-u.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return u.Adapter.Run(ctx, inbox)
}

// signalsEnd closes done when the adapter it wraps returns.
type signalsEnd struct {
	bot.Adapter
	done chan struct{}
}

func (s signalsEnd) Run(ctx context.Context, inbox chat.Inbox) error {
	defer close(s.done)
	return s.Adapter.Run(ctx, inbox)
}
