package store_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// scanFile reads every key and value of every bucket (nested too) of a
// closed database file and reports which of needles appear anywhere.
func scanFile(t *testing.T, path string, needles ...string) []string {
	t.Helper()
	found := map[string]bool{}
	check := func(b []byte) {
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				found[n] = true
			}
		}
	}
	if store.OnPostgresPass {
		eachStored(t, path, func(bucket string, k, v []byte) { check([]byte(bucket)); check(k); check(v) })
		return foundOf(needles, found)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var walk func(b *bolt.Bucket)
	walk = func(b *bolt.Bucket) {
		_ = b.ForEach(func(k, v []byte) error {
			check(k)
			if v == nil {
				walk(b.Bucket(k))
				return nil
			}
			check(v)
			return nil
		})
	}
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			check(name)
			walk(b)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return foundOf(needles, found)
}

// foundOf lists the needles found, in their order.
func foundOf(needles []string, found map[string]bool) []string {
	var out []string
	for _, n := range needles {
		if found[n] {
			out = append(out, n)
		}
	}
	return out
}

// TestForgetMember stores a member's messages in a channel, a thread and
// a DM, Docent's answers to them, their votes and others' votes on them,
// thanks they earned and a module's note; exports it all; forgets
// them; and then finds nothing of them in any key or value of the file,
// nor anywhere in its bytes after compaction, while others' data stays.
func TestForgetMember(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openWith(t, path, store.Options{Parts: []store.MemberPart{notes{}}})
	sc := scene{T: t, S: s, Ctx: ctx}
	const zedID, zedName = "zed-4711", "Zedediah Quux"
	zed := func(c chat.Conversation, space, id, text string, at time.Time) store.Record {
		t.Helper()
		rec, err := s.AppendMessage(ctx, chat.Message{ID: id, Conversation: c, Space: space,
			Author: chat.Member{ID: zedID, Name: zedName}, Text: text, Time: at})
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	at := day0.Add(8 * time.Hour)
	help := chat.Conversation{Platform: "discord", Channel: "help"}
	thread := chat.Conversation{Platform: "discord", Channel: "help", Thread: "t9"}
	dm := chat.Conversation{Platform: "discord", Channel: "dm-55"}

	q := zed(help, "g", "z1", "my quux secret project fails", at)
	sc.Answer(q, "za1", chat.SourceFallback, "", time.Second)
	o := sc.Say(thread, "g", "o1", "olga", "how do I deploy", at.Add(time.Minute))
	sc.Answer(o, "oa1", chat.SourceIntent, "deploy", time.Second)
	zed(thread, "g", "z2", "use the deploy script, olga", at.Add(2*time.Minute))
	sc.Say(thread, "g", "o2", "olga", "thanks!", at.Add(3*time.Minute))
	q = zed(dm, "", "z3", "hello docent", at.Add(4*time.Minute))
	sc.Answer(q, "za3", chat.SourceIntent, "greeting", time.Second)
	sc.Vote(help, "za1", zedID, chat.VoteDown)
	sc.Vote(thread, "oa1", zedID, chat.VoteUp)
	sc.Vote(thread, "z2", "olga", chat.VoteUp)
	addNote(t, s, store.MemberRef{Platform: "discord", ID: zedID}, "a note on "+zedName, at) // a feature module's record
	addNote(t, s, store.MemberRef{Platform: "discord", ID: "olga"}, "olga's note", at)
	// The same ID on Slack is another person, who stays.
	slack := chat.Conversation{Platform: "slack", Channel: "C1"}
	if _, err := s.AppendMessage(ctx, chat.Message{Conversation: slack, Author: chat.Member{ID: zedID, Name: "slack person"}, Text: "slack stays", Time: at}); err != nil {
		t.Fatal(err)
	}

	me := store.MemberRef{Platform: "discord", ID: zedID}
	d, err := s.ExportMember(ctx, me)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Messages) != 3 || len(d.Answers) != 2 || len(d.Votes) != 2 || len(notesOf(d)) != 1 {
		t.Errorf("export: %d messages, %d answers, %d votes, notes %v; want 3, 2, 2, 1 note",
			len(d.Messages), len(d.Answers), len(d.Votes), d.Parts["notes"])
	}

	f, err := s.ForgetMember(ctx, me)
	if err != nil {
		t.Fatal(err)
	}
	if f.Messages != 3 || f.Answers != 2 || f.Votes != 2 || f.Parts["notes"] != 1 || len(f.Records) != 5 {
		t.Errorf("forgotten %+v", f)
	}
	if d, err := s.ExportMember(ctx, me); err != nil || len(d.Messages)+len(d.Answers)+len(d.Votes)+len(notesOf(d)) != 0 {
		t.Errorf("export after forgetting: %+v, %v", d, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// (Their ID stays: the Slack member with the same ID is someone else.)
	if found := scanFile(t, path, zedName, "quux", "secret", "discord:"+zedID); len(found) > 0 {
		t.Errorf("after forgetting, the file still holds %q", found)
	}
	if found := scanFile(t, path, "olga", "slack stays"); len(found) != 2 {
		t.Errorf("others' data is gone: only %q of olga, slack stays", found)
	}
	if store.OnPostgresPass {
		return // what follows is the bbolt file's bytes
	}
	// Freed pages may still hold the bytes; compaction leaves none.
	compacted := path
	if _, err := store.CompactFile(path, 0); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(compacted)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{zedName, "quux"} {
		if bytes.Contains(raw, []byte(n)) {
			t.Errorf("the compacted file's bytes hold %q", n)
		}
	}
	s = openWith(t, compacted, store.Options{})
	defer s.Close()
	if err := checkFile(s); err != nil {
		t.Error(err)
	}
}

// TestDeleteBefore deletes what is older than the cutoff, keeps the rest,
// and keeps the old days' totals without their members.
func TestDeleteBefore(t *testing.T) {
	ctx := context.Background()
	s := openWith(t, dbPath(t), store.Options{Parts: []store.MemberPart{notes{}}})
	defer s.Close()
	sc := scene{T: t, S: s, Ctx: ctx}
	c := chat.Conversation{Platform: "discord", Channel: "help"}
	ann := store.MemberRef{Platform: "discord", ID: "ann"}
	addNote(t, s, ann, "old", day0.Add(time.Hour))
	addNote(t, s, ann, "recent", day0.Add(72*time.Hour))
	old := sc.Say(c, "g", "m1", "ann", "an old question", day0.Add(time.Hour))
	sc.Answer(old, "a1", chat.SourceIntent, "x", time.Second)
	sc.Vote(c, "a1", "bob", chat.VoteUp)
	recent := sc.Say(c, "g", "m2", "bob", "a recent question", day0.Add(72*time.Hour))
	got, err := s.DeleteBefore(ctx, day0.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got.Records != 2 || got.Parts["notes"] != 1 {
		t.Errorf("deleted %+v, want 2 records, 1 note", got)
	}
	if d, err := s.ExportMember(ctx, ann); err != nil || len(notesOf(d)) != 1 || notesOf(d)[0].Text != "recent" {
		t.Errorf("notes after retention: %+v, %v; want the recent one", notesOf(d), err)
	}
	if _, err := s.Record(ctx, old.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old record: %v, want ErrNotFound", err)
	}
	if _, err := s.Record(ctx, recent.ID); err != nil {
		t.Errorf("recent record: %v", err)
	}
	if _, err := s.RecordFeedback(ctx, chat.Feedback{Conversation: c, AnswerID: "a1", Member: chat.Member{ID: "bob"}, Vote: chat.VoteDown}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a vote on a deleted answer: %v, want ErrNotFound", err)
	}
	convs, err := s.Conversations(ctx)
	if err != nil || len(convs) != 1 || convs[0].Records != 1 {
		t.Errorf("conversations %+v, %v", convs, err)
	}
	if err := checkFile(s); err != nil {
		t.Error(err)
	}
}

// TestBackupDuringWrites takes a backup while writers append as fast as
// they can; the copy opens, passes bbolt's check, and holds every write
// acknowledged before the backup started.
func TestBackupDuringWrites(t *testing.T) {
	boltOnly(t, "a backup is a copy of the file (pg_dump's on PostgreSQL: TestPostgresRefusesFileOperations)")
	ctx := context.Background()
	s := openWith(t, dbPath(t), store.Options{})
	defer s.Close()
	var (
		wg    sync.WaitGroup
		stop  atomic.Bool
		mu    sync.Mutex
		acked []uint64
	)
	for w := range 8 {
		wg.Go(func() {
			c := chat.Conversation{Platform: "discord", Channel: "c" + string(rune('a'+w))}
			for i := 0; !stop.Load(); i++ {
				rec, err := s.AppendMessage(ctx, chat.Message{Conversation: c, Author: chat.Member{ID: "u"}, Text: "burst", Time: day0})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked = append(acked, rec.ID)
				mu.Unlock()
			}
		})
	}
	waitFor(t, "a few hundred writes", func() bool { mu.Lock(); defer mu.Unlock(); return len(acked) > 300 })
	mu.Lock()
	before := append([]uint64(nil), acked...)
	mu.Unlock()
	backup := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(backup)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.Backup(ctx, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	stop.Store(true)
	wg.Wait()
	if err != nil || n == 0 {
		t.Fatalf("backup: %d bytes, %v", n, err)
	}
	b := openWith(t, backup, store.Options{})
	defer b.Close()
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
	for _, id := range before {
		if _, err := b.Record(ctx, id); err != nil {
			t.Fatalf("record %d, acknowledged before the backup, is not in it: %v", id, err)
		}
	}
	t.Logf("%d writes acknowledged before the backup, %d bytes copied", len(before), n)
}

// TestForgetFindsLateAnswers: in a busy channel the answer to a member's
// question can come many records later; forgetting them deletes it too.
func TestForgetFindsLateAnswers(t *testing.T) {
	ctx := context.Background()
	s := openWith(t, dbPath(t), store.Options{})
	defer s.Close()
	sc := scene{T: t, S: s, Ctx: ctx}
	busy := chat.Conversation{Platform: "discord", Channel: "busy"}
	q := sc.Say(busy, "g", "q1", "quin", "my private question", day0)
	for i := range 60 {
		sc.Say(busy, "g", "", "other", "chatter", day0.Add(time.Duration(i)*time.Second))
	}
	late := sc.Answer(q, "a1", chat.SourceLLM, "", time.Minute)
	f, err := s.ForgetMember(ctx, store.MemberRef{Platform: "discord", ID: "quin"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Messages != 1 || f.Answers != 1 {
		t.Errorf("forgotten %d messages and %d answers, want 1 and 1", f.Messages, f.Answers)
	}
	if _, err := s.Record(ctx, late.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the late answer: %v, want deleted", err)
	}
}

// TestForgetMemberOwnConversation: a conversation named by the member's
// ID (a web visitor's chat) goes whole, while another visitor's stays
// (the modules' parts keyed by it: bot/budgets, bot/analytics).
func TestForgetMemberOwnConversation(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openWith(t, path, store.Options{})
	sc := scene{T: t, S: s, Ctx: ctx}
	const id, other = "5eb1d0c0ffee5eb1d0c0ffee5eb1d0c0", "0e7a0e7a0e7a0e7a0e7a0e7a0e7a0e7a"
	at := day0.Add(8 * time.Hour)
	mine := chat.Conversation{Platform: "web", Channel: id}
	theirs := chat.Conversation{Platform: "web", Channel: other}
	q := sc.Say(mine, "", "", id, "my backup fails", at)
	sc.Answer(q, "w1", chat.SourceFallback, "", time.Second)
	q = sc.Say(theirs, "", "", other, "hello there", at)
	sc.Answer(q, "w2", chat.SourceIntent, "greeting", time.Second)
	if _, err := s.ForgetMember(ctx, store.MemberRef{Platform: "web", ID: id}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if found := scanFile(t, path, id, "backup"); len(found) > 0 {
		t.Errorf("after forgetting, the file still holds %q", found)
	}
	if found := scanFile(t, path, other, "hello there"); len(found) != 2 {
		t.Errorf("the other visitor's data: found %q, want both", found)
	}
}

func notesOf(d store.MemberData) []note {
	n, _ := d.Parts["notes"].([]note)
	return n
}
