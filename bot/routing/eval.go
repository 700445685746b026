package routing

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docent-bot/docent/bot/exchange"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/chat/topics"
	"github.com/docent-bot/docent/store"
)

// The methods the evaluation compares: the module's ranking and the
// baselines a person would try first.
const (
	MethodRouting  = "routing"      // Index.Rank
	MethodRecent   = "recent"       // the most recently active members
	MethodActive90 = "active-90d"   // the most messages in the last 90 days
	MethodAnswers  = "most-answers" // the most answers so far
	rankDepth      = 100            // how deep a ranking is kept for MRR
)

var methods = []string{MethodRouting, MethodRecent, MethodActive90, MethodAnswers}

// EvalOptions say which questions the evaluation scores.
type EvalOptions struct {
	// Since: questions before it only teach (zero: two years before the
	// last record).
	Since time.Time
	// HeldOut: questions from it on are the held-out part, scored apart
	// (zero: six months before the last record).
	HeldOut time.Time
	// Window: a reply counts within it of the question (10 minutes when
	// zero): both to learn from and as the true answerer.
	Window time.Duration
	Text   topics.Text
	// Weights are the ranking's (DefaultWeights when zero): the
	// evaluation tries others while tuning.
	Weights Weights
}

// Score is one method's figures on a set of questions.
type Score struct {
	Method    string
	Questions int
	Hit1      float64
	Hit5      float64
	MRR       float64
}

// MemberScore is one true answerer's questions, for the method and the
// strongest baseline.
type MemberScore struct {
	Member            string
	Questions         int
	Hit1, MRR         float64 // the routing method's
	BaseHit1, BaseMRR float64 // the strongest baseline's
}

// Example is one scored question whose answerer was not the busiest
// member then.
type Example struct {
	Time     time.Time
	Asker    string
	Text     string
	Answerer string
	Busiest  string
	Rank     int // of the answerer by the method (0: not ranked)
	BaseRank int // by the strongest baseline
}

// Part is the evaluation of one period.
type Part struct {
	Name     string
	From, To time.Time
	Scores   []Score // methods, in order
	Best     string  // the strongest baseline by MRR
	Members  []MemberScore
	// NotBusiest are the scores on the questions whose true answerer was
	// not the member with the most answers so far.
	NotBusiest []Score
	Examples   []Example
}

// Report is the evaluation: the tuning part and the held-out part.
type Report struct {
	Records int
	Parts   []Part
}

// scored is one question's outcome: the rank of its true answerer by
// each method (0: not ranked).
type scored struct {
	at       time.Time
	asker    string
	text     string
	answerer string
	busiest  string
	ranks    map[string]int
}

type pending struct {
	q        Question
	rec      store.Record
	rankings map[string][]string
	busiest  string
}

// Evaluator reads the history in time order and scores, for each question
// that got an addressed or referenced reply (a Discord reply) within the window, where each method ranked
// its true answerer, using only what happened before the question.
type Evaluator struct {
	opts    EvalOptions
	det     *exchange.Detector
	ix      *Index
	members map[string]chat.Member
	open    map[uint64]*pending
	done    []scored
	records int
	last    time.Time
}

// NewEvaluator returns an evaluator; Since and HeldOut must be set (the
// command sets them from the history's last record).
func NewEvaluator(opts EvalOptions) *Evaluator {
	if opts.Window <= 0 {
		opts.Window = 10 * time.Minute
	}
	return &Evaluator{
		opts: opts, det: &exchange.Detector{Text: opts.Text}, ix: &Index{Weights: opts.Weights, members: map[string]*Profile{}, df: map[string]int{}},
		members: map[string]chat.Member{}, open: map[uint64]*pending{},
	}
}

// Feed reads the next record.
func (ev *Evaluator) Feed(rec store.Record) {
	ev.records++
	ev.last = rec.Time
	for id, p := range ev.open {
		if rec.Time.Sub(p.q.Time) > ev.opts.Window {
			delete(ev.open, id)
		}
	}
	for _, e := range ev.det.Feed(rec) {
		switch {
		case e.Kind == exchange.Asked && e.Open() && !rec.Time.Before(ev.opts.Since):
			q := Question{Asker: e.From.ID, Time: rec.Time, Terms: ev.opts.Text.Terms(rec.Text)}
			ev.open[rec.ID] = ev.rankAll(q, rec)
		case e.Kind == exchange.Replied && e.After <= ev.opts.Window:
			// A reply by name or by platform reference (a Discord reply)
			// names who answered; a threaded one is not scored.
			if p := ev.open[e.Question.ID]; p != nil && (e.How == exchange.Addressed || e.How == exchange.Referenced) {
				ev.score(p, e.From.ID)
				delete(ev.open, e.Question.ID)
			}
			ev.ix.Answered(AnswerOf(e, ev.opts.Text))
		}
	}
	if rec.Kind == store.KindMessage && !rec.Author.Bot && rec.Author.ID != "" {
		ev.ix.Seen(rec.Author, rec.Time)
		ev.members[rec.Author.ID] = rec.Author
	}
}

// AnswerOf is the Answer a reply event teaches: the replier answered the
// question's topic words.
func AnswerOf(e exchange.Event, text topics.Text) Answer {
	return Answer{Member: e.From, Asker: e.To.ID, Question: e.Question.ID, Time: e.Record.Time, Terms: text.Terms(e.Question.Text), How: string(e.How)}
}

// rankAll ranks the members for q by every method, with what is known now.
func (ev *Evaluator) rankAll(q Question, rec store.Record) *pending {
	p := &pending{q: q, rec: rec, rankings: map[string][]string{}}
	for _, c := range ev.ix.Rank(q, rankDepth) {
		p.rankings[MethodRouting] = append(p.rankings[MethodRouting], c.Member.ID)
	}
	var all []*Profile
	for _, pr := range ev.ix.Profiles() {
		if pr.Member.ID != q.Asker && !pr.Member.Bot {
			all = append(all, pr)
		}
	}
	keys := make(map[string]int64, len(all))
	by := func(key func(*Profile) int64) []string {
		for _, pr := range all {
			keys[pr.Member.ID] = key(pr)
		}
		slices.SortFunc(all, func(a, b *Profile) int {
			if c := cmp.Compare(keys[b.Member.ID], keys[a.Member.ID]); c != 0 {
				return c
			}
			if c := b.LastSeen.Compare(a.LastSeen); c != 0 {
				return c
			}
			return cmp.Compare(a.Member.ID, b.Member.ID)
		})
		var ids []string
		for _, pr := range all[:min(len(all), rankDepth)] {
			if keys[pr.Member.ID] > 0 {
				ids = append(ids, pr.Member.ID)
			}
		}
		return ids
	}
	p.rankings[MethodRecent] = by(func(pr *Profile) int64 { return pr.LastSeen.Unix() })
	p.rankings[MethodActive90] = by(func(pr *Profile) int64 { return int64(pr.Active(q.Time)) })
	p.rankings[MethodAnswers] = by(func(pr *Profile) int64 { return int64(pr.Answers) })
	if len(p.rankings[MethodAnswers]) > 0 {
		p.busiest = p.rankings[MethodAnswers][0]
	}
	return p
}

func (ev *Evaluator) score(p *pending, answerer string) {
	s := scored{at: p.q.Time, asker: p.q.Asker, text: p.rec.Text, answerer: answerer, busiest: p.busiest, ranks: map[string]int{}}
	for m, ids := range p.rankings {
		if i := slices.Index(ids, answerer); i >= 0 {
			s.ranks[m] = i + 1
		}
	}
	ev.done = append(ev.done, s)
}

// Report scores the questions read so far, split at HeldOut.
func (ev *Evaluator) Report() Report {
	r := Report{Records: ev.records}
	var tune, held []scored
	for _, s := range ev.done {
		if s.at.Before(ev.opts.HeldOut) {
			tune = append(tune, s)
		} else {
			held = append(held, s)
		}
	}
	r.Parts = append(r.Parts, part("tune", ev.opts.Since, ev.opts.HeldOut, tune, ev.members))
	r.Parts = append(r.Parts, part("held-out", ev.opts.HeldOut, ev.last, held, ev.members))
	return r
}

func scores(qs []scored) []Score {
	var out []Score
	for _, m := range methods {
		s := Score{Method: m, Questions: len(qs)}
		for _, q := range qs {
			if r := q.ranks[m]; r > 0 {
				s.MRR += 1 / float64(r)
				if r == 1 {
					s.Hit1++
				}
				if r <= 5 {
					s.Hit5++
				}
			}
		}
		if n := float64(len(qs)); n > 0 {
			s.Hit1, s.Hit5, s.MRR = s.Hit1/n, s.Hit5/n, s.MRR/n
		}
		out = append(out, s)
	}
	return out
}

func part(name string, from, to time.Time, qs []scored, members map[string]chat.Member) Part {
	p := Part{Name: name, From: from, To: to, Scores: scores(qs)}
	best := Score{MRR: -1}
	for _, s := range p.Scores[1:] {
		if s.MRR > best.MRR {
			best = s
		}
	}
	p.Best = best.Method
	byMember := map[string][]scored{}
	var notBusiest []scored
	for _, q := range qs {
		byMember[q.answerer] = append(byMember[q.answerer], q)
		if q.answerer != q.busiest {
			notBusiest = append(notBusiest, q)
			p.Examples = append(p.Examples, Example{Time: q.at, Asker: q.asker, Text: q.text, Answerer: q.answerer, Busiest: q.busiest, Rank: q.ranks[MethodRouting], BaseRank: q.ranks[p.Best]})
		}
	}
	p.NotBusiest = scores(notBusiest)
	for id, qs := range byMember {
		ss := scores(qs)
		ms := MemberScore{Member: nameOr(members, id), Questions: len(qs), Hit1: ss[0].Hit1, MRR: ss[0].MRR}
		for _, s := range ss {
			if s.Method == p.Best {
				ms.BaseHit1, ms.BaseMRR = s.Hit1, s.MRR
			}
		}
		p.Members = append(p.Members, ms)
	}
	slices.SortFunc(p.Members, func(a, b MemberScore) int {
		return cmp.Or(cmp.Compare(b.Questions, a.Questions), cmp.Compare(a.Member, b.Member))
	})
	return p
}

func nameOr(members map[string]chat.Member, id string) string {
	if m, ok := members[id]; ok && m.Name != "" {
		return m.Name
	}
	return id
}

// WriteText prints the report as tables: each part's scores, its
// questions not answered by the busiest member, its members (those with
// at least minQuestions questions) and up to examples of those questions.
func (r Report) WriteText(w io.Writer, minQuestions, examples int, parts ...string) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%d records read\n", r.Records)
	for _, p := range r.Parts {
		if len(parts) > 0 && !slices.Contains(parts, p.Name) {
			continue
		}
		fmt.Fprintf(tw, "\n== %s: questions from %s to %s, with an addressed or referenced reply within the window: %d\n",
			p.Name, p.From.Format(time.DateOnly), p.To.Format(time.DateOnly), p.Scores[0].Questions)
		writeScores(tw, p.Scores)
		fmt.Fprintf(tw, "\nstrongest baseline (MRR): %s\n", p.Best)
		fmt.Fprintf(tw, "\nquestions whose answerer was not the member with the most answers so far: %d\n", p.NotBusiest[0].Questions)
		writeScores(tw, p.NotBusiest)
		fmt.Fprintf(tw, "\nper answerer (%d questions or more)\tquestions\thit@1\tMRR\t%s hit@1\t%s MRR\n", minQuestions, p.Best, p.Best)
		for _, m := range p.Members {
			if m.Questions >= minQuestions {
				fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\n", m.Member, m.Questions, m.Hit1, m.MRR, m.BaseHit1, m.BaseMRR)
			}
		}
		if examples > 0 && len(p.Examples) > 0 {
			fmt.Fprintf(tw, "\nquestions not answered by the busiest member (first %d)\n", examples)
			fmt.Fprintf(tw, "time\tasker\tanswerer\tbusiest\trouting rank\t%s rank\tquestion\n", p.Best)
			for _, e := range p.Examples[:min(examples, len(p.Examples))] {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.Format("2006-01-02 15:04"), nameOr(nil, e.Asker), e.Answerer, e.Busiest, rankText(e.Rank), rankText(e.BaseRank), clip(e.Text, 60))
			}
		}
	}
	return tw.Flush()
}

func writeScores(w io.Writer, ss []Score) {
	fmt.Fprintf(w, "method\tquestions\thit@1\thit@5\tMRR\n")
	for _, s := range ss {
		fmt.Fprintf(w, "%s\t%d\t%.3f\t%.3f\t%.3f\n", s.Method, s.Questions, s.Hit1, s.Hit5, s.MRR)
	}
}

func rankText(r int) string {
	if r == 0 {
		return "-"
	}
	return fmt.Sprint(r)
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// History calls fn with every record of st in ID order (the order they
// were stored: time order for an imported history), reading conversation
// by conversation and merging.
func History(ctx context.Context, st *store.Store, fn func(store.Record)) error {
	convs, err := st.Conversations(ctx)
	if err != nil {
		return fmt.Errorf("routing: list the conversations: %w", err)
	}
	var all []store.Record
	for _, c := range convs {
		recs, err := st.Conversation(ctx, c.Conversation, 0)
		if err != nil {
			return fmt.Errorf("routing: read the history: %w", err)
		}
		all = append(all, recs...)
	}
	slices.SortFunc(all, func(a, b store.Record) int { return cmp.Compare(a.ID, b.ID) })
	for _, r := range all {
		fn(r)
	}
	return nil
}
