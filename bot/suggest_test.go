package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/store"
)

// TestChallengesSuggest: the challenges module offers a member the open
// challenges they have not solved, with their words, through the core's
// Host.Suggest (IDs prefixed with the module's name); closed and
// upcoming ones, and one the member solved, are left out.
func TestChallengesSuggest(t *testing.T) {
	now := time.Now()
	path := challengeConfig(t, map[string]string{
		"open.yaml":   oneChallenge(t, "open", now.Add(-time.Hour), now.Add(time.Hour), "42"),
		"solved.yaml": oneChallenge(t, "solved", now.Add(-time.Hour), now.Add(time.Hour), "7"),
		"closed.yaml": oneChallenge(t, "closed", now.Add(-2*time.Hour), now.Add(-time.Hour), "1"),
		"later.yaml":  oneChallenge(t, "later", now.Add(time.Hour), now.Add(2*time.Hour), "1"),
	}, "")
	b := openBot(t, path)
	defer closeBot(t, b)
	if got := askIn(t, b, "g1", "help", alice, "!submit solved 7"); !strings.Contains(got, "Right!") {
		t.Fatalf("!submit solved 7 = %q", got)
	}
	got := b.suggest(context.Background(), store.MemberRef{Platform: "discord", ID: alice.ID})
	if len(got) != 1 || got[0].ID != "challenges:open" || got[0].Kind != "challenge" || got[0].Link != "!challenge open" || !strings.Contains(got[0].Words, "The statement of open.") {
		t.Errorf("suggestions for alice %+v, want the open challenge alone", got)
	}
	if got := b.suggest(context.Background(), store.MemberRef{Platform: "discord", ID: "someone"}); len(got) != 2 {
		t.Errorf("suggestions for someone else %+v, want open and solved", got)
	}
}
