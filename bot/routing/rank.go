package routing

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/docent-bot/docent/chat"
)

// Index is what ranking knows of the members at one moment: who answered
// which questions (their topic words), when, and when each member last
// spoke. The live module loads one from its buckets; the evaluation
// builds one as it reads the history in time order. Both rank with Rank.
type Index struct {
	// Weights are the ranking's; DefaultWeights when zero.
	Weights Weights

	members map[string]*Profile // by member ID
	df      map[string]int      // answered questions with each term
	docs    int                 // answered questions
	length  int                 // terms of all answered questions
}

// Profile is one member as ranking sees them.
type Profile struct {
	Member     chat.Member
	LastSeen   time.Time
	Answers    int // questions answered within the reply window
	LastAnswer time.Time
	terms      map[string]int // the terms of the questions they answered
	length     int
	days       map[int]int // messages by day (Unix days), the last ActivityDays
}

// ActivityDays is how many days of messages a Profile counts.
const ActivityDays = 90

func dayOf(t time.Time) int { return int(t.Unix() / 86400) }

// Active is how many messages the member wrote in the ActivityDays before
// t.
func (p *Profile) Active(t time.Time) int {
	n, today := 0, dayOf(t)
	for d, c := range p.days {
		if d > today-ActivityDays && d <= today {
			n += c
		}
	}
	return n
}

// Answer is one question a member answered: the fact ranking learns
// from, as the recorder stores it.
type Answer struct {
	Member   chat.Member `json:"member"`
	Asker    string      `json:"asker"`    // the asker's member ID
	Question uint64      `json:"question"` // the question's record ID
	Time     time.Time   `json:"time"`     // the reply's
	Terms    []string    `json:"terms"`    // the question's topic words
	How      string      `json:"how"`      // exchange.How
}

// Question is what ranking is asked about.
type Question struct {
	Asker string // member ID, never ranked
	Time  time.Time
	Terms []string
}

// Candidate is one member ranked for a question.
type Candidate struct {
	Member  chat.Member
	Score   float64
	Topic   float64  // the topic part of the score
	Matched []string // the question's terms they answered before
	Answers int
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{members: map[string]*Profile{}, df: map[string]int{}}
}

func (ix *Index) profile(m chat.Member) *Profile {
	p := ix.members[m.ID]
	if p == nil {
		p = &Profile{Member: m, terms: map[string]int{}}
		ix.members[m.ID] = p
	}
	if m.Name != "" {
		p.Member.Name = m.Name
	}
	return p
}

// Seen notes that m spoke at t.
func (ix *Index) Seen(m chat.Member, t time.Time) { ix.SeenN(m, t, 1) }

// SeenN notes that m wrote n messages on t's day, the last at t.
func (ix *Index) SeenN(m chat.Member, t time.Time, n int) {
	p := ix.profile(m)
	if t.After(p.LastSeen) {
		p.LastSeen = t
	}
	if p.days == nil {
		p.days = map[int]int{}
	}
	d := dayOf(t)
	p.days[d] += n
	if len(p.days) > ActivityDays {
		for k := range p.days {
			if k <= d-ActivityDays {
				delete(p.days, k)
			}
		}
	}
}

// Answered adds a to what its member answered.
func (ix *Index) Answered(a Answer) {
	p := ix.profile(a.Member)
	p.Answers++
	if a.Time.After(p.LastAnswer) {
		p.LastAnswer = a.Time
	}
	if a.Time.After(p.LastSeen) {
		p.LastSeen = a.Time
	}
	for _, t := range a.Terms {
		if p.terms[t] == 0 {
			// df counts members' documents: a term is rarer the fewer
			// members answered it.
			ix.df[t]++
		}
		p.terms[t]++
	}
	p.length += len(a.Terms)
	ix.length += len(a.Terms)
	ix.docs++
}

// Profiles are the members known, in no order.
func (ix *Index) Profiles() []*Profile {
	out := make([]*Profile, 0, len(ix.members))
	for _, p := range ix.members {
		out = append(out, p)
	}
	return out
}

// Weights weigh the ranking's parts (Rank).
type Weights struct {
	Topic    float64 // BM25 of the question over what the member answered
	Presence float64 // how recently they spoke, halving every HalfLife
	HalfLife time.Duration
	Activity float64 // log of their messages in the last ActivityDays
	Volume   float64 // log of their answers
}

// DefaultWeights were chosen on the DuraSpace history's questions from
// 2016-07 to 2018-01 (the held-out last six months looked at once, at the
// end), by `docent routing eval`: there presence and activity decide, and
// the topic part moves MRR by less than 0.01 (a meeting channel, where
// who is around answers); it stays, small, for communities with more
// topics than members.
var DefaultWeights = Weights{Topic: 0.1, Presence: 5, HalfLife: 20 * time.Minute, Activity: 1, Volume: 0.3}

// BM25's usual term saturation and length normalisation.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// Rank ranks the members who answered questions before q for it, best
// first, at most n of them (n <= 0: all), by the weighted sum of: the
// topic overlap of q with the questions each answered (BM25 over their
// answered questions' terms), how present they are (how recently they
// spoke, halving every HalfLife), how active they are (the log of their
// messages in the last ActivityDays) and how much they answer (the log of
// their answers).
// The asker is never ranked, nor a member who answered nothing: the index
// knows only what it was given (the evaluation gives it only what came
// before the question). It is the one ranking: the module's pings and dashboard and the
// evaluation all call it.
func (ix *Index) Rank(q Question, n int) []Candidate {
	w := ix.Weights
	if w == (Weights{}) {
		w = DefaultWeights
	}
	var out []Candidate
	avg := 1.0
	if len(ix.members) > 0 && ix.length > 0 {
		avg = float64(ix.length) / float64(max(1, ix.answerers()))
	}
	for id, p := range ix.members {
		if id == q.Asker || p.Answers == 0 || p.Member.Bot {
			continue
		}
		c := Candidate{Member: p.Member, Answers: p.Answers}
		for _, t := range q.Terms {
			tf := float64(p.terms[t])
			if tf == 0 {
				continue
			}
			df := float64(ix.df[t])
			idf := math.Log(1 + (float64(len(ix.members))-df+0.5)/(df+0.5))
			c.Topic += idf * tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*float64(p.length)/avg))
			c.Matched = append(c.Matched, t)
		}
		away := max(0, q.Time.Sub(p.LastSeen))
		presence := math.Exp2(-float64(away) / float64(max(time.Minute, w.HalfLife)))
		c.Score = w.Topic*c.Topic + w.Presence*presence + w.Activity*math.Log1p(float64(p.Active(q.Time))) + w.Volume*math.Log1p(float64(p.Answers))
		out = append(out, c)
	}
	sortCandidates(out)
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// answerers is how many members answered something.
func (ix *Index) answerers() int {
	n := 0
	for _, p := range ix.members {
		if p.Answers > 0 {
			n++
		}
	}
	return n
}

// sortCandidates orders by score, then member ID, for a ranking that does
// not depend on map order.
func sortCandidates(cs []Candidate) {
	slices.SortFunc(cs, func(a, b Candidate) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Member.ID, b.Member.ID)
	})
}
