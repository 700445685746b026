package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

func TestFeedback(t *testing.T) {
	path := dbPath(t)
	s := openStore(t, path)
	ctx := context.Background()
	c := conv("discord", "c1", "t1")
	q, _ := s.AppendMessage(ctx, chat.Message{Conversation: c, Author: chat.Member{ID: "u1"}, Text: "q"})
	a, err := s.AppendAnswer(ctx, store.AnswerRecord{Conversation: c, ReplyTo: q.ID, PlatformID: "m-42", Author: chat.Member{ID: "docent"},
		Answer: chat.Answer{Text: "a", Source: chat.SourceLLM}})
	if err != nil {
		t.Fatal(err)
	}
	vote := func(member string, v chat.Vote, reason string) error {
		_, err := s.RecordFeedback(ctx, chat.Feedback{Conversation: c, AnswerID: "m-42", Member: chat.Member{ID: member}, Vote: v, Reason: reason})
		return err
	}
	for _, v := range []struct {
		member string
		vote   chat.Vote
	}{{"u1", chat.VoteUp}, {"u2", chat.VoteUp}, {"u2", chat.VoteDown}, {"u3", chat.VoteDown}, {"u3", chat.VoteNone}} {
		if err := vote(v.member, v.vote, ""); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Feedback(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Member.ID != "u1" || got[0].Vote != chat.VoteUp || got[1].Member.ID != "u2" || got[1].Vote != chat.VoteDown || got[1].Time.IsZero() {
		t.Errorf("votes %+v, want u1 up and u2 down (changed), u3 taken back", got)
	}
	if _, err := s.RecordFeedback(ctx, chat.Feedback{Conversation: c, AnswerID: "nope", Member: chat.Member{ID: "u1"}, Vote: chat.VoteUp}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a vote on an unknown message: %v", err)
	}
	if _, err := s.RecordFeedback(ctx, chat.Feedback{Conversation: conv("slack", "c1", ""), AnswerID: "m-42", Member: chat.Member{ID: "u1"}, Vote: chat.VoteUp}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the same message ID on another platform: %v", err)
	}
}
