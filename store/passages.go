package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
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
	r := newWriteReq(func(tx *bolt.Tx) (Record, error) {
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
	err := s.view(func(tx *bolt.Tx) error {
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
