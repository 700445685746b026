package topics_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/docent-bot/docent/chat/topics"
)

func TestTerms(t *testing.T) {
	text := topics.Text{CommandPrefix: "!"}
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"How do I install Docent on Kubernetes?", []string{"install", "docent", "kubernetes"}},
		{"the the THE install install", []string{"install"}},
		{"!stats 30", nil},
		{"arm64 build fails on node-18 and x86_64", []string{"arm64", "build", "fails", "node-18", "x86_64"}},
		{"12345 678", nil}, // numbers are not topics
		{"如何部署机器人", []string{"如何", "何部", "部署", "署机", "机器", "器人"}},
		{"trailing-- dash", []string{"trailing", "dash"}},
		{strings.Repeat("a", 100) + " ok word", []string{"word"}},
		{"\xff\xfe odd bytes here", []string{"odd", "bytes"}},
	} {
		if got := text.Terms(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("Terms(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	many := strings.Repeat("word", 1) + " "
	for i := range 100 {
		many += "term" + strconv.Itoa(i) + " "
	}
	if n := len(text.Terms(many)); n != 32 {
		t.Errorf("a message with 101 words gives %d terms, want the bound 32", n)
	}
}

func TestThanks(t *testing.T) {
	text := topics.Text{}
	for in, want := range map[string]bool{
		"thanks!": true, "Thank you so much": true, "ty": true, "thx, fixed": true, "谢谢你": true,
		"typo in the docs": false, "thanksgiving plans": false, "the theory": false, "": false,
	} {
		if got := text.Thanks(in); got != want {
			t.Errorf("Thanks(%q) = %v, want %v", in, got, want)
		}
	}
}

// FuzzTerms: any text gives at most 32 distinct terms, each valid UTF-8
// and short, and never panics.
func FuzzTerms(f *testing.F) {
	for _, s := range []string{"How do I install Docent on Kubernetes?", "如何部署机器人", "\xff\xfe", "!stats", "a-b_c-- x86_64"} {
		f.Add(s)
	}
	text := topics.Text{CommandPrefix: "!"}
	f.Fuzz(func(t *testing.T, s string) {
		terms := text.Terms(s)
		if len(terms) > 32 {
			t.Fatalf("%d terms", len(terms))
		}
		seen := map[string]bool{}
		for _, term := range terms {
			if seen[term] || !utf8.ValidString(term) || utf8.RuneCountInString(term) > 40 || term == "" {
				t.Fatalf("bad term %q in %q", term, terms)
			}
			seen[term] = true
		}
		text.Thanks(s)
	})
}
