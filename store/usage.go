package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
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
		s.heldMu.Lock()
		for i, l := range limits {
			used[i] = decodeUsage(b.Get(usageKey(day, l.Scope)))
			if exceeds(used[i], s.held[string(usageKey(day, l.Scope))], l) {
				over = i
				s.heldMu.Unlock()
				return Record{}, nil
			}
		}
		s.heldMu.Unlock()
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

// exceeds reports whether one more request is over l, with used on disk
// and held requests in memory.
func exceeds(used Usage, held int, l Limit) bool {
	return l.Requests > 0 && used.Requests+held >= l.Requests || l.Tokens > 0 && used.Tokens >= l.Tokens
}

// A Reservation is one request taken from daily limits by Hold. It is
// kept in memory, not written, until it is settled: in the transaction of
// the answer it paid for (AnswerRecord.Settle), or alone (Settle). Until
// then Hold and Reserve count it against the limits, so concurrent
// questions still cannot all slip under a limit; a crash forgets the
// requests of the answers it interrupted, which were never given.
type Reservation struct {
	day    string
	scopes []string
	// Tokens is what the request cost, counted when it is settled.
	Tokens int

	released bool // guarded by Store.heldMu
}

// Hold takes one request in every scope of limits on day, in memory,
// unless one of them has already reached its requests or tokens limit
// (counting what is on disk and what is held); then it takes nothing and
// returns that scope's index. It returns -1 and the reservation when it
// held one. It writes nothing, so it costs no fsync; the reservation
// must be settled, or its request is never counted on disk.
func (s *Store) Hold(ctx context.Context, day string, limits []Limit) (*Reservation, int, error) {
	for _, l := range limits {
		if err := validUsageName(day, l.Scope); err != nil {
			return nil, -1, fmt.Errorf("store: hold usage: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, -1, fmt.Errorf("store: hold usage for %s: %w", day, err)
	}
	// The check and the take are under heldMu, and a settled request
	// leaves held only after its commit: in between it is counted twice,
	// never not at all.
	s.heldMu.Lock()
	defer s.heldMu.Unlock()
	over := -1
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUsage)
		for i, l := range limits {
			var used Usage
			if b != nil {
				used = decodeUsage(b.Get(usageKey(day, l.Scope)))
			}
			if exceeds(used, s.held[string(usageKey(day, l.Scope))], l) {
				over = i
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return nil, -1, fmt.Errorf("store: hold usage for %s: %w", day, err)
	}
	if over >= 0 {
		return nil, over, nil
	}
	res := &Reservation{day: day}
	if s.held == nil {
		s.held = map[string]int{}
	}
	for _, l := range limits {
		res.scopes = append(res.scopes, l.Scope)
		s.held[string(usageKey(day, l.Scope))]++
	}
	return res, -1, nil
}

// settleReservations writes each reservation's request and tokens; it
// runs in the writer's transaction.
func settleReservations(tx *bolt.Tx, rs []*Reservation) error {
	if len(rs) == 0 {
		return nil
	}
	b, err := tx.CreateBucketIfNotExists(bucketUsage)
	if err != nil {
		return err
	}
	for _, r := range rs {
		for _, sc := range r.scopes {
			k := usageKey(r.day, sc)
			cur := decodeUsage(b.Get(k))
			cur.Requests++
			cur.Tokens += max(r.Tokens, 0)
			if err := b.Put(k, encodeUsage(cur)); err != nil {
				return fmt.Errorf("settle usage of %s: %w", sc, err)
			}
		}
	}
	return nil
}

// release stops holding rs in memory, once their write is committed (or
// failed: then their requests go uncounted rather than held forever).
func (s *Store) release(rs []*Reservation) {
	s.heldMu.Lock()
	defer s.heldMu.Unlock()
	for _, r := range rs {
		if r == nil || r.released {
			continue
		}
		r.released = true
		for _, sc := range r.scopes {
			k := string(usageKey(r.day, sc))
			if s.held[k]--; s.held[k] <= 0 {
				delete(s.held, k)
			}
		}
	}
}

// Settle writes reservations that no answer carried (the answer was not
// stored, or there was none), in one transaction with the other queued
// writes, and stops holding them.
func (s *Store) Settle(ctx context.Context, rs ...*Reservation) error {
	rs = slices.DeleteFunc(slices.Clone(rs), func(r *Reservation) bool { return r == nil })
	if len(rs) == 0 {
		return nil
	}
	defer s.release(rs)
	r := newWriteReq(func(tx *bolt.Tx) (Record, error) {
		return Record{}, settleReservations(tx, rs)
	})
	if _, err := s.submit(ctx, r); err != nil {
		return fmt.Errorf("store: settle %d llm requests: %w", len(rs), err)
	}
	return nil
}
