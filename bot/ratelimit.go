package bot

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/docent-bot/docent/store"
)

// RateLimitConfig bounds how fast one member, and one channel, get
// answers: token buckets refilled at PerMinute with room for Burst. 0
// PerMinute turns a limit off.
type RateLimitConfig struct {
	MemberPerMinute  float64 `yaml:"member_per_minute"`
	MemberBurst      int     `yaml:"member_burst"`
	ChannelPerMinute float64 `yaml:"channel_per_minute"`
	ChannelBurst     int     `yaml:"channel_burst"`
}

// limiters is a set of token buckets by key, pruned of the full (idle)
// ones now and then so that it does not grow with every member ever seen.
type limiters struct {
	mu        sync.Mutex
	perSec    rate.Limit
	burst     int
	buckets   map[string]*bucket
	lastPrune time.Time
}

type bucket struct {
	lim *rate.Limiter
	// told is set once the member was told they are going too fast, and
	// cleared when the bucket allows again: one notice per flood.
	told bool
}

func newLimiters(perMinute float64, burst int) *limiters {
	if perMinute <= 0 {
		return nil
	}
	return &limiters{perSec: rate.Limit(perMinute / 60), burst: max(1, burst), buckets: map[string]*bucket{}}
}

// take reports whether key may go on now and, when not, whether this is
// the first refusal since it last could (time to tell the member).
func (l *limiters) take(key string, now time.Time) (ok, tell bool) {
	if l == nil {
		return true, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastPrune) > time.Minute {
		l.lastPrune = now
		for k, b := range l.buckets {
			if b.lim.TokensAt(now) >= float64(l.burst) {
				delete(l.buckets, k)
			}
		}
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.perSec, l.burst)}
		l.buckets[key] = b
	}
	if b.lim.AllowN(now, 1) {
		b.told = false
		return true, false
	}
	tell = !b.told
	b.told = true
	return false, tell
}

// takers are the buckets of members and of channels: in memory
// (limiters) for a lone Docent, in the store (storedLimits) for replicas.
// take checks the member's bucket, then, if it allowed, the channel's;
// which is 0 for the member's, 1 for the channel's.
type takers interface {
	take(member, channel string, now time.Time) (ok bool, which int, tell bool)
}

type memoryTakers struct{ members, channels *limiters }

func (m memoryTakers) take(member, channel string, now time.Time) (bool, int, bool) {
	ok, tell := m.members.take(member, now)
	if !ok {
		return false, 0, tell
	}
	ok, tell = m.channels.take(channel, now)
	return ok, 1, tell
}

// RateLimit refuses the messages of a member who writes faster than the
// limits allow, before they are queued, so that a flood takes no room in
// any queue: the member gets one polite notice, then silence until their
// bucket refills; their messages are stored but not answered. A member
// flooding one channel spends their own bucket and that channel's, not
// anyone else's. Admins, and bots (whose messages are never answered),
// are not limited. The buckets are this process's, in memory.
func RateLimit(cfg RateLimitConfig, isAdmin func(*Message) bool, log *slog.Logger) Admission {
	members := newLimiters(cfg.MemberPerMinute, cfg.MemberBurst)
	channels := newLimiters(cfg.ChannelPerMinute, cfg.ChannelBurst)
	if members == nil && channels == nil {
		return nil
	}
	return admission(memoryTakers{members, channels}, isAdmin, log)
}

// SharedRateLimit is RateLimit with its buckets in db, for replicas: a
// member's messages land on any of them, and each replica counting alone
// would let the full rate through on each. Every admitted or refused
// message costs one small write transaction of its own (group committed
// with the others queued).
func SharedRateLimit(cfg RateLimitConfig, isAdmin func(*Message) bool, log *slog.Logger, db store.Buckets) Admission {
	st := newStoredLimits(cfg, db, log)
	if st == nil {
		return nil
	}
	return admission(st, isAdmin, log)
}

// rateLimitFor is the rate limits of a Docent on st: shared through the
// store by replicas, whose members' messages land on any of them; in
// memory for a lone Docent.
func rateLimitFor(st *store.Store, cfg RateLimitConfig, isAdmin func(*Message) bool, log *slog.Logger) Admission {
	if st.Replica() {
		return SharedRateLimit(cfg, isAdmin, log, st)
	}
	return RateLimit(cfg, isAdmin, log)
}

func admission(t takers, isAdmin func(*Message) bool, log *slog.Logger) Admission {
	return func(m *Message) (bool, string) {
		if m.FromSelf || m.Author.Bot || isAdmin(m) {
			return true, ""
		}
		c := m.Conversation
		ok, which, tell := t.take(c.Platform+":"+m.Author.ID, c.Platform+":"+c.Channel, time.Now())
		if ok {
			return true, ""
		}
		what := "you are"
		if which == 1 {
			what = "this channel is"
		}
		log.Info("rate limited", "platform", c.Platform, "channel", c.Channel, "member", m.Author.ID, "notice", tell)
		if !tell {
			return false, ""
		}
		return false, fmt.Sprintf("Sorry, %s sending messages faster than I can answer them. "+
			"I'll skip some for a moment; ask again in a minute.", what)
	}
}

// The rate limits' buckets shared by replicas, in a store bucket:
//
//	ratelimit  "m/" platform ":" member  → tokens ‖ at ‖ told
//	           "c/" platform ":" channel → tokens ‖ at ‖ told
//
// tokens is a float64 (IEEE bits, big-endian), at the time they were
// counted (Unix nanoseconds, big-endian), told one byte (1: the member
// was told and has not been let through since). A bucket that has
// refilled is the same as none, so pruning deletes it.
var bucketRateLimit = store.NewBucket("ratelimit")

// storedLimits are token buckets kept in the store, read and written in
// one transaction per message, so that every replica spends from the same
// ones.
type storedLimits struct {
	db              store.Buckets
	log             *slog.Logger
	member, channel storedRate
}

type storedRate struct {
	perSec float64
	burst  float64
}

func (r storedRate) on() bool { return r.perSec > 0 }

// storedTimeout bounds one admission's transaction: a database that does
// not answer lets the message through rather than holding up intake.
const storedTimeout = 5 * time.Second

func newStoredLimits(cfg RateLimitConfig, db store.Buckets, log *slog.Logger) *storedLimits {
	rate := func(perMinute float64, burst int) storedRate {
		if perMinute <= 0 {
			return storedRate{}
		}
		return storedRate{perSec: perMinute / 60, burst: float64(max(1, burst))}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st := &storedLimits{db: db, log: log, member: rate(cfg.MemberPerMinute, cfg.MemberBurst),
		channel: rate(cfg.ChannelPerMinute, cfg.ChannelBurst)}
	if !st.member.on() && !st.channel.on() {
		return nil
	}
	return st
}

type storedBucket struct {
	tokens float64
	at     int64
	told   bool
}

func decodeStoredBucket(v []byte, r storedRate) storedBucket {
	if len(v) != 17 {
		return storedBucket{tokens: r.burst}
	}
	return storedBucket{tokens: math.Float64frombits(binary.BigEndian.Uint64(v)),
		at: int64(binary.BigEndian.Uint64(v[8:])), told: v[16] == 1}
}

func (b storedBucket) encode() []byte {
	v := make([]byte, 17)
	binary.BigEndian.PutUint64(v, math.Float64bits(b.tokens))
	binary.BigEndian.PutUint64(v[8:], uint64(b.at))
	if b.told {
		v[16] = 1
	}
	return v
}

// refill is b's tokens at now; a clock behind the one that wrote b (an
// other replica's) adds nothing.
func (b storedBucket) refill(r storedRate, now int64) float64 {
	if b.at == 0 {
		return r.burst
	}
	elapsed := max(now-b.at, 0)
	return min(r.burst, b.tokens+float64(elapsed)/1e9*r.perSec)
}

// spend takes one token from key's bucket in tx, or says it is empty and
// whether that is news to the member.
func spend(tx *store.Tx, key string, r storedRate, now int64) (ok, tell bool, err error) {
	if !r.on() {
		return true, false, nil
	}
	b := decodeStoredBucket(tx.Get(bucketRateLimit, []byte(key)), r)
	b.tokens = b.refill(r, now)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		b.told = false
		ok = true
	} else {
		tell = !b.told
		b.told = true
		if !tell {
			return false, false, nil // nothing changed that others need
		}
	}
	return ok, tell, tx.Put(bucketRateLimit, []byte(key), b.encode())
}

func (st *storedLimits) take(member, channel string, now time.Time) (ok bool, which int, tell bool) {
	at := now.UnixNano()
	ctx, cancel := context.WithTimeout(context.Background(), storedTimeout)
	defer cancel()
	err := st.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		which = 0 // the write may run more than once
		ok, tell, err = spend(tx, "m/"+member, st.member, at)
		if err != nil || !ok {
			return err
		}
		which = 1
		ok, tell, err = spend(tx, "c/"+channel, st.channel, at)
		return err
	})
	if err != nil {
		st.log.Warn("could not check the rate limits in the database; letting the message through", "err", err)
		return true, 0, false
	}
	return ok, which, tell
}

// prune deletes the buckets that have refilled since they were written,
// so that the bucket does not keep every member ever seen.
func (st *storedLimits) prune(now int64) {
	pruneBucket(st.db, st.log, bucketRateLimit, "the rate limits' refilled buckets", func(k, v []byte) bool {
		r := st.member
		if len(k) > 0 && k[0] == 'c' {
			r = st.channel
		}
		return !r.on() || decodeStoredBucket(v, r).refill(r, now) >= r.burst
	})
}

// pruneBucket deletes, in one transaction, the keys of bucket whose rows
// are done with (done), logging what it did: what the replicas keep in
// the shared database for a while only (tidyShared).
func pruneBucket(db store.Buckets, log *slog.Logger, bucket store.Bucket, what string, done func(k, v []byte) bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	deleted := 0
	err := db.Update(ctx, func(tx *store.Tx) error {
		var old [][]byte
		err := tx.Scan(bucket, nil, func(k, v []byte) error {
			if done(k, v) {
				old = append(old, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := tx.Delete(bucket, k); err != nil {
				return err
			}
		}
		deleted = len(old)
		return nil
	})
	if err != nil {
		log.Warn("could not delete "+what+"; trying again later", "err", err)
		return
	}
	log.Debug("deleted "+what, "deleted", deleted)
}
