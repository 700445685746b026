package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// bucketUsage holds what the LLM cost, per day and scope. It is created
// on first use, so databases made before it existed need no migration.
var bucketUsage = []byte("usage")

// Usage is what the LLM cost in one scope on one day.
type Usage struct {
	Requests int `json:"requests"`
	Tokens   int `json:"tokens"`
}

// Day is the key of a day's usage: its UTC date, 2006-01-02.
func Day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// usageKey is day "/" scope; scopes are the caller's ("member:discord:42").
func usageKey(day, scope string) []byte { return []byte(day + "/" + scope) }

func validUsageName(day, scope string) error {
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return fmt.Errorf("%w: day %q is not a date like 2006-01-02", ErrInvalid, day)
	}
	if scope == "" || len(scope) > 512 || !utf8.ValidString(scope) || strings.IndexByte(scope, 0) >= 0 {
		return fmt.Errorf("%w: usage scope %q", ErrInvalid, scope)
	}
	return nil
}

// AddUsage adds u to the counts of each scope on day, in one transaction
// with the other queued writes. It returns after the commit.
func (s *Store) AddUsage(ctx context.Context, day string, u Usage, scopes ...string) error {
	for _, sc := range scopes {
		if err := validUsageName(day, sc); err != nil {
			return fmt.Errorf("store: add usage: %w", err)
		}
	}
	r := newWriteReq(func(tx *bolt.Tx) (Record, error) {
		b, err := tx.CreateBucketIfNotExists(bucketUsage)
		if err != nil {
			return Record{}, err
		}
		for _, sc := range scopes {
			k := usageKey(day, sc)
			cur := decodeUsage(b.Get(k))
			cur.Requests += u.Requests
			cur.Tokens += u.Tokens
			if err := b.Put(k, encodeUsage(cur)); err != nil {
				return Record{}, err
			}
		}
		return Record{}, nil
	})
	if _, err := s.submit(ctx, r); err != nil {
		return fmt.Errorf("store: add usage for %s: %w", day, err)
	}
	return nil
}

// UsageOn returns the counts of each scope on day (zero for none).
func (s *Store) UsageOn(ctx context.Context, day string, scopes ...string) ([]Usage, error) {
	out := make([]Usage, len(scopes))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUsage)
		if b == nil {
			return nil
		}
		for i, sc := range scopes {
			out[i] = decodeUsage(b.Get(usageKey(day, sc)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read usage for %s: %w", day, err)
	}
	return out, nil
}

// UsageDay returns the counts of every scope on day.
func (s *Store) UsageDay(ctx context.Context, day string) (map[string]Usage, error) {
	out := map[string]Usage{}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	prefix := []byte(day + "/")
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUsage)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, v = c.Next() {
			out[string(k[len(prefix):])] = decodeUsage(v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read usage for %s: %w", day, err)
	}
	return out, nil
}

func encodeUsage(u Usage) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, uint64(max(u.Requests, 0)))
	binary.BigEndian.PutUint64(b[8:], uint64(max(u.Tokens, 0)))
	return b
}

func decodeUsage(b []byte) Usage {
	if len(b) != 16 {
		return Usage{}
	}
	return Usage{Requests: int(binary.BigEndian.Uint64(b)), Tokens: int(binary.BigEndian.Uint64(b[8:]))}
}

// Limit is a scope's daily limits for Reserve; 0 means no limit.
type Limit struct {
	Scope            string
	Requests, Tokens int
}

// Reserve takes one request in every scope of limits on day, unless one of
// them has already reached its requests or tokens limit; then it takes
// nothing and returns that scope's index. It returns -1 when it reserved.
// The check and the take are one transaction, so concurrent questions
// cannot all slip under a limit before any of them is counted.
func (s *Store) Reserve(ctx context.Context, day string, limits []Limit) (over int, err error) {
	for _, l := range limits {
		if err := validUsageName(day, l.Scope); err != nil {
			return -1, fmt.Errorf("store: reserve usage: %w", err)
		}
	}
	over = -1
	r := newWriteReq(func(tx *bolt.Tx) (Record, error) {
		over = -1 // the apply may be retried without another request
		b, err := tx.CreateBucketIfNotExists(bucketUsage)
		if err != nil {
			return Record{}, err
		}
		used := make([]Usage, len(limits))
		for i, l := range limits {
			used[i] = decodeUsage(b.Get(usageKey(day, l.Scope)))
			if l.Requests > 0 && used[i].Requests >= l.Requests || l.Tokens > 0 && used[i].Tokens >= l.Tokens {
				over = i
				return Record{}, nil
			}
		}
		for i, l := range limits {
			used[i].Requests++
			if err := b.Put(usageKey(day, l.Scope), encodeUsage(used[i])); err != nil {
				return Record{}, err
			}
		}
		return Record{}, nil
	})
	if _, err := s.submit(ctx, r); err != nil {
		return -1, fmt.Errorf("store: reserve usage for %s: %w", day, err)
	}
	return over, nil
}
