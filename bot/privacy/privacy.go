// Package privacy is the members' privacy as a feature module: `!export
// me` sends a member everything Docent stores about them, `!forget me`
// (confirmed) deletes it, and retention (store.retention_days) deletes what
// is older than the period. What each capability stores about a member is
// found through the store's member parts, so a new module's records are
// exported and forgotten without a change here.
package privacy

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/internal/window"
	"github.com/docent-bot/docent/store"
)

// ConfirmWindow is how long a member has to confirm `forget me`.
const ConfirmWindow = 5 * time.Minute

// retentionEvery is how often old history is deleted.
const retentionEvery = time.Hour

// Module is the privacy commands and retention.
type Module struct {
	members module.Members
	log     *slog.Logger
	prefix  string
	now     func() time.Time
	days    int
	// asked holds members who asked to be forgotten and have yet to
	// confirm, with when they asked.
	asked *window.Times[store.MemberRef]
}

// New returns the privacy module.
func New() *Module { return &Module{asked: window.New[store.MemberRef](ConfirmWindow)} }

// Name is the module's name; it has no config section of its own (the
// retention period is store.retention_days).
func (mod *Module) Name() string { return "privacy" }

// Provision takes the core's hold on members' data.
func (mod *Module) Provision(_ context.Context, h *module.Host) error {
	mod.members, mod.log, mod.prefix, mod.now, mod.days = h.Members, h.Log, h.Prefix, h.Now, h.RetentionDays
	return nil
}

func memberRef(m *module.Message) store.MemberRef {
	return store.MemberRef{Platform: m.Conversation.Platform, ID: m.Author.ID}
}

// Commands are `forget me` and `export me`.
func (mod *Module) Commands() []module.Command {
	return []module.Command{
		{Name: "forget", Args: "me", Summary: "delete everything I store about you (asks you to confirm first)", Run: mod.forget},
		{Name: "export", Args: "me", Summary: "send you, privately, a JSON file of everything I store about you", Run: mod.export},
	}
}

func (mod *Module) forget(ctx context.Context, m *module.Message, args string) (chat.Answer, error) {
	prefix := mod.prefix
	switch strings.ToLower(strings.Join(strings.Fields(args), " ")) {
	case "me":
		mod.asked.Mark(memberRef(m), mod.now())
		return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("This deletes everything I store about you: your messages and my answers to them, "+
			"your votes, your LLM usage and your part of the activity figures. It cannot be undone. "+
			"To go ahead, write `%sforget me confirm` within %d minutes. (`%sexport me` sends you a copy first.)",
			prefix, int(ConfirmWindow.Minutes()), prefix)}, nil
	case "me confirm":
		if !mod.asked.Take(memberRef(m), mod.now()) {
			return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("Write `%sforget me` first; then confirm within %d minutes.",
				prefix, int(ConfirmWindow.Minutes()))}, nil
		}
		f, err := mod.members.Forget(ctx, memberRef(m))
		if err != nil {
			return chat.Answer{}, err
		}
		m.Forgotten = true
		yours := chat.Plural(f.Votes, "vote")
		if f.Reactions > 0 { // only imported history has them
			yours += " and " + chat.Plural(f.Reactions, "reaction")
		}
		return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("Done: I deleted %s, %s to them and %s of yours, and took you out of the activity figures. "+
			"I keep nothing that names you; this conversation's next messages are stored as usual.",
			chat.Plural(f.Messages, "message"), chat.Plural(f.Answers, "answer"), yours)}, nil
	}
	return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("Usage: `%sforget me`, then `%sforget me confirm`.", prefix, prefix)}, nil
}

func (mod *Module) export(ctx context.Context, m *module.Message, args string) (chat.Answer, error) {
	if strings.ToLower(strings.TrimSpace(args)) != "me" {
		return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("Usage: `%sexport me`.", mod.prefix)}, nil
	}
	ref := memberRef(m)
	data, err := mod.members.Export(ctx, ref)
	if err != nil {
		return chat.Answer{}, err
	}
	js, err := json.MarshalIndent(data, "", "  ")
	if err != nil {
		return chat.Answer{}, err
	}
	name := fmt.Sprintf("docent-export-%s-%s.json", ref.Platform, mod.now().UTC().Format("2006-01-02"))
	votes := chat.Plural(len(data.Votes), "vote")
	if len(data.Reactions) > 0 { // only imported history has them
		votes += ", " + chat.Plural(len(data.Reactions), "reaction")
	}
	return chat.Answer{Private: true, Text: fmt.Sprintf("Here is everything I store about you: %s, %s to them, %s, as JSON.",
		chat.Plural(len(data.Messages), "message"), chat.Plural(len(data.Answers), "answer"), votes),
		File: &chat.File{Name: name, ContentType: "application/json", Data: js}}, nil
}

// Run deletes history older than store.retention_days now and then every
// hour, until ctx is done; with no retention period it has nothing to do.
func (mod *Module) Run(ctx context.Context, _ module.RunEnv) error {
	if mod.days <= 0 {
		return nil
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		cutoff := mod.now().AddDate(0, 0, -mod.days)
		start := time.Now()
		r, err := mod.members.Expire(ctx, cutoff)
		switch {
		case err != nil && ctx.Err() == nil:
			mod.log.Error("retention: could not delete old history", "retention_days", mod.days, "err", err)
		case r.Records > 0 || slices.ContainsFunc(slices.Collect(maps.Values(r.Parts)), func(n int) bool { return n > 0 }):
			attrs := []any{"before", cutoff.Format(time.DateOnly), "records", r.Records}
			for _, k := range slices.Sorted(maps.Keys(r.Parts)) {
				attrs = append(attrs, k, r.Parts[k]) // usage_days, activity_days…
			}
			mod.log.Info("retention: old history deleted", append(attrs, "took", time.Since(start).Round(time.Millisecond))...)
		}
		t.Reset(retentionEvery)
	}
}
