package analytics

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docent-bot/docent/store"
)

// Per is what a report's activity is added up by for its chart: days,
// weeks (from Monday) or calendar months, UTC.
type Per int

const (
	PerDay Per = iota
	PerWeek
	PerMonth
)

// Spans beyond which PerFor adds up by week, then by month: a chart
// keeps a readable number of points (at most 120 days, 105 weeks, then
// months).
const (
	weeklyAfter  = 120
	monthlyAfter = 2 * 366
)

// PerFor is what a window of days days is best charted by: days up to
// 120 days, weeks up to two years, months beyond.
func PerFor(days int) Per {
	switch {
	case days > monthlyAfter:
		return PerMonth
	case days > weeklyAfter:
		return PerWeek
	}
	return PerDay
}

func (p Per) String() string {
	switch p {
	case PerWeek:
		return "week"
	case PerMonth:
		return "month"
	}
	return "day"
}

// label names the period that begins on day in a table: the day, the
// week's first day ("2015-03-02", a Monday, or the window's first day),
// or the month ("2015-03").
func (p Per) label(day time.Time) string {
	if p == PerMonth {
		return day.Format("2006-01")
	}
	return day.Format(time.DateOnly)
}

// MarshalText writes p as its name, in `docent stats --json`.
func (p Per) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// starts reports whether a period begins on day (a UTC midnight).
func (p Per) starts(day time.Time) bool {
	switch p {
	case PerWeek:
		return day.Weekday() == time.Monday
	case PerMonth:
		return day.Day() == 1
	}
	return true
}

// errFound stops a scan at the first key it sees.
var errFound = errors.New("found")

// Span returns the first and last UTC days that have activity counters:
// the whole history, imported years included, read from the counters'
// keys (a few seeks), not from the records. ok is false when nothing is
// counted yet.
func Span(ctx context.Context, st store.Buckets) (first, last time.Time, ok bool, err error) {
	err = st.View(ctx, func(tx *store.Tx) error {
		// after reports whether a counter is kept for a day from d on.
		after := func(d int64) (bool, time.Time, error) {
			var at time.Time
			err := tx.ScanRange(statsBucket, dayKey(d), nil, func(k, _ []byte) error {
				key, err := parseStatsKey(k)
				if err != nil {
					return err
				}
				at = dayTime(key.day)
				return errFound
			})
			if errors.Is(err, errFound) {
				return true, at, nil
			}
			return false, at, err
		}
		found, at, err := after(-dayOffset)
		if err != nil || !found {
			return err
		}
		first, last, ok = at, at, true
		// The store's scans go forward only: the last day is found by
		// halving the days after the first (about 22 seeks).
		lo, hi := dayOf(at)+1, int64(1<<32-1-dayOffset)
		for lo < hi {
			if err := ctx.Err(); err != nil {
				return err
			}
			mid := lo + (hi-lo)/2
			found, at, err := after(mid)
			if err != nil {
				return err
			}
			if found {
				last, lo = at, dayOf(at)+1
			} else {
				hi = mid
			}
		}
		return nil
	})
	if err != nil {
		return time.Time{}, time.Time{}, false, fmt.Errorf("analytics: find the first and last days of the history: %w", err)
	}
	return first, last, ok, nil
}
