package discord

import (
	"context"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/docent-bot/docent/chat"
)

// Announce posts text in channel (chat.Announcer), split like answers,
// with every mention disabled: an announcement is for everyone to read,
// not to be notified of by name. It fails with chat.ErrNotConnected until
// Run has connected and registered the slash commands, and after Run.
func (a *Adapter) Announce(ctx context.Context, channel, text string) error {
	a.mu.Lock()
	s, ready := a.s, a.ready && !a.stopped
	a.mu.Unlock()
	if !ready {
		return fmt.Errorf("discord: announce in %s: %w", channel, chat.ErrNotConnected)
	}
	if strings.TrimSpace(text) == "" {
		return errEmpty
	}
	for i, p := range Split(text, MaxMessage) {
		if _, err := s.ChannelMessageSendComplex(channel, &discordgo.MessageSend{Content: p, AllowedMentions: allowed("")}, discordgo.WithContext(ctx)); err != nil {
			return fmt.Errorf("discord: announce in %s (part %d): %w", channel, i+1, err)
		}
	}
	return nil
}

// DirectMessage writes text to member privately (chat.DirectMessenger), in
// the direct message channel opened with them, split like answers, with
// every mention disabled as in an announcement. It fails with
// chat.ErrNotConnected as Announce does, and wraps ErrDMsClosed when the
// member takes no direct messages from Docent.
func (a *Adapter) DirectMessage(ctx context.Context, member, text string) error {
	a.mu.Lock()
	s, ready := a.s, a.ready && !a.stopped
	a.mu.Unlock()
	if !ready {
		return fmt.Errorf("discord: direct message to member %s: %w", member, chat.ErrNotConnected)
	}
	if strings.TrimSpace(text) == "" {
		return errEmpty
	}
	dm, err := a.dmChannel(ctx, s, member)
	if err != nil {
		return err
	}
	for i, p := range Split(text, MaxMessage) {
		_, err := s.ChannelMessageSendComplex(dm, &discordgo.MessageSend{Content: p, AllowedMentions: allowed("")}, discordgo.WithContext(ctx))
		switch {
		case dmsClosed(err):
			return fmt.Errorf("discord: direct message to member %s (part %d): %w: %w", member, i+1, ErrDMsClosed, err)
		case err != nil:
			return fmt.Errorf("discord: direct message to member %s (part %d): %w", member, i+1, err)
		}
	}
	return nil
}
