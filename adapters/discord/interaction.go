package discord

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/docent-bot/docent/chat"
)

// onInteraction defers a slash command at once (Discord allows 3 seconds)
// and delivers it: /ask as a question, the others as prefix commands.
func (a *Adapter) onInteraction(i *discordgo.Interaction) {
	if i == nil || i.Type != discordgo.InteractionApplicationCommand {
		return
	}
	// Not i.ApplicationCommandData(), which panics when the data did not
	// decode: discordgo hands the event over all the same.
	data, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
	if !ok {
		return
	}
	ctx, inbox, s := a.runCtx()
	user := i.User
	if i.Member != nil && i.Member.User != nil {
		user = i.Member.User
	}
	if user == nil || user.ID == "" || i.ChannelID == "" {
		return
	}
	conv, ok := a.place(i.GuildID, i.ChannelID)
	if !ok {
		err := s.InteractionRespond(i, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{
				Content:         "I don't answer in this channel.",
				Flags:           discordgo.MessageFlagsEphemeral,
				AllowedMentions: allowed(user.ID),
			},
		}, discordgo.WithContext(ctx))
		if err != nil && ctx.Err() == nil {
			a.log.Error("discord: refuse slash command", "channel", i.ChannelID, "err", err)
		}
		return
	}
	text := ""
	for _, o := range data.Options {
		// Not o.StringValue(), which panics on a value of another type.
		if v, ok := commandText(o); ok {
			text = strings.TrimSpace(v)
		}
	}
	if data.Name != "ask" {
		text = strings.TrimSpace(a.opts.CommandPrefix + data.Name + " " + text)
	}
	if text == "" {
		text = a.opts.CommandPrefix + "help"
	}
	if err := s.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
	}, discordgo.WithContext(ctx)); err != nil {
		if ctx.Err() == nil {
			a.log.Error("discord: defer slash command", "command", data.Name, "err", err)
		}
		return
	}
	msg := chat.Message{
		ID: i.ID, Conversation: conv, Space: i.GuildID, Text: text, Time: time.Now(),
		Author:    chat.Member{ID: user.ID, Name: displayName(user), Bot: user.Bot},
		Mentioned: true, Direct: i.GuildID == "",
	}
	if i.Member != nil {
		msg.Roles = i.Member.Roles
	}
	r := &interactionResponder{a: a, s: s, i: i, asker: user.ID, parts: map[string]sentParts{}}
	if err := inbox.Deliver(ctx, msg, r); err != nil && ctx.Err() == nil && !errors.Is(err, chat.ErrBusy) {
		a.log.Error("discord: deliver slash command", "conversation", conv.String(), "err", err)
	}
}

// commandText returns the value of the "text" option, if o is that and it
// holds a string.
func commandText(o *discordgo.ApplicationCommandInteractionDataOption) (string, bool) {
	if o == nil || o.Name != "text" || o.Type != discordgo.ApplicationCommandOptionString {
		return "", false
	}
	v, ok := o.Value.(string)
	return v, ok
}

// interactionResponder answers a slash command: the first public answer
// replaces the deferred response ("Docent is thinking…"), everything else is
// a followup message. An ephemeral answer cannot replace a public deferred
// response, so that one is deleted and the answer sent as an ephemeral
// followup.
type interactionResponder struct {
	a     *Adapter
	s     *discordgo.Session
	i     *discordgo.Interaction
	asker string

	mu         sync.Mutex // guards the fields below
	usedOrig   bool       // the deferred response was replaced or deleted
	originalID string
	parts      map[string]sentParts // first part's ID → the following parts
}

// Reply answers the slash command, with the answer's file attached to the
// last part; a private answer goes to a direct message (replyPrivately).
func (r *interactionResponder) Reply(ctx context.Context, ans chat.Answer) (chat.Sent, error) {
	if ans.Private {
		return r.replyPrivately(ctx, ans)
	}
	parts, err := parts(ans)
	if err != nil {
		return chat.Sent{}, err
	}
	file, err := attachment(ans.File)
	if err != nil {
		return chat.Sent{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var flags discordgo.MessageFlags
	if ans.Ephemeral {
		flags = discordgo.MessageFlagsEphemeral
	}
	var first *discordgo.Message
	var rest []string
	for n, p := range parts {
		var m *discordgo.Message
		var err error
		var files []*discordgo.File
		if n == len(parts)-1 && file != nil {
			files = []*discordgo.File{file}
		}
		switch {
		case n == 0 && !r.usedOrig && !ans.Ephemeral:
			m, err = r.s.InteractionResponseEdit(r.i, &discordgo.WebhookEdit{Content: &p, AllowedMentions: allowed(r.asker), Files: files}, discordgo.WithContext(ctx))
			r.usedOrig = true
			if err == nil {
				r.originalID = m.ID
			}
		default:
			if n == 0 && !r.usedOrig {
				if err := r.s.InteractionResponseDelete(r.i, discordgo.WithContext(ctx)); err != nil {
					r.a.log.Warn("discord: delete deferred response", "err", err)
				}
				r.usedOrig = true
			}
			m, err = r.s.FollowupMessageCreate(r.i, true, &discordgo.WebhookParams{Content: p, AllowedMentions: allowed(r.asker), Flags: flags, Files: files}, discordgo.WithContext(ctx))
		}
		if err != nil {
			return chat.Sent{}, fmt.Errorf("discord: answer slash command: %w", err)
		}
		if !ans.Ephemeral {
			r.a.own.Put(m.ID, m.ChannelID)
		}
		if n == 0 {
			first = m
		} else {
			rest = append(rest, m.ID)
		}
	}
	if first == nil {
		return chat.Sent{}, errEmpty
	}
	r.parts[first.ID] = sentParts{rest: rest}
	return chat.Sent{ID: first.ID, Time: sentTime(first)}, nil
}

// replyPrivately sends a private answer to a slash command in a direct
// message, as for a message, rather than as an ephemeral followup (which
// Discord would take with the file attached): Answer.Private promises a
// direct message; an ephemeral message is gone once Discord is reloaded,
// and a data export is a file the member should find again; and /export
// then behaves as !export does. The deferred "thinking" response is public,
// so it is deleted, and an ephemeral followup, seen by the member only,
// says where the answer went or why it could not be sent.
func (r *interactionResponder) replyPrivately(ctx context.Context, ans chat.Answer) (chat.Sent, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.usedOrig {
		if err := r.s.InteractionResponseDelete(r.i, discordgo.WithContext(ctx)); err != nil {
			r.a.log.Warn("discord: delete deferred response", "err", err)
		}
		r.usedOrig = true
	}
	first, rest, dm, err := r.a.sendPrivately(ctx, r.s, r.asker, ans)
	if err != nil {
		if errors.Is(err, ErrDMsClosed) && dm != r.i.ChannelID {
			r.notice(ctx, noticeDMClosed)
		}
		return chat.Sent{}, err
	}
	if dm != r.i.ChannelID {
		r.notice(ctx, noticeDMSent)
	}
	r.parts[first.ID] = sentParts{channel: dm, rest: rest}
	return chat.Sent{ID: first.ID, Time: sentTime(first)}, nil
}

// notice tells the member something short in an ephemeral followup; one
// that cannot be sent is logged.
func (r *interactionResponder) notice(ctx context.Context, text string) {
	_, err := r.s.FollowupMessageCreate(r.i, true, &discordgo.WebhookParams{
		Content: text, AllowedMentions: allowed(r.asker), Flags: discordgo.MessageFlagsEphemeral,
	}, discordgo.WithContext(ctx))
	if err != nil {
		r.a.log.Warn("discord: tell the member about their private answer", "err", err)
	}
}

func (r *interactionResponder) Edit(ctx context.Context, sent chat.Sent, ans chat.Answer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	sp, ok := r.parts[sent.ID]
	if !ok {
		return fmt.Errorf("discord: edit message %s: not sent by this responder", sent.ID)
	}
	if sp.channel != "" { // a private answer, in a direct message
		sp, err := r.a.editInChannel(ctx, r.s, r.asker, sent.ID, sp, ans)
		if err != nil {
			return err
		}
		r.parts[sent.ID] = sp
		return nil
	}
	if strings.TrimSpace(ans.Text) == "" {
		return errEmpty
	}
	edit := func(id, text string) error {
		we := &discordgo.WebhookEdit{Content: &text, AllowedMentions: allowed(r.asker)}
		var err error
		if id == r.originalID {
			_, err = r.s.InteractionResponseEdit(r.i, we, discordgo.WithContext(ctx))
		} else {
			_, err = r.s.FollowupMessageEdit(r.i, id, we, discordgo.WithContext(ctx))
		}
		if err != nil {
			return fmt.Errorf("discord: edit slash command answer: %w", err)
		}
		return nil
	}
	parts := Split(ans.Text, MaxMessage)
	if err := edit(sent.ID, parts[0]); err != nil {
		return err
	}
	var rest []string
	for n, p := range parts[1:] {
		if n < len(sp.rest) {
			if err := edit(sp.rest[n], p); err != nil {
				return err
			}
			rest = append(rest, sp.rest[n])
			continue
		}
		m, err := r.s.FollowupMessageCreate(r.i, true, &discordgo.WebhookParams{Content: p, AllowedMentions: allowed(r.asker)}, discordgo.WithContext(ctx))
		if err != nil {
			return fmt.Errorf("discord: answer slash command: %w", err)
		}
		r.a.own.Put(m.ID, m.ChannelID)
		rest = append(rest, m.ID)
	}
	for _, id := range sp.rest[min(len(sp.rest), len(parts)-1):] {
		if err := r.s.FollowupMessageDelete(r.i, id, discordgo.WithContext(ctx)); err != nil {
			return fmt.Errorf("discord: delete a part no longer needed: %w", err)
		}
	}
	r.parts[sent.ID] = sentParts{rest: rest}
	return nil
}
