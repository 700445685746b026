package attention

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// month is the 30 days a regular's activity is counted over.
const month = 30 * 24 * time.Hour

// Report is who needs attention at a moment.
type Report struct {
	At              time.Time     `json:"at"`
	UnansweredAfter time.Duration `json:"unanswered_after_ns"`
	// Newcomers are those whose first question, asked in the last
	// newcomer_for, had no reply within unanswered_after; newest first.
	Newcomers []Newcomer `json:"newcomers"`
	// Open are the questions of the last open_for with no reply yet,
	// newest first.
	Open []Question `json:"open"`
	// Dropped are the regulars whose last 30 days fell below drop_ratio of
	// their usual month, the sharpest drop first.
	Dropped []Drop `json:"dropped"`
	// Helpful are the members who answered or were thanked most in the
	// last 30 days.
	Helpful []Helper `json:"helpful"`
	// FirstQuestions are, per year, the newcomers' first questions and how
	// many had a reply within unanswered_after.
	FirstQuestions []YearRow `json:"first_questions"`
}

// Member names a member.
type Member struct {
	Platform string `json:"platform"`
	ID       string `json:"id"`
	Name     string `json:"name"`
}

// Question is a question asked, from its record.
type Question struct {
	Member  Member    `json:"member"`
	Record  uint64    `json:"record"`
	Channel string    `json:"channel"`
	Text    string    `json:"text"`
	Asked   time.Time `json:"asked"`
	// Waiting is how long it has waited at the report's moment.
	Waiting time.Duration `json:"waiting_ns"`
}

// Newcomer is a newcomer's unanswered first question.
type Newcomer struct {
	Question
	First time.Time `json:"first_message"`
	// Replied is when it had its first reply, if it had one (later than
	// unanswered_after), and By from whom.
	Replied time.Time `json:"replied,omitzero"`
	By      string    `json:"by,omitempty"`
}

// Drop is a regular whose activity dropped, with the figures behind it.
type Drop struct {
	Member Member `json:"member"`
	// Last is their messages in the last 30 days; Usual their average per
	// month (30 days) over the months they wrote in, of the six before;
	// Months how many of those six they wrote in.
	Last   int     `json:"last_30_days"`
	Usual  float64 `json:"usual_per_month"`
	Months int     `json:"active_months"`
}

// Helper is a member's help in the last 30 days.
type Helper struct {
	Member  Member `json:"member"`
	Answers int    `json:"answers"`
	Thanks  int    `json:"thanks"`
	// Helped is how many members they answered or were thanked by.
	Helped int `json:"members_helped"`
}

// YearRow is one year of newcomers' first questions.
type YearRow struct {
	Year int `json:"year"`
	// Asked counts the newcomers whose first question was that year;
	// Answered those with a reply within unanswered_after, Unanswered the
	// others (a question still within unanswered_after is in neither).
	Asked      int     `json:"asked"`
	Answered   int     `json:"answered"`
	Unanswered int     `json:"unanswered"`
	Share      float64 `json:"unanswered_share"`
}

// Report makes the lists as of at (zero: now).
func (mod *Module) Report(ctx context.Context, at time.Time) (Report, error) {
	if at.IsZero() {
		at = mod.now()
	}
	return Build(ctx, mod.st, mod.cfg, at)
}

// Build makes the lists from the figures in st, as of at, with cfg's
// settings.
func Build(ctx context.Context, st store.Buckets, cfg Config, at time.Time) (Report, error) {
	r := Report{At: at.UTC(), UnansweredAfter: cfg.UnansweredAfter}
	err := st.View(ctx, func(tx *store.Tx) error {
		members := map[string]memberState{}
		if err := tx.Scan(bucketMembers, nil, func(k, v []byte) error {
			var m memberState
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("member %x: %w", k, err)
			}
			members[string(k)] = m
			return nil
		}); err != nil {
			return err
		}
		name := func(platform, id string) Member {
			m := Member{Platform: platform, ID: id, Name: members[string(memberKey(platform, id))].Name}
			if m.Name == "" {
				m.Name = id
			}
			return m
		}
		if err := r.newcomers(tx, cfg, members, name); err != nil {
			return err
		}
		if err := r.open(tx, cfg, name); err != nil {
			return err
		}
		if err := r.dropped(tx, cfg, name); err != nil {
			return err
		}
		return r.helpful(tx, cfg, name)
	})
	if err != nil {
		return Report{}, fmt.Errorf("attention: read the figures: %w", err)
	}
	return r, nil
}

// question reads a question's record into q.
func question(tx *store.Tx, q *Question, at time.Time) error {
	rec, err := tx.Record(q.Record)
	if err != nil {
		return fmt.Errorf("read question %d: %w", q.Record, err)
	}
	q.Text, q.Channel = rec.Text, rec.Conversation.Channel
	q.Waiting = at.Sub(q.Asked)
	return nil
}

func (r *Report) newcomers(tx *store.Tx, cfg Config, members map[string]memberState, name func(p, id string) Member) error {
	years := map[int]*YearRow{}
	for k, m := range members {
		if m.Question == 0 || m.Asked.After(r.At) || m.Asked.Sub(m.First) > cfg.NewcomerFor {
			continue
		}
		y := years[m.Asked.Year()]
		if y == nil {
			y = &YearRow{Year: m.Asked.Year()}
			years[y.Year] = y
		}
		y.Asked++
		replied := !m.Answered.IsZero() && !m.Answered.After(r.At)
		switch {
		case replied && m.Answered.Sub(m.Asked) <= cfg.UnansweredAfter:
			y.Answered++
			continue
		case r.At.Sub(m.Asked) < cfg.UnansweredAfter:
			continue // still waiting
		}
		y.Unanswered++
		if r.At.Sub(m.Asked) > cfg.NewcomerFor {
			continue
		}
		f, _, err := store.SplitKey([]byte(k), 2)
		if err != nil {
			return err
		}
		n := Newcomer{Question: Question{Member: name(f[0], f[1]), Record: m.Question, Asked: m.Asked}, First: m.First}
		if replied {
			n.Replied = m.Answered
			if m.By != "" {
				n.By = name(f[0], m.By).Name
			}
		}
		if err := question(tx, &n.Question, r.At); err != nil {
			return err
		}
		r.Newcomers = append(r.Newcomers, n)
	}
	slices.SortFunc(r.Newcomers, func(a, b Newcomer) int { return b.Asked.Compare(a.Asked) })
	r.Newcomers = r.Newcomers[:min(len(r.Newcomers), cfg.Top)]
	for _, y := range years {
		if n := y.Answered + y.Unanswered; n > 0 {
			y.Share = float64(y.Unanswered) / float64(n)
		}
		r.FirstQuestions = append(r.FirstQuestions, *y)
	}
	slices.SortFunc(r.FirstQuestions, func(a, b YearRow) int { return a.Year - b.Year })
	return nil
}

func (r *Report) open(tx *store.Tx, cfg Config, name func(p, id string) Member) error {
	var open []Question
	err := tx.ScanRange(bucketQuestions, timeKey(r.At.Add(-cfg.OpenFor)), timeKey(r.At.Add(time.Second)), func(k, v []byte) error {
		var q questionState
		if err := json.Unmarshal(v, &q); err != nil {
			return fmt.Errorf("question %x: %w", k, err)
		}
		if !q.Replied.IsZero() && !q.Replied.After(r.At) {
			return nil
		}
		at, id := keyTime(k), keyID(k)
		if at.After(r.At) {
			return nil
		}
		open = append(open, Question{Member: name(q.Platform, q.Member), Record: id, Asked: at})
		return nil
	})
	if err != nil {
		return err
	}
	slices.Reverse(open)
	open = open[:min(len(open), cfg.Top)]
	for i := range open {
		if err := question(tx, &open[i], r.At); err != nil {
			return err
		}
	}
	r.Open = open
	return nil
}

func (r *Report) dropped(tx *store.Tx, cfg Config, name func(p, id string) Member) error {
	type figures struct {
		last   int
		months [usualMonths]int
	}
	end := day(r.At)                                   // the last day counted
	lastFrom := end - uint64(month/(24*time.Hour)) + 1 // the last 30 days' first
	byMember := map[string]*figures{}
	if err := tx.Scan(bucketActivity, nil, func(k, v []byte) error {
		d, n, ok := activityOf(k, v)
		if !ok || d > end {
			return nil
		}
		mk := string(k[:len(k)-8])
		f := byMember[mk]
		if f == nil {
			f = &figures{}
			byMember[mk] = f
		}
		if d >= lastFrom {
			f.last += int(n)
		} else if i := (lastFrom - 1 - d) / 30; i < usualMonths {
			f.months[i] += int(n)
		}
		return nil
	}); err != nil {
		return err
	}
	for mk, f := range byMember {
		total, active := 0, 0
		for _, n := range f.months {
			if n > 0 {
				total += n
				active++
			}
		}
		if active < cfg.RegularMonths {
			continue
		}
		usual := float64(total) / float64(active)
		if usual < float64(cfg.MinUsual) || float64(f.last) >= cfg.DropRatio*usual {
			continue
		}
		k, _, err := store.SplitKey([]byte(mk), 2)
		if err != nil {
			return err
		}
		r.Dropped = append(r.Dropped, Drop{Member: name(k[0], k[1]), Last: f.last, Usual: usual, Months: active})
	}
	slices.SortFunc(r.Dropped, func(a, b Drop) int {
		return cmp.Or(cmp.Compare(float64(a.Last)/a.Usual, float64(b.Last)/b.Usual), cmp.Compare(b.Usual, a.Usual), strings.Compare(a.Member.Name, b.Member.Name))
	})
	r.Dropped = r.Dropped[:min(len(r.Dropped), cfg.Top)]
	return nil
}

func (r *Report) helpful(tx *store.Tx, cfg Config, name func(p, id string) Member) error {
	type tally struct {
		h      Helper
		helped map[string]bool
	}
	by := map[string]*tally{}
	err := tx.ScanRange(bucketHelped, timeKey(r.At.Add(-month)), timeKey(r.At.Add(time.Second)), func(k, v []byte) error {
		f, _, err := store.SplitKey(k[8:], 3)
		if err != nil {
			return err
		}
		var c helpCounts
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("help figures %x: %w", k, err)
		}
		hk := string(memberKey(f[0], f[1]))
		t := by[hk]
		if t == nil {
			t = &tally{h: Helper{Member: name(f[0], f[1])}, helped: map[string]bool{}}
			by[hk] = t
		}
		t.h.Answers += c.Answers
		t.h.Thanks += c.Thanks
		t.helped[f[2]] = true
		return nil
	})
	if err != nil {
		return err
	}
	for _, t := range by {
		t.h.Helped = len(t.helped)
		r.Helpful = append(r.Helpful, t.h)
	}
	slices.SortFunc(r.Helpful, func(a, b Helper) int {
		return cmp.Or(cmp.Compare(b.Answers+b.Thanks, a.Answers+a.Thanks), cmp.Compare(b.Helped, a.Helped), strings.Compare(a.Member.Name, b.Member.Name))
	})
	r.Helpful = r.Helpful[:min(len(r.Helpful), cfg.Top)]
	return nil
}

func keyTime(k []byte) time.Time { return time.Unix(int64(binary.BigEndian.Uint64(k)), 0).UTC() }
func keyID(k []byte) uint64      { return binary.BigEndian.Uint64(k[8:]) }

// WriteTable writes the report for a terminal.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Who needs attention, as of %s\n", r.At.Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(tw, "\nNewcomers whose first question had no reply within %s (%d)\n", showDuration(r.UnansweredAfter), len(r.Newcomers))
	for _, n := range r.Newcomers {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", n.Asked.Format("2006-01-02 15:04"), n.Member.Name, n.Channel, n.After(), short(n.Text, 80))
	}
	fmt.Fprintf(tw, "\nQuestions still open (%d)\n", len(r.Open))
	for _, q := range r.Open {
		fmt.Fprintf(tw, "  %s\t%s\t%s\twaiting %s\t%s\n", q.Asked.Format("2006-01-02 15:04"), q.Member.Name, q.Channel, q.Wait(), short(q.Text, 80))
	}
	fmt.Fprintf(tw, "\nRegulars whose activity dropped (%d)\n", len(r.Dropped))
	for _, d := range r.Dropped {
		fmt.Fprintf(tw, "  %s\t%s\n", d.Member.Name, d.Figure())
	}
	fmt.Fprintf(tw, "\nMost helpful in the last 30 days (%d)\n", len(r.Helpful))
	for _, h := range r.Helpful {
		fmt.Fprintf(tw, "  %s\t%d answers\t%d thanks\t%d members helped\n", h.Member.Name, h.Answers, h.Thanks, h.Helped)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return r.WriteFirstQuestions(w)
}

// WriteFirstQuestions writes the per-year table of newcomers' first
// questions.
func (r Report) WriteFirstQuestions(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "\nNewcomers' first questions per year (a reply within %s)\n", showDuration(r.UnansweredAfter))
	fmt.Fprintln(tw, "year\tnewcomers asking\tanswered\tunanswered\tunanswered share\t")
	var sum YearRow
	for _, y := range r.FirstQuestions {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%s\t\n", y.Year, y.Asked, y.Answered, y.Unanswered, percent(y.Share))
		sum.Asked += y.Asked
		sum.Answered += y.Answered
		sum.Unanswered += y.Unanswered
	}
	if n := sum.Answered + sum.Unanswered; n > 0 {
		fmt.Fprintf(tw, "all\t%d\t%d\t%d\t%s\t\n", sum.Asked, sum.Answered, sum.Unanswered, percent(float64(sum.Unanswered)/float64(n)))
	}
	return tw.Flush()
}

// Figure is the figure behind a drop: "12 messages in the last 30 days vs
// 85 a month usually (active 6 of the 6 months before)".
func (d Drop) Figure() string {
	return fmt.Sprintf("%s in the last 30 days vs %.0f a month usually (active %d of the %d months before)", chat.Plural(d.Last, "message"), d.Usual, d.Months, usualMonths)
}

// showDuration writes d as days and hours, or minutes.
func showDuration(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
		if h == 0 {
			return fmt.Sprintf("%dd", days)
		}
		return fmt.Sprintf("%dd%dh", days, h)
	case d >= time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dm", int(d/time.Minute))
}

// percent writes a share as a whole percentage.
func percent(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) }

// short cuts s to n runes on one line.
func short(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
