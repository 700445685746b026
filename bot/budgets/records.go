package budgets

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/docent-bot/docent/store"
)

// The LLM's use, per UTC day and scope, in a bucket of its own, created
// on first use (it kept its name and format when it moved here from the
// store, so databases keep their counts):
//
//	usage  day "/" scope → requests ‖ tokens (8 bytes each, big-endian)
//
// Scopes are "all", "member:<platform>:<id>" and "channel:<platform>:<id>".
// Members' exports, forget and retention read it through the module's
// member part (members.go).
var bucketUsage = store.NewBucket("usage")

// Schema is the version of the layout above: 1, the first, the same as
// when the store kept it as its own. Databases from before hold it
// already, so version 0 (none recorded) becomes 1 as it is.
func (mod *Module) Schema() store.Schema {
	return store.Schema{Version: 1, Migrations: []store.Migration{{From: 0, To: 1}}}
}

// Usage is what the LLM cost in one scope on one day.
type Usage struct {
	Requests int `json:"requests"`
	Tokens   int `json:"tokens"`
}

// Day is the key of a day's usage: its UTC date, 2006-01-02.
func Day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// usageKey is day "/" scope.
func usageKey(day, scope string) []byte { return []byte(day + "/" + scope) }

func validUsageName(day, scope string) error {
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return fmt.Errorf("%w: day %q is not a date like 2006-01-02", store.ErrInvalid, day)
	}
	if scope == "" || len(scope) > 512 || !utf8.ValidString(scope) || strings.IndexByte(scope, 0) >= 0 {
		return fmt.Errorf("%w: usage scope %q", store.ErrInvalid, scope)
	}
	return nil
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

// Records are the usage counts in the store, and the requests held in
// memory (Hold) until they are written.
//
// On a store shared by replicas (one PostgreSQL database, several
// Docents) what one Docent holds in memory is unseen by the others, so
// each would let the full limit through: there Hold writes its request
// at once, as Reserve does (the check and the take in one SERIALIZABLE
// transaction, run again on a conflict), and the answer's transaction
// adds only its tokens.
type Records struct {
	db     store.Buckets
	shared bool // db is shared with other Docents: nothing is held in memory
	// mu guards held: the requests held by Hold and not settled yet, by
	// usage key.
	mu   sync.Mutex
	held map[string]int
}

// NewRecords keeps the counts in db. A db shared by replicas (one that
// says so: Replica() true, as *store.Store on a replica) gets its
// requests written at once by Hold.
func NewRecords(db store.Buckets) *Records {
	r := &Records{db: db, held: map[string]int{}}
	if rep, ok := db.(interface{ Replica() bool }); ok {
		r.shared = rep.Replica()
	}
	return r
}

// Add adds u to the counts of each scope on day, in one transaction with
// the other queued writes. It returns after the commit.
func (r *Records) Add(ctx context.Context, day string, u Usage, scopes ...string) error {
	for _, sc := range scopes {
		if err := validUsageName(day, sc); err != nil {
			return fmt.Errorf("budgets: add usage: %w", err)
		}
	}
	err := r.db.Update(ctx, func(tx *store.Tx) error {
		for _, sc := range scopes {
			k := usageKey(day, sc)
			cur := decodeUsage(tx.Get(bucketUsage, k))
			cur.Requests += u.Requests
			cur.Tokens += u.Tokens
			if err := tx.Put(bucketUsage, k, encodeUsage(cur)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("budgets: add usage for %s: %w", day, err)
	}
	return nil
}

// On returns the counts of each scope on day (zero for none).
func (r *Records) On(ctx context.Context, day string, scopes ...string) ([]Usage, error) {
	out := make([]Usage, len(scopes))
	err := r.db.View(ctx, func(tx *store.Tx) error {
		for i, sc := range scopes {
			out[i] = decodeUsage(tx.Get(bucketUsage, usageKey(day, sc)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("budgets: read usage for %s: %w", day, err)
	}
	return out, nil
}

// Day returns the counts of every scope on day.
func (r *Records) Day(ctx context.Context, day string) (map[string]Usage, error) {
	out := map[string]Usage{}
	prefix := []byte(day + "/")
	err := r.db.View(ctx, func(tx *store.Tx) error {
		return tx.Scan(bucketUsage, prefix, func(k, v []byte) error {
			out[string(k[len(prefix):])] = decodeUsage(v)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("budgets: read usage for %s: %w", day, err)
	}
	return out, nil
}

// Limit is a scope's daily limits for Reserve; 0 means no limit.
type Limit struct {
	Scope            string
	Requests, Tokens int
}

// exceeds reports whether one more request is over l, with used on disk
// and held requests in memory.
func exceeds(used Usage, held int, l Limit) bool {
	return l.Requests > 0 && used.Requests+held >= l.Requests || l.Tokens > 0 && used.Tokens >= l.Tokens
}

// Reserve takes one request in every scope of limits on day, unless one of
// them has already reached its requests or tokens limit; then it takes
// nothing and returns that scope's index. It returns -1 when it reserved.
// The check and the take are one transaction, so concurrent questions
// cannot all slip under a limit before any of them is counted.
func (r *Records) Reserve(ctx context.Context, day string, limits []Limit) (over int, err error) {
	for _, l := range limits {
		if err := validUsageName(day, l.Scope); err != nil {
			return -1, fmt.Errorf("budgets: reserve usage: %w", err)
		}
	}
	over = -1
	err = r.db.Update(ctx, func(tx *store.Tx) error {
		over = -1 // the write may be retried
		used := make([]Usage, len(limits))
		r.mu.Lock()
		for i, l := range limits {
			used[i] = decodeUsage(tx.Get(bucketUsage, usageKey(day, l.Scope)))
			if exceeds(used[i], r.held[string(usageKey(day, l.Scope))], l) {
				over = i
				r.mu.Unlock()
				return nil
			}
		}
		r.mu.Unlock()
		for i, l := range limits {
			used[i].Requests++
			if err := tx.Put(bucketUsage, usageKey(day, l.Scope), encodeUsage(used[i])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return -1, fmt.Errorf("budgets: reserve usage for %s: %w", day, err)
	}
	return over, nil
}

// A Reservation is one request taken from daily limits by Hold. It is
// kept in memory, not written, until it is settled: in the transaction of
// the answer it paid for (store.AnswerRecord.Along), or alone
// (module.Settle). Until then Hold and Reserve count it against the
// limits, so concurrent questions still cannot all slip under a limit; a
// crash forgets the requests of the answers it interrupted, which were
// never given. On a store shared by replicas its request is written by
// Hold, and settling adds its tokens. It is a store.Rider.
type Reservation struct {
	r      *Records
	day    string
	scopes []string
	// Tokens is what the request cost, counted when it is settled.
	Tokens int
	// written is set when the request itself is already in the store
	// (Hold on a shared store): settling adds only the tokens.
	written bool

	released bool // guarded by Records.mu
}

// Hold takes one request in every scope of limits on day, in memory (on
// a store shared by replicas, in the store at once, as Reserve),
// unless one of them has already reached its requests or tokens limit
// (counting what is on disk and what is held); then it takes nothing and
// returns that scope's index. It returns -1 and the reservation when it
// held one. It writes nothing, so it costs no fsync; the reservation
// must be settled, or its request is never counted on disk.
func (r *Records) Hold(ctx context.Context, day string, limits []Limit) (*Reservation, int, error) {
	for _, l := range limits {
		if err := validUsageName(day, l.Scope); err != nil {
			return nil, -1, fmt.Errorf("budgets: hold usage: %w", err)
		}
	}
	if r.shared {
		over, err := r.Reserve(ctx, day, limits)
		if err != nil || over >= 0 {
			return nil, over, err
		}
		res := &Reservation{r: r, day: day, written: true, released: true}
		for _, l := range limits {
			res.scopes = append(res.scopes, l.Scope)
		}
		return res, -1, nil
	}
	// The check and the take are under mu, and a settled request leaves
	// held only after its commit: in between it is counted twice, never
	// not at all.
	r.mu.Lock()
	defer r.mu.Unlock()
	over := -1
	err := r.db.View(ctx, func(tx *store.Tx) error {
		for i, l := range limits {
			used := decodeUsage(tx.Get(bucketUsage, usageKey(day, l.Scope)))
			if exceeds(used, r.held[string(usageKey(day, l.Scope))], l) {
				over = i
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return nil, -1, fmt.Errorf("budgets: hold usage for %s: %w", day, err)
	}
	if over >= 0 {
		return nil, over, nil
	}
	res := &Reservation{r: r, day: day}
	for _, l := range limits {
		res.scopes = append(res.scopes, l.Scope)
		r.held[string(usageKey(day, l.Scope))]++
	}
	return res, -1, nil
}

// Write adds the reservation's request and tokens to its scopes' counts,
// in the transaction it rides in.
func (res *Reservation) Write(tx *store.Tx) error {
	for _, sc := range res.scopes {
		k := usageKey(res.day, sc)
		if res.written && res.Tokens <= 0 {
			continue
		}
		cur := decodeUsage(tx.Get(bucketUsage, k))
		if !res.written {
			cur.Requests++
		}
		cur.Tokens += max(res.Tokens, 0)
		if err := tx.Put(bucketUsage, k, encodeUsage(cur)); err != nil {
			return fmt.Errorf("settle usage of %s: %w", sc, err)
		}
	}
	return nil
}

// Done stops holding the reservation in memory, once its write is
// committed (or failed: then its request goes uncounted rather than held
// forever).
func (res *Reservation) Done() {
	res.r.mu.Lock()
	defer res.r.mu.Unlock()
	if res.released {
		return
	}
	res.released = true
	for _, sc := range res.scopes {
		k := string(usageKey(res.day, sc))
		if res.r.held[k]--; res.r.held[k] <= 0 {
			delete(res.r.held, k)
		}
	}
}
