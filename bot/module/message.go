package module

import (
	"context"

	"github.com/docent-bot/docent/chat"
)

// Message is a member's message as the bot handles it: what the adapter
// saw, plus the ID it was stored under.
type Message struct {
	chat.Message
	// ID is the stored record's ID (0 when it could not be stored).
	ID uint64
	// NotStored is set when storing the message failed (a full disk); it
	// is answered all the same.
	NotStored bool
	// Redacted names the kinds of secret removed from the text before it
	// was stored ("github-token"); the text holds placeholders instead.
	Redacted []string
	// Forgotten is set by `forget me confirm` once the author's data is
	// deleted: the answers to this message are sent and not stored, so
	// the one saying so leaves nothing of them behind.
	Forgotten bool
	// Streams is set by the router when the platform can edit a message
	// it sent: an answer may then be shown while it is written, as
	// replies marked Draft, which the router turns into one message edited
	// until a reply that is not a draft finishes it. Being on the message,
	// not found by unwrapping the responder, it survives any middleware.
	Streams bool
}

// Place is where m was said, for what it may be shown (chat.Visible).
func (m *Message) Place() chat.Place { return chat.PlaceOf(m.Conversation, m.Space) }

// Command is a chat command members call with the configured prefix
// ("!help"). The same commands serve every adapter.
type Command struct {
	Name    string
	Args    string // how the arguments are written, for help ("<text>")
	Summary string
	// Admin commands are only for the community's admins (bot.admins).
	Admin bool
	// Unavailable says why the command cannot work in this configuration
	// (an LLM command with no LLM). Such a command is left out of !help and
	// the slash commands; called anyway, it answers with this.
	Unavailable string
	Run         func(ctx context.Context, m *Message, args string) (chat.Answer, error)
}
