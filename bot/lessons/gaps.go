package lessons

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/brain/gaps"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// Bounds on the work of finding the gaps: the answers read, and the
// newest questions grouped (grouping costs questions × groups).
const (
	maxGapAnswers   = 20000
	maxGapQuestions = 2000
)

// Gaps groups what members asked that Docent did not answer well: where it
// said it was not sure (finding nothing, or only "these may help" passages)
// and answers voted down, and what nobody answered (module.Historian:
// imported years too), leaving out questions the current intents now
// answer (after !teach, say).
func (mod *Module) Gaps(ctx context.Context) ([]gaps.Cluster, error) {
	answered, err := mod.host.Records.Answered(ctx, []chat.Source{chat.SourceFallback, chat.SourceKnowledge, chat.SourceLLM}, maxGapAnswers)
	if err != nil {
		return nil, err
	}
	br := mod.host.Brain()
	var qs []gaps.Question
	seen := map[string]bool{}
	// Newest first, to keep the newest questions; reversed below so that a
	// group's examples read in the order asked.
	for _, a := range answered {
		if len(qs) == maxGapQuestions || ctx.Err() != nil {
			break
		}
		unsure := a.Answer.Source == chat.SourceFallback || a.Answer.Source == chat.SourceKnowledge
		if !unsure && !mod.downvoted(ctx, a.Answer.ID) {
			continue
		}
		text := strings.TrimSpace(a.Question.Text)
		key := strings.ToLower(text)
		if text == "" || seen[key] || br.Sure(text) {
			continue
		}
		if mod.host.IsCommand(text) {
			continue
		}
		seen[key] = true
		qs = append(qs, gaps.Question{ID: a.Question.ID, Text: text})
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Then the questions nobody answered, imported or live (the threads
	// module's), that the brain is not sure of, in what room is left.
	if h := mod.host.Threads; h != nil && len(qs) < maxGapQuestions {
		unanswered, err := h.Unanswered(ctx, maxGapQuestions)
		if err != nil {
			return nil, err
		}
		for _, q := range unanswered {
			if len(qs) == maxGapQuestions {
				break
			}
			text := strings.TrimSpace(q.Text)
			key := strings.ToLower(text)
			if text == "" || seen[key] || br.Sure(text) || mod.host.IsCommand(text) {
				continue
			}
			seen[key] = true
			qs = append(qs, gaps.Question{ID: q.ID, Text: text})
		}
	}
	slices.Reverse(qs)
	var background []string
	for _, in := range br.Intents() {
		background = append(background, in.Patterns...)
	}
	return gaps.Find(qs, background), nil
}

// gapsReport is the admin command's text: the largest groups first.
func (mod *Module) gapsReport(ctx context.Context) (string, error) {
	clusters, err := mod.Gaps(ctx)
	if err != nil {
		return "", err
	}
	if len(clusters) == 0 {
		return "No gaps: every question I was unsure of is answered now, and no answer was voted down.", nil
	}
	var sb strings.Builder
	sb.WriteString("What members asked that I could not answer, largest groups first:")
	for i, c := range clusters[:min(5, len(clusters))] {
		fmt.Fprintf(&sb, "\n%d. %s (%d): ", i+1, c.Name, len(c.Questions))
		for j, q := range c.Questions[:min(3, len(c.Questions))] {
			if j > 0 {
				sb.WriteString("; ")
			}
			fmt.Fprintf(&sb, "“%s”", chat.Clip(q.Text, 80))
		}
	}
	fmt.Fprintf(&sb, "\nTurn one into an intent: `%steach gap <name> <response>`.", mod.host.Prefix)
	return sb.String(), nil
}

// teachGap creates an intent from a group of gaps: its suggested name, the
// response given, and the group's questions as patterns.
func (mod *Module) teachGap(ctx context.Context, m *module.Message, args string) (chat.Answer, error) {
	p := mod.host.Prefix
	which, response, _ := strings.Cut(strings.TrimSpace(args), " ")
	response = strings.TrimSpace(response)
	if which == "" || response == "" {
		return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("Usage: `%steach gap <name or number from %sgaps> <response>`.", p, p)}, nil
	}
	clusters, err := mod.Gaps(ctx)
	if err != nil {
		return chat.Answer{}, err
	}
	// By name is safest: numbers shift as new questions come in.
	i := slices.IndexFunc(clusters, func(c gaps.Cluster) bool { return c.Name == which })
	if n, err := strconv.Atoi(which); i < 0 && err == nil && n >= 1 && n <= len(clusters) {
		i = n - 1
	}
	if i < 0 {
		return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("There is no gap %s now; `%sgaps` lists them.", which, p)}, nil
	}
	c := clusters[i]
	for _, q := range c.Questions {
		if len(q.Text) > 4000 {
			return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("Question #%d of that gap is too long to be a pattern; teach the others one by one with `%steach`.", q.ID, p)}, nil
		}
	}
	name := c.Name
	for i := 2; mod.intentExists(ctx, name); i++ {
		name = fmt.Sprintf("%s_%d", c.Name, i)
	}
	created, err := mod.teach(ctx, m, "new "+name+" "+response)
	if err != nil || !strings.HasPrefix(created.Text, "Created") {
		return created, err
	}
	for _, q := range c.Questions {
		if _, err := Teach(ctx, mod.host.Store, Taught{Intent: name, Pattern: q.Text, By: m.Author, Time: time.Now()}); err != nil {
			return chat.Answer{}, err
		}
	}
	prep, err := mod.host.Retrain(ctx)
	if err != nil {
		return chat.Answer{Ephemeral: true, Text: "I stored the intent, but retraining failed, so the current model stays: " + err.Error()}, nil
	}
	text := fmt.Sprintf("Created the intent %s from %d questions (retrained on %d patterns in %s).",
		name, len(c.Questions), prep.Examples, prep.Took.Round(time.Millisecond))
	if id := mod.createdIn(ctx, name); id != 0 {
		text += fmt.Sprintf(" `%sunteach %d` takes it back.", p, id)
	}
	return chat.Answer{Ephemeral: true, Text: text + prep.NotSaved()}, nil
}

// intentExists says whether name is an intent, from the files or taught.
func (mod *Module) intentExists(ctx context.Context, name string) bool {
	for _, in := range mod.host.Brain().Intents() {
		if in.Name == name {
			return true
		}
	}
	lessons, _ := Read(ctx, mod.host.Store)
	for _, l := range lessons {
		if l.Intent == name {
			return true
		}
	}
	return false
}

// downvoted says whether a member voted the answer down.
func (mod *Module) downvoted(ctx context.Context, answer uint64) bool {
	votes, err := mod.host.Records.Feedback(ctx, answer)
	if err != nil {
		mod.log.Warn("could not read the votes on an answer", "answer", answer, "err", err)
		return false
	}
	for _, v := range votes {
		if v.Vote == chat.VoteDown {
			return true
		}
	}
	return false
}

// Downvoted returns up to limit of the newest answers a member voted down,
// with their questions, newest first.
func (mod *Module) Downvoted(ctx context.Context, limit int) ([]store.Answered, error) {
	answered, err := mod.host.Records.Answered(ctx, []chat.Source{chat.SourceIntent, chat.SourceKnowledge, chat.SourceLLM, chat.SourceFallback}, maxGapQuestions)
	if err != nil {
		return nil, err
	}
	var out []store.Answered
	for _, a := range answered {
		if len(out) == limit || ctx.Err() != nil {
			break
		}
		if mod.downvoted(ctx, a.Answer.ID) {
			out = append(out, a)
		}
	}
	return out, ctx.Err()
}
