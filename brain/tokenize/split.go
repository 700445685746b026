package tokenize

import (
	"unicode"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/unicode/norm"
)

// Piece is one word or one CJK character of a text, as found by Splitter.
// Unlike Tokens, words are not stemmed: a classifier that sees character
// n-grams learns word endings itself, and skipping the stemmer is what lets
// Split run without allocating.
type Piece struct {
	// Lower is the byte range of the piece, lowercased, in Splitter.Lower.
	Lower [2]int32
	// Text is the byte range of the piece as written (after NFKC
	// normalisation) in Splitter.Text.
	Text [2]int32
	Kind Kind // Word or Char
	// Joined is true when the piece directly follows the previous one in
	// a way that makes the pair meaningful: two words separated only by
	// spaces or punctuation, or two adjacent CJK characters.
	Joined bool
}

// Splitter splits texts into pieces, reusing its buffers. The zero value is
// ready to use; a Splitter is not safe for concurrent use.
type Splitter struct {
	Pieces []Piece
	lower  []byte
	normed []byte
	text   string
}

// Split replaces s.Pieces with the pieces of text. The rules are those of
// Tokens: NFKC, runs of letters and digits, inner apostrophes joining,
// format characters invisible, invalid UTF-8 separating, words bounded to
// 64 bytes.
func (s *Splitter) Split(text string) {
	s.Pieces = s.Pieces[:0]
	s.lower = s.lower[:0]
	if !isASCII(text) && norm.NFKC.QuickSpanString(text) < len(text) {
		// The only allocation of Split, inside the norm package, and only
		// for text that NFKC changes (full-width forms, ligatures).
		s.normed = norm.NFKC.AppendString(s.normed[:0], text)
		text = unsafe.String(unsafe.SliceData(s.normed), len(s.normed))
	}
	s.text = text
	var (
		cur     Piece
		pending bool
		prev    Kind = 255 // kind of the last piece, 255 after a hard break
	)
	flush := func(end int) {
		if !pending {
			return
		}
		cur.Lower[1] = int32(len(s.lower))
		cur.Text[1] = int32(end)
		s.Pieces = append(s.Pieces, cur)
		prev = Word
		pending = false
	}
	for i := 0; i < len(text); {
		start := i
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			flush(start)
			prev = 255
		case isCJK(r):
			flush(start)
			lo := int32(len(s.lower))
			s.lower = utf8.AppendRune(s.lower, r)
			s.Pieces = append(s.Pieces, Piece{
				Lower: [2]int32{lo, int32(len(s.lower))}, Text: [2]int32{int32(start), int32(i)},
				Kind: Char, Joined: prev == Char,
			})
			prev = Char
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z'),
			r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || (pending && unicode.IsMark(r))):
			if !pending {
				pending = true
				cur = Piece{Lower: [2]int32{int32(len(s.lower)), 0}, Text: [2]int32{int32(start), 0}, Kind: Word, Joined: prev == Word}
			}
			if int(int32(len(s.lower))-cur.Lower[0]) < maxWordBytes {
				if r < utf8.RuneSelf {
					if r >= 'A' && r <= 'Z' {
						r += 'a' - 'A'
					}
					s.lower = append(s.lower, byte(r))
				} else {
					s.lower = utf8.AppendRune(s.lower, unicode.ToLower(r))
				}
			}
		case pending && (r == '\'' || r == '’') && i < len(text) && startsWord(text[i:]):
			// An apostrophe inside a word joins it: "don't" is one word.
		case r >= utf8.RuneSelf && unicode.Is(unicode.Cf, r):
			// Zero-width and other format characters are invisible.
		default:
			flush(start)
			if prev == Char {
				prev = 255 // CJK characters separated by anything are not a pair
			}
		}
	}
	flush(len(text))
}

// Lower returns piece i lowercased. The bytes are valid until the next Split.
func (s *Splitter) Lower(i int) []byte {
	p := s.Pieces[i]
	return s.lower[p.Lower[0]:p.Lower[1]]
}

// Text returns piece i as written, after NFKC normalisation. The string
// shares memory with the Splitter's buffers and is valid until the next
// Split; clone it to keep it.
func (s *Splitter) Text(i int) string {
	p := s.Pieces[i]
	return s.text[p.Text[0]:p.Text[1]]
}
