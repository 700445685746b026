package recommend

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/docent-bot/docent/store"
)

// The offline evaluation of the profiles on a community's history: for
// each member and month, predict the distinctive topic words the member
// uses that month from what came before it, and score the predictions'
// precision@3 beside two baselines. Distinctive: the community's most
// common words (by document frequency before the month) are left out of
// the predictions and of what is predicted, since any baseline gets them
// right. Everything a month's predictions use is read before any record of
// that month is.

// EvalOptions are the evaluation's settings.
type EvalOptions struct {
	// Learner reads the records into profiles, as the recorder does.
	Learner Learner
	// Common is how many of the most common words are left out.
	Common int
	// HeldOutMonths are the last months of the history, scored apart: the
	// held-out part, looked at only once the method is tuned on the rest.
	HeldOutMonths int
}

// K is how many words each method predicts.
const K = 3

// Prediction is what each method predicted for one member in one month,
// and the member's distinctive words that month (Truth).
type Prediction struct {
	Member   store.MemberRef `json:"member"`
	Month    string          `json:"month"` // 2006-01
	HeldOut  bool            `json:"held_out"`
	Method   []string        `json:"method"`
	Trending []string        `json:"trending"`
	Frequent []string        `json:"frequent"`
	Truth    []string        `json:"truth"`
}

// Score is the mean precision@3 of each method over member-months.
type Score struct {
	MemberMonths int     `json:"member_months"`
	Method       float64 `json:"method"`
	Trending     float64 `json:"trending"`
	Frequent     float64 `json:"frequent"`
}

// EvalResult is the evaluation of a history.
type EvalResult struct {
	First, Last string // the history's first and last months
	HeldOutFrom string // the first held-out month
	Messages    int
	Members     int
	Tune        Score
	HeldOut     Score
	Predictions []Prediction
}

// monthOf is t's month, 2006-01 (UTC).
func monthOf(t time.Time) string { return t.UTC().Format("2006-01") }

// Evaluate scores the methods on recs, a community's history in any order.
// The method is the member's Profile (Learner, Interests), the one
// `!recommend` reads; the baselines are the community's trending words
// (those whose use rose most last month over the month before), the same
// for everyone, and the member's own most frequent words so far.
func Evaluate(recs []store.Record, opt EvalOptions) EvalResult {
	recs = slices.DeleteFunc(slices.Clone(recs), func(r store.Record) bool {
		return r.Kind != store.KindMessage || r.Author.Bot || r.Author.ID == ""
	})
	slices.SortStableFunc(recs, func(a, b store.Record) int { return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.ID, b.ID)) })
	var res EvalResult
	if len(recs) == 0 {
		return res
	}
	res.First, res.Last = monthOf(recs[0].Time), monthOf(recs[len(recs)-1].Time)
	last, _ := time.Parse("2006-01", res.Last)
	res.HeldOutFrom = monthOf(last.AddDate(0, 1-max(opt.HeldOutMonths, 0), 0))
	if opt.HeldOutMonths <= 0 {
		res.HeldOutFrom = "9999-12"
	}

	profiles := map[store.MemberRef]*Profile{}
	frequent := map[store.MemberRef]map[string]int{}
	df := map[string]int{}                  // messages using each word, before the month
	var thisMonth, lastMonth map[string]int // messages using each word, per month
	var sums [2]struct {
		n                          int
		method, trending, frequent float64
	}
	for i := 0; i < len(recs); {
		month := monthOf(recs[i].Time)
		// The predictions, from what came before month alone.
		common := commonWords(df, opt.Common)
		skip := func(t string) bool { return common[t] }
		trending := rising(thisMonth, lastMonth, skip)
		preds := map[store.MemberRef]*Prediction{}
		for m, p := range profiles {
			preds[m] = &Prediction{Member: m, Month: month, HeldOut: month >= res.HeldOutFrom,
				Method: p.Interests(K, skip), Trending: trending, Frequent: topCounts(frequent[m], K, skip)}
		}
		// The month itself.
		lastMonth, thisMonth = thisMonth, map[string]int{}
		truth := map[store.MemberRef]map[string]bool{}
		for ; i < len(recs) && monthOf(recs[i].Time) == month; i++ {
			rec := recs[i]
			res.Messages++
			m := store.MemberRef{Platform: rec.Conversation.Platform, ID: rec.Author.ID}
			terms := opt.Learner.Text.Terms(rec.Text)
			for _, t := range terms {
				thisMonth[t]++
				if !common[t] {
					if truth[m] == nil {
						truth[m] = map[string]bool{}
					}
					truth[m][t] = true
				}
			}
			p := profiles[m]
			if p == nil {
				p = &Profile{}
				profiles[m] = p
				frequent[m] = map[string]int{}
			}
			opt.Learner.Message(p, rec)
			for _, t := range terms {
				frequent[m][t]++
			}
		}
		for t, n := range thisMonth {
			df[t] += n
		}
		for _, m := range slices.SortedFunc(maps.Keys(preds), func(a, b store.MemberRef) int {
			return cmp.Or(strings.Compare(a.Platform, b.Platform), strings.Compare(a.ID, b.ID))
		}) {
			pr := preds[m]
			if len(truth[m]) == 0 || len(pr.Frequent) == 0 {
				continue // not active this month, or nothing distinctive before
			}
			pr.Truth = slices.Sorted(maps.Keys(truth[m]))
			res.Predictions = append(res.Predictions, *pr)
			s := &sums[0]
			if pr.HeldOut {
				s = &sums[1]
			}
			s.n++
			s.method += precision(pr.Method, truth[m])
			s.trending += precision(pr.Trending, truth[m])
			s.frequent += precision(pr.Frequent, truth[m])
		}
	}
	res.Members = len(profiles)
	for i, sc := range []*Score{&res.Tune, &res.HeldOut} {
		if s := sums[i]; s.n > 0 {
			*sc = Score{MemberMonths: s.n, Method: s.method / float64(s.n), Trending: s.trending / float64(s.n), Frequent: s.frequent / float64(s.n)}
		}
	}
	return res
}

// precision is the share of K predicted words that came true.
func precision(pred []string, truth map[string]bool) float64 {
	hits := 0
	for _, t := range pred {
		if truth[t] {
			hits++
		}
	}
	return float64(hits) / K
}

// commonWords are the n words used in the most messages (ties by the
// word).
func commonWords(df map[string]int, n int) map[string]bool {
	out := map[string]bool{}
	for _, t := range topCounts(df, n, nil) {
		out[t] = true
	}
	return out
}

// rising are the K words whose use rose most from before to last (ties by
// the word), leaving out what skip says.
func rising(last, before map[string]int, skip func(string) bool) []string {
	rise := map[string]int{}
	for t, n := range last {
		if d := n - before[t]; d > 0 {
			rise[t] = d
		}
	}
	return topCounts(rise, K, skip)
}

// topCounts are the n words with the highest counts, ties by the word,
// leaving out what skip says.
func topCounts(counts map[string]int, n int, skip func(string) bool) []string {
	terms := make([]string, 0, len(counts))
	for t := range counts {
		if skip == nil || !skip(t) {
			terms = append(terms, t)
		}
	}
	slices.SortFunc(terms, func(a, b string) int { return cmp.Or(cmp.Compare(counts[b], counts[a]), strings.Compare(a, b)) })
	return terms[:min(n, len(terms))]
}
