package redact

import (
	"strings"
	"testing"
	"time"
)

// A typical question, about 300 bytes, as members write them.
const question = "Hi all! I'm trying to set up the Discord adapter following the docs at " +
	"https://docs.example.org/adapters/discord but the bot never comes online. " +
	"I set the token in config.yaml under adapters.discord and ran `docent run --config docent.yaml`; " +
	"the log says 401 Unauthorized. Does it need the message content intent? Thanks!"

func BenchmarkRedact(b *testing.B) {
	withSecrets := strings.Replace(question, "I set the token", "I set token: "+discordBot+" (and DB_PASSWORD=hunter2)", 1)
	for _, bc := range []struct{ name, text string }{
		{"no secret", question},
		{"secrets", withSecrets},
		{"1MB prose", strings.Repeat(question+"\n", 1<<20/len(question))},
		{"1MB secrets", strings.Repeat(withSecrets+"\n", 1<<20/len(withSecrets))},
		{"10000 emoji", strings.Repeat("🔑", 10000)},
		{"1MB token run", strings.Repeat("Ab3_", 1<<18)},
		{"1MB dots", strings.Repeat("eyJhbGciOiJIUzI1NiJ9.", 1<<20/21)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.text)))
			for b.Loop() {
				Redact(bc.text)
			}
		})
	}
}

// TestLargeInputsAreFast guards linear time on inputs built to defeat it.
func TestLargeInputsAreFast(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	for name, in := range map[string]string{
		"prose":          strings.Repeat(question+"\n", 1<<20/len(question)),
		"emoji":          strings.Repeat("🔑", 10000),
		"token run":      strings.Repeat("Ab3_", 1<<18),
		"dotted parts":   strings.Repeat("eyJhbGciOiJIUzI1NiJ9.", 1<<20/21),
		"unclosed key":   "-----BEGIN " + "PRIVATE KEY-----" + strings.Repeat(" word", 1<<18),
		"at signs":       strings.Repeat("a@", 1<<19),
		"settings":       strings.Repeat("password=", 1<<17),
		"url authority":  "x://" + strings.Repeat("u:p@", 1<<18),
		"invalid utf8":   strings.Repeat("\xff\xfe=@:", 1<<18),
		"many emails":    strings.Repeat("ann@example.com ", 1<<16),
		"many glued jwt": strings.Repeat("v."+jwt, 1<<20/len(jwt)),
	} {
		start := time.Now()
		out, _ := Redact(in)
		if d := time.Since(start); d > raceSlowdown*2*time.Second { // about 0.3 s at most without -race
			t.Errorf("%s: %d bytes took %v", name, len(in), d)
		}
		if len(out) == 0 {
			t.Errorf("%s: empty output", name)
		}
	}
}
