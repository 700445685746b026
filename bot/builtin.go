package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/docent-bot/docent/brain/knowledge"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// builtinCommands are the commands every Docent has.
func (b *Bot) builtinCommands() *Commands {
	cs := NewCommands(b.cfg.Bot.CommandPrefix)
	cs.Add(Command{Name: "help", Summary: "what I can do and the commands I know",
		Run: func(_ context.Context, m *Message, _ string) (chat.Answer, error) {
			return chat.Answer{Text: cs.Help(b.isAdmin(m)), Ephemeral: true}, nil
		}})
	cs.Add(Command{Name: "why", Args: "[text]", Summary: "how I read your last question (or the text): the intent, its probability, the runner-up and the words behind them",
		Run: func(ctx context.Context, m *Message, args string) (chat.Answer, error) {
			text := args
			if text == "" {
				q, err := b.previousQuestion(ctx, m)
				if err != nil {
					return chat.Answer{}, err
				}
				if q == "" {
					return chat.Answer{Text: fmt.Sprintf("Ask me something first, or write `%swhy your question`.", b.cfg.Bot.CommandPrefix)}, nil
				}
				text = q
			}
			w, err := b.brain.Load().Explain(text)
			if err != nil {
				return chat.Answer{}, err
			}
			return chat.Answer{Text: w.String()}, nil
		}})
	cs.Add(Command{Name: "related", Args: "<text>", Summary: "docs sections and earlier threads about a subject",
		Run: func(ctx context.Context, m *Message, args string) (chat.Answer, error) {
			if args == "" {
				return chat.Answer{Text: fmt.Sprintf("Usage: `%srelated <subject>`.", b.cfg.Bot.CommandPrefix)}, nil
			}
			// Earlier threads only those the member may see here
			// (chat.Visible): never a DM's or another channel's.
			hits := b.brain.Load().Related(args, 3, m.Place())
			if len(hits) == 0 {
				return chat.Answer{Text: "I found nothing related in the docs or earlier threads."}, nil
			}
			var sb strings.Builder
			sb.WriteString("Related:")
			for i, h := range hits {
				if h.Source == knowledge.SourceThread {
					fmt.Fprintf(&sb, "\n%d. Asked before in %s: “%s”", i+1, h.Link, chat.Clip(h.Title, 80))
					continue
				}
				title := h.Title
				if h.Heading != "" {
					title = h.Heading
				}
				fmt.Fprintf(&sb, "\n%d. [%s](%s)", i+1, title, h.Link)
			}
			return chat.Answer{Text: sb.String()}, nil
		}})
	cs.Add(Command{Name: "reload", Admin: true, Summary: "re-read the intents files and retrain (only if they load)",
		Run: func(ctx context.Context, m *Message, _ string) (chat.Answer, error) {
			p, err := b.Reload(ctx)
			if ie := (*IntentsError)(nil); errors.As(err, &ie) {
				return chat.Answer{Ephemeral: true, Text: "The intents have problems, so I kept the current ones:\n" + ie.Error()}, nil
			}
			if err != nil {
				return chat.Answer{Ephemeral: true, Text: "The reload failed, so I kept the current intents and model: " + err.Error()}, nil
			}
			how := fmt.Sprintf("reused the saved model (the patterns did not change; %s)", roundLatency(p.Took))
			if p.Trained {
				how = fmt.Sprintf("retrained in %s", p.Took.Round(time.Millisecond))
			}
			return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("Reloaded %d intents (%d patterns); %s.%s", p.Intents, p.Examples, how, p.NotSaved())}, nil
		}})
	cs.Add(Command{Name: "ping", Summary: "check that I am here and how fast I answer",
		Run: func(_ context.Context, m *Message, _ string) (chat.Answer, error) {
			took := time.Since(m.Time)
			return chat.Answer{Text: fmt.Sprintf("pong (%s from your message to my answer)", roundLatency(took))}, nil
		}})
	cs.Add(Command{Name: "about", Summary: "who I am, my version and what I know",
		Run: func(context.Context, *Message, string) (chat.Answer, error) {
			var sb strings.Builder
			if c := b.cfg.Bot.Community; c != "" {
				fmt.Fprintf(&sb, "I'm %s, the %s community's assistant (Docent %s, open source). ", b.cfg.Bot.Name, c, b.version)
			} else {
				fmt.Fprintf(&sb, "I'm %s, an open-source community assistant (Docent %s). ", b.cfg.Bot.Name, b.version)
			}
			p := b.Prepared()
			fmt.Fprintf(&sb, "I know %d intents, learnt from %d example questions, and I answer locally: no data leaves this server. ",
				p.Intents, p.Examples)
			fmt.Fprintf(&sb, "Up for %s.", time.Since(b.started).Round(time.Second))
			if src := b.cfg.Links["source"]; src != "" {
				fmt.Fprintf(&sb, " Source: <%s>", src)
			}
			return chat.Answer{Text: sb.String()}, nil
		}})
	return cs
}

func roundLatency(d time.Duration) time.Duration {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond)
	case d < time.Second:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Millisecond)
	}
}

// previousQuestion finds the member's last message in this conversation
// before m that was not a command, or "" if there is none.
func (b *Bot) previousQuestion(ctx context.Context, m *Message) (string, error) {
	recs, err := b.store.Conversation(ctx, m.Conversation, 50)
	if err != nil {
		return "", fmt.Errorf("find the previous question: %w", err)
	}
	for _, r := range recs {
		if r.Kind != store.KindMessage || r.Author.ID != m.Author.ID || r.ID >= m.ID {
			continue
		}
		if _, _, _, isCmd := b.commands.Parse(r.Text); !isCmd {
			return r.Text, nil
		}
	}
	return "", nil
}
