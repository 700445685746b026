package recommend_test

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/recommend"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/chat/topics"
	"github.com/docent-bot/docent/store"
)

func msg(id uint64, author, text string, at time.Time) store.Record {
	return store.Record{ID: id, Kind: store.KindMessage, Conversation: chat.Conversation{Platform: "irc", Channel: "#dev"},
		Author: chat.Member{ID: author}, Text: text, Time: at}
}

func month(m int, day int) time.Time {
	return time.Date(2020, time.Month(m), day, 12, 0, 0, 0, time.UTC)
}

// synthetic is a small history with a known answer. Everyone says
// "dspace" every month (the one common word left out). In January ada
// talks about ldap, solr and handle, and bob about docker; in February bob
// talks about docker and rises: kafka (trending in March); ada talks about
// solr twice and oai once. In March ada talks about oai, solr and kafka.
func synthetic() []store.Record {
	var recs []store.Record
	id := uint64(0)
	add := func(author, text string, at time.Time) {
		id++
		recs = append(recs, msg(id, author, "dspace "+text, at))
	}
	add("ada", "ldap solr handle", month(1, 3))
	add("ada", "ldap handle", month(1, 4))
	add("bob", "docker", month(1, 5))
	add("bob", "docker kafka", month(2, 1))
	add("bob", "kafka", month(2, 2))
	add("ada", "solr", month(2, 3))
	add("ada", "solr oai", month(2, 20))
	add("ada", "oai solr kafka", month(3, 2))
	add("bob", "docker", month(3, 3))
	return recs
}

// TestEvaluateKnownAnswer works the synthetic history out by hand. With
// a half-life of ten days, ada's profile at March ranks February's words
// first: solr (2 messages), oai, then handle over ldap (January, equal,
// by the word): 2 of 3 right. Her most frequent words are solr (3), handle
// and ldap (2 each): 1 of 3. Trending in March are February's rises over
// January: kafka (+2), then oai and solr (+1 each; docker fell): 3 of 3.
// Bob in March says docker: profile kafka, docker (2 each, kafka newer)
// → 1/3; frequent docker, kafka → 1/3; trending → 0. In February ada says
// solr and oai: profile and frequent (handle, ldap, solr) → 1/3; trending
// (ldap, handle, solr, docker all rose from nothing: handle, ldap, docker
// by count then word) → 0; bob says docker and kafka: profile and
// frequent docker → 1/3, trending docker → 1/3.
func TestEvaluateKnownAnswer(t *testing.T) {
	res := recommend.Evaluate(synthetic(), recommend.EvalOptions{
		Learner: recommend.Learner{Text: topics.Text{}, HalfLife: 10 * 24 * time.Hour}, Common: 1, HeldOutMonths: 1})
	got := map[string]recommend.Prediction{}
	for _, p := range res.Predictions {
		got[p.Month+" "+p.Member.ID] = p
	}
	want := map[string]recommend.Prediction{
		"2020-03 ada": {Method: []string{"solr", "oai", "handle"}, Frequent: []string{"solr", "handle", "ldap"}, Trending: []string{"kafka", "oai", "solr"},
			Truth: []string{"kafka", "oai", "solr"}},
		"2020-03 bob": {Method: []string{"kafka", "docker"}, Frequent: []string{"docker", "kafka"}, Trending: []string{"kafka", "oai", "solr"},
			Truth: []string{"docker"}},
		"2020-02 ada": {Method: []string{"handle", "ldap", "solr"}, Frequent: []string{"handle", "ldap", "solr"}, Trending: []string{"handle", "ldap", "docker"},
			Truth: []string{"oai", "solr"}},
		"2020-02 bob": {Method: []string{"docker"}, Frequent: []string{"docker"}, Trending: []string{"handle", "ldap", "docker"},
			Truth: []string{"docker", "kafka"}},
	}
	if len(got) != len(want) {
		t.Errorf("predictions for %v, want %d member-months", slices.Sorted(mapKeys(got)), len(want))
	}
	for k, w := range want {
		g := got[k]
		if !slices.Equal(g.Method, w.Method) || !slices.Equal(g.Frequent, w.Frequent) || !slices.Equal(g.Trending, w.Trending) || !slices.Equal(g.Truth, w.Truth) {
			t.Errorf("%s: got method %v frequent %v trending %v truth %v\nwant method %v frequent %v trending %v truth %v",
				k, g.Method, g.Frequent, g.Trending, g.Truth, w.Method, w.Frequent, w.Trending, w.Truth)
		}
	}
	near := func(name string, got, want float64) {
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %.4f, want %.4f", name, got, want)
		}
	}
	if res.HeldOutFrom != "2020-03" || res.Tune.MemberMonths != 2 || res.HeldOut.MemberMonths != 2 {
		t.Fatalf("held out from %s, %d and %d member-months; want 2020-03, 2 and 2", res.HeldOutFrom, res.Tune.MemberMonths, res.HeldOut.MemberMonths)
	}
	near("held-out profile", res.HeldOut.Method, (2.0/3+1.0/3)/2)
	near("held-out frequent", res.HeldOut.Frequent, (1.0/3+1.0/3)/2)
	near("held-out trending", res.HeldOut.Trending, (1.0+0)/2)
	near("tune profile", res.Tune.Method, (1.0/3+1.0/3)/2)
	near("tune trending", res.Tune.Trending, (0+1.0/3)/2)
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestEvaluateNeverPeeks: a month's predictions are the same whatever
// happens from that month on: the history is cut, and, beside it, the
// months after are rewritten with other words, members and far more
// messages; every prediction up to the cut is unchanged, and so are the
// words left out as common.
func TestEvaluateNeverPeeks(t *testing.T) {
	var base []store.Record
	words := []string{"ldap", "solr", "handle", "docker", "kafka", "oai", "orcid", "doi", "iiif", "sword"}
	id := uint64(0)
	for m := 1; m <= 6; m++ {
		for i := range 12 {
			id++
			base = append(base, msg(id, fmt.Sprintf("m%d", i%4), fmt.Sprintf("%s %s", words[(i+m)%len(words)], words[(i*m)%len(words)]), month(m, 1+i)))
		}
	}
	opt := recommend.EvalOptions{Learner: recommend.Learner{HalfLife: 20 * 24 * time.Hour}, Common: 2, HeldOutMonths: 1}
	full := recommend.Evaluate(base, opt)
	for cut := 2; cut <= 6; cut++ {
		changed := slices.Clone(base)
		for i, r := range changed {
			if r.Time.Month() >= time.Month(cut) {
				// Later months: other words, and a flood of one word that
				// would be common if it were counted too soon.
				changed[i].Text = "flood " + words[i%3] + " zebra"
				changed[i].Author.ID = fmt.Sprintf("m%d", i%2)
			}
		}
		for i := range 50 {
			changed = append(changed, msg(1000+uint64(i), "m9", "flood flood", month(cut, 20)))
		}
		other := recommend.Evaluate(changed, opt)
		for _, p := range full.Predictions {
			if p.Month >= fmt.Sprintf("2020-%02d", cut) {
				continue
			}
			q := find(other.Predictions, p)
			if q == nil || !slices.Equal(p.Method, q.Method) || !slices.Equal(p.Frequent, q.Frequent) || !slices.Equal(p.Trending, q.Trending) || !slices.Equal(p.Truth, q.Truth) {
				t.Fatalf("cut at month %d: the prediction for %s in %s changed: %+v became %+v", cut, p.Member.ID, p.Month, p, q)
			}
		}
		// The cut month's predictions too: made before any of its records.
		for _, p := range full.Predictions {
			if p.Month != fmt.Sprintf("2020-%02d", cut) {
				continue
			}
			if q := find(other.Predictions, p); q != nil && (!slices.Equal(p.Method, q.Method) || !slices.Equal(p.Frequent, q.Frequent) || !slices.Equal(p.Trending, q.Trending)) {
				t.Fatalf("cut at month %d: the prediction for %s in its own month changed: %+v became %+v", cut, p.Member.ID, p, q)
			}
		}
	}
}

func find(ps []recommend.Prediction, p recommend.Prediction) *recommend.Prediction {
	for i := range ps {
		if ps[i].Month == p.Month && ps[i].Member == p.Member {
			return &ps[i]
		}
	}
	return nil
}
