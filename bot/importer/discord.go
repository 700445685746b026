package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// The JSON export of one Discord channel as DiscordChatExporter writes
// it: the guild and the channel, then the messages, oldest first. Only
// what Docent keeps is read.

type dceGuild struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type dceChannel struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	CategoryID string `json:"categoryId"` // a thread's: its parent channel
	Name       string `json:"name"`
}

type dceMessage struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Content   string    `json:"content"`
	Author    struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Nickname string `json:"nickname"`
		IsBot    bool   `json:"isBot"`
	} `json:"author"`
	Reactions []struct {
		Emoji struct {
			ID   string `json:"id"`
			Name string `json:"name"` // the character itself, or a custom emoji's name
		} `json:"emoji"`
		Count int `json:"count"`
		// Users are who reacted; exports before DiscordChatExporter 2.41
		// have none.
		Users []struct {
			ID string `json:"id"`
		} `json:"users"`
	} `json:"reactions"`
	// Reference is the message a reply replies to (other types use it
	// for what they quote: a pin, a crosspost, a forward).
	Reference *struct {
		MessageID string `json:"messageId"`
	} `json:"reference"`
}

// repliesTo is the Discord ID of the message m replies to, "" if none.
func (m dceMessage) repliesTo() string {
	if m.Type != "Reply" || m.Reference == nil {
		return ""
	}
	return m.Reference.MessageID
}

// reactions are m's reactions as the store keeps them.
func (m dceMessage) reactions() []store.Reaction {
	rs := make([]reaction, 0, len(m.Reactions))
	for _, r := range m.Reactions {
		emoji := r.Emoji.Name
		if emoji == "" {
			emoji = r.Emoji.ID // a custom emoji deleted since
		}
		users := make([]string, len(r.Users))
		for i, u := range r.Users {
			users[i] = u.ID
		}
		rs = append(rs, reaction{emoji: emoji, count: r.Count, members: users})
	}
	return storedReactions(rs)
}

// memberMessage reports whether a message of type t is something a member
// wrote (not a join, a pin, a call).
func memberMessage(t string) bool { return t == "" || t == "Default" || t == "Reply" }

// ImportDiscord imports a DiscordChatExporter JSON export of one channel
// (or thread), of size bytes, under the name name, into h, as ImportJSONL
// does: platform "discord" (opts.Platform is not used), the guild as the
// space, a thread under its parent channel as the Discord adapter stores
// it, and each message under its Discord ID, so that messages Docent saw
// live or imported before are left out; a reply keeps the ID of the
// message it replies to, and reactions their emoji, count and (in exports
// that have them) members. Members' messages only: joins, pins and calls
// are counted as Other.
func ImportDiscord(ctx context.Context, h History, name string, size int64, r io.Reader, opts Options) (Summary, error) {
	opts.Platform = "discord"
	b, in, err := startReading(ctx, h, name, size, r, opts)
	if err != nil {
		return b.summary(), err
	}
	dec := json.NewDecoder(in)
	fail := func(err error) (Summary, error) {
		return b.sum, fmt.Errorf("importer: %s: not a DiscordChatExporter JSON export: %w", name, err)
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fail(errors.Join(errors.New("it does not start with an object"), err))
	}
	var guild dceGuild
	var channel dceChannel
	members, n := map[string]bool{}, 0
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		switch t {
		case "guild":
			err = dec.Decode(&guild)
		case "channel":
			err = dec.Decode(&channel)
		case "messages":
			if channel.ID == "" {
				return fail(errors.New("no channel before the messages"))
			}
			conv := chat.Conversation{Platform: "discord", Channel: channel.ID}
			if strings.HasSuffix(channel.Type, "Thread") && channel.CategoryID != "" {
				conv = chat.Conversation{Platform: "discord", Channel: channel.CategoryID, Thread: channel.ID}
			}
			if t, err := dec.Token(); err != nil || t != json.Delim('[') {
				return fail(errors.Join(errors.New("messages is not a list"), err))
			}
			for dec.More() {
				n++
				b.sum.Lines = n
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					// Broken JSON: there is no next message to find. Stop,
					// keeping what came before (a download cut short).
					if ferr := b.finish(ctx, n-1); ferr != nil {
						return b.sum, ferr
					}
					return fail(fmt.Errorf("message %d: %w (the messages before it are stored)", n, err))
				}
				var m dceMessage
				if err := json.Unmarshal(raw, &m); err != nil {
					b.bad(n, err)
					continue
				}
				switch {
				case !memberMessage(m.Type):
					if n > b.done.Line {
						b.sum.Other++
					}
					continue
				case m.ID == "" || m.Author.ID == "" || m.Timestamp.IsZero():
					b.bad(n, errors.New("no id, author or timestamp"))
					continue
				}
				members[m.Author.ID] = true
				author := m.Author.Nickname
				if author == "" {
					author = m.Author.Name
				}
				err := b.add(ctx, n, store.Record{
					Kind: store.KindMessage, Conversation: conv, Space: guild.ID, Time: m.Timestamp,
					Author: chat.Member{ID: m.Author.ID, Name: author, Bot: m.Author.IsBot},
					Text:   m.Content, PlatformID: m.ID, RepliesTo: m.repliesTo(), Reactions: m.reactions(),
				})
				if err != nil {
					return b.sum, err
				}
			}
			_, err = dec.Token() // ]
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return fail(err)
		}
	}
	b.sum.Members, b.sum.Channels = len(members), 1
	return b.sum, b.finish(ctx, n)
}
