package store_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

func TestDownvotedPassages(t *testing.T) {
	path := dbPath(t)
	s, err := openAt(t, path, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	counts := func() map[string]int {
		t.Helper()
		c, err := s.PassageDownvotes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := counts(); len(c) != 0 {
		t.Errorf("a new database counts %v", c)
	}
	// Forgetting an answer never recorded is fine.
	if err := s.SetDownvotedPassages(ctx, 9, nil); err != nil {
		t.Fatal(err)
	}
	for answer, ps := range map[uint64][]string{
		10: {"docs/deploy.md#kubernetes", "docs/deploy.md#helm"},
		11: {"docs/deploy.md#kubernetes"},
		12: {"docs/backup.md"},
	} {
		if err := s.SetDownvotedPassages(ctx, answer, ps); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]int{"docs/deploy.md#kubernetes": 2, "docs/deploy.md#helm": 1, "docs/backup.md": 1}
	if c := counts(); !maps.Equal(c, want) {
		t.Errorf("counts %v, want %v", c, want)
	}
	// Replacing an answer's passages counts it once; forgetting it uncounts it.
	if err := s.SetDownvotedPassages(ctx, 10, []string{"docs/deploy.md#kubernetes"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDownvotedPassages(ctx, 12, nil); err != nil {
		t.Fatal(err)
	}
	want = map[string]int{"docs/deploy.md#kubernetes": 2}
	if c := counts(); !maps.Equal(c, want) {
		t.Errorf("after replacing and forgetting: %v, want %v", c, want)
	}

	for _, tc := range []struct {
		answer uint64
		ps     []string
	}{
		{0, []string{"x"}},
		{1, []string{""}},
		{1, []string{"bad\xff"}},
		{1, []string{strings.Repeat("x", 2000)}},
		{1, make([]string, 65)},
	} {
		if err := s.SetDownvotedPassages(ctx, tc.answer, tc.ps); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("SetDownvotedPassages(%d, %.20q): %v, want ErrInvalid", tc.answer, tc.ps, err)
		}
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PassageDownvotes(ctx); !errors.Is(err, store.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	s = openStore(t, path)
	if c := counts(); !maps.Equal(c, want) {
		t.Errorf("after reopening: %v, want %v", c, want)
	}
}

// Answers deleted, or no longer voted down (the 👎 taken back, or gone with
// the member who cast it), are pruned; a voted-down one stays.
func TestPruneDownvotedPassages(t *testing.T) {
	s := openStore(t, dbPath(t))
	ctx := context.Background()
	c := conv("discord", "help", "")
	answer := func(text string) store.Record {
		t.Helper()
		q := appendMessage(t, s, message(c, "q "+text, base))
		a, err := s.AppendAnswer(ctx, store.AnswerRecord{Conversation: c, ReplyTo: q.ID, PlatformID: "a-" + text, Time: base,
			Author: chat.Member{ID: "docent"}, Answer: chat.Answer{Text: text, Source: chat.SourceKnowledge}})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	vote := func(a store.Record, member string, v chat.Vote) {
		t.Helper()
		if _, err := s.RecordFeedback(ctx, chat.Feedback{Conversation: c, AnswerID: a.PlatformID, Member: chat.Member{ID: member}, Vote: v}); err != nil {
			t.Fatal(err)
		}
	}
	down, up, none, byGone := answer("down"), answer("up"), answer("none"), answer("gone voter")
	vote(down, "u1", chat.VoteDown)
	vote(down, "u2", chat.VoteUp)
	vote(up, "u1", chat.VoteUp)
	vote(byGone, "leaver", chat.VoteDown)
	for id, p := range map[uint64]string{down.ID: "p-down", up.ID: "p-up", none.ID: "p-none", byGone.ID: "p-gone", 9999: "p-deleted"} {
		if err := s.SetDownvotedPassages(ctx, id, []string{p, "p-all"}); err != nil {
			t.Fatal(err)
		}
	}
	prune := func(want int, counts map[string]int) {
		t.Helper()
		n, err := s.PruneDownvotedPassages(ctx)
		if err != nil || n != want {
			t.Errorf("PruneDownvotedPassages = %d, %v; want %d", n, err, want)
		}
		if got, err := s.PassageDownvotes(ctx); err != nil || !maps.Equal(got, counts) {
			t.Errorf("after pruning: %v, %v; want %v", got, err, counts)
		}
	}
	prune(3, map[string]int{"p-down": 1, "p-gone": 1, "p-all": 2})
	prune(0, map[string]int{"p-down": 1, "p-gone": 1, "p-all": 2})
	if _, err := s.ForgetMember(ctx, store.MemberRef{Platform: "discord", ID: "leaver"}); err != nil {
		t.Fatal(err)
	}
	prune(1, map[string]int{"p-down": 1, "p-all": 1})
}
