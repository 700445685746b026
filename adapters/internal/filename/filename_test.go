package filename

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSafe(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"docent-export.json", "docent-export.json"},
		{"../../etc/passwd", "passwd"},
		{`..\..\Windows\win.ini`, "win.ini"},
		{"/tmp/x.json", "x.json"},
		{"exports/", Fallback},
		{"..", Fallback},
		{"...", Fallback},
		{"", Fallback},
		{" . ", Fallback},
		{".bashrc", "bashrc"},
		{"a..b.json", "a.b.json"},
		{"report.json.", "report.json"},
		{"new\nline\x00.json", "new_line_.json"},
		{`what?<>:"|*.json`, "what_______.json"},
		{"tab\there.json", "tab_here.json"},
		{"no\u00a0break\u2028.json", "no break.json"},
		{"NUL.json", "_NUL.json"},
		{"com1", "_com1"},
		{"aux.tar.gz", "_aux.tar.gz"},
		{"auxiliary.json", "auxiliary.json"},
		{"café ☕.json", "café ☕.json"},
		{"bad\xffutf8.json", "badutf8.json"},
		{strings.Repeat("a", 300) + ".json", strings.Repeat("a", 115) + ".json"},
		{strings.Repeat("é", 100) + ".json", strings.Repeat("é", 57) + ".json"},
		{"x." + strings.Repeat("e", 200), "x"},
	} {
		if got := Safe(tc.in); got != tc.want {
			t.Errorf("Safe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzSafe(f *testing.F) {
	for _, s := range []string{"docent-export.json", "../../x", `a\..\b`, "..", "NUL", "\x00", strings.Repeat("é", 80)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := Safe(in)
		switch {
		case got == "":
			t.Fatalf("Safe(%q) is empty", in)
		case strings.ContainsAny(got, "/\\\x00"):
			t.Fatalf("Safe(%q) = %q holds a separator or NUL", in, got)
		case strings.Contains(got, ".."):
			t.Fatalf("Safe(%q) = %q holds ..", in, got)
		case strings.HasPrefix(got, ".") || strings.HasSuffix(got, ".") || strings.TrimSpace(got) != got:
			t.Fatalf("Safe(%q) = %q starts or ends with a dot or a space", in, got)
		case !utf8.ValidString(got):
			t.Fatalf("Safe(%q) = %q is not UTF-8", in, got)
		case len(got) > maxBytes:
			t.Fatalf("Safe(%q) = %q is %d bytes", in, got, len(got))
		case Safe(got) != got:
			t.Fatalf("Safe is not stable: %q → %q → %q", in, got, Safe(got))
		}
	})
}
