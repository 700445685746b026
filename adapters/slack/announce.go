package slack

import (
	"context"
	"errors"
	"fmt"
)

// Announce posts text in channel (chat.Announcer) as mrkdwn, split like
// answers, sent like them so that it notifies no channel, group or
// member (chat.MayPing).
func (a *Adapter) Announce(ctx context.Context, channel, text string) error {
	parts := split(onlyPings(mrkdwn(text), ""), maxPart)
	if len(parts) == 0 {
		return errors.New("slack: empty announcement")
	}
	for i, p := range parts {
		err := a.retry(ctx, func() error {
			_, _, err := a.api.PostMessageContext(ctx, channel, msgOptions(p, "")...)
			return err
		})
		if err != nil {
			return fmt.Errorf("slack: announce in %s (part %d of %d): %w", channel, i+1, len(parts), err)
		}
	}
	return nil
}

// DirectMessage writes text to member privately (chat.DirectMessenger): in
// the IM conversations.open opens with them (remembered), as mrkdwn, split
// and sent like an announcement, so that it notifies no channel, group or
// member. Slack's Web API needs no connection of the adapter's own, so it
// never fails with chat.ErrNotConnected.
func (a *Adapter) DirectMessage(ctx context.Context, member, text string) error {
	parts := split(onlyPings(mrkdwn(text), ""), maxPart)
	if len(parts) == 0 {
		return errors.New("slack: empty direct message")
	}
	dm, err := a.dmChannel(ctx, member)
	if err != nil {
		return err
	}
	for i, p := range parts {
		err := a.retry(ctx, func() error {
			_, _, err := a.api.PostMessageContext(ctx, dm, msgOptions(p, "")...)
			return err
		})
		if err != nil {
			return fmt.Errorf("slack: direct message to member %s (part %d of %d): %w", member, i+1, len(parts), err)
		}
	}
	return nil
}
