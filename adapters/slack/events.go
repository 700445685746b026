package slack

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/docent-bot/docent/adapters/internal/intake"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/internal/httpserve"
)

// Paths Slack posts to in events mode: the Event Subscriptions request URL
// and the slash command's request URL.
const (
	EventsPath      = "/slack/events"
	CommandsPath    = "/slack/commands"
	InteractivePath = "/slack/interactive"
)

const maxRequestBytes = 1 << 20

// incoming is one request that passed its signature check, waiting to be
// handled in order.
type incoming struct {
	event  *slackevents.EventsAPIEvent
	cmd    *slack.SlashCommand
	action *slack.InteractionCallback
	// ack acknowledges its Socket Mode envelope, once it is delivered;
	// nil in events mode, where the HTTP answer is the acknowledgement.
	ack func()
}

// key is the intake's order for in: a message's conversation (its channel
// and thread, as the message is delivered), a command's channel; votes,
// by reaction or button, and their reasons keep one order among
// themselves.
func (in incoming) key() string {
	switch {
	case in.cmd != nil:
		return "command " + in.cmd.ChannelID
	case in.action != nil:
		return "votes"
	case in.event != nil:
		switch ev := in.event.InnerEvent.Data.(type) {
		case *slackevents.AppMentionEvent:
			return "message " + ev.Channel + "/" + cmp.Or(ev.ThreadTimeStamp, ev.TimeStamp)
		case *slackevents.MessageEvent:
			return "message " + ev.Channel + "/" + cmp.Or(ev.ThreadTimeStamp, ev.TimeStamp)
		}
	}
	return "votes"
}

func (a *Adapter) runEvents(ctx context.Context, inbox chat.Inbox) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ln := a.listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", a.cfg.Listen); err != nil {
			return fmt.Errorf("slack: listen for events: %w", err)
		}
	}
	q := a.intake(ctx, inbox)
	defer q.Close() // once the server stopped: no handler offers any more
	srv := httpserve.Start(&http.Server{
		Handler:           a.eventsHandler(ctx, q.Queue),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}, ln, httpserve.Options{Drain: 5 * time.Second})
	a.log.InfoContext(ctx, "slack: listening for events", "addr", ln.Addr().String(), "path", EventsPath)
	select {
	case <-ctx.Done():
		srv.Stop() // a request cut after the drain got no answer: Slack sends it again
		return nil
	case <-srv.Failed():
		cancel() // before waiting for the worker
		return fmt.Errorf("slack: serve events: %w", srv.Err())
	}
}

// eventsHandler checks each request's signature, answers Slack at once
// (its deadline is 3 seconds) and queues the work for Run.
func (a *Adapter) eventsHandler(ctx context.Context, q *intake.Queue[incoming]) http.Handler {
	verified := func(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
		if err != nil {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return nil, false
		}
		// NewSecretsVerifier refuses a timestamp more than 5 minutes
		// away, so a captured request cannot be replayed later.
		sv, err := slack.NewSecretsVerifier(r.Header, a.cfg.SigningSecret)
		if err == nil {
			sv.Write(body)
			err = sv.Ensure()
		}
		if err != nil {
			a.log.WarnContext(r.Context(), "slack: refused a request", "path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return nil, false
		}
		return body, true
	}
	enqueue := func(w http.ResponseWriter, in incoming) {
		switch {
		case ctx.Err() != nil:
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
		case q.Offer(in):
			w.WriteHeader(http.StatusOK)
		default: // Slack retries later; better than missing its deadline
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+EventsPath, func(w http.ResponseWriter, r *http.Request) {
		body, ok := verified(w, r)
		if !ok {
			return
		}
		ea, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
		if err != nil {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		if ea.Type == slackevents.URLVerification {
			var ch slackevents.ChallengeResponse
			if err := json.Unmarshal(body, &ch); err != nil {
				http.Error(w, "bad challenge", http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, ch.Challenge)
			return
		}
		enqueue(w, incoming{event: &ea})
	})
	mux.HandleFunc("POST "+CommandsPath, func(w http.ResponseWriter, r *http.Request) {
		body, ok := verified(w, r)
		if !ok {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		cmd, err := slack.SlashCommandParse(r)
		if err != nil {
			http.Error(w, "bad command", http.StatusBadRequest)
			return
		}
		enqueue(w, incoming{cmd: &cmd})
	})
	mux.HandleFunc("POST "+InteractivePath, func(w http.ResponseWriter, r *http.Request) {
		body, ok := verified(w, r)
		if !ok {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		cb, err := slack.InteractionCallbackParse(r)
		if err != nil {
			http.Error(w, "bad interaction", http.StatusBadRequest)
			return
		}
		enqueue(w, incoming{action: &cb})
	})
	return mux
}
