package analytics

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docent-bot/docent/chat"
)

// WriteTable writes the report for a terminal: the totals, then each
// section as an aligned table.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format, args...) }
	p("Activity %s to %s (%s, UTC)%s\n", r.From.Format(time.DateOnly), r.LastDay().Format(time.DateOnly), chat.Plural(r.Days, "day"), r.scope())
	p("  messages\t%d\n  active members\t%d\n  answers\t%d\n", r.Messages, r.ActiveMembers, r.Answers)
	p("  time to first answer\t%s\n", r.firstAnswer())
	if len(r.BusiestHours) > 0 {
		p("  busiest hours (UTC)\t%s\n", r.hours())
	}
	section := func(title, header string) { p("\n%s\n  %s\n", title, header) }

	// A long window reads by week or month (Query.Per), as the
	// dashboard charts it: ten years are 120 lines, not 3,650.
	periods := r.Periods
	if len(periods) == 0 {
		periods = r.PerDay
	}
	section("Per "+r.Per.String(), r.Per.String()+"\tmessages\tmembers\tanswers")
	for _, d := range periods {
		p("  %s\t%d\t%d\t%d\n", r.Per.label(d.Day), d.Messages, d.Members, d.Answers)
	}
	section("Busiest channels", "platform\tspace\tchannel\tmessages")
	for _, c := range r.Channels {
		p("  %s\t%s\t%s\t%d\n", c.Platform, dash(c.Space), c.Channel, c.Messages)
	}
	section("Top askers (questions Docent answered)", "platform\tmember\tname\tquestions")
	for _, m := range r.TopAskers {
		p("  %s\t%s\t%s\t%d\n", m.Platform, m.ID, dash(m.Name), m.Count)
	}
	section("Top helpers (thanks and 👍 on their replies)", "platform\tmember\tname\tcredits")
	for _, m := range r.TopHelpers {
		p("  %s\t%s\t%s\t%d\n", m.Platform, m.ID, dash(m.Name), m.Count)
	}
	section("Intents asked most", "intent\tanswers")
	for _, c := range r.Intents {
		p("  %s\t%d\n", c.Name, c.Count)
	}
	section("Answers by source", "source\tanswers\t👍\t👎\tliked")
	for _, s := range r.Sources {
		p("  %s\t%d\t%d\t%d\t%s\n", s.Source, s.Answers, s.Up, s.Down, liked(s.Liked))
	}
	section("Trending (against the previous "+chat.Plural(r.Days, "day")+")", "term\tmessages\tbefore\tscore")
	for _, t := range r.Trending {
		p("  %s\t%d\t%d\t%.1f\n", t.Term, t.Count, t.Previous, t.Score)
	}
	return tw.Flush()
}

// LastDay is the last day in the window (To is the day after it): what a
// page or a table names as the window's end.
func (r Report) LastDay() time.Time { return r.To.AddDate(0, 0, -1) }

func (r Report) scope() string {
	var parts []string
	for _, f := range []struct{ name, v string }{{"platform", r.Platform}, {"space", r.Space}, {"channel", r.Channel}} {
		if f.v != "" {
			parts = append(parts, f.name+" "+f.v)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return ", " + strings.Join(parts, ", ")
}

func (r Report) firstAnswer() string {
	if r.FirstAnswers == 0 {
		return "no questions answered"
	}
	return fmt.Sprintf("median %s, 90%% within %s (%d questions)",
		roundDuration(time.Duration(r.FirstAnswerMedian)), roundDuration(time.Duration(r.FirstAnswerP90)), r.FirstAnswers)
}

func (r Report) hours() string {
	var hs []string
	for _, h := range r.BusiestHours {
		hs = append(hs, fmt.Sprintf("%02d:00 (%d)", h, r.Hours[h]))
	}
	return strings.Join(hs, ", ")
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d < 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	case d < time.Second:
		return d.Round(time.Millisecond)
	case d < time.Minute:
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}

func liked(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", *v*100)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Chat renders the report for a chat reply. channel formats a channel the
// way the platform links it, and member a member.
type Chat struct {
	Channel func(ChannelActivity) string
	Member  func(Person) string
}

// Summary is the stats command's reply.
func (c Chat) Summary(r Report) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "**Activity, last %s**: %d messages from %d members; %d answers.",
		chat.Plural(r.Days, "day"), r.Messages, r.ActiveMembers, r.Answers)
	if r.Messages == 0 && r.Answers == 0 {
		return sb.String()
	}
	fmt.Fprintf(&sb, "\nTime to first answer: %s.", r.firstAnswer())
	if len(r.Sources) > 0 {
		var parts []string
		for _, s := range r.Sources {
			part := fmt.Sprintf("%s %d", s.Source, s.Answers)
			if s.Liked != nil {
				part += fmt.Sprintf(" (%s liked of %d votes)", liked(s.Liked), s.Up+s.Down)
			}
			parts = append(parts, part)
		}
		fmt.Fprintf(&sb, "\nAnswers: %s.", strings.Join(parts, ", "))
	}
	if len(r.Channels) > 0 {
		var parts []string
		for _, ch := range r.Channels[:min(3, len(r.Channels))] {
			parts = append(parts, fmt.Sprintf("%s (%d)", c.Channel(ch), ch.Messages))
		}
		fmt.Fprintf(&sb, "\nBusiest channels: %s.", strings.Join(parts, ", "))
	}
	if len(r.BusiestHours) > 0 {
		fmt.Fprintf(&sb, "\nBusiest hours (UTC): %s.", r.hours())
	}
	if len(r.Intents) > 0 {
		var parts []string
		for _, in := range r.Intents[:min(5, len(r.Intents))] {
			parts = append(parts, fmt.Sprintf("%s (%d)", in.Name, in.Count))
		}
		fmt.Fprintf(&sb, "\nAsked most: %s.", strings.Join(parts, ", "))
	}
	return sb.String()
}

// Top is the top command's reply: top askers and helpers.
func (c Chat) Top(r Report) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "**Top members, last %s**", chat.Plural(r.Days, "day"))
	list := func(title string, ps []Person, unit string) {
		fmt.Fprintf(&sb, "\n%s:", title)
		if len(ps) == 0 {
			sb.WriteString(" nobody yet.")
			return
		}
		for i, p := range ps[:min(5, len(ps))] {
			fmt.Fprintf(&sb, "\n%d. %s: %s", i+1, c.Member(p), chat.Plural(p.Count, unit))
		}
	}
	list("Helpers (thanks and 👍 on their replies)", r.TopHelpers, "credit")
	list("Askers", r.TopAskers, "question")
	return sb.String()
}

// Trending is the trending command's reply.
func (c Chat) Trending(r Report) string {
	if len(r.Trending) == 0 {
		return fmt.Sprintf("Nothing is trending: no word was used clearly more in the last %s than in the %s before.",
			chat.Plural(r.Days, "day"), chat.Plural(r.Days, "day"))
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "**Trending, last %s against the %s before**", chat.Plural(r.Days, "day"), chat.Plural(r.Days, "day"))
	for i, t := range r.Trending[:min(10, len(r.Trending))] {
		fmt.Fprintf(&sb, "\n%d. %s: %s (was %d)", i+1, t.Term, chat.Plural(t.Count, "message"), t.Previous)
	}
	return sb.String()
}
