package discord

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplitShortTextIsOnePart(t *testing.T) {
	if got := Split("hello", MaxMessage); len(got) != 1 || got[0] != "hello" {
		t.Fatalf("Split = %q", got)
	}
}

// checkParts asserts each part fits, each part's code fences are balanced,
// and no word was lost or broken.
func checkParts(t *testing.T, text string, parts []string, limit int) {
	t.Helper()
	for i, p := range parts {
		if n := utf8.RuneCountInString(p); n > limit {
			t.Errorf("part %d has %d characters, over %d", i, n, limit)
		}
		if strings.Count(p, "```")%2 != 0 {
			t.Errorf("part %d has unbalanced fences:\n%s", i, p)
		}
	}
	var got []string
	for _, p := range parts {
		for _, w := range strings.Fields(p) {
			if strings.HasPrefix(w, "```") {
				continue
			}
			got = append(got, w)
		}
	}
	var want []string
	for _, w := range strings.Fields(text) {
		if !strings.HasPrefix(w, "```") {
			want = append(want, w)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("words changed:\n got %.200q\nwant %.200q", strings.Join(got, " "), strings.Join(want, " "))
	}
}

func TestSplitLongAnswerWithCodeBlock(t *testing.T) {
	var b strings.Builder
	b.WriteString("Here is how to read a file in Go, step by step. ")
	for b.Len() < 900 {
		b.WriteString("Open it, read it, close it. ")
	}
	b.WriteString("\n```go\n")
	for b.Len() < 2430 {
		b.WriteString("data, err := os.ReadFile(\"config.yaml\") // line\n")
	}
	b.WriteString("```\nThat is all: the error tells you what went wrong.")
	text := b.String()
	if n := utf8.RuneCountInString(text); n < 2400 || n > 2600 {
		t.Fatalf("test text has %d characters, want about 2,500", n)
	}
	parts := Split(text, MaxMessage)
	if len(parts) != 2 {
		t.Fatalf("got %d parts, want 2: %q", len(parts), parts)
	}
	checkParts(t, text, parts, MaxMessage)
	if !strings.HasSuffix(parts[0], "\n```") {
		t.Errorf("part 1 does not close the code block: ...%q", parts[0][len(parts[0])-40:])
	}
	if !strings.HasPrefix(parts[1], "```go\n") {
		t.Errorf("part 2 does not reopen the code block with its language: %.40q", parts[1])
	}
}

func TestSplitCases(t *testing.T) {
	word := strings.Repeat("word ", 500)                                     // 2,500 characters, one line
	cjk := strings.Repeat("日本語のテキスト", 400)                                   // no spaces at all
	bigCode := "```\n" + strings.Repeat("x := 1 + 2 + 3 + 4\n", 300) + "```" // one block over 5,000
	for _, tc := range []struct {
		name  string
		text  string
		limit int
	}{
		{"one long line", word, MaxMessage},
		{"no spaces", cjk, MaxMessage},
		{"block over two limits", bigCode, MaxMessage},
		{"small limit with code", "intro\n```py\nprint(1)\nprint(2)\nprint(3)\n```\nend", 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts := Split(tc.text, tc.limit)
			if len(parts) < 2 {
				t.Fatalf("got %d parts", len(parts))
			}
			for i, p := range parts {
				if n := utf8.RuneCountInString(p); n > tc.limit {
					t.Errorf("part %d has %d characters", i, n)
				}
				if strings.Count(p, "```")%2 != 0 {
					t.Errorf("part %d has unbalanced fences: %q", i, p)
				}
			}
			if tc.name != "no spaces" {
				checkParts(t, tc.text, parts, tc.limit)
			} else if strings.Join(parts, "") != tc.text {
				t.Errorf("text without spaces changed when joined")
			}
		})
	}
}

func TestConfigProblemsAndSecrecy(t *testing.T) {
	c := DefaultConfig()
	if !c.Threads || c.ShardCount != 1 {
		t.Fatalf("DefaultConfig = %+v", c)
	}
	if ps := c.Problems(); len(ps) != 0 {
		t.Errorf("disabled config has problems: %v", ps)
	}
	c.Enabled = true
	c.Token = "s3cret-token"
	c.ShardID, c.ShardCount = 2, 2
	c.HelpChannels = []string{"#general"}
	c.APIBase = "ftp://x"
	fields := map[string]bool{}
	for _, p := range c.Problems() {
		fields[p.Field] = true
		if strings.Contains(p.Msg, "s3cret") {
			t.Errorf("problem shows the token: %v", p)
		}
	}
	for _, f := range []string{"shard_id", "help_channels", "api_base"} {
		if !fields[f] {
			t.Errorf("no problem for %s: %v", f, c.Problems())
		}
	}
	if strings.Contains(c.String(), "s3cret") || strings.Contains(c.LogValue().String(), "s3cret") {
		t.Errorf("String or LogValue shows the token: %s / %s", c, c.LogValue())
	}
	if _, err := New(Config{Enabled: true}, Options{}); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("New without a token: %v", err)
	}
}

func BenchmarkSplit(b *testing.B) {
	text := strings.Repeat("Open it, read it, close it. ", 60) + "\n```go\n" +
		strings.Repeat("data, err := os.ReadFile(\"config.yaml\")\n", 60) + "```\nend"
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Split(text, MaxMessage)
	}
}
