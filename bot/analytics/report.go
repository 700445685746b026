package analytics

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// Query is what a report covers: the last Days UTC days up to and
// including the day of Now, narrowed to a platform, space or channel.
type Query struct {
	Days                     int
	Now                      time.Time
	Platform, Space, Channel string
	// Top is how many entries each ranking keeps; 0 means 10.
	Top int
	// Per is what the report's Periods add up by (PerFor gives the one
	// that suits the window); the zero value is by day.
	Per Per
	// Log receives the damaged counters left out; nil logs nothing.
	Log *slog.Logger
}

// MaxDays bounds a report's window (ten years).
const MaxDays = 3650

// Report is the community's activity over a window, as admins read it.
type Report struct {
	From     time.Time `json:"from"` // first day, UTC
	To       time.Time `json:"to"`   // the day after the last
	Days     int       `json:"days"`
	Platform string    `json:"platform,omitempty"`
	Space    string    `json:"space,omitempty"`
	Channel  string    `json:"channel,omitempty"`

	Messages      int           `json:"messages"`
	ActiveMembers int           `json:"active_members"`
	Answers       int           `json:"answers"`
	PerDay        []DayActivity `json:"per_day"`
	// Per is what Periods add up by: day, week or month; each period
	// starts on its Day.
	Per     Per           `json:"per"`
	Periods []DayActivity `json:"periods"`
	// Hours are members' messages by UTC hour; BusiestHours the top three.
	Hours        [24]int           `json:"hours"`
	BusiestHours []int             `json:"busiest_hours"`
	Channels     []ChannelActivity `json:"busiest_channels"`
	TopMembers   []Person          `json:"top_members"` // by messages
	TopAskers    []Person          `json:"top_askers"`
	TopHelpers   []Person          `json:"top_helpers"`
	Intents      []Count           `json:"intents"`
	Sources      []Source          `json:"sources"`
	// FirstAnswer is the time from a question to Docent's first answer.
	FirstAnswers      int      `json:"first_answers"`
	FirstAnswerMedian Duration `json:"first_answer_median_ms"`
	FirstAnswerP90    Duration `json:"first_answer_p90_ms"`
	// Trending are the topic words that rose most against the window
	// before (of the same length).
	Trending []Trend `json:"trending"`
}

// Person is a member in a ranking.
type Person struct {
	Platform string `json:"platform"`
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	Count    int    `json:"count"`
}

// Count is a name and how often.
type Count struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Source is how one source of answers did: its answers and the votes on
// them. Liked is the share of 👍 among the votes, nil without votes.
type Source struct {
	Source  chat.Source `json:"source"`
	Answers int         `json:"answers"`
	Up      int         `json:"up"`
	Down    int         `json:"down"`
	Liked   *float64    `json:"liked,omitempty"`
}

// Trend is a topic word whose use rose.
type Trend struct {
	Term     string  `json:"term"`
	Count    int     `json:"count"`    // messages naming it in the window
	Previous int     `json:"previous"` // in the window before
	Score    float64 `json:"score"`    // how far above what the previous window predicts, in standard deviations
}

// Duration is a time.Duration written in JSON as milliseconds, to the
// microsecond.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, "%.3f", float64(d)/float64(time.Millisecond)), nil
}

// Build reads the window and the one before it from the activity
// counters in st and makes the report.
func Build(ctx context.Context, st store.Buckets, q Query) (Report, error) {
	if q.Days < 1 || q.Days > MaxDays {
		return Report{}, fmt.Errorf("analytics: the window must be 1 to %d days, not %d", MaxDays, q.Days)
	}
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	top := cmp.Or(q.Top, 10)
	now := q.Now.UTC()
	to := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	from := to.AddDate(0, 0, -q.Days)
	sq := ActivityQuery{From: from, To: to, Platform: q.Platform, Space: q.Space, Channel: q.Channel, Per: q.Per}
	cur, err := ReadActivity(ctx, st, sq, q.Log)
	if err != nil {
		return Report{}, err
	}
	sq.From, sq.To, sq.Per = from.AddDate(0, 0, -q.Days), from, PerDay
	prev, err := ReadActivity(ctx, st, sq, q.Log)
	if err != nil {
		return Report{}, err
	}
	r := Report{
		From: cur.From, To: cur.To, Days: q.Days, Platform: q.Platform, Space: q.Space, Channel: q.Channel,
		Messages: cur.Messages, ActiveMembers: cur.ActiveMembers(), PerDay: cur.Days, Per: q.Per, Periods: cur.Periods, Hours: cur.Hours,
		Channels: cur.Channels[:min(top, len(cur.Channels))], FirstAnswers: cur.FirstAnswers,
		FirstAnswerMedian: Duration(cur.FirstAnswerMedian), FirstAnswerP90: Duration(cur.FirstAnswerP90),
	}
	for _, d := range cur.Days {
		r.Answers += d.Answers
	}
	r.BusiestHours = busiest(cur.Hours[:], 3)
	r.TopMembers = ranked(cur.Members, top, func(m MemberActivity) int { return m.Messages })
	r.TopAskers = ranked(cur.Members, top, func(m MemberActivity) int { return m.Questions })
	r.TopHelpers = ranked(cur.Members, top, func(m MemberActivity) int { return m.Helped })
	for name, n := range cur.Intents {
		r.Intents = append(r.Intents, Count{name, n})
	}
	slices.SortFunc(r.Intents, func(a, b Count) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Name, b.Name)) })
	r.Intents = r.Intents[:min(top, len(r.Intents))]
	for src, sa := range cur.Sources {
		s := Source{Source: src, Answers: sa.Answers, Up: sa.Up, Down: sa.Down}
		if v := sa.Up + sa.Down; v > 0 {
			liked := float64(sa.Up) / float64(v)
			s.Liked = &liked
		}
		r.Sources = append(r.Sources, s)
	}
	slices.SortFunc(r.Sources, func(a, b Source) int {
		return cmp.Or(cmp.Compare(b.Answers, a.Answers), cmp.Compare(a.Source, b.Source))
	})
	r.Trending = trending(cur.Terms, prev.Terms, cur.Messages, prev.Messages, top)
	return r, nil
}

// busiest returns the indexes of the n largest counts, largest first,
// leaving out zeros.
func busiest(counts []int, n int) []int {
	idx := make([]int, 0, len(counts))
	for i, c := range counts {
		if c > 0 {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(counts[b], counts[a]) })
	return idx[:min(n, len(idx))]
}

func ranked(members []MemberActivity, n int, by func(MemberActivity) int) []Person {
	var out []Person
	for _, m := range members {
		if c := by(m); c > 0 {
			out = append(out, Person{Platform: m.Platform, ID: m.ID, Name: m.Name, Count: c})
		}
	}
	slices.SortFunc(out, func(a, b Person) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Platform, b.Platform), cmp.Compare(a.ID, b.ID))
	})
	return out[:min(n, len(out))]
}

// minTrend is how many messages must name a word in the window for it to
// trend: fewer is noise.
const minTrend = 3

// trending ranks words by how far their count rose above what the
// previous window predicts once scaled to this window's volume, in
// standard deviations of a Poisson count: (now - expected) / sqrt(expected
// + 1). A word new this window scores its count over one.
func trending(cur, prev map[string]int, curMsgs, prevMsgs, n int) []Trend {
	scale := 1.0
	if prevMsgs > 0 && curMsgs > 0 {
		scale = float64(curMsgs) / float64(prevMsgs)
	}
	var out []Trend
	for term, c := range cur {
		if c < minTrend {
			continue
		}
		expected := float64(prev[term]) * scale
		if float64(c) <= expected {
			continue
		}
		score := (float64(c) - expected) / math.Sqrt(expected+1)
		out = append(out, Trend{Term: term, Count: c, Previous: prev[term], Score: math.Round(score*100) / 100})
	}
	slices.SortFunc(out, func(a, b Trend) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(b.Count, a.Count), cmp.Compare(a.Term, b.Term))
	})
	return out[:min(n, len(out))]
}
