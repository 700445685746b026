package analytics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/docent-bot/docent/bot/analytics"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// The members' share of the counters: exported, forgotten and expired
// with the rest of their data (moved here from the store's privacy tests
// with the counters).

// scanFile reads every key and value of every bucket of a closed database
// file and reports which of needles appear anywhere.
func scanFile(t *testing.T, path string, needles ...string) []string {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	found := map[string]bool{}
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				for _, n := range needles {
					if bytes.Contains(k, []byte(n)) || bytes.Contains(v, []byte(n)) {
						found[n] = true
					}
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range needles {
		if found[n] {
			out = append(out, n)
		}
	}
	return out
}

func activityOf(d store.MemberData) []analytics.MemberDay {
	a, _ := d.Parts["activity"].([]analytics.MemberDay)
	return a
}

// TestForgetMemberActivity: a member's messages in a channel, a thread and
// a DM, answers, votes and thanks; their activity is exported day by day,
// and forgetting them takes them out of the counters (their words too),
// leaving nothing of them in the file while others' figures stay.
func TestForgetMemberActivity(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openCounting(t, path, store.Options{})
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

	me := store.MemberRef{Platform: "discord", ID: zedID}
	d, err := s.ExportMember(ctx, me)
	if err != nil {
		t.Fatal(err)
	}
	helped := 0
	for _, a := range activityOf(d) {
		helped += a.Helped
	}
	if len(activityOf(d)) != 2 || helped != 2 { // help (its thread counts there), dm-55; thanks + 👍
		t.Errorf("export activity: %+v, want 2 channels and 2 credits", activityOf(d))
	}
	out, err := json.Marshal(d)
	if err != nil || !strings.Contains(string(out), `"votes":[{"answer_id":2,`) ||
		!strings.HasSuffix(string(out), `}],"activity":[{"day":"2026-03-02","channel":"dm-55","messages":1,"questions":1,"helped":0},{"day":"2026-03-02","space":"g","channel":"help","messages":2,"questions":1,"helped":2}]}`) {
		t.Errorf("export JSON: %s, %v", out, err)
	}

	f, err := s.ForgetMember(ctx, me)
	if err != nil {
		t.Fatal(err)
	}
	if f.Messages != 3 || f.Answers != 2 || f.Votes != 2 || f.Parts["activity_days"] != 2 {
		t.Errorf("forgotten %+v", f)
	}
	if d, err := s.ExportMember(ctx, me); err != nil || len(activityOf(d)) != 0 {
		t.Errorf("export after forgetting: %+v, %v", d, err)
	}
	a, err := analytics.ReadActivity(ctx, s, analytics.ActivityQuery{From: day0, To: day0.Add(24 * time.Hour), Platform: "discord"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Messages != 2 || len(a.Members) != 1 || a.Members[0].ID != "olga" || a.Terms["quux"] != 0 || a.Terms["deploy"] != 1 ||
		a.Sources[chat.SourceFallback].Answers != 0 || a.Sources[chat.SourceIntent].Answers != 1 {
		t.Errorf("counters after forgetting: %d messages, members %+v, terms %v, sources %v; want olga's 2 messages and her words and answers only",
			a.Messages, a.Members, a.Terms, a.Sources)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if found := scanFile(t, path, zedName, "quux", zedID); len(found) > 0 {
		t.Errorf("after forgetting, the file still holds %q", found)
	}
	if found := scanFile(t, path, "olga", "name-olga"); len(found) != 2 {
		t.Errorf("olga's data is gone: only %q", found)
	}
}

// TestForgetMemberOwnConversationCounters: the counters of a conversation
// named by the member's ID (a web visitor's chat) go whole, while another
// visitor's stay.
func TestForgetMemberOwnConversationCounters(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openCounting(t, path, store.Options{})
	sc := scene{T: t, S: s, Ctx: ctx}
	const id, other = "5eb1d0c0ffee5eb1d0c0ffee5eb1d0c0", "0e7a0e7a0e7a0e7a0e7a0e7a0e7a0e7a"
	at := day0.Add(8 * time.Hour)
	q := sc.Say(chat.Conversation{Platform: "web", Channel: id}, "", "", id, "my backup fails", at)
	sc.Answer(q, "w1", chat.SourceFallback, "", time.Second)
	q = sc.Say(chat.Conversation{Platform: "web", Channel: other}, "", "", other, "hello there", at)
	sc.Answer(q, "w2", chat.SourceIntent, "greeting", time.Second)
	f, err := s.ForgetMember(ctx, store.MemberRef{Platform: "web", ID: id})
	if err != nil {
		t.Fatal(err)
	}
	if f.Parts["activity_days"] != 1 {
		t.Errorf("forgotten %+v, want 1 day of counters", f)
	}
	a, err := analytics.ReadActivity(ctx, s, analytics.ActivityQuery{From: day0, To: day0.Add(24 * time.Hour), Platform: "web"}, nil)
	if err != nil || len(a.Channels) != 1 || a.Channels[0].Channel != other {
		t.Errorf("channels after forgetting: %+v, %v; want the other visitor's only", a.Channels, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if found := scanFile(t, path, id, "backup"); len(found) > 0 {
		t.Errorf("after forgetting, the file still holds %q", found)
	}
	if found := scanFile(t, path, other); len(found) != 1 {
		t.Errorf("the other visitor's counters are gone")
	}
}

// TestDeleteBeforeActivity: retention keeps the old days' totals without
// their members.
func TestDeleteBeforeActivity(t *testing.T) {
	ctx := context.Background()
	s := openCounting(t, dbPath(t), store.Options{})
	defer s.Close()
	sc := scene{T: t, S: s, Ctx: ctx}
	c := chat.Conversation{Platform: "discord", Channel: "help"}
	old := sc.Say(c, "g", "m1", "ann", "an old question", day0.Add(time.Hour))
	sc.Answer(old, "a1", chat.SourceIntent, "x", time.Second)
	sc.Vote(c, "a1", "bob", chat.VoteUp)
	sc.Say(c, "g", "m2", "bob", "a recent question", day0.Add(72*time.Hour))
	got, err := s.DeleteBefore(ctx, day0.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got.Records != 2 || got.Parts["activity_days"] != 1 {
		t.Errorf("deleted %+v, want 2 records, 1 day of counters", got)
	}
	a, err := analytics.ReadActivity(ctx, s, analytics.ActivityQuery{From: day0, To: day0.Add(96 * time.Hour)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Messages != 2 || len(a.Members) != 1 || a.Members[0].ID != "bob" {
		t.Errorf("activity: %d messages (totals stay), members %+v (only the recent day's)", a.Messages, a.Members)
	}
	if d, err := s.ExportMember(ctx, store.MemberRef{Platform: "discord", ID: "ann"}); err != nil || len(activityOf(d)) != 0 {
		t.Errorf("ann's activity after retention: %+v, %v", activityOf(d), err)
	}
}

// TestBackupCounts takes a backup while writers append as fast as they
// can; the copy counts every message acknowledged before it started.
func TestBackupCounts(t *testing.T) {
	ctx := context.Background()
	s := openCounting(t, dbPath(t), store.Options{})
	defer s.Close()
	var (
		wg    sync.WaitGroup
		stop  atomic.Bool
		acked atomic.Int64
	)
	for w := range 4 {
		wg.Go(func() {
			c := chat.Conversation{Platform: "discord", Channel: "c" + string(rune('a'+w))}
			for !stop.Load() {
				if _, err := s.AppendMessage(ctx, chat.Message{Conversation: c, Author: chat.Member{ID: "u"}, Text: "burst", Time: day0}); err != nil {
					t.Error(err)
					return
				}
				acked.Add(1)
			}
		})
	}
	for acked.Load() < 200 && !t.Failed() {
		time.Sleep(time.Millisecond)
	}
	before := int(acked.Load())
	backup := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(backup)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Backup(ctx, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	b := openCounting(t, backup, store.Options{})
	defer b.Close()
	a, err := analytics.ReadActivity(ctx, b, analytics.ActivityQuery{From: day0, To: day0.Add(24 * time.Hour)}, nil)
	if err != nil || a.Messages < before {
		t.Errorf("the backup counts %d messages (%v), want at least %d", a.Messages, err, before)
	}
}
