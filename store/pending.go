package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"slices"

	"github.com/docent-bot/docent/store/internal/kv"
)

// ErrDuplicate is AppendMessage's error, with the record stored before
// (DuplicateError), when the platform's message is stored already: Slack
// sends an event again when it was not acknowledged in time, possibly to
// another replica. The message must not be answered twice.
var ErrDuplicate = errors.New("the message is stored already")

// DuplicateError is the error of AppendMessage for a message stored
// before; errors.Is(err, ErrDuplicate) holds.
type DuplicateError struct {
	Stored Record // the message as it was stored the first time
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("store: %s message %s in %s: %s, as record %d", e.Stored.Conversation.Platform,
		e.Stored.PlatformID, e.Stored.Conversation, ErrDuplicate, e.Stored.ID)
}

func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

// storedMessage finds the member's message rec (a live one, not yet
// stored) among the stored records by its platform ID: the same platform,
// ID and channel (Slack's ts is unique within a channel only). It runs
// in the transaction that would store rec, so that under SERIALIZABLE two
// replicas storing one message end with one record: the second to commit
// is aborted, runs again, and finds the first's.
func storedMessage(tx kv.Tx, rec Record) (Record, bool, error) {
	if rec.PlatformID == "" {
		return Record{}, false, nil
	}
	id, err := lookupPlatformIDIn(tx, rec.Conversation.Platform, rec.Conversation.Channel, rec.PlatformID)
	if err != nil || id == 0 {
		return Record{}, false, err
	}
	old, err := recordByID(tx, id)
	if err != nil {
		return Record{}, false, err
	}
	if old.ID == 0 || old.Kind != KindMessage || old.Conversation.Channel != rec.Conversation.Channel {
		return Record{}, false, nil
	}
	return old, true, nil
}

// bucketPending holds, for replicas only, the members' messages stored and
// not yet done with: the message's record ID → the ID of the replica
// answering it. A replica that dies leaves its marks behind, and another
// one answers those messages (ClaimOrphans). A lone Docent writes none: a
// message it stored and did not answer before it was killed stays
// unanswered, as before.
var bucketPending = []byte("pending")

// aliveKey is the advisory lock key a replica holds while it lives, keyed
// by its ID: "repl" in the high 32 bits, the ID's FNV hash in the low ones
// (storeLock's and leadKey's high bits differ).
func aliveKey(replica string) int64 {
	h := fnv.New32a()
	h.Write([]byte(replica))
	return int64(0x7265706c)<<32 | int64(h.Sum32())
}

// newReplicaID names this process among the replicas: the host, the
// process and a random part, so that a restarted replica is a new one
// (its old marks are another's, taken over).
func newReplicaID() string {
	host, _ := os.Hostname()
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// holdAlive takes this replica's liveness lock, which it holds while it
// lives: the others see it dead once the lock is free.
func (s *Store) holdAlive(ctx context.Context, pg *kv.Postgres) error {
	s.replicaID = newReplicaID()
	lock, err := pg.Hold(ctx, aliveKey(s.replicaID), kv.Exclusive, 0)
	if err != nil {
		return fmt.Errorf("store: open %s: hold this replica's liveness lock: %w", s.path, err)
	}
	s.alive = lock
	return nil
}

// ReplicaID is this replica's name in the pending marks; "" when the store
// is not a replica.
func (s *Store) ReplicaID() string { return s.replicaID }

// markPending notes in tx that this replica is answering message id.
func (s *Store) markPending(tx kv.Tx, id uint64) error {
	if s.replicaID == "" {
		return nil
	}
	b, err := tx.CreateBucketIfNotExists(bucketPending)
	if err != nil {
		return err
	}
	if err := b.Put(appendID(nil, id), []byte(s.replicaID)); err != nil {
		return fmt.Errorf("mark message %d pending: %w", id, err)
	}
	return nil
}

// settle clears message id's pending mark in tx, whoever holds it.
func settle(tx kv.Tx, id uint64) error {
	b := tx.Bucket(bucketPending)
	if b == nil || id == 0 {
		return nil
	}
	return b.Delete(appendID(nil, id)) // a key not there is no error
}

// Settled tells the store that the bot is done with message id (answered,
// refused, or left unanswered on purpose), so that no replica takes it
// over. It is a no-op but on a replica. Like AnswerSent it returns once
// the write is queued, without waiting for its commit.
func (s *Store) Settled(ctx context.Context, id uint64) error {
	if s.replicaID == "" || id == 0 {
		return nil
	}
	r := newWriteReq(func(tx kv.Tx) (Record, error) { return Record{}, settle(tx, id) })
	if err := s.enqueue(ctx, r); err != nil {
		return fmt.Errorf("store: settle message %d: %w", id, err)
	}
	return nil
}

// Pending lists the messages marked pending, by record ID, with the
// replica answering each; for tests and checks.
func (s *Store) Pending(ctx context.Context) (map[uint64]string, error) {
	out := map[uint64]string{}
	err := s.view(ctx, func(tx kv.Tx) error {
		b := tx.Bucket(bucketPending)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if len(k) != idLen {
				return fmt.Errorf("database is damaged: pending mark %x", k)
			}
			out[binary.BigEndian.Uint64(k)] = string(v)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: list pending messages: %w", err)
	}
	return out, nil
}

// maxClaim bounds the messages one ClaimOrphans takes over.
const maxClaim = 100

// ClaimOrphans takes over, for this replica, up to 100 messages whose
// replica died before it was done with them (their pending mark names a
// replica whose liveness lock is free), and returns them, oldest first,
// to be answered again. Their marks now name this replica, so that if it
// dies too, another takes them over in turn. It returns nothing but on a
// replica; only one replica should call it at a time (the lead
// "pending").
func (s *Store) ClaimOrphans(ctx context.Context) ([]Record, error) {
	pg, ok := s.db.(*kv.Postgres)
	if !ok || s.replicaID == "" {
		return nil, nil
	}
	marks, err := s.Pending(ctx)
	if err != nil {
		return nil, err
	}
	dead := map[string]bool{}
	var ids []uint64
	for id, replica := range marks {
		if replica == s.replicaID {
			continue
		}
		gone, seen := dead[replica]
		if !seen {
			lock, err := pg.Hold(ctx, aliveKey(replica), kv.Exclusive, 0)
			switch {
			case err == nil: // nobody holds it: that replica is gone
				lock.Release()
				gone = true
			case errors.Is(err, kv.ErrHeld):
			default:
				return nil, fmt.Errorf("store: look for replicas gone: %w", err)
			}
			dead[replica] = gone
		}
		if gone {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	slices.Sort(ids)
	ids = ids[:min(len(ids), maxClaim)]
	var claimed []Record
	r := newWriteReq(func(tx kv.Tx) (Record, error) {
		claimed = claimed[:0] // it may run again
		b := tx.Bucket(bucketPending)
		if b == nil {
			return Record{}, nil
		}
		for _, id := range ids {
			key := appendID(nil, id)
			v := b.Get(key)
			if v == nil || !dead[string(v)] {
				continue // settled, or claimed by another meanwhile
			}
			rec, err := recordByID(tx, id)
			if err != nil {
				return Record{}, err
			}
			if rec.ID == 0 || rec.Kind != KindMessage { // forgotten since
				if err := b.Delete(key); err != nil {
					return Record{}, err
				}
				continue
			}
			if err := b.Put(key, []byte(s.replicaID)); err != nil {
				return Record{}, err
			}
			claimed = append(claimed, rec)
		}
		return Record{}, nil
	})
	if _, err := s.submit(ctx, r); err != nil {
		return nil, fmt.Errorf("store: take over the messages of replicas gone: %w", err)
	}
	return claimed, nil
}

// AnswerTo returns the newest answer stored to message q, if any: the
// answer a replica stored before it was killed, which may have been sent.
func (s *Store) AnswerTo(ctx context.Context, q Record) (Record, bool, error) {
	recs, err := s.Conversation(ctx, q.Conversation, 0)
	if err != nil {
		return Record{}, false, err
	}
	for _, rec := range recs {
		if rec.Kind == KindAnswer && rec.ReplyTo == q.ID {
			return rec, true, nil
		}
	}
	return Record{}, false, nil
}
