package discord

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/docent-bot/docent/adapters/internal/filename"
	"github.com/docent-bot/docent/chat"
)

// ErrDMsClosed is wrapped by the error of a private answer the member
// cannot receive: they allow no direct messages from server members, or
// blocked Docent. The adapter has already told them in the channel.
var ErrDMsClosed = errors.New("the member does not accept direct messages from Docent")

// What the member sees in the channel about a private answer; never any of
// its content.
const (
	noticeDMSent   = "I sent you a direct message."
	noticeDMClosed = "I could not send you a direct message: please allow direct messages from server members and ask again."
)

// MaxFile is the largest file Docent sends: Discord takes attachments of
// up to 10 MiB from bots in servers without boosts.
const MaxFile = 10 << 20

// maxDMs bounds the remembered DM channels (member → channel).
const maxDMs = 10000

// dmChannel opens the direct message channel with member, or reuses the
// one opened before (Discord returns the same channel every time).
func (a *Adapter) dmChannel(ctx context.Context, s *discordgo.Session, member string) (string, error) {
	if id, ok := a.dms.Get(member); ok {
		return id, nil
	}
	ch, err := s.UserChannelCreate(member, discordgo.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("discord: open a direct message with member %s: %w", member, err)
	}
	if ch == nil || ch.ID == "" {
		return "", fmt.Errorf("discord: open a direct message with member %s: Discord returned no channel", member)
	}
	a.dms.Put(member, ch.ID)
	return ch.ID, nil
}

// dmsClosed reports whether err is Discord refusing a message because the
// member takes no direct messages from Docent (code 50007).
func dmsClosed(err error) bool {
	var re *discordgo.RESTError
	return errors.As(err, &re) && re.Message != nil && re.Message.Code == discordgo.ErrCodeCannotSendMessagesToThisUser
}

// attachment turns a file of an answer into one for discordgo, under a name
// that cannot be a path.
func attachment(f *chat.File) (*discordgo.File, error) {
	if f == nil {
		return nil, nil
	}
	name := filename.Safe(f.Name)
	if len(f.Data) > MaxFile {
		return nil, fmt.Errorf("discord: the file %s is %d bytes; Discord takes up to %d", name, len(f.Data), MaxFile)
	}
	return &discordgo.File{Name: name, ContentType: f.ContentType, Reader: bytes.NewReader(f.Data)}, nil
}

// parts splits an answer's text into messages; an answer with a file may
// have no text, and then is one message with the file alone.
func parts(ans chat.Answer) ([]string, error) {
	if strings.TrimSpace(ans.Text) == "" {
		if ans.File == nil {
			return nil, errEmpty
		}
		return []string{""}, nil
	}
	return Split(ans.Text, MaxMessage), nil
}

// check refuses an answer Discord would refuse, before anything is sent.
func check(ans chat.Answer) error {
	if _, err := parts(ans); err != nil {
		return err
	}
	_, err := attachment(ans.File)
	return err
}

// post sends an answer to channel in parts, the file with the last part so
// that it follows the text introducing it; the first part replies to ref
// when it is set. Every part is remembered as Docent's own, for votes.
func (a *Adapter) post(ctx context.Context, s *discordgo.Session, channel, asker string, ans chat.Answer, ref *discordgo.MessageReference) (*discordgo.Message, []string, error) {
	ps, err := parts(ans)
	if err != nil {
		return nil, nil, err
	}
	file, err := attachment(ans.File)
	if err != nil {
		return nil, nil, err
	}
	var first *discordgo.Message
	var rest []string
	for i, p := range ps {
		ms := &discordgo.MessageSend{Content: p, AllowedMentions: allowed(asker)}
		if i == 0 {
			ms.Reference = ref
		}
		if i == len(ps)-1 && file != nil {
			ms.Files = []*discordgo.File{file}
		}
		m, err := s.ChannelMessageSendComplex(channel, ms, discordgo.WithContext(ctx))
		if err != nil {
			return nil, nil, fmt.Errorf("discord: send answer to %s: %w", channel, err)
		}
		a.own.Put(m.ID, channel)
		if i == 0 {
			first = m
		} else {
			rest = append(rest, m.ID)
		}
	}
	return first, rest, nil
}

// sendPrivately sends ans in a direct message to member. It returns the
// first message, the IDs of the others, and the DM channel. When the
// member takes no DMs from Docent the error wraps ErrDMsClosed.
func (a *Adapter) sendPrivately(ctx context.Context, s *discordgo.Session, member string, ans chat.Answer) (*discordgo.Message, []string, string, error) {
	if err := check(ans); err != nil {
		return nil, nil, "", err
	}
	dm, err := a.dmChannel(ctx, s, member)
	if err != nil {
		return nil, nil, "", err
	}
	first, rest, err := a.post(ctx, s, dm, member, ans, nil)
	switch {
	case dmsClosed(err):
		return nil, nil, dm, fmt.Errorf("discord: send a private answer to member %s: %w: %w", member, ErrDMsClosed, err)
	case err != nil:
		return nil, nil, dm, fmt.Errorf("discord: send a private answer to member %s: %w", member, err)
	}
	return first, rest, dm, nil
}

// replyPrivately sends the answer to the member who asked in a direct
// message, never in the channel; the channel gets a short pointer to it,
// or why it could not be sent.
func (r *responder) replyPrivately(ctx context.Context, ans chat.Answer) (chat.Sent, error) {
	first, rest, dm, err := r.a.sendPrivately(ctx, r.s, r.asker, ans)
	if err != nil {
		if errors.Is(err, ErrDMsClosed) && dm != r.channel {
			r.notice(ctx, noticeDMClosed)
		}
		return chat.Sent{}, err
	}
	if dm != r.channel {
		r.notice(ctx, noticeDMSent)
	}
	r.mu.Lock()
	r.sent[first.ID] = sentParts{channel: dm, rest: rest}
	r.mu.Unlock()
	return chat.Sent{ID: first.ID, Time: sentTime(first)}, nil
}

// notice tells the member something short in the conversation where they
// asked: in the answer's thread if there is one already, else as a reply
// to their message. It starts no thread and is not an answer to vote on.
// A notice that cannot be sent is logged: the answer's error says more.
func (r *responder) notice(ctx context.Context, text string) {
	r.mu.Lock()
	channel := r.target
	r.mu.Unlock()
	ms := &discordgo.MessageSend{Content: text, AllowedMentions: allowed(r.asker)}
	if channel == "" {
		channel = r.channel
		if r.msgID != "" {
			ms.Reference = &discordgo.MessageReference{MessageID: r.msgID, ChannelID: r.channel}
		}
	}
	if _, err := r.s.ChannelMessageSendComplex(channel, ms, discordgo.WithContext(ctx)); err != nil {
		r.a.log.Warn("discord: tell the member about their private answer", "channel", channel, "err", err)
	}
}
