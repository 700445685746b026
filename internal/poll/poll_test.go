package poll

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSettled(t *testing.T) {
	for _, tc := range []struct {
		name  string
		polls []string
		want  []bool
	}{
		{"unchanged", []string{"a", "a", "a"}, []bool{false, false, false}},
		{"changed then held", []string{"b", "b", "b"}, []bool{false, true, false}},
		{"still changing", []string{"b", "c", "d", "d"}, []bool{false, false, false, true}},
		{"changed back before it held", []string{"b", "a", "b", "b"}, []bool{false, false, false, true}},
		{"two changes, each held", []string{"b", "b", "c", "c"}, []bool{false, true, false, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSettled("a")
			for i, cur := range tc.polls {
				if got := s.Changed(cur); got != tc.want[i] {
					t.Errorf("poll %d (%q): Changed = %v, want %v", i+1, cur, got, tc.want[i])
				}
			}
		})
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	write := func(name, text string, mod time.Time) {
		t.Helper()
		if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(name, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	state := func(names ...string) string {
		var s Files
		for _, n := range names {
			s.Stat(n)
		}
		return s.String()
	}
	then := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	write(a, "one", then)
	write(b, "two", then)
	before := state(a, b)
	if got := state(b, a); got != before {
		t.Errorf("the order of the files changed the state:\n%s\nvs\n%s", got, before)
	}
	if got := state(a, b); got != before {
		t.Errorf("unchanged files, another state:\n%s\nvs\n%s", got, before)
	}
	for _, step := range []struct {
		name string
		do   func()
	}{
		{"saved with the same size", func() { write(a, "uno", then.Add(time.Second)) }},
		{"resized, same time", func() { write(a, "eins!", then.Add(time.Second)) }},
		{"removed", func() { os.Remove(b) }},
	} {
		step.do()
		if got := state(a, b); got == before {
			t.Errorf("%s: the state did not change:\n%s", step.name, got)
		} else {
			before = got
		}
	}
	var s Files
	s.Fail("c.yaml", errors.New("permission denied"))
	if got, want := s.String(), "c.yaml: permission denied"; got != want {
		t.Errorf("Fail: state %q, want %q", got, want)
	}
	var none Files
	if none.String() != "" {
		t.Errorf("no files: state %q, want empty", none.String())
	}
}
