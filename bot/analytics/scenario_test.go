package analytics_test

import (
	"context"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// fixtureDay is the first day of the history that counters.golden and
// counters-v1.db were written from.
var fixtureDay = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// writeScenario stores a small history that touches every counter: members'
// messages with topic words (English and Japanese), a command, another
// bot, thanks, first and later answers of every source, votes on answers
// and on members' messages (changed, and on one's own), a web visitor's own
// conversation, and an import.
func writeScenario(t testing.TB, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	help := chat.Conversation{Platform: "discord", Channel: "help"}
	thread := chat.Conversation{Platform: "discord", Channel: "help", Thread: "t1"}
	general := chat.Conversation{Platform: "slack", Channel: "general"}
	web := chat.Conversation{Platform: "web", Channel: "visitor-1"}
	say := func(c chat.Conversation, space, id, who, text string, at time.Duration) store.Record {
		t.Helper()
		rec, err := s.AppendMessage(ctx, chat.Message{ID: id, Conversation: c, Space: space,
			Author: chat.Member{ID: who, Name: "name-" + who, Bot: who == "otherbot"}, Text: text, Time: fixtureDay.Add(at)})
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	answer := func(q store.Record, id string, src chat.Source, intent string, after time.Duration) {
		t.Helper()
		if _, err := s.AppendAnswer(ctx, store.AnswerRecord{Conversation: q.Conversation, Space: q.Space, ReplyTo: q.ID,
			PlatformID: id, Time: q.Time.Add(after), Author: chat.Member{ID: "bot", Name: "Docent", Bot: true},
			Answer: chat.Answer{Text: "answer", Source: src, Intent: intent, Confidence: 0.9}}); err != nil {
			t.Fatal(err)
		}
	}
	vote := func(c chat.Conversation, id, who string, v chat.Vote) {
		t.Helper()
		if _, err := s.RecordFeedback(ctx, chat.Feedback{Conversation: c, AnswerID: id, Member: chat.Member{ID: who}, Vote: v}); err != nil {
			t.Fatal(err)
		}
	}
	q1 := say(help, "g1", "m1", "alice", "how do I install kubernetes?", 9*time.Hour)
	answer(q1, "a1", chat.SourceIntent, "install", 2*time.Second)
	say(help, "g1", "m2", "bob", "try the helm chart for kubernetes", 9*time.Hour+time.Minute)
	say(help, "g1", "m3", "alice", "thanks bob, that worked", 9*time.Hour+2*time.Minute)
	say(help, "g1", "m4", "alice", "!stats", 9*time.Hour+3*time.Minute)
	say(help, "g1", "m5", "otherbot", "beep boop robots", 9*time.Hour+4*time.Minute)
	q2 := say(thread, "g1", "m6", "bob", "why does the build fail", 14*time.Hour)
	answer(q2, "a2", chat.SourceKnowledge, "", 1500*time.Millisecond)
	answer(q2, "a3", chat.SourceFallback, "", 5*time.Second)
	q3 := say(thread, "g1", "m7", "carol", "the build fails with docker", 15*time.Hour)
	answer(q3, "a4", chat.SourceLLM, "", 8*time.Second)
	vote(help, "a1", "carol", chat.VoteUp)
	vote(help, "a1", "dave", chat.VoteDown)
	vote(help, "m2", "carol", chat.VoteUp)
	vote(help, "m2", "bob", chat.VoteUp)
	vote(help, "a1", "carol", chat.VoteDown)
	vote(thread, "a4", "carol", chat.VoteUp)
	say(general, "w1", "s1", "U1", "日本語のテストです kubernetes", 24*time.Hour+3*time.Hour)
	q4 := say(web, "", "v1", "visitor-1", "where are the docs for helm", 24*time.Hour+4*time.Hour)
	answer(q4, "a5", chat.SourceIntent, "docs", time.Second)
	vote(web, "a5", "visitor-1", chat.VoteUp)
	old := chat.Conversation{Platform: "discord", Channel: "archive"}
	at := fixtureDay.Add(-24 * time.Hour)
	if _, err := s.Import(ctx, []store.Record{
		{ID: 1, Kind: store.KindMessage, Conversation: old, Space: "g1", Time: at, Author: chat.Member{ID: "alice", Name: "Alice A."}, Text: "old question about helm"},
		{ID: 2, Kind: store.KindAnswer, Conversation: old, Space: "g1", Time: at.Add(3 * time.Second), Author: chat.Member{ID: "bot", Bot: true}, Text: "old answer", ReplyTo: 1, Source: chat.SourceKnowledge},
		{ID: 3, Kind: store.KindMessage, Conversation: old, Space: "g1", Time: at.Add(time.Hour), Author: chat.Member{ID: "bob", Name: "name-bob"}, Text: "thanks, helm is great"},
	}); err != nil {
		t.Fatal(err)
	}
}
