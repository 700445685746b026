package markdown

import (
	"reflect"
	"strings"
	"sync"
	"testing"
)

// BenchmarkParseShort is the common case: a chat answer of a few lines,
// parsed for every message an adapter splits or converts.
func BenchmarkParseShort(b *testing.B) {
	src := "You can set `answer.min_confidence` in **docent.yaml**; see [the guide](https://example.com/guide#confidence) [1].\n\n" +
		"```yaml\nanswer:\n  min_confidence: 0.6\n```\n"
	b.ReportAllocs()
	for b.Loop() {
		Parse(src)
	}
}

// BenchmarkParseLong is a long answer or docs page.
func BenchmarkParseLong(b *testing.B) {
	src := strings.Repeat("## Step\n\nRun `docent init` and then:\n\n- one [link](https://x.y)\n- two\n\n```go\nfunc main() {}\n```\n\n", 100)
	b.ReportAllocs()
	for b.Loop() {
		Parse(src)
	}
}

// TestParseSharesItsParser: a chat message is parsed for every message
// sent, so setting up goldmark's parser (about 240 allocations, more
// than parsing the message) must not be paid each time.
func TestParseSharesItsParser(t *testing.T) {
	src := "Set `x` in **y**; see [the guide](https://example.com/g) [1].\n"
	Parse(src) // the parser is built once, on first use
	if n := testing.AllocsPerRun(20, func() { Parse(src) }); n > 120 {
		t.Errorf("Parse of a one-line message made %.0f allocations, want at most 120", n)
	}
}

// TestParseConcurrent: the one parser serves every goroutine, each
// reading its text alike (run with -race).
func TestParseConcurrent(t *testing.T) {
	texts := []string{
		"a `b` [c](https://d.e)\n\n```go\nx\n```\n",
		"| a | b |\n|---|---|\n| 1 | 2 |\n\nTerm\n: what it means\n\nNote[^1].\n\n[^1]: the note\n",
		"- item\n\n  ~~~\n  code\n  ~~~\n> quote\n",
	}
	want := make([]*Doc, len(texts))
	for i, s := range texts {
		want[i] = Parse(s)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for k := range 50 {
				i := (g + k) % len(texts)
				if got := Parse(texts[i]); !reflect.DeepEqual(got, want[i]) {
					t.Errorf("Parse(%q) in goroutine %d differs from its first reading", texts[i], g)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestHasFence(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"plain text with `code`", false},
		{"``two``", false},
		{"```go\nx\n```", true},
		{"- item\n\n  ~~~\n  x", true},
		{"a ``` b", true}, // may: Parse decides
	} {
		if got := HasFence(tc.in); got != tc.want {
			t.Errorf("HasFence(%q) = %v, want %v", tc.in, got, tc.want)
		}
		if !HasFence(tc.in) && len(Parse(tc.in).Code) > 0 {
			t.Errorf("HasFence(%q) is false but Parse finds a code block", tc.in)
		}
	}
}

// BenchmarkSplitLongRun is the worst case of Split's last resort: a run
// of backticks longer than a part, which no part may start with three of.
func BenchmarkSplitLongRun(b *testing.B) {
	src := "0 " + strings.Repeat("`", 4000)
	b.ReportAllocs()
	for b.Loop() {
		Split(src, 2000, Runes)
	}
}
