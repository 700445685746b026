package bot

import (
	"context"
	"sync"

	"github.com/docent-bot/docent/brain"
	"github.com/docent-bot/docent/brain/llm"
	"github.com/docent-bot/docent/chat"
)

// unwrapTo finds a responder of type T in r or the responders it wraps.
func unwrapTo[T any](r chat.Responder) (T, bool) {
	for r != nil {
		if t, ok := r.(T); ok {
			return t, true
		}
		u, ok := r.(interface{ Unwrap() chat.Responder })
		if !ok {
			break
		}
		r = u.Unwrap()
	}
	var zero T
	return zero, false
}

// stream shows an LLM answer while it is written: the first part is sent
// as a draft, later parts edit it, no more often than llm.stream_interval.
type stream struct {
	ctx context.Context
	r   chat.Responder
	ed  chat.Editor

	mu     sync.Mutex // guards sent and failed
	sent   *chat.Sent
	failed bool
}

// show sends or edits the draft; it runs on the throttle's goroutine.
func (s *stream) show(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed {
		return
	}
	draft := chat.Answer{Text: text + " …", Source: chat.SourceLLM, Draft: true}
	if s.sent == nil {
		sent, err := s.r.Reply(s.ctx, draft)
		if err != nil {
			s.failed = true
			return
		}
		s.sent = &sent
		return
	}
	if err := s.ed.Edit(s.ctx, *s.sent, draft); err != nil {
		s.failed = true // the final answer still comes, as an edit or a reply
	}
}

// answerStreaming asks the brain with the answer shown as it is written,
// then turns the draft into the final answer. It reports whether it
// delivered the answer; when not, the caller replies with it.
func (b *Bot) answerStreaming(ctx context.Context, r chat.Responder, q brain.Question) (chat.Answer, bool, error) {
	ed, canEdit := chat.EditorOf(r)
	rec, recorded := unwrapTo[*recordingResponder](r)
	if b.llm == nil || !canEdit || !recorded {
		a, err := b.brain.Load().Answer(ctx, q)
		return a, false, err
	}
	s := &stream{ctx: ctx, r: r, ed: ed}
	th := llm.Throttle(b.cfg.LLM.StreamInterval, s.show)
	q.OnDelta = th.Update
	a, err := b.brain.Load().Answer(ctx, q)
	th.Stop()
	s.mu.Lock()
	sent := s.sent
	s.mu.Unlock()
	if err != nil || sent == nil {
		if err == nil && sent == nil {
			return a, false, nil
		}
		if sent != nil {
			// A draft is showing: replace it with an apology rather than
			// leave half an answer.
			ed.Edit(context.WithoutCancel(ctx), *sent, chat.Answer{Source: chat.SourceError,
				Text: "Sorry, I could not finish that answer. Please ask again in a moment."})
		}
		return a, sent != nil, err
	}
	if err := rec.FinishStream(ctx, ed, *sent, a); err != nil {
		b.log.Warn("could not edit the streamed answer into its final form; sending it anew", "err", err)
		return a, false, nil
	}
	return a, true, nil
}
