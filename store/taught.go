package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/docent-bot/docent/chat"
)

// bucketTaught holds what admins taught Docent in chat; created on first
// use, so older databases need no migration.
var bucketTaught = []byte("taught")

// Taught is one lesson: a new pattern for an intent, or (with Response) a
// new intent.
type Taught struct {
	ID       uint64      `json:"id"`
	Intent   string      `json:"intent"`
	Pattern  string      `json:"pattern,omitempty"`
	Response string      `json:"response,omitempty"` // set when the lesson creates the intent
	By       chat.Member `json:"by"`
	Time     time.Time   `json:"time"`
}

// maxLesson bounds a lesson's texts.
const maxLesson = 4096

// Teach stores a lesson and returns it with its ID.
func (s *Store) Teach(ctx context.Context, t Taught) (Taught, error) {
	switch {
	case t.Intent == "" || (t.Pattern == "" && t.Response == ""):
		return Taught{}, fmt.Errorf("store: teach: %w: an intent and a pattern or a response are needed", ErrInvalid)
	case len(t.Pattern) > maxLesson || len(t.Response) > maxLesson || len(t.Intent) > 256:
		return Taught{}, fmt.Errorf("store: teach: %w: too long", ErrInvalid)
	case !utf8.ValidString(t.Intent + t.Pattern + t.Response):
		return Taught{}, fmt.Errorf("store: teach: %w: not UTF-8", ErrInvalid)
	}
	if t.Time.IsZero() {
		t.Time = time.Now()
	}
	t.Time = t.Time.UTC()
	r := newWriteReq(func(tx *bolt.Tx) (Record, error) {
		b, err := tx.CreateBucketIfNotExists(bucketTaught)
		if err != nil {
			return Record{}, err
		}
		id, err := b.NextSequence()
		if err != nil {
			return Record{}, err
		}
		t.ID = id
		val, err := json.Marshal(t)
		if err != nil {
			return Record{}, err
		}
		return Record{}, b.Put(appendID(nil, id), val)
	})
	if _, err := s.submit(ctx, r); err != nil {
		return Taught{}, fmt.Errorf("store: teach %s: %w", t.Intent, err)
	}
	return t, nil
}

// Lessons returns every lesson, oldest first.
func (s *Store) Lessons(ctx context.Context) ([]Taught, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []Taught
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTaught)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			var t Taught
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("decode a lesson: %w", err)
			}
			out = append(out, t)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: read lessons: %w", err)
	}
	return out, nil
}

// Unteach removes lesson id and returns what it removed, that lesson
// first. A lesson that created an intent takes the patterns taught to that
// intent with it, in the same transaction: they would be left pointing at
// nothing, and would come back should an intent of that name be created
// again. An unknown id is an error wrapping ErrNotFound.
func (s *Store) Unteach(ctx context.Context, id uint64) ([]Taught, error) {
	var removed []Taught
	r := newWriteReq(func(tx *bolt.Tx) (Record, error) {
		// The writer may run this again when another write of its batch
		// fails: start afresh each time.
		removed = removed[:0]
		b := tx.Bucket(bucketTaught)
		if b == nil {
			return Record{}, ErrNotFound
		}
		key := appendID(nil, id)
		raw := b.Get(key)
		if raw == nil {
			return Record{}, ErrNotFound
		}
		var t Taught
		if err := json.Unmarshal(raw, &t); err != nil {
			return Record{}, fmt.Errorf("decode lesson %d: %w", id, err)
		}
		removed = append(removed, t)
		keys := [][]byte{key}
		if t.Response != "" {
			err := b.ForEach(func(k, v []byte) error {
				var p Taught
				if err := json.Unmarshal(v, &p); err != nil {
					return fmt.Errorf("decode a lesson: %w", err)
				}
				if p.Intent == t.Intent && p.Response == "" {
					removed = append(removed, p)
					keys = append(keys, slices.Clone(k))
				}
				return nil
			})
			if err != nil {
				return Record{}, err
			}
		}
		// Deleting inside ForEach is not allowed: delete after.
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return Record{}, err
			}
		}
		return Record{}, nil
	})
	if _, err := s.submit(ctx, r); err != nil {
		return nil, fmt.Errorf("store: unteach lesson %d: %w", id, err)
	}
	return removed, nil
}
