package lessons

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/brain"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// Commands are the module's chat commands, all for admins.
func (mod *Module) Commands() []module.Command {
	return []module.Command{
		{Name: "teach", Admin: true, Args: "<intent> <text> | new <name> <response>",
			Summary: "add what members write as a pattern of an intent and retrain, or create an intent", Run: mod.teach},
		{Name: "unteach", Admin: true, Args: "<lesson-id>",
			Summary: "remove a pattern or an intent taught in chat and retrain", Run: mod.unteach},
		{Name: "lessons", Admin: true, Summary: "what was taught in chat, newest first, with the IDs unteach takes",
			Run: func(ctx context.Context, _ *module.Message, _ string) (chat.Answer, error) {
				text, err := mod.lessonsReport(ctx)
				return chat.Answer{Text: text, Ephemeral: true}, err
			}},
		{Name: "promote", Admin: true, Args: "<answer-id> <name>",
			Summary: "turn a good answer from the docs or the LLM into a new intent (its question, its answer)", Run: mod.promote},
		{Name: "gaps", Admin: true, Summary: "what members asked that I could not answer, grouped, largest first",
			Run: func(ctx context.Context, _ *module.Message, _ string) (chat.Answer, error) {
				text, err := mod.gapsReport(ctx)
				return chat.Answer{Text: text, Ephemeral: true}, err
			}},
	}
}

// intentName is what an intent created in chat may be called, as in the
// intents files.
var intentName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

// teach is the admin command: `teach <intent> <text>` adds text as a
// pattern of the intent and retrains; `teach new <name> <response>`
// creates an intent, which answers once it is taught a pattern.
func (mod *Module) teach(ctx context.Context, m *module.Message, args string) (chat.Answer, error) {
	p := mod.host.Prefix
	usage := fmt.Sprintf("Usage: `%steach <intent> <what members write>` adds a pattern; `%steach new <name> <response>` creates an intent; `%steach gap <number> <response>` turns a group of `%sgaps` into one.", p, p, p, p)
	name, text, _ := strings.Cut(strings.TrimSpace(args), " ")
	text = strings.TrimSpace(text)
	if name == "gap" {
		return mod.teachGap(ctx, m, text)
	}
	if name == "" || text == "" {
		return chat.Answer{Ephemeral: true, Text: usage}, nil
	}
	lessons, err := Read(ctx, mod.host.Store)
	if err != nil {
		return chat.Answer{}, err
	}
	known := map[string]bool{}
	for _, in := range mod.host.Brain().Intents() {
		known[in.Name] = true
	}
	pending := map[string]bool{} // taught with a response, no pattern yet
	for _, l := range lessons {
		if l.Response != "" && !known[l.Intent] {
			pending[l.Intent] = true
		}
	}

	if name == "new" {
		newName, response, _ := strings.Cut(text, " ")
		response = strings.TrimSpace(response)
		switch {
		case response == "":
			return chat.Answer{Ephemeral: true, Text: usage}, nil
		case newName == "new" || newName == "gap":
			return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("%q is a word of the teach command; choose another name.", newName)}, nil
		case !intentName.MatchString(newName):
			return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("%q is not an intent name: use lowercase letters, digits, _ . and -, like deploy_help.", newName)}, nil
		case known[newName] || pending[newName]:
			return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("There is already an intent %s; teach it patterns with `%steach %s <text>`.", newName, p, newName)}, nil
		}
		// The response must work as a template before it is kept: a broken
		// lesson would stop every later reload.
		check := append(mod.host.Brain().Intents(), brain.Intent{Name: newName, Patterns: []string{"x"}, Responses: []string{response}, Where: Where})
		if err := mod.host.TryIntents(check); err != nil {
			return chat.Answer{Ephemeral: true, Text: "That response does not work: " + err.Error()}, nil
		}
		l, err := Teach(ctx, mod.host.Store, Taught{Intent: newName, Response: response, By: m.Author, Time: time.Now()})
		if err != nil {
			return chat.Answer{}, err
		}
		mod.log.Info("intent created in chat", "intent", newName, "lesson", l.ID, "by", m.Author.ID)
		return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("Created the intent %s (lesson #%d). Now teach it what members write: `%steach %s <question>`.", newName, l.ID, p, newName)}, nil
	}

	if !known[name] && !pending[name] {
		return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("I have no intent %s. `%swhy` shows the intents a question is close to; `%steach new %s <response>` creates it.", name, p, p, name)}, nil
	}
	l, err := Teach(ctx, mod.host.Store, Taught{Intent: name, Pattern: text, By: m.Author, Time: time.Now()})
	if err != nil {
		return chat.Answer{}, err
	}
	mod.log.Info("pattern taught in chat", "intent", name, "lesson", l.ID, "by", m.Author.ID)
	prep, err := mod.host.Retrain(ctx)
	if err != nil {
		return chat.Answer{Ephemeral: true, Text: "I stored the pattern, but retraining failed, so the current model stays: " + err.Error()}, nil
	}
	return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("Learnt: %q is now a pattern of %s (lesson #%d; retrained on %d patterns in %s). `%sunteach %d` takes it back.%s",
		text, name, l.ID, prep.Examples, prep.Took.Round(time.Millisecond), p, l.ID, prep.NotSaved())}, nil
}

// unteach is the admin command `unteach <lesson-id>`: it removes a pattern
// taught in chat, or an intent created in chat with the patterns taught to
// it, and retrains as teach does.
func (mod *Module) unteach(ctx context.Context, m *module.Message, args string) (chat.Answer, error) {
	p := mod.host.Prefix
	id, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(args), "#"), 10, 64)
	if err != nil || id == 0 {
		return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("Usage: `%sunteach <lesson-id>`, with the lesson's number from `%slessons` (#12).", p, p)}, nil
	}
	removed, err := Unteach(ctx, mod.host.Store, id)
	if errors.Is(err, store.ErrNotFound) {
		return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("There is no lesson #%d; `%slessons` lists them.", id, p)}, nil
	}
	if err != nil {
		return chat.Answer{}, err
	}
	l := removed[0]
	mod.log.Info("lesson removed in chat", "lesson", id, "intent", l.Intent, "lessons_removed", len(removed), "by", m.Author.ID)
	prep, err := mod.host.Retrain(ctx)
	if err != nil {
		return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("I removed lesson #%d, but retraining failed, so the current model stays: %v", id, err)}, nil
	}
	return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("Removed lesson #%d: %s (retrained on %d patterns in %s).%s",
		id, mod.describeRemoval(removed), prep.Examples, prep.Took.Round(time.Millisecond), prep.NotSaved())}, nil
}

// describeRemoval says what Unteach removed, and what stays because the
// intents files have it too; it is called after the reload.
func (mod *Module) describeRemoval(removed []Taught) string {
	l := removed[0]
	var inUse *brain.Intent
	for _, in := range mod.host.Brain().Intents() {
		if in.Name == l.Intent {
			inUse = &in
			break
		}
	}
	if l.Response == "" {
		if inUse != nil && slices.Contains(inUse.Patterns, l.Pattern) {
			return fmt.Sprintf("%q is no longer taught to %s, but it stays one of its patterns: the intents files have it too", l.Pattern, l.Intent)
		}
		return fmt.Sprintf("%q is no longer a pattern of %s", l.Pattern, l.Intent)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "the intent %s created in chat", l.Intent)
	switch n := len(removed) - 1; n {
	case 0:
	case 1:
		fmt.Fprintf(&sb, " and its taught pattern #%d", removed[1].ID)
	default:
		ids := make([]string, n)
		for i, r := range removed[1:] {
			ids[i] = fmt.Sprintf("#%d", r.ID)
		}
		fmt.Fprintf(&sb, " and its %d taught patterns (%s)", n, strings.Join(ids, ", "))
	}
	if inUse != nil {
		sb.WriteString("; the intents files define an intent of that name, which stays")
	}
	return sb.String()
}

// maxLessonsShown bounds the lessons command's list.
const maxLessonsShown = 15

// lessonsReport is the admin command `lessons`: the newest lessons, with
// the IDs unteach takes.
func (mod *Module) lessonsReport(ctx context.Context) (string, error) {
	lessons, err := Read(ctx, mod.host.Store)
	if err != nil {
		return "", err
	}
	p := mod.host.Prefix
	if len(lessons) == 0 {
		return fmt.Sprintf("Nothing was taught in chat yet: `%steach` adds a pattern or an intent.", p), nil
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "Lessons taught in chat (%d), newest first:", len(lessons))
	for i := len(lessons) - 1; i >= 0 && i >= len(lessons)-maxLessonsShown; i-- {
		l := lessons[i]
		what := fmt.Sprintf("“%s”", chat.Clip(l.Pattern, 80))
		if l.Response != "" {
			what = fmt.Sprintf("new intent, answering “%s”", chat.Clip(l.Response, 60))
		}
		fmt.Fprintf(&sb, "\n#%d %s: %s (%s, %s)", l.ID, l.Intent, what, memberLabel(l.By), l.Time.UTC().Format(time.DateOnly))
	}
	if len(lessons) > maxLessonsShown {
		fmt.Fprintf(&sb, "\n… and %d older ones (`docent lessons` lists them all).", len(lessons)-maxLessonsShown)
	}
	fmt.Fprintf(&sb, "\n`%sunteach <id>` removes one.", p)
	return sb.String(), nil
}

// memberLabel names a member for admins: the name, else the ID.
func memberLabel(m chat.Member) string {
	if m.Name != "" {
		return m.Name
	}
	if m.ID != "" {
		return m.ID
	}
	return "unknown"
}

// promote is the admin command `promote <answer-id> <name>`: a good LLM or
// docs answer becomes a new intent, its question the first pattern and the
// answer the response, so the next member asking gets it at once and for
// free. Answer IDs are those `docent history` shows (#12).
func (mod *Module) promote(ctx context.Context, m *module.Message, args string) (chat.Answer, error) {
	p := mod.host.Prefix
	idText, name, _ := strings.Cut(strings.TrimSpace(args), " ")
	name = strings.TrimSpace(name)
	var id uint64
	if _, err := fmt.Sscan(strings.TrimPrefix(idText, "#"), &id); err != nil || name == "" || strings.ContainsAny(name, " \t\n") {
		return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("Usage: `%spromote <answer-id> <new-intent-name>`, with the answer's number from `docent history` (#12).", p)}, nil
	}
	ans, err := mod.host.Records.Record(ctx, id)
	if err != nil || ans.Kind != store.KindAnswer || ans.ReplyTo == 0 {
		return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("#%d is not one of my answers to a question.", id)}, nil
	}
	if ans.Source != chat.SourceLLM && ans.Source != chat.SourceKnowledge {
		return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("#%d came from %s; only answers written from the docs can be promoted.", id, ans.Source)}, nil
	}
	q, err := mod.host.Records.Record(ctx, ans.ReplyTo)
	if err != nil {
		return chat.Answer{}, err
	}
	// Templates would read {{ in the answer as actions: keep it literal.
	response := "{{`" + strings.ReplaceAll(chat.WithoutLead(ans.Text), "`", "`}}{{\"`\"}}{{`") + "`}}"
	created, err := mod.teach(ctx, m, "new "+name+" "+response)
	if err != nil || !strings.HasPrefix(created.Text, "Created") {
		return created, err
	}
	learnt, err := mod.teach(ctx, m, name+" "+q.Text)
	if err != nil || !strings.HasPrefix(learnt.Text, "Learnt") {
		return learnt, err
	}
	if id := mod.createdIn(ctx, name); id != 0 {
		learnt.Text += fmt.Sprintf(" `%sunteach %d` removes the whole intent.", p, id)
	}
	return learnt, nil
}

// createdIn returns the ID of the lesson that created the intent, 0 when
// it was not created in chat.
func (mod *Module) createdIn(ctx context.Context, intent string) uint64 {
	lessons, err := Read(ctx, mod.host.Store)
	if err != nil {
		mod.log.Warn("could not read the lessons", "err", err)
		return 0
	}
	for _, l := range lessons {
		if l.Intent == intent && l.Response != "" {
			return l.ID
		}
	}
	return 0
}
