package analytics

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// ActivityQuery selects what Activity adds up.
type ActivityQuery struct {
	// From and To bound the window by UTC date: the days from From's up to
	//, but not including, To's.
	From, To time.Time
	// Platform, Space and Channel narrow it; "" means any.
	Platform, Space, Channel string
	// Per is what Periods add up by: days (the zero value), weeks or
	// months.
	Per Per
}

// Activity is the community's activity over a window, from the counters
// kept on write.
type Activity struct {
	From, To time.Time     // UTC midnights: the window is [From, To)
	Days     []DayActivity // every day of the window, oldest first
	// Periods are the window's days added up by the query's Per, oldest
	// first: a period's Day is its first day in the window, and its
	// Members are the distinct members who wrote in it. By day, they are
	// Days.
	Periods  []DayActivity
	Messages int     // members' messages
	Hours    [24]int // members' messages by UTC hour
	Channels []ChannelActivity
	// Members are everyone who wrote or was credited, most messages first.
	Members []MemberActivity
	Sources map[chat.Source]SourceActivity
	Intents map[string]int // intent answers, by intent
	// FirstAnswers counts questions answered in the window; the median and
	// 90th percentile of the time from question to first answer are read
	// from buckets 5% wide.
	FirstAnswers                      int
	FirstAnswerMedian, FirstAnswerP90 time.Duration
	Terms                             map[string]int // messages naming each topic word
}

// activitySum is an Activity being added up, with what it is added up by.
type activitySum struct {
	Activity
	latency       map[int]int // first answers by latencyBucket
	membersByKey  map[memberKey]*memberSum
	channelsByKey map[statsScope]*ChannelActivity
	period        []int // the period of each day of the window
}

// memberSum is a member being added up, with the last day and period of
// the window in which they wrote (-1: none yet): the counters come day by
// day, oldest first, so a member is counted once a day and once a period
// without a set of members per day.
type memberSum struct {
	MemberActivity
	lastDay, lastPeriod int
}

// DayActivity is one day of a window.
type DayActivity struct {
	Day      time.Time `json:"day"`
	Messages int       `json:"messages"`
	Members  int       `json:"members"` // distinct members who wrote
	Answers  int       `json:"answers"`
}

// ChannelActivity is one channel's share of a window.
type ChannelActivity struct {
	Platform string `json:"platform"`
	Space    string `json:"space,omitempty"`
	Channel  string `json:"channel"`
	Messages int    `json:"messages"`
}

// MemberActivity is one member's share of a window.
type MemberActivity struct {
	Platform  string `json:"platform"`
	ID        string `json:"id"`
	Name      string `json:"name,omitempty"`
	Messages  int    `json:"messages"`
	Questions int    `json:"questions"` // messages Docent answered as questions
	Helped    int    `json:"helped"`    // thanks and 👍 from other members
	Days      int    `json:"days"`      // days on which they wrote
}

// SourceActivity is how one source of answers did.
type SourceActivity struct {
	Answers int `json:"answers"`
	Up      int `json:"up"`
	Down    int `json:"down"`
}

type memberKey struct{ platform, id string }

// maxActivityDays bounds a window (about 27 years).
const maxActivityDays = 10_000

// ReadActivity adds up the activity counters of the window and scope q
// names, in one read of st. A damaged value is left out, and logged
// through log (nil: not logged).
func ReadActivity(ctx context.Context, st store.Buckets, q ActivityQuery, log *slog.Logger) (Activity, error) {
	from, to := dayOf(q.From), dayOf(q.To)
	if to < from || to-from > maxActivityDays {
		return Activity{}, fmt.Errorf("analytics: read activity: %w: window %s to %s", store.ErrInvalid, q.From.Format(time.DateOnly), q.To.Format(time.DateOnly))
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := activitySum{
		Activity: Activity{
			From: dayTime(from), To: dayTime(to),
			Days:    make([]DayActivity, to-from),
			Sources: map[chat.Source]SourceActivity{},
			Intents: map[string]int{},
			Terms:   map[string]int{},
		},
		latency:       map[int]int{},
		membersByKey:  map[memberKey]*memberSum{},
		channelsByKey: map[statsScope]*ChannelActivity{},
		period:        make([]int, to-from),
	}
	for i := range a.Days {
		a.Days[i].Day = dayTime(from + int64(i))
		if i == 0 || q.Per.starts(a.Days[i].Day) {
			a.Periods = append(a.Periods, DayActivity{Day: a.Days[i].Day})
		}
		a.period[i] = len(a.Periods) - 1
	}
	err := st.View(ctx, func(tx *store.Tx) error {
		n := 0
		return tx.ScanRange(statsBucket, dayKey(from), dayKey(to), func(k, v []byte) error {
			if n++; n%ctxCheckEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			key, err := parseStatsKey(k)
			if err != nil {
				return err
			}
			if (q.Platform != "" && key.Platform != q.Platform) || (q.Space != "" && key.Space != q.Space) || (q.Channel != "" && key.Channel != q.Channel) {
				return nil
			}
			counts, err := decodeCounts(v)
			if err != nil {
				// One damaged value must not hide a month of activity.
				log.Error("analytics: damaged activity counters left out", "platform", key.Platform, "channel", key.Channel,
					"day", dayTime(key.day).Format(time.DateOnly), "err", err)
				return nil
			}
			a.addDay(int(key.day-from), key, counts)
			return nil
		})
	})
	if err != nil {
		return Activity{}, fmt.Errorf("analytics: read activity: %w", err)
	}
	a.finish()
	return a.Activity, nil
}

// ctxCheckEvery is how many values a long read takes between looks at its
// context.
const ctxCheckEvery = 256

func (a *activitySum) addDay(i int, k statsKey, c *dayCounts) {
	day, period := &a.Days[i], &a.Periods[a.period[i]]
	day.Messages += c.Messages
	period.Messages += c.Messages
	a.Messages += c.Messages
	for h, n := range c.Hours {
		a.Hours[h] += n
	}
	if c.Messages > 0 {
		ch := a.channelsByKey[k.statsScope]
		if ch == nil {
			ch = &ChannelActivity{Platform: k.Platform, Space: k.Space, Channel: k.Channel}
			a.channelsByKey[k.statsScope] = ch
		}
		ch.Messages += c.Messages
	}
	for id, mc := range c.Members {
		mk := memberKey{k.Platform, id}
		m := a.membersByKey[mk]
		if m == nil {
			m = &memberSum{MemberActivity: MemberActivity{Platform: k.Platform, ID: id}, lastDay: -1, lastPeriod: -1}
			a.membersByKey[mk] = m
		}
		if mc.Name != "" {
			m.Name = mc.Name // days come oldest first: the newest name wins
		}
		m.Messages += mc.Messages
		m.Questions += mc.Questions
		m.Helped += mc.Helped
		if mc.Messages > 0 {
			if m.lastDay != i {
				m.lastDay = i
				m.Days++
				day.Members++
			}
			if p := a.period[i]; m.lastPeriod != p {
				m.lastPeriod = p
				period.Members++
			}
		}
	}
	for src, n := range c.Answers {
		sa := a.Sources[src]
		sa.Answers += n
		a.Sources[src] = sa
		day.Answers += n
		period.Answers += n
	}
	for src, n := range c.Up {
		sa := a.Sources[src]
		sa.Up += n
		a.Sources[src] = sa
	}
	for src, n := range c.Down {
		sa := a.Sources[src]
		sa.Down += n
		a.Sources[src] = sa
	}
	for in, n := range c.Intents {
		a.Intents[in] += n
	}
	for b, n := range c.Latency {
		a.latency[b] += n
	}
	for t, n := range c.Terms {
		a.Terms[t] += n
	}
}

func (a *activitySum) finish() {
	for _, ch := range a.channelsByKey {
		a.Channels = append(a.Channels, *ch)
	}
	slices.SortFunc(a.Channels, func(x, y ChannelActivity) int {
		return cmp.Or(cmp.Compare(y.Messages, x.Messages), cmp.Compare(x.Platform, y.Platform),
			cmp.Compare(x.Space, y.Space), cmp.Compare(x.Channel, y.Channel))
	})
	for _, m := range a.membersByKey {
		a.Members = append(a.Members, m.MemberActivity)
	}
	slices.SortFunc(a.Members, func(x, y MemberActivity) int {
		return cmp.Or(cmp.Compare(y.Messages, x.Messages), cmp.Compare(x.Platform, y.Platform), cmp.Compare(x.ID, y.ID))
	})
	buckets := make([]int, 0, len(a.latency))
	for b, n := range a.latency {
		buckets = append(buckets, b)
		a.FirstAnswers += n
	}
	slices.Sort(buckets)
	a.FirstAnswerMedian = a.latencyAt(buckets, 0.5)
	a.FirstAnswerP90 = a.latencyAt(buckets, 0.9)
}

// latencyAt is the q-quantile of the first-answer times.
func (a *activitySum) latencyAt(buckets []int, q float64) time.Duration {
	if a.FirstAnswers == 0 {
		return 0
	}
	rank := int(q*float64(a.FirstAnswers-1)) + 1
	seen := 0
	for _, b := range buckets {
		seen += a.latency[b]
		if seen >= rank {
			return bucketLatency(b)
		}
	}
	return bucketLatency(buckets[len(buckets)-1])
}

// ActiveMembers is how many distinct members wrote in the window.
func (a Activity) ActiveMembers() int {
	n := 0
	for _, m := range a.Members {
		if m.Messages > 0 {
			n++
		}
	}
	return n
}
