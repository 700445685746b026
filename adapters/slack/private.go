package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/docent-bot/docent/adapters/internal/filename"
	"github.com/docent-bot/docent/chat"
)

// noticeDMSent is what the member sees, only them, where they asked for a
// private answer; never any of its content.
const noticeDMSent = "I sent you a direct message."

// maxDMs bounds the remembered DM channels (member → channel).
const maxDMs = 5000

// errEphemeralFile refuses a file in an answer meant only for the member:
// Slack cannot show a file to one member of a channel.
var errEphemeralFile = errors.New("slack: a file meant only for the member cannot be shown to them alone in a channel; send it privately")

// check refuses an answer that has nothing to send, or a file Slack would
// refuse, before anything is sent.
func check(ans chat.Answer, parts []string) error {
	if len(parts) == 0 && ans.File == nil {
		return errors.New("slack: empty answer")
	}
	if ans.File != nil && len(ans.File.Data) == 0 {
		return fmt.Errorf("slack: the file %s is empty; Slack takes no empty files", filename.Safe(ans.File.Name))
	}
	return nil
}

// dmChannel opens the direct message channel with member, or reuses the
// one opened before (conversations.open returns the same one every time).
func (a *Adapter) dmChannel(ctx context.Context, member string) (string, error) {
	if id, ok := a.dms.Get(member); ok {
		return id, nil
	}
	var ch *slack.Channel
	err := a.retry(ctx, func() error {
		var err error
		ch, _, _, err = a.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{member}})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("slack: open a direct message with member %s (conversations.open, which needs the im:write scope): %w", member, err)
	}
	if ch == nil || ch.ID == "" {
		return "", fmt.Errorf("slack: open a direct message with member %s: Slack returned no channel", member)
	}
	a.dms.Put(member, ch.ID)
	return ch.ID, nil
}

// upload shares f in channel (in thread when not "") with files.uploadV2's
// three steps: files.getUploadURLExternal, the bytes posted to the URL it
// gives, files.completeUploadExternal. Slack takes the file's type from
// its name, so ContentType is not sent.
func (a *Adapter) upload(ctx context.Context, channel, thread string, f *chat.File) error {
	name := filename.Safe(f.Name)
	err := a.retry(ctx, func() error {
		_, err := a.api.UploadFileContext(ctx, slack.UploadFileParameters{
			Reader:          bytes.NewReader(f.Data), // a fresh reader for each attempt
			FileSize:        len(f.Data),
			Filename:        name,
			Title:           name,
			Channel:         channel,
			ThreadTimestamp: thread,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("slack: upload the file %s to %s (files:write scope): %w", name, channel, err)
	}
	return nil
}

// replyPrivately sends the answer, and then its file, to a direct message
// with the member who asked, never to the channel: that only gets a note
// seen by the member alone (chat.postEphemeral) pointing to the DM.
func (r *responder) replyPrivately(ctx context.Context, ans chat.Answer) (chat.Sent, error) {
	ans.Ephemeral = false // the DM is the member's alone already
	parts := r.parts(ans)
	if err := check(ans, parts); err != nil {
		return chat.Sent{}, err
	}
	dm, err := r.a.dmChannel(ctx, r.user)
	if err != nil {
		return chat.Sent{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	ids, err := r.post(ctx, dm, nil, ans, parts)
	if err != nil {
		return chat.Sent{}, fmt.Errorf("slack: send a private answer to member %s: %w", r.user, err)
	}
	if ans.File != nil {
		if err := r.a.upload(ctx, dm, "", ans.File); err != nil {
			return chat.Sent{}, fmt.Errorf("slack: send a private answer to member %s: %w", r.user, err)
		}
	}
	if dm != r.channel {
		err := r.a.retry(ctx, func() error {
			_, err := r.a.api.PostEphemeralContext(ctx, r.channel, r.user, msgOptions(noticeDMSent, r.thread)...)
			return err
		})
		if err != nil {
			r.a.log.WarnContext(ctx, "slack: tell the member about their private answer", "channel", r.channel, "err", err)
		}
	}
	return r.remember(ids, false, dm), nil
}
