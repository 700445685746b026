package chat

import (
	"context"
	"errors"
)

// Announcer is implemented by adapters that can post on their own, not in
// reply to a member: Docent announces coding challenges through it. The
// bot finds it on the adapters it runs, by type assertion.
//
// Announce posts text in channel (a platform channel ID) and returns once
// the platform accepted it. The text may mention no one: adapters send it
// with every mention disabled.
type Announcer interface {
	Announce(ctx context.Context, channel, text string) error
}

// ErrNotConnected is returned (wrapped) by Announce when the adapter is
// not connected yet, or no longer; the caller may try again later.
var ErrNotConnected = errors.New("not connected")

// SourceAnnouncement marks an announcement where an adapter writes it like
// an answer (the console's JSON lines).
const SourceAnnouncement Source = "announcement"

// DirectMessenger is implemented by adapters that can write to one member
// privately (a Discord DM, a Slack IM): helpers pinged for a question,
// members' digests. The bot finds it on the adapters it runs, by type
// assertion.
//
// DirectMessage sends text to the member whose platform ID is member and
// returns once the platform accepted it; ErrNotConnected (wrapped) when
// the adapter is not connected. Like an announcement, the text mentions
// no one.
type DirectMessenger interface {
	DirectMessage(ctx context.Context, member, text string) error
}
