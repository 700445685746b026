package routing

import (
	"fmt"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat/topics"
	"github.com/docent-bot/docent/store"
)

// CommandLine is `docent routing eval`.
func (mod *Module) CommandLine() []module.CLICommand {
	return []module.CLICommand{{
		Name: "routing eval", Group: "History and analytics",
		Args:    "[--config FILE] [--db FILE] [--since DATE] [--held-out-from DATE] [--window 10m] [--held-out] [--members N] [--examples N]",
		Summary: "how well routing finds who answers a question, on the stored history, beside the baselines",
		Help: `It reads the history in time order and, for each open question from --since
(default: two years before the last record) that got an addressed reply (or a
Discord reply to it) within --window, ranks the members using only what happened before it, by routing's
ranking and by three baselines (the most recently active members, the most active
in the last 90 days, the most answers so far), and prints hit@1, hit@5 and MRR for
the true answerer, a breakdown by answerer, and the questions whose answerer was
not the busiest member. Questions from --held-out-from (default: six months before
the last record) are the held-out part, printed only with --held-out.`,
		Run: mod.evalCommand,
	}}
}

func (mod *Module) evalCommand(cl module.CommandLine, args []string) int {
	fs := cl.Flags()
	since := fs.String("since", "", "score questions from this `DATE` (2006-01-02; default: two years before the last record)")
	heldFrom := fs.String("held-out-from", "", "the held-out part starts on this `DATE` (default: six months before the last record)")
	window := fs.Duration("window", 10*time.Minute, "a reply within this `duration` of the question answers it")
	held := fs.Bool("held-out", false, "print the held-out part too (look at it last: tune on the rest)")
	members := fs.Int("members", 3, "list the answerers of at least `N` questions")
	examples := fs.Int("examples", 15, "list up to `N` questions not answered by the busiest member")
	cfg, code, done := cl.Setup(fs, args, true)
	if done {
		return code
	}
	parse := func(flag, s string) (time.Time, bool) {
		if s == "" {
			return time.Time{}, true
		}
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			fmt.Fprintf(cl.Stderr(), "docent routing eval: --%s %q is not a date like 2016-07-27\n", flag, s)
			return time.Time{}, false
		}
		return t, true
	}
	from, ok1 := parse("since", *since)
	hold, ok2 := parse("held-out-from", *heldFrom)
	if !ok1 || !ok2 || *window <= 0 || *window > time.Hour {
		if ok1 && ok2 {
			fmt.Fprintln(cl.Stderr(), "docent routing eval: --window must be above 0 and at most 1h")
		}
		return module.ExitUsage
	}
	st, err := cfg.OpenStore()
	if err != nil {
		fmt.Fprintf(cl.Stderr(), "docent routing eval: %v\n", err)
		return module.ExitError
	}
	defer st.Close()
	ctx, cancel := cl.Context()
	defer cancel()
	var recs []store.Record
	if err := History(ctx, st, func(r store.Record) { recs = append(recs, r) }); err != nil {
		fmt.Fprintf(cl.Stderr(), "docent routing eval: %v\n", err)
		return module.ExitError
	}
	if len(recs) == 0 {
		fmt.Fprintln(cl.Stderr(), "docent routing eval: the database has no history")
		return module.ExitError
	}
	last := recs[len(recs)-1].Time
	if from.IsZero() {
		from = last.AddDate(-2, 0, 0)
	}
	if hold.IsZero() {
		hold = last.AddDate(0, -6, 0)
	}
	ev := NewEvaluator(EvalOptions{Since: from, HeldOut: hold, Window: *window, Text: topics.Text{CommandPrefix: evalPrefix}})
	for _, r := range recs {
		ev.Feed(r)
	}
	parts := []string{"tune"}
	if *held {
		parts = append(parts, "held-out")
	}
	if err := ev.Report().WriteText(cl.Stdout(), *members, *examples, parts...); err != nil {
		fmt.Fprintf(cl.Stderr(), "docent routing eval: %v\n", err)
		return module.ExitError
	}
	return module.ExitOK
}

// evalPrefix is the command prefix the evaluation skips commands by: the
// default's (the command line's configuration does not lend the bot's).
const evalPrefix = "!"
