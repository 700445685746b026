package routing

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// maxTopics bounds the topics a helper names.
const maxTopics = 10

// Commands are `!helper` (on, off, status) and, for admins, `!helpers`.
func (mod *Module) Commands() []module.Command {
	if !mod.On() {
		return nil
	}
	return []module.Command{
		{Name: "helper", Args: "[on [topics…]|off]", Summary: "be asked, by direct message, about questions nobody answered that you may know (on, optionally only on some topics), stop (off), or see your status", Run: mod.helper},
		{Name: "helpers", Summary: "the members who opted in to be asked about unanswered questions", Admin: true, Run: mod.helpers},
	}
}

func reply(text string) chat.Answer { return chat.Answer{Text: text, Source: chat.SourceCommand} }

func (mod *Module) helper(ctx context.Context, m *module.Message, args string) (chat.Answer, error) {
	k := memberKey(m.Conversation.Platform, m.Author.ID)
	words := strings.Fields(strings.ToLower(args))
	switch {
	case len(words) == 0:
		return mod.helperStatus(ctx, k)
	case words[0] == "off":
		err := mod.st.Update(ctx, func(tx *store.Tx) error { return tx.Delete(helpersBucket, []byte(k)) })
		if err != nil {
			return chat.Answer{}, fmt.Errorf("routing: opt %s out: %w", k, err)
		}
		return reply("Done: you will not be asked about unanswered questions any more."), nil
	case words[0] == "on":
		var ts []string
		for _, w := range words[1:] {
			for _, t := range mod.text.Terms(w) {
				if !slices.Contains(ts, t) && len(ts) < maxTopics {
					ts = append(ts, t)
				}
			}
		}
		h := Helper{Member: m.Author, Topics: ts, Since: mod.now().UTC()}
		if err := mod.st.Update(ctx, func(tx *store.Tx) error { return putJSON(tx, helpersBucket, []byte(k), h) }); err != nil {
			return chat.Answer{}, fmt.Errorf("routing: opt %s in: %w", k, err)
		}
		on := "any topic"
		if len(ts) > 0 {
			on = strings.Join(ts, ", ")
		}
		return reply(fmt.Sprintf("Thanks! When a question on %s gets no answer within %d minutes and you are among the members most likely to know, I will ask you by direct message, at most %d times a day. `%shelper off` stops it.",
			on, mod.cfg.WaitMinutes, mod.cfg.MaxPingsPerDay, mod.prefix)), nil
	}
	return reply(fmt.Sprintf("Usage: `%shelper on [topics…]`, `%shelper off`, or `%shelper` for your status.", mod.prefix, mod.prefix, mod.prefix)), nil
}

func (mod *Module) helperStatus(ctx context.Context, k string) (chat.Answer, error) {
	var (
		h       Helper
		on      bool
		answers int
		today   int
	)
	err := mod.st.View(ctx, func(tx *store.Tx) error {
		var err error
		if on, err = getJSON(tx, helpersBucket, []byte(k), &h); err != nil {
			return err
		}
		today = pingsOn(tx, day(mod.now()), k)
		return tx.Scan(answersBucket, append([]byte(k), 0), func(_, _ []byte) error { answers++; return nil })
	})
	if err != nil {
		return chat.Answer{}, fmt.Errorf("routing: read %s's status: %w", k, err)
	}
	if !on {
		return reply(fmt.Sprintf("You are not a helper: I never ask you about questions. Answers of yours I counted: %d. `%shelper on [topics…]` to be asked.", answers, mod.prefix)), nil
	}
	topics := "any topic"
	if len(h.Topics) > 0 {
		topics = strings.Join(h.Topics, ", ")
	}
	return reply(fmt.Sprintf("You are a helper since %s, on %s; asked %d of at most %d times today; answers of yours I counted: %d.",
		h.Since.Format("2006-01-02"), topics, today, mod.cfg.MaxPingsPerDay, answers)), nil
}

func (mod *Module) helpers(ctx context.Context, m *module.Message, _ string) (chat.Answer, error) {
	if !mod.isAdmin(m) {
		return reply("That command is for the admins."), nil
	}
	var lines []string
	err := mod.st.View(ctx, func(tx *store.Tx) error {
		return tx.Scan(helpersBucket, nil, func(k, v []byte) error {
			var h Helper
			if ok, err := getJSON(tx, helpersBucket, k, &h); err != nil || !ok {
				return err
			}
			topics := "any topic"
			if len(h.Topics) > 0 {
				topics = strings.Join(h.Topics, ", ")
			}
			lines = append(lines, fmt.Sprintf("- %s (%s): %s", nameOf(h.Member), k, topics))
			return nil
		})
	})
	if err != nil {
		return chat.Answer{}, fmt.Errorf("routing: list the helpers: %w", err)
	}
	if len(lines) == 0 {
		return reply("No member is a helper yet (`" + mod.prefix + "helper on`)."), nil
	}
	return reply(fmt.Sprintf("Helpers (%d):\n%s", len(lines), strings.Join(lines, "\n"))), nil
}

func nameOf(m chat.Member) string {
	if m.Name != "" {
		return m.Name
	}
	return m.ID
}
