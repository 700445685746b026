package routing_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/bot/routing"
	"github.com/docent-bot/docent/bot/threads"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
	"github.com/docent-bot/docent/store/storetest"
)

var (
	t0    = time.Date(2031, 3, 1, 9, 0, 0, 0, time.UTC)
	chan1 = chat.Conversation{Platform: "slack", Channel: "C1"}
	ann   = chat.Member{ID: "UANN", Name: "ann"}
	bob   = chat.Member{ID: "UBOB", Name: "bob"}
	cid   = chat.Member{ID: "UCID", Name: "cid"}
	dan   = chat.Member{ID: "UDAN", Name: "dan"}
	eve   = chat.Member{ID: "UEVE", Name: "eve"}
)

// directMessages is a platform that can write to members privately
// (chat.DirectMessenger), keeping what it sent.
type directMessages struct {
	mu   sync.Mutex
	sent []string // "member: text"
}

func (d *directMessages) DirectMessage(_ context.Context, member, text string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sent = append(d.sent, member+": "+text)
	return nil
}

func (d *directMessages) take() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.sent
	d.sent = nil
	return out
}

// community is a store with the routing module, as the bot opens it.
type community struct {
	t    *testing.T
	path string
	st   *store.Store
	mod  *routing.Module
	now  time.Time
}

func open(t *testing.T, path string, cfg string) *community {
	t.Helper()
	c := &community{t: t, path: path, now: t0}
	c.mod = routing.New()
	conf := c.mod.Config().(*routing.Config)
	conf.Enabled = true
	if cfg == "cap1" {
		conf.MaxPingsPerDay = 1
	}
	opts := store.Options{
		Recorders: c.mod.Recorders(module.RecordEnv{Prefix: "!"}),
		Parts:     c.mod.MemberParts(),
		Schemas:   []store.Owner{{Name: c.mod.Name(), Schema: c.mod.Schema()}},
	}
	var th *threads.Module // "threads": with the members' threads, as the bot has them
	if cfg == "threads" {
		th = threads.New()
		opts.Recorders = append(opts.Recorders, th.Recorders(module.RecordEnv{Prefix: "!"})...)
		opts.Parts = append(opts.Parts, th.MemberParts()...)
		opts.Schemas = append(opts.Schemas, store.Owner{Name: th.Name(), Schema: th.Schema()})
	}
	if cfg == "failing" {
		opts.Recorders = append(opts.Recorders, storetest.Failing{Word: "boom"})
	}
	st, err := store.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	c.st = st
	host := &module.Host{
		Store: st, Prefix: "!", Now: func() time.Time { return c.now }, Records: st,
		IsAdmin: func(m *module.Message) bool { return m.Author.ID == eve.ID },
	}
	if th != nil {
		if err := th.Provision(context.Background(), host); err != nil {
			t.Fatal(err)
		}
		host.Threads = th
	}
	if err := c.mod.Provision(context.Background(), host); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *community) close() {
	c.t.Helper()
	if err := c.st.Close(); err != nil {
		c.t.Fatal(err)
	}
}

// say stores a message min minutes after t0.
func (c *community) say(min int, who chat.Member, text string) store.Record {
	c.t.Helper()
	return c.sayIn(chan1, min, who, text)
}

func (c *community) sayIn(conv chat.Conversation, min int, who chat.Member, text string) store.Record {
	c.t.Helper()
	rec, err := c.st.AppendMessage(context.Background(), chat.Message{Conversation: conv, Author: who, Text: text, Time: t0.Add(time.Duration(min) * time.Minute)})
	if err != nil {
		c.t.Fatal(err)
	}
	return rec
}

func (c *community) command(who chat.Member, name, args string) string {
	c.t.Helper()
	for _, cmd := range c.mod.Commands() {
		if cmd.Name == name {
			a, err := cmd.Run(context.Background(), &module.Message{Message: chat.Message{Conversation: chan1, Author: who}}, args)
			if err != nil {
				c.t.Fatal(err)
			}
			return a.Text
		}
	}
	c.t.Fatalf("no command %q", name)
	return ""
}

func (c *community) pingAt(min int, dm *directMessages) []string {
	c.t.Helper()
	c.now = t0.Add(time.Duration(min) * time.Minute)
	if _, err := c.mod.PingDue(context.Background(), map[string]chat.DirectMessenger{"slack": dm}); err != nil {
		c.t.Fatal(err)
	}
	var who []string
	for _, s := range dm.take() {
		who = append(who, strings.SplitN(s, ":", 2)[0])
	}
	return who
}

// history: ann answers LDAP questions, cid answers Solr ones.
func (c *community) history() {
	c.say(0, bob, "how do I configure LDAP authentication for the login?")
	c.say(2, ann, "bob: set the ldap provider url in authentication-ldap.cfg")
	c.say(3, bob, "ann: thanks!")
	c.say(10, dan, "why is the solr index empty after the upgrade?")
	c.say(12, cid, "dan: run index-discovery, the solr core was recreated")
}

func TestPingsOnlyOptedInHelpersWithinTheCap(t *testing.T) {
	c := open(t, filepath.Join(t.TempDir(), "docent.db"), "cap1")
	defer c.close()
	dm := &directMessages{}
	c.history()
	if got := c.command(ann, "helper", "on ldap"); !strings.Contains(got, "on ldap") {
		t.Errorf("!helper on ldap: %q", got)
	}
	if got := c.command(ann, "helper", ""); !strings.Contains(got, "You are a helper since 2031-03-01, on ldap; asked 0 of at most 1 times today; answers of yours I counted: 1.") {
		t.Errorf("!helper: %q", got)
	}

	// An LDAP question nobody answers: ann, opted in, is asked once the
	// wait is over, not before, and not twice.
	c.say(30, bob, "does anyone know why LDAP login fails with a timeout?")
	if got := c.pingAt(40, dm); len(got) != 0 {
		t.Errorf("pinged before wait_minutes: %v", got)
	}
	if got := c.pingAt(46, dm); strings.Join(got, ",") != "UANN" {
		t.Errorf("pinged %v, want UANN", got)
	}
	if got := c.pingAt(50, dm); len(got) != 0 {
		t.Errorf("pinged twice for one question: %v", got)
	}
	// A Solr question: cid knows, but never opted in; ann's topics are
	// ldap. Nobody is asked.
	c.say(60, dan, "how do I rebuild the solr statistics core?")
	if got := c.pingAt(80, dm); len(got) != 0 {
		t.Errorf("pinged %v for a question no opted-in helper covers", got)
	}
	// Another LDAP question the same day: ann's cap (1) is used up.
	c.say(90, dan, "where is the LDAP group mapping configured?")
	if got := c.pingAt(110, dm); len(got) != 0 {
		t.Errorf("pinged %v past the daily cap", got)
	}
	// The next day ann is asked again; a question that a member replied
	// to is not pinged; the asker is never asked about her own.
	c.say(24*60, dan, "why does LDAP ignore the search filter?")
	c.say(24*60+1, bob, "how can LDAP bind as an admin user?")
	c.say(24*60+3, cid, "bob: set ldap search.user and search.password")
	c.say(24*60+2, ann, "how do I debug the LDAP handshake itself?")
	if got := c.pingAt(24*60+30, dm); strings.Join(got, ",") != "UANN" {
		t.Errorf("the next day pinged %v, want UANN once (for dan's question)", got)
	}
	if got := c.command(ann, "helper", "off"); !strings.Contains(got, "not be asked") {
		t.Errorf("!helper off: %q", got)
	}
	c.say(3*24*60, dan, "is there an LDAP option for nested groups?")
	if got := c.pingAt(3*24*60+20, dm); len(got) != 0 {
		t.Errorf("pinged %v after helper off", got)
	}
}

// A helper is asked only about a question in a channel they wrote in: a
// private channel's question, or one asked in a DM, never reaches a
// helper who could not read it there.
func TestPingsOnlyWhereTheHelperCanRead(t *testing.T) {
	c := open(t, filepath.Join(t.TempDir(), "docent.db"), "")
	defer c.close()
	dm := &directMessages{}
	c.history()
	c.command(ann, "helper", "on")
	staff := chat.Conversation{Platform: "slack", Channel: "G-STAFF"}
	direct := chat.Conversation{Platform: "slack", Channel: "D-BOB"}
	c.sayIn(staff, 30, bob, "does anyone know why LDAP login fails for the staff group?")
	c.sayIn(direct, 31, bob, "how do I reset the LDAP admin password?")
	if got := c.pingAt(60, dm); len(got) != 0 {
		t.Errorf("pinged %v about questions in a channel and a DM the helper never wrote in", got)
	}
	// Once ann writes in the staff channel, its questions reach her.
	c.sayIn(staff, 70, ann, "hello staff")
	c.sayIn(staff, 80, bob, "does anyone know how to map LDAP groups to staff roles?")
	if got := c.pingAt(110, dm); strings.Join(got, ",") != "UANN" {
		t.Errorf("pinged %v, want UANN for a question where she writes", got)
	}
}

// A question Docent answered confidently is not pinged; one whose answer
// was downvoted is.
func TestNoPingWhenDocentAnsweredWell(t *testing.T) {
	c := open(t, filepath.Join(t.TempDir(), "docent.db"), "")
	defer c.close()
	dm := &directMessages{}
	c.history()
	c.command(ann, "helper", "on")
	ctx := context.Background()
	for i, vote := range []chat.Vote{chat.VoteNone, chat.VoteDown} {
		q := c.say(30+100*i, bob, "how do I configure LDAP over TLS please?")
		a, err := c.st.AppendAnswer(ctx, store.AnswerRecord{Conversation: chan1, ReplyTo: q.ID, PlatformID: fmt.Sprint("A", i), Time: q.Time.Add(time.Second),
			Author: chat.Member{ID: "docent", Bot: true}, Answer: chat.Answer{Text: "See the LDAP guide.", Source: chat.SourceLLM, Confidence: 0.9}})
		if err != nil {
			t.Fatal(err)
		}
		if vote != chat.VoteNone {
			if _, err := c.st.RecordFeedback(ctx, chat.Feedback{Conversation: chan1, AnswerID: a.PlatformID, Member: bob, Vote: vote}); err != nil {
				t.Fatal(err)
			}
		}
		got := c.pingAt(50+100*i, dm)
		if want := vote == chat.VoteDown; (len(got) == 1) != want {
			t.Errorf("vote %v: pinged %v", vote, got)
		}
	}
}

// A restart keeps what was learned and what is open; a reply after the
// restart to a question asked before it still counts.
func TestRestartKeepsState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "docent.db")
	c := open(t, path, "")
	c.history()
	c.command(ann, "helper", "on")
	c.say(30, bob, "how do I map LDAP groups to DSpace groups?")
	c.say(31, dan, "how do I tune the solr heap for a big index?")
	before := export(t, c, ann)
	c.close()

	c = open(t, path, "")
	defer c.close()
	if after := export(t, c, ann); after != before {
		t.Errorf("ann's export after a restart:\n%s\nbefore:\n%s", after, before)
	}
	c.say(33, cid, "dan: give solr 4g")
	if got := export(t, c, cid); !strings.Contains(got, `"answers": 2`) {
		t.Errorf("cid's reply after the restart is not counted: %s", got)
	}
	dm := &directMessages{}
	if got := c.pingAt(50, dm); strings.Join(got, ",") != "UANN" {
		t.Errorf("after a restart pinged %v, want UANN for bob's open question", got)
	}
}

// TestAnotherRecorderFailing: when another recorder fails on a batch, the
// transaction that routing wrote in is rolled back and the batch given
// again; routing writes what it found again (it used to skip the batch as
// seen, and the reply was lost).
func TestAnotherRecorderFailing(t *testing.T) {
	c := open(t, filepath.Join(t.TempDir(), "docent.db"), "failing")
	defer c.close()
	c.say(10, dan, "why is the solr index empty after the upgrade?")
	c.say(12, cid, "dan: run index-discovery, the solr core was recreated (boom)")
	if got := export(t, c, cid); !strings.Contains(got, `"answers": 1`) {
		t.Errorf("cid's reply, stored while another recorder failed, is not counted: %s", got)
	}
}

func TestForgetRemoves(t *testing.T) {
	c := open(t, filepath.Join(t.TempDir(), "docent.db"), "")
	defer c.close()
	c.history()
	c.command(ann, "helper", "on ldap")
	if got := export(t, c, ann); !strings.Contains(got, `"ldap"`) || !strings.Contains(got, `"answers": 1`) {
		t.Fatalf("ann's export: %s", got)
	}
	f, err := c.st.ForgetMember(context.Background(), store.MemberRef{Platform: "slack", ID: ann.ID})
	if err != nil {
		t.Fatal(err)
	}
	if f.Parts["routing_records"] < 3 { // opt-in, activity, answer
		t.Errorf("forget counted %v", f.Parts)
	}
	if got := export(t, c, ann); got != "null" {
		t.Errorf("ann's export after forget: %s", got)
	}
	// Bob's question's words leave with bob, from cid's and ann's answers.
	if _, err := c.st.ForgetMember(context.Background(), store.MemberRef{Platform: "slack", ID: dan.ID}); err != nil {
		t.Fatal(err)
	}
	if got := export(t, c, cid); strings.Contains(got, "solr") {
		t.Errorf("cid's export keeps the forgotten asker's words: %s", got)
	}
}

func export(t *testing.T, c *community, m chat.Member) string {
	t.Helper()
	d, err := c.st.ExportMember(context.Background(), store.MemberRef{Platform: "slack", ID: m.ID})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(d.Parts["routing"])
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	out, _ := json.MarshalIndent(v, "", " ")
	return strings.ReplaceAll(string(out), "\n", "")
}

// A question too old to ask about (an imported history's) is never
// pinged, and leaves the open questions.
func TestNoPingForStaleQuestions(t *testing.T) {
	c := open(t, filepath.Join(t.TempDir(), "docent.db"), "")
	defer c.close()
	dm := &directMessages{}
	c.history()
	c.command(ann, "helper", "on")
	c.say(30, bob, "does anyone know why LDAP login fails with a timeout?")
	if got := c.pingAt(30+15+61, dm); len(got) != 0 {
		t.Errorf("pinged %v for a question past wait_minutes and the hour after", got)
	}
	if got := export(t, c, bob); strings.Contains(got, "open_questions") {
		t.Errorf("the stale question is still open: %s", got)
	}
}

// TestSuggestsOpenQuestionsToHelpers: for what to read next, a helper is
// offered the recent questions nobody answered, newest first, from where
// they write, on their topics, never their own; a member who is not a
// helper, and a week-old question, get nothing.
func TestSuggestsOpenQuestionsToHelpers(t *testing.T) {
	c := open(t, filepath.Join(t.TempDir(), "docent.db"), "threads")
	defer c.close()
	c.history()
	c.command(ann, "helper", "on ldap")
	c.command(cid, "helper", "on")
	staff := chat.Conversation{Platform: "slack", Channel: "G-STAFF"}
	c.say(30, bob, "does anyone know why the LDAP sync drops users?")
	c.sayIn(staff, 31, bob, "how do I rotate the LDAP bind password?")
	c.say(32, dan, "why does solr reject my schema?")
	c.say(33, ann, "what is the default LDAP timeout?")
	c.now = t0.Add(60 * time.Minute)
	suggested := func(m chat.Member) string {
		t.Helper()
		got, err := c.mod.Suggest(context.Background(), store.MemberRef{Platform: "slack", ID: m.ID})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range got {
			if s.Kind != "open question" || s.Place != chat.PlaceOf(chan1, "") || s.Words == "" || !strings.Contains(s.Title, "nobody has answered yet") {
				t.Errorf("suggestion for %s: %+v", m.Name, s)
			}
			out = append(out, s.Words)
		}
		return strings.Join(out, " | ")
	}
	if got, want := suggested(ann), "does anyone know why the LDAP sync drops users?"; got != want {
		t.Errorf("ann (helper on ldap) is offered %q, want %q: not the staff channel she never wrote in, not solr, not her own", got, want)
	}
	if got, want := suggested(cid), "what is the default LDAP timeout? | why does solr reject my schema? | does anyone know why the LDAP sync drops users?"; got != want {
		t.Errorf("cid (helper on any topic) is offered %q, want %q", got, want)
	}
	if got := suggested(dan); got != "" {
		t.Errorf("dan, who is no helper, is offered %q", got)
	}
	c.now = t0.Add(8 * 24 * time.Hour)
	if got := suggested(cid); got != "" {
		t.Errorf("a week later cid is offered %q", got)
	}
}

// After !forget me, nothing in routing's buckets names the member: not
// the record of who was asked about whose question (the asker's and the
// helper's IDs), however the ping went.
func TestForgetLeavesNoPingOfTheMember(t *testing.T) {
	c := open(t, filepath.Join(t.TempDir(), "docent.db"), "")
	defer c.close()
	c.history()
	c.command(ann, "helper", "on ldap")
	c.say(30, bob, "does anyone know why LDAP login fails with a timeout?")
	if got := c.pingAt(46, &directMessages{}); strings.Join(got, ",") != "UANN" {
		t.Fatalf("pinged %v, want UANN", got)
	}
	ctx := context.Background()
	for _, m := range []chat.Member{ann, bob} {
		if _, err := c.st.ForgetMember(ctx, store.MemberRef{Platform: "slack", ID: m.ID}); err != nil {
			t.Fatal(err)
		}
		err := c.st.View(ctx, func(tx *store.Tx) error {
			for _, name := range []string{"routing_members", "routing_helpers", "routing_open", "routing_pings", "routing_answers"} {
				err := tx.Scan(store.NewBucket(name), nil, func(k, v []byte) error {
					if strings.Contains(string(k)+string(v), m.ID) {
						t.Errorf("after forgetting %s, %s keeps %q: %s", m.Name, name, k, v)
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// Retention deletes the pings of the questions it deletes, and the
// daily counts of the days before it: who was asked about what stays no
// longer than the question.
func TestExpireDeletesOldPings(t *testing.T) {
	c := open(t, filepath.Join(t.TempDir(), "docent.db"), "")
	defer c.close()
	c.history()
	c.command(ann, "helper", "on ldap")
	c.say(30, bob, "does anyone know why LDAP login fails with a timeout?")
	if got := c.pingAt(46, &directMessages{}); strings.Join(got, ",") != "UANN" {
		t.Fatalf("pinged %v, want UANN", got)
	}
	ctx := context.Background()
	if _, err := c.st.DeleteBefore(ctx, t0.Add(3*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	err := c.st.View(ctx, func(tx *store.Tx) error {
		return tx.Scan(store.NewBucket("routing_pings"), nil, func(k, v []byte) error {
			t.Errorf("after retention, routing_pings keeps %q: %s", k, v)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}
