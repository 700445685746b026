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
