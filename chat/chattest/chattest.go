// Package chattest is a conformance suite for adapters, like
// testing/fstest for file systems: every adapter's own tests run TestAdapter
// against its platform (a fake server on loopback, a real HTTP client,
// pipes), through a small Harness, and the suite checks the promises every
// adapter keeps to members, whatever the platform:
//
//   - a reply pings only the member who asked, whatever its text says;
//   - an announcement pings nobody;
//   - a long answer is split within the platform's limit, and a code block
//     (``` or ~~~) cut in two still renders as code in every part;
//   - a streamed answer edits the one message it started, where the
//     adapter can edit;
//   - a private answer reaches only the member;
//   - a vote (a reaction, a button) comes back as chat.Feedback for the
//     right answer;
//   - a reply goes to the asker's thread or conversation.
//
// An adapter without an ability (no chat.Editor, no chat.Announcer, no
// votes, no limit on a message) has its promise skipped, by name.
//
// Only tests import it.
package chattest

import (
	"context"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
)

// Adapter is what the suite needs of the adapter under test; optional
// abilities (chat.Announcer) are found on it by type assertion.
type Adapter interface {
	// Name is the adapter's name, used in the suite's messages.
	Name() string
}

// Harness runs one adapter on its platform for the suite. Each method
// fails t itself when the platform does not respond.
type Harness interface {
	// Start runs the adapter, delivering what members write to inbox,
	// until the test ends, and returns it once it takes messages.
	Start(t *testing.T, inbox chat.Inbox) Adapter
	// Ask has a member write text to Docent as the platform delivers it
	// (a mention in a channel, a line at the console) and returns the
	// conversation it was written in, as Post.In names it.
	Ask(t *testing.T, text string) string
	// Received returns what the platform received from the adapter since
	// the last call, in order: every reply, edit and announcement the
	// adapter made before the call.
	Received(t *testing.T) []Post
}

// Voter is implemented by harnesses whose platform lets a member vote on
// an answer (a reaction, a button).
type Voter interface {
	// Vote has the member who asked vote v on the message p.
	Vote(t *testing.T, p Post, v chat.Vote)
}

// Limited is implemented by harnesses whose platform bounds one message's
// text.
type Limited interface {
	// MaxText is the most characters (runes) one message's text may have.
	MaxText() int
}

// Announcing is implemented by harnesses of adapters that are
// chat.Announcers.
type Announcing interface {
	// AnnounceChannel is a channel the adapter may announce in.
	AnnounceChannel() string
}

// Op is what the adapter did to a message on the platform.
type Op string

const (
	Sent    Op = "sent"
	Edited  Op = "edited"
	Deleted Op = "deleted"
)

// Post is one thing the platform received from the adapter.
type Post struct {
	Op Op
	// ID is the platform's ID of the message sent, edited or deleted, as
	// chat.Sent.ID names it.
	ID string
	// Text is the message's text as sent, in the platform's markup.
	Text string
	// Pings are whom the platform notifies because of this message, by
	// its own rules (the text's mentions, the allowed mentions, reply
	// pings).
	Pings []chat.Mention
	// In is the conversation the message went to: the thread or channel
	// of a question (as Harness.Ask returns it), a direct message.
	In string
	// Only is the member who alone sees the message (a direct message, an
	// ephemeral reply); "" when everyone in In sees it.
	Only string
}

// wait bounds every wait of the suite on the adapter; a slow machine never
// comes near it.
const wait = 10 * time.Second

// delivery is a message the adapter delivered, with its responder.
type delivery struct {
	m chat.Message
	r chat.Responder
}

// inbox takes the adapter's deliveries and votes; the suite answers them
// itself, as the bot would.
type inbox struct {
	msgs  chan delivery
	votes chan chat.Feedback
}

func (in *inbox) Deliver(_ context.Context, m chat.Message, r chat.Responder) error {
	in.msgs <- delivery{m, r}
	return nil
}

func (in *inbox) Feedback(_ context.Context, f chat.Feedback) error {
	in.votes <- f
	return nil
}

// suite is one run of TestAdapter.
type suite struct {
	h    Harness
	a    Adapter
	in   *inbox
	name string
}

// TestAdapter runs the conformance suite on the adapter h runs, one
// subtest per promise.
func TestAdapter(t *testing.T, h Harness) {
	in := &inbox{msgs: make(chan delivery, 16), votes: make(chan chat.Feedback, 16)}
	a := h.Start(t, in)
	s := &suite{h: h, a: a, in: in, name: a.Name()}
	h.Received(t) // whatever the adapter did to connect
	t.Run("PingsOnlyTheAsker", s.pingsOnlyTheAsker)
	t.Run("AnnouncementPingsNobody", s.announcementPingsNobody)
	t.Run("LongAnswerSplitWithinLimit", s.longAnswerSplit)
	t.Run("CodeBlockSplitWhole/backticks", func(t *testing.T) { s.codeBlockSplit(t, "```") })
	t.Run("CodeBlockSplitWhole/tildes", func(t *testing.T) { s.codeBlockSplit(t, "~~~") })
	t.Run("StreamedAnswerEditsOneMessage", s.streamedAnswerEdits)
	t.Run("PrivateAnswerReachesOnlyTheMember", s.privateAnswer)
	t.Run("VoteComesBackAsFeedback", s.vote)
	t.Run("ReplyGoesToTheAskersConversation", s.replyInConversation)
}

// ask has the member write text and returns the delivery and where it was
// written.
func (s *suite) ask(t *testing.T, text string) (delivery, string) {
	t.Helper()
	in := s.h.Ask(t, text)
	select {
	case d := <-s.in.msgs:
		if d.m.Author.ID == "" {
			t.Fatalf("%s delivered a message without its author: %+v", s.name, d.m)
		}
		return d, in
	case <-time.After(wait):
		t.Fatalf("%s delivered no message within %s of %q", s.name, wait, text)
	}
	return delivery{}, ""
}

// reply answers d with ans and tells the adapter the bot is done, as the
// bot does.
func (s *suite) reply(t *testing.T, d delivery, ans chat.Answer) chat.Sent {
	t.Helper()
	sent, err := d.r.Reply(context.Background(), ans)
	if err != nil {
		t.Fatalf("%s: Reply: %v", s.name, err)
	}
	finish(d)
	return sent
}

func finish(d delivery) {
	if f, ok := d.r.(chat.Finisher); ok {
		f.Finish()
	}
}

func answer(text string) chat.Answer {
	return chat.Answer{Text: text, Source: chat.SourceKnowledge, Confidence: 0.8}
}

// sent returns the posts that sent a message.
func sent(posts []Post) []Post {
	var out []Post
	for _, p := range posts {
		if p.Op == Sent {
			out = append(out, p)
		}
	}
	return out
}
