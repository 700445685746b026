package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/importer"
	"github.com/docent-bot/docent/store"
)

// The years of an imported IRC history, as the DuraSpace one's.
var (
	historyFirst = time.Date(2009, 6, 30, 0, 0, 0, 0, time.UTC)
	historyLast  = time.Date(2018, 7, 27, 0, 0, 0, 0, time.UTC)
)

// importYears imports, through `docent import`'s JSONL reader, an IRC
// history from historyFirst to historyLast: on the 1st and 15th of each
// month (and the first and last days), a few messages by members who
// change over the years. It returns the members' messages by month
// ("2015-03").
func importYears(t *testing.T, st *store.Store) map[string]int {
	t.Helper()
	perMonth := map[string]int{}
	var b strings.Builder
	line := func(at time.Time, who, text string) {
		l, err := json.Marshal(map[string]string{"time": at.Format(time.RFC3339), "channel": "#duraspace", "author": who, "text": text, "kind": "message"})
		if err != nil {
			t.Fatal(err)
		}
		b.Write(append(l, '\n'))
		perMonth[at.Format("2006-01")]++
	}
	days := []time.Time{historyFirst}
	for m := time.Date(2009, 7, 1, 0, 0, 0, 0, time.UTC); m.Before(historyLast); m = m.AddDate(0, 1, 0) {
		days = append(days, m, m.AddDate(0, 0, 14))
	}
	days = append(days, historyLast)
	for i, day := range days {
		n := 1 + (i*7)%5 + day.Year() - 2009 // busier over the years
		for j := range n {
			who := fmt.Sprintf("nick%d", (i+j)%4+day.Year()-2009)
			line(day.Add(time.Duration(9*60+j)*time.Minute), who, fmt.Sprintf("how do I configure the handle server, step %d?", j))
		}
	}
	text := b.String()
	if _, err := importer.ImportJSONL(context.Background(), st, "duraspace.jsonl", int64(len(text)), strings.NewReader(text), importer.Options{Platform: "irc"}); err != nil {
		t.Fatal(err)
	}
	return perMonth
}

// points are the values of one series of a chart, in order.
func points(t *testing.T, page, chart, series string) []int {
	t.Helper()
	svg := regexp.MustCompile(`(?s)<svg class="chart" id="` + chart + `".*?</svg>`).FindString(page)
	var out []int
	for _, m := range regexp.MustCompile(`<circle class="pt s\d" data-series="`+series+`" data-value="(\d+)"`).FindAllStringSubmatch(svg, -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	return out
}

// ticks are the names under a chart's axis.
func ticks(page, chart string) []string {
	svg := regexp.MustCompile(`(?s)<svg class="chart" id="` + chart + `".*?</svg>`).FindString(page)
	var out []string
	for _, m := range regexp.MustCompile(`<text class="tick"[^>]*>([^<]*)</text>`).FindAllStringSubmatch(svg, -1) {
		out = append(out, m[1])
	}
	return out
}

// The overview over nine imported years: a point a month, the axis naming
// the years, the figures and tables over the whole range, links to other
// ranges that keep its end, and the whole history one click away from
// today's window.
func TestOverviewOverImportedYears(t *testing.T) {
	now := time.Date(2026, 5, 10, 15, 4, 0, 0, time.UTC)
	s := startServer(t, Options{Now: func() time.Time { return now }})
	perMonth := importYears(t, s.bot.Store())

	// Today's window is empty, and links to all of the history.
	code, body := get(t, http.DefaultClient, s.ops+"/admin/")
	if code != http.StatusOK {
		t.Fatalf("/admin/: %d", code)
	}
	if want := `<a href="?from=2009-06-30&amp;to=2018-07-27">all history</a>`; !strings.Contains(body, want) {
		t.Errorf("/admin/ lacks %s", want)
	}

	code, body = get(t, http.DefaultClient, s.ops+"/admin/?from=2009-06-30&to=2018-07-27")
	if code != http.StatusOK {
		t.Fatalf("all history: %d", code)
	}
	for _, want := range []string{
		"2009-06-30 to 2018-07-27 (UTC), 3315 days.", "Activity per month", "<strong>all history</strong>",
		`<a href="?from=2018-06-28&amp;to=2018-07-27">30 days</a>`, `<a href="?from=2017-07-28&amp;to=2018-07-27">1 year</a>`,
		`<a href="?from=2000-06-02&amp;to=2009-06-29" id="earlier">`, `<a href="?days=3315" id="later">`,
		"<title>Mar 2015 messages: " + strconv.Itoa(perMonth["2015-03"]) + "</title>",
		"<td>#duraspace</td>", "<td>nick9</td>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("all history lacks %q", want)
		}
	}
	var want []int
	total := 0
	for m := time.Date(2009, 6, 1, 0, 0, 0, 0, time.UTC); !m.After(historyLast); m = m.AddDate(0, 1, 0) {
		want = append(want, perMonth[m.Format("2006-01")])
		total += perMonth[m.Format("2006-01")]
	}
	if got := points(t, body, "chart-activity", "messages"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("messages per month:\n got %v\nwant %v", got, want)
	}
	if got := regexp.MustCompile(`id="messages">(\d+)<`).FindStringSubmatch(body); got == nil || got[1] != strconv.Itoa(total) {
		t.Errorf("messages card %v, want %d", got, total)
	}
	if got, want := strings.Join(ticks(body, "chart-activity"), " "), "2009 2010 2011 2012 2013 2014 2015 2016 2017 2018"; got != want {
		t.Errorf("the axis names %q, want %q", got, want)
	}

	// A year is drawn by week, labelled with dates that carry the year.
	code, body = get(t, http.DefaultClient, s.ops+"/admin/?days=365&to=2015-03-31")
	if code != http.StatusOK {
		t.Fatalf("a year: %d", code)
	}
	weeks := points(t, body, "chart-activity", "messages")
	if !strings.Contains(body, "2014-04-01 to 2015-03-31 (UTC), 365 days.") || !strings.Contains(body, "Activity per week") || len(weeks) != 53 {
		t.Errorf("a year: %d weekly points, heading %q", len(weeks), regexp.MustCompile(`id="window">[^<]*`).FindString(body))
	}
	if !strings.Contains(body, "<title>2014-04-07 messages: ") || !strings.Contains(body, `<strong>1 year</strong>`) ||
		!strings.Contains(body, `<a href="?from=2015-03-02&amp;to=2015-03-31">30 days</a>`) {
		t.Errorf("a year: no weeks labelled by date, or links that lose the range's end")
	}
	// Within a year, days are labelled as before.
	_, body = get(t, http.DefaultClient, s.ops+"/admin/?from=2015-03-01&to=2015-03-31")
	if got := points(t, body, "chart-activity", "messages"); len(got) != 31 || got[0] != perMonth["2015-03"]-got[14] || !strings.Contains(body, "<title>Mar 15 messages: ") {
		t.Errorf("March 2015 by day: %v", got)
	}
}

// A range the overview cannot show is refused on the page, with what was
// wrong, and the form to try again: never a 500.
func TestOverviewRefusesBadRanges(t *testing.T) {
	now := time.Date(2026, 5, 10, 15, 4, 0, 0, time.UTC)
	s := startServer(t, Options{Now: func() time.Time { return now }})
	for query, want := range map[string]string{
		"from=2018-13-01&to=2018-12-31":        `The range&#39;s &#34;from&#34; must be a date like 2018-07-27, not &#34;2018-13-01&#34;.`,
		"to=yesterday":                         `The range&#39;s &#34;to&#34; must be a date like 2018-07-27, not &#34;yesterday&#34;.`,
		"days=abc":                             `The range&#39;s &#34;days&#34; must be a whole number from 1 to 3650, not &#34;abc&#34;.`,
		"days=0":                               `must be a whole number from 1 to 3650, not &#34;0&#34;.`,
		"days=4000":                            `must be a whole number from 1 to 3650, not &#34;4000&#34;.`,
		"from=2018-07-27&to=2009-06-30":        "The range starts on 2018-07-27, after it ends on 2009-06-30.",
		"from=1999-01-01&to=2018-07-27":        "The range from 1999-01-01 to 2018-07-27 is 7148 days long; the overview shows at most 3650 days (ten years).",
		"from=2018-01-01&to=2018-02-01&days=3": "Give the range as from and to, or as days with from or to, not all three.",
		"from=2027-01-01":                      "The range starts on 2027-01-01, after it ends on 2026-05-10.",
	} {
		code, body := get(t, http.DefaultClient, s.ops+"/admin/?"+query)
		if code != http.StatusBadRequest {
			t.Errorf("?%s: %d, want 400", query, code)
		}
		if !strings.Contains(body, `<p class="flash bad" id="flash">`) || !strings.Contains(body, want) {
			t.Errorf("?%s: the page does not say %q:\n%.600s", query, want, regexp.MustCompile(`(?s)<main>.*`).FindString(body))
		}
		if !strings.Contains(body, `<form class="inline range"`) {
			t.Errorf("?%s: no form to try another range", query)
		}
	}
	// What is understood: days from a start, and a start up to today.
	for query, want := range map[string]string{
		"from=2026-01-01&days=10": "2026-01-01 to 2026-01-10 (UTC), 10 days.",
		"from=2026-05-01":         "2026-05-01 to 2026-05-10 (UTC), 10 days.",
		"to=2026-03-01":           "2026-01-31 to 2026-03-01 (UTC), 30 days.",
		"days=7":                  "The last 7 days (UTC), 2026-05-04 to 2026-05-10.",
	} {
		code, body := get(t, http.DefaultClient, s.ops+"/admin/?"+query)
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("?%s: %d, want 200 and %q", query, code, want)
		}
	}
}

// The dashboard's pages link /static/style.css on the ops listener, which
// served none since the dashboard moved off the web chat's address: the
// pages were unstyled.
func TestDashboardServesItsStylesheet(t *testing.T) {
	s := startServer(t, Options{})
	_, page := get(t, http.DefaultClient, s.ops+"/admin/")
	if !strings.Contains(page, `<link rel="stylesheet" href="/static/style.css">`) {
		t.Fatal("the overview links no /static/style.css")
	}
	res, err := http.Get(s.ops + "/static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	css, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") || !strings.Contains(string(css), ".card") {
		t.Errorf("GET %s/static/style.css: %s, %q, %d bytes; want the stylesheet with the dashboard's cards", s.ops, res.Status, res.Header.Get("Content-Type"), len(css))
	}
	if code, _ := get(t, http.DefaultClient, s.ops+"/static/chat.js"); code != http.StatusNotFound {
		t.Errorf("GET /static/chat.js on the ops listener: %d, want 404 (the chat is not served there)", code)
	}
}
