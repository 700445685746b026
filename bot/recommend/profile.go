package recommend

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/chat/topics"
	"github.com/docent-bot/docent/store"
)

// Profile is what Docent reads of one member's interests from their own
// messages and votes: the topic words they use, each weighed by how often
// and how lately (a weight halves every half-life), their recent
// questions, the channels they write in, and what they wrote or voted on
// (never recommended back to them). `!recommend` and the evaluation
// (`docent recommend eval`) both read interests through it.
type Profile struct {
	// Terms are the topic words' weights as of At (which may be earlier
	// than their newest message: see Learner.add).
	Terms map[string]float64 `json:"terms"`
	At    time.Time          `json:"at"`
	// Questions are their newest questions, oldest first.
	Questions []Asked `json:"questions,omitempty"`
	// Channels count their messages per channel ("discord:123").
	Channels map[string]int `json:"channels,omitempty"`
	// Wrote are the IDs of their newest questions; Voted of the records
	// they voted on (and of the questions of the answers they voted on).
	Wrote []uint64 `json:"wrote,omitempty"`
	Voted []uint64 `json:"voted,omitempty"`
}

// Asked is one of a member's questions, for the reason of a
// recommendation ("because you asked about ldap last week").
type Asked struct {
	ID      uint64    `json:"id"`
	Text    string    `json:"text"`
	At      time.Time `json:"at"`
	Channel string    `json:"channel"`
}

// minScale is the smallest factor new words are weighed back by before
// a profile's weights are brought forward to the newest message (about
// 30 half-lives: far from float64's limits).
const minScale = 0x1p-30

// What a profile keeps, at most.
const (
	maxTerms     = 400
	maxQuestions = 10
	maxChannels  = 20
	maxIDs       = 200
	maxAskedText = 200
)

// Weights of what a member does, in topic-word weight per word.
const (
	// A question weighs as much as any message: weighing it double scored
	// lower on the evaluation's tuning months (0.301 against 0.311 at a
	// year's half-life). Questions are kept apart for the reasons.
	weightQuestion = 1.0 // a question of theirs
	weightMessage  = 1.0 // any other message (an answer to someone, a remark)
	weightUpvote   = 1.0 // a message or answer they voted up
)

// Learner reads records into profiles: the one rule for what a message or
// a vote adds, for the recorder and the evaluation alike.
type Learner struct {
	Text     topics.Text
	HalfLife time.Duration
}

// decay is the factor a weight keeps over d.
func (l Learner) decay(d time.Duration) float64 {
	if l.HalfLife <= 0 || d <= 0 {
		return 1
	}
	return math.Exp2(-float64(d) / float64(l.HalfLife))
}

// add adds weight w to each of terms, said at at: the profile's weights
// are first brought forward to at, or, for something older than them (an
// imported history), w is decayed back instead.
func (l Learner) add(p *Profile, terms []string, at time.Time, w float64) {
	if p.Terms == nil {
		p.Terms = map[string]float64{}
	}
	switch {
	case p.At.IsZero():
		p.At = at
	case at.After(p.At):
		// The weights stay as of At and the new words are weighed back
		// to it (1/f more): the same profile as decaying every word to
		// at, without a loop over all the words at every message. Once
		// the factor grows large the words are brought forward.
		f := l.decay(at.Sub(p.At))
		if f >= minScale {
			w /= f
			break
		}
		for t := range p.Terms {
			p.Terms[t] *= f
		}
		p.At = at
	default:
		w *= l.decay(p.At.Sub(at))
	}
	for _, t := range terms {
		p.Terms[t] += w
	}
	// Cut back to maxTerms once it is a quarter over: sorting at every
	// message would cost more than the words.
	if len(p.Terms) > maxTerms+maxTerms/4 {
		keep := p.top(maxTerms, nil)
		kept := make(map[string]float64, len(keep))
		for _, t := range keep {
			kept[t] = p.Terms[t]
		}
		p.Terms = kept
	}
}

// Message adds a member's message (rec, theirs) to p: its topic words,
// weighed more for a question, its channel, and, for a question, the
// question itself. A command adds nothing. It reports whether p changed.
func (l Learner) Message(p *Profile, rec store.Record) bool {
	terms := l.Text.Terms(rec.Text)
	if len(terms) == 0 {
		return false
	}
	w := weightMessage
	if chat.IsQuestion(rec.Text) {
		w = weightQuestion
		p.Questions = appendBounded(p.Questions, Asked{ID: rec.ID, Text: chat.Clip(rec.Text, maxAskedText),
			At: rec.Time, Channel: rec.Conversation.Channel}, maxQuestions)
		p.Wrote = appendBounded(p.Wrote, rec.ID, maxIDs)
	}
	l.add(p, terms, rec.Time, w)
	if p.Channels == nil {
		p.Channels = map[string]int{}
	}
	ch := rec.Conversation.Platform + ":" + rec.Conversation.Channel
	p.Channels[ch]++
	if len(p.Channels) > maxChannels {
		least := ""
		for c, n := range p.Channels {
			if c != ch && (least == "" || n < p.Channels[least] || n == p.Channels[least] && c < least) {
				least = c
			}
		}
		delete(p.Channels, least)
	}
	return true
}

// Vote adds a member's vote on rec (question: what rec answers, when rec
// is an answer; zero otherwise) at at: what they voted on is never
// recommended back, and what they voted up adds its words.
func (l Learner) Vote(p *Profile, rec, question store.Record, vote chat.Vote, at time.Time) {
	for _, id := range []uint64{rec.ID, question.ID} {
		if id != 0 && !slices.Contains(p.Voted, id) {
			p.Voted = appendBounded(p.Voted, id, maxIDs)
		}
	}
	if vote != chat.VoteUp {
		return
	}
	terms := l.Text.Terms(question.Text + "\n" + rec.Text)
	if len(terms) > 0 {
		l.add(p, terms, at, weightUpvote)
	}
}

// Weights are p's topic words' weights brought forward to now.
func (l Learner) Weights(p *Profile, now time.Time) map[string]float64 {
	f := 1.0
	if now.After(p.At) {
		f = l.decay(now.Sub(p.At))
	}
	out := make(map[string]float64, len(p.Terms))
	for t, w := range p.Terms {
		out[t] = w * f
	}
	return out
}

// top returns up to n of p's terms, heaviest first (ties by the word),
// leaving out those skip says.
func (p *Profile) top(n int, skip func(string) bool) []string {
	type weighed struct {
		term string
		w    float64
	}
	terms := make([]weighed, 0, len(p.Terms))
	for t, w := range p.Terms {
		if skip == nil || !skip(t) {
			terms = append(terms, weighed{t, w})
		}
	}
	slices.SortFunc(terms, func(a, b weighed) int {
		return cmp.Or(cmp.Compare(b.w, a.w), strings.Compare(a.term, b.term))
	})
	out := make([]string, min(n, len(terms)))
	for i := range out {
		out[i] = terms[i].term
	}
	return out
}

// Interests are the member's n heaviest topic words, leaving out those
// skip says (the community's most common words): what `!recommend`
// searches for and what the evaluation predicts.
func (p *Profile) Interests(n int, skip func(string) bool) []string { return p.top(n, skip) }

// touched reports whether id is a question of theirs or something they
// voted on.
func (p *Profile) touched(id uint64) bool {
	return slices.Contains(p.Wrote, id) || slices.Contains(p.Voted, id)
}

// lastAsked is their newest question that has term among its topic words.
func (p *Profile) lastAsked(text topics.Text, term string) (Asked, bool) {
	for _, q := range slices.Backward(p.Questions) {
		if slices.Contains(text.Terms(q.Text), term) {
			return q, true
		}
	}
	return Asked{}, false
}

// appendBounded appends v to s, dropping the oldest past n.
func appendBounded[T comparable](s []T, v T, n int) []T {
	s = append(s, v)
	if len(s) > n {
		s = slices.Delete(s, 0, len(s)-n)
	}
	return s
}
