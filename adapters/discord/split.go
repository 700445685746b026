package discord

import (
	"unicode/utf8"

	"github.com/docent-bot/docent/chat/markdown"
)

// MaxMessage is Discord's limit on a message's content, in characters.
const MaxMessage = 2000

// Split cuts text into parts of at most limit characters (runes). It cuts
// between lines where it can, else between words, else inside a word, and
// never inside a link or inline code. A code block cut in two is closed at
// the end of one part and reopened, with its language, at the start of the
// next, so each part renders on its own.
func Split(text string, limit int) []string {
	if utf8.RuneCountInString(text) <= limit {
		return []string{text}
	}
	return markdown.Split(text, limit, markdown.Runes)
}
