package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/docent-bot/docent/brain/gaps"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// maxGapAnswers bounds the answers read to find the gaps.
const maxGapAnswers = 20000

// Gaps groups what members asked that Docent did not answer well: where it
// said it was not sure (finding nothing, or only "these may help" passages)
// and answers voted down, leaving out questions the current intents now
// answer (after !teach, say).
func (b *Bot) Gaps(ctx context.Context) ([]gaps.Cluster, error) {
	answered, err := b.store.Answered(ctx, []chat.Source{chat.SourceFallback, chat.SourceKnowledge, chat.SourceLLM}, maxGapAnswers)
	if err != nil {
		return nil, err
	}
	br := b.brain.Load()
	var qs []gaps.Question
	seen := map[string]bool{}
	// Oldest first, so that a group's examples read in the order asked.
	for i := len(answered) - 1; i >= 0; i-- {
		a := answered[i]
		unsure := a.Answer.Source == chat.SourceFallback || a.Answer.Source == chat.SourceKnowledge
		if !unsure && !b.downvoted(ctx, a.Answer.ID) {
			continue
		}
		text := strings.TrimSpace(a.Question.Text)
		key := strings.ToLower(text)
		if text == "" || seen[key] || br.Sure(text) {
			continue
		}
		if _, _, _, isCmd := b.commands.Parse(text); isCmd {
			continue
		}
		seen[key] = true
		qs = append(qs, gaps.Question{ID: a.Question.ID, Text: text})
	}
	var background []string
	for _, in := range br.Intents() {
		background = append(background, in.Patterns...)
	}
	return gaps.Find(qs, background), nil
}

// gapsReport is the admin command's text: the largest groups first.
func (b *Bot) gapsReport(ctx context.Context) (string, error) {
	clusters, err := b.Gaps(ctx)
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
			fmt.Fprintf(&sb, "“%s”", oneLine(q.Text, 80))
		}
	}
	fmt.Fprintf(&sb, "\nTurn one into an intent: `%steach gap <number> <response>`.", b.cfg.Bot.CommandPrefix)
	return sb.String(), nil
}

// teachGap creates an intent from a group of gaps: its suggested name, the
// response given, and the group's questions as patterns.
func (b *Bot) teachGap(ctx context.Context, m *Message, args string) (chat.Answer, error) {
	p := b.cfg.Bot.CommandPrefix
	numText, response, _ := strings.Cut(strings.TrimSpace(args), " ")
	n, err := strconv.Atoi(numText)
	response = strings.TrimSpace(response)
	if err != nil || response == "" {
		return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("Usage: `%steach gap <number from %sgaps> <response>`.", p, p)}, nil
	}
	clusters, err := b.Gaps(ctx)
	if err != nil {
		return chat.Answer{}, err
	}
	if n < 1 || n > len(clusters) {
		return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("There is no gap %d; `%sgaps` lists them.", n, p)}, nil
	}
	c := clusters[n-1]
	name := c.Name
	for i := 2; b.intentExists(ctx, name); i++ {
		name = fmt.Sprintf("%s_%d", c.Name, i)
	}
	created, err := b.teach(ctx, m, "new "+name+" "+response)
	if err != nil || !strings.HasPrefix(created.Text, "Created") {
		return created, err
	}
	for _, q := range c.Questions {
		if _, err := b.store.Teach(ctx, store.Taught{Intent: name, Pattern: q.Text, By: m.Author, Time: time.Now()}); err != nil {
			return chat.Answer{}, err
		}
	}
	prep, err := b.Reload(ctx)
	if err != nil {
		return chat.Answer{Ephemeral: true, Text: "I stored the intent, but retraining failed, so the current model stays: " + err.Error()}, nil
	}
	return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("Created the intent %s from %d questions (retrained on %d patterns in %s).",
		name, len(c.Questions), prep.Examples, prep.Took.Round(time.Millisecond))}, nil
}

// intentExists says whether name is an intent, from the files or taught.
func (b *Bot) intentExists(ctx context.Context, name string) bool {
	for _, in := range b.brain.Load().Intents() {
		if in.Name == name {
			return true
		}
	}
	lessons, _ := b.store.Lessons(ctx)
	for _, l := range lessons {
		if l.Intent == name {
			return true
		}
	}
	return false
}

// ReportGaps opens Docent as `docent run` would, and returns the gaps, for
// `docent gaps`.
func ReportGaps(ctx context.Context, cfg *Config, log *slog.Logger) ([]gaps.Cluster, error) {
	b, err := Open(ctx, cfg, Options{Log: log})
	if err != nil {
		return nil, err
	}
	defer b.Close()
	return b.Gaps(ctx)
}
