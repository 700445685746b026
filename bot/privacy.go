package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/docent-bot/docent/bot/analytics"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// confirmWindow is how long a member has to confirm `forget me`.
const confirmWindow = 5 * time.Minute

func memberRef(m *Message) store.MemberRef {
	return store.MemberRef{Platform: m.Conversation.Platform, ID: m.Author.ID}
}

// addPrivacyCommands adds `forget me` and `export me`.
func (b *Bot) addPrivacyCommands(cs *Commands) {
	prefix := b.cfg.Bot.CommandPrefix
	cs.Add(Command{Name: "forget", Args: "me", Summary: "delete everything I store about you (asks you to confirm first)",
		Run: func(ctx context.Context, m *Message, args string) (chat.Answer, error) {
			switch strings.ToLower(strings.Join(strings.Fields(args), " ")) {
			case "me":
				b.forgetting.Mark(memberRef(m), time.Now())
				return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("This deletes everything I store about you: your messages and my answers to them, "+
					"your votes, your LLM usage and your part of the activity figures. It cannot be undone. "+
					"To go ahead, write `%sforget me confirm` within %d minutes. (`%sexport me` sends you a copy first.)",
					prefix, int(confirmWindow.Minutes()), prefix)}, nil
			case "me confirm":
				if !b.forgetting.Take(memberRef(m), time.Now()) {
					return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("Write `%sforget me` first; then confirm within %d minutes.",
						prefix, int(confirmWindow.Minutes()))}, nil
				}
				f, err := b.Forget(ctx, memberRef(m))
				if err != nil {
					return chat.Answer{}, err
				}
				m.Forgotten = true
				return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("Done: I deleted %s, %s to them and %s of yours, and took you out of the activity figures. "+
					"I keep nothing that names you; this conversation's next messages are stored as usual.",
					analytics.Plural(f.Messages, "message"), analytics.Plural(f.Answers, "answer"), analytics.Plural(f.Votes, "vote"))}, nil
			}
			return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("Usage: `%sforget me`, then `%sforget me confirm`.", prefix, prefix)}, nil
		}})
	cs.Add(Command{Name: "export", Args: "me", Summary: "send you, privately, a JSON file of everything I store about you",
		Run: func(ctx context.Context, m *Message, args string) (chat.Answer, error) {
			if strings.ToLower(strings.TrimSpace(args)) != "me" {
				return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("Usage: `%sexport me`.", prefix)}, nil
			}
			ref := memberRef(m)
			data, err := b.store.ExportMember(ctx, ref)
			if err != nil {
				return chat.Answer{}, err
			}
			js, err := json.MarshalIndent(data, "", "  ")
			if err != nil {
				return chat.Answer{}, err
			}
			name := fmt.Sprintf("docent-export-%s-%s.json", ref.Platform, time.Now().UTC().Format("2006-01-02"))
			return chat.Answer{Private: true, Text: fmt.Sprintf("Here is everything I store about you: %s, %s to them, %s, as JSON.",
				analytics.Plural(len(data.Messages), "message"), analytics.Plural(len(data.Answers), "answer"), analytics.Plural(len(data.Votes), "vote")),
				File: &chat.File{Name: name, ContentType: "application/json", Data: js}}, nil
		}})
}

// Forget deletes everything stored about a member, and the past threads
// of theirs the docs index holds.
func (b *Bot) Forget(ctx context.Context, m store.MemberRef) (store.Forgotten, error) {
	f, err := b.store.ForgetMember(ctx, m)
	b.dropThreads(f.Records)
	b.prunePenalties(ctx)
	if err != nil {
		return f, err
	}
	b.log.Info("member forgotten at their request", "platform", m.Platform, "messages", f.Messages, "answers", f.Answers, "votes", f.Votes)
	return f, nil
}

// dropThreads removes deleted questions from the docs index's past threads.
func (b *Bot) dropThreads(ids []uint64) {
	if b.knowledge == nil {
		return
	}
	for _, id := range ids {
		b.knowledge.RemoveThread(strconv.FormatUint(id, 10))
	}
}

// retentionEvery is how often old history is deleted.
const retentionEvery = time.Hour

// retain deletes history older than store.retention_days now and then every
// hour, until ctx is done.
func (b *Bot) retain(ctx context.Context) {
	days := b.cfg.Store.RetentionDays
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cutoff := time.Now().AddDate(0, 0, -days)
		start := time.Now()
		r, err := b.store.DeleteBefore(ctx, cutoff)
		b.dropThreads(r.IDs)
		if r.Records > 0 {
			b.prunePenalties(ctx)
		}
		switch {
		case err != nil && ctx.Err() == nil:
			b.log.Error("retention: could not delete old history", "retention_days", days, "err", err)
		case r.Records > 0 || r.Usage > 0:
			b.log.Info("retention: old history deleted", "before", cutoff.Format(time.DateOnly), "records", r.Records,
				"usage_days", r.Usage, "took", time.Since(start).Round(time.Millisecond))
		}
		t.Reset(retentionEvery)
	}
}
