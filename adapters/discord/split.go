package discord

import (
	"strings"
	"unicode/utf8"
)

// MaxMessage is Discord's limit on a message's content, in characters.
const MaxMessage = 2000

// maxOpener bounds a code fence's opening line carried into the next part
// ("```go"); a longer one is reopened as a bare "```".
const maxOpener = 40

// Split cuts text into parts of at most limit characters (runes). It cuts
// between lines where it can, else between words, else inside a word. A
// code block cut in two is closed at the end of one part and reopened, with
// its language, at the start of the next, so each part renders on its own;
// a block fenced with ~~~ is closed and reopened with ~~~.
func Split(text string, limit int) []string {
	if utf8.RuneCountInString(text) <= limit {
		return []string{text}
	}
	var (
		parts   []string
		cur     strings.Builder
		curLen  int
		inFence bool
		opener  string
		closing = "\n```" // closes the block we are in; as long for ~~~
	)
	flush := func() {
		s := strings.TrimRight(cur.String(), " \t\n")
		if inFence {
			s += closing
		}
		if strings.TrimSpace(s) != "" && strings.TrimSpace(s) != opener+closing {
			parts = append(parts, s)
		}
		cur.Reset()
		curLen = 0
		if inFence {
			cur.WriteString(opener + "\n")
			curLen = utf8.RuneCountInString(opener) + 1
		}
	}
	fresh := func() bool { // nothing but a reopened fence in cur
		if inFence {
			return curLen == utf8.RuneCountInString(opener)+1
		}
		return curLen == 0
	}
	add := func(s string) {
		cur.WriteString(s)
		curLen += utf8.RuneCountInString(s)
	}
	for _, line := range strings.SplitAfter(text, "\n") {
		n := utf8.RuneCountInString(line)
		tl := strings.TrimSpace(line)
		var toggles, tildes bool
		switch {
		case inFence && closing == "\n~~~": // only a line of tildes closes it
			toggles = strings.HasPrefix(tl, "~~~") && strings.Trim(tl, "~") == ""
		case !inFence && strings.HasPrefix(tl, "~~~"):
			toggles, tildes = true, true
		default:
			toggles = strings.Count(line, "```")%2 == 1
		}
		after := inFence != toggles
		reserve := 0
		if after {
			reserve = len(closing)
		}
		if curLen+n+reserve > limit && !fresh() {
			flush()
		}
		if curLen+n+reserve <= limit {
			add(line)
		} else {
			// One line longer than a part: cut it between words.
			rest := line
			for {
				// Leave room for a closing fence: a piece may end inside one.
				room := limit - curLen - len(closing)
				if utf8.RuneCountInString(rest) <= room {
					add(rest)
					break
				}
				cut := cutAt(rest, room)
				add(rest[:cut])
				flush()
				rest = strings.TrimLeft(rest[cut:], " ")
			}
		}
		if toggles {
			inFence = after
			if inFence {
				fence := "```"
				if tildes {
					fence = "~~~"
				}
				closing = "\n" + fence
				opener = tl
				if i := strings.LastIndex(opener, fence); i >= 0 && !tildes {
					opener = opener[i:]
				}
				if utf8.RuneCountInString(opener) > maxOpener || strings.ContainsAny(opener[3:], " \t") {
					opener = fence
				}
			}
		}
	}
	inFenceEnd := inFence
	inFence = false // the text's own fences are already balanced or not; add none
	if s := strings.TrimRight(cur.String(), " \t\n"); strings.TrimSpace(s) != "" {
		if inFenceEnd && !strings.HasSuffix(s, closing[1:]) {
			s += closing
		}
		parts = append(parts, s)
	}
	return parts
}

// cutAt returns the byte index at which to cut s so that the first piece
// holds at most room runes: after the last space that fits, else at the
// last rune that fits.
func cutAt(s string, room int) int {
	if room < 1 {
		room = 1
	}
	end := 0
	for i := 0; i < room && end < len(s); i++ {
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
	}
	if sp := strings.LastIndexAny(s[:end], " \t"); sp > 0 {
		return sp + 1
	}
	return end
}
