package lessons

import (
	"context"
	_ "embed"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

var (
	//go:embed intents.html
	intentsPage string
	//go:embed gaps.html
	gapsPage string
)

// Pages are the dashboard's intents page (the brain's intents, taught ones
// included) and its gaps page, whose forms teach a question as a pattern
// of an intent or turn a group of gaps into a new intent.
func (mod *Module) Pages() []module.Page {
	return []module.Page{
		{Path: "intents", Title: "Intents", Template: intentsPage, Data: mod.intentsData},
		{Path: "gaps", Title: "Gaps", Template: gapsPage, Data: mod.gapsData,
			Actions: []module.Action{{Path: "teach", Run: mod.teachAction}, {Path: "teach-gap", Run: mod.teachGapAction}}},
	}
}

type intentRow struct {
	Name, Description, Where string
	Patterns, Responses      []string
}

func (mod *Module) intentsData(context.Context) (any, error) {
	var rows []intentRow
	for _, in := range mod.host.Brain().Intents() {
		resp := slices.Clone(in.Responses)
		for lang, rs := range in.ResponsesByLanguage {
			for _, x := range rs {
				resp = append(resp, "["+lang+"] "+x)
			}
		}
		rows = append(rows, intentRow{Name: in.Name, Description: in.Description, Where: in.Where, Patterns: in.Patterns, Responses: resp})
	}
	slices.SortFunc(rows, func(a, b intentRow) int { return strings.Compare(a.Name, b.Name) })
	return map[string]any{"Intents": rows, "Prepared": mod.host.Prepared()}, nil
}

type gapsData struct {
	Clusters  any
	Downvoted []store.Answered
	Intents   []string
}

func (mod *Module) gapsData(ctx context.Context) (any, error) {
	clusters, err := mod.Gaps(ctx)
	if err != nil {
		return nil, fmt.Errorf("find the coverage gaps: %w", err)
	}
	down, err := mod.Downvoted(ctx, 50)
	if err != nil {
		return nil, fmt.Errorf("list the downvoted answers: %w", err)
	}
	var names []string
	for _, in := range mod.host.Brain().Intents() {
		names = append(names, in.Name)
	}
	slices.Sort(names)
	return gapsData{Clusters: clusters[:min(len(clusters), 30)], Downvoted: down, Intents: names}, nil
}

// dashboardAdmin is who the dashboard's lessons are recorded as taught by.
var dashboardAdmin = chat.Member{ID: "dashboard", Name: "dashboard admin"}

// adminMessage is an admin's action from the dashboard, as the teach
// logic expects it.
func adminMessage(by chat.Member) *module.Message {
	return &module.Message{Message: chat.Message{Conversation: chat.Conversation{Platform: "web", Channel: "dashboard"}, Author: by}}
}

// teachAction adds a question as a pattern of an existing intent and
// retrains, as `!teach <intent> <text>` does.
func (mod *Module) teachAction(ctx context.Context, form url.Values) (string, bool, error) {
	intent, text := strings.TrimSpace(form.Get("intent")), strings.TrimSpace(form.Get("text"))
	if intent == "" || text == "" {
		return "Choose an intent and give the text to teach.", true, nil
	}
	if intent == "new" || intent == "gap" || strings.ContainsAny(intent, " \t\n") {
		return fmt.Sprintf("%q is not an intent name.", intent), true, nil
	}
	a, err := mod.teach(ctx, adminMessage(dashboardAdmin), intent+" "+text)
	if err != nil {
		return "", false, fmt.Errorf("teach %s: %w", intent, err)
	}
	return a.Text, !strings.HasPrefix(a.Text, "Learnt"), nil
}

// teachGapAction turns the group of gaps named in the form into a new
// intent, as `!teach gap <name> <response>` does.
func (mod *Module) teachGapAction(ctx context.Context, form url.Values) (string, bool, error) {
	gap, response := strings.TrimSpace(form.Get("gap")), strings.TrimSpace(form.Get("response"))
	if gap == "" || response == "" {
		return "Give the new intent's response.", true, nil
	}
	a, err := mod.teach(ctx, adminMessage(dashboardAdmin), "gap "+gap+" "+response)
	if err != nil {
		return "", false, fmt.Errorf("turn gap %s into an intent: %w", gap, err)
	}
	return a.Text, !strings.HasPrefix(a.Text, "Created"), nil
}
