package recommend_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/bot/recommend"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// clock is a test's moving clock (Host.Now).
type clock struct {
	mu  sync.Mutex // guards now
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// env is one run of Docent over a database: the store with the module's
// recorders and parts, and the module provisioned on it.
type env struct {
	t     *testing.T
	s     *store.Store
	mod   *recommend.Module
	clock *clock
	// offers are what the other modules offer (Host.Suggest).
	offers []module.Suggestion
}

func openEnv(t *testing.T, path string, c *clock) *env {
	t.Helper()
	mod := recommend.New()
	s, err := store.Open(path, store.Options{LockTimeout: time.Second, Parts: mod.MemberParts(),
		Recorders: mod.Recorders(module.RecordEnv{Prefix: "!"}),
		Schemas:   []store.Owner{{Name: mod.Name(), Schema: mod.Schema()}}})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, s: s, mod: mod, clock: c}
	h := &module.Host{Store: s, Prefix: "!", Now: c.Now, Records: s,
		Suggest: func(context.Context, store.MemberRef) []module.Suggestion { return slices.Clone(e.offers) }}
	if err := mod.Provision(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) close() {
	e.t.Helper()
	if err := e.s.Close(); err != nil {
		e.t.Fatal(err)
	}
}

var (
	help = chat.Conversation{Platform: "discord", Channel: "help"}
	ada  = chat.Member{ID: "ada-1815", Name: "ada"}
	bob  = chat.Member{ID: "bob-1", Name: "bob"}
	day0 = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC) // a Wednesday
)

func (e *env) say(id string, m chat.Member, text string, at time.Time) store.Record {
	e.t.Helper()
	rec, err := e.s.AppendMessage(context.Background(), chat.Message{ID: id, Conversation: help, Author: m, Text: text, Time: at})
	if err != nil {
		e.t.Fatal(err)
	}
	return rec
}

// command runs `!recommend args` from m and returns the reply.
func (e *env) command(m chat.Member, args string) string {
	e.t.Helper()
	return e.commandIn(chat.Message{Conversation: help, Author: m}, args)
}

// commandIn runs `!recommend args` as msg (its conversation, author and
// Direct flag) and returns the reply.
func (e *env) commandIn(msg chat.Message, args string) string {
	e.t.Helper()
	cmds := e.mod.Commands()
	if len(cmds) != 1 || cmds[0].Name != "recommend" {
		e.t.Fatalf("commands %v, want recommend", cmds)
	}
	a, err := cmds[0].Run(context.Background(), &module.Message{Message: msg}, args)
	if err != nil {
		e.t.Fatal(err)
	}
	return a.Text
}

func (e *env) profile(m chat.Member) *recommend.Profile {
	e.t.Helper()
	d, err := e.s.ExportMember(context.Background(), store.MemberRef{Platform: "discord", ID: m.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	ex, _ := d.Parts["recommendations"].(*recommend.Exported)
	if ex == nil {
		return nil
	}
	return ex.Profile
}

// TestProfileFromRecords: a member's questions and messages, in the
// transaction that stores them, make their profile (words, questions,
// channels); a command adds nothing, nor do others' messages or Docent's
// answers; a 👍 on another member's message adds its words and is
// remembered, as is what they asked.
func TestProfileFromRecords(t *testing.T) {
	e := openEnv(t, filepath.Join(t.TempDir(), "docent.db"), &clock{now: day0})
	defer e.close()
	ctx := context.Background()
	q := e.say("m1", ada, "How do I configure LDAP authentication for dspace?", day0)
	e.say("m2", ada, "the solr index rebuild finished fine", day0.Add(time.Minute))
	e.say("m3", ada, "!recommend kubernetes", day0.Add(2*time.Minute))
	tip := e.say("m4", bob, "set the handle prefix in local.cfg", day0.Add(3*time.Minute))
	if _, err := e.s.AppendAnswer(ctx, store.AnswerRecord{Conversation: help, ReplyTo: q.ID, Time: day0.Add(time.Second),
		Author: chat.Member{ID: "docent", Bot: true}, Answer: chat.Answer{Text: "See the shibboleth guide", Source: chat.SourceKnowledge}}); err != nil {
		t.Fatal(err)
	}
	p := e.profile(ada)
	if p == nil {
		t.Fatal("no profile exported for ada")
	}
	for _, w := range []string{"ldap", "authentication", "dspace", "solr", "rebuild"} {
		if p.Terms[w] <= 0 {
			t.Errorf("profile word %q weighs %v, want > 0 (terms %v)", w, p.Terms[w], p.Terms)
		}
	}
	for _, w := range []string{"kubernetes", "handle", "shibboleth"} {
		if _, ok := p.Terms[w]; ok {
			t.Errorf("profile has %q, from a command, another member or Docent", w)
		}
	}
	if len(p.Questions) != 1 || p.Questions[0].ID != q.ID || !strings.Contains(p.Questions[0].Text, "LDAP") {
		t.Errorf("questions %+v, want the LDAP one", p.Questions)
	}
	if p.Channels["discord:help"] != 2 {
		t.Errorf("channels %v, want discord:help 2", p.Channels)
	}
	if _, err := e.s.RecordFeedback(ctx, chat.Feedback{Conversation: help, AnswerID: "m4", Member: ada, Vote: chat.VoteUp, Time: day0.Add(4 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	p = e.profile(ada)
	if p.Terms["handle"] <= 0 || !slices.Contains(p.Voted, tip.ID) {
		t.Errorf("after a 👍 on bob's tip: handle %v, voted %v; want the tip's words and its ID", p.Terms["handle"], p.Voted)
	}
	if bp := e.profile(bob); bp == nil || bp.Terms["handle"] <= 0 || len(bp.Voted) != 0 {
		t.Errorf("bob's profile %+v, want his own words and no votes", bp)
	}
}

// scanFile reports which of needles appear anywhere in a closed database.
func scanFile(t *testing.T, path string, needles ...string) []string {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var found []string
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				for _, n := range needles {
					if (bytes.Contains(k, []byte(n)) || bytes.Contains(v, []byte(n))) && !slices.Contains(found, n) {
						found = append(found, n)
					}
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestExportAndForget: `export me` shows the profile and the settings;
// `forget me` deletes both, and nothing of the member is left in the
// file, while another member's profile stays.
func TestExportAndForget(t *testing.T) {
	path := filepath.Join(t.TempDir(), "docent.db")
	e := openEnv(t, path, &clock{now: day0})
	ctx := context.Background()
	e.say("m1", ada, "How do I configure LDAP authentication?", day0)
	e.say("m2", bob, "the solr index is slow", day0)
	e.command(ada, "digest on")
	d, err := e.s.ExportMember(ctx, store.MemberRef{Platform: "discord", ID: ada.ID})
	if err != nil {
		t.Fatal(err)
	}
	ex, _ := d.Parts["recommendations"].(*recommend.Exported)
	if ex == nil || ex.Profile == nil || ex.Profile.Terms["ldap"] <= 0 || ex.Settings == nil || !ex.Settings.Digest {
		t.Fatalf("export %+v, want the profile with ldap and the digest on", d.Parts["recommendations"])
	}
	f, err := e.s.ForgetMember(ctx, store.MemberRef{Platform: "discord", ID: ada.ID})
	if err != nil {
		t.Fatal(err)
	}
	if f.Parts["recommendation_records"] != 2 {
		t.Errorf("forgotten %+v, want 2 recommendations items (profile and settings)", f.Parts)
	}
	if p := e.profile(ada); p != nil {
		t.Errorf("after forget, profile %+v", p)
	}
	if p := e.profile(bob); p == nil || p.Terms["solr"] <= 0 {
		t.Errorf("bob's profile %+v, want it kept", p)
	}
	e.close()
	if found := scanFile(t, path, ada.ID, "ldap"); len(found) != 0 {
		t.Errorf("after forget the file still holds %v", found)
	}
}

// TestRecommendOffAndOn: `!recommend` picks from the member's interests,
// with a reason naming their question; off says so, recommends nothing
// and stops the profile; on again works.
func TestRecommendOffAndOn(t *testing.T) {
	e := openEnv(t, filepath.Join(t.TempDir(), "docent.db"), &clock{now: day0})
	defer e.close()
	e.offers = []module.Suggestion{
		{ID: "challenges:ldap-filter", Kind: "challenge", Title: "the LDAP filter challenge", Link: "!challenge ldap-filter", Words: "write an ldap search filter"},
		{ID: "challenges:sorting", Kind: "challenge", Title: "sorting", Link: "!challenge sorting", Words: "sort numbers fast"},
	}
	if got := e.command(ada, ""); !strings.Contains(got, "do not know what you are interested in") {
		t.Errorf("with no profile: %q", got)
	}
	e.say("m1", ada, "How do I configure LDAP authentication?", day0.Add(-8*24*time.Hour))
	got := e.command(ada, "")
	if !strings.Contains(got, "LDAP filter challenge") || !strings.Contains(got, "because you asked about ldap last week") {
		t.Errorf("!recommend = %q, want the LDAP challenge because of last week's question", got)
	}
	if strings.Contains(got, "sorting") {
		t.Errorf("!recommend = %q: sorting matches none of ada's words", got)
	}
	if got := e.command(ada, "off"); !strings.Contains(got, "Recommendations are off") {
		t.Errorf("!recommend off = %q", got)
	}
	e.say("m2", ada, "kubernetes helm chart question", day0)
	if got := e.command(ada, ""); !strings.Contains(got, "Recommendations are off for you") {
		t.Errorf("!recommend while off = %q", got)
	}
	if p := e.profile(ada); p.Terms["kubernetes"] != 0 {
		t.Errorf("the profile grew while off: %v", p.Terms)
	}
	if got := e.command(ada, "on"); !strings.Contains(got, "Recommendations are on") {
		t.Errorf("!recommend on = %q", got)
	}
	if got := e.command(ada, ""); !strings.Contains(got, "LDAP filter challenge") {
		t.Errorf("!recommend after on = %q", got)
	}
	if got := e.command(ada, "sideways"); !strings.Contains(got, "Usage:") {
		t.Errorf("!recommend sideways = %q, want the usage", got)
	}
}

// TestRecommendKeepsChannelsApart: the answer to `!recommend` is read by
// everyone where it is asked, so what was said in another channel (an
// open question offered there, the member's own question a reason would
// name) is shown only in private (a DM to Docent).
func TestRecommendKeepsChannelsApart(t *testing.T) {
	e := openEnv(t, filepath.Join(t.TempDir(), "docent.db"), &clock{now: day0})
	defer e.close()
	staff := chat.Conversation{Platform: "discord", Channel: "staff"}
	if _, err := e.s.AppendMessage(context.Background(), chat.Message{ID: "s1", Conversation: staff, Author: ada,
		Text: "How do I configure LDAP authentication?", Time: day0.Add(-8 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	e.offers = []module.Suggestion{
		{ID: "routing:9", Kind: "open question", Title: "“why does LDAP reject the staff group?”", Link: "staff", Words: "ldap staff group",
			Place: chat.Place{Platform: "discord", Channel: "staff"}},
		{ID: "challenges:ldap-filter", Kind: "challenge", Title: "the LDAP filter challenge", Link: "!challenge ldap-filter", Words: "write an ldap search filter"},
	}
	got := e.commandIn(chat.Message{Conversation: help, Author: ada}, "")
	if strings.Contains(got, "staff group") || strings.Contains(got, "asked about") {
		t.Errorf("!recommend in #help shows what was said in #staff: %q", got)
	}
	if !strings.Contains(got, "LDAP filter challenge") || !strings.Contains(got, "because you often talk about ldap") {
		t.Errorf("!recommend in #help = %q, want the challenge, because ada talks about ldap", got)
	}
	dm := chat.Conversation{Platform: "discord", Channel: "dm-ada"}
	got = e.commandIn(chat.Message{Conversation: dm, Author: ada, Direct: true}, "")
	if !strings.Contains(got, "staff group") || !strings.Contains(got, "because you asked about ldap last week") {
		t.Errorf("!recommend in a DM = %q, want the open question in #staff and the reason naming her question", got)
	}
}

// TestRecommendVaries: asked again, `!recommend` shows other things while
// there are others, and what it showed comes back once nothing else is
// left.
func TestRecommendVaries(t *testing.T) {
	e := openEnv(t, filepath.Join(t.TempDir(), "docent.db"), &clock{now: day0})
	defer e.close()
	for i := range 5 {
		e.offers = append(e.offers, module.Suggestion{ID: fmt.Sprintf("x:%d", i), Kind: "challenge",
			Title: fmt.Sprintf("item-%d", i), Link: "!x", Words: "solr index " + strings.Repeat("solr ", i)})
	}
	e.say("m1", ada, "why is the solr index slow?", day0)
	first, second, third := e.command(ada, ""), e.command(ada, ""), e.command(ada, "")
	items := func(s string) []string {
		var out []string
		for i := range 5 {
			if strings.Contains(s, fmt.Sprintf("item-%d", i)) {
				out = append(out, fmt.Sprint(i))
			}
		}
		return out
	}
	if f, s := items(first), items(second); len(f) != 3 || len(s) != 3 || len(slices.DeleteFunc(slices.Clone(s), func(x string) bool { return !slices.Contains(f, x) })) != 1 {
		t.Errorf("first %v then %v: want three each, the second with the two not shown yet and one of the first", f, s)
	}
	if got := items(third); len(got) != 3 {
		t.Errorf("third %v: want three, shown before", got)
	}
}

// messenger is a small chat.DirectMessenger that keeps what it sent.
type messenger struct {
	mu   sync.Mutex // guards sent
	sent map[string][]string
	fail error
}

func (m *messenger) DirectMessage(_ context.Context, member, text string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	if m.sent == nil {
		m.sent = map[string][]string{}
	}
	m.sent[member] = append(m.sent[member], text)
	return nil
}

func (m *messenger) count(member string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sent[member])
}

// TestDigestOncePerWeek: members who asked for the digest get it at the
// digest time (Monday 09:00 UTC by default), once a week, on a moving
// clock and across a restart; a failed message is tried again; never for
// a member who turned recommendations off or was forgotten.
func TestDigestOncePerWeek(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "docent.db")
	c := &clock{now: day0}
	e := openEnv(t, path, c)
	offers := []module.Suggestion{{ID: "challenges:ldap", Kind: "challenge", Title: "the LDAP challenge", Link: "!challenge ldap", Words: "ldap"}}
	e.offers = offers
	carl := chat.Member{ID: "carl-2"}
	for _, m := range []chat.Member{ada, bob, carl} {
		e.say("q-"+m.ID, m, "how do I set up LDAP?", day0.Add(-time.Hour))
		e.command(m, "digest on")
	}
	e.say("q-dora", chat.Member{ID: "dora"}, "how do I set up LDAP?", day0) // never asked for it
	e.command(bob, "off")
	if _, err := e.s.ForgetMember(ctx, store.MemberRef{Platform: "discord", ID: carl.ID}); err != nil {
		t.Fatal(err)
	}
	dm := &messenger{}
	send := func(at time.Time, want int) {
		t.Helper()
		c.Set(at)
		n, err := e.mod.SendDigests(ctx, map[string]chat.DirectMessenger{"discord": dm})
		if err != nil || n != want {
			t.Errorf("at %s: sent %d (%v), want %d", at.Format("Mon Jan 2 15:04"), n, err, want)
		}
	}
	monday := time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)
	send(day0.Add(time.Hour), 0)      // the Wednesday ada asked: the first is next Monday's
	send(monday.Add(-time.Minute), 0) // not yet
	dm.fail = errors.New("the platform is down")
	send(monday, 0)
	dm.fail = nil
	send(monday.Add(time.Minute), 1) // tried again
	send(monday.Add(2*time.Minute), 0)
	send(monday.Add(3*24*time.Hour), 0)
	if dm.count(ada.ID) != 1 || !strings.Contains(dm.sent[ada.ID][0], "the LDAP challenge") {
		t.Errorf("ada got %q, want one digest with the LDAP challenge", dm.sent[ada.ID])
	}
	e.close()

	e = openEnv(t, path, c) // a restart
	defer e.close()
	e.offers = offers
	send(monday.Add(7*24*time.Hour-time.Second), 0)
	send(monday.Add(7*24*time.Hour), 1)
	send(monday.Add(7*24*time.Hour+time.Hour), 0)
	if dm.count(ada.ID) != 2 || dm.count(bob.ID) != 0 || dm.count(carl.ID) != 0 || dm.count("dora") != 0 {
		t.Errorf("sent %v: want two for ada and none for bob (off), carl (forgotten) or dora (never asked)", dm.sent)
	}
	e.command(ada, "digest off")
	send(monday.Add(14*24*time.Hour), 0)
}

// TestDigestLoop: the module's background loop sends the digest that is
// due through the platform's DirectMessenger, and stops with its context.
func TestDigestLoop(t *testing.T) {
	c := &clock{now: day0}
	e := openEnv(t, filepath.Join(t.TempDir(), "docent.db"), c)
	defer e.close()
	e.offers = []module.Suggestion{{ID: "c:ldap", Kind: "challenge", Title: "the LDAP challenge", Link: "!c", Words: "ldap"}}
	e.say("m1", ada, "how do I set up LDAP?", day0)
	e.command(ada, "digest on")
	c.Set(time.Date(2026, 3, 9, 9, 30, 0, 0, time.UTC))
	passed := make(chan struct{}, 1)
	e.mod.OnPass(func() {
		select {
		case passed <- struct{}{}:
		default:
		}
	})
	dm := &messenger{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- e.mod.Run(ctx, module.RunEnv{Messengers: map[string]chat.DirectMessenger{"discord": dm}})
	}()
	<-passed
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if dm.count(ada.ID) != 1 {
		t.Errorf("the loop sent %v, want ada's digest", dm.sent)
	}
}
