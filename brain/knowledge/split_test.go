package knowledge

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplitMarkdown(t *testing.T) {
	type sec struct {
		headings string // joined by " › "
		anchor   string
		parts    []string
	}
	tests := []struct {
		name  string
		src   string
		title string
		want  []sec
	}{
		{
			name:  "title, intro and nested sections",
			src:   "# Intents\n\nIntro text.\n\n## Format\n\nAn intent has a name.\n\n### Patterns\nWhat members write.\n\n## Languages\nzh, ja, ko.\n",
			title: "Intents",
			want: []sec{
				{"Intents", "intents", []string{"Intro text."}},
				{"Intents › Format", "format", []string{"An intent has a name."}},
				{"Intents › Format › Patterns", "patterns", []string{"What members write."}},
				{"Intents › Languages", "languages", []string{"zh, ja, ko."}},
			},
		},
		{
			name:  "text before the first heading, no level-1 title",
			src:   "Preamble.\n## A\ntext a\n",
			title: "",
			want: []sec{
				{"", "", []string{"Preamble."}},
				{"A", "a", []string{"text a"}},
			},
		},
		{
			name:  "headings inside fences are text",
			src:   "# T\n## Real\n```yaml\n# not a heading\n## nor this\n```\n~~~~\n# no\n~~~\nafter\n",
			title: "T",
			want: []sec{
				{"T › Real", "real", []string{"```yaml\n# not a heading\n## nor this\n```\n~~~~\n# no\n~~~\nafter"}},
			},
		},
		{
			name:  "a shorter fence does not close a longer one",
			src:   "## A\n````\n```\n# inside\n````\n## B\nb\n",
			title: "",
			want: []sec{
				{"A", "a", []string{"````\n```\n# inside\n````"}},
				{"B", "b", []string{"b"}},
			},
		},
		{
			// chat/markdown's reading: the fence on a list item's own line opens
			// a code block (was: "# install" read as a heading).
			name:  "a fence on a list item's line",
			src:   "## A\n- ```sh\n  # install\n  make\n  ```\n## B\nb\n",
			title: "",
			want: []sec{
				{"A", "a", []string{"- ```sh\n  # install\n  make\n  ```"}},
				{"B", "b", []string{"b"}},
			},
		},
		{
			// An unclosed fence in a list item ends with the item (was: it ran
			// to the end of the page, swallowing "## B").
			name:  "an unclosed fence in a list item ends with the item",
			src:   "## A\n- a\n\n  ```\n  x\n\n## B\nb\n",
			title: "",
			want: []sec{
				{"A", "a", []string{"- a\n\n  ```\n  x"}},
				{"B", "b", []string{"b"}},
			},
		},
		{
			name:  "an empty fence in a list item ends with the item",
			src:   "## A\n- ```\n## B\nb\n",
			title: "",
			want: []sec{
				{"A", "a", []string{"- ```"}},
				{"B", "b", []string{"b"}},
			},
		},
		{
			// In an HTML block (a JSX tab) CommonMark sees no fence; the page's
			// renderer does, and so does this splitter, which drops the tags.
			name:  "a fence in an HTML block",
			src:   "## A\n<TabItem value=\"x\">\n```sh\n# comment\n```\n</TabItem>\n## B\nb\n",
			title: "",
			want: []sec{
				{"A", "a", []string{"```sh\n# comment\n```"}},
				{"B", "b", []string{"b"}},
			},
		},
		{
			name:  "an unclosed fence runs to the end",
			src:   "## A\n```\n## B\n",
			title: "",
			want:  []sec{{"A", "a", []string{"```\n## B"}}},
		},
		{
			name:  "front matter is read and skipped",
			src:   "---\ntitle: x\n# comment\n---\n# Doc\nbody\n",
			title: "x",
			want:  []sec{{"Doc", "doc", []string{"body"}}},
		},
		{
			name:  "unclosed front matter is text",
			src:   "---\ntitle: x\n",
			title: "",
			want:  []sec{{"", "", []string{"---\ntitle: x"}}},
		},
		{
			name:  "not headings: no space, seven hashes, four spaces of indent",
			src:   "#hashtag\n####### seven\n    # code\n## ok ##\nx\n",
			title: "",
			want: []sec{
				{"", "", []string{"#hashtag\n####### seven\n    # code"}},
				{"ok", "ok", []string{"x"}},
			},
		},
		{
			name:  "empty sections are left out but keep their anchors",
			src:   "# Guide\n## Setup\n## Setup\ntext\n## Setup\nmore\n",
			title: "Guide",
			want: []sec{
				{"Guide › Setup", "setup-1", []string{"text"}},
				{"Guide › Setup", "setup-2", []string{"more"}},
			},
		},
		{
			name:  "CRLF line ends",
			src:   "# A\r\n## B\r\nline\r\n",
			title: "A",
			want:  []sec{{"A › B", "b", []string{"line"}}},
		},
		{
			name:  "a lower heading after a deeper one pops the path",
			src:   "# T\n### Deep\nd\n## Up\nu\n",
			title: "T",
			want: []sec{
				{"T › Deep", "deep", []string{"d"}},
				{"T › Up", "up", []string{"u"}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := splitMarkdown(tc.src, 1000, AnchorsGitHub)
			if doc.title != tc.title {
				t.Errorf("title = %q, want %q", doc.title, tc.title)
			}
			var got []sec
			for _, s := range doc.sections {
				got = append(got, sec{strings.Join(s.headings, headingSep), s.anchor, s.parts})
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("sections:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestAnchors(t *testing.T) {
	tests := []struct {
		headings []string
		want     []string
	}{
		{[]string{"Getting started"}, []string{"getting-started"}},
		{[]string{"What's new in v1.2?"}, []string{"whats-new-in-v12"}},
		{[]string{"`watch_interval` and `!reload`"}, []string{"watch_interval-and-reload"}},
		{[]string{"[Config](config.md) check"}, []string{"config-check"}},
		{[]string{"Threshold & margin"}, []string{"threshold--margin"}},
		{[]string{"安装 Docent"}, []string{"安装-docent"}},
		{[]string{"Café Über"}, []string{"café-über"}},
		{[]string{"Emoji 🎉 party"}, []string{"emoji--party"}},
		{[]string{"*Bold* heading"}, []string{"bold-heading"}},
		{[]string{"A", "A", "A"}, []string{"a", "a-1", "a-2"}},
		// github-slugger: a heading that spells a taken anchor moves on.
		{[]string{"Foo", "Foo", "Foo 1"}, []string{"foo", "foo-1", "foo-1-1"}},
		{[]string{"", ""}, []string{"", "-1"}},
	}
	for _, tc := range tests {
		s := slugger{}
		var got []string
		for _, h := range tc.headings {
			got = append(got, s.slug(headingText(h)))
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("anchors of %q = %q, want %q", tc.headings, got, tc.want)
		}
	}
}

func TestHeadingText(t *testing.T) {
	tests := map[string]string{
		"Plain":                          "Plain",
		"The `!reload` command":          "The !reload command",
		"See [the config](config.md)":    "See the config",
		"![logo](x.png) Docent":          "logo Docent",
		"**bold**  and   spaced":         "bold and spaced",
		"[unclosed link":                 "[unclosed link",
		"snake_case_stays":               "snake_case_stays",
		"Brackets [not a link] (really)": "Brackets [not a link] (really)",
	}
	for in, want := range tests {
		if got := headingText(in); got != want {
			t.Errorf("headingText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestChunk(t *testing.T) {
	para := func(c byte, n int) string { return strings.Repeat(string(c), n) }
	tests := []struct {
		name string
		text string
		max  int
		want []string
	}{
		{"fits", "a\n\nb", 10, []string{"a\n\nb"}},
		{"packs paragraphs", para('a', 4) + "\n\n" + para('b', 4) + "\n\n" + para('c', 4), 10,
			[]string{"aaaa\n\nbbbb", "cccc"}},
		{"keeps a code block whole up to twice the size", "intro\n\n```\n" + para('x', 12) + "\n```\n\nend", 12,
			[]string{"intro", "```\n" + para('x', 12) + "\n```", "end"}},
		{"blank lines inside a fence do not split it", "```\nx\n\ny\n```\n\n" + para('z', 10), 12,
			[]string{"```\nx\n\ny\n```", para('z', 10)}},
		{"a fence in a nested list item is a code block too", "- a\n  - b\n\n    ```sh\n    x\n\n    y\n    ```\n\nend", 20,
			[]string{"- a\n  - b", "```sh\n    x\n\n    y\n    ```", "end"}},
		{"a long paragraph is cut at line ends", "aaaa\nbbbb\ncccc", 9,
			[]string{"aaaa\nbbbb", "cccc"}},
		{"a long line is cut after a space", "one two three four", 9,
			[]string{"one two", "three", "four"}},
		{"a long word is cut between characters", "日本語テキスト", 7,
			[]string{"日本", "語テ", "キス", "ト"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := chunk(tc.text, tc.max)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("chunk = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSplitText(t *testing.T) {
	got := splitText("\r\nfirst para\nline two\n\n\n\nsecond\n\nthird is longer\n", 25)
	want := []string{"first para\nline two", "second\n\nthird is longer"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("splitText = %q, want %q", got, want)
	}
	if got := splitText(" \n\n \n", 25); got != nil {
		t.Errorf("splitText(blank) = %q, want nil", got)
	}
}

// FuzzSplitMarkdown checks that any input splits without panicking into
// non-empty, valid UTF-8 parts of bounded size, and that no word is lost.
func FuzzSplitMarkdown(f *testing.F) {
	for _, s := range []string{
		"# T\n## A\ntext\n```\n# x\n```\n",
		"---\na: b\n---\n# x",
		"## ##\n#\n######\n####### x",
		"~~~\n\n\n~~~~\n## a\n\n" + strings.Repeat("word ", 100),
		"\xff\xfe# bad\r\n## 标题\r\n内容",
		"[a](b) ![c](d) `e` *f*",
		"---\ntitle: T\ndescription: D\ndraft: false\n---\nSetext\n===\n<!-- c\n-->\n<script>x</script>\n",
		"+++\ntitle = 'T'\n+++\n::: tip T\nx\n:::\n!!! note \"N\"\n    y\n{{< a title=\"b\" >}}c{{< /a >}}\n{{% d\n",
		"## A {#x}\na\n## B {#x}\nb\n## x\nc\n",
		"import A from 'a'\n<Tabs>\n<TabItem value=\"x\">\n## H {#id}\n[[toc]]\n{{< highlight go >}}\n# c\n{{< /highlight >}}",
	} {
		f.Add(s, 16)
	}
	f.Fuzz(func(t *testing.T, src string, max int) {
		max = 1 + abs(max)%200
		doc := splitMarkdown(src, max, AnchorsGitHub)
		if !utf8.ValidString(doc.title) {
			t.Fatalf("title %q is not valid UTF-8", doc.title)
		}
		var all strings.Builder
		seen := map[string]bool{}
		for _, s := range doc.sections {
			if s.anchor != "" || len(s.headings) > 0 {
				if seen[s.anchor] {
					t.Fatalf("anchor %q twice", s.anchor)
				}
				seen[s.anchor] = true
			}
			if len(s.parts) == 0 {
				t.Fatalf("section %q has no parts", s.headings)
			}
			for _, p := range s.parts {
				if strings.TrimSpace(p) == "" || !utf8.ValidString(p) {
					t.Fatalf("bad part %q", p)
				}
				// Code blocks may take twice the size, and one character
				// more than max when max is smaller than a character.
				if len(p) > 2*max && len(p) > utf8.UTFMax {
					t.Fatalf("part of %d bytes, max %d: %q", len(p), max, p)
				}
				all.WriteString(p)
				all.WriteByte(' ')
			}
		}
		// Every word of the body survives somewhere: without headings
		// (ATX, setext, front matter) and the markup that is dropped
		// (HTML, shortcodes, containers, admonitions, imports, [[toc]]).
		if !strings.ContainsAny(src, "#-=+<{:!?") && !strings.Contains(src, "import") && !strings.Contains(src, "[[toc]]") {
			got := strings.Join(strings.Fields(all.String()), "")
			want := strings.Join(strings.Fields(normalise(src)), "")
			if got != want {
				t.Fatalf("text changed:\n got %q\nwant %q", got, want)
			}
		}
		_ = splitText(src, max)
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
