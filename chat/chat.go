// Package chat holds the vocabulary that crosses Docent's rooms: a member's
// message, the conversation it belongs to, and the answer Docent gives.
// Adapters, the bot, the brain and the store all speak it, so none of them
// needs to import another.
package chat

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Conversation identifies where a message was said: a platform, a channel
// (or DM) on it, and a thread in that channel ("" for the channel itself).
type Conversation struct {
	Platform string `json:"platform"`
	Channel  string `json:"channel"`
	Thread   string `json:"thread,omitempty"`
}

// String renders the conversation as platform/channel[/thread], for logs
// and error messages.
func (c Conversation) String() string {
	var b strings.Builder
	b.WriteString(c.Platform)
	b.WriteByte('/')
	b.WriteString(c.Channel)
	if c.Thread != "" {
		b.WriteByte('/')
		b.WriteString(c.Thread)
	}
	return b.String()
}

// Member is a person (or another bot) on a platform.
type Member struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	Bot  bool   `json:"bot,omitempty"`
}

// Message is one message a member wrote, as an adapter saw it.
type Message struct {
	// ID is the platform's own ID of the message; it may be empty
	// (the console has none).
	ID           string
	Conversation Conversation
	// Space is the community the conversation belongs to: the Discord
	// guild or the Slack workspace (team) ID; "" for direct messages and
	// platforms without one. Analytics group by it.
	Space  string
	Author Member
	Text   string
	Time   time.Time
	// RepliesTo is the platform's ID of the message this one replies to
	// (a Discord reply), "" if none: who answered whom, for bot/exchange.
	RepliesTo string
	// Mentioned is true when the message names Docent (@Docent).
	Mentioned bool
	// Direct is true for a direct message to Docent.
	Direct bool
	// Roles are the author's roles where the platform has them (Discord
	// role IDs, Slack user group IDs), for admin permissions.
	Roles []string
	// FromSelf is true when the adapter saw one of Docent's own messages
	// come back; the bot ignores them (they are already stored as answers).
	FromSelf bool
}

// Source says which part of Docent produced an answer, so that feedback and
// analytics can tell what served the member well.
type Source string

const (
	SourceIntent    Source = "intent"    // a confident intent's response
	SourceKnowledge Source = "knowledge" // passages from the docs or past threads
	SourceLLM       Source = "llm"       // written by the language model
	SourceFallback  Source = "fallback"  // Docent was not sure
	SourceCommand   Source = "command"   // a built-in command's output
	SourceError     Source = "error"     // an apology: something failed or took too long
)

// Candidate is an intent the classifier considered, with its probability.
type Candidate struct {
	Intent     string  `json:"intent"`
	Confidence float64 `json:"confidence"`
}

// Answer is what Docent says back, with where it came from.
type Answer struct {
	Text       string      `json:"text"`
	Source     Source      `json:"source"`
	Intent     string      `json:"intent,omitempty"`
	Confidence float64     `json:"confidence"`
	Candidates []Candidate `json:"candidates,omitempty"`
	// ReplyTo is the stored ID of the message this answers, set by the bot
	// before the answer reaches the adapter (0 if it answers nothing stored).
	ReplyTo uint64 `json:"reply_to,omitempty"`
	// Draft marks a partial answer, shown while the rest is written and
	// then edited into the final one; drafts are not stored.
	Draft bool `json:"draft,omitempty"`
	// Ephemeral asks the adapter to show the answer only to the member who
	// asked, where the platform can.
	Ephemeral bool `json:"ephemeral,omitempty"`
	// Private asks the adapter to send the answer in a direct message to
	// the member who asked, wherever they asked (a member's data export).
	// Unlike Ephemeral it must not fall back to the conversation: an
	// adapter that cannot send it privately fails the reply.
	Private bool `json:"private,omitempty"`
	// File is a document sent with the answer, or nil.
	File *File `json:"file,omitempty"`
}

// File is a document attached to an answer.
type File struct {
	Name        string `json:"name"`         // the file name shown, like "docent-export.json"
	ContentType string `json:"content_type"` // like "application/json"
	Data        []byte `json:"data"`
}

// Sent is what an adapter reports about a reply it delivered.
type Sent struct {
	// ID is the platform's ID of the sent message ("" where there is none).
	ID string
	// Time is when the platform accepted it.
	Time time.Time
}

// Responder sends replies into the conversation a message came from.
// Adapters implement it; optional abilities (editing, reactions, threads)
// are separate interfaces checked at run time.
type Responder interface {
	Reply(ctx context.Context, a Answer) (Sent, error)
}

// Editor is implemented by responders that can change a message they
// sent; Docent shows an LLM's answer while it is written through it.
type Editor interface {
	Edit(ctx context.Context, sent Sent, a Answer) error
}

// EditorOf finds an Editor in r, or in the responders r wraps.
func EditorOf(r Responder) (Editor, bool) { return Find[Editor](r) }

// Find finds a responder of type T (an optional ability such as Editor,
// or a concrete type) in r, or in the responders r wraps: a wrapper
// exposes the one it wraps with an Unwrap() Responder method, so that
// middleware does not hide what the adapter can do.
func Find[T any](r Responder) (T, bool) {
	for r != nil {
		if t, ok := r.(T); ok {
			return t, true
		}
		u, ok := r.(interface{ Unwrap() Responder })
		if !ok {
			break
		}
		r = u.Unwrap()
	}
	var zero T
	return zero, false
}

// Namer is implemented by responders that can find the name of the member
// who wrote the message when the adapter did not know it at intake (Slack
// asks users.info, which may take a while): the bot asks, in that member's
// own queue, before it answers, so that no look-up holds up the intake of
// everyone's messages. "" means the platform does not say.
type Namer interface {
	MemberName(ctx context.Context) string
}

// Finisher is implemented by responders that want to know when the bot has
// finished with the message they belong to (the console waits for it before
// showing its next prompt; Slack takes its "working" reaction off),
// answered or not.
type Finisher interface {
	Finish()
}

// Inbox takes messages from adapters. Deliver returns once the message is
// durably stored and queued for an answer; the answer arrives through r.
// It never waits for the member's earlier messages: when too many of them
// are still waiting, it returns an error wrapping ErrBusy and the member is
// told through r instead.
type Inbox interface {
	Deliver(ctx context.Context, m Message, r Responder) error
}

// ErrBusy is returned by Inbox.Deliver when the member's earlier messages
// fill their queue: the message is stored, will not be answered, and the
// member is told so through its responder.
var ErrBusy = errors.New("busy with the member's earlier messages")

// Vote is a member's verdict on an answer.
type Vote int8

const (
	VoteNone Vote = 0  // a vote taken back
	VoteUp   Vote = 1  // 👍
	VoteDown Vote = -1 // 👎
)

// Feedback is a member's vote on one of Docent's answers, as an adapter saw
// it (a reaction, a button), with an optional reason.
type Feedback struct {
	Conversation Conversation
	// AnswerID is the platform's ID of Docent's message that was voted on.
	AnswerID string
	Member   Member
	Vote     Vote
	Reason   string
	Time     time.Time
}

// FeedbackInbox is implemented by inboxes that take votes; adapters check
// for it at run time and deliver votes to it.
type FeedbackInbox interface {
	Feedback(ctx context.Context, f Feedback) error
}

type waitKey struct{}

// WithWait returns a context that carries how its holder waits: w runs
// the wait it is given, after giving back whatever the holder must not
// keep while it waits (the router's share of concurrency).
func WithWait(ctx context.Context, w func(wait func())) context.Context {
	return context.WithValue(ctx, waitKey{}, w)
}

// Wait runs wait, a call that mostly waits on the network (an LLM's
// answer), telling whoever handles ctx's message that it is waiting, not
// working. Without such a holder it just runs wait.
func Wait(ctx context.Context, wait func()) {
	if w, ok := ctx.Value(waitKey{}).(func(func())); ok {
		w(wait)
		return
	}
	wait()
}
