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
	latency map[int]int // first answers by latencyBucket
	// members are by platform, then ID; intents and terms count through
	// pointers: a name read in place (countsView) is looked up without
	// being copied, and copied once, when it is new.
	members       map[string]map[string]*memberSum
	intents       map[string]*int
	terms         map[string]*int
	channelsByKey map[statsScope]*ChannelActivity
	period        []int // the period of each day of the window
	view          countsView
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
		members:       map[string]map[string]*memberSum{},
		intents:       map[string]*int{},
		terms:         map[string]*int{},
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
			if err := a.view.read(v); err != nil {
				// One damaged value must not hide a month of activity.
				log.Error("analytics: damaged activity counters left out", "platform", key.Platform, "channel", key.Channel,
					"day", dayTime(key.day).Format(time.DateOnly), "err", err)
				return nil
			}
			a.addDay(int(key.day-from), key, &a.view)
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

// addDay adds the counters c of scope k on day i of the window.
func (a *activitySum) addDay(i int, k statsKey, c *countsView) {
	day, period := &a.Days[i], &a.Periods[a.period[i]]
	day.Messages += c.messages
	period.Messages += c.messages
	a.Messages += c.messages
	for h, n := range c.hours {
		a.Hours[h] += n
	}
	if c.messages > 0 {
		ch := a.channelsByKey[k.statsScope]
		if ch == nil {
			ch = &ChannelActivity{Platform: k.Platform, Space: k.Space, Channel: k.Channel}
			a.channelsByKey[k.statsScope] = ch
		}
		ch.Messages += c.messages
	}
	members := a.members[k.Platform]
	if members == nil && len(c.members) > 0 {
		members = map[string]*memberSum{}
		a.members[k.Platform] = members
	}
	for _, mc := range c.members {
		m := members[string(mc.id)]
		if m == nil {
			m = &memberSum{MemberActivity: MemberActivity{Platform: k.Platform, ID: string(mc.id)}, lastDay: -1, lastPeriod: -1}
			members[m.ID] = m
		}
		if len(mc.name) > 0 && m.Name != string(mc.name) {
			m.Name = string(mc.name) // days come oldest first: the newest name wins
		}
		m.Messages += mc.messages
		m.Questions += mc.questions
		m.Helped += mc.helped
		if mc.messages > 0 {
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
	for _, sc := range c.answers {
		src := source(sc.key)
		sa := a.Sources[src]
		sa.Answers += sc.n
		a.Sources[src] = sa
		day.Answers += sc.n
		period.Answers += sc.n
	}
	for _, sc := range c.up {
		src := source(sc.key)
		sa := a.Sources[src]
		sa.Up += sc.n
		a.Sources[src] = sa
	}
	for _, sc := range c.down {
		src := source(sc.key)
		sa := a.Sources[src]
		sa.Down += sc.n
		a.Sources[src] = sa
	}
	for _, in := range c.intents {
		count(a.intents, in)
	}
	for _, bn := range c.latency {
		a.latency[bn[0]] += bn[1]
	}
	for _, t := range c.terms {
		count(a.terms, t)
	}
}

// count adds c.n to m's count of c.key.
func count(m map[string]*int, c countView) {
	if p := m[string(c.key)]; p != nil {
		*p += c.n
		return
	}
	n := c.n
	m[string(c.key)] = &n
}

// sources are the answers' sources a counter names, so that reading one
// allocates nothing.
var sources = []chat.Source{chat.SourceIntent, chat.SourceKnowledge, chat.SourceLLM, chat.SourceFallback, chat.SourceCommand, chat.SourceError, chat.SourceAnnouncement}

// source is the source named b.
func source(b []byte) chat.Source {
	for _, s := range sources {
		if string(s) == string(b) {
			return s
		}
	}
	return chat.Source(b)
}

func (a *activitySum) finish() {
	for _, ch := range a.channelsByKey {
		a.Channels = append(a.Channels, *ch)
	}
	slices.SortFunc(a.Channels, func(x, y ChannelActivity) int {
		return cmp.Or(cmp.Compare(y.Messages, x.Messages), cmp.Compare(x.Platform, y.Platform),
			cmp.Compare(x.Space, y.Space), cmp.Compare(x.Channel, y.Channel))
	})
	for _, members := range a.members {
		for _, m := range members {
			a.Members = append(a.Members, m.MemberActivity)
		}
	}
	for in, n := range a.intents {
		a.Intents[in] = *n
	}
	for t, n := range a.terms {
		a.Terms[t] = *n
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
