package console

import (
	"context"
	"fmt"

	"github.com/docent-bot/docent/chat"
)

// Announce prints an announcement (chat.Announcer): interactively as
// "📣 text", with --json as an answer whose source is "announcement", else
// as one line. The console has one channel, "local".
func (a *Adapter) Announce(_ context.Context, channel, text string) error {
	if channel != Conversation.Channel {
		return fmt.Errorf("console: announce in %q: the console has one channel, %q", channel, Conversation.Channel)
	}
	ans := chat.Answer{Text: text, Source: chat.SourceAnnouncement}
	if a.opts.Interactive {
		ans.Text = "📣 " + text
	}
	return a.write(ans, "", 0)
}

// DirectMessage prints a message to the member at the terminal
// (chat.DirectMessenger) as Announce does, marked private: interactively
// as "✉ text", with --json as an answer whose source is "announcement"
// and private is true, else as one line. The console has one member,
// Options.Member.
func (a *Adapter) DirectMessage(_ context.Context, member, text string) error {
	if member != a.opts.Member.ID {
		return fmt.Errorf("console: direct message to %q: the console has one member, %q", member, a.opts.Member.ID)
	}
	ans := chat.Answer{Text: text, Source: chat.SourceAnnouncement, Private: true}
	if a.opts.Interactive {
		ans.Text = "✉ " + text
	}
	return a.write(ans, "", 0)
}
