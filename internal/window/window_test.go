package window

import (
	"testing"
	"time"
)

func TestTimes(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	for _, tc := range []struct {
		name   string
		marks  []time.Duration // when "k" is marked
		check  time.Duration
		within bool
	}{
		{"never marked", nil, 0, false},
		{"just marked", []time.Duration{0}, 0, true},
		{"inside the window", []time.Duration{0}, 5*time.Minute - time.Nanosecond, true},
		{"at the window's edge", []time.Duration{0}, 5 * time.Minute, false},
		{"long after", []time.Duration{0}, time.Hour, false},
		{"marked again: the window starts over", []time.Duration{0, 4 * time.Minute}, 8 * time.Minute, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := New[string](5 * time.Minute)
			for _, m := range tc.marks {
				w.Mark("k", at(m))
			}
			if got := w.Within("k", at(tc.check)); got != tc.within {
				t.Errorf("Within = %v, want %v", got, tc.within)
			}
			if got := w.Take("k", at(tc.check)); got != tc.within {
				t.Errorf("Take = %v, want %v", got, tc.within)
			}
			if w.Within("k", at(tc.check)) || w.Take("k", at(tc.check)) {
				t.Error("k still held after Take")
			}
		})
	}
}

// TestTimesDropsOld: marking a key drops those that left the window, so
// that the map holds only recent keys however many come and go.
func TestTimesDropsOld(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w := New[int](time.Minute)
	for i := range 1000 {
		w.Mark(i, t0.Add(time.Duration(i)*time.Second))
	}
	if n := w.Len(); n != 60 { // marked less than a minute before the last one
		t.Errorf("holds %d keys, want 60", n)
	}
	if !w.Within(999, t0.Add(999*time.Second)) || w.Within(900, t0.Add(999*time.Second)) {
		t.Error("the window does not hold the recent keys alone")
	}
}
