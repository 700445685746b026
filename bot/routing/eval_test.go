package routing_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/routing"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/chat/topics"
	"github.com/docent-bot/docent/store"
)

// history is a scripted channel: lines of (minutes, author, text).
type history struct {
	recs []store.Record
}

func (h *history) say(at time.Time, who, text string) {
	h.recs = append(h.recs, store.Record{ID: uint64(len(h.recs) + 1), Kind: store.KindMessage, Conversation: chat.Conversation{Platform: "irc", Channel: "#c"},
		Time: at, Author: chat.Member{ID: who, Name: who}, Text: text})
}

func evaluate(h *history, since, heldOut time.Time) routing.Report {
	ev := routing.NewEvaluator(routing.EvalOptions{Since: since, HeldOut: heldOut, Text: topics.Text{CommandPrefix: "!"}})
	for _, r := range h.recs {
		ev.Feed(r)
	}
	return ev.Report()
}

func memberRow(p routing.Part, name string) (routing.MemberScore, bool) {
	for _, m := range p.Members {
		if m.Member == name {
			return m, true
		}
	}
	return routing.MemberScore{}, false
}

// Two experts, each always around: "ldapper" answers the LDAP questions,
// "solrer" the Solr ones, and "busy" talks most. Routing finds the
// expert every time; the baselines cannot tell them apart by topic (the
// other expert spoke last).
func TestEvalFindsTheExpert(t *testing.T) {
	var h history
	start := time.Date(2030, 1, 1, 10, 0, 0, 0, time.UTC)
	for d := range 60 {
		at := start.AddDate(0, 0, d)
		h.say(at, "busy", "good morning everyone, coffee time")
		h.say(at.Add(time.Minute), "busy", "the build is green again today")
		if d%2 == 0 {
			h.say(at.Add(2*time.Minute), "ldapper", "reading the logs")
			h.say(at.Add(3*time.Minute), "solrer", "hello")
			h.say(at.Add(4*time.Minute), "newbie", "how do I configure ldap authentication with groups?")
			h.say(at.Add(6*time.Minute), "ldapper", "newbie: set ldap groupmap in authentication-ldap.cfg")
		} else {
			h.say(at.Add(2*time.Minute), "solrer", "reading the logs")
			h.say(at.Add(3*time.Minute), "ldapper", "hello")
			h.say(at.Add(4*time.Minute), "newbie", "why is the solr index empty after reindexing?")
			h.say(at.Add(6*time.Minute), "solrer", "newbie: the solr core needs index-discovery -b")
		}
	}
	r := evaluate(&h, start.AddDate(0, 0, 20), start.AddDate(0, 0, 50))
	tune := r.Parts[0]
	if tune.Scores[0].Method != routing.MethodRouting || tune.Scores[0].Questions != 30 {
		t.Fatalf("tune scores: %+v", tune.Scores)
	}
	if s := tune.Scores[0]; s.Hit1 != 1 || s.MRR != 1 {
		t.Errorf("routing on the tune part: %+v, want every expert first", s)
	}
	for _, s := range tune.Scores[1:] {
		if s.Hit1 > 0.6 {
			t.Errorf("baseline %+v tells the experts apart: the history is not what the test means", s)
		}
	}
	if held := r.Parts[1]; held.Scores[0].Questions != 10 || held.Scores[0].Hit1 != 1 {
		t.Errorf("held-out: %+v", held.Scores)
	}
	var b strings.Builder
	if err := r.WriteText(&b, 1, 3, "tune", "held-out"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"== tune: questions from 2030-01-21 to 2030-02-20", "routing       30", "ldapper", "questions not answered by the busiest member"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, b.String())
		}
	}
}

// A member whose first answer comes after a question is never ranked for
// it, however much they answer later: the evaluation knows only the past.
func TestEvalDoesNotPeek(t *testing.T) {
	var h history
	start := time.Date(2030, 1, 1, 10, 0, 0, 0, time.UTC)
	for d := range 10 {
		at := start.AddDate(0, 0, d)
		h.say(at, "old", "hello all")
		h.say(at.Add(time.Minute), "asker", "how do I tune the oracle connection pool size?")
		h.say(at.Add(2*time.Minute), "old", "asker: raise db.maxconnections")
	}
	q := start.AddDate(0, 0, 20)
	h.say(q, "late", "hi")
	h.say(q.Add(time.Minute), "asker", "how do I tune the oracle connection pool timeout?")
	h.say(q.Add(2*time.Minute), "late", "asker: set db.maxwait for the oracle pool")
	// Afterwards late answers oracle questions all day, asked to them by
	// name (questions to one member are not scored, but teach).
	for i := range 20 {
		at := q.Add(time.Duration(10+i*5) * time.Minute)
		h.say(at, "asker", "late: can the oracle connection pool validate connections?")
		h.say(at.Add(time.Minute), "late", "asker: yes, oracle pool validation is db.validate")
	}
	r := evaluate(&h, q.Add(-time.Hour), q.AddDate(1, 0, 0))
	tune := r.Parts[0]
	if tune.Scores[0].Questions != 1 {
		t.Fatalf("scored %d questions, want the one late answered", tune.Scores[0].Questions)
	}
	m, ok := memberRow(tune, "late")
	if !ok {
		t.Fatalf("no row for late: %+v", tune.Members)
	}
	if m.Hit1 != 0 || m.MRR != 0 {
		t.Errorf("late, who never answered before the question, was ranked for it: %+v", m)
	}
}

// On Discord a reply names its question by reference, not by nick: the
// evaluation scores those questions and learns from those answers as it
// does from addressed ones.
func TestEvalCountsReferencedReplies(t *testing.T) {
	var h history
	say := func(at time.Time, who, text, repliesTo string) string {
		h.say(at, who, text)
		r := &h.recs[len(h.recs)-1]
		r.Conversation = chat.Conversation{Platform: "discord", Channel: "help"}
		r.PlatformID, r.RepliesTo = fmt.Sprint(1000+len(h.recs)), repliesTo
		return r.PlatformID
	}
	start := time.Date(2030, 1, 1, 10, 0, 0, 0, time.UTC)
	for d := range 60 {
		at := start.AddDate(0, 0, d)
		say(at, "busy", "good morning everyone, coffee time", "")
		expert, other, q := "ldapper", "solrer", "how do I configure ldap authentication with groups?"
		if d%2 == 1 {
			expert, other, q = "solrer", "ldapper", "why is the solr index empty after reindexing?"
		}
		say(at.Add(2*time.Minute), expert, "reading the logs", "")
		say(at.Add(3*time.Minute), other, "hello", "")
		id := say(at.Add(4*time.Minute), "newbie", q, "")
		say(at.Add(5*time.Minute), "newbie", "is the demo server down again?", "")
		say(at.Add(6*time.Minute), expert, "that is in its own cfg file, "+strings.Fields(q)[4]+" section", id)
	}
	r := evaluate(&h, start.AddDate(0, 0, 20), start.AddDate(0, 0, 50))
	tune := r.Parts[0]
	if s := tune.Scores[0]; s.Method != routing.MethodRouting || s.Questions != 30 || s.Hit1 != 1 {
		t.Errorf("routing on the tune part: %+v, want 30 questions, every expert first", s)
	}
}
