package store_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// tally is a Recorder for tests: it counts the records stored, per
// channel, in a bucket of its own, and fails on a record whose text says
// so ("fail", "panic").
type tally struct {
	mu    sync.Mutex
	calls []int // the size of each batch given
}

var tallyBucket = store.NewBucket("tally")

func (*tally) Key() string { return "tally" }

func (r *tally) Record(tx *store.Tx, recs []store.Record) error {
	r.mu.Lock()
	r.calls = append(r.calls, len(recs))
	r.mu.Unlock()
	for _, rec := range recs {
		key := []byte(rec.Conversation.Channel)
		n := uint64(0)
		if v := tx.Get(tallyBucket, key); len(v) == 8 {
			n = binary.BigEndian.Uint64(v)
		}
		// Written before failing, to see the write undone.
		if err := tx.Put(tallyBucket, key, binary.BigEndian.AppendUint64(nil, n+1)); err != nil {
			return err
		}
		switch rec.Text {
		case "fail":
			return errors.New("cannot count this")
		case "panic":
			panic("cannot count this either")
		}
	}
	return nil
}

func (r *tally) batches() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// counted reads the tally of channel.
func counted(t *testing.T, s *store.Store, channel string) uint64 {
	t.Helper()
	var n uint64
	if err := s.View(context.Background(), func(tx *store.Tx) error {
		if v := tx.Get(tallyBucket, []byte(channel)); len(v) == 8 {
			n = binary.BigEndian.Uint64(v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func openTally(t *testing.T, path string, r *tally) *store.Store {
	t.Helper()
	opts := testOptions
	opts.Recorders = []store.Recorder{r}
	s, err := openAt(t, path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return s
}

// TestRecorderInTheRecordsTransaction: a recorder's figures are written
// in the transaction that stores the records: there as soon as an append
// returns, at no commit of their own; an import of many records comes to
// it as one batch, in one commit.
func TestRecorderInTheRecordsTransaction(t *testing.T) {
	ctx := context.Background()
	r := &tally{}
	s := openTally(t, dbPath(t), r)
	defer s.Close()
	before := s.WriteStats().Commits
	for i := range 3 {
		m := message(conv("discord", "help", ""), "hello", base.Add(time.Duration(i)*time.Second))
		m.ID = fmt.Sprint("p-hello-", i) // three messages: the platform gives each its ID
		appendMessage(t, s, m)
		if got := counted(t, s, "help"); got != uint64(i+1) {
			t.Fatalf("after append %d: tally %d", i+1, got)
		}
	}
	if got := s.WriteStats().Commits - before; got != 3 {
		t.Errorf("3 appends took %d commits, want 3", got)
	}
	var recs []store.Record
	for i := range 500 {
		recs = append(recs, store.Record{ID: uint64(i + 1), Kind: store.KindMessage, Conversation: conv("discord", "general", ""),
			Time: base, Author: chat.Member{ID: "u1"}, Text: "history"})
	}
	before = s.WriteStats().Commits
	if _, err := s.Import(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if got := s.WriteStats().Commits - before; got != 1 {
		t.Errorf("an import took %d commits, want 1", got)
	}
	if got := counted(t, s, "general"); got != 500 {
		t.Errorf("after importing 500: tally %d", got)
	}
	if b := r.batches(); b[len(b)-1] != 500 {
		t.Errorf("batches given: %v, want the import's 500 records in one", b)
	}
}

// TestRecorderFailureKeepsTheRecords: a recorder that fails, by an error
// or a panic, costs its figures of that batch, never the records; its
// writes in the failed attempt are undone, and it counts the next records
// as before.
func TestRecorderFailureKeepsTheRecords(t *testing.T) {
	ctx := context.Background()
	r := &tally{}
	s := openTally(t, dbPath(t), r)
	defer s.Close()
	c := conv("discord", "help", "")
	appendMessage(t, s, message(c, "one", base))
	for _, text := range []string{"fail", "panic"} {
		rec, err := s.AppendMessage(ctx, message(c, text, base))
		if err != nil {
			t.Fatalf("%s: the append failed with its recorder: %v", text, err)
		}
		if got, err := s.Record(ctx, rec.ID); err != nil || got.Text != text {
			t.Errorf("%s: stored %+v, %v", text, got, err)
		}
		if got := counted(t, s, "help"); got != 1 {
			t.Errorf("%s: tally %d, want 1: the failed recorder's writes must be undone", text, got)
		}
	}
	appendMessage(t, s, message(c, "two", base))
	if got := counted(t, s, "help"); got != 2 {
		t.Errorf("after the failures: tally %d, want 2", got)
	}
	recs, err := s.Conversation(ctx, c, 10) // newest first
	if err != nil || !slices.Equal(texts(recs), []string{"two", "panic", "fail", "one"}) {
		t.Errorf("stored %q, %v", texts(recs), err)
	}
}

// TestRecorderGetsEarlierHistoryOnce: a recorder added to a database that
// holds records is given them when the store opens, once.
func TestRecorderGetsEarlierHistoryOnce(t *testing.T) {
	path := dbPath(t)
	s, err := openAt(t, path, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"a", "b", "c"} {
		appendMessage(t, s, message(conv("slack", "random", ""), text, base))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		s = openTally(t, path, &tally{})
		if got := counted(t, s, "random"); got != 3 {
			t.Errorf("opened with a recorder: tally %d, want 3", got)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRecorderKeys(t *testing.T) {
	for _, rs := range [][]store.Recorder{{badKey("")}, {badKey("Tally")}, {&tally{}, &tally{}}} {
		opts := testOptions
		opts.Recorders = rs
		if s, err := openAt(t, dbPath(t), opts); err == nil || !strings.Contains(err.Error(), "recorder") {
			if s != nil {
				s.Close()
			}
			t.Errorf("recorders %v: %v, want a refusal", rs, err)
		}
	}
}

type badKey string

func (k badKey) Key() string                          { return string(k) }
func (badKey) Record(*store.Tx, []store.Record) error { return nil }

// voteTally counts votes too, and fails on a 👎.
type voteTally struct{ tally }

func (*voteTally) RecordVote(tx *store.Tx, on store.Record, _ chat.Member, _, vote chat.Vote) error {
	if err := tx.Put(tallyBucket, []byte("votes"), []byte{byte(vote + 2)}); err != nil {
		return err
	}
	if vote == chat.VoteDown {
		return errors.New("cannot count a 👎")
	}
	return nil
}

// TestVoteRecorderFailureKeepsTheVote: a recorder that fails on a vote
// costs its figure of that vote, never the vote.
func TestVoteRecorderFailureKeepsTheVote(t *testing.T) {
	ctx := context.Background()
	r := &voteTally{}
	opts := testOptions
	opts.Recorders = []store.Recorder{r}
	s, err := openAt(t, dbPath(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := conv("discord", "help", "")
	q := appendMessage(t, s, message(c, "question", base))
	if _, err := s.AppendAnswer(ctx, store.AnswerRecord{Conversation: c, ReplyTo: q.ID, PlatformID: "a1", Time: base,
		Author: chat.Member{ID: "bot", Bot: true}, Answer: chat.Answer{Text: "answer", Source: chat.SourceIntent}}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []chat.Vote{chat.VoteUp, chat.VoteDown} {
		if _, err := s.RecordFeedback(ctx, chat.Feedback{Conversation: c, AnswerID: "a1", Member: chat.Member{ID: "u2"}, Vote: v}); err != nil {
			t.Fatalf("vote %d: %v", v, err)
		}
	}
	votes, err := s.Feedback(ctx, q.ID+1)
	if err != nil || len(votes) != 1 || votes[0].Vote != chat.VoteDown {
		t.Errorf("votes stored: %+v, %v; want the 👎", votes, err)
	}
	var last []byte
	if err := s.View(ctx, func(tx *store.Tx) error { last = tx.Get(tallyBucket, []byte("votes")); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(last) != 1 || chat.Vote(last[0])-2 != chat.VoteUp {
		t.Errorf("the recorder's figure: %v, want the 👍's (its failed write undone)", last)
	}
}

// remembering is a RollbackRecorder that keeps, in memory, the texts it
// was given, as a Detector keeps its window, and forgets them when told
// they were not committed.
type remembering struct{ seen []string }

func (*remembering) Key() string { return "remembering" }

func (r *remembering) Record(_ *store.Tx, recs []store.Record) error {
	for _, rec := range recs {
		r.seen = append(r.seen, rec.Text)
	}
	return nil
}

func (r *remembering) RolledBack() { r.seen = nil }

// TestRolledBackRecorder: a recorder with state of its own is told when
// the records it was given were not committed (another recorder, after
// it, failed on them), is given them again in the transaction that does
// commit, and is not told anything after a commit.
func TestRolledBackRecorder(t *testing.T) {
	mem := &remembering{}
	opts := testOptions
	opts.Recorders = []store.Recorder{mem, &tally{}}
	s, err := openAt(t, dbPath(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := conv("discord", "help", "")
	appendMessage(t, s, message(c, "one", base))
	appendMessage(t, s, message(c, "fail", base))
	appendMessage(t, s, message(c, "two", base))
	if want := []string{"fail", "two"}; !slices.Equal(mem.seen, want) {
		t.Errorf("remembered %q; want %q: forgotten at the rollback, the failed batch given again, then two", mem.seen, want)
	}
}
