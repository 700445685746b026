package recommend

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/store"
)

// CommandLine is `docent recommend eval`.
func (mod *Module) CommandLine() []module.CLICommand {
	return []module.CLICommand{{Name: "recommend eval", Group: "History and analytics",
		Args:    "[--config FILE] [--db FILE] [--held-out] [--common N] [--half-life D] [--held-out-months N] [--json]",
		Summary: "measure the members' profiles on the stored history: precision@3 of next month's distinctive words beside two baselines",
		Help: "For each member and month, the words the member's profile ranks first (from what came before the month) are\n" +
			"compared with the distinctive words the member uses that month; beside them, the community's trending words\n" +
			"of last month and the member's most frequent words so far. The most common words are left out. The last\n" +
			"months are held out: tune on the rest, and only at the end look at them with --held-out.",
		Run: evalCommand}}
}

func evalCommand(cl module.CommandLine, args []string) int {
	fs := cl.Flags()
	heldOut := fs.Bool("held-out", false, "also score the held-out months (look at them only once the method is tuned)")
	common := fs.Int("common", 200, "leave out the `N` most common words (by the messages using them, before each month)")
	halfLife := fs.Duration("half-life", 0, "the profiles' half-life (default: recommend.half_life)")
	months := fs.Int("held-out-months", 6, "the last `N` months are the held-out part")
	jsonOut := fs.Bool("json", false, "print the scores and every prediction as JSON")
	cfg, code, done := cl.Setup(fs, args, true)
	if done {
		return code
	}
	if *common < 0 || *months < 1 || *halfLife < 0 {
		fmt.Fprintln(cl.Stderr(), "docent recommend eval: --common must be 0 or more, --held-out-months at least 1, --half-life not negative")
		return module.ExitUsage
	}
	mod, _ := cfg.Module("recommend").(*Module)
	if mod == nil {
		mod = New()
	}
	learn := mod.learner("!")
	if *halfLife > 0 {
		learn.HalfLife = *halfLife
	}
	st, err := cfg.OpenStore()
	if err != nil {
		fmt.Fprintf(cl.Stderr(), "docent recommend eval: %v\n", err)
		return module.ExitError
	}
	defer st.Close()
	ctx, cancel := cl.Context()
	defer cancel()
	recs, err := History(ctx, st)
	if err != nil {
		fmt.Fprintf(cl.Stderr(), "docent recommend eval: %v\n", err)
		return module.ExitError
	}
	res := Evaluate(recs, EvalOptions{Learner: learn, Common: *common, HeldOutMonths: *months})
	if !*heldOut {
		res.HeldOut = Score{}
		var tune []Prediction
		for _, p := range res.Predictions {
			if !p.HeldOut {
				tune = append(tune, p)
			}
		}
		res.Predictions = tune
	}
	if *jsonOut {
		enc := json.NewEncoder(cl.Stdout())
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			fmt.Fprintln(cl.Stderr(), err)
			return module.ExitError
		}
		return module.ExitOK
	}
	writeResult(cl.Stdout(), res, *heldOut, *common, learn.HalfLife)
	return module.ExitOK
}

// History reads every record of st (for the evaluation), oldest first.
func History(ctx context.Context, st *store.Store) ([]store.Record, error) {
	convs, err := st.Conversations(ctx)
	if err != nil {
		return nil, err
	}
	var out []store.Record
	for _, c := range convs {
		recs, err := st.Conversation(ctx, c.Conversation, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
	}
	return out, nil
}

func writeResult(w io.Writer, res EvalResult, heldOut bool, common int, halfLife time.Duration) {
	fmt.Fprintf(w, "Next month's distinctive words per member, precision@%d (the %d most common words left out; half-life %s)\n",
		K, common, halfLife)
	fmt.Fprintf(w, "history: %s to %s, %d messages, %d members; held out: %s on\n\n", res.First, res.Last, res.Messages, res.Members, res.HeldOutFrom)
	fmt.Fprintf(w, "%-9s %14s %8s %9s %9s\n", "part", "member-months", "profile", "trending", "frequent")
	row := func(name string, s Score) {
		fmt.Fprintf(w, "%-9s %14d %8.3f %9.3f %9.3f\n", name, s.MemberMonths, s.Method, s.Trending, s.Frequent)
	}
	row("tune", res.Tune)
	if heldOut {
		row("held-out", res.HeldOut)
	} else {
		fmt.Fprintln(w, "held-out  (not shown: --held-out, once the method is tuned)")
	}
}
