package attention

import (
	"context"
	_ "embed"
	"time"

	"github.com/docent-bot/docent/bot/module"
)

//go:embed page.html
var membersPage string

// Pages is the dashboard's members page: who needs attention now, or as
// of ?at=2018-07-25 (the end of that day, UTC) on an imported history.
func (mod *Module) Pages() []module.Page {
	return []module.Page{{Path: "members", Title: "Members", Template: membersPage, Data: mod.pageData}}
}

type pageData struct {
	Report
	AtDay    string // the ?at asked for, "" for now
	BadAt    string // an ?at that is no date
	Wait     string // unanswered_after, written short
	RatioPct string // drop_ratio as a percentage
}

func (mod *Module) pageData(ctx context.Context) (any, error) {
	var at time.Time
	d := pageData{Wait: showDuration(mod.cfg.UnansweredAfter), RatioPct: percent(mod.cfg.DropRatio)}
	if s := module.PageQuery(ctx).Get("at"); s != "" {
		t, err := ParseAt(s)
		if err != nil {
			d.BadAt = s
		} else {
			at, d.AtDay = t, s
		}
	}
	r, err := mod.Report(ctx, at)
	if err != nil {
		return nil, err
	}
	d.Report = r
	return d, nil
}

// ParseAt reads a date (2006-01-02) as the end of that day, UTC.
func ParseAt(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.Add(24*time.Hour - time.Second), nil
}

// Wait is how long the question has waited, written short ("2d3h").
func (q Question) Wait() string { return showDuration(q.Waiting) }

// After says whether and when a newcomer's first question had a reply.
func (n Newcomer) After() string {
	if n.Replied.IsZero() {
		return "no reply"
	}
	s := "replied after " + showDuration(n.Replied.Sub(n.Asked))
	if n.By != "" {
		s += " by " + n.By
	}
	return s
}

// Percent is the unanswered share as a percentage.
func (y YearRow) Percent() string { return percent(y.Share) }
