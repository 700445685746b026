package store_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/internal/pgtest"
	"github.com/docent-bot/docent/store"
)

// TestAppendMessageTwice: a message the platform delivers again (Slack
// resends an event that was not acknowledged in time) is not stored again:
// AppendMessage says ErrDuplicate and gives the record stored the first
// time. The same ID in another channel is another message (Slack's ts is
// unique within a channel only).
func TestAppendMessageTwice(t *testing.T) {
	ctx := context.Background()
	r := &tally{}
	s := openTally(t, dbPath(t), r)
	defer s.Close()
	c := conv("slack", "C1", "1700000000.000100")
	m := message(c, "how do I deploy?", base)
	first := appendMessage(t, s, m)
	again, err := s.AppendMessage(ctx, m)
	var dup *store.DuplicateError
	if !errors.Is(err, store.ErrDuplicate) || !errors.As(err, &dup) || dup.Stored.ID != first.ID || again.ID != first.ID {
		t.Fatalf("the same message again: %+v, %v; want ErrDuplicate with record %d", again, err, first.ID)
	}
	other := conv("slack", "C2", "1700000000.000100")
	m2 := message(other, "how do I deploy?", base)
	if _, err := s.AppendMessage(ctx, m2); err != nil {
		t.Fatalf("the same ID in another channel: %v", err)
	}
	recs, err := s.Conversation(ctx, c, 0)
	if err != nil || len(recs) != 1 {
		t.Fatalf("conversation holds %d records (%v), want 1", len(recs), err)
	}
	if got := counted(t, s, "C1"); got != 1 {
		t.Errorf("the recorder counted %d messages in C1, want 1", got)
	}
	if marks, err := s.Pending(ctx); err != nil || len(marks) != 0 {
		t.Errorf("a lone Docent marked %v pending (%v), want none", marks, err)
	}
}

// voteCount counts the 👍 on answers, from each vote's change: a vote
// given twice must change nothing the second time.
type voteCount struct{}

var voteBucket = store.NewBucket("vote_count")

func (voteCount) Key() string                            { return "vote_count" }
func (voteCount) Record(*store.Tx, []store.Record) error { return nil }
func (voteCount) RecordVote(tx *store.Tx, on store.Record, _ chat.Member, old, vote chat.Vote) error {
	var n int64
	if v := tx.Get(voteBucket, []byte("up")); len(v) == 8 {
		n = int64(binary.BigEndian.Uint64(v))
	}
	if old == chat.VoteUp {
		n--
	}
	if vote == chat.VoteUp {
		n++
	}
	return tx.Put(voteBucket, []byte("up"), binary.BigEndian.AppendUint64(nil, uint64(n)))
}

func upvotes(t *testing.T, s *store.Store) int64 {
	t.Helper()
	var n int64
	if err := s.View(context.Background(), func(tx *store.Tx) error {
		if v := tx.Get(voteBucket, []byte("up")); len(v) == 8 {
			n = int64(binary.BigEndian.Uint64(v))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPostgresReplicasStoreOneMessageOnce: two replicas storing the same
// messages at once (Slack resending an event to another connection) end
// with one record of each: the loser of each race is told ErrDuplicate
// with the winner's record. Votes delivered to both count once (which
// RecordFeedback did already: a vote equal to the member's last changes
// nothing, and SERIALIZABLE runs the loser again to find it). Each
// message is marked pending by the replica that stored it, until it is
// answered (AnswerSent) or settled.
func TestPostgresReplicasStoreOneMessageOnce(t *testing.T) {
	postgresOnly(t)
	ctx := context.Background()
	url := pgtest.URL(t)
	opts := testOptions
	opts.Replica = true
	opts.Recorders = []store.Recorder{voteCount{}}
	a := openPostgres(t, url, opts)
	b := openPostgres(t, url, opts)
	if a.ReplicaID() == "" || a.ReplicaID() == b.ReplicaID() {
		t.Fatalf("replica IDs %q and %q: want two", a.ReplicaID(), b.ReplicaID())
	}
	const n = 100
	c := conv("slack", "C1", "")
	msgs := make([]chat.Message, n)
	for i := range msgs {
		msgs[i] = message(c, fmt.Sprint("question ", i), base.Add(time.Duration(i)*time.Millisecond))
	}
	type result struct {
		rec store.Record
		err error
	}
	results := [2][]result{make([]result, n), make([]result, n)}
	var wg sync.WaitGroup
	for r, s := range []*store.Store{a, b} {
		for w := range 4 { // several deliveries at once on each replica, as the intake runs them
			wg.Go(func() {
				for i := w; i < n; i += 4 {
					rec, err := s.AppendMessage(ctx, msgs[i])
					results[r][i] = result{rec, err}
				}
			})
		}
	}
	wg.Wait()
	stored := map[uint64]bool{}
	for i := range n {
		ra, rb := results[0][i], results[1][i]
		dupA, dupB := errors.Is(ra.err, store.ErrDuplicate), errors.Is(rb.err, store.ErrDuplicate)
		switch {
		case (ra.err != nil && !dupA) || (rb.err != nil && !dupB):
			t.Fatalf("message %d: %v; %v", i, ra.err, rb.err)
		case dupA == dupB:
			t.Fatalf("message %d: duplicate on a %v, on b %v; want exactly one", i, dupA, dupB)
		case ra.rec.ID != rb.rec.ID:
			t.Fatalf("message %d stored as %d and %d", i, ra.rec.ID, rb.rec.ID)
		}
		stored[ra.rec.ID] = true
	}
	recs, err := a.Conversation(ctx, c, 0)
	if err != nil || len(recs) != n || len(stored) != n {
		t.Fatalf("%d records stored (%v), %d IDs; want %d", len(recs), err, len(stored), n)
	}
	marks, err := a.Pending(ctx)
	if err != nil || len(marks) != n {
		t.Fatalf("%d messages marked pending (%v), want %d", len(marks), err, n)
	}
	for i := range n {
		winner := a
		if errors.Is(results[0][i].err, store.ErrDuplicate) {
			winner = b
		}
		if got := marks[results[0][i].rec.ID]; got != winner.ReplicaID() {
			t.Fatalf("message %d is marked by %q, want %q, the replica that stored it", i, got, winner.ReplicaID())
		}
	}

	// Answered, then voted on through both replicas at once.
	q := recs[0]
	ans, err := a.AppendAnswer(ctx, store.AnswerRecord{Conversation: c, ReplyTo: q.ID, Time: base,
		Author: chat.Member{ID: "bot", Bot: true}, Answer: chat.Answer{Text: "answer", Source: chat.SourceIntent}})
	if err != nil {
		t.Fatal(err)
	}
	if marks, _ := a.Pending(ctx); marks[q.ID] == "" {
		t.Fatal("the answer is stored but not sent: the question must stay pending")
	}
	if err := a.AnswerSent(ctx, ans.ID, "1700000900.000001"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the sent answer settles its question", func() bool {
		marks, err := a.Pending(ctx)
		return err == nil && marks[q.ID] == "" && len(marks) == n-1
	})
	if err := b.Settled(ctx, recs[1].ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a settled message loses its mark", func() bool {
		marks, err := b.Pending(ctx)
		return err == nil && marks[recs[1].ID] == "" && len(marks) == n-2
	})
	f := chat.Feedback{Conversation: c, AnswerID: "1700000900.000001", Member: chat.Member{ID: "u2"}, Vote: chat.VoteUp}
	for _, s := range []*store.Store{a, b, a, b} {
		wg.Go(func() {
			if _, err := s.RecordFeedback(ctx, f); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := upvotes(t, a); got != 1 {
		t.Errorf("a vote delivered four times to two replicas counted %d times, want 1", got)
	}
}

// TestPostgresOrphansTakenOver: the messages a replica stored and was not
// done with when it went are taken over by another, once its liveness
// lock is free; never while it lives, never twice.
func TestPostgresOrphansTakenOver(t *testing.T) {
	postgresOnly(t)
	ctx := context.Background()
	url := pgtest.URL(t)
	opts := testOptions
	opts.Replica = true
	a, err := store.OpenPostgres(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b := openPostgres(t, url, opts)
	c := conv("slack", "C1", "")
	var recs []store.Record
	for i := range 3 {
		recs = append(recs, appendMessage(t, a, message(c, fmt.Sprint("question ", i), base)))
	}
	if err := a.Settled(ctx, recs[1].ID); err != nil {
		t.Fatal(err)
	}
	if got, err := b.ClaimOrphans(ctx); err != nil || len(got) != 0 {
		t.Fatalf("while a lives, b took over %d messages (%v), want none", len(got), err)
	}
	if err := a.Close(); err != nil { // a goes; its pending marks stay
		t.Fatal(err)
	}
	got, err := b.ClaimOrphans(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != recs[0].ID || got[1].ID != recs[2].ID || got[0].Text != "question 0" {
		t.Fatalf("b took over %+v, want questions 0 and 2", got)
	}
	marks, err := b.Pending(ctx)
	if err != nil || len(marks) != 2 || marks[recs[0].ID] != b.ReplicaID() || marks[recs[2].ID] != b.ReplicaID() {
		t.Fatalf("marks %v (%v), want both of b", marks, err)
	}
	if again, err := b.ClaimOrphans(ctx); err != nil || len(again) != 0 {
		t.Fatalf("taken over again: %d (%v)", len(again), err)
	}
}

// TestAnsweredIn: whether Docent answered in a thread, which a replica's
// Slack adapter asks for a follow-up in a thread it did not answer itself.
func TestAnsweredIn(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t))
	thread := conv("slack", "C1", "1700000000.000100")
	q := appendMessage(t, s, message(thread, "question", base))
	longer := conv("slack", "C1", "1700000000.0001001") // its key begins with thread's
	appendMessage(t, s, message(longer, "another", base))
	if _, err := s.AppendAnswer(ctx, store.AnswerRecord{Conversation: longer, Time: base,
		Author: chat.Member{ID: "bot", Bot: true}, Answer: chat.Answer{Text: "answer", Source: chat.SourceIntent}}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.AnsweredIn(ctx, thread); err != nil || ok {
		t.Fatalf("AnsweredIn before the answer: %v, %v; want false", ok, err)
	}
	if _, err := s.AppendAnswer(ctx, store.AnswerRecord{Conversation: thread, ReplyTo: q.ID, Time: base,
		Author: chat.Member{ID: "bot", Bot: true}, Answer: chat.Answer{Text: "answer", Source: chat.SourceIntent}}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.AnsweredIn(ctx, thread); err != nil || !ok {
		t.Fatalf("AnsweredIn after the answer: %v, %v; want true", ok, err)
	}
	if ok, err := s.AnsweredIn(ctx, conv("slack", "C1", "1700000000.000200")); err != nil || ok {
		t.Fatalf("AnsweredIn an unknown thread: %v, %v; want false", ok, err)
	}
}

// TestSameTSInTwoChannels: a Slack ts is unique within its channel only.
// Two channels' messages with the same ts are both stored, live and
// imported; each is then a duplicate of its own only, whichever came
// last (the index keeps both).
func TestSameTSInTwoChannels(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t))
	const ts = "1712345678.000100"
	msg := func(channel, text string) chat.Message {
		m := message(conv("slack", channel, ""), text, base)
		m.ID = ts
		return m
	}
	a := appendMessage(t, s, msg("CA", "in A"))
	b := appendMessage(t, s, msg("CB", "in B"))
	for _, c := range []struct {
		m    chat.Message
		want uint64
	}{{msg("CA", "in A"), a.ID}, {msg("CB", "in B"), b.ID}} {
		got, err := s.AppendMessage(ctx, c.m)
		if !errors.Is(err, store.ErrDuplicate) || got.ID != c.want {
			t.Errorf("%s's message again: record %d, %v; want ErrDuplicate of %d", c.m.Conversation.Channel, got.ID, err, c.want)
		}
	}
	// Imported: a Slack export's two channels with one ts.
	recs := []store.Record{
		{Kind: store.KindMessage, Conversation: conv("slack", "CX", ""), Time: base, Author: chat.Member{ID: "u1", Name: "u1"}, Text: "x", PlatformID: ts},
		{Kind: store.KindMessage, Conversation: conv("slack", "CY", ""), Time: base, Author: chat.Member{ID: "u1", Name: "u1"}, Text: "y", PlatformID: ts},
	}
	stored, dups, err := s.ImportNew(ctx, recs)
	if err != nil || dups != 0 || len(stored) != 2 {
		t.Fatalf("imported two channels' messages with one ts: %d stored, %d duplicates, %v; want 2 and 0", len(stored), dups, err)
	}
	if _, dups, err := s.ImportNew(ctx, recs); err != nil || dups != 2 {
		t.Errorf("imported again: %d duplicates, %v; want 2", dups, err)
	}
}
