package chat

// Place is where a conversation can be read: one channel (a DM, a web
// visitor's chat) of one space (a Discord guild, a Slack workspace; "" for
// DMs and platforms without one) on one platform. The threads of a channel
// share its place.
type Place struct {
	Platform string `json:"platform"`
	Space    string `json:"space,omitempty"`
	Channel  string `json:"channel"`
}

// PlaceOf is the place of a conversation in space.
func PlaceOf(c Conversation, space string) Place {
	return Place{Platform: c.Platform, Space: space, Channel: c.Channel}
}

// Visible is the one rule that decides whether something said at from (a
// past thread: its question and answer) may be shown at to, in an answer,
// its sources, an LLM's prompt, a related or "asked before" line. It may
// only where whoever reads to could read from already: the same channel of
// the same space of the same platform, any thread of it.
//
// So a DM's or a web visitor's thread is never shown to anybody else, and
// nothing crosses Discord guilds or Slack workspaces. Nor does a thread go
// to another channel of its own space: Docent cannot tell a channel every
// member reads from one that permissions restrict to a few (Discord's
// permission overwrites, Slack's private channels in one list), and a
// wrong guess would show a staff channel's question in a public one.
//
// A place with no platform or channel (a thread stored before places were
// kept, a search made outside any conversation) sees and is seen nowhere.
func Visible(from, to Place) bool {
	if from.Platform == "" || from.Channel == "" {
		return false
	}
	return from == to
}
