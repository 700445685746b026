package threads

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
	"github.com/docent-bot/docent/store/storetest"
)

var (
	irc   = chat.Conversation{Platform: "irc", Channel: "#dspace"}
	t0    = time.Date(2015, 3, 2, 14, 0, 0, 0, time.UTC)
	alice = chat.Member{ID: "alice", Name: "alice"}
	bob   = chat.Member{ID: "bob", Name: "bob"}
	carol = chat.Member{ID: "carol", Name: "carol"}
	dave  = chat.Member{ID: "dave", Name: "dave"}
)

func msg(min int, who chat.Member, text string) store.Record {
	return store.Record{Kind: store.KindMessage, Conversation: irc, Time: t0.Add(time.Duration(min) * time.Minute), Author: who, Text: text}
}

// open opens a store at path with mod's recorder, member part and schema,
// and provisions mod on it, its clock a day after t0.
func open(t *testing.T, mod *Module, path string) *store.Store {
	t.Helper()
	st, err := store.Open(path, store.Options{
		Recorders: mod.Recorders(module.RecordEnv{Prefix: "!"}), Parts: mod.MemberParts(),
		Schemas: []store.Owner{{Name: mod.Name(), Schema: mod.Schema()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := mod.Provision(context.Background(), &module.Host{Store: st, Now: func() time.Time { return t0.Add(24 * time.Hour) }}); err != nil {
		t.Fatal(err)
	}
	return st
}

func add(t *testing.T, st *store.Store, recs ...store.Record) []store.Record {
	t.Helper()
	stored, _, err := st.ImportNew(context.Background(), recs)
	if err != nil {
		t.Fatal(err)
	}
	return stored
}

// texts is what Threads returns, as "question → reply | reply".
func texts(t *testing.T, mod *Module) []string {
	t.Helper()
	threads, err := mod.Threads(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, th := range threads {
		s := th.Question.Text + " →"
		for _, r := range th.Replies {
			s += " " + r.Text
		}
		out = append(out, s)
	}
	return out
}

func unanswered(t *testing.T, mod *Module) []string {
	t.Helper()
	qs, err := mod.Unanswered(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, q := range qs {
		out = append(out, q.Text)
	}
	return out
}

// The recorder keeps the questions members answered within ten minutes,
// with those replies, and the questions nobody answered (a reply after
// ten minutes does not count), newest first; after a restart, a reply
// to a question asked before it still makes a thread.
func TestThreadsAndUnanswered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "docent.db")
	mod := New()
	st := open(t, mod, path)
	add(t, st,
		msg(0, alice, "how do I configure solr for dspace?"),
		msg(2, bob, "alice: edit solr.cfg and restart tomcat"),
		msg(3, carol, "alice: and reindex after that"),
		msg(5, dave, "does anyone know how to reset the admin password?"),
		msg(20, carol, "is java 17 supported yet?"),
		msg(35, bob, "carol: not yet, stay on 11"), // 15 minutes later
		msg(36, bob, "lunch time"),
	)
	wantThreads := []string{"how do I configure solr for dspace? → alice: edit solr.cfg and restart tomcat alice: and reindex after that"}
	if got := texts(t, mod); !slices.Equal(got, wantThreads) {
		t.Errorf("threads %q, want %q", got, wantThreads)
	}
	wantOpen := []string{"is java 17 supported yet?", "does anyone know how to reset the admin password?"}
	if got := unanswered(t, mod); !slices.Equal(got, wantOpen) {
		t.Errorf("unanswered %q, want %q", got, wantOpen)
	}

	// A restart: the Detector remembers nothing, and is shown the last
	// records of the conversation when it meets it again.
	st.Close()
	mod = New()
	st = open(t, mod, path)
	add(t, st, msg(40, dave, "where are the handle server logs?"))
	st.Close()
	mod = New()
	st = open(t, mod, path)
	add(t, st, msg(42, alice, "dave: in [dspace]/log/handle-server"))
	wantThreads = append([]string{"where are the handle server logs? → dave: in [dspace]/log/handle-server"}, wantThreads...)
	if got := texts(t, mod); !slices.Equal(got, wantThreads) {
		t.Errorf("after restarts, threads %q, want %q", got, wantThreads)
	}
	if got := unanswered(t, mod); !slices.Equal(got, wantOpen) {
		t.Errorf("after restarts, unanswered %q, want %q", got, wantOpen)
	}
}

// A question Docent answered is not one nobody answered, unless all it
// said was that it is not sure, or an apology; one asked less than ten
// minutes ago is not one yet.
func TestUnansweredLeavesAnsweredAndRecent(t *testing.T) {
	mod := New()
	st := open(t, mod, filepath.Join(t.TempDir(), "docent.db"))
	qs := add(t, st, msg(0, alice, "how do I configure solr for dspace?"), msg(1, bob, "what port does the handle server use?"),
		msg(2, carol, "why does the oai harvester stop?"))
	for _, a := range []struct {
		q      store.Record
		answer chat.Answer
	}{
		{qs[0], chat.Answer{Text: "See the Solr page.", Source: chat.SourceKnowledge}},
		{qs[1], chat.Answer{Text: "I'm not sure about that one.", Source: chat.SourceFallback}},
		{qs[2], chat.Answer{Text: "Sorry, that took too long.", Source: chat.SourceError}},
	} {
		_, err := st.AppendAnswer(context.Background(), store.AnswerRecord{Conversation: irc, ReplyTo: a.q.ID, Time: a.q.Time.Add(time.Second),
			Author: chat.Member{ID: "docent", Bot: true}, Answer: a.answer})
		if err != nil {
			t.Fatal(err)
		}
	}
	if got, want := unanswered(t, mod), []string{"why does the oai harvester stop?", "what port does the handle server use?"}; !slices.Equal(got, want) {
		t.Errorf("unanswered %q, want %q", got, want)
	}
	mod.now = func() time.Time { return t0.Add(5 * time.Minute) }
	if got := unanswered(t, mod); len(got) != 0 {
		t.Errorf("five minutes after, unanswered %q, want none yet", got)
	}
}

// Each bucket keeps its newest entries only, the bound (Kept) being
// lowered here.
func TestKeptBound(t *testing.T) {
	if Kept != 20_000 {
		t.Errorf("Kept = %d; the documented bound is 20,000", Kept)
	}
	mod := New()
	mod.keep = 3
	st := open(t, mod, filepath.Join(t.TempDir(), "docent.db"))
	var recs []store.Record
	for i, q := range []string{"is q1 fine?", "is q2 fine?", "is q3 fine?", "is q4 fine?", "is q5 fine?"} {
		recs = append(recs, msg(i*20, alice, q), msg(i*20+1, bob, "alice: yes, that is fine"), msg(i*20+2, carol, "what about "+q))
	}
	add(t, st, recs[:9]...)
	add(t, st, recs[9:]...)
	if got, want := len(texts(t, mod)), 3; got != want {
		t.Errorf("%d threads kept, want %d", got, want)
	}
	if got, want := unanswered(t, mod), []string{"what about is q5 fine?", "what about is q4 fine?", "what about is q3 fine?"}; !slices.Equal(got, want) {
		t.Errorf("unanswered %q, want %q", got, want)
	}
	if got := texts(t, mod)[2]; got != "is q3 fine? → alice: yes, that is fine" {
		t.Errorf("oldest thread kept %q, want q3's", got)
	}
	err := st.View(context.Background(), func(tx *store.Tx) error {
		if n, m := count(tx, bucketThreads), count(tx, bucketUnanswered); n != 3 || m != 3 {
			t.Errorf("counts %d and %d, want 3 and 3", n, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A member's export lists the IDs of their questions and replies; when
// they are forgotten, their questions leave, their replies leave the
// threads, and a thread left with no reply leaves too.
func TestMemberPart(t *testing.T) {
	mod := New()
	st := open(t, mod, filepath.Join(t.TempDir(), "docent.db"))
	recs := add(t, st,
		msg(0, alice, "how do I configure solr for dspace?"),
		msg(2, bob, "alice: edit solr.cfg"),
		msg(5, bob, "does anyone know how to reset the admin password?"),
		msg(6, carol, "bob: use the dspace command"),
		msg(7, dave, "bob: or the ui"),
		msg(30, bob, "is java 17 supported yet?"),
	)
	ctx := context.Background()
	d, err := st.ExportMember(ctx, store.MemberRef{Platform: "irc", ID: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(d.Parts["threads"])
	want, _ := json.Marshal(Share{Answered: []uint64{recs[2].ID}, Unanswered: []uint64{recs[5].ID}, Replies: []uint64{recs[1].ID}})
	if string(got) != string(want) {
		t.Errorf("bob's export %s, want %s", got, want)
	}
	if _, err := st.ForgetMember(ctx, store.MemberRef{Platform: "irc", ID: "bob"}); err != nil {
		t.Fatal(err)
	}
	if got := texts(t, mod); len(got) != 0 {
		t.Errorf("threads after bob was forgotten: %q", got)
	}
	if got := unanswered(t, mod); len(got) != 0 {
		t.Errorf("unanswered after bob was forgotten: %q", got)
	}
	if _, err := st.ForgetMember(ctx, store.MemberRef{Platform: "irc", ID: "dave"}); err != nil {
		t.Fatal(err)
	}
	d, err = st.ExportMember(ctx, store.MemberRef{Platform: "irc", ID: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	if p := d.Parts["threads"]; p != nil {
		t.Errorf("carol's export after bob's question left: %+v", p)
	}
}

// A Discord reply to a question joins that question's thread, not the
// asker's newest one, with no name in its text.
func TestReferencedReplyJoinsItsQuestion(t *testing.T) {
	mod := New()
	st := open(t, mod, filepath.Join(t.TempDir(), "docent.db"))
	discord := chat.Conversation{Platform: "discord", Channel: "help"}
	say := func(min int, who chat.Member, id, repliesTo, text string) store.Record {
		r := msg(min, who, text)
		r.Conversation, r.PlatformID, r.RepliesTo = discord, id, repliesTo
		return r
	}
	add(t, st,
		say(0, alice, "p1", "", "how do I configure solr for dspace?"),
		say(1, alice, "p2", "", "is java 17 supported yet?"),
		say(2, bob, "p3", "p1", "edit solr.cfg and restart tomcat"),
		say(3, carol, "p4", "p3", "and reindex after that"),
	)
	wantThreads := []string{"how do I configure solr for dspace? → edit solr.cfg and restart tomcat and reindex after that"}
	if got := texts(t, mod); !slices.Equal(got, wantThreads) {
		t.Errorf("threads %q, want %q", got, wantThreads)
	}
	wantOpen := []string{"is java 17 supported yet?"}
	if got := unanswered(t, mod); !slices.Equal(got, wantOpen) {
		t.Errorf("unanswered %q, want %q", got, wantOpen)
	}
}

// TestAnotherRecorderFailing: a batch given again after another recorder
// failed on it makes its thread once, with its reply once.
func TestAnotherRecorderFailing(t *testing.T) {
	mod := New()
	st, err := store.Open(filepath.Join(t.TempDir(), "docent.db"), store.Options{
		Recorders: append(mod.Recorders(module.RecordEnv{Prefix: "!"}), storetest.Failing{Word: "boom"}), Parts: mod.MemberParts(),
		Schemas: []store.Owner{{Name: mod.Name(), Schema: mod.Schema()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := mod.Provision(context.Background(), &module.Host{Store: st, Now: func() time.Time { return t0.Add(24 * time.Hour) }}); err != nil {
		t.Fatal(err)
	}
	add(t, st, msg(0, alice, "how do I configure solr for dspace?"))
	add(t, st, msg(2, bob, "alice: edit solr.cfg and restart tomcat (boom)"))
	want := []string{"how do I configure solr for dspace? → alice: edit solr.cfg and restart tomcat (boom)"}
	if got := texts(t, mod); !slices.Equal(got, want) {
		t.Errorf("threads %q, want %q", got, want)
	}
	if got := unanswered(t, mod); len(got) != 0 {
		t.Errorf("unanswered %q, want none", got)
	}
}
