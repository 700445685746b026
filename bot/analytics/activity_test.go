package analytics_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/analytics"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
	"github.com/docent-bot/docent/store/storetest"
)

func openCounting(t testing.TB, path string, opts store.Options) *store.Store {
	t.Helper()
	opts.LockTimeout = 200 * time.Millisecond
	s, err := store.Open(path, counting(opts))
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return s
}

func dbPath(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "data", "docent.db")
}

var day0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

type scene = storetest.Scene

// TestActivity writes a small history across two days, two channels and
// two guilds, with votes and thanks, and checks every figure.
func TestActivity(t *testing.T) {
	ctx := context.Background()
	s := openCounting(t, dbPath(t), store.Options{})
	defer s.Close()
	sc := scene{T: t, S: s, Ctx: ctx}
	help := chat.Conversation{Platform: "discord", Channel: "help"}
	thread := chat.Conversation{Platform: "discord", Channel: "help", Thread: "t1"}
	gen := chat.Conversation{Platform: "discord", Channel: "general"}
	other := chat.Conversation{Platform: "discord", Channel: "elsewhere"}

	at := day0.Add(9 * time.Hour)
	q1 := sc.Say(help, "g1", "m1", "ann", "How do I install docent?", at)
	sc.Answer(q1, "a1", chat.SourceIntent, "install", 200*time.Millisecond)
	q2 := sc.Say(thread, "g1", "m2", "bob", "install fails with a proxy error", at.Add(time.Minute))
	a2 := sc.Answer(q2, "a2", chat.SourceKnowledge, "", 2*time.Second)
	sc.Answer(q2, "a2b", chat.SourceKnowledge, "", 9*time.Second) // a second answer: not a first answer
	sc.Say(thread, "g1", "m3", "cat", "set HTTPS_PROXY before you install", at.Add(2*time.Minute))
	sc.Say(thread, "g1", "m4", "bob", "thanks, that fixed it", at.Add(3*time.Minute))
	cmd := sc.Say(gen, "g1", "m5", "ann", "!ping", day0.Add(23*time.Hour+30*time.Minute))
	sc.Answer(cmd, "a5", chat.SourceCommand, "", time.Millisecond)
	// The next day, and a message in another guild that filters leave out.
	q6 := sc.Say(help, "g1", "m6", "dan", "install on windows?", day0.Add(24*time.Hour+10*time.Hour))
	sc.Answer(q6, "a6", chat.SourceFallback, "", 20*time.Millisecond)
	sc.Say(other, "g2", "m7", "eve", "unrelated chatter here", day0.Add(24*time.Hour+11*time.Hour))

	// Votes: 👍 then 👎 on the knowledge answer from two members, one
	// taken back; a 👍 on cat's message credits cat; bob's 👍 on his own
	// message credits nobody.
	sc.Vote(thread, "a2", "ann", chat.VoteUp)
	sc.Vote(thread, "a2", "dan", chat.VoteDown)
	sc.Vote(thread, "a2", "dan", chat.VoteUp)   // changed
	sc.Vote(thread, "a2", "ann", chat.VoteNone) // taken back
	sc.Vote(help, "a1", "bob", chat.VoteDown)
	sc.Vote(thread, "m3", "ann", chat.VoteUp)
	sc.Vote(thread, "m2", "bob", chat.VoteUp)

	a, err := analytics.ReadActivity(ctx, s, analytics.ActivityQuery{From: day0, To: day0.Add(48 * time.Hour), Platform: "discord", Space: "g1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Days) != 2 || !a.Days[0].Day.Equal(day0) {
		t.Fatalf("days = %+v, want 2 from %s", a.Days, day0)
	}
	if got, want := a.Days[0], (analytics.DayActivity{Day: day0, Messages: 5, Members: 3, Answers: 4}); got != want {
		t.Errorf("day 1 = %+v, want %+v", got, want)
	}
	if got, want := a.Days[1], (analytics.DayActivity{Day: day0.Add(24 * time.Hour), Messages: 1, Members: 1, Answers: 1}); got != want {
		t.Errorf("day 2 = %+v, want %+v", got, want)
	}
	if a.Messages != 6 || a.Hours[9] != 4 || a.Hours[23] != 1 || a.Hours[10] != 1 {
		t.Errorf("messages %d, hours %v", a.Messages, a.Hours)
	}
	if len(a.Channels) != 2 || a.Channels[0].Channel != "help" || a.Channels[0].Messages != 5 || a.Channels[1].Channel != "general" {
		t.Errorf("channels = %+v, want help (5) then general (1)", a.Channels)
	}
	members := map[string]analytics.MemberActivity{}
	for _, m := range a.Members {
		members[m.ID] = m
	}
	want := map[string]analytics.MemberActivity{
		"ann": {Platform: "discord", ID: "ann", Name: "name-ann", Messages: 2, Questions: 1, Days: 1},
		"bob": {Platform: "discord", ID: "bob", Name: "name-bob", Messages: 2, Questions: 1, Days: 1},
		"cat": {Platform: "discord", ID: "cat", Name: "name-cat", Messages: 1, Helped: 2, Days: 1}, // thanks + 👍
		"dan": {Platform: "discord", ID: "dan", Name: "name-dan", Messages: 1, Questions: 1, Days: 1},
	}
	if len(members) != len(want) {
		t.Errorf("members = %+v", a.Members)
	}
	for id, w := range want {
		if members[id] != w {
			t.Errorf("member %s = %+v, want %+v", id, members[id], w)
		}
	}
	if a.ActiveMembers() != 4 {
		t.Errorf("active members = %d, want 4", a.ActiveMembers())
	}
	wantSources := map[chat.Source]analytics.SourceActivity{
		chat.SourceIntent:    {Answers: 1, Down: 1},
		chat.SourceKnowledge: {Answers: 2, Up: 1},
		chat.SourceCommand:   {Answers: 1},
		chat.SourceFallback:  {Answers: 1},
	}
	if len(a.Sources) != len(wantSources) {
		t.Errorf("sources = %+v", a.Sources)
	}
	for src, w := range wantSources {
		if a.Sources[src] != w {
			t.Errorf("source %s = %+v, want %+v", src, a.Sources[src], w)
		}
	}
	if len(a.Intents) != 1 || a.Intents["install"] != 1 {
		t.Errorf("intents = %v", a.Intents)
	}
	// First answers: 200 ms, 2 s, 20 ms (the command and the second
	// answer are not counted); the median is 200 ms within a bucket.
	if a.FirstAnswers != 3 || a.FirstAnswerMedian < 190*time.Millisecond || a.FirstAnswerMedian > 210*time.Millisecond {
		t.Errorf("first answers %d, median %s; want 3 and 200ms ±5%%", a.FirstAnswers, a.FirstAnswerMedian)
	}
	if a.Terms["install"] != 4 || a.Terms["proxy"] != 1 || a.Terms["unrelated"] != 0 {
		t.Errorf("terms = %v", a.Terms)
	}
	_ = a2

	// Narrower: one channel; and the other guild alone.
	a, err = analytics.ReadActivity(ctx, s, analytics.ActivityQuery{From: day0, To: day0.Add(48 * time.Hour), Channel: "general"}, nil)
	if err != nil || a.Messages != 1 || a.Sources[chat.SourceCommand].Answers != 1 || len(a.Members) != 1 {
		t.Errorf("general: %+v, %v", a, err)
	}
	a, err = analytics.ReadActivity(ctx, s, analytics.ActivityQuery{From: day0, To: day0.Add(48 * time.Hour), Space: "g2"}, nil)
	if err != nil || a.Messages != 1 || a.Days[1].Members != 1 {
		t.Errorf("g2: %+v, %v", a, err)
	}
	// A window before everything is empty but has its days.
	a, err = analytics.ReadActivity(ctx, s, analytics.ActivityQuery{From: day0.Add(-72 * time.Hour), To: day0}, nil)
	if err != nil || a.Messages != 0 || len(a.Days) != 3 || a.FirstAnswers != 0 {
		t.Errorf("before: %+v, %v", a, err)
	}
	if _, err := analytics.ReadActivity(ctx, s, analytics.ActivityQuery{From: day0, To: day0.Add(-time.Hour * 48)}, nil); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("a window ending before it starts: %v, want ErrInvalid", err)
	}
}

// TestActivityAcrossReopens: the counters are written with the records
// they count, so a store closed at any moment and opened again has every
// record counted, once. (The store used to hold counts in memory and count
// again at Open what a crash had lost of them.)
func TestActivityAcrossReopens(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openCounting(t, path, store.Options{})
	sc := scene{T: t, S: s, Ctx: ctx}
	c := chat.Conversation{Platform: "slack", Channel: "C1"}
	at := day0.Add(12 * time.Hour)
	for i := range 10 {
		q := sc.Say(c, "T1", "", "u"+string(rune('a'+i%3)), "how do I deploy", at.Add(time.Duration(i)*time.Second))
		sc.Answer(q, "", chat.SourceIntent, "deploy", time.Second)
	}
	if a, err := analytics.ReadActivity(ctx, s, analytics.ActivityQuery{From: day0, To: day0.Add(24 * time.Hour)}, nil); err != nil || a.Messages != 10 {
		t.Fatalf("first read: %d messages, %v", a.Messages, err)
	}
	for i := range 5 {
		sc.Say(c, "T1", "", "ub", "deploy again", at.Add(time.Minute+time.Duration(i)*time.Second))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openCounting(t, path, store.Options{})
	a, err := analytics.ReadActivity(ctx, s, analytics.ActivityQuery{From: day0, To: day0.Add(24 * time.Hour), Platform: "slack"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Messages != 15 || a.Terms["deploy"] != 15 || a.Sources[chat.SourceIntent].Answers != 10 || a.FirstAnswers != 10 {
		t.Errorf("after reopening: %d messages, deploy %d, %d intent answers, %d first answers; want 15, 15, 10, 10",
			a.Messages, a.Terms["deploy"], a.Sources[chat.SourceIntent].Answers, a.FirstAnswers)
	}
	// Open again: nothing is counted twice.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openCounting(t, path, store.Options{})
	defer s.Close()
	if a, err := analytics.ReadActivity(ctx, s, analytics.ActivityQuery{From: day0, To: day0.Add(24 * time.Hour)}, nil); err != nil || a.Messages != 15 {
		t.Errorf("third open: %d messages, %v; want 15", a.Messages, err)
	}
}

// TestImport links answers to their questions by the IDs the import
// carries, counts everything, and refuses a dangling reply as a whole.
func TestImport(t *testing.T) {
	ctx := context.Background()
	s := openCounting(t, dbPath(t), store.Options{})
	defer s.Close()
	c := chat.Conversation{Platform: "discord", Channel: "help"}
	at := day0.Add(time.Hour)
	recs := []store.Record{
		{ID: 1, Kind: store.KindMessage, Conversation: c, Time: at, Author: chat.Member{ID: "u1"}, Text: "hello there"},
		{ID: 2, Kind: store.KindAnswer, Conversation: c, Time: at.Add(time.Second), Author: chat.Member{ID: "bot", Bot: true}, Text: "hi", ReplyTo: 1, Source: chat.SourceIntent, Intent: "greeting"},
	}
	out, err := s.Import(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	if out[1].ReplyTo != out[0].ID || out[0].ID == 0 {
		t.Errorf("imported %+v: the answer does not reply to the question", out)
	}
	got, err := s.Record(ctx, out[1].ID)
	if err != nil || got.ReplyTo != out[0].ID || got.Intent != "greeting" {
		t.Errorf("stored answer %+v, %v", got, err)
	}
	a, err := analytics.ReadActivity(ctx, s, analytics.ActivityQuery{From: day0, To: day0.Add(24 * time.Hour)}, nil)
	if err != nil || a.Messages != 1 || a.FirstAnswers != 1 || a.Intents["greeting"] != 1 {
		t.Errorf("activity after import: %+v, %v", a, err)
	}

	bad := []store.Record{recs[0], {ID: 9, Kind: store.KindAnswer, Conversation: c, Time: at, ReplyTo: 7}}
	if _, err := s.Import(ctx, bad); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "record 1") {
		t.Errorf("dangling reply: %v, want ErrInvalid naming record 1", err)
	}
	if a, _ := analytics.ReadActivity(ctx, s, analytics.ActivityQuery{From: day0, To: day0.Add(24 * time.Hour)}, nil); a.Messages != 1 {
		t.Errorf("a refused import stored something: %d messages", a.Messages)
	}
}

// TestThanksCredit: a thanks credits the other member who wrote last,
// even when Docent answered that member too; a thanks right after
// Docent's answer to the thanker is Docent's.
func TestThanksCredit(t *testing.T) {
	ctx := context.Background()
	s := openCounting(t, dbPath(t), store.Options{})
	defer s.Close()
	sc := scene{T: t, S: s, Ctx: ctx}
	at := day0.Add(10 * time.Hour)
	th := chat.Conversation{Platform: "discord", Channel: "help", Thread: "t"}
	q := sc.Say(th, "g", "", "ann", "how do I deploy", at)
	sc.Answer(q, "", chat.SourceFallback, "", time.Second)
	h := sc.Say(th, "g", "", "cat", "use the deploy script", at.Add(time.Minute))
	sc.Answer(h, "", chat.SourceFallback, "", time.Second)
	sc.Say(th, "g", "", "ann", "thanks cat!", at.Add(2*time.Minute))

	alone := chat.Conversation{Platform: "discord", Channel: "help", Thread: "u"}
	sc.Say(alone, "g", "", "cat", "an earlier remark", at)
	q = sc.Say(alone, "g", "", "dan", "where are the docs", at.Add(time.Minute))
	sc.Answer(q, "", chat.SourceIntent, "docs", time.Second)
	sc.Say(alone, "g", "", "dan", "thanks", at.Add(2*time.Minute))

	a, err := analytics.ReadActivity(ctx, s, analytics.ActivityQuery{From: day0, To: day0.Add(24 * time.Hour)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range a.Members {
		want := 0
		if m.ID == "cat" {
			want = 1
		}
		if m.Helped != want {
			t.Errorf("%s helped %d times, want %d", m.ID, m.Helped, want)
		}
	}
}
