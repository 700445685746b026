package bot

import (
	"context"
	"sync"
	"time"

	"github.com/docent-bot/docent/brain"
	"github.com/docent-bot/docent/brain/llm"
	"github.com/docent-bot/docent/chat"
)

// stream shows an LLM answer while it is written: the first part is sent
// as a draft, later parts edit it, no more often than llm.stream_interval.
type stream struct {
	ctx      context.Context
	r        chat.Responder
	ed       chat.Editor
	interval time.Duration

	mu     sync.Mutex // guards the fields below
	sent   *chat.Sent
	last   time.Time // when the draft was last sent or edited
	failed bool
	closed bool // the answer is done: drafts still pending are dropped
}

// show sends or edits the draft; it runs on the throttle's goroutine.
func (s *stream) show(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed || s.closed {
		return
	}
	draft := chat.Answer{Text: text + " …", Source: chat.SourceLLM, Draft: true}
	if s.sent == nil {
		sent, err := s.r.Reply(s.ctx, draft)
		if err != nil {
			s.failed = true
			return
		}
		s.sent, s.last = &sent, time.Now()
		return
	}
	if err := s.ed.Edit(s.ctx, *s.sent, draft); err != nil {
		s.failed = true // the final answer still comes, as an edit or a reply
		return
	}
	s.last = time.Now()
}

// close stops the drafts and returns the draft message, if any, and when
// it was last changed.
func (s *stream) close() (*chat.Sent, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return s.sent, s.last
}

// editTimeout bounds an edit made after the answer's own context may be
// done (the apology).
const editTimeout = 5 * time.Second

// answerStreaming asks the brain with the answer shown as it is written,
// then turns the draft into the final answer. It reports whether it
// delivered the answer (or an apology in the draft's place); when not, the
// caller replies with it. edit, when set, changes the brain's answer before
// it is shown (a line put ahead of it); the drafts show the same change.
func (b *Bot) answerStreaming(ctx context.Context, r chat.Responder, q brain.Question, edit func(chat.Answer) chat.Answer) (chat.Answer, bool, error) {
	if edit == nil {
		edit = func(a chat.Answer) chat.Answer { return a }
	}
	ed, canEdit := chat.EditorOf(r)
	rec, recorded := chat.Find[*recordingResponder](r)
	if b.llm == nil || !canEdit || !recorded {
		a, err := b.brain.Load().Answer(ctx, q)
		if err == nil {
			a = edit(a)
		}
		return a, false, err
	}
	s := &stream{ctx: ctx, r: r, ed: ed, interval: b.cfg.LLM.StreamInterval}
	th := llm.Throttle(s.interval, s.show)
	defer th.Stop() // also when the brain panics
	q.OnDelta = func(text string) { th.Update(edit(chat.Answer{Text: text, Source: chat.SourceLLM}).Text) }
	a, err := b.brain.Load().Answer(ctx, q)
	if err == nil {
		a = edit(a)
	}
	sent, last := s.close()
	th.Stop()
	if sent == nil {
		return a, false, err
	}
	if err != nil {
		// A draft is showing: replace it with an apology rather than
		// leave half an answer. If even that fails, the caller replies.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), editTimeout)
		defer cancel()
		aerr := ed.Edit(actx, *sent, chat.Answer{Source: chat.SourceError,
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
	if err := rec.FinishStream(ctx, ed, *sent, a); err != nil {
		b.log.Warn("could not edit the streamed answer into its final form; sending it anew", "err", err)
		return a, false, nil
	}
	return a, true, nil
}
