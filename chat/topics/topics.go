// Package topics reads what members' messages are about: their topic
// words (for trending, routing questions to helpers and recommendations)
// and whether a message thanks someone. It is shared by the feature
// modules that read history, so that they agree on what a topic is.
package topics

import (
	"strings"
	"unicode"
)

// Text reads members' messages for their topics.
type Text struct {
	// CommandPrefix marks commands, whose words are not topics.
	CommandPrefix string
}

// maxTerms bounds the topic words counted for one message; maxWord is
// the longest word taken as one (in runes).
const (
	maxTerms = 32
	maxWord  = 40
)

// Terms lists the topic words of text, each once, as written but
// lowercased (so that trending shows "kubernetes", not a stem): words of
// three letters or more that are not common English or chat words, and
// pairs of adjacent Han, kana or Hangul characters. Commands have none.
func (t Text) Terms(text string) []string {
	if t.CommandPrefix != "" && strings.HasPrefix(strings.TrimSpace(text), t.CommandPrefix) {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	add := func(w string) bool {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
		return len(out) < maxTerms
	}
	var word []rune
	var prevCJK rune
	flush := func() bool {
		defer func() { word = word[:0] }()
		for len(word) > 0 && (word[len(word)-1] == '-' || word[len(word)-1] == '_') {
			word = word[:len(word)-1]
		}
		if len(word) < 3 || len(word) > maxWord {
			return true
		}
		w := string(word)
		if stopwords[w] || !hasLetter(w) {
			return true
		}
		return add(w)
	}
	for _, r := range text {
		switch {
		case isCJK(r):
			if !flush() {
				return out
			}
			if prevCJK != 0 && !add(string([]rune{prevCJK, r})) {
				return out
			}
			prevCJK = r
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r) || (len(word) > 0 && (r == '-' || r == '_')):
			if len(word) <= maxWord { // longer is refused at flush
				word = append(word, unicode.ToLower(r))
			}
		default:
			if !flush() {
				return out
			}
		}
		prevCJK = 0
	}
	flush()
	return out
}

// Thanks reports whether text thanks someone: "thanks", "thank you", "thx",
// "ty", "tysm", "cheers", or thanks in a few other languages.
func (Text) Thanks(text string) bool {
	lower := strings.ToLower(text)
	for _, w := range []string{"谢谢", "多谢", "感谢", "ありがとう", "감사", "고마워", "спасибо"} {
		if strings.Contains(lower, w) {
			return true
		}
	}
	for _, w := range strings.FieldsFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) }) {
		switch w {
		case "thanks", "thank", "thx", "thnx", "ty", "tysm", "tyvm", "cheers", "merci", "danke", "gracias", "obrigado", "obrigada", "grazie", "dank", "bedankt", "tack":
			return true
		}
	}
	return false
}

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

func isCJK(r rune) bool {
	return r >= 0x2E80 && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r))
}

// stopwords are words too common to be a topic: English function words,
// question words, and what members say in any help channel.
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		the and for are but not you your yours all any can had her was one our out has him his how its who did yes
		get got use used using uses let may say she too set via per etc also just than then them they this that these
		those there their theirs what when where which while whom whose why will with would could should shall might must
		from into onto upon over under about above below after before again further once here more most other some such
		only own same very don doesn didn isn aren wasn weren won wouldn shouldn couldn can't don't doesn't didn't isn't
		i'm i've i'd i'll it's that's there's what's let's you're we're they're
		does doing done have having been being were is am be do it me my we us i a an to of in on at by or as if so no
		is there anyone anybody someone somebody something anything everything nothing way ways thing things lot lots
		help please thanks thank hello hey hiya hi guys folks everyone question questions ask asked asking answer
		need needs want wants know knows tried try trying work works working make makes making like see seems seem
		still now new good bad well really much many even because since though every each both either neither
		able anyway actually maybe probably already yet ever never always sometimes often`) {
		m[w] = true
	}
	return m
}()
