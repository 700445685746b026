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
