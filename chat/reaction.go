package chat

import "strings"

// ReactionVote is the vote an emoji reaction on an answer casts: 👍 (Slack's
// "+1", "thumbsup") up, 👎 ("-1", "thumbsdown") down, in any skin tone;
// VoteNone for any other emoji.
func ReactionVote(emoji string) Vote {
	switch baseEmoji(emoji) {
	case "👍", "+1", "thumbsup":
		return VoteUp
	case "👎", "-1", "thumbsdown":
		return VoteDown
	}
	return VoteNone
}

// Appreciates reports whether an emoji reaction on a member's message says
// thanks or approval: an up vote, or a heart, a check mark, folded hands,
// a party popper, clapping, 💯, 🙌, 🎉, in any skin tone, by their Unicode
// character (Discord) or their name (Slack).
func Appreciates(emoji string) bool {
	e := baseEmoji(emoji)
	return ReactionVote(e) == VoteUp || appreciations[e]
}

var appreciations = map[string]bool{
	"❤": true, "heart": true, "♥": true, "hearts": true, "💯": true, "100": true,
	"✅": true, "white_check_mark": true, "✔": true, "heavy_check_mark": true, "☑": true, "ballot_box_with_check": true,
	"🙏": true, "pray": true, "🎉": true, "tada": true, "👏": true, "clap": true, "🙌": true, "raised_hands": true,
}

// baseEmoji is emoji without its skin tone (Slack's "+1::skin-tone-2", a
// Unicode modifier) or presentation selector (U+FE0F).
func baseEmoji(emoji string) string {
	emoji, _, _ = strings.Cut(emoji, "::")
	return strings.Map(func(r rune) rune {
		if r == '\uFE0F' || (r >= 0x1F3FB && r <= 0x1F3FF) {
			return -1
		}
		return r
	}, emoji)
}
