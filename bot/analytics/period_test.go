package analytics_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/analytics"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

func TestPerFor(t *testing.T) {
	for days, want := range map[int]analytics.Per{
		1: analytics.PerDay, 30: analytics.PerDay, 120: analytics.PerDay,
		121: analytics.PerWeek, 365: analytics.PerWeek, 732: analytics.PerWeek,
		733: analytics.PerMonth, 3315: analytics.PerMonth,
	} {
		if got := analytics.PerFor(days); got != want {
			t.Errorf("PerFor(%d) = %s, want %s", days, got, want)
		}
	}
}

// TestActivityPeriods adds a window up by week and by month: each period
// starts on its first day in the window (a Monday, the first of a month,
// or the window's first day), sums the messages and answers of its days,
// and counts a member who wrote on several of its days, in two channels,
// once.
func TestActivityPeriods(t *testing.T) {
	ctx := context.Background()
	s := openCounting(t, dbPath(t), store.Options{})
	defer s.Close()
	sc := scene{T: t, S: s, Ctx: ctx}
	help := chat.Conversation{Platform: "irc", Channel: "#help"}
	dev := chat.Conversation{Platform: "irc", Channel: "#dev"}
	n := 0
	say := func(c chat.Conversation, who, date string) store.Record {
		at, err := time.Parse(time.DateOnly, date)
		if err != nil {
			t.Fatal(err)
		}
		n++
		return sc.Say(c, "", fmt.Sprint("m", n), who, "hello there", at.Add(10*time.Hour))
	}
	// Thursday 2015-01-29 to Tuesday 2015-03-03.
	say(help, "ann", "2015-01-29")
	say(dev, "ann", "2015-01-29")
	say(help, "bob", "2015-01-31")
	q := say(help, "ann", "2015-02-01") // a Sunday: still the week of Jan 26
	sc.Answer(q, "a1", chat.SourceIntent, "greeting", time.Second)
	say(help, "cat", "2015-02-02") // Monday
	say(dev, "ann", "2015-02-27")
	say(help, "bob", "2015-03-02") // Monday, and a new month
	say(help, "ann", "2015-03-03")
	say(help, "eve", "2015-03-04") // the day after the window

	from := time.Date(2015, 1, 29, 0, 0, 0, 0, time.UTC)
	to := time.Date(2015, 3, 4, 0, 0, 0, 0, time.UTC)
	type period struct {
		day                        string
		messages, members, answers int
	}
	for _, tc := range []struct {
		per  analytics.Per
		want []period
	}{
		{analytics.PerWeek, []period{
			{"2015-01-29", 4, 2, 1}, {"2015-02-02", 1, 1, 0}, {"2015-02-09", 0, 0, 0},
			{"2015-02-16", 0, 0, 0}, {"2015-02-23", 1, 1, 0}, {"2015-03-02", 2, 2, 0},
		}},
		{analytics.PerMonth, []period{
			{"2015-01-29", 3, 2, 0}, {"2015-02-01", 3, 2, 1}, {"2015-03-01", 2, 2, 0},
		}},
	} {
		a, err := analytics.ReadActivity(ctx, s, analytics.ActivityQuery{From: from, To: to, Per: tc.per}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []period
		for _, p := range a.Periods {
			got = append(got, period{p.Day.Format(time.DateOnly), p.Messages, p.Members, p.Answers})
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("by %s:\n got %v\nwant %v", tc.per, got, tc.want)
		}
		if len(a.Days) != 34 || a.Messages != 8 {
			t.Errorf("by %s: %d days and %d messages, want 34 and 8", tc.per, len(a.Days), a.Messages)
		}
	}
	// By day, the periods are the days, and ann's two channels on Jan 29
	// count her once.
	a, err := analytics.ReadActivity(ctx, s, analytics.ActivityQuery{From: from, To: to}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Periods) != len(a.Days) || a.Days[0].Members != 1 || a.Days[0].Messages != 2 || fmt.Sprint(a.Periods) != fmt.Sprint(a.Days) {
		t.Errorf("by day: %d periods for %d days, first day %+v", len(a.Periods), len(a.Days), a.Days[0])
	}
	for _, m := range a.Members {
		if m.ID == "ann" && m.Days != 4 {
			t.Errorf("ann wrote on %d days, want 4", m.Days)
		}
	}
}

// TestSpan finds the first and last days of a history from its counters,
// nine years apart, and reports none for an empty store.
func TestSpan(t *testing.T) {
	ctx := context.Background()
	s := openCounting(t, dbPath(t), store.Options{})
	defer s.Close()
	if _, _, ok, err := analytics.Span(ctx, s); err != nil || ok {
		t.Fatalf("Span of an empty store: ok %v, err %v; want none", ok, err)
	}
	sc := scene{T: t, S: s, Ctx: ctx}
	c := chat.Conversation{Platform: "irc", Channel: "#duraspace"}
	first := time.Date(2009, 6, 30, 23, 59, 0, 0, time.UTC)
	last := time.Date(2018, 7, 27, 0, 1, 0, 0, time.UTC)
	sc.Say(c, "", "m1", "ann", "hello", last)
	sc.Say(c, "", "m2", "bob", "hello", first)
	sc.Say(c, "", "m3", "ann", "hello", first.AddDate(3, 1, 0))
	got1, got2, ok, err := analytics.Span(ctx, s)
	if err != nil || !ok {
		t.Fatalf("Span: ok %v, err %v", ok, err)
	}
	if got1.Format(time.DateOnly) != "2009-06-30" || got2.Format(time.DateOnly) != "2018-07-27" {
		t.Errorf("Span = %s to %s, want 2009-06-30 to 2018-07-27", got1, got2)
	}
}

// TestTableByPeriod: `docent stats` over years reads by month, as the
// dashboard charts it, not as thousands of days.
func TestTableByPeriod(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	r := analytics.Report{From: day("2015-03-01"), To: day("2015-05-01"), Days: 61, Per: analytics.PerMonth,
		PerDay:  make([]analytics.DayActivity, 61),
		Periods: []analytics.DayActivity{{Day: day("2015-03-01"), Messages: 40, Members: 3}, {Day: day("2015-04-01"), Messages: 7, Members: 2}}}
	var out bytes.Buffer
	if err := r.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"Per month\n  month    messages  members  answers\n  2015-03  40        3        0\n  2015-04  7         2        0\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("table lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "Per day") || strings.Count(s, "\n  2015-") != 2 {
		t.Errorf("a table by month lists days:\n%s", s)
	}
}
