package bot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
