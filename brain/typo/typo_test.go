package typo

import (
	"slices"
	"testing"
	"unicode/utf8"
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

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"model", "model", 0},
		{"modle", "model", 1}, // swap
		{"modl", "model", 1}, {"models", "model", 1}, {"modal", "model", 1},
		{"timout", "timeout", 1}, {"baseurl", "base_url", 1}, {"maxhistory", "max_history", 1},
		{"ulr", "url", 1}, {"colour", "model", 5}, {"abcd", "dcba", 3},
		{"ca", "abc", 3},                                             // the restricted distance: a swapped pair is not edited again
		{"café", "cafe", 1}, {"naïve", "naive", 1}, {"日本語", "日本", 1}, // letters, not bytes
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := Distance(tc.b, tc.a); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}

// FuzzOneEdit holds the byte-wise fast test to the letter-wise distance:
// the same answer for ASCII words, and never one edit apart when the
// distance says more.
func FuzzOneEdit(f *testing.F) {
	for _, p := range [][2]string{{"helo", "hello"}, {"chnagelog", "changelog"}, {"ab", "ba"}, {"café", "cafe"}, {"é", "è"}, {"", "x"}} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		one, d := OneEdit(a, b), Distance(a, b)
		if OneEdit(b, a) != one {
			t.Fatalf("OneEdit(%q, %q) = %v, but not the other way round", a, b, one)
		}
		if isASCII(a) && isASCII(b) && one != (d <= 1) {
			t.Fatalf("OneEdit(%q, %q) = %v, but Distance = %d", a, b, one, d)
		}
		if utf8.ValidString(a) && utf8.ValidString(b) && one && d > 1 {
			t.Fatalf("OneEdit(%q, %q), but Distance = %d", a, b, d)
		}
	})
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// BenchmarkOneEdit: the indexes test every candidate that shares a key
// with a question's word; OneEdit spares them Distance's table.
func BenchmarkOneEdit(b *testing.B) {
	for _, bc := range []struct {
		name string
		f    func(a, b string) bool
	}{
		{"OneEdit", OneEdit},
		{"Distance", func(a, b string) bool { return Distance(a, b) <= 1 }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				bc.f("chnagelog", "changelog")
				bc.f("configuration", "configurations")
				bc.f("timeout", "layout")
			}
		})
	}
}
