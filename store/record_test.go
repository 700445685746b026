package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	berrors "go.etcd.io/bbolt/errors"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

func TestAppendRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t))
	c := conv("discord", "123", "456")

	q, err := s.AppendMessage(ctx, chat.Message{
		ID:           "m-1",
		Conversation: c,
		Author:       chat.Member{ID: "u1", Name: "alice"},
		Text:         "how do I deploy? ✨",
		Time:         base,
		Mentioned:    true,
	})
	if err != nil {
		t.Fatalf("AppendMessage: %v", err)
	}
	a, err := s.AppendAnswer(ctx, store.AnswerRecord{
		Conversation: c,
		ReplyTo:      q.ID,
		PlatformID:   "m-2",
		Time:         base.Add(time.Second),
		Author:       chat.Member{ID: "bot", Name: "Docent", Bot: true},
		Answer: chat.Answer{
			Text:       "Run `make deploy`.",
			Source:     chat.SourceIntent,
			Intent:     "deploy",
			Confidence: 0.87,
			Candidates: []chat.Candidate{{Intent: "deploy", Confidence: 0.87}},
		},
	})
	if err != nil {
		t.Fatalf("AppendAnswer: %v", err)
	}

	wantQ := store.Record{
		ID: q.ID, Kind: store.KindMessage, Conversation: c, Time: base.UTC(),
		Author: chat.Member{ID: "u1", Name: "alice"}, Text: "how do I deploy? ✨", PlatformID: "m-1",
	}
	wantA := store.Record{
		ID: a.ID, Kind: store.KindAnswer, Conversation: c, Time: base.Add(time.Second).UTC(),
		Author: chat.Member{ID: "bot", Name: "Docent", Bot: true}, Text: "Run `make deploy`.", PlatformID: "m-2",
		ReplyTo: q.ID, Source: chat.SourceIntent, Intent: "deploy", Confidence: 0.87,
	}
	if !reflect.DeepEqual(q, wantQ) {
		t.Errorf("AppendMessage returned\n %+v\nwant\n %+v", q, wantQ)
	}
	if !reflect.DeepEqual(a, wantA) {
		t.Errorf("AppendAnswer returned\n %+v\nwant\n %+v", a, wantA)
	}
	if q.ID == 0 || a.ID <= q.ID {
		t.Errorf("IDs: question %d, answer %d; want 0 < question < answer", q.ID, a.ID)
	}
	if q.Time.Location() != time.UTC || q.Time.Nanosecond() != 535897932 {
		t.Errorf("stored time %v: want UTC with nanoseconds kept", q.Time)
	}

	for _, want := range []store.Record{wantQ, wantA} {
		got, err := s.Record(ctx, want.ID)
		if err != nil {
			t.Fatalf("Record(%d): %v", want.ID, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Record(%d) =\n %+v\nwant\n %+v", want.ID, got, want)
		}
	}
	got, err := s.Conversation(ctx, c, 0)
	if err != nil {
		t.Fatalf("Conversation: %v", err)
	}
	if want := []store.Record{wantA, wantQ}; !reflect.DeepEqual(got, want) {
		t.Errorf("Conversation =\n %+v\nwant\n %+v", got, want)
	}
}

func TestAppendStampsZeroTime(t *testing.T) {
	s := openStore(t, dbPath(t))
	before := time.Now()
	rec := appendMessage(t, s, message(conv("console", "local", ""), "hi", time.Time{}))
	after := time.Now()
	if rec.Time.Before(before) || rec.Time.After(after) || rec.Time.Location() != time.UTC {
		t.Errorf("zero time stamped as %v; want UTC between %v and %v", rec.Time, before, after)
	}
}

func TestRecordNotFound(t *testing.T) {
	s := openStore(t, dbPath(t))
	appendMessage(t, s, message(conv("p", "c", ""), "one", base))
	for _, id := range []uint64{0, 2, math.MaxUint64} {
		_, err := s.Record(context.Background(), id)
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Record(%d) error = %v; want ErrNotFound", id, err)
		}
	}
}

// TestConversationOrderAndIsolation interleaves conversations whose naive
// encodings would collide or be prefixes of each other.
func TestConversationOrderAndIsolation(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t))
	convs := []chat.Conversation{
		conv("p", "a", ""),
		conv("p", "ab", ""),
		conv("p", "x", ""),
		conv("p", "x", "y"),
		conv("pa", "bc", ""), // "pabc" when concatenated, like the next
		conv("pab", "c", ""),
		conv("p", "a\x01", ""), // the length byte of a neighbour's next field
	}
	const perConv = 5
	want := map[chat.Conversation][]string{}
	for i := range perConv {
		// Interleave, and let time run backwards so that the order must come
		// from the IDs, not from the times.
		for j, c := range convs {
			text := fmt.Sprintf("%s#%d", c, i)
			appendMessage(t, s, message(c, text, base.Add(-time.Duration(i*len(convs)+j)*time.Second)))
			want[c] = append([]string{text}, want[c]...) // newest first
		}
	}

	for _, c := range convs {
		for _, limit := range []int{0, -1, 1, 3, perConv, perConv + 10} {
			got, err := s.Conversation(ctx, c, limit)
			if err != nil {
				t.Fatalf("Conversation(%s, %d): %v", c, limit, err)
			}
			w := want[c]
			if limit > 0 && limit < len(w) {
				w = w[:limit]
			}
			if !slices.Equal(texts(got), w) {
				t.Errorf("Conversation(%s, %d) = %q; want %q", c, limit, texts(got), w)
			}
			for i, r := range got {
				if r.Conversation != c {
					t.Errorf("Conversation(%s) returned a record of %s", c, r.Conversation)
				}
				if i > 0 && r.ID >= got[i-1].ID {
					t.Errorf("Conversation(%s): ID %d after %d; want newest (highest) first", c, r.ID, got[i-1].ID)
				}
			}
		}
	}

	none, err := s.Conversation(ctx, conv("p", "nobody", ""), 0)
	if err != nil || len(none) != 0 {
		t.Errorf("Conversation of an unknown conversation = %v, %v; want nothing", none, err)
	}
}

func TestConversations(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t))
	if sums, err := s.Conversations(ctx); err != nil || len(sums) != 0 {
		t.Fatalf("Conversations on an empty store = %v, %v; want none", sums, err)
	}
	general, thread, dm := conv("slack", "general", ""), conv("slack", "general", "1700.1"), conv("discord", "dm-7", "")
	appendMessage(t, s, message(general, "g1", base))
	appendMessage(t, s, message(thread, "t1", base.Add(2*time.Minute)))
	appendMessage(t, s, message(general, "g2", base.Add(time.Minute)))
	appendMessage(t, s, message(dm, "d1", base.Add(3*time.Minute)))
	// An out-of-order (older) message must not move Last back.
	appendMessage(t, s, message(dm, "d0", base))
	if _, err := s.AppendAnswer(ctx, store.AnswerRecord{Conversation: general, Time: base.Add(90 * time.Second), Answer: chat.Answer{Text: "a", Source: chat.SourceLLM}}); err != nil {
		t.Fatal(err)
	}

	got, err := s.Conversations(ctx)
	if err != nil {
		t.Fatalf("Conversations: %v", err)
	}
	want := []store.ConversationSummary{
		{Conversation: dm, Records: 2, Last: base.Add(3 * time.Minute).UTC()},
		{Conversation: thread, Records: 1, Last: base.Add(2 * time.Minute).UTC()},
		{Conversation: general, Records: 3, Last: base.Add(90 * time.Second).UTC()},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Conversations =\n %+v\nwant\n %+v", got, want)
	}
}

func TestAppendRefusesInvalid(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t))
	good := conv("discord", "123", "")
	tests := []struct {
		name    string
		m       chat.Message
		a       *store.AnswerRecord
		wantErr string
	}{
		{name: "no platform", m: message(conv("", "c", ""), "x", base), wantErr: "conversation platform is empty"},
		{name: "no channel", m: message(conv("p", "", "t"), "x", base), wantErr: "conversation channel is empty"},
		{name: "NUL in platform", m: message(conv("p\x00", "c", ""), "x", base), wantErr: "platform"},
		{name: "NUL in channel", m: message(conv("p", "c\x00", ""), "x", base), wantErr: "NUL"},
		{name: "NUL in thread", m: message(conv("p", "c", "\x00"), "x", base), wantErr: "thread"},
		{name: "long channel", m: message(conv("p", strings.Repeat("c", 2000), ""), "x", base), wantErr: "2000 bytes"},
		{name: "bad UTF-8 text", m: message(good, "caf\xe9", base), wantErr: "text is not valid UTF-8"},
		{name: "year 10000", m: message(good, "x", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)), wantErr: "years 0 to 9999"},
		{name: "NaN confidence", a: &store.AnswerRecord{Conversation: good, Time: base, Answer: chat.Answer{Text: "x", Confidence: math.NaN()}}, wantErr: "not a finite number"},
		{name: "bad UTF-8 intent", a: &store.AnswerRecord{Conversation: good, Time: base, Answer: chat.Answer{Text: "x", Intent: "\xff"}}, wantErr: "intent is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.a != nil {
				_, err = s.AppendAnswer(ctx, *tt.a)
			} else {
				_, err = s.AppendMessage(ctx, tt.m)
			}
			if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "store: append ") {
				t.Errorf("error = %v; want ErrInvalid saying %q", err, tt.wantErr)
			}
		})
	}
	if sums, err := s.Conversations(ctx); err != nil || len(sums) != 0 {
		t.Errorf("after refused appends, Conversations = %v, %v; want none", sums, err)
	}
}

// TestConcurrentAppends has 64 goroutines append at once: every message must
// be stored once, with unique IDs that increase in each goroutine's order.
func TestConcurrentAppends(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t))
	const workers, each = 64, 20
	ids := make([][]uint64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			c := conv("load", fmt.Sprintf("c%d", w%8), "")
			for i := range each {
				rec, err := s.AppendMessage(ctx, message(c, fmt.Sprintf("w%d-%d", w, i), base))
				if err != nil {
					t.Errorf("worker %d: %v", w, err)
					return
				}
				ids[w] = append(ids[w], rec.ID)
			}
		})
	}
	wg.Wait()

	seen := map[uint64]bool{}
	for w, list := range ids {
		if len(list) != each {
			t.Fatalf("worker %d stored %d messages; want %d", w, len(list), each)
		}
		for i, id := range list {
			if seen[id] {
				t.Errorf("ID %d given twice", id)
			}
			seen[id] = true
			if i > 0 && id <= list[i-1] {
				t.Errorf("worker %d: ID %d after %d; want increasing", w, id, list[i-1])
			}
		}
	}
	total := 0
	sums, err := s.Conversations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sum := range sums {
		recs, err := s.Conversation(ctx, sum.Conversation, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != sum.Records {
			t.Errorf("%s: %d records listed, summary says %d", sum.Conversation, len(recs), sum.Records)
		}
		for _, r := range recs {
			if !seen[r.ID] {
				t.Errorf("stored record %d was not returned to any writer", r.ID)
			}
		}
		total += len(recs)
	}
	if total != workers*each {
		t.Errorf("%d records stored; want %d", total, workers*each)
	}
	if err := checkFile(s); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// TestBatchSurvivesBadWrite piles valid writes and one that fails inside
// the transaction into one batch: the valid ones must all commit, the bad
// one must fail alone, and nothing it put may remain.
func TestBatchSurvivesBadWrite(t *testing.T) {
	boltOnly(t, "holds the writer in a synctest bubble")
	synctest.Test(t, testBatchSurvivesBadWrite)
}

func testBatchSurvivesBadWrite(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t))
	c := conv("p", "c", "")
	release := s.HoldWriter(t)

	const good = 10
	errs := make(chan error, good+1)
	var wg sync.WaitGroup
	for i := range good {
		wg.Go(func() {
			_, err := s.AppendMessage(ctx, message(c, fmt.Sprintf("good-%d", i), base))
			errs <- err
		})
	}
	var poisonErr error
	wg.Go(func() { poisonErr = s.AppendPoisoned(ctx, message(c, "poison", base)) })
	// Refused before queueing, so it cannot be part of the batch at all.
	if _, err := s.AppendMessage(ctx, message(conv("p", "", ""), "invalid", base)); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("invalid append: %v; want ErrInvalid", err)
	}
	wantQueued(t, s, good+1)
	release()
	wg.Wait()
	close(errs)

	for err := range errs {
		if err != nil {
			t.Errorf("valid append in the poisoned batch failed: %v", err)
		}
	}
	if !errors.Is(poisonErr, store.ErrPoisoned) {
		t.Errorf("poisoned append: %v; want ErrPoisoned", poisonErr)
	}
	recs, err := s.Conversation(ctx, c, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != good {
		t.Errorf("%d records stored (%q); want the %d good ones", len(recs), texts(recs), good)
	}
	for _, r := range recs {
		if r.Text == "poison" {
			t.Errorf("the poisoned write's record %d was committed", r.ID)
		}
	}
	if sums, _ := s.Conversations(ctx); len(sums) != 1 || sums[0].Records != good {
		t.Errorf("summaries = %+v; want one with %d records", sums, good)
	}
}

// TestCommitFailureFailsBatch makes a commit fail (the file may not grow
// enough): every write of the batch must get the error, saying what it was.
func TestCommitFailureFailsBatch(t *testing.T) {
	boltOnly(t, "a full file (MaxSize), in a synctest bubble")
	synctest.Test(t, testCommitFailureFailsBatch)
}

func testCommitFailureFailsBatch(t *testing.T) {
	ctx := context.Background()
	s, err := store.OpenWithMaxSize(dbPath(t), testOptions, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	c := conv("discord", "123", "456")
	release := s.HoldWriter(t)

	const n = 8
	errs := make(chan error, n)
	big := strings.Repeat("x", 256<<10) // n of these exceed the 1 MiB limit; one alone does not
	for i := range n {
		go func() {
			m := message(c, fmt.Sprintf("%s%d", big, i), base)
			m.ID = fmt.Sprint("p-", i) // valid: the write fails at the commit, not before
			_, err := s.AppendMessage(ctx, m)
			errs <- err
		}()
	}
	wantQueued(t, s, n)
	release()
	for range n {
		err := <-errs
		if err == nil {
			t.Errorf("append in a batch whose commit failed returned nil")
			continue
		}
		if !strings.HasPrefix(err.Error(), "store: append message to discord/123/456: ") {
			t.Errorf("error %q does not say what was being written", err)
		}
		if !errors.Is(err, berrors.ErrMaxSizeReached) {
			t.Errorf("error %q is not the commit's failure (bbolt's ErrMaxSizeReached)", err)
		}
	}
	// The store is still usable, and none of the batch is in it.
	appendMessage(t, s, message(c, "small", base))
	recs, err := s.Conversation(ctx, c, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(texts(recs), []string{"small"}) {
		t.Errorf("after the failed batch, records = %d; want only %q", len(recs), "small")
	}
}

func TestContextCancelled(t *testing.T) {
	boltOnly(t, "holds the writer in a synctest bubble")
	synctest.Test(t, testContextCancelled)
}

func testContextCancelled(t *testing.T) {
	s := openStore(t, dbPath(t))
	c := conv("p", "c", "")

	done, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.AppendMessage(done, message(c, "never", base)); !errors.Is(err, context.Canceled) {
		t.Errorf("append with a cancelled context: %v; want context.Canceled", err)
	}

	// Cancelled while queued: the caller returns at once, and the write
	// still lands, as documented.
	release := s.HoldWriter(t)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := s.AppendMessage(ctx, message(c, "late", base))
		errc <- err
	}()
	wantQueued(t, s, 1)
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("append cancelled while queued: %v; want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("append did not return after its context was cancelled")
	}
	release()
	// The next write commits after the "late" one (one writer, FIFO queue).
	appendMessage(t, s, message(c, "after", base))
	recs, err := s.Conversation(context.Background(), c, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(texts(recs), []string{"after", "late"}) {
		t.Errorf("records = %q; want the cancelled write to have landed too", texts(recs))
	}
}

func TestAnswered(t *testing.T) {
	s := openStore(t, dbPath(t))
	ctx := context.Background()
	conv := conv("test", "c", "")
	ask := func(q, a string, src chat.Source) {
		t.Helper()
		qr, err := s.AppendMessage(ctx, chat.Message{Conversation: conv, Author: chat.Member{ID: "u"}, Text: q})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AppendAnswer(ctx, store.AnswerRecord{Conversation: conv, ReplyTo: qr.ID, Author: chat.Member{ID: "docent"},
			Answer: chat.Answer{Text: a, Source: src}}); err != nil {
			t.Fatal(err)
		}
	}
	ask("q1", "a1", chat.SourceLLM)
	ask("q2", "a2", chat.SourceIntent)
	ask("q3", "a3", chat.SourceLLM)
	s.AppendMessage(ctx, chat.Message{Conversation: conv, Author: chat.Member{ID: "u"}, Text: "unanswered"})
	got, err := s.Answered(ctx, []chat.Source{chat.SourceLLM}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Question.Text != "q3" || got[0].Answer.Text != "a3" || got[1].Question.Text != "q1" {
		t.Fatalf("Answered = %+v, want q3/a3 then q1/a1", got)
	}
	if got, _ := s.Answered(ctx, []chat.Source{chat.SourceLLM}, 1); len(got) != 1 {
		t.Errorf("limit 1 gave %d", len(got))
	}
}

// TestGroupCommit: writes queued together are committed together, in
// fewer transactions than writes (each transaction is an fsync).
func TestGroupCommit(t *testing.T) {
	boltOnly(t, "counts bbolt transactions (LastTxID), in a synctest bubble")
	synctest.Test(t, testGroupCommit)
}

func testGroupCommit(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t))
	c := conv("p", "c", "")
	before := s.LastTxID(t)
	const n = 64
	release := s.HoldWriter(t)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := s.AppendMessage(ctx, message(c, fmt.Sprint("queued ", i), base))
			errs <- err
		}()
	}
	wantQueued(t, s, n)
	release()
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// The held write's transaction, then the queued writes': n writes that
	// were all waiting fit in one batch of the default MaxBatch.
	if txs := s.LastTxID(t) - before - 1; txs != 1 {
		t.Errorf("%d writes queued together took %d transactions; want 1", n, txs)
	}
}

// TestAnswerSent: an answer stored before it is sent gets its platform ID
// afterwards, and votes on the sent message find it.
func TestAnswerSent(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t))
	c := conv("discord", "general", "")
	q := appendMessage(t, s, message(c, "how do I install", base))
	a, err := s.AppendAnswer(ctx, store.AnswerRecord{Conversation: c, ReplyTo: q.ID, Time: base.Add(time.Second),
		Author: chat.Member{ID: "docent", Bot: true}, Answer: chat.Answer{Text: "like this", Source: chat.SourceIntent, Intent: "install"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AnswerSent(ctx, a.ID, "msg-991"); err != nil {
		t.Fatal(err)
	}
	// AnswerSent only queues; a vote, queued after it, is committed after.
	voted, err := s.RecordFeedback(ctx, chat.Feedback{Conversation: c, AnswerID: "msg-991", Member: chat.Member{ID: "u2"}, Vote: chat.VoteUp, Time: base.Add(time.Minute)})
	if err != nil || voted != a.ID {
		t.Errorf("vote on the sent message: answer %d, %v; want %d", voted, err, a.ID)
	}
	got, err := s.Record(ctx, a.ID)
	if err != nil || got.PlatformID != "msg-991" || got.Text != "like this" || got.ReplyTo != q.ID {
		t.Fatalf("after AnswerSent: %+v, %v", got, err)
	}
	// An answer forgotten meanwhile stays forgotten.
	if err := s.AnswerSent(ctx, a.ID+100, "msg-992"); err != nil {
		t.Errorf("AnswerSent for a missing answer: %v", err)
	}
	appendMessage(t, s, message(c, "after", base)) // committed after it
	if _, err := s.Record(ctx, a.ID+100); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AnswerSent for a missing answer created one: %v", err)
	}
}

// TestBatchSurvivesRefusedWrite: a write PostgreSQL refuses, in a batch
// with good ones, fails alone: the server refuses it when the writes reach
// it, which the writer makes happen after each write of the batch, not at
// the next write that reads (which then failed for it) nor at the commit.
// (bbolt refuses in the write's own apply: TestBatchSurvivesBadWrite.)
func TestBatchSurvivesRefusedWrite(t *testing.T) {
	postgresOnly(t)
	ctx := context.Background()
	s := openStore(t, dbPath(t))
	c := conv("p", "c", "")
	release := s.HoldWriter(t)
	const good = 6
	errs := make(chan error, good)
	var wg sync.WaitGroup
	for i := range good {
		wg.Go(func() {
			_, err := s.AppendMessage(ctx, message(c, fmt.Sprintf("good-%d", i), base))
			errs <- err
		})
	}
	var refusedErr error
	wg.Go(func() { refusedErr = s.AppendRefused(ctx, message(c, "refused", base)) })
	waitFor(t, "the writes queued behind the held one", func() bool { return s.Queued() == good+1 })
	release()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a good write in the batch failed: %v", err)
		}
	}
	if refusedErr == nil {
		t.Error("the refused write succeeded")
	}
	recs, err := s.Conversation(ctx, c, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != good {
		t.Errorf("%d records stored (%q); want the %d good ones", len(recs), texts(recs), good)
	}
}
