package analytics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/analytics"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

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
	for _, dir := range []string{benchDir, yearsDir} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

// counting adds the analytics module's recorder and member part to opts,
// as the bot wires them, with the prefix "!".
func counting(opts store.Options) store.Options {
	mod := analytics.New()
	opts.Recorders = append(opts.Recorders, mod.Recorders(module.RecordEnv{Prefix: "!"})...)
	opts.Parts = append(opts.Parts, mod.MemberParts()...)
	return opts
}

// The nine-year benchmark's history, generated once per process like
// BenchmarkReport's.
var (
	yearsOnce sync.Once
	yearsDir  string
	yearsErr  error
	yearsGen  analytics.Generated
)

// yearsEnd and yearsDays are the nine years of BenchmarkReportYears, as
// long as an imported IRC history (2009-06-30 to 2018-07-27).
var yearsEnd = time.Date(2018, 7, 27, 18, 0, 0, 0, time.UTC)

const yearsDays = 3315

// BenchmarkReportYears measures the dashboard's overview over all of a
// nine-year history of a million generated messages (12 channels): the
// report, with the chart's points, must stay well under a second.
//
//	go test ./bot/analytics -run '^$' -bench ReportYears -benchtime 5x
func BenchmarkReportYears(b *testing.B) {
	yearsOnce.Do(func() {
		yearsDir, yearsErr = os.MkdirTemp("", "docent-bench-years-*")
		if yearsErr != nil {
			return
		}
		st, err := store.Open(filepath.Join(yearsDir, "docent.db"), counting(store.Options{}))
		if err != nil {
			yearsErr = err
			return
		}
		defer st.Close()
		yearsGen, yearsErr = analytics.Generate(context.Background(), st,
			analytics.Generation{Messages: benchMessages, Days: yearsDays, End: yearsEnd, Seed: 7, Known: known})
	})
	if yearsErr != nil {
		b.Fatal(yearsErr)
	}
	b.Logf("history: %d messages, %d answers, %d votes, generated in %s", yearsGen.Messages, yearsGen.Answers, yearsGen.Votes, yearsGen.Took.Round(time.Millisecond))
	st := openStore(b, filepath.Join(yearsDir, "docent.db"))
	defer st.Close()
	ctx := context.Background()
	var r analytics.Report
	for b.Loop() {
		var err error
		if r, err = analytics.Build(ctx, st, analytics.Query{Days: yearsDays, Now: yearsEnd}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(r.Messages), "msgs-in-window")
}
