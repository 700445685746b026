// Package tokenize turns a member's text into the tokens Docent's classifier
// and search work on. It is Unicode-aware: text is NFKC-normalised and
// lowercased; runs of letters and digits become words, English words are
// reduced to their Snowball stem; Chinese, Japanese and Korean script, which
// has no spaces between words, becomes one token per character plus one per
// pair of adjacent characters, which is how bag-of-words systems handle CJK
// without a dictionary.
package tokenize

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"golang.org/x/text/unicode/norm"
)

// Version changes whenever this package's rules change the tokens produced
// for some text, so that models trained on the old tokens are retrained.
const Version = 2

// Fingerprint names everything that decides the tokens: this package's
// rules, the Unicode tables (letters, scripts, case), the normalisation
// tables, and the stemmer's version. A model is stale when it differs.
func Fingerprint() string {
	return fmt.Sprintf("tokenize %d, unicode %s, norm %s, snowball %s", Version, unicode.Version, norm.Version, stemmerVersion)
}

// stemmerVersion is the Snowball module's version in go.mod (a test keeps
// them equal, so that a stemmer upgrade retrains the models).
const stemmerVersion = "v0.10.0"

// Kind says what a token stands for.
type Kind uint8

const (
	Word       Kind = iota // a run of letters and digits, stemmed if English
	Char                   // one CJK character
	CharBigram             // two adjacent CJK characters
)

// Token is one unit of text.
type Token struct {
	Text string
	Kind Kind
}

// maxStemBytes bounds the words handed to the stemmer: longer "words" are
// never English and stemming them is wasted work on hostile input.
const maxStemBytes = 40

// maxWordBytes bounds the length of one word token, so that a megabyte
// without spaces cannot become a megabyte-long feature.
const maxWordBytes = 64

// Tokens appends the tokens of text to dst and returns the extended slice.
// It is safe for concurrent use and never fails: invalid UTF-8 becomes
// separators.
func Tokens(dst []Token, text string) []Token {
	if !isASCII(text) {
		text = norm.NFKC.String(text)
	}
	var (
		word     strings.Builder
		prevCJK  rune // the previous rune when it was CJK, else 0
		pending  bool // word has content
		wordASCI = true
		apos     = -1 // where in word an inner apostrophe was, or -1
	)
	flush := func() {
		if !pending {
			return
		}
		w := word.String()
		if wordASCI && len(w) <= maxStemBytes && hasLetter(w) {
			// "shouldn't" is "should not", as the docs write it.
			if base, ok := negated(w, apos); ok {
				dst = append(dst, Token{Text: english.Stem(base, false), Kind: Word}, Token{Text: "not", Kind: Word})
				word.Reset()
				pending, wordASCI, apos = false, true, -1
				return
			}
			w = english.Stem(w, false)
		}
		dst = append(dst, Token{Text: w, Kind: Word})
		word.Reset()
		pending, wordASCI, apos = false, true, -1
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			flush()
			prevCJK = 0
		case isCJK(r):
			flush()
			dst = append(dst, Token{Text: string(r), Kind: Char})
			if prevCJK != 0 {
				dst = append(dst, Token{Text: string([]rune{prevCJK, r}), Kind: CharBigram})
			}
			prevCJK = r
		case unicode.IsLetter(r) || unicode.IsDigit(r) || (pending && unicode.IsMark(r)):
			prevCJK = 0
			if word.Len() < maxWordBytes {
				r = unicode.ToLower(r)
				if r >= utf8.RuneSelf {
					wordASCI = false
				}
				word.WriteRune(r)
			}
			pending = true
		case pending && (r == '\'' || r == '’') && i < len(text) && startsWord(text[i:]):
			// An apostrophe inside a word joins it: "don't" is one word.
			apos = word.Len()
		case unicode.Is(unicode.Cf, r):
			// Zero-width and other format characters are invisible: they
			// neither split a word nor join CJK.
		default:
			flush()
			prevCJK = 0
		}
	}
	flush()
	return dst
}

// negated splits an English negative contraction, w without its
// apostrophe (at apos) as in "shouldnt" from "shouldn't", into the verb
// and "not"; and "cannot", which the docs write as one word where members
// write "can't". Questions and docs say the same thing both ways.
func negated(w string, apos int) (string, bool) {
	if w == "cannot" {
		return "can", true
	}
	if apos < 2 || apos != len(w)-1 || w[apos] != 't' || w[apos-1] != 'n' {
		return "", false
	}
	switch base := w[:apos-1]; base {
	case "ca":
		return "can", true
	case "wo":
		return "will", true
	case "sha":
		return "shall", true
	case "ai":
		return "", false
	default:
		return base, true
	}
}

// Words returns only the token texts, in order; handy in tests and tools.
func Words(text string) []string {
	toks := Tokens(nil, text)
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.Text
	}
	return out
}

// Script reports the language of text's script where it is unambiguous:
// "zh" for Han, "ja" when kana appear, "ko" for Hangul, "" otherwise.
func Script(text string) string {
	han := false
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r):
			return "ja"
		case unicode.Is(unicode.Hangul, r):
			return "ko"
		case unicode.Is(unicode.Han, r):
			han = true
		}
	}
	if han {
		return "zh"
	}
	return ""
}

func isCJK(r rune) bool {
	if r < 0x2E80 {
		return false
	}
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

func startsWord(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return !isCJK(r) && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

func hasLetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
