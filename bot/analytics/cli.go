package analytics

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/docent-bot/docent/bot/module"
)

// CommandLine is `docent stats`: the community's figures, read from the
// database the config names (or --db).
func (mod *Module) CommandLine() []module.CLICommand {
	return []module.CLICommand{
		{Name: "stats", Group: "History and analytics", Args: "[--config FILE] [--db FILE] [--days N] [--to DATE] [--platform P] [--space ID] [--channel ID] [--top N] [--json]", Summary: "the community's activity: messages, members, channels, hours, askers, helpers, intents, answers and votes, time to first answer, trending words", Run: printStats},
	}
}

func printStats(cl module.CommandLine, args []string) int {
	fs := cl.Flags()
	days := fs.Int("days", 30, fmt.Sprintf("the window: the last `N` days up to --to, 1 to %d", MaxDays))
	to := fs.String("to", "", "the window's last `DATE`, 2006-01-02 (UTC; default today): an imported history's last day, say")
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
	return module.ExitOK
}
