package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// openWith opens path with opts (and the tests' lock timeout).
func openWith(t testing.TB, path string, opts store.Options) *store.Store {
	t.Helper()
	opts.LockTimeout = testOptions.LockTimeout
	s, err := store.Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return s
}

var day0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

type scene struct {
	t   *testing.T
	s   *store.Store
	ctx context.Context
}

func (sc scene) say(c chat.Conversation, space, id, who, text string, at time.Time) store.Record {
	sc.t.Helper()
	rec, err := sc.s.AppendMessage(sc.ctx, chat.Message{ID: id, Conversation: c, Space: space,
		Author: chat.Member{ID: who, Name: "name-" + who}, Text: text, Time: at})
	if err != nil {
		sc.t.Fatal(err)
	}
	return rec
}

func (sc scene) answer(q store.Record, id string, src chat.Source, intent string, after time.Duration) store.Record {
	sc.t.Helper()
	rec, err := sc.s.AppendAnswer(sc.ctx, store.AnswerRecord{Conversation: q.Conversation, Space: q.Space, ReplyTo: q.ID,
		PlatformID: id, Time: q.Time.Add(after), Author: chat.Member{ID: "bot", Name: "Docent", Bot: true},
		Answer: chat.Answer{Text: "answer", Source: src, Intent: intent, Confidence: 0.9}})
	if err != nil {
		sc.t.Fatal(err)
	}
	return rec
}

func (sc scene) vote(c chat.Conversation, id, who string, v chat.Vote) {
	sc.t.Helper()
	if _, err := sc.s.RecordFeedback(sc.ctx, chat.Feedback{Conversation: c, AnswerID: id, Member: chat.Member{ID: who}, Vote: v}); err != nil {
		sc.t.Fatal(err)
	}
}
