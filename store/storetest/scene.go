// Package storetest writes a small community's history into a store for
// tests: messages, Docent's answers to them and votes, each failing the
// test on error. The store's tests and the modules' (analytics' counters)
// write their scenes with it.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// Scene writes into S for the test T.
type Scene struct {
	T   testing.TB
	S   *store.Store
	Ctx context.Context
}

// Say stores a member's message: who (named "name-"+who) wrote text in c
// at at, with the platform's message id.
func (sc Scene) Say(c chat.Conversation, space, id, who, text string, at time.Time) store.Record {
	sc.T.Helper()
	rec, err := sc.S.AppendMessage(sc.Ctx, chat.Message{ID: id, Conversation: c, Space: space,
		Author: chat.Member{ID: who, Name: "name-" + who}, Text: text, Time: at})
	if err != nil {
		sc.T.Fatal(err)
	}
	return rec
}

// Answer stores Docent's answer to q, after the given time, from src.
func (sc Scene) Answer(q store.Record, id string, src chat.Source, intent string, after time.Duration) store.Record {
	sc.T.Helper()
	rec, err := sc.S.AppendAnswer(sc.Ctx, store.AnswerRecord{Conversation: q.Conversation, Space: q.Space, ReplyTo: q.ID,
		PlatformID: id, Time: q.Time.Add(after), Author: chat.Member{ID: "bot", Name: "Docent", Bot: true},
		Answer: chat.Answer{Text: "answer", Source: src, Intent: intent, Confidence: 0.9}})
	if err != nil {
		sc.T.Fatal(err)
	}
	return rec
}

// Vote stores who's vote on the message with the platform's id in c.
func (sc Scene) Vote(c chat.Conversation, id, who string, v chat.Vote) {
	sc.T.Helper()
	if _, err := sc.S.RecordFeedback(sc.Ctx, chat.Feedback{Conversation: c, AnswerID: id, Member: chat.Member{ID: who}, Vote: v}); err != nil {
		sc.T.Fatal(err)
	}
}
