package slack

import (
	"strings"
	"testing"
)

func TestMrkdwn(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"bold", "use **go vet** first", "use *go vet* first"},
		{"italic", "an *important* word", "an _important_ word"},
		{"strike", "~~old~~ new", "~old~ new"},
		{"link", "see [the docs](https://go.dev/doc?a=1&b=2)", "see <https://go.dev/doc?a=1&amp;b=2|the docs>"},
		{"link pipe", "[a|b](https://x.y)", "<https://x.y|a¦b>"},
		{"autolink", "<https://go.dev>", "<https://go.dev>"},
		{"heading", "## Install **now**", "*Install now*"},
		{"bullet", "- one\n* two", "• one\n• two"},
		{"member mention kept", "hi <@U123ABC>", "hi <@U123ABC>"},
		{"inline code", "run `a < b && **c**`", "run `a &lt; b &amp;&amp; **c**`"},
		{"code block", "```go\nif a < b { x := **y** }\n```", "```\nif a &lt; b { x := **y** }\n```"},
		{"tilde block", "~~~go\nif a < b { ``` }\n~~~", "```\nif a &lt; b { ``` }\n```"},
		{"channel", "<!channel> look", "&lt;!channel&gt; look"},
		{"here", "<!here|here> look", "&lt;!here|here&gt; look"},
		{"subteam", "<!subteam^S123|@devs> look", "&lt;!subteam^S123|@devs&gt; look"},
		{"plain", "@here and @Channel and @everyone", "@\u200bhere and @\u200bChannel and @\u200beveryone"},
		{"in link text", "[@channel](https://x.y)", "<https://x.y|@\u200bchannel>"},
		{"javascript link", "[x](javascript:alert(1))", "[x](javascript:alert(1))"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mrkdwn(tt.in); got != tt.want {
				t.Errorf("mrkdwn(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplitKeepsCodeBlocks(t *testing.T) {
	var b strings.Builder
	b.WriteString("Intro line.\n```\n")
	for i := 0; i < 40; i++ {
		b.WriteString("fmt.Println(\"line of code number\", i)\n")
	}
	b.WriteString("```\nOutro.")
	parts := split(b.String(), 300)
	if len(parts) < 3 {
		t.Fatalf("got %d parts, want several", len(parts))
	}
	var joined strings.Builder
	for i, p := range parts {
		if len(p) > 300 {
			t.Errorf("part %d has %d bytes, over 300", i, len(p))
		}
		if n := strings.Count(p, "```"); n%2 != 0 {
			t.Errorf("part %d has %d fences, an open code block:\n%s", i, n, p)
		}
		joined.WriteString(strings.ReplaceAll(p, "```", ""))
	}
	if got, want := strings.Count(joined.String(), "line of code number"), 40; got != want {
		t.Errorf("%d code lines survived the split, want %d", got, want)
	}
	if !strings.HasPrefix(parts[0], "Intro line.") || !strings.HasSuffix(parts[len(parts)-1], "Outro.") {
		t.Errorf("first/last parts: %q … %q", parts[0], parts[len(parts)-1])
	}
}

func TestSplitLongLine(t *testing.T) {
	long := strings.Repeat("word ", 100) + strings.Repeat("é", 200)
	parts := split(long, 64)
	var n int
	for i, p := range parts {
		if len(p) > 64 {
			t.Errorf("part %d: %d bytes", i, len(p))
		}
		n += strings.Count(p, "word") + strings.Count(p, "é")
	}
	if n != 300 {
		t.Errorf("%d pieces survived, want 300", n)
	}
	if got := split("short", maxPart); len(got) != 1 || got[0] != "short" {
		t.Errorf("split(short) = %q", got)
	}
	if got := split("  \n", maxPart); len(got) != 0 {
		t.Errorf("split(blank) = %q, want none", got)
	}
}

func TestConfigProblems(t *testing.T) {
	c := DefaultConfig()
	if ps := c.Problems(); ps != nil {
		t.Errorf("disabled config has problems: %v", ps)
	}
	c.Enabled = true
	c.BotToken, c.AppToken = "xoxb-secret-1", "xapp-secret-2"
	if ps := c.Problems(); ps != nil {
		t.Errorf("good config has problems: %v", ps)
	}
	c.AppToken = ""
	c.Mode = "events"
	c.Listen = "nope"
	c.HelpChannels = []string{"#help"}
	c.WorkingReaction = ":eyes:"
	got := map[string]bool{}
	for _, p := range c.Problems() {
		got[p.Field] = true
	}
	for _, f := range []string{"signing_secret", "listen", "help_channels", "working_reaction"} {
		if !got[f] {
			t.Errorf("no problem reported for %s; got %v", f, c.Problems())
		}
	}
	c.SigningSecret = "sekrit-3"
	for _, s := range []string{c.String(), strings.TrimSpace(strings.Join(strings.Fields(c.LogValue().String()), " "))} {
		for _, secret := range []string{"secret-1", "sekrit-3"} {
			if strings.Contains(s, secret) {
				t.Errorf("%q shows a secret", s)
			}
		}
	}
}
