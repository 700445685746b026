package attention_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/attention"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

var (
	ctx  = context.Background()
	dev  = chat.Conversation{Platform: "irc", Channel: "#dev"}
	day0 = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
)

// said is one message of the hand-written history.
type said struct {
	at   time.Time
	who  string
	text string
}

// The history: over seven months (210 days from day0), ann and bob are
// regulars (ann writes every day; bob twice a day for 180 days, then on
// two days only), cat writes a little (never a regular); in the last days,
// three newcomers ask their first questions. Bob's figures, worked by
// hand: as of day 205, his last 30 days (176 to 205) hold 4 days of 2 and
// 2 messages, 10; his six months before (-4 to 175) 352 messages, 59 a
// month.
var (
	end    = day0.Add(210 * 24 * time.Hour) // the history's last day starts
	askedA = end.Add(-5 * 24 * time.Hour).Add(10 * time.Hour)
	askedB = end.Add(-4 * 24 * time.Hour).Add(9 * time.Hour)
	askedC = end.Add(-3 * 24 * time.Hour).Add(15 * time.Hour)
)

func history() []said {
	var h []said
	for d := range 210 {
		t := day0.Add(time.Duration(d) * 24 * time.Hour)
		h = append(h, said{t.Add(8 * time.Hour), "ann", fmt.Sprintf("morning, merged the fix for ticket %d", d)})
		if d < 180 {
			h = append(h, said{t.Add(9 * time.Hour), "bob", "reviewing the release notes now"},
				said{t.Add(17 * time.Hour), "bob", "pushed my branch, going home"})
		} else if d == 190 || d == 200 {
			h = append(h, said{t.Add(9 * time.Hour), "bob", "still around, busy elsewhere"})
		}
		if d%20 == 0 {
			h = append(h, said{t.Add(12 * time.Hour), "cat", "lunch"})
		}
	}
	h = append(h,
		// newa asks; ann answers within minutes; newa thanks her.
		said{askedA.Add(-2 * time.Minute), "newa", "hello all"},
		said{askedA, "newa", "how do I configure the indexer for solr?"},
		said{askedA.Add(4 * time.Minute), "ann", "newa: set solr.url in local.cfg and restart"},
		said{askedA.Add(6 * time.Minute), "newa", "ann: thanks, that worked"},
		// newb asks; nobody replies.
		said{askedB, "newb", "does anyone know why the build fails on java 17?"},
		// newc asks; bob replies two days later, too late.
		said{askedC, "newc", "where do the thumbnails get stored?"},
		said{askedC.Add(50 * time.Hour), "bob", "newc: in the assetstore, next to the bitstreams"},
	)
	slices.SortStableFunc(h, func(a, b said) int { return a.at.Compare(b.at) })
	return h
}

func records(h []said) []store.Record {
	var out []store.Record
	for i, s := range h {
		out = append(out, store.Record{Kind: store.KindMessage, Conversation: dev, Time: s.at,
			Author: chat.Member{ID: s.who, Name: strings.ToUpper(s.who[:1]) + s.who[1:]}, Text: s.text, PlatformID: fmt.Sprint(i + 1)})
	}
	return out
}

// open opens the database at path with the attention module's recorder,
// part and schema, and the module provisioned on it.
func open(t *testing.T, path string, withModule bool) (*store.Store, *attention.Module) {
	t.Helper()
	mod := attention.New()
	opts := store.Options{}
	if withModule {
		opts.Recorders = mod.Recorders(module.RecordEnv{Prefix: "!"})
		opts.Parts = mod.MemberParts()
		opts.Schemas = []store.Owner{{Name: mod.Name(), Schema: mod.Schema()}}
	}
	st, err := store.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := mod.Provision(ctx, &module.Host{Store: st, Now: func() time.Time { return end }}); err != nil {
		t.Fatal(err)
	}
	return st, mod
}

func importAll(t *testing.T, st *store.Store, recs []store.Record) {
	t.Helper()
	for len(recs) > 0 {
		n := min(len(recs), 97) // batches that cut conversations anywhere
		if _, err := st.Import(ctx, recs[:n]); err != nil {
			t.Fatal(err)
		}
		recs = recs[n:]
	}
}

func report(t *testing.T, mod *attention.Module, at time.Time) attention.Report {
	t.Helper()
	r, err := mod.Report(ctx, at)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func names[T any](xs []T, name func(T) string) []string {
	out := []string{}
	for _, x := range xs {
		out = append(out, name(x))
	}
	return out
}

func newcomers(r attention.Report) []string {
	return names(r.Newcomers, func(n attention.Newcomer) string { return n.Member.Name + ": " + n.After() })
}
func open_(r attention.Report) []string {
	return names(r.Open, func(q attention.Question) string { return q.Member.Name + ": " + q.Text })
}
func dropped(r attention.Report) []string {
	return names(r.Dropped, func(d attention.Drop) string { return d.Member.Name + ": " + d.Figure() })
}
func helpful(r attention.Report) []string {
	return names(r.Helpful, func(h attention.Helper) string {
		return fmt.Sprintf("%s: %d answers, %d thanks, %d helped", h.Member.Name, h.Answers, h.Thanks, h.Helped)
	})
}

// Each list, as the clock moves over the hand-written history.
func TestListsAsTheClockMoves(t *testing.T) {
	st, mod := open(t, filepath.Join(t.TempDir(), "docent.db"), true)
	defer st.Close()
	importAll(t, st, records(history()))

	for _, tt := range []struct {
		name             string
		at               time.Time
		newcomers, open  []string
		dropped, helpful []string
	}{
		{name: "newa's question, a minute old", at: askedA.Add(time.Minute),
			newcomers: []string{}, open: []string{"Newa: how do I configure the indexer for solr?"},
			dropped: []string{"Bob: 10 messages in the last 30 days vs 59 a month usually (active 6 of the 6 months before)"}, helpful: []string{}},
		{name: "newa answered and thankful", at: askedA.Add(10 * time.Minute),
			newcomers: []string{}, open: []string{}, dropped: []string{"Bob: 10 messages in the last 30 days vs 59 a month usually (active 6 of the 6 months before)"},
			helpful: []string{"Ann: 1 answers, 1 thanks, 1 helped"}},
		{name: "newb waits an hour", at: askedB.Add(time.Hour),
			newcomers: []string{}, open: []string{"Newb: does anyone know why the build fails on java 17?"},
			dropped: []string{"Bob: 8 messages in the last 30 days vs 59 a month usually (active 6 of the 6 months before)"}, helpful: []string{"Ann: 1 answers, 1 thanks, 1 helped"}},
		{name: "newb waited a day, newc an hour", at: askedC.Add(time.Hour),
			newcomers: []string{"Newb: no reply"},
			open:      []string{"Newc: where do the thumbnails get stored?", "Newb: does anyone know why the build fails on java 17?"},
			dropped:   []string{"Bob: 6 messages in the last 30 days vs 59 a month usually (active 6 of the 6 months before)"}, helpful: []string{"Ann: 1 answers, 1 thanks, 1 helped"}},
		{name: "the last day: newc had a late reply", at: end.Add(12 * time.Hour),
			newcomers: []string{"Newc: no reply", "Newb: no reply"},
			open:      []string{"Newc: where do the thumbnails get stored?", "Newb: does anyone know why the build fails on java 17?"},
			dropped:   []string{"Bob: 3 messages in the last 30 days vs 60 a month usually (active 6 of the 6 months before)"},
			helpful:   []string{"Ann: 1 answers, 1 thanks, 1 helped"}},
		{name: "ten days on: the questions are no longer open", at: end.Add(10 * 24 * time.Hour),
			newcomers: []string{"Newc: no reply", "Newb: no reply"}, open: []string{},
			dropped: []string{"Bob: 2 messages in the last 30 days vs 56 a month usually (active 6 of the 6 months before)"},
			helpful: []string{"Ann: 1 answers, 1 thanks, 1 helped"}},
		{name: "forty days on: no longer newcomers", at: end.Add(40 * 24 * time.Hour),
			newcomers: []string{}, open: []string{},
			dropped: []string{"Bob: 0 messages in the last 30 days vs 47 a month usually (active 6 of the 6 months before)",
				"Ann: 0 messages in the last 30 days vs 28 a month usually (active 6 of the 6 months before)"},
			helpful: []string{}},
		{name: "before the newcomers: bob still busy", at: end.Add(-40 * 24 * time.Hour),
			newcomers: []string{}, open: []string{}, dropped: []string{}, helpful: []string{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := report(t, mod, tt.at)
			for _, l := range []struct {
				what      string
				got, want []string
			}{{"newcomers", newcomers(r), tt.newcomers}, {"open", open_(r), tt.open},
				{"dropped", dropped(r), tt.dropped}, {"helpful", helpful(r), tt.helpful}} {
				if !slices.Equal(l.got, l.want) {
					t.Errorf("%s = %q, want %q", l.what, l.got, l.want)
				}
			}
		})
	}

	// The year's table: three newcomers asked, one had a reply within a day.
	r := report(t, mod, end.Add(12*time.Hour))
	if want := []attention.YearRow{{Year: 2020, Asked: 3, Answered: 1, Unanswered: 2, Share: 2.0 / 3}}; !slices.Equal(r.FirstQuestions, want) {
		t.Errorf("first questions %+v, want %+v", r.FirstQuestions, want)
	}
	var b strings.Builder
	if err := r.WriteFirstQuestions(&b); err != nil {
		t.Fatal(err)
	}
	if want := "2020                 3         1           2               67%"; !strings.Contains(b.String(), want) {
		t.Errorf("the table lacks %q:\n%s", want, b.String())
	}
}

// The figures are the same whether the history comes in one go, in two
// runs with a restart between (cut between newa's question and ann's
// reply, so that the Detector must find the question again), or after the
// module existed (the store replays it to the recorder at Open).
func TestRestartGivesTheSameLists(t *testing.T) {
	recs := records(history())
	moments := []time.Time{askedA.Add(10 * time.Minute), askedC.Add(time.Hour), end.Add(12 * time.Hour), end.Add(40 * 24 * time.Hour)}
	lists := func(mod *attention.Module) string {
		var out []string
		for _, at := range moments {
			r := report(t, mod, at)
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(b))
		}
		return strings.Join(out, "\n")
	}

	once, mod := open(t, filepath.Join(t.TempDir(), "once.db"), true)
	importAll(t, once, recs)
	want := lists(mod)
	once.Close()

	cut := slices.IndexFunc(recs, func(r store.Record) bool { return r.Author.ID == "ann" && strings.HasPrefix(r.Text, "newa:") })
	path := filepath.Join(t.TempDir(), "twice.db")
	st, _ := open(t, path, true)
	importAll(t, st, recs[:cut])
	st.Close()
	st, mod = open(t, path, true)
	for _, rec := range recs[cut:] { // one at a time, as live messages come
		if _, err := st.Import(ctx, []store.Record{rec}); err != nil {
			t.Fatal(err)
		}
	}
	if got := lists(mod); got != want {
		t.Errorf("after a restart:\n%s\nwant\n%s", got, want)
	}
	st.Close()

	path = filepath.Join(t.TempDir(), "later.db")
	st, _ = open(t, path, false)
	importAll(t, st, recs)
	st.Close()
	st, mod = open(t, path, true)
	defer st.Close()
	if got := lists(mod); got != want {
		t.Errorf("replayed at Open:\n%s\nwant\n%s", got, want)
	}
}

// Forgetting a member takes them out of every list and figure, also as
// the one who answered another's question; the other members' stay.
func TestForgetTakesTheMemberOutEverywhere(t *testing.T) {
	st, mod := open(t, filepath.Join(t.TempDir(), "docent.db"), true)
	defer st.Close()
	importAll(t, st, records(history()))

	exported := func(id string) attention.Export {
		t.Helper()
		d, err := st.ExportMember(ctx, store.MemberRef{Platform: "irc", ID: id})
		if err != nil {
			t.Fatal(err)
		}
		if d.Parts["attention"] == nil {
			return attention.Export{}
		}
		var e attention.Export
		b, _ := json.Marshal(d.Parts["attention"])
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	e := exported("newa")
	if e.FirstQuestion == nil || e.FirstQuestion.By != "ann" || len(e.Questions) != 1 || len(e.Days) != 1 || len(e.Helped) != 2 {
		t.Fatalf("newa's export before ann is forgotten: %+v", e)
	}

	f, err := st.ForgetMember(ctx, store.MemberRef{Platform: "irc", ID: "ann"})
	if err != nil {
		t.Fatal(err)
	}
	// Her state, her 210 days, her answer and thanks, and her name as the
	// one who answered newa: in newa's state and in the question's.
	if f.Parts["attention_figures"] != 215 {
		t.Errorf("forgetting ann changed %d attention items, want 215", f.Parts["attention_figures"])
	}
	if e := exported("ann"); e.First != (time.Time{}) || len(e.Days) != 0 || len(e.Helped) != 0 {
		t.Errorf("ann's export after she is forgotten: %+v", e)
	}
	e = exported("newa")
	if e.FirstQuestion == nil || e.FirstQuestion.By != "" || e.FirstQuestion.Replied.IsZero() || e.Questions[0].By != "" || len(e.Helped) != 0 {
		t.Errorf("newa's export names ann after she is forgotten: %+v", e)
	}
	b, err := json.Marshal(report(t, mod, end.Add(40*24*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToLower(string(b)), "ann") {
		t.Errorf("the report names ann after she is forgotten:\n%s", b)
	}
	if _, err := st.ForgetMember(ctx, store.MemberRef{Platform: "irc", ID: "newb"}); err != nil {
		t.Fatal(err)
	}
	if got, want := newcomers(report(t, mod, end.Add(12*time.Hour))), []string{"Newc: no reply"}; !slices.Equal(got, want) {
		t.Errorf("newcomers after newb is forgotten: %q, want %q", got, want)
	}
}

// Every setting that cannot work is reported, with its field path.
func TestConfigProblems(t *testing.T) {
	mod := attention.New()
	c := mod.Config().(*attention.Config)
	c.UnansweredAfter, c.NewcomerFor, c.OpenFor = 30*time.Second, time.Hour, 0
	c.DropRatio, c.RegularMonths, c.MinUsual, c.Top = 1.5, 7, 0, 0
	ck := module.NewCheck("attention", nil, nil, nil)
	mod.Validate(ck)
	text := ck.Errors().Error()
	for _, want := range []string{"attention.unanswered_after: is 30s: from 1m to 168h0m0s", "attention.newcomer_for: is 1h0m0s: at least 24h",
		"attention.open_for: is 0s: at least 1h", "attention.drop_ratio: is 1.5: between 0 and 1", "attention.regular_months: is 7: from 1 to 6",
		"attention.min_usual: is 0", "attention.top: is 0"} {
		if !strings.Contains(text, want) {
			t.Errorf("problems lack %q:\n%s", want, text)
		}
	}
	ck = module.NewCheck("attention", nil, nil, nil)
	attention.New().Validate(ck)
	if errs := ck.Errors(); len(errs) != 0 {
		t.Errorf("the defaults have problems: %v", errs)
	}
}

// Where members are known by nick alone (IRC: the ID is the name), a nick
// back under another form ("kstamatis_") is no newcomer; elsewhere two
// members of the same name are two members.
func TestNickFormsAreNoNewcomers(t *testing.T) {
	st, mod := open(t, filepath.Join(t.TempDir(), "docent.db"), true)
	defer st.Close()
	at := end.Add(-3 * 24 * time.Hour)
	say := func(c chat.Conversation, t time.Time, id, name, text string) store.Record {
		return store.Record{Kind: store.KindMessage, Conversation: c, Time: t, Author: chat.Member{ID: id, Name: name}, Text: text}
	}
	slack := chat.Conversation{Platform: "slack", Channel: "C1"}
	importAll(t, st, []store.Record{
		say(dev, day0, "kstamatis", "kstamatis", "morning"),
		say(slack, day0, "U1", "kostas", "morning"),
		say(dev, at, "kstamatis_", "kstamatis_", "does anyone know where the solr logs go?"),
		say(slack, at, "U2", "kostas", "does anyone know where the solr logs go?"),
	})
	got := newcomers(report(t, mod, end))
	if want := []string{"kostas: no reply"}; !slices.Equal(got, want) {
		t.Errorf("newcomers %q, want %q", got, want)
	}
	if _, err := st.ForgetMember(ctx, store.MemberRef{Platform: "irc", ID: "kstamatis"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Import(ctx, []store.Record{say(dev, at.Add(time.Hour), "kstamatis", "kstamatis", "is anybody around here today?")}); err != nil {
		t.Fatal(err)
	}
	got = newcomers(report(t, mod, end))
	if want := []string{"kstamatis: no reply", "kostas: no reply"}; !slices.Equal(got, want) {
		t.Errorf("newcomers after kstamatis is forgotten and back: %q, want %q", got, want)
	}
}

// Retention deletes the figures older than its cutoff: days, questions
// and help; a first question asked before it is dropped, the first
// message's date stays (the member is no newcomer again).
func TestRetentionExpiresOldFigures(t *testing.T) {
	st, mod := open(t, filepath.Join(t.TempDir(), "docent.db"), true)
	defer st.Close()
	importAll(t, st, records(history()))
	cutoff := askedB // newa's question and ann's help are older
	r, err := st.DeleteBefore(ctx, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	// Ann's 206 days (0 to 205), bob's 182, cat's 11, newa's day; newa's question;
	// ann's answer and newa's thanks; newa's first question.
	if got := r.Parts["attention_figures"]; got != 206+182+11+1+1+2+1 {
		t.Errorf("retention deleted %d attention items, want %d", got, 206+182+11+1+1+2+1)
	}
	d, err := st.ExportMember(ctx, store.MemberRef{Platform: "irc", ID: "newa"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(d.Parts["attention"])
	if want := `{"first_message":"` + askedA.Add(-2*time.Minute).Format(time.RFC3339) + `"}`; string(b) != want {
		t.Errorf("newa's export after retention: %s, want %s", b, want)
	}
	rep := report(t, mod, end.Add(12*time.Hour))
	if got, want := newcomers(rep), []string{"Newc: no reply", "Newb: no reply"}; !slices.Equal(got, want) {
		t.Errorf("newcomers after retention %q, want %q", got, want)
	}
	if len(rep.Helpful) != 0 {
		t.Errorf("help before the cutoff is still counted: %+v", rep.Helpful)
	}
}

// A Discord reply to a question answers it, whatever the asker asked
// since; an emoji that says thanks on the reply, by a member the export
// names, thanks its author; reactors only counted are nobody.
func TestReferencedRepliesAndReactionsCount(t *testing.T) {
	st, mod := open(t, filepath.Join(t.TempDir(), "docent.db"), true)
	defer st.Close()
	help := chat.Conversation{Platform: "discord", Channel: "help"}
	member := func(id string) chat.Member { return chat.Member{ID: id, Name: strings.ToUpper(id[:1]) + id[1:]} }
	rec := func(min int, who, id, repliesTo, text string, rs ...store.Reaction) store.Record {
		return store.Record{Kind: store.KindMessage, Conversation: help, Time: askedA.Add(time.Duration(min) * time.Minute),
			Author: member(who), Text: text, PlatformID: id, RepliesTo: repliesTo, Reactions: rs}
	}
	importAll(t, st, []store.Record{
		rec(0, "newd", "p1", "", "how do I configure the indexer for solr?"),
		rec(1, "newd", "p2", "", "and where do the thumbnails get stored?"),
		rec(4, "ann", "p3", "p1", "set solr.url in local.cfg and restart",
			store.Reaction{Emoji: "👍", Count: 9, Members: []string{"newd", "ann"}},
			store.Reaction{Emoji: "white_check_mark", Count: 1, Members: []string{"zed"}}),
		rec(5, "zed", "p4", "", "nice one"),
	})
	r := report(t, mod, end)
	if got, want := helpful(r), []string{"Ann: 1 answers, 2 thanks, 2 helped"}; !slices.Equal(got, want) {
		t.Errorf("helpful %q, want %q", got, want)
	}
	// newd's first question had its reply: not a newcomer left waiting.
	if got, want := newcomers(r), []string{}; !slices.Equal(got, want) {
		t.Errorf("newcomers %q, want %q", got, want)
	}
	if got, want := open_(report(t, mod, askedA.Add(10*time.Minute))), []string{"Newd: and where do the thumbnails get stored?"}; !slices.Equal(got, want) {
		t.Errorf("open %q, want %q", got, want)
	}
}
