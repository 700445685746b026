package recommend

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/brain/knowledge"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// TestNeverTheirOwn: of the earlier threads the brain finds, one the
// member asked (found by the question's author, even when the profile
// no longer lists it) or voted on is never a candidate; another member's
// is, and so is a doc section.
func TestNeverTheirOwn(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(filepath.Join(t.TempDir(), "docent.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conv := chat.Conversation{Platform: "discord", Channel: "help"}
	ask := func(who, text string) uint64 {
		rec, err := s.AppendMessage(ctx, chat.Message{Conversation: conv, Author: chat.Member{ID: who}, Text: text, Time: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return rec.ID
	}
	own, bobs, voted := ask("ada", "how do I set up ldap?"), ask("bob", "ldap bind fails?"), ask("carl", "ldap over tls?")
	mod := New()
	if err := mod.Provision(ctx, &module.Host{Store: s, Records: s, Prefix: "!"}); err != nil {
		t.Fatal(err)
	}
	p := &Profile{Voted: []uint64{voted}}
	thread := func(id uint64) knowledge.Hit {
		return knowledge.Hit{Passage: knowledge.Passage{ID: "thread:" + itoa(id), Source: knowledge.SourceThread, Title: "q"}}
	}
	for _, tc := range []struct {
		hit  knowledge.Hit
		want bool
	}{
		{thread(own), false}, {thread(voted), false}, {thread(bobs), true},
		{knowledge.Hit{Passage: knowledge.Passage{ID: "docs/ldap.md#setup", Source: knowledge.SourceDocs, Title: "LDAP"}}, true},
	} {
		_, ok, err := mod.fromHit(ctx, store.MemberRef{Platform: "discord", ID: "ada"}, p, tc.hit)
		if err != nil || ok != tc.want {
			t.Errorf("%s: candidate %v (%v), want %v", tc.hit.ID, ok, err, tc.want)
		}
	}
}

func itoa(n uint64) string { return fmt.Sprint(n) }

// TestLazyDecayIsDecay: weighing new words back to the profile's At gives
// the weights that decaying every word at every message gives, across
// the point where the weights are brought forward (minScale), and in
// any order of the messages' times.
func TestLazyDecayIsDecay(t *testing.T) {
	l := Learner{HalfLife: 24 * time.Hour}
	start := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	var p Profile
	want := map[string]float64{} // as of wantAt, decayed eagerly
	wantAt := start
	words := []string{"ldap", "solr", "oai", "handle", "maven"}
	for i := range 400 {
		// Mostly forward, a day or so apart; every seventh message is
		// an older one (an import out of order).
		at := start.Add(time.Duration(i) * 26 * time.Hour)
		if i%7 == 6 {
			at = at.Add(-30 * 24 * time.Hour)
		}
		terms := []string{words[i%len(words)], words[(i*3)%len(words)]}
		l.add(&p, terms, at, 1)
		if at.After(wantAt) {
			f := math.Exp2(-at.Sub(wantAt).Hours() / 24)
			for t := range want {
				want[t] *= f
			}
			wantAt = at
		}
		w := math.Exp2(-wantAt.Sub(at).Hours() / 24)
		for _, t := range terms {
			want[t] += w
		}
	}
	got := l.Weights(&p, wantAt)
	for term, w := range want {
		if d := math.Abs(got[term] - w); d > 1e-9*math.Max(1, w) {
			t.Errorf("%s: weight %g, want %g", term, got[term], w)
		}
	}
	if p.At.Equal(start) {
		t.Errorf("after %v of history at a day's half-life the weights were never brought forward", wantAt.Sub(start))
	}
}
