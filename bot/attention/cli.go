package attention

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/docent-bot/docent/bot/module"
)

// CommandLine is `docent members`: who needs attention, read from the
// database the config names (or --db), now or as of a past day.
func (mod *Module) CommandLine() []module.CLICommand {
	return []module.CLICommand{{Name: "members", Group: "History and analytics",
		Args:    "[--config FILE] [--db FILE] [--at DATE] [--first-questions] [--json]",
		Summary: "who needs attention: newcomers whose first question had no reply, questions still open, regulars who went quiet, the most helpful members",
		Help: "The lists are made from the figures the attention module keeps of the stored history (an imported one too), " +
			"as of now or as of the end of --at's day (UTC); the last table counts, per year, the newcomers' first questions " +
			"and how many had a reply within attention.unanswered_after.",
		Run: mod.printMembers}}
}

func (mod *Module) printMembers(cl module.CommandLine, args []string) int {
	fs := cl.Flags()
	at := fs.String("at", "", "the lists as of the end of `DATE`, 2006-01-02 (UTC; default now): a day of an imported history, say")
	firstOnly := fs.Bool("first-questions", false, "print only the per-year table of newcomers' first questions")
	jsonOut := fs.Bool("json", false, "print one JSON object")
	cfg, code, done := cl.Setup(fs, args, true)
	if done {
		return code
	}
	when := time.Now()
	if *at != "" {
		t, err := ParseAt(*at)
		if err != nil {
			fmt.Fprintf(cl.Stderr(), "docent members: --at %q is not a date like 2018-07-25\n", *at)
			return module.ExitUsage
		}
		when = t
	}
	configured := cfg.Module(mod.Name()).(*Module)
	st, err := cfg.OpenStore()
	if err != nil {
		fmt.Fprintf(cl.Stderr(), "docent members: %v\n", err)
		return module.ExitError
	}
	defer st.Close()
	r, err := Build(context.Background(), st, configured.cfg, when)
	if err != nil {
		fmt.Fprintf(cl.Stderr(), "docent members: %v\n", err)
		return module.ExitError
	}
	switch {
	case *jsonOut:
		enc := json.NewEncoder(cl.Stdout())
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		err = enc.Encode(r)
	case *firstOnly:
		err = r.WriteFirstQuestions(cl.Stdout())
	default:
		err = r.WriteTable(cl.Stdout())
	}
	if err != nil {
		fmt.Fprintf(cl.Stderr(), "docent members: %v\n", err)
		return module.ExitError
	}
	return module.ExitOK
}
