package dashboard

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/docent-bot/docent/bot/analytics"
	"github.com/docent-bot/docent/chat"
)

// window is the overview's range: the UTC days From to To, both in it.
type window struct {
	From, To time.Time
	// Last says it was asked as "the last N days" (?days= alone, or
	// nothing): it ends today.
	Last bool
}

// Days is how many days the window holds.
func (w window) Days() int { return int(w.To.Sub(w.From)/(24*time.Hour)) + 1 }

// defaultDays is the overview's window when the query names none.
const defaultDays = 30

// rangeError is a range the query asks for that the overview cannot show:
// its message is shown on the page.
type rangeError struct{ msg string }

func (e rangeError) Error() string { return e.msg }

// parseWindow reads the overview's range from q: ?from=&to= (dates like
// 2018-07-27, UTC), or ?days= ending on ?to= (default today) or starting
// on ?from=; nothing is the last 30 days. today is a UTC midnight.
func parseWindow(q url.Values, today time.Time) (window, error) {
	date := func(name string) (time.Time, bool, error) {
		v := q.Get(name)
		if v == "" {
			return time.Time{}, false, nil
		}
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return time.Time{}, false, rangeError{fmt.Sprintf("The range's %q must be a date like 2018-07-27, not %q.", name, v)}
		}
		return d, true, nil
	}
	from, hasFrom, err := date("from")
	if err != nil {
		return window{}, err
	}
	to, hasTo, err := date("to")
	if err != nil {
		return window{}, err
	}
	days, hasDays := defaultDays, q.Get("days") != ""
	if hasDays {
		n, err := strconv.Atoi(q.Get("days"))
		if err != nil || n < 1 || n > analytics.MaxDays {
			return window{}, rangeError{fmt.Sprintf("The range's \"days\" must be a whole number from 1 to %d, not %q.", analytics.MaxDays, q.Get("days"))}
		}
		days = n
	}
	w := window{From: from, To: to}
	switch {
	case hasFrom && hasTo && hasDays:
		return window{}, rangeError{"Give the range as from and to, or as days with from or to, not all three."}
	case hasFrom && hasTo:
	case hasFrom && hasDays:
		w.To = from.AddDate(0, 0, days-1)
	case hasFrom:
		w.To = today
	case hasTo:
		w.From = to.AddDate(0, 0, -(days - 1))
	default:
		w = window{From: today.AddDate(0, 0, -(days - 1)), To: today, Last: true}
	}
	switch {
	case w.To.Before(w.From):
		return window{}, rangeError{fmt.Sprintf("The range starts on %s, after it ends on %s.", w.From.Format(time.DateOnly), w.To.Format(time.DateOnly))}
	case w.Days() > analytics.MaxDays:
		return window{}, rangeError{fmt.Sprintf("The range from %s to %s is %d days long; the overview shows at most %d days (ten years).",
			w.From.Format(time.DateOnly), w.To.Format(time.DateOnly), w.Days(), analytics.MaxDays)}
	}
	return w, nil
}

// query is the overview's query for w: "the last N days" as ?days=N,
// which a bookmark keeps ending today; any other range by its dates.
func (w window) query() string {
	if w.Last {
		return "?days=" + strconv.Itoa(w.Days())
	}
	return "?from=" + w.From.Format(time.DateOnly) + "&to=" + w.To.Format(time.DateOnly)
}

// choice is a link to another range.
type choice struct {
	Label, Query string
	Here         bool // the range shown
}

type overviewData struct {
	Report  *analytics.Report // nil when the range is refused
	Heading string
	Per     string
	// Choices are quick ranges ending where this one ends, and the whole
	// history; Earlier and Later the ranges of the same length before and
	// after ("" for none).
	Choices        []choice
	Earlier, Later string
	// From and To fill the range's form.
	From, To string
	Activity template.HTML
	Sources  template.HTML
	Median   string
}

func (d *Dashboard) overview(w http.ResponseWriter, r *http.Request) {
	now := d.opts.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	win, err := parseWindow(r.URL.Query(), today)
	if bad, ok := err.(rangeError); ok {
		data := overviewData{From: r.URL.Query().Get("from"), To: r.URL.Query().Get("to"),
			Choices: []choice{{Label: "30 days", Query: "?days=30"}}}
		d.renderStatus(w, r, http.StatusBadRequest, bad.msg, "overview", "Activity", data)
		return
	}
	first, last, counted, err := analytics.Span(r.Context(), d.b.Store())
	if err != nil {
		d.fail(w, "find the history's first and last days", err)
		return
	}
	per := analytics.PerFor(win.Days())
	rep, err := analytics.Build(r.Context(), d.b.Store(), analytics.Query{Days: win.Days(), Now: win.To.Add(12 * time.Hour), Top: 10, Per: per})
	if err != nil {
		d.fail(w, "build the activity report", err)
		return
	}
	data := overviewData{Report: &rep, Per: per.String(), From: win.From.Format(time.DateOnly), To: win.To.Format(time.DateOnly), Median: "–"}
	if win.Last {
		data.Heading = fmt.Sprintf("The last %s (UTC), %s to %s.", chat.Plural(win.Days(), "day"), data.From, data.To)
	} else {
		data.Heading = fmt.Sprintf("%s to %s (UTC), %d days.", data.From, data.To, win.Days())
	}
	ending := func(days int) window {
		return window{From: win.To.AddDate(0, 0, -(days - 1)), To: win.To, Last: win.To.Equal(today)}
	}
	choices := []window{ending(7), ending(30), ending(365)}
	labels := []string{"7 days", "30 days", "1 year"}
	if counted {
		all := window{From: first, To: last}
		if all.Days() > analytics.MaxDays {
			all.From = last.AddDate(0, 0, -(analytics.MaxDays - 1))
		}
		choices, labels = append(choices, all), append(labels, "all history")
	}
	for i, c := range choices {
		data.Choices = append(data.Choices, choice{Label: labels[i], Query: c.query(),
			Here: c.From.Equal(win.From) && c.To.Equal(win.To)})
	}
	n := win.Days()
	data.Earlier = window{From: win.From.AddDate(0, 0, -n), To: win.From.AddDate(0, 0, -1)}.query()
	if win.To.Before(today) {
		later := window{From: win.To.AddDate(0, 0, 1), To: win.To.AddDate(0, 0, n)}
		if later.To.After(today) {
			later = window{From: today.AddDate(0, 0, -(n - 1)), To: today, Last: true}
		}
		data.Later = later.query()
	}

	years := win.From.Year() != win.To.Year()
	var labelsX, ticks []string
	msgs, members, answers := Series{Name: "messages"}, Series{Name: "active members"}, Series{Name: "answers"}
	for i, p := range rep.Periods {
		labelsX = append(labelsX, periodLabel(per, p.Day, years))
		if per == analytics.PerMonth {
			// A point a month: the axis names each year where it starts,
			// and the first year when its name has room before the next.
			tick := ""
			if i == 0 && p.Day.Month() <= time.October || i > 0 && p.Day.Year() != rep.Periods[i-1].Day.Year() {
				tick = strconv.Itoa(p.Day.Year())
			}
			ticks = append(ticks, tick)
		}
		msgs.Values = append(msgs.Values, float64(p.Messages))
		members.Values = append(members.Values, float64(p.Members))
		answers.Values = append(answers.Values, float64(p.Answers))
	}
	data.Activity = LineChartTicks("chart-activity", labelsX, ticks, []Series{msgs, members, answers})
	var srcLabels []string
	var srcValues []float64
	for _, s := range rep.Sources {
		srcLabels = append(srcLabels, string(s.Source))
		srcValues = append(srcValues, float64(s.Answers))
	}
	data.Sources = BarChart("chart-sources", srcLabels, srcValues)
	if rep.FirstAnswers > 0 {
		data.Median = time.Duration(rep.FirstAnswerMedian).Round(time.Millisecond).String()
	}
	d.render(w, r, "overview", "Activity", data)
}

// periodLabel names the period starting on day: with its year when the
// range spans years ("2015-03-02"), and a month as "Mar 2015".
func periodLabel(per analytics.Per, day time.Time, years bool) string {
	switch {
	case per == analytics.PerMonth:
		return day.Format("Jan 2006")
	case years:
		return day.Format(time.DateOnly)
	}
	return day.Format("Jan 2")
}
