package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store/internal/kv"
)

// bucketDownvoted holds, for each answer members voted down, the docs
// passages it showed, so that they rank lower in later searches (and still
// do after a restart):
//
//	downvoted_passages  answer ID → {"v":1,"passages":[...],"time":...}
//
// Created on first use, so older databases need no migration.
var bucketDownvoted = []byte("downvoted_passages")

// Bounds on what one answer can record.
const (
	maxPassagesPerAnswer = 64
	maxPassageID         = 1024
)

type downvotedValue struct {
	V        int       `json:"v"`
	Passages []string  `json:"passages"`
	Time     time.Time `json:"time"`
}

// SetDownvotedPassages records the IDs of the docs passages an answer
// showed while the answer is voted down, replacing what was recorded for
// it; with no passages (the vote was taken back) it forgets the answer.
func (s *Store) SetDownvotedPassages(ctx context.Context, answer uint64, passages []string) error {
	if answer == 0 {
		return fmt.Errorf("store: record downvoted passages: %w: no answer ID", ErrInvalid)
	}
	if len(passages) > maxPassagesPerAnswer {
		return fmt.Errorf("store: record downvoted passages of answer %d: %w: %d passages, at most %d", answer, ErrInvalid, len(passages), maxPassagesPerAnswer)
	}
	for _, p := range passages {
		if p == "" || len(p) > maxPassageID || !utf8.ValidString(p) {
			return fmt.Errorf("store: record downvoted passages of answer %d: %w: passage ID %.40q is empty, too long or not UTF-8", answer, ErrInvalid, p)
		}
	}
	var val []byte
	if len(passages) > 0 {
		var err error
		if val, err = json.Marshal(downvotedValue{V: formatV1, Passages: passages, Time: time.Now().UTC()}); err != nil {
			return fmt.Errorf("store: record downvoted passages of answer %d: %w", answer, err)
		}
	}
	r := newWriteReq(func(tx kv.Tx) (Record, error) {
		if val == nil {
			b := tx.Bucket(bucketDownvoted)
			if b == nil {
				return Record{}, nil
			}
			return Record{}, b.Delete(appendID(nil, answer))
		}
		b, err := tx.CreateBucketIfNotExists(bucketDownvoted)
		if err != nil {
			return Record{}, err
		}
		return Record{}, b.Put(appendID(nil, answer), val)
	})
	if _, err := s.submit(ctx, r); err != nil {
		return fmt.Errorf("store: record downvoted passages of answer %d: %w", answer, err)
	}
	return nil
}

// PassageDownvotes counts, for each passage, the voted-down answers that
// showed it.
func (s *Store) PassageDownvotes(ctx context.Context) (map[string]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	counts := map[string]int{}
	err := s.view(ctx, func(tx kv.Tx) error {
		b := tx.Bucket(bucketDownvoted)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var d downvotedValue
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("decode the downvoted passages of answer %x: %w", k, err)
			}
			for _, p := range d.Passages {
				counts[p]++
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: read downvoted passages: %w", err)
	}
	return counts, nil
}

// PruneDownvotedPassages forgets the answers no longer stored or no longer
// voted down: deleted by retention or with a forgotten member, or whose
// 👎 went with the member who cast it. Their passages then rank as before.
// It returns how many answers it forgot.
func (s *Store) PruneDownvotedPassages(ctx context.Context) (int, error) {
	var pruned int
	r := newWriteReq(func(tx kv.Tx) (Record, error) {
		pruned = 0 // the writer may run this again
		b := tx.Bucket(bucketDownvoted)
		if b == nil {
			return Record{}, nil
		}
		ids, fb := tx.Bucket(bucketIDs), tx.Bucket(bucketFeedback)
		var stale [][]byte
		err := b.ForEach(func(k, _ []byte) error {
			down, err := hasDownvote(fb, k)
			if err != nil {
				return err
			}
			if ids == nil || ids.Get(k) == nil || !down {
				stale = append(stale, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return Record{}, err
		}
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return Record{}, err
			}
		}
		pruned = len(stale)
		return Record{}, nil
	})
	if _, err := s.submit(ctx, r); err != nil {
		return 0, fmt.Errorf("store: prune downvoted passages: %w", err)
	}
	return pruned, nil
}

// hasDownvote says whether any member's vote on the answer (its 8-byte
// key) is a 👎.
func hasDownvote(fb kv.Bucket, answer []byte) (bool, error) {
	if fb == nil {
		return false, nil
	}
	c := fb.Cursor()
	for k, v := c.Seek(answer); k != nil && bytes.HasPrefix(k, answer); k, v = c.Next() {
		var vote Vote
		if err := json.Unmarshal(v, &vote); err != nil {
			return false, fmt.Errorf("decode a vote on answer %x: %w", answer, err)
		}
		if vote.Vote == chat.VoteDown {
			return true, nil
		}
	}
	return false, nil
}
