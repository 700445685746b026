package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store/internal/kv"
)

// Recorder is a feature's own figures of what is stored (the analytics
// module's activity counters). The store calls Record inside the
// transaction that stores the records, after their writes, so that the
// figures are committed with them: no fsync of their own, and never a
// record counted twice or not at all after a crash. A batch (Import, or
// appends that share a commit) comes as one call.
//
// A recorder that fails (an error or a panic) never costs the records:
// the store rolls the transaction back, logs the failure, and commits the
// same writes again without that recorder, whose figures then miss them.
type Recorder interface {
	// Key names the recorder in logs; the store keeps, under Key and
	// "_counted", the ID of the newest record it gave it. Lower case
	// letters, digits and _; unique among the recorders.
	Key() string
	// Record adds recs, just stored in tx, oldest first, to the figures.
	// Like Update's fn, it must not wait, nor call the Store.
	Record(tx *Tx, recs []Record) error
}

var recorderKey = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// checkRecorders refuses recorders without a usable key, or with the same
// key.
func checkRecorders(rs []Recorder) error {
	seen := map[string]bool{}
	for _, r := range rs {
		switch k := r.Key(); {
		case !recorderKey.MatchString(k):
			return fmt.Errorf("store: the recorder %T has the key %q: lower case letters, digits and _, please", r, k)
		case seen[k]:
			return fmt.Errorf("store: two recorders have the key %q", k)
		default:
			seen[k] = true
		}
	}
	return nil
}

// recorderMark is the meta key of the newest record ID given to r.
func recorderMark(r Recorder) []byte { return []byte(r.Key() + "_counted") }

// recorderError is a recorder's failure inside a write transaction.
type recorderError struct {
	key string
	err error
}

func (e *recorderError) Error() string { return fmt.Sprintf("recorder %s: %v", e.key, e.err) }
func (e *recorderError) Unwrap() error { return e.err }

// record gives recs, stored in tx, to every recorder but those in skip,
// and moves every recorder's mark past them (a skipped recorder's too: the
// records it missed are not given to it again).
func (s *Store) record(tx kv.Tx, recs []Record, skip map[string]bool) error {
	if len(recs) == 0 || len(s.recorders) == 0 {
		return nil
	}
	meta := tx.Bucket(bucketMeta)
	last := appendID(nil, recs[len(recs)-1].ID)
	for _, r := range s.recorders {
		if !skip[r.Key()] {
			if err := safely(func() error { return r.Record(&Tx{tx: tx, shared: s.replica}, recs) }); err != nil {
				return &recorderError{key: r.Key(), err: err}
			}
		}
		if err := meta.Put(recorderMark(r), last); err != nil {
			return err
		}
	}
	return nil
}

// A RollbackRecorder is a Recorder that keeps state of its own beside
// the store (bot/exchange's Detector remembers the last window of each
// conversation). RolledBack tells it that the records it was last given
// were not committed: the transaction failed (another recorder failed on
// them, and the store gives them again without it), or PostgreSQL runs
// it again. It forgets what it learnt from them.
type RollbackRecorder interface {
	Recorder
	RolledBack()
}

// rolledBack tells the recorders given records in a transaction that did
// not commit.
func (s *Store) rolledBack(skip map[string]bool) {
	for _, r := range s.recorders {
		if rr, ok := r.(RollbackRecorder); ok && !skip[r.Key()] {
			rr.RolledBack()
		}
	}
}

// replayRecorders gives each recorder the records after its mark: every
// record of a database made before the recorder existed. It runs in Open,
// before the writer starts, replayChunk records per transaction.
func (s *Store) replayRecorders() error {
	for _, r := range s.recorders {
		total := 0
		for {
			var recs []Record
			err := s.db.Update(context.Background(), func(tx kv.Tx) error {
				var err error
				if recs, err = recordsAfter(tx, markOf(tx, r), replayChunk); err != nil {
					return err
				}
				return s.record(tx, recs, nil)
			})
			if re := (*recorderError)(nil); errors.As(err, &re) {
				s.log.Error("store: a recorder failed on stored records; they stay out of its figures", "recorder", r.Key(), "records", len(recs), "err", re.err)
				err = s.db.Update(context.Background(), func(tx kv.Tx) error {
					return s.record(tx, recs, map[string]bool{r.Key(): true})
				})
			}
			if err != nil {
				return fmt.Errorf("store: give the records of %s to %s: %w", s.path, r.Key(), err)
			}
			total += len(recs)
			if len(recs) < replayChunk {
				break
			}
		}
		if total > 0 {
			s.log.Info("store: records given to a recorder", "recorder", r.Key(), "records", total)
		}
	}
	return nil
}

// markOf is the newest record ID given to r.
func markOf(tx kv.Tx, r Recorder) uint64 {
	if v := tx.Bucket(bucketMeta).Get(recorderMark(r)); len(v) == idLen {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// recordsAfter reads up to n records with IDs above after, in ID order.
func recordsAfter(tx kv.Tx, after uint64, n int) ([]Record, error) {
	msgs, ids, _, err := recordBuckets(tx)
	if err != nil {
		return nil, err
	}
	var out []Record
	cur := ids.Cursor()
	for k, v := cur.Seek(appendID(nil, after+1)); k != nil && len(out) < n; k, v = cur.Next() {
		key := messageKey(k, v)
		val := msgs.Get(key)
		if val == nil {
			return nil, fmt.Errorf("database is damaged: record %x is indexed but missing", k)
		}
		rec, err := decodeRecord(key, val)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// VoteRecorder is a Recorder that also counts votes: RecordVote is called
// in the transaction that changes a member's vote on a record from old to
// vote (chat.VoteNone when there was none, or when a forgotten member's
// votes are taken back).
type VoteRecorder interface {
	Recorder
	RecordVote(tx *Tx, on Record, voter chat.Member, old, vote chat.Vote) error
}

// Unrecorder is a Recorder whose figures leave with a forgotten member's
// records: Unrecord is called in the transaction that deletes them
// (ForgetMember; retention keeps the figures of what it deletes).
type Unrecorder interface {
	Recorder
	Unrecord(tx *Tx, recs []Record) error
}

// recordVote gives a vote's change to the vote recorders, in the writer's
// transaction; a recorder's failure is a *recorderError, after which the
// writer commits the vote without that recorder (s.txSkip).
func (s *Store) recordVote(tx kv.Tx, on Record, voter chat.Member, old, vote chat.Vote) error {
	if old == vote {
		return nil
	}
	for _, r := range s.recorders {
		if vr, ok := r.(VoteRecorder); ok && !s.txSkip[r.Key()] {
			if err := safely(func() error { return vr.RecordVote(&Tx{tx: tx}, on, voter, old, vote) }); err != nil {
				return &recorderError{key: r.Key(), err: err}
			}
		}
	}
	return nil
}

// unrecord gives records deleted for ForgetMember to the unrecorders, as
// recordVote does.
func (s *Store) unrecord(tx kv.Tx, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	for _, r := range s.recorders {
		if ur, ok := r.(Unrecorder); ok && !s.txSkip[r.Key()] {
			if err := safely(func() error { return ur.Unrecord(&Tx{tx: tx}, recs) }); err != nil {
				return &recorderError{key: r.Key(), err: err}
			}
		}
	}
	return nil
}

// Record reads the record id in the transaction (a recorder reads the
// question an answer replies to); a zero Record when there is none.
func (t *Tx) Record(id uint64) (Record, error) { return recordByID(t.tx, id) }

// Earlier calls fn with up to n records stored before rec in its
// conversation, newest first, until fn returns false.
func (t *Tx) Earlier(rec Record, n int, fn func(Record) bool) error {
	conv := appendConversation(nil, rec.Conversation)
	return earlier(t.tx, recordKey(conv, rec.ID), conv, n, fn)
}

// earlier calls fn with up to n records before key in its conversation,
// newest first, until fn returns false.
func earlier(tx kv.Tx, key []byte, conv []byte, n int, fn func(Record) bool) error {
	msgs := tx.Bucket(bucketMessages)
	cur := msgs.Cursor()
	k, _ := cur.Seek(key)
	if k == nil {
		k, _ = cur.Last()
	}
	if k != nil && bytes.Compare(k, key) >= 0 {
		k, _ = cur.Prev()
	}
	for i := 0; k != nil && i < n && bytes.HasPrefix(k, conv) && len(k) == len(conv)+idLen; i++ {
		rec, err := decodeRecord(k, msgs.Get(k))
		if err != nil {
			return err
		}
		if !fn(rec) {
			return nil
		}
		k, _ = cur.Prev()
	}
	return nil
}

// recordByID reads a record in tx; a zero Record when there is none.
func recordByID(tx kv.Tx, id uint64) (Record, error) {
	if id == 0 {
		return Record{}, nil
	}
	msgs, ids, _, err := recordBuckets(tx)
	if err != nil {
		return Record{}, err
	}
	idKey := appendID(nil, id)
	key := messageKey(idKey, ids.Get(idKey))
	if key == nil {
		return Record{}, nil
	}
	val := msgs.Get(key)
	if val == nil {
		return Record{}, fmt.Errorf("database is damaged: record %d is indexed but missing", id)
	}
	return decodeRecord(key, val)
}

// replayChunk is how many records the recorders are given per transaction
// at Open.
const replayChunk = 50_000

// update runs fn in a write transaction, then gives the records fn stored
// (through s.txStored) to the recorders but those in skip.
func (s *Store) update(fn func(tx kv.Tx) error, skip map[string]bool) error {
	// One write transaction at a time, whatever the database: bbolt would
	// make the others wait anyway, and on PostgreSQL it keeps this
	// process's writes from conflicting with each other (see storeLock).
	// It is also what makes txStored and txSkip safe to share.
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	recorded := false // the recorders were given records in an attempt
	err := s.db.Update(context.Background(), func(tx kv.Tx) error {
		if recorded { // PostgreSQL runs the transaction again
			s.rolledBack(skip)
			recorded = false
		}
		s.txStored, s.txSkip = s.txStored[:0], skip
		defer func() {
			clear(s.txStored)
			s.txStored, s.txSkip = s.txStored[:0], nil
		}()
		if err := fn(tx); err != nil {
			return err
		}
		recorded = len(s.txStored) > 0
		return s.record(tx, s.txStored, skip)
	})
	if err != nil {
		if recorded {
			s.rolledBack(skip)
		}
		return err
	}
	s.commits.Add(1)
	return nil
}
