package chat

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 80, "short"},
		{"how do I rotate the signing keys", 20, "how do I rotate…"},
		{strings.Repeat("x", 30), 10, strings.Repeat("x", 9) + "…"},
		// Each character is 3 bytes: a cut at 8 bytes would split the third.
		{"怎么报告一个错误", 10, "怎么报…"},
		{"怎么报告一个错误", 9, "怎么…"},
	} {
		got := Clip(tc.in, tc.n)
		if got != tc.want || !utf8.ValidString(got) {
			t.Errorf("Clip(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
