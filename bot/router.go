package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/brain/redact"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/internal/window"
	"github.com/docent-bot/docent/store"
)

// ErrStopped is returned by Deliver once the router is shutting down.
var ErrStopped = errors.New("bot: not taking messages: shutting down")

// History is the part of the store the router writes to.
type History interface {
	AppendMessage(ctx context.Context, m chat.Message) (store.Record, error)
	AppendAnswer(ctx context.Context, a store.AnswerRecord) (store.Record, error)
	AnswerSent(ctx context.Context, id uint64, platformID string) error
	RecordFeedback(ctx context.Context, f chat.Feedback) (uint64, error)
	// Update writes what the modules held for a message whose answer did
	// not carry it (module.Settle).
	Update(ctx context.Context, fn func(*store.Tx) error) error
}

// RouterOptions bound the router's work.
type RouterOptions struct {
	// MaxConcurrent is how many messages are handled at once, across all
	// conversations.
	MaxConcurrent int
	// QueuePerConversation is how many messages of one member in one
	// conversation may wait; beyond it, Deliver answers that Docent is
	// busy (chat.ErrBusy).
	QueuePerConversation int
	// Admit, when set, decides for each stored message, before it is
	// queued, whether it is answered: the rate limits, so that a flood
	// takes no room in any queue.
	Admit Admission
	// Self is how Docent's answers are attributed in the history.
	Self chat.Member
	// OnFeedback, when set, hears of every vote stored, with the ID of
	// the answer voted on.
	OnFeedback func(ctx context.Context, answer uint64, f chat.Feedback)
	// Scrub, when set, rewrites a message's text (after secrets are
	// redacted) for the history only: the handler gets the text as the
	// member wrote it, the store what Scrub returns. The bot hides the
	// answer of a challenge submission this way.
	Scrub func(text string) string
	// Settled, when set, hears of every stored message the router is done
	// with (answered or not): on a replica the store then clears its
	// pending mark, so that no other replica takes it over.
	Settled func(ctx context.Context, id uint64)
}

// An Admission decides, once a message is stored and before it is queued,
// whether it is answered. A refused message takes no room in a queue; when
// notice is not "", the member is sent it instead of an answer.
type Admission func(m *Message) (ok bool, notice string)

// Router takes messages from adapters, stores them, and hands them to the
// handler: each member's messages in a conversation in order, everything
// else concurrently, at most MaxConcurrent being worked on at once (a
// handler waiting on an LLM through chat.Wait does not count). It
// implements chat.Inbox.
//
// A message is never abandoned once stored: Deliver stores it on a context
// that the adapter cannot cancel, then queues it, or tells the member why
// not (busy, rate limited); Shutdown waits for every queued message to be
// answered and every such notice to be sent. Deliver never waits for room
// in a queue, so an adapter delivering from one goroutine is never held
// up by one member.
type Router struct {
	history History
	handler Handler
	log     *slog.Logger
	opts    RouterOptions
	slots   chan struct{} // one token per message being handled

	// delivering counts Deliver calls past the stopped check; workers
	// counts conversation goroutines. Shutdown waits for the first, then
	// the second, so no worker is added after it waits.
	delivering sync.WaitGroup
	workers    sync.WaitGroup

	mu      sync.Mutex // guards queues and stopped
	queues  map[queueKey]*queue
	stopped bool

	// failing is set while writes to the history fail; told holds the
	// conversations told so lately.
	failMu  sync.Mutex
	failing bool
	told    *window.Times[chat.Conversation]
}

// queueKey is what orders messages: one member in one conversation. A
// member's messages are answered in the order they wrote them; different
// members of a channel do not wait for each other, so one member's slow
// question (an LLM's) holds up nobody else.
type queueKey struct {
	conv   chat.Conversation
	author string
}

// queue is one member's waiting messages in a conversation. Its worker goroutine exits
// when pending drops to zero; pending is counted under Router.mu so that a
// message is never sent to a queue whose worker has gone.
type queue struct {
	items   chan delivery
	pending int  // guarded by Router.mu
	told    bool // the member was told it is full; cleared when there is room. Guarded by Router.mu
}

type delivery struct {
	msg Message
	r   chat.Responder
}

// NewRouter returns a router that stores into history and answers with h.
func NewRouter(history History, h Handler, log *slog.Logger, opts RouterOptions) *Router {
	opts.MaxConcurrent = max(opts.MaxConcurrent, 1)
	opts.QueuePerConversation = max(opts.QueuePerConversation, 1)
	return &Router{
		history: history, handler: h, log: log, opts: opts,
		slots:  make(chan struct{}, opts.MaxConcurrent),
		queues: map[queueKey]*queue{},
		told:   window.New[chat.Conversation](notSavedEvery),
	}
}

// enter counts a delivery in, for Shutdown to wait for; ErrStopped once
// the router has stopped. The caller calls rt.delivering.Done when done.
func (rt *Router) enter() error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.stopped {
		return ErrStopped
	}
	rt.delivering.Add(1)
	return nil
}

// Deliver stores m and queues it for its conversation. It returns once m is
// durably stored and queued; the answer arrives later through r. It never
// waits for room: when the member's queue in the conversation is full, the
// message stays stored but unanswered, the member is told once (until the
// queue has room again) that Docent is busy with their earlier messages,
// and Deliver returns an error wrapping chat.ErrBusy.
func (rt *Router) Deliver(ctx context.Context, m chat.Message, r chat.Responder) error {
	if err := rt.enter(); err != nil {
		return err
	}
	defer rt.delivering.Done()

	m = sanitize(m)
	if m.Time.IsZero() {
		m.Time = time.Now()
	}
	// Secrets never reach the store, the brain or an LLM.
	var redacted []string
	if text, found := redact.Redact(m.Text); len(found) > 0 {
		m.Text = text
		for _, f := range found {
			if !slices.Contains(redacted, f.Kind) {
				redacted = append(redacted, f.Kind)
			}
		}
	}
	msg := Message{Message: m, Redacted: redacted}
	if !m.FromSelf { // Docent's own messages are already stored as answers
		stored := m
		if rt.opts.Scrub != nil {
			stored.Text = rt.opts.Scrub(m.Text)
		}
		// Not cancellable: the store may commit after a cancellation, and
		// a stored message must then be answered.
		rec, err := rt.history.AppendMessage(context.WithoutCancel(ctx), stored)
		if errors.Is(err, store.ErrDuplicate) {
			// Delivered again (Slack resends an event it thinks lost, maybe
			// to another replica): stored before, and answered by whoever
			// stored it.
			rt.log.Debug("message delivered again; stored and answered already", "conversation", m.Conversation.String(),
				"platform_id", m.ID, "message", rec.ID)
			rt.workers.Add(1) // within Deliver, so before Shutdown waits for workers
			go func() {
				defer rt.workers.Done()
				finish(r)
			}()
			return nil
		}
		if err != nil {
			// A full disk (or store.max_size_mb) must not silence Docent:
			// the member is answered, and told the history is not saved.
			rt.storeFailed(err)
			msg.NotStored = true
		} else {
			msg.ID = rec.ID
			rt.storeWorks()
		}
	}

	d := delivery{msg, r}
	if rt.opts.Admit != nil {
		if ok, notice := rt.opts.Admit(&msg); !ok {
			rt.refuse(d, notice)
			return nil
		}
	}
	return rt.enqueue(d)
}

// Resume answers a message stored before, by a replica that went before
// it was done with it (store.ClaimOrphans), through r, which the adapter
// made for its conversation (chat.Resumer). The message is not stored
// again nor rate limited again; it joins its member's queue like a new
// one. Mentioned is set, as the adapter delivered it to be answered.
func (rt *Router) Resume(rec store.Record, r chat.Responder) error {
	if err := rt.enter(); err != nil {
		return err
	}
	defer rt.delivering.Done()
	m := chat.Message{
		ID:           rec.PlatformID,
		Conversation: rec.Conversation,
		Space:        rec.Space,
		Author:       rec.Author,
		Text:         rec.Text,
		Time:         rec.Time,
		RepliesTo:    rec.RepliesTo,
		Mentioned:    true,
		Direct:       rec.Space == "" && rec.Conversation.Platform != "",
	}
	return rt.enqueue(delivery{Message{Message: m, ID: rec.ID}, r})
}

// enqueue queues d on its member's queue in its conversation, as Deliver
// says.
func (rt *Router) enqueue(d delivery) error {
	msg, m := d.msg, d.msg.Message
	rt.mu.Lock()
	key := queueKey{m.Conversation, m.Author.ID}
	q := rt.queues[key]
	if q == nil {
		q = &queue{items: make(chan delivery, rt.opts.QueuePerConversation)}
		rt.queues[key] = q
		rt.workers.Add(1)
		go rt.work(key, q)
	}
	select {
	case q.items <- d: // never blocks: a new queue has room
		q.pending++
		rt.mu.Unlock()
		return nil
	default:
	}
	tell := !q.told
	q.told = true
	rt.mu.Unlock()
	rt.log.Info("member's queue full; message stored, not answered", "conversation", m.Conversation.String(),
		"member", m.Author.ID, "message", msg.ID, "notice", tell)
	notice := ""
	if tell {
		notice = busyNotice
	}
	rt.refuse(d, notice)
	return fmt.Errorf("bot: message %d in %s: %w", msg.ID, m.Conversation, chat.ErrBusy)
}

// busyNotice tells a member whose queue is full that what they just sent
// will not be answered.
const busyNotice = "Sorry, I'm still working through your earlier messages, so I'm skipping new ones until I catch up. " +
	"Please send this one again once I've answered."

// refuse finishes with a stored message that will not be answered, telling
// the member why when notice is not "". It never waits on the platform:
// the notice and the adapter's Finish run in a goroutine that Shutdown
// waits for.
func (rt *Router) refuse(d delivery, notice string) {
	if d.msg.FromSelf || d.msg.Author.Bot {
		notice = ""
	}
	rt.workers.Add(1) // within Deliver, so before Shutdown waits for workers
	go func() {
		defer rt.workers.Done()
		if notice != "" {
			ctx, cancel := context.WithTimeout(context.Background(), apologyTimeout)
			defer cancel()
			r := &recordingResponder{inner: d.r, rt: rt, msg: &d.msg}
			if _, err := r.Reply(ctx, chat.Answer{Text: notice, Source: chat.SourceError, Ephemeral: true}); err != nil {
				rt.log.Warn("could not tell a member why their message is not answered",
					"conversation", d.msg.Conversation.String(), "message", d.msg.ID, "err", err)
			}
		}
		finish(d.r)
		rt.settled(d.msg.ID)
	}()
}

// settled tells the store the router is done with stored message id.
func (rt *Router) settled(id uint64) {
	if id != 0 && rt.opts.Settled != nil {
		rt.opts.Settled(context.Background(), id)
	}
}

// finish tells the adapter the bot is done with a message.
func finish(r chat.Responder) {
	if f, ok := r.(chat.Finisher); ok {
		f.Finish()
	}
}

// Feedback stores a member's vote on one of Docent's answers (chat.FeedbackInbox).
// A vote on a message that is not a stored answer is an error wrapping
// store.ErrNotFound, which adapters may ignore: members react to anything.
func (rt *Router) Feedback(ctx context.Context, f chat.Feedback) error {
	for _, s := range []*string{&f.AnswerID, &f.Member.ID, &f.Member.Name, &f.Reason, &f.Conversation.Platform, &f.Conversation.Channel, &f.Conversation.Thread} {
		*s = strings.ToValidUTF8(*s, "\uFFFD")
	}
	f.Reason, _ = redact.Redact(f.Reason)
	answer, err := rt.history.RecordFeedback(context.WithoutCancel(ctx), f)
	if err != nil {
		return fmt.Errorf("bot: store a vote: %w", err)
	}
	if rt.opts.OnFeedback != nil {
		rt.opts.OnFeedback(ctx, answer, f)
	}
	return nil
}

// notSavedNote is appended to an answer whose message could not be
// stored, at most once per conversation every notSavedEvery: near a full
// disk, writes can fail and succeed by turns.
const notSavedNote = "\n\n(I can't save our conversation right now, so this message and my answer are not in my history. The admins can see why in the log.)"

func (rt *Router) storeFailed(err error) {
	rt.failMu.Lock()
	defer rt.failMu.Unlock()
	if !rt.failing {
		rt.log.Error("history: writes fail; answering without saving until they work again", "err", err)
	}
	rt.failing = true
}

func (rt *Router) storeWorks() {
	rt.failMu.Lock()
	defer rt.failMu.Unlock()
	if rt.failing {
		rt.log.Info("history: writes work again")
		rt.failing = false
	}
}

// notSavedEvery is how often one conversation is told.
const notSavedEvery = 10 * time.Minute

// note returns the note to add to the answer to a message that could not
// be stored in conv, or "" when the conversation was told recently.
func (rt *Router) note(conv chat.Conversation) string {
	rt.failMu.Lock()
	defer rt.failMu.Unlock()
	now := time.Now()
	if rt.told.Within(conv, now) {
		return ""
	}
	rt.told.Mark(conv, now)
	return notSavedNote
}

// sanitize makes a message safe to store and show: platforms and pipes can
// hand over bytes that are not UTF-8, which would otherwise be refused.
func sanitize(m chat.Message) chat.Message {
	for _, s := range []*string{&m.Text, &m.ID, &m.Author.ID, &m.Author.Name,
		&m.Conversation.Platform, &m.Conversation.Channel, &m.Conversation.Thread} {
		if !utf8.ValidString(*s) {
			*s = strings.ToValidUTF8(*s, "\uFFFD")
		}
	}
	return m
}

// work handles one member's messages in one conversation, in order, until
// none are pending.
func (rt *Router) work(key queueKey, q *queue) {
	defer rt.workers.Done()
	for {
		rt.mu.Lock()
		if q.pending == 0 {
			delete(rt.queues, key)
			rt.mu.Unlock()
			return
		}
		rt.mu.Unlock()

		d := <-q.items
		rt.mu.Lock()
		q.told = false // there is room again
		rt.mu.Unlock()
		rt.slots <- struct{}{}
		rt.handle(d)
		<-rt.slots

		rt.mu.Lock()
		q.pending--
		rt.mu.Unlock()
	}
}

// handle runs the handler for one message. Its context is not the
// adapter's: a message accepted before shutdown is answered before the
// router stops, bounded by the Timeout middleware.
func (rt *Router) handle(d delivery) {
	held := &module.Held{}
	r := &recordingResponder{inner: d.r, rt: rt, msg: &d.msg, held: held}
	// The adapter's own responder, not one a middleware wrapped, says
	// whether drafts can be edited.
	r.ed, d.msg.Streams = chat.EditorOf(d.r)
	// While the handler waits on the network (chat.Wait), its slot is
	// free for another message: MaxConcurrent bounds work, not waiting.
	// Only the handler's first, outermost Wait gives its slot back: a
	// nested one, or one from a goroutine of the handler while the slot is
	// already given back, just waits.
	var given atomic.Bool
	ctx := chat.WithWait(module.WithHeld(context.Background(), held), func(wait func()) {
		if !given.CompareAndSwap(false, true) {
			wait()
			return
		}
		<-rt.slots
		defer func() {
			rt.slots <- struct{}{}
			given.Store(false)
		}()
		wait()
	})
	rt.handler.Handle(ctx, r, &d.msg)
	if rs := held.Take(); len(rs) > 0 {
		// No stored answer carried them (none, or not stored).
		if err := module.Settle(context.Background(), rt.history, rs...); err != nil {
			rt.log.Error("llm requests not counted", "conversation", d.msg.Conversation.String(), "message", d.msg.ID, "err", err)
		}
	}
	finish(d.r)
	if !r.noted.Load() { // AnswerSent settled it already
		rt.settled(d.msg.ID)
	}
}

// recordingResponder stores every answer before the adapter sends it, so
// that an answer a member saw is in the history even when Docent is killed
// right after; the platform's ID of the sent message is added once it is
// known, for the votes on it. (An answer whose sending failed stays
// stored, as the answer Docent gave.)
//
// Where the adapter can edit (ed is set, and Message.Streams), it shows an
// answer while it is written: the first draft is sent, later drafts edit
// it, and the next answer that is not a draft is stored and edits it into
// its final form.
type recordingResponder struct {
	inner chat.Responder
	rt    *Router
	msg   *Message
	held  *module.Held // what the modules hold for the next answer stored; nil outside handle
	ed    chat.Editor  // the adapter's, or nil

	mu    sync.Mutex // guards draft
	draft *chat.Sent // the draft being shown, if any
	// noted is set once an answer's platform ID is queued (AnswerSent),
	// which settles the message too.
	noted atomic.Bool
}

func (r *recordingResponder) Unwrap() chat.Responder { return r.inner }

func (r *recordingResponder) Reply(ctx context.Context, a chat.Answer) (chat.Sent, error) {
	a.ReplyTo = r.msg.ID
	shown := a
	if r.msg.NotStored && !a.Draft {
		// Said to the member, not kept: the history may work again by the
		// time the answer is stored.
		shown.Text += r.rt.note(r.msg.Conversation)
	}
	if r.ed != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.draft != nil {
			return r.edit(ctx, a, shown)
		}
	}
	if a.Draft {
		sent, err := r.inner.Reply(ctx, shown)
		if err == nil && r.ed != nil {
			r.draft = &sent
		}
		return sent, err
	}
	return r.send(ctx, a, shown)
}

// edit shows a in the place of the draft: another draft, or the final
// answer, stored first. A final answer the draft cannot become is sent
// anew. r.mu is held.
func (r *recordingResponder) edit(ctx context.Context, a, shown chat.Answer) (chat.Sent, error) {
	draft := *r.draft
	if a.Draft {
		return draft, r.ed.Edit(ctx, draft, shown)
	}
	r.draft = nil
	id, stored := r.store(ctx, draft.ID, a)
	err := r.ed.Edit(ctx, draft, shown)
	if err == nil {
		return draft, nil
	}
	r.rt.log.Warn("could not edit the streamed answer into its final form; sending it anew",
		"conversation", r.msg.Conversation.String(), "err", err)
	sent, err := r.inner.Reply(ctx, shown)
	if err == nil && stored && sent.ID != "" {
		r.sent(ctx, id, sent.ID)
	}
	return sent, err
}

// send stores a and sends it.
func (r *recordingResponder) send(ctx context.Context, a, shown chat.Answer) (chat.Sent, error) {
	id, stored := r.store(ctx, "", a)
	sent, err := r.inner.Reply(ctx, shown)
	if err != nil || !stored || sent.ID == "" {
		return sent, err
	}
	r.sent(ctx, id, sent.ID)
	return sent, nil
}

// sent records the platform's ID of the message that carried answer id.
func (r *recordingResponder) sent(ctx context.Context, id uint64, platformID string) {
	if err := r.rt.history.AnswerSent(context.WithoutCancel(ctx), id, platformID); err != nil {
		// The answer is kept; only votes on it will not find it.
		r.rt.log.Error("answer stored and sent, but not its platform ID", "conversation", r.msg.Conversation.String(), "answer", id, "err", err)
		return
	}
	r.noted.Store(true)
}

// store appends the answer to the history; it reports the record's ID and
// whether it was stored.
func (r *recordingResponder) store(ctx context.Context, platformID string, a chat.Answer) (uint64, bool) {
	if r.msg.Forgotten {
		return 0, false // the "Done" of forget me is shown, not kept
	}
	rec, serr := r.rt.history.AppendAnswer(context.WithoutCancel(ctx), store.AnswerRecord{
		Conversation: r.msg.Conversation, Space: r.msg.Space, ReplyTo: r.msg.ID, PlatformID: platformID,
		Time: time.Now(), Author: r.rt.opts.Self, Answer: a, Along: r.held.Take(),
	})
	if serr != nil {
		// The member gets the answer; only the history lacks it.
		r.rt.log.Error("answer not stored", "conversation", r.msg.Conversation.String(), "reply_to", r.msg.ID, "err", serr)
		r.rt.storeFailed(serr)
		return 0, false
	}
	r.rt.storeWorks()
	return rec.ID, true
}

// Shutdown stops taking messages and waits until every accepted message has
// been handled, or ctx is done. (When ctx ends first, the goroutine waiting
// for the workers ends with the last of them.)
func (rt *Router) Shutdown(ctx context.Context) error {
	rt.mu.Lock()
	rt.stopped = true
	rt.mu.Unlock()
	done := make(chan struct{})
	go func() {
		rt.delivering.Wait()
		rt.workers.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		rt.mu.Lock()
		n := 0
		for _, q := range rt.queues {
			n += q.pending
		}
		rt.mu.Unlock()
		return fmt.Errorf("bot: shutdown: %d messages still being answered: %w", n, ctx.Err())
	}
}
