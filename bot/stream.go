package bot

import (
	"context"
	"sync"
	"time"

	"github.com/docent-bot/docent/brain"
	"github.com/docent-bot/docent/brain/llm"
	"github.com/docent-bot/docent/chat"
)

// stream shows an LLM answer while it is written: each part is sent as a
// draft reply, no more often than llm.stream_interval; the router turns
// the drafts into one message, edited (see Message.Streams).
type stream struct {
	ctx      context.Context
	r        chat.Responder
	interval time.Duration

	mu     sync.Mutex // guards the fields below
	shown  bool
	last   time.Time // when a draft was last shown
	failed bool
	closed bool // the answer is done: drafts still pending are dropped
}

// show sends the draft; it runs on the throttle's goroutine.
func (s *stream) show(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed || s.closed {
		return
	}
	if _, err := s.r.Reply(s.ctx, chat.Answer{Text: text + " …", Source: chat.SourceLLM, Draft: true}); err != nil {
		// The final answer still comes, as an edit or a reply.
		s.failed = true
		return
	}
	s.shown, s.last = true, time.Now()
}

// close stops the drafts and reports whether one is showing, and when it
// was last changed.
func (s *stream) close() (bool, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return s.shown, s.last
}

// editTimeout bounds an edit made after the answer's own context may be
// done (the apology).
const editTimeout = 5 * time.Second

// answerStreaming asks the brain with the answer shown as it is written
// (where m.Streams), then turns the draft into the final answer. It
// reports whether it delivered the answer (or an apology in the draft's
// place); when not, the caller replies with it. edit, when set, changes
// the brain's answer before it is shown (a line put ahead of it); the
// drafts show the same change.
func (b *Bot) answerStreaming(ctx context.Context, r chat.Responder, m *Message, q brain.Question, edit func(chat.Answer) chat.Answer) (chat.Answer, bool, error) {
	if edit == nil {
		edit = func(a chat.Answer) chat.Answer { return a }
	}
	if b.llm == nil || !m.Streams {
		a, err := b.brain.Load().Answer(ctx, q)
		if err == nil {
			a = edit(a)
		}
		return a, false, err
	}
	s := &stream{ctx: ctx, r: r, interval: b.cfg.LLM.StreamInterval}
	th := llm.Throttle(s.interval, s.show)
	defer th.Stop() // also when the brain panics
	q.OnDelta = func(text string) { th.Update(edit(chat.Answer{Text: text, Source: chat.SourceLLM}).Text) }
	a, err := b.brain.Load().Answer(ctx, q)
	if err == nil {
		a = edit(a)
	}
	shown, last := s.close()
	th.Stop()
	if !shown {
		return a, false, err
	}
	if err != nil {
		// A draft is showing: replace it with an apology rather than
		// leave half an answer. If even that fails, the caller replies.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), editTimeout)
		defer cancel()
		_, aerr := r.Reply(actx, chat.Answer{Source: chat.SourceError,
			Text: "Sorry, I could not finish that answer. Please ask again in a moment."})
		return a, aerr == nil, err
	}
	// Platforms limit how often a message may be edited: the final edit
	// waits its turn too.
	if wait := time.Until(last.Add(s.interval)); wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
	}
	// The router stores the answer and edits the draft into it, or sends
	// it anew when the edit fails.
	if _, err := r.Reply(ctx, a); err != nil {
		b.log.Warn("could not show the streamed answer in its final form", "err", err)
	}
	return a, true, nil
}
