package typo

import (
	"slices"
	"testing"
)

func TestOneEdit(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"hello", "hello", true}, {"helo", "hello", true}, {"hello", "helo", true}, {"helllo", "hello", true},
		{"contribte", "contribute", true}, {"chnagelog", "changelog", true}, {"changelgo", "changelog", true},
		{"instal", "install", true}, {"hallo", "hello", true},
		{"hel", "hello", false}, {"chnagleog", "changelog", false}, {"timeout", "layout", false}, {"abcd", "dcba", false},
	} {
		if got := OneEdit(tc.a, tc.b); got != tc.want {
			t.Errorf("OneEdit(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestKeysMeetOneEditApart: two words one edit apart share a key, as the
// indexes that file words under Keys rely on.
func TestKeysMeetOneEditApart(t *testing.T) {
	for _, p := range [][2]string{{"helo", "hello"}, {"chnagelog", "changelog"}, {"hallo", "hello"}, {"instal", "install"}} {
		if !slices.ContainsFunc(Keys(p[0]), func(k string) bool { return slices.Contains(Keys(p[1]), k) }) {
			t.Errorf("%q and %q share no key: %v, %v", p[0], p[1], Keys(p[0]), Keys(p[1]))
		}
	}
	if got := Keys("aab"); !slices.Equal(got, []string{"aab", "ab", "aa"}) {
		t.Errorf("Keys(aab) = %v, want each key once", got)
	}
}
