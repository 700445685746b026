package budgets

import (
	"cmp"
	"context"
	_ "embed"
	"slices"
	"strconv"
	"strings"

	"github.com/docent-bot/docent/bot/module"
)

//go:embed page.html
var pageTemplate string

// Pages is the dashboard's usage page: the LLM's use per day, today's by
// member and channel, and the budget.
func (mod *Module) Pages() []module.Page {
	return []module.Page{{Path: "usage", Title: "LLM usage", Template: pageTemplate, Data: mod.pageData}}
}

// DayUsage is the LLM's use on one UTC day.
type DayUsage struct {
	Day   string
	Usage Usage
}

type pageData struct {
	Days    []DayUsage
	Labels  []string  // the days, for the chart
	Tokens  []float64 // per day, for the chart
	Answers []float64
	Budget  Config
	Enabled bool
	Today   []scopeUsage
	Total   Usage
}

type scopeUsage struct {
	Scope string
	Usage Usage
}

// pageDays is how many days the page shows: ?days=N, 1 to 365, else 14.
func pageDays(ctx context.Context) int {
	n, err := strconv.Atoi(module.PageQuery(ctx).Get("days"))
	if err != nil || n < 1 || n > 365 {
		return 14
	}
	return n
}

func (mod *Module) pageData(ctx context.Context) (any, error) {
	perDay, err := mod.PerDay(ctx, pageDays(ctx))
	if err != nil {
		return nil, err
	}
	today, err := mod.records.Day(ctx, Day(mod.now()))
	if err != nil {
		return nil, err
	}
	data := pageData{Days: perDay, Budget: mod.cfg, Enabled: mod.llmOn, Total: today[scopeAll]}
	for _, u := range perDay {
		data.Labels = append(data.Labels, u.Day[5:])
		data.Tokens = append(data.Tokens, float64(u.Usage.Tokens))
		data.Answers = append(data.Answers, float64(u.Usage.Requests))
	}
	for s, u := range today {
		if s != scopeAll {
			data.Today = append(data.Today, scopeUsage{s, u})
		}
	}
	slices.SortFunc(data.Today, func(a, b scopeUsage) int {
		return cmp.Or(cmp.Compare(b.Usage.Tokens, a.Usage.Tokens), strings.Compare(a.Scope, b.Scope))
	})
	data.Today = data.Today[:min(len(data.Today), 20)]
	return data, nil
}

// PerDay returns the LLM's use on each of the last days (UTC), oldest
// first.
func (mod *Module) PerDay(ctx context.Context, days int) ([]DayUsage, error) {
	now := mod.now().UTC()
	var out []DayUsage
	for i := days - 1; i >= 0; i-- {
		day := Day(now.AddDate(0, 0, -i))
		u, err := mod.records.On(ctx, day, scopeAll)
		if err != nil {
			return nil, err
		}
		out = append(out, DayUsage{Day: day, Usage: u[0]})
	}
	return out, nil
}
