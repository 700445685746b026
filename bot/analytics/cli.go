package analytics

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
)

// CommandLine is `docent stats`: the community's figures, read from the
// database the config names (or --db).
func (mod *Module) CommandLine() []module.CLICommand {
	return []module.CLICommand{
		{Name: "stats", Group: "History and analytics", Args: "[--config FILE] [--db FILE] [--days N] [--to DATE | --all] [--platform P] [--space ID] [--channel ID] [--top N] [--json]", Summary: "the community's activity: messages, members, channels, hours, askers, helpers, intents, answers and votes, time to first answer, trending words", Run: printStats},
	}
}

func printStats(cl module.CommandLine, args []string) int {
	fs := cl.Flags()
	days := fs.Int("days", 30, fmt.Sprintf("the window: the last `N` days up to --to, 1 to %d", MaxDays))
	to := fs.String("to", "", "the window's last `DATE`, 2006-01-02 (UTC; default today): an imported history's last day, say")
	all := fs.Bool("all", false, fmt.Sprintf("the whole stored history, imported years included, from its first day to its last (its last %d days if longer); not with --days or --to", MaxDays))
	platform := fs.String("platform", "", "only this `platform` (discord, slack, console)")
	space := fs.String("space", "", "only this Discord guild or Slack workspace `ID`")
	channel := fs.String("channel", "", "only this channel `ID`")
	top := fs.Int("top", 10, "entries in each ranking")
	jsonOut := fs.Bool("json", false, "print one JSON object")
	cfg, code, done := cl.Setup(fs, args, true)
	if done {
		return code
	}
	if *days < 1 || *days > MaxDays || *top < 1 {
		fmt.Fprintf(cl.Stderr(), "docent stats: --days must be 1 to %d and --top at least 1\n", MaxDays)
		return module.ExitUsage
	}
	if *all {
		var given []string
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "days" || f.Name == "to" {
				given = append(given, "--"+f.Name)
			}
		})
		if len(given) > 0 {
			fmt.Fprintf(cl.Stderr(), "docent stats: --all is the whole history; it takes no %s\n", strings.Join(given, " or "))
			return module.ExitUsage
		}
	}
	var now time.Time // the window's last day; zero is today
	if *to != "" {
		d, err := time.Parse(time.DateOnly, *to)
		if err != nil {
			fmt.Fprintf(cl.Stderr(), "docent stats: --to %q is not a date like 2018-07-25\n", *to)
			return module.ExitUsage
		}
		now = d.Add(12 * time.Hour)
	}
	st, err := cfg.OpenStore()
	if err != nil {
		fmt.Fprintf(cl.Stderr(), "docent stats: %v\n", err)
		return module.ExitError
	}
	defer st.Close()
	start := time.Now()
	first, last, counted, err := Span(context.Background(), st)
	if err != nil {
		fmt.Fprintf(cl.Stderr(), "docent stats: %v\n", err)
		return module.ExitError
	}
	if *all && counted {
		now = last.Add(12 * time.Hour)
		*days = min(MaxDays, int(last.Sub(first).Hours()/24)+1)
	}
	r, err := Build(context.Background(), st, Query{
		Days: *days, Now: now, Platform: *platform, Space: *space, Channel: *channel, Top: *top, Per: PerFor(*days)})
	if err != nil {
		fmt.Fprintln(cl.Stderr(), err)
		return module.ExitError
	}
	took := time.Since(start)
	if *jsonOut {
		enc := json.NewEncoder(cl.Stdout())
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r); err != nil {
			fmt.Fprintln(cl.Stderr(), err)
			return module.ExitError
		}
		return module.ExitOK
	}
	if err := r.WriteTable(cl.Stdout()); err != nil {
		fmt.Fprintln(cl.Stderr(), err)
		return module.ExitError
	}
	fmt.Fprintf(cl.Stdout(), "\n(read in %s)\n", took.Round(time.Millisecond))
	if note := spanNote(r, first, last, counted, *all); note != "" {
		fmt.Fprintln(cl.Stdout(), note)
	}
	return module.ExitOK
}

// spanNote tells an admin whose window misses part of the stored history
// (the default 30 days up to today, after importing years that ended
// long ago, say) where that history is and how to see it: "" when the
// window holds all of it.
func spanNote(r Report, first, last time.Time, counted, all bool) string {
	if !counted {
		return ""
	}
	if !first.Before(r.From) && last.Before(r.To) { // To is the day after the window
		return ""
	}
	span := fmt.Sprintf("The stored history spans %s to %s (%s)", first.Format(time.DateOnly), last.Format(time.DateOnly), chat.Plural(int(last.Sub(first).Hours()/24)+1, "day"))
	if all {
		return span + fmt.Sprintf("; --all shows its last %d days.", MaxDays)
	}
	return span + "; --all shows all of it, --to DATE and --days N any part."
}
