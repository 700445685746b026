package redact

import (
	"strings"
	"testing"
)

// FuzzRedact: any bytes, valid UTF-8 or not, never panic; findings are in
// range, sorted and apart; the output is the input with each finding replaced
// by its placeholder and holds no secret found; a second pass finds nothing.
func FuzzRedact(f *testing.F) {
	for _, seed := range []string{
		"",
		"how do I add an intent?",
		"token " + githubClassic + " and " + githubFine,
		slackBot + " " + slackApp + " " + slackHook,
		"client.login('" + discordBot + "') " + discordHook,
		openaiLegacy + " " + openaiProject + " " + anthropicKey,
		"aws_access_key_id=" + awsAccessKey + "\naws_secret_access_key=" + awsSecretKey,
		googleKey + " " + jwt + " v1." + jwt,
		privateKey,
		"-----BEGIN " + "PRIVATE KEY-----\n" + noise(64) + "\n" + noise(3) + "=",
		"postgres://app:p@ss@db:5432/x redis://:pw@h https://user@example.com",
		"password=hunter2 passwd:x pwd=y --password z {\"api_key\": \"k\"}\n  token: t # c\n",
		"Authorization: Bearer " + strings.Repeat("ab1", 8) + " ann@example.com mailto:b@c.io",
		"git@github.com:a/b.git v1.2.3 123e4567-e89b-12d3-a456-426614174000",
		"\xff\xfe password=\xff@\xc3.com ghp_\x80",
		strings.Repeat("🔑", 50) + "a@b.c" + strings.Repeat("=", 20),
		"glpat" + "-" + noise(20) + " sk" + "_live_" + noise(24) + " npm" + "_" + noise(36) + " my password: hunter2, ok",
		"1234567890" + ":AA" + noise(33) + " _gitlab_session=" + hex(32) + " curl -u a:b https://x ALGOLIA_KEY=" + noise(20),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, found := Redact(in)
		checkFindings(t, in, out, found)
	})
}
