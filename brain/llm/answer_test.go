package llm

import (
	"slices"
	"strings"
	"testing"
)

func TestCheckCitations(t *testing.T) {
	tests := []struct {
		in, want string
		cited    []int
	}{
		{"Use X [1]. Also Y [7]. Both [2, 7][3].", "Use X [1]. Also Y. Both [2][3].", []int{1, 2, 3}},
		{"First [3], then [1][2] and [3] again.", "First [3], then [1][2] and [3] again.", []int{3, 1, 2}},
		{"[7] Starts here.\nNext [0] line.", "Starts here.\nNext line.", nil},
		{"Mixed [ 2 ,9 ] spacing.", "Mixed [2] spacing.", []int{2}},
		{"Code `args[7]` and args[4] and [1](https://x) stay.", "Code `args[7]` and args[4] and [1](https://x) stay.", nil},
		{"```go\nx := a[9]\n```\nSee [9].", "```go\nx := a[9]\n```\nSee.", nil},
		{"~~~\nx := a[9]\n~~~\nSee [9].", "~~~\nx := a[9]\n~~~\nSee.", nil},
		{"````md\n```\nsee [9]\n```\n````\nSee [9].", "````md\n```\nsee [9]\n```\n````\nSee.", nil},
		{"Huge [99999999999999999999999] gone.", "Huge gone.", nil},
		{"中文的回答[1]。", "中文的回答[1]。", []int{1}},
	}
	for _, tt := range tests {
		got, cited := checkCitations(tt.in, 3)
		if got != tt.want || !slices.Equal(cited, tt.cited) {
			t.Errorf("checkCitations(%q)\n got %q %v\nwant %q %v", tt.in, got, cited, tt.want, tt.cited)
		}
	}
}

func TestNeutralize(t *testing.T) {
	in := "Hey @everyone and @here, <!channel> <!here|here> <!everyone> <!subteam^S012AB|@devs> <@&123456> @Channel"
	got := Neutralize(in)
	for _, bad := range []string{"@everyone", "@here", "<!channel>", "<!here", "<!everyone>", "<!subteam", "<@&", "@Channel", "@channel"} {
		if strings.Contains(got, bad) {
			t.Errorf("%q survives in %q", bad, got)
		}
	}
	if !strings.Contains(got, "@\u200beveryone") || !strings.Contains(got, "@\u200bchannel") {
		t.Errorf("neutralised text unreadable: %q", got)
	}
	if Neutralize(got) != got {
		t.Error("Neutralize is not idempotent")
	}
	if s := "Ping <@42> about it"; Neutralize(s) != s {
		t.Error("a single member's mention is not a mass mention")
	}
}

func TestSources(t *testing.T) {
	ps := []Passage{
		{Title: "Adding an intent", Link: "https://docs.example.org/intents"},
		{Title: "No link"},
		{Title: "Reload @everyone", Link: "https://docs.example.org/reload"},
	}
	got := Sources(ps, []int{3, 1, 2, 9})
	want := "Sources:\n[3] Reload @\u200beveryone <https://docs.example.org/reload>\n[1] Adding an intent <https://docs.example.org/intents>\n[2] No link"
	if got != want {
		t.Fatalf("Sources =\n%q\nwant\n%q", got, want)
	}
	if Sources(ps, nil) != "" {
		t.Fatal("no citations must render nothing")
	}
}
