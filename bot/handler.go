package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
)

// Message is a member's message as the bot handles it (module.Message).
type Message = module.Message

// Handler answers one message. Replies go through r; a handler that
// returns without replying has chosen to stay silent.
type Handler interface {
	Handle(ctx context.Context, r chat.Responder, m *Message)
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(ctx context.Context, r chat.Responder, m *Message)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, r chat.Responder, m *Message) { f(ctx, r, m) }

// Middleware wraps a handler with behaviour that applies to every message.
type Middleware func(Handler) Handler

// Chain wraps h in the middleware, the first one outermost: Chain(h, a, b)
// handles a message as a(b(h)).
func Chain(h Handler, mw ...Middleware) Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// apologyTimeout bounds the apology sent after a failure; the message's own
// context may already be done by then.
const apologyTimeout = 5 * time.Second

// apologize tells the member something went wrong, on a context detached
// from the failed handler's.
func apologize(ctx context.Context, log *slog.Logger, r chat.Responder, text string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), apologyTimeout)
	defer cancel()
	if _, err := r.Reply(ctx, chat.Answer{Text: text, Source: chat.SourceError}); err != nil {
		log.Warn("could not send apology", "err", err)
	}
}

// Recover turns a panic in the handler into a logged error with its stack
// and an apology to the member; other messages are unaffected.
func Recover(log *slog.Logger) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, r chat.Responder, m *Message) {
			defer func() {
				if p := recover(); p != nil {
					log.Error("panic while handling a message", "conversation", m.Conversation.String(),
						"message", m.ID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					apologize(ctx, log, r, "Sorry, something went wrong on my side while answering that. "+
						"The admins can find the details in the log.")
				}
			}()
			next.Handle(ctx, r, m)
		})
	}
}

// Timeout gives each message at most d. A handler still working when the
// time is up sees its context done; if it had not replied, the member gets
// an apology instead of silence.
func Timeout(d time.Duration, log *slog.Logger) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, r chat.Responder, m *Message) {
			ctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			tr := &trackingResponder{Responder: r}
			next.Handle(ctx, tr, m)
			if errors.Is(ctx.Err(), context.DeadlineExceeded) && !tr.replied.Load() {
				log.Warn("message timed out", "conversation", m.Conversation.String(), "message", m.ID, "timeout", d)
				apologize(ctx, log, r, "Sorry, that took me too long to answer. Please try again in a moment.")
			}
		})
	}
}

type trackingResponder struct {
	chat.Responder
	replied atomic.Bool
}

func (t *trackingResponder) Unwrap() chat.Responder { return t.Responder }

func (t *trackingResponder) Reply(ctx context.Context, a chat.Answer) (chat.Sent, error) {
	s, err := t.Responder.Reply(ctx, a)
	if err == nil {
		t.replied.Store(true)
	}
	return s, err
}

// IgnoreBots drops Docent's own messages and those of other bots, so that
// two bots never talk to each other forever.
func IgnoreBots() Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, r chat.Responder, m *Message) {
			if m.FromSelf || m.Author.Bot {
				return
			}
			next.Handle(ctx, r, m)
		})
	}
}
