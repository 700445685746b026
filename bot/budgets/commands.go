package budgets

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
)

// Commands are the admins' `!usage`.
func (mod *Module) Commands() []module.Command {
	usage := module.Command{Name: "usage", Admin: true, Summary: "today's LLM usage against the budget, and who used the most",
		Run: func(ctx context.Context, _ *module.Message, _ string) (chat.Answer, error) {
			text, err := mod.Report(ctx)
			return chat.Answer{Text: text, Ephemeral: true}, err
		}}
	if !mod.llmOn {
		usage.Unavailable = "There is no LLM usage to report: the AI assistant is not set up here (llm.enabled is false in the configuration)."
	}
	return []module.Command{usage}
}

// Report is `!usage`: today's totals against the budget, and who and
// where used the most.
func (mod *Module) Report(ctx context.Context) (string, error) {
	day := Day(mod.now())
	all, err := mod.records.Day(ctx, day)
	if err != nil {
		return "", err
	}
	total := all[scopeAll]
	var sb strings.Builder
	fmt.Fprintf(&sb, "LLM usage today (%s, UTC): %d answers, %d tokens", day, total.Requests, total.Tokens)
	if lim := mod.cfg.DailyTokens; lim > 0 {
		fmt.Fprintf(&sb, " of %d (%.0f%%)", lim, 100*float64(total.Tokens)/float64(lim))
	}
	sb.WriteString(".")
	for _, kind := range []string{"member", "channel"} {
		type row struct {
			name string
			u    Usage
		}
		var rows []row
		for scope, u := range all {
			if name, ok := strings.CutPrefix(scope, kind+":"); ok {
				rows = append(rows, row{name, u})
			}
		}
		slices.SortFunc(rows, func(a, b row) int {
			return cmp.Or(cmp.Compare(b.u.Tokens, a.u.Tokens), strings.Compare(a.name, b.name))
		})
		if len(rows) > 5 {
			rows = rows[:5]
		}
		for i, r := range rows {
			if i == 0 {
				fmt.Fprintf(&sb, "\nTop %ss:", kind)
			}
			fmt.Fprintf(&sb, " %s %d answers (%d tokens);", r.name, r.u.Requests, r.u.Tokens)
		}
	}
	return strings.TrimSuffix(sb.String(), ";"), nil
}
