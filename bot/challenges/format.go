package challenges

import (
	"fmt"
	"time"
)

// Human writes a duration the way people say it, to two units at most:
// "3d 4h", "2h 5m", "45s". Under a second is "a moment".
func Human(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Second:
		return "a moment"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return two(int(d/time.Minute), "m", int(d%time.Minute/time.Second), "s")
	case d < 24*time.Hour:
		return two(int(d/time.Hour), "h", int(d%time.Hour/time.Minute), "m")
	case d >= 365*24*time.Hour:
		return fmt.Sprintf("%d years", int(d/(365*24*time.Hour)))
	}
	return two(int(d/(24*time.Hour)), "d", int(d%(24*time.Hour)/time.Hour), "h")
}

func two(a int, ua string, b int, ub string) string {
	if b == 0 {
		return fmt.Sprintf("%d%s", a, ua)
	}
	return fmt.Sprintf("%d%s %d%s", a, ua, b, ub)
}

// When writes a time for members, in UTC: "Sat 28 Nov 2026 18:00 UTC".
func When(t time.Time) string {
	return t.UTC().Format("Mon 2 Jan 2006 15:04 UTC")
}
