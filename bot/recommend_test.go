package bot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// TestRecommendInChat: a member asks about LDAP; `!recommend` then gives
// the docs' LDAP section and the open challenge about LDAP filters
// (offered by the challenges module through Host.Suggest), each with the
// reason, and never the member's own question back as an earlier thread.
func TestRecommendInChat(t *testing.T) {
	now := time.Now()
	path := challengeConfig(t, map[string]string{
		"ldap.yaml":  strings.Replace(oneChallenge(t, "ldap-filter", now.Add(-time.Hour), now.Add(48*time.Hour), "42"), "The statement of ldap-filter.", "Write the LDAP search filter that finds every member of a group.", 1),
		"other.yaml": oneChallenge(t, "sorting", now.Add(-time.Hour), now.Add(48*time.Hour), "7"),
	}, "knowledge:\n  folders:\n    - path: docs\n      base_url: https://example.org/docs/\n")
	root := filepath.Dir(path)
	if err := os.MkdirAll(filepath.Join(root, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(root, "docs", "auth.md"), "# Authentication\n\n## LDAP\n\nTo sign members in with LDAP, set the directory's URL and the bind account in ldap.cfg, then restart.\n\n## Passwords\n\nPasswords are hashed with bcrypt.\n")
	write(t, filepath.Join(root, "docs", "search.md"), "# Search\n\n## Solr\n\nThe search index lives in Solr; rebuild it with the index command.\n")
	b := openBot(t, path)
	defer closeBot(t, b)
	askIn(t, b, "g1", "help", alice, "How do I configure LDAP sign in for members?")
	got := askIn(t, b, "g1", "help", alice, "!recommend")
	for _, want := range []string{"doc section: Authentication › LDAP", "https://example.org/docs/auth.md#ldap", "!challenge ldap-filter", "because you asked about ldap today"} {
		if !strings.Contains(got, want) {
			t.Errorf("!recommend = %q, want %q in it", got, want)
		}
	}
	if strings.Contains(got, "sorting") || strings.Contains(got, "How do I configure LDAP sign in") {
		t.Errorf("!recommend = %q: the sorting challenge matches nothing of alice's, and her own question is hers", got)
	}
	if got := askIn(t, b, "g1", "help", alice, "!recommend off"); !strings.Contains(got, "Recommendations are off") {
		t.Errorf("!recommend off = %q", got)
	}
	d, err := b.store.ExportMember(context.Background(), store.MemberRef{Platform: "discord", ID: alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	if d.Parts["recommendations"] == nil {
		t.Errorf("export me has no recommendations part: %v", d.Parts)
	}
}

// TestRecommendConfig: the section's values are checked, with their
// paths and lines.
func TestRecommendConfig(t *testing.T) {
	_, err := LoadConfig(writeConfig(t, "recommend:\n  digest_day: someday\n  digest_hour: 24\n  half_life: 1h\n"))
	for _, want := range []string{"recommend.digest_day: \"someday\" is not a day of the week", "recommend.digest_hour: must be an hour of the day", "recommend.half_life: must be 24h"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadConfig: %v, want %q", err, want)
		}
	}
	if _, err := LoadConfig(writeConfig(t, "recommend:\n  enabled: false\n  digest_day: Friday\n  digest_hour: 17\n")); err != nil {
		t.Errorf("a good section: %v", err)
	}
}

// TestRecommendOffersHelpersOpenQuestions: a helper's !recommend offers
// the recent question nobody answered in a channel they write in (the
// routing module's suggestion, through Host.Suggest), with who asked it;
// the same question is not offered to a member who is no helper, nor
// shown in another guild's channel.
func TestRecommendOffersHelpersOpenQuestions(t *testing.T) {
	b := openBot(t, writeConfig(t, "routing:\n  enabled: true\n"))
	defer closeBot(t, b)
	askIn(t, b, "g1", "help", alice, "How do I configure LDAP sign in for members?")
	if got := askIn(t, b, "g1", "help", alice, "!helper on"); !strings.Contains(got, "Thanks") {
		t.Fatalf("!helper on = %q", got)
	}
	carol, bob := chat.Member{ID: "u8", Name: "carol"}, chat.Member{ID: "u9", Name: "bob"}
	askIn(t, b, "g1", "help", carol, "How do I configure LDAP sign in for members?")
	_, err := b.store.AppendMessage(context.Background(), chat.Message{Conversation: chat.Conversation{Platform: "discord", Channel: "help"}, Space: "g1",
		Author: bob, Text: "does anyone know why the LDAP sync drops users every night?", Time: time.Now().Add(-30 * time.Minute), ID: "777"})
	if err != nil {
		t.Fatal(err)
	}
	want := "bob asked in help 30 minutes ago, and nobody has answered yet: “does anyone know why the LDAP sync drops users every night?”"
	if got := askIn(t, b, "g1", "help", alice, "!recommend"); !strings.Contains(got, "open question: "+want+" — <https://discord.com/channels/g1/help/777>") {
		t.Errorf("the helper's !recommend = %q, want %q in it", got, want)
	}
	if got := askIn(t, b, "g1", "help", carol, "!recommend"); strings.Contains(got, "LDAP sync") {
		t.Errorf("!recommend of carol, no helper = %q", got)
	}
	if got := askIn(t, b, "g2", "help", alice, "!recommend"); strings.Contains(got, "LDAP sync") {
		t.Errorf("!recommend in another guild = %q", got)
	}
}
