package analytics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/docent-bot/docent/bot/analytics"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

func TestTerms(t *testing.T) {
	text := analytics.Text{CommandPrefix: "!"}
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"How do I install Docent on Kubernetes?", []string{"install", "docent", "kubernetes"}},
		{"the the THE install install", []string{"install"}},
		{"!stats 30", nil},
		{"arm64 build fails on node-18 and x86_64", []string{"arm64", "build", "fails", "node-18", "x86_64"}},
		{"12345 678", nil}, // numbers are not topics
		{"如何部署机器人", []string{"如何", "何部", "部署", "署机", "机器", "器人"}},
		{"trailing-- dash", []string{"trailing", "dash"}},
		{strings.Repeat("a", 100) + " ok word", []string{"word"}},
		{"\xff\xfe odd bytes here", []string{"odd", "bytes"}},
	} {
		if got := text.Terms(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("Terms(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	many := strings.Repeat("word", 1) + " "
	for i := range 100 {
		many += "term" + strconv.Itoa(i) + " "
	}
	if n := len(text.Terms(many)); n != 32 {
		t.Errorf("a message with 101 words gives %d terms, want the bound 32", n)
	}
}

func TestThanks(t *testing.T) {
	text := analytics.Text{}
	for in, want := range map[string]bool{
		"thanks!": true, "Thank you so much": true, "ty": true, "thx, fixed": true, "谢谢你": true,
		"typo in the docs": false, "thanksgiving plans": false, "the theory": false, "": false,
	} {
		if got := text.Thanks(in); got != want {
			t.Errorf("Thanks(%q) = %v, want %v", in, got, want)
		}
	}
}

var known = []analytics.Known{
	{Intent: "install", Text: "how do I install docent"},
	{Intent: "report_bug", Text: "where do I report a bug"},
	{Intent: "greeting", Text: "hello there"},
	{Intent: "config", Text: "where is the config file"},
}

func openStore(t testing.TB, path string) *store.Store {
	t.Helper()
	st, err := store.Open(path, counting(store.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestReport generates a month of history and checks that the report
// agrees with itself and finds what the generator put in: every source,
// helpers thanked, and the topics that trend in the last two weeks.
func TestReport(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "docent.db"))
	defer st.Close()
	end := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	gen, err := analytics.Generate(ctx, st, analytics.Generation{Messages: 6000, Days: 28, End: end, Seed: 1, Known: known})
	if err != nil {
		t.Fatal(err)
	}
	if gen.Messages != 6000 || gen.Answers < 3000 || gen.Votes == 0 {
		t.Fatalf("generated %+v", gen)
	}
	all, err := analytics.Build(ctx, st, analytics.Query{Days: 28, Now: end})
	if err != nil {
		t.Fatal(err)
	}
	if all.Messages != gen.Messages || all.Answers != gen.Answers {
		t.Errorf("report: %d messages, %d answers; generated %d, %d", all.Messages, all.Answers, gen.Messages, gen.Answers)
	}
	perDay, hours := 0, 0
	for _, d := range all.PerDay {
		perDay += d.Messages
		if d.Members > all.ActiveMembers {
			t.Errorf("%s: %d members in a day, more than %d in the window", d.Day, d.Members, all.ActiveMembers)
		}
	}
	for _, n := range all.Hours {
		hours += n
	}
	if perDay != all.Messages || hours != all.Messages || len(all.PerDay) != 28 {
		t.Errorf("per day %d, per hour %d, messages %d, days %d", perDay, hours, all.Messages, len(all.PerDay))
	}
	sources := map[chat.Source]analytics.Source{}
	for _, s := range all.Sources {
		sources[s.Source] = s
	}
	for _, src := range []chat.Source{chat.SourceIntent, chat.SourceKnowledge, chat.SourceFallback, chat.SourceLLM, chat.SourceCommand} {
		if sources[src].Answers == 0 {
			t.Errorf("no %s answers in %+v", src, all.Sources)
		}
	}
	if s := sources[chat.SourceIntent]; s.Liked == nil || *s.Liked < 0.5 {
		t.Errorf("intent answers: %+v, want votes mostly up", s)
	}
	if len(all.TopHelpers) == 0 || len(all.TopAskers) == 0 || all.TopAskers[0].Count < all.TopAskers[len(all.TopAskers)-1].Count {
		t.Errorf("askers %+v, helpers %+v", all.TopAskers, all.TopHelpers)
	}
	if all.FirstAnswers == 0 || all.FirstAnswerMedian <= 0 || all.FirstAnswerP90 < all.FirstAnswerMedian {
		t.Errorf("first answers %d, median %v, p90 %v", all.FirstAnswers, all.FirstAnswerMedian, all.FirstAnswerP90)
	}
	if len(all.Intents) != len(known) {
		t.Errorf("intents %+v", all.Intents)
	}

	// The last 14 days against the 14 before: the generator's trending
	// topics lead.
	recent, err := analytics.Build(ctx, st, analytics.Query{Days: 14, Now: end, Top: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(recent.Trending) < 3 {
		t.Fatalf("trending %+v", recent.Trending)
	}
	for _, tr := range recent.Trending[:3] {
		if !slices.Contains([]string{"arm64", "wasm", "riscv"}, tr.Term) {
			t.Errorf("trending %+v: want arm64, wasm and riscv first", recent.Trending)
			break
		}
	}

	// Narrowed to Slack, every figure is Slack's.
	slack, err := analytics.Build(ctx, st, analytics.Query{Days: 28, Now: end, Platform: "slack"})
	if err != nil {
		t.Fatal(err)
	}
	if slack.Messages == 0 || slack.Messages >= all.Messages {
		t.Errorf("slack %d of %d messages", slack.Messages, all.Messages)
	}
	for _, c := range slack.Channels {
		if c.Platform != "slack" {
			t.Errorf("slack report lists %+v", c)
		}
	}

	var table bytes.Buffer
	if err := all.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"messages", "Busiest channels", "Top helpers", "Trending", "c-help", "median"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	js, err := json.Marshal(all)
	if err != nil || !bytes.Contains(js, []byte(`"first_answer_median_ms":`)) {
		t.Errorf("json %s, %v", js[:min(200, len(js))], err)
	}
	if _, err := analytics.Build(ctx, st, analytics.Query{Days: 0}); err == nil {
		t.Error("a 0-day window was accepted")
	}
}

// The benchmark's history is generated once per process, in a directory
// removed at exit: BenchmarkReport runs several times with growing b.N.
var (
	benchOnce sync.Once
	benchDir  string
	benchErr  error
	benchGen  analytics.Generated
)

const benchMessages = 1_000_000

// BenchmarkReport measures `stats` over a 30-day window (and the 30 days
// before it, for trending) of a generated history of a million messages
// over 90 days: the report must take under 2 s.
//
//	go test ./bot/analytics -run '^$' -bench Report -benchtime 5x
func BenchmarkReport(b *testing.B) {
	end := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "docent-bench-*")
		if benchErr != nil {
			return
		}
		st, err := store.Open(filepath.Join(benchDir, "docent.db"), counting(store.Options{}))
		if err != nil {
			benchErr = err
			return
		}
		defer st.Close()
		benchGen, benchErr = analytics.Generate(context.Background(), st,
			analytics.Generation{Messages: benchMessages, Days: 90, End: end, Seed: 7, Known: known})
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	b.Logf("history: %d messages, %d answers, %d votes, generated in %s", benchGen.Messages, benchGen.Answers, benchGen.Votes, benchGen.Took.Round(time.Millisecond))
	st := openStore(b, filepath.Join(benchDir, "docent.db"))
	defer st.Close()
	ctx := context.Background()
	var r analytics.Report
	for b.Loop() {
		var err error
		if r, err = analytics.Build(ctx, st, analytics.Query{Days: 30, Now: end}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(r.Messages), "msgs-in-window")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// FuzzTerms: any text gives at most 32 distinct terms, each valid UTF-8
// and short, and never panics.
func FuzzTerms(f *testing.F) {
	for _, s := range []string{"How do I install Docent on Kubernetes?", "如何部署机器人", "\xff\xfe", "!stats", "a-b_c-- x86_64"} {
		f.Add(s)
	}
	text := analytics.Text{CommandPrefix: "!"}
	f.Fuzz(func(t *testing.T, s string) {
		terms := text.Terms(s)
		if len(terms) > 32 {
			t.Fatalf("%d terms", len(terms))
		}
		seen := map[string]bool{}
		for _, term := range terms {
			if seen[term] || !utf8.ValidString(term) || utf8.RuneCountInString(term) > 40 || term == "" {
				t.Fatalf("bad term %q in %q", term, terms)
			}
			seen[term] = true
		}
		text.Thanks(s)
	})
}

// counting adds the analytics module's recorder and member part to opts,
// as the bot wires them, with the prefix "!".
func counting(opts store.Options) store.Options {
	mod := analytics.New()
	opts.Recorders = append(opts.Recorders, mod.Recorders(module.RecordEnv{Prefix: "!"})...)
	opts.Parts = append(opts.Parts, mod.MemberParts()...)
	return opts
}
