package challenges

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/store"
)

var _ module.Suggester = (*Module)(nil)

// Suggest offers member the challenges open now that they have not solved
// every part of, with their title, tags and statement as the words that
// match them to the member's topics (module.Suggester, for the recommend
// module). Off, it offers nothing.
func (mod *Module) Suggest(ctx context.Context, member store.MemberRef) ([]module.Suggestion, error) {
	if !mod.On() {
		return nil, nil
	}
	subs, err := mod.records.MemberSubmissions(ctx, member.Platform, member.ID)
	if err != nil {
		return nil, fmt.Errorf("challenges: suggest for %s: %w", member, err)
	}
	now := mod.now()
	var out []module.Suggestion
	for _, c := range mod.set.Load().All() {
		if c.StateAt(now) != Open || solvedAll(c, subs, now, mod.limits()) {
			continue
		}
		out = append(out, module.Suggestion{
			ID:    c.ID,
			Kind:  "challenge",
			Title: fmt.Sprintf("the %s challenge “%s” (%d points, open until %s)", c.Difficulty, c.Title, c.Points(), c.End.UTC().Format("Jan 2 15:04 MST")),
			Link:  mod.prefix + "challenge " + c.ID,
			Words: strings.Join(append([]string{c.Title, c.Statement}, c.Tags...), "\n"),
		})
	}
	return out, nil
}

// solvedAll reports whether subs solve every part of c.
func solvedAll(c *Challenge, subs []Submission, now time.Time, lim SubmitLimits) bool {
	for _, p := range c.Parts {
		if !StatusOf(subs, c.ID, p.ID, now, lim).Solved {
			return false
		}
	}
	return true
}
