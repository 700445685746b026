// Package bottest helps test Docent's features as a member would use them,
// without a platform: a Recorder stands in for the adapter's responder and
// keeps every answer, like httptest.ResponseRecorder.
package bottest

import (
	"context"
	"crypto/rand"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
)

// Recorder is a chat.Responder that records answers. Finish marks the
// message as handled.
type Recorder struct {
	prefix  string     // makes the IDs of this recorder's messages unique, as a platform's are
	mu      sync.Mutex // guards answers and sent
	answers []chat.Answer
	sent    []chat.Sent
	done    chan struct{}
	once    sync.Once
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder {
	return &Recorder{prefix: "sent-" + rand.Text()[:8] + "-", done: make(chan struct{})}
}

// Reply records a and reports it sent with an ID of its own.
func (r *Recorder) Reply(_ context.Context, a chat.Answer) (chat.Sent, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answers = append(r.answers, a)
	s := chat.Sent{ID: r.prefix + strconv.Itoa(len(r.answers)), Time: time.Now()}
	r.sent = append(r.sent, s)
	return s, nil
}

// Sent returns what Reply reported for each answer, in order.
func (r *Recorder) Sent() []chat.Sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]chat.Sent(nil), r.sent...)
}

// Finish is called by the bot when it has finished with the message.
func (r *Recorder) Finish() { r.once.Do(func() { close(r.done) }) }

// Answers returns what was recorded so far.
func (r *Recorder) Answers() []chat.Answer {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]chat.Answer(nil), r.answers...)
}

// Wait waits until the bot has finished with the message and returns the
// answers. It fails the test after waitFor: long enough that a slow or
// loaded machine never fails it (a message is answered within its own
// timeout), short enough to show a bot that never finishes.
func (r *Recorder) Wait(t testing.TB) []chat.Answer {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(waitFor):
		t.Fatalf("bottest: the bot did not finish the message within %s", waitFor)
	}
	return r.Answers()
}

// waitFor is how long Wait waits for the bot to finish a message.
const waitFor = 2 * time.Minute

// Ask delivers text from member in conv and waits for the bot's answers.
func Ask(t testing.TB, inbox chat.Inbox, conv chat.Conversation, member chat.Member, text string) []chat.Answer {
	t.Helper()
	r := NewRecorder()
	m := chat.Message{Conversation: conv, Author: member, Text: text, Time: time.Now()}
	if err := inbox.Deliver(context.Background(), m, r); err != nil {
		t.Fatalf("bottest: deliver %q: %v", text, err)
	}
	return r.Wait(t)
}

// Edit is what an adapter that can edit was asked to change.
type Edit struct {
	Sent   chat.Sent
	Answer chat.Answer
	At     time.Time
}

// EditingRecorder is a Recorder for a platform that can edit messages
// (chat.Editor): edits are kept apart from replies.
type EditingRecorder struct {
	*Recorder
	mu    sync.Mutex // guards edits
	edits []Edit
}

// NewEditingRecorder returns an empty recorder that can edit.
func NewEditingRecorder() *EditingRecorder { return &EditingRecorder{Recorder: NewRecorder()} }

// Edit records the change.
func (r *EditingRecorder) Edit(_ context.Context, sent chat.Sent, a chat.Answer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.edits = append(r.edits, Edit{sent, a, time.Now()})
	return nil
}

// Edits returns the edits so far.
func (r *EditingRecorder) Edits() []Edit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Edit(nil), r.edits...)
}
