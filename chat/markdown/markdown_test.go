package markdown

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestParseCodeBlocks(t *testing.T) {
	type code struct {
		text, marker, info, lang string
		closed                   bool
	}
	for _, tc := range []struct {
		name, src string
		want      []code
	}{
		{"backticks", "a\n\n```go\nx := 1\n```\nb", []code{{"```go\nx := 1\n```", "```", "go", "go", true}}},
		{"tildes", "~~~~ yaml {file=\"x\"}\nk: v\n~~~~\n", []code{{"~~~~ yaml {file=\"x\"}\nk: v\n~~~~", "~~~~", `yaml {file="x"}`, "yaml", true}}},
		{"indented fence", "   ```\n   x\n   ```", []code{{"   ```\n   x\n   ```", "```", "", "", true}}},
		{"shorter fence does not close", "````\n```\n````", []code{{"````\n```\n````", "````", "", "", true}}},
		{"in a list", "- step:\n\n  ```sh\n  make\n  ```\n- next", []code{{"  ```sh\n  make\n  ```", "```", "sh", "sh", true}}},
		{"in a quote", "> ```\n> q\n> ```\n", []code{{"> ```\n> q\n> ```", "```", "", "", true}}},
		{"unclosed", "text\n```py\nprint(1)\n", []code{{"```py\nprint(1)", "```", "py", "py", false}}},
		{"empty", "```\n```", []code{{"```\n```", "```", "", "", true}}},
		{"four spaces is not a fence", "    ```\n    x", nil},
		{"in a footnote", "a[^1]\n\n[^1]: Run:\n\n    ```sh\n    make\n    ```\n\nb", []code{{"    ```sh\n    make\n    ```", "```", "sh", "sh", true}}},
		{"in a definition", "Term\n: Run:\n\n    ```sh\n    make\n    ```", []code{{"    ```sh\n    make\n    ```", "```", "sh", "sh", true}}},
		{"inline backticks are no fence", "use ```x``` inline", nil},
		{"two in a row", "```\na\n```\n~~~\nb\n~~~", []code{{"```\na\n```", "```", "", "", true}, {"~~~\nb\n~~~", "~~~", "", "", true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Parse(tc.src)
			if len(d.Code) != len(tc.want) {
				t.Fatalf("%d code blocks, want %d: %+v", len(d.Code), len(tc.want), d.Code)
			}
			for i, w := range tc.want {
				c := d.Code[i]
				got := code{tc.src[c.Start:c.End], c.Marker, c.Info, c.Lang, c.Closed}
				if got != w {
					t.Errorf("code block %d = %+v, want %+v", i, got, w)
				}
			}
		})
	}
}

func TestParseBlocks(t *testing.T) {
	src := "# Title\n\nSome *text*\nover two lines.\n\n- a\n- b\n\n> quoted\n\n```go\nx\n```\n\n    indented\n\n---\n<div>\nhi\n</div>\n\n## Sub ##\n| a | b |\n|---|---|\n| 1 | 2 |\n\nx[^n]\n\n[^n]: note\n\nend\n"
	want := []struct {
		kind  Kind
		text  string
		level int
	}{
		{Heading, "# Title", 1},
		{Paragraph, "Some *text*\nover two lines.", 0},
		{List, "- a\n- b", 0},
		{Quote, "> quoted", 0},
		{FencedCode, "```go\nx\n```", 0},
		{IndentedCode, "    indented", 0},
		{Rule, "---", 0},
		{HTML, "<div>\nhi\n</div>", 0},
		{Heading, "## Sub ##", 2},
		{Table, "| a | b |\n|---|---|\n| 1 | 2 |", 0},
		{Paragraph, "x[^n]", 0},
		{Footnote, "[^n]: note", 0},
		{Paragraph, "end", 0},
	}
	d := Parse(src)
	if len(d.Blocks) != len(want) {
		t.Fatalf("%d blocks, want %d: %+v", len(d.Blocks), len(want), d.Blocks)
	}
	for i, w := range want {
		b := d.Blocks[i]
		if b.Kind != w.kind || src[b.Start:b.End] != w.text || b.Level != w.level {
			t.Errorf("block %d = %v %q level %d, want %v %q level %d", i, b.Kind, src[b.Start:b.End], b.Level, w.kind, w.text, w.level)
		}
	}
	if c := d.Blocks[4].Code; c == nil || c.Lang != "go" {
		t.Errorf("the fenced block has code %+v", c)
	}
}

func TestParseSpans(t *testing.T) {
	src := "see [the **docs**](https://x.y/a \"b c\") and `a b` and <https://go.dev> and ![img](i.png).\n``two ` ticks`` end"
	var got []string
	for _, s := range Parse(src).Spans {
		got = append(got, src[s[0]:s[1]])
	}
	want := []string{"[the **docs**](https://x.y/a \"b c\")", "`a b`", "<https://go.dev>", "![img](i.png)", "``two ` ticks``"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("spans\n got %q\nwant %q", got, want)
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		text  string
		max   int
		unit  Unit
		parts []string
	}{
		{"fits", "hello\nworld", 20, Bytes, []string{"hello\nworld"}},
		{"at a line", "first line\nsecond line", 15, Bytes, []string{"first line", "second line"}},
		{"at a space", "one two three four", 9, Bytes, []string{"one two", "three", "four"}},
		{"blank lines go", "a\n\n\nb", 2, Bytes, []string{"a", "b"}},
		{"code reopened with its language", "```go\nx := 1\ny := 2\n```", 16, Bytes,
			[]string{"```go\nx := 1\n```", "```go\ny := 2\n```"}},
		{"tilde code", "~~~\naaaa\nbbbb\n~~~", 12, Bytes, []string{"~~~\naaaa\n~~~", "~~~\nbbbb\n~~~"}},
		{"unclosed code is closed", "```\nabc", 20, Bytes, []string{"```\nabc\n```"}},
		{"not inside inline code", "run `go test ./...` now", 16, Bytes, []string{"run", "`go test ./...`", "now"}},
		{"not inside a link", "see [the docs](https://x.y) now", 24, Bytes, []string{"see", "[the docs](https://x.y)", "now"}},
		{"characters", "ééééé", 2, Runes, []string{"éé", "éé", "é"}},
		{"bytes never cut a character", "ééé", 3, Bytes, []string{"é", "é", "é"}},
		{"code in a list", "- a\n  ```\n  x\n  y\n  ```", 16, Bytes, []string{"- a", "  ```\n  x\n  ```", "```\n  y\n  ```"}},
		{"code in a quote", "> ```\n> x\n> y\n> ```", 16, Bytes, []string{"> ```\n> x\n> ```", "> ```\n> y\n> ```"}},
		// A cut in the middle of a line never leaves a piece of it alone on
		// a line where it would open a code block, or close the one it is in.
		{"a run of backticks is no fence", "   " + strings.Repeat("`", 20) + " 000`", 26, Bytes, []string{strings.Repeat("`", 20) + " 000`"}},
		{"no fence in a list item made", "one two - ``` three", 12, Bytes, []string{"one", "two - ```", "three"}},
		{"no fence in a quote made", "see > ~~~ here", 8, Bytes, []string{"see > ~~", "~ here"}},
		{"code not closed by its content", "```\n```` cd ef\n```", 12, Bytes,
			[]string{"```\n``\n```", "```\n``\n```", "```\ncd\n```", "```\nef\n```"}},
		{"a code line cut in two stays in its quote", "> ```\n> aaaa bbbb cccc\n> ```", 22, Bytes,
			[]string{"> ```\n> aaaa\n> ```", "> ```\n> bbbb\n> ```", "> ```\n> cccc\n> ```"}},
		// A tab before a fence indents by its width at its column: the closer
		// is written in spaces at the column Parse reads as closing.
		{"closed after a tab in a quoted list", ">*\t```", 64, Bytes, []string{">*\t```\n>     ```"}},
		{"closed after a tab in a list", "-\t```\n    xxxx\n    yyyy\n    ```", 16, Bytes,
			[]string{"-\t```\n    ```", "```\nxxxx\n```", "```\n    yyyy\n```"}},
		{"never between a quote marker and its fence", "> ```\n>" + strings.Repeat("0", 56), 67, Runes,
			[]string{"> ```\n>" + strings.Repeat("0", 54) + "\n> ```", "> ```\n> 00\n> ```"}},
		{"tilde code not closed by its content", "~~~\n~~~~ cd ef\n~~~", 12, Bytes,
			[]string{"~~~\n~~\n~~~", "~~~\n~~\n~~~", "~~~\ncd\n~~~", "~~~\nef\n~~~"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Split(tc.text, tc.max, tc.unit)
			if strings.Join(got, "\x00") != strings.Join(tc.parts, "\x00") {
				t.Errorf("Split(%q, %d)\n got %q\nwant %q", tc.text, tc.max, got, tc.parts)
			}
		})
	}
}

// noSpace is s without white space and fence characters: what must
// survive a split unchanged.
func noSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '`' || r == '~' || r == '>' {
			return -1
		}
		return r
	}, s)
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		"hello world", "```go\nfunc main() {}\n```\ntext after", "~~~\nx\n~~~",
		"- item\n  ```sh\n  make\n  ```\n- two", "> ```\n> quoted code\n> ```",
		"see [a link with words](https://x.y/z) and `code with spaces` here",
		"日本語のテキスト。" + strings.Repeat("長い", 50), "```\nunclosed\nblock",
		"# Head\n\npara one\n\n    indented code\n\n```` \n```\n````",
		"   " + strings.Repeat("`", 140) + " 000`", "one two - ``` three", "see > ~~~ here",
		"```\n```` cd ef\n```", "- a\n  ```\n  ```` cd\n  ```",
	} {
		f.Add(s, uint16(40), true)
	}
	f.Fuzz(func(t *testing.T, text string, max uint16, runes bool) {
		if !utf8.ValidString(text) || len(text) > 1<<12 {
			t.Skip()
		}
		m := 64 + int(max%2000)
		unit, size := Bytes, func(s string) int { return len(s) }
		if runes {
			unit, size = Runes, utf8.RuneCountInString
		}
		d := Parse(text)
		if len(d.Code) > 0 && !HasFence(text) {
			t.Errorf("HasFence(%q) is false but Parse finds a code block", text)
		}
		for _, c := range d.Code {
			if len(c.Marker) > 16 || len(c.Prefix) > 16 || len(c.Info) > 16 {
				t.Skip() // no room to close and reopen it in a small part
			}
		}
		parts := d.Split(m, unit)
		// Each part goes on where the last one ended; one that reopens a
		// code block starts with its language again, which the text has
		// only once. at holds how much of the text the parts so far may
		// hold: a part's first line may be the text's own opener, or the
		// reopening.
		want, at := noSpace(text), map[int]bool{0: true}
		for i, p := range parts {
			if n := size(p); n > m {
				t.Errorf("part %d has %d, over %d: %q", i, n, m, p)
			}
			if strings.TrimSpace(p) == "" {
				t.Errorf("part %d is blank", i)
			}
			for _, c := range Parse(p).Code {
				if !c.Closed && allClosed(d) {
					t.Errorf("part %d leaves a code block open: %q", i, p)
				}
			}
			got := []string{noSpace(p)}
			if c := Parse(p).Code; i > 0 && len(c) > 0 && c[0].Start == 0 {
				got = append(got, strings.TrimPrefix(got[0], noSpace(p[:lineEnd(p, 0)])))
			}
			next := map[int]bool{}
			for a := range at {
				for _, g := range got {
					if strings.HasPrefix(want[a:], g) {
						next[a+len(g)] = true
					}
				}
			}
			if len(next) == 0 {
				t.Fatalf("content changed in part %d: %q\nparts %q\ntext %q", i, got[0], parts, text)
			}
			at = next
		}
		if !at[len(want)] {
			t.Errorf("content lost: the parts do not hold all of %q\nparts %q", text, parts)
		}
	})
}

// allClosed says whether every code block of d is closed, or left open
// only at the very end (which Split closes).
func allClosed(d *Doc) bool {
	for _, c := range d.Code {
		if !c.Closed && c != d.OpenAtEnd() {
			return false
		}
	}
	return true
}

func TestOpenAtEndAndCloser(t *testing.T) {
	for _, tc := range []struct{ src, closer string }{
		{"text", ""},
		{"```go\nx", "```"},
		{"````md\n```yaml\nname: x\n```", "````"},
		{"1. step\n   ```sh\n   make", "   ```"},
		{"> ~~~\n> x", "> ~~~"},
		{"```\nx\n```", ""},
	} {
		got := ""
		if c := Parse(tc.src).OpenAtEnd(); c != nil {
			got = c.Closer()
		}
		if got != tc.closer {
			t.Errorf("OpenAtEnd(%q).Closer() = %q, want %q", tc.src, got, tc.closer)
		}
	}
}

// TestSplitLongRuns: a run of backticks or tildes longer than a part, in
// text, a list or a quote, is cut so that no part holds a code block the
// text did not have, and nothing is lost.
func TestSplitLongRuns(t *testing.T) {
	ticks, tildes := strings.Repeat("`", 200), strings.Repeat("~", 200)
	for _, text := range []string{
		"0     " + ticks,
		"   " + ticks + " 000`",
		ticks + " x`",
		"word " + tildes,
		"- item " + ticks,
		"> quote " + tildes,
		"1. " + ticks + " `",
		"a - " + ticks + " b`",
	} {
		for _, unit := range []Unit{Bytes, Runes} {
			parts := Split(text, 64, unit)
			for i, p := range parts {
				if len(p) > 64 {
					t.Errorf("Split(%.20q…) part %d has %d bytes, over 64", text, i, len(p))
				}
				if c := Parse(p).Code; len(c) > 0 {
					t.Errorf("Split(%.20q…) part %d is a code block: %q", text, i, p)
				}
			}
			if got, want := noSpace(strings.Join(parts, "")), noSpace(text); got != want {
				t.Errorf("Split(%.20q…) changed the text: %q", text, parts)
			}
		}
	}
}

func TestFenceLines(t *testing.T) {
	for _, tc := range []struct {
		line, marker string
		opens        bool
	}{
		{"```go", "```", true},
		{"   ~~~~ yaml {x}", "~~~~", true},
		{"    ```", "", false}, // indented code
		{"``", "", false},
		{"``` a`b", "", false}, // a backtick in a backtick fence's info
		{"~~~ a`b", "~~~", true},
		{"- ```", "", false}, // a list item's: Parse reads those
	} {
		m, ok := OpenFence(tc.line)
		if m != tc.marker || ok != tc.opens {
			t.Errorf("OpenFence(%q) = %q, %v, want %q, %v", tc.line, m, ok, tc.marker, tc.opens)
		}
	}
	for _, tc := range []struct {
		line, marker string
		closes       bool
	}{
		{"```", "```", true},
		{"  `````  ", "```", true},
		{"``", "```", false},
		{"```go", "```", false},
		{"~~~", "```", false},
		{"    ```", "```", false},
		{"~~~~", "~~~~", true},
	} {
		if got := ClosesFence(tc.line, tc.marker); got != tc.closes {
			t.Errorf("ClosesFence(%q, %q) = %v, want %v", tc.line, tc.marker, got, tc.closes)
		}
	}
}
