package threads

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/docent-bot/docent/bot/exchange"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/chat/topics"
	"github.com/docent-bot/docent/store"
)

// The module's records, in buckets of its own:
//
//	threads_answered    question ID (8 bytes, big endian) → {"t","p","a","r":[{"id","a"}]}
//	threads_unanswered  question ID → {"t","p","a"}
//	threads_counts      "answered" | "unanswered" → how many keys the bucket holds (8 bytes)
//
// "t" is the question's time (Unix seconds), "p" its platform, "a" its
// author's ID, "r" the replies' record IDs and authors: IDs only, the text
// stays in the core's records, so that what a member wrote is deleted in
// one place. Keys in ID order are in the order stored, so the newest are
// last and the oldest go first when a bucket is over its bound.
var (
	bucketThreads    = store.NewAppendBucket("threads_answered")
	bucketUnanswered = store.NewAppendBucket("threads_unanswered")
	bucketCounts     = store.NewBucket("threads_counts")
)

// Schema is the version of the layout above: 1, the first.
func (*Module) Schema() store.Schema { return store.Schema{Version: 1} }

// Kept is how many threads, and how many unanswered questions, the module
// keeps: the newest of each.
const Kept = 20_000

// ReplyWindow is how soon a reply must come to make a thread: later ones
// are usually about something else.
const ReplyWindow = 10 * time.Minute

// entry is one question kept: in threads_answered with its replies, in
// threads_unanswered without.
type entry struct {
	id       uint64
	Time     int64      `json:"t"`
	Platform string     `json:"p"`
	Author   string     `json:"a"`
	Replies  []replyRef `json:"r,omitempty"`
}

type replyRef struct {
	ID     uint64 `json:"id"`
	Author string `json:"a"`
}

func idKey(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

func decodeEntry(k, v []byte) (entry, error) {
	var e entry
	if len(k) != 8 {
		return e, fmt.Errorf("threads: a key of %d bytes", len(k))
	}
	if err := json.Unmarshal(v, &e); err != nil {
		return e, fmt.Errorf("threads: question %d: %w", binary.BigEndian.Uint64(k), err)
	}
	e.id = binary.BigEndian.Uint64(k)
	return e, nil
}

func entryOf(q store.Record) entry {
	return entry{id: q.ID, Time: q.Time.Unix(), Platform: q.Conversation.Platform, Author: q.Author.ID}
}

// put stores e in b, counting it when it is new.
func put(tx *store.Tx, b store.Bucket, e entry) error {
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	k := idKey(e.id)
	if tx.Get(b, k) == nil {
		if err := addCount(tx, b, 1); err != nil {
			return err
		}
	}
	return tx.Put(b, k, v)
}

// remove deletes id from b, if it is there.
func remove(tx *store.Tx, b store.Bucket, id uint64) error {
	k := idKey(id)
	if tx.Get(b, k) == nil {
		return nil
	}
	if err := tx.Delete(b, k); err != nil {
		return err
	}
	return addCount(tx, b, -1)
}

func count(tx *store.Tx, b store.Bucket) int {
	if v := tx.Get(bucketCounts, []byte(b.Name())); len(v) == 8 {
		return int(binary.BigEndian.Uint64(v))
	}
	return 0
}

func addCount(tx *store.Tx, b store.Bucket, n int) error {
	return tx.Put(bucketCounts, []byte(b.Name()), binary.BigEndian.AppendUint64(nil, uint64(max(0, count(tx, b)+n))))
}

var errEnough = errors.New("enough")

// trim deletes b's oldest entries beyond keep.
func trim(tx *store.Tx, b store.Bucket, keep int) error {
	over := count(tx, b) - keep
	if over <= 0 {
		return nil
	}
	var ids []uint64
	err := tx.Scan(b, nil, func(k, _ []byte) error {
		if len(ids) == over {
			return errEnough
		}
		ids = append(ids, binary.BigEndian.Uint64(k))
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return err
	}
	for _, id := range ids {
		if err := remove(tx, b, id); err != nil {
			return err
		}
	}
	return nil
}

// recorder runs the exchange Detector over the records as they are
// stored, in their transaction.
type recorder struct {
	d    *exchange.Detector
	keep int
	log  *slog.Logger
	once exchange.Batches // d's, each batch once
}

func newRecorder(env module.RecordEnv, keep int) *recorder {
	log := env.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &exchange.Detector{Text: topics.Text{CommandPrefix: env.Prefix}}
	return &recorder{d: d, once: exchange.Batches{Detector: d}, keep: keep, log: log}
}

// Key is "threads": the store keeps the newest record read under
// "threads_counted".
func (*recorder) Key() string { return "threads" }

// answers reports whether an answer from source answers the question: an
// intent's response, passages of the docs or past threads, the LLM's; not
// Docent's "not sure", nor an apology.
func answers(source chat.Source) bool {
	switch source {
	case chat.SourceIntent, chat.SourceKnowledge, chat.SourceLLM:
		return true
	}
	return false
}

// primeRecords bounds how many earlier records of a conversation the
// Detector is shown when it does not know the conversation (after a
// restart): enough to tie the first replies to the questions before.
const primeRecords = 64

// Record reads recs, just stored, for questions and replies.
func (r *recorder) Record(tx *store.Tx, recs []store.Record) error {
	if len(recs) == 0 {
		return nil
	}
	docent := func(rec store.Record) bool { return rec.Kind == store.KindAnswer }
	events, err := r.once.Events(tx, recs, docent, func(rec store.Record) error {
		if err := r.prime(tx, rec); err != nil {
			return fmt.Errorf("read the records before %d: %w", rec.ID, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, rec := range recs {
		if rec.Kind == store.KindAnswer {
			// Docent answered it: not a question nobody answered, unless
			// all it said was that it is not sure, or sorry.
			if rec.ReplyTo != 0 && answers(rec.Source) {
				if err := remove(tx, bucketUnanswered, rec.ReplyTo); err != nil {
					return fmt.Errorf("record answer %d: %w", rec.ID, err)
				}
			}
			continue
		}
		for _, e := range events[i] {
			if err := r.keepEvent(tx, e); err != nil {
				return fmt.Errorf("record %s of %d: %w", e.Kind, rec.ID, err)
			}
		}
	}
	if err := trim(tx, bucketThreads, r.keep); err != nil {
		return err
	}
	return trim(tx, bucketUnanswered, r.keep)
}

// prime shows the Detector the last window of rec's conversation before
// rec, whose events were kept when they were stored.
func (r *recorder) prime(tx *store.Tx, rec store.Record) error {
	since := rec.Time.Add(-exchange.DefaultWindow)
	var before []store.Record
	err := tx.Earlier(rec, primeRecords, func(e store.Record) bool {
		if e.Time.Before(since) {
			return false
		}
		before = append(before, e)
		return true
	})
	if err != nil {
		return err
	}
	slices.Reverse(before)
	for _, e := range before {
		r.d.Feed(e)
	}
	return nil
}

// keepEvent stores what e says: a question, open until answered; a reply
// soon enough, which makes (or adds to) the question's thread.
func (r *recorder) keepEvent(tx *store.Tx, e exchange.Event) error {
	switch {
	case e.Kind == exchange.Asked:
		return put(tx, bucketUnanswered, entryOf(e.Record))
	case e.Kind == exchange.Replied && e.After <= ReplyWindow:
		t := entryOf(e.Question)
		if v := tx.Get(bucketThreads, idKey(t.id)); v != nil {
			var err error
			if t, err = decodeEntry(idKey(t.id), v); err != nil {
				r.log.Warn("threads: a stored thread was damaged; keeping it afresh", "question", e.Question.ID, "err", err)
				t = entryOf(e.Question)
			}
		}
		t.Replies = append(t.Replies, replyRef{ID: e.Record.ID, Author: e.Record.Author.ID})
		if err := put(tx, bucketThreads, t); err != nil {
			return err
		}
		return remove(tx, bucketUnanswered, t.id)
	}
	return nil
}

// RolledBack forgets what the Detector learnt from records that were not
// committed (store.RollbackRecorder).
func (r *recorder) RolledBack() { r.once.RolledBack() }
