package chat

// MentionKind is what a mention in a message's text notifies on a
// platform.
type MentionKind int

const (
	// MentionMember notifies one member (Discord <@id>, Slack <@U…>).
	MentionMember MentionKind = iota + 1
	// MentionGroup notifies everyone with a role or in a user group
	// (Discord <@&role>, Slack <!subteam^…>).
	MentionGroup
	// MentionEveryone notifies everyone who can read the channel or the
	// space (@everyone, @here, Slack <!channel>, <!here>, <!everyone>).
	MentionEveryone
)

func (k MentionKind) String() string {
	switch k {
	case MentionMember:
		return "member"
	case MentionGroup:
		return "group"
	case MentionEveryone:
		return "everyone"
	}
	return "unknown"
}

// Mention is someone a message's text names in a way the platform turns
// into a notification.
type Mention struct {
	Kind MentionKind
	// ID is the member's or the group's platform ID ("" for everyone).
	ID string
}

func (m Mention) String() string {
	if m.ID == "" {
		return m.Kind.String()
	}
	return m.Kind.String() + ":" + m.ID
}

// MayPing is Docent's one mention policy, which every adapter applies with
// its platform's means (Discord's allowed mentions, Slack's escaped
// markup): a message Docent sends in answer to asker may notify asker and
// nobody else; an announcement (asker "") notifies nobody. Never everyone,
// here, a channel, a role or a group, nor another member, whatever the
// text says: it may quote a member or an LLM, and one careless answer
// would wake a whole community.
func MayPing(asker string, m Mention) bool {
	return m.Kind == MentionMember && asker != "" && m.ID == asker
}
