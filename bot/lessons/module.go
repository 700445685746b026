// Package lessons is the feature module of what admins teach Docent in
// chat and of the coverage gaps: `!teach`, `!unteach`, `!lessons`,
// `!promote` and `!gaps`, the lessons' records (the taught bucket), their
// part in each member's data, the intents they add to the brain, the
// dashboard's intents and gaps pages, and `docent lessons` and `docent
// gaps` on the command line.
package lessons

import (
	"context"
	"log/slog"
	"slices"
	"strings"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/brain"
	"github.com/docent-bot/docent/store"
)

// Module is the lessons module. It has no section in the config file.
type Module struct {
	host *module.Host
	log  *slog.Logger
}

// New returns the lessons module, not provisioned.
func New() *Module { return &Module{} }

// Name is the module's name.
func (*Module) Name() string { return "lessons" }

// Provision keeps the bot's services.
func (mod *Module) Provision(_ context.Context, h *module.Host) error {
	mod.host, mod.log = h, h.Log
	return nil
}

// MemberParts are the lessons each member taught.
func (*Module) MemberParts() []store.MemberPart { return []store.MemberPart{part{}} }

// Where marks intents and patterns that came from chat, in messages.
const Where = "taught in chat"

// Intents adds the taught patterns to their intents and creates the
// taught intents (module.IntentSource).
func (*Module) Intents(ctx context.Context, st store.Buckets, base []brain.Intent) ([]brain.Intent, error) {
	lessons, err := Read(ctx, st)
	if err != nil {
		return nil, err
	}
	return Apply(base, lessons), nil
}

// Apply adds the taught patterns to their intents and creates the taught
// intents. An intent taught without a pattern yet is left out until it
// has one (the classifier has nothing to learn it from); a pattern for an
// intent no longer defined is ignored.
func Apply(intents []brain.Intent, lessons []Taught) []brain.Intent {
	idx := map[string]int{}
	for i, in := range intents {
		idx[in.Name] = i
	}
	for _, l := range lessons {
		i, ok := idx[l.Intent]
		if !ok {
			if l.Response == "" {
				continue
			}
			intents = append(intents, brain.Intent{Name: l.Intent, Description: strings.ReplaceAll(l.Intent, "_", " "),
				Responses: []string{l.Response}, Where: Where})
			idx[l.Intent] = len(intents) - 1
			continue
		}
		if l.Pattern != "" && !slices.Contains(intents[i].Patterns, l.Pattern) {
			intents[i].Patterns = append(intents[i].Patterns, l.Pattern)
		}
	}
	return slices.DeleteFunc(intents, func(in brain.Intent) bool { return len(in.Patterns) == 0 })
}
