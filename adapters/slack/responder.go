package slack

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/docent-bot/docent/chat"
)

// minDraftEdit spaces the edits of a streamed answer: chat.update allows
// about 50 calls a minute, and members read no faster.
const minDraftEdit = time.Second

// working is the reaction on a question while Docent works on it.
type working struct {
	channel, ts string
	added       chan struct{} // closed once adding it finished
	once        sync.Once
}

// responder sends the answers to one message into its thread.
// MemberName looks up the name of the member who wrote (chat.Namer).
func (r *responder) MemberName(ctx context.Context) string {
	return r.a.memberName(ctx, r.user)
}

type responder struct {
	a             *Adapter
	channel, user string
	command       bool // from a slash command: there is no question to thread under
	// asked, for a slash command, is what Docent posts to the channel
	// before its first public answer, which goes in that post's thread:
	// who asked what ("<@U1> asked: “…”").
	asked string
	// question is the ts of the message answered, "" for a command: every
	// answer carries it in its metadata, so that a replica taking over
	// finds an answer posted by one killed before it noted so (Posted).
	question  string
	working   *working
	mu        sync.Mutex // guards thread, sentParts, ephemeral, lastEdit, dm
	thread    string
	sentParts map[string][]string // first part's ts → every part's ts
	ephemeral map[string]bool
	lastEdit  map[string]time.Time
	dm        map[string]string // first part's ts → DM channel, for private answers
}

// msgOptions are the options every message is sent with: the text as it
// is (already escaped), no @name parsing, no markup parsing.
func msgOptions(text, thread string) []slack.MsgOption {
	opts := []slack.MsgOption{
		slack.MsgOptionText(text, false),
		slack.MsgOptionLinkNames(false),
		slack.MsgOptionParse(false),
	}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	return opts
}

// answerEvent is the metadata event type of Docent's answers.
const answerEvent = "docent_answer"

// Feedback buttons: the block and the actions Slack sends back on a click.
const (
	feedbackBlockID = "docent_feedback"
	actionVoteUp    = "docent_vote_up"
	actionVoteDown  = "docent_vote_down"
	// maxSection is below Slack's 3,000-character limit on a section's
	// text: an answer with buttons is split at it.
	maxSection = 2900
)

// buttons reports whether ans gets feedback buttons.
func (r *responder) buttons(ans chat.Answer) bool {
	return r.a.cfg.FeedbackButtons && !ans.Draft && !ans.Ephemeral &&
		ans.Source != chat.SourceCommand && ans.Source != chat.SourceError
}

// parts formats ans and splits it into messages.
func (r *responder) parts(ans chat.Answer) []string {
	max := maxPart
	if r.buttons(ans) {
		max = maxSection
	}
	return split(onlyPings(mrkdwn(ans.Text), r.user), max)
}

// partOptions are the options for part i of n: the last part of an answer
// with buttons shows its text in a section block with the buttons below
// (the text stays as the notification's fallback).
func (r *responder) partOptions(ans chat.Answer, text, thread string, i, n int) []slack.MsgOption {
	opts := msgOptions(text, thread)
	if r.question != "" {
		opts = append(opts, slack.MsgOptionMetadata(slack.SlackMetadata{EventType: answerEvent,
			EventPayload: map[string]any{"question": r.question}}))
	}
	if i == n-1 && r.buttons(ans) {
		opts = append(opts, slack.MsgOptionBlocks(
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, true), nil, nil),
			slack.NewActionBlock(feedbackBlockID,
				slack.NewButtonBlockElement(actionVoteUp, "up", slack.NewTextBlockObject(slack.PlainTextType, "👍", true, false)),
				slack.NewButtonBlockElement(actionVoteDown, "down", slack.NewTextBlockObject(slack.PlainTextType, "👎", true, false)),
			),
		))
	}
	return opts
}

// Reply sends the answer into the question's thread, split into messages,
// then uploads its file there. A private answer goes to a direct message
// instead (replyPrivately).
func (r *responder) Reply(ctx context.Context, ans chat.Answer) (chat.Sent, error) {
	defer r.doneWorking(ctx)
	if ans.Private {
		return r.replyPrivately(ctx, ans)
	}
	if ans.File != nil && ans.Ephemeral {
		return chat.Sent{}, errEphemeralFile
	}
	parts := r.parts(ans)
	if err := check(ans, parts); err != nil {
		return chat.Sent{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	ids, err := r.post(ctx, r.channel, &r.thread, ans, parts)
	if err != nil {
		return chat.Sent{}, err
	}
	if ans.File != nil {
		if err := r.a.upload(ctx, r.channel, r.thread, ans.File); err != nil {
			return chat.Sent{}, err
		}
	}
	return r.remember(ids, ans.Ephemeral, ""), nil
}

// post sends the parts of an answer to channel, in *thread when thread is
// not nil (a command's first part starts the thread), and returns their
// ts. A part after the first that fails cuts the answer short.
func (r *responder) post(ctx context.Context, channel string, thread *string, ans chat.Answer, parts []string) ([]string, error) {
	var ids []string
	if thread != nil && *thread == "" && r.asked != "" && !ans.Ephemeral {
		var ts string
		err := r.a.retry(ctx, func() error {
			var err error
			_, ts, err = r.a.api.PostMessageContext(ctx, channel, msgOptions(r.asked, "")...)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("slack: post the question to %s: %w", channel, err)
		}
		*thread = ts
		r.a.threads.Put(channel+"/"+ts, "")
	}
	for i, p := range parts {
		in := ""
		if thread != nil {
			in = *thread
		}
		var ts string
		err := r.a.retry(ctx, func() error {
			var err error
			if ans.Ephemeral {
				ts, err = r.a.api.PostEphemeralContext(ctx, channel, r.user, msgOptions(p, in)...)
			} else {
				_, ts, err = r.a.api.PostMessageContext(ctx, channel, r.partOptions(ans, p, in, i, len(parts))...)
			}
			return err
		})
		if err != nil {
			err = fmt.Errorf("slack: send part %d of %d to %s: %w", i+1, len(parts), channel, err)
			if i == 0 {
				return nil, err
			}
			r.a.log.WarnContext(ctx, "slack: answer cut short", "err", err)
			break
		}
		ids = append(ids, ts)
		if ans.Ephemeral {
			continue
		}
		if thread == nil {
			r.a.answers.Put(channel+"/"+ts, "")
			continue
		}
		if *thread == "" { // a command's answer starts the thread
			*thread = ts
		}
		r.a.threads.Put(channel+"/"+*thread, "")
		r.a.answers.Put(channel+"/"+ts, *thread)
	}
	return ids, nil
}

// remember keeps the parts of a sent answer for edits; dm is the direct
// message channel of a private answer ("" for the question's channel).
// r.mu is held. An answer of a file alone has no message to remember.
func (r *responder) remember(ids []string, ephemeral bool, dm string) chat.Sent {
	if len(ids) == 0 {
		return chat.Sent{Time: time.Now()}
	}
	if r.sentParts == nil {
		r.sentParts, r.ephemeral, r.lastEdit, r.dm = map[string][]string{}, map[string]bool{}, map[string]time.Time{}, map[string]string{}
	}
	r.sentParts[ids[0]] = ids
	r.ephemeral[ids[0]] = ephemeral
	r.lastEdit[ids[0]] = time.Now()
	if dm != "" {
		r.dm[ids[0]] = dm
	}
	return chat.Sent{ID: ids[0], Time: tsTime(ids[0])}
}

// Edit changes an answer sent before: its parts are updated in place, and
// parts are added or deleted when the new text needs more or fewer. Drafts
// closer than minDraftEdit to the last edit are skipped; the final answer
// never is.
func (r *responder) Edit(ctx context.Context, sent chat.Sent, ans chat.Answer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ephemeral[sent.ID] {
		return errors.New("slack: an ephemeral message cannot be edited")
	}
	if ans.Draft && time.Since(r.lastEdit[sent.ID]) < minDraftEdit {
		return nil
	}
	parts := r.parts(ans)
	if len(parts) == 0 {
		return errors.New("slack: empty answer")
	}
	old, ok := r.sentParts[sent.ID]
	if !ok {
		old = []string{sent.ID}
	}
	channel, thread := r.channel, r.thread
	if dm, ok := r.dm[sent.ID]; ok { // a private answer: no thread in the DM
		channel, thread = dm, ""
	}
	ids := make([]string, 0, len(parts))
	for i, p := range parts {
		var ts string
		err := r.a.retry(ctx, func() error {
			var err error
			if i < len(old) {
				ts = old[i]
				_, _, _, err = r.a.api.UpdateMessageContext(ctx, channel, ts, r.partOptions(ans, p, "", i, len(parts))...)
			} else {
				_, ts, err = r.a.api.PostMessageContext(ctx, channel, r.partOptions(ans, p, thread, i, len(parts))...)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("slack: edit part %d of %d in %s: %w", i+1, len(parts), channel, err)
		}
		if i >= len(old) {
			r.a.answers.Put(channel+"/"+ts, thread)
		}
		ids = append(ids, ts)
	}
	for _, ts := range old[min(len(parts), len(old)):] {
		if _, _, err := r.a.api.DeleteMessageContext(ctx, channel, ts); err != nil {
			r.a.log.WarnContext(ctx, "slack: delete a part no longer needed", "ts", ts, "err", err)
		}
	}
	if r.sentParts == nil {
		r.sentParts, r.ephemeral, r.lastEdit, r.dm = map[string][]string{}, map[string]bool{}, map[string]time.Time{}, map[string]string{}
	}
	r.sentParts[sent.ID] = ids
	r.lastEdit[sent.ID] = time.Now()
	return nil
}

// Finish takes the working reaction off when the bot is done with the
// message without replying (a rate limited or ignored message): it must
// not stay on forever.
func (r *responder) Finish() {
	ctx, cancel := context.WithTimeout(context.Background(), finishTimeout)
	defer cancel()
	r.doneWorking(ctx)
}

// finishTimeout bounds taking the working reaction off after the bot is
// done with a message.
const finishTimeout = 10 * time.Second

// doneWorking takes the working reaction off, once, after the first reply.
func (r *responder) doneWorking(ctx context.Context) {
	w := r.working
	if w == nil {
		return
	}
	w.once.Do(func() {
		select {
		case <-w.added:
		case <-ctx.Done():
			return
		}
		err := r.a.retry(ctx, func() error {
			return r.a.api.RemoveReactionContext(ctx, r.a.cfg.WorkingReaction, slack.NewRefToMessage(w.channel, w.ts))
		})
		if err != nil && ctx.Err() == nil {
			r.a.log.DebugContext(ctx, "slack: remove working reaction", "err", err)
		}
	})
}
