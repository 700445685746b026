package bot

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"
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

// RateLimit refuses the messages of a member who writes faster than the
// limits allow, before they are queued, so that a flood takes no room in
// any queue: the member gets one polite notice, then silence until their
// bucket refills; their messages are stored but not answered. A member
// flooding one channel spends their own bucket and that channel's, not
// anyone else's. Admins, and bots (whose messages are never answered),
// are not limited.
func RateLimit(cfg RateLimitConfig, isAdmin func(*Message) bool, log *slog.Logger) Admission {
	members := newLimiters(cfg.MemberPerMinute, cfg.MemberBurst)
	channels := newLimiters(cfg.ChannelPerMinute, cfg.ChannelBurst)
	if members == nil && channels == nil {
		return nil
	}
	return func(m *Message) (bool, string) {
		if m.FromSelf || m.Author.Bot || isAdmin(m) {
			return true, ""
		}
		now := time.Now()
		c := m.Conversation
		ok, tell := members.take(c.Platform+":"+m.Author.ID, now)
		what := "you are"
		if ok {
			ok, tell = channels.take(c.Platform+":"+c.Channel, now)
			what = "this channel is"
		}
		if ok {
			return true, ""
		}
		log.Info("rate limited", "platform", c.Platform, "channel", c.Channel, "member", m.Author.ID, "notice", tell)
		if !tell {
			return false, ""
		}
		return false, fmt.Sprintf("Sorry, %s sending messages faster than I can answer them. "+
			"I'll skip some for a moment; ask again in a minute.", what)
	}
}
