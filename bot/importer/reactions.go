package importer

import (
	"slices"

	"github.com/docent-bot/docent/store"
)

// reaction is one emoji on a message as an export has it.
type reaction struct {
	emoji   string
	count   int
	members []string
}

// maxMemberIDLen is the longest member ID the store keeps.
const maxMemberIDLen = 1024

// storedReactions makes an export's reactions what the store accepts
// rather than lose the message with them: an emoji with no name, or one
// too long, left out; the same emoji twice merged; members named once,
// without empty or overlong IDs, at most store.MaxReactionMembers; a count no lower
// than the members named; at most store.MaxReactions emoji. None is nil,
// so that the record is written as one without reactions.
func storedReactions(rs []reaction) []store.Reaction {
	var out []store.Reaction
	at := map[string]int{} // emoji → its place in out
	for _, r := range rs {
		if r.emoji == "" || len(r.emoji) > store.MaxEmojiLen {
			continue
		}
		i, ok := at[r.emoji]
		if !ok {
			if len(out) == store.MaxReactions {
				continue
			}
			i = len(out)
			at[r.emoji] = i
			out = append(out, store.Reaction{Emoji: r.emoji})
		}
		sr := &out[i]
		sr.Count += max(r.count, 0)
		for _, m := range r.members {
			if m != "" && len(m) <= maxMemberIDLen && len(sr.Members) < store.MaxReactionMembers && !slices.Contains(sr.Members, m) {
				sr.Members = append(sr.Members, m)
			}
		}
		sr.Count = max(sr.Count, len(sr.Members), 1)
	}
	return out
}
