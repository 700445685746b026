package challenges

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxAnswerBytes bounds an answer after normalisation; longer answers are
// refused without counting as an attempt.
const MaxAnswerBytes = 512

// ErrBadAnswer is wrapped by the errors for answers that cannot be checked
// at all (empty, too long, not a number where one is expected). Their
// message is for the member; such an answer does not count as an attempt.
var ErrBadAnswer = errors.New("answer cannot be checked")

type badAnswer string

func (e badAnswer) Error() string { return string(e) }
func (e badAnswer) Unwrap() error { return ErrBadAnswer }

// NormalizeText is how a text answer is compared. Members type answers in
// chat, so what chat adds or varies is taken out:
//
//  1. Bytes that are not UTF-8 become U+FFFD.
//  2. Unicode NFKC: full-width and other compatibility forms become their
//     plain form ("４２" is "42", "ﬁ" is "fi").
//  3. Surrounding white space goes; then one pair of wrapping backticks
//     (`x` or ```x```) or quotes ("x", 'x', “x”, ‘x’), if the whole answer
//     is wrapped in them, and the white space inside them.
//  4. Letters become lower case (Unicode), and NFKC is applied again.
//  5. Every run of white space inside becomes one space.
//
// Nothing else changes: punctuation, a trailing full stop and the spelling
// of numbers count ("42.0" is not "42"; give the part a tolerance to compare
// numbers). The empty answer and answers over MaxAnswerBytes (or over
// twice that as written) are errors.
func NormalizeText(s string) (string, error) {
	if len(s) > maxRawAnswer {
		return "", tooLong(len(s))
	}
	s = unwrap(prepare(s))
	// Lower case can leave a letter and its accent apart ("J̌" → "ǰ"):
	// NFKC again puts them together, so normalising is idempotent.
	s = norm.NFKC.String(strings.ToLower(s))
	s = strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
	switch {
	case s == "":
		return "", badAnswer("the answer is empty")
	case len(s) > MaxAnswerBytes:
		return "", tooLong(len(s))
	}
	return s, nil
}

// maxRawAnswer bounds an answer as written, before NFKC (which is the
// costly step, and can make a string longer); white space that
// normalising would collapse leaves room under it.
const maxRawAnswer = 2 * MaxAnswerBytes

func tooLong(n int) error {
	return badAnswer(fmt.Sprintf("the answer is too long (%d bytes; at most %d)", n, MaxAnswerBytes))
}

func prepare(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return norm.NFKC.String(s)
}

// wrappers are the pairs an answer may be wrapped in, longest first.
var wrappers = [][2]string{{"```", "```"}, {"`", "`"}, {`"`, `"`}, {"'", "'"}, {"“", "”"}, {"‘", "’"}}

// unwrap trims s and takes off one pair of wrapping backticks or quotes.
func unwrap(s string) string {
	s = strings.TrimSpace(s)
	for _, w := range wrappers {
		if len(s) >= len(w[0])+len(w[1]) && strings.HasPrefix(s, w[0]) && strings.HasSuffix(s, w[1]) {
			return strings.TrimSpace(s[len(w[0]) : len(s)-len(w[1])])
		}
	}
	return s
}

// Numbers are written the way programs print them: an optional sign,
// digits with an optional fraction after a dot, an optional exponent.
// Bounds keep big-number arithmetic on a member's answer cheap.
const (
	maxNumberDigits = 400
	maxExponent     = 400
)

// ParseNumber reads a number as members write it: NFKC, white space, one
// pair of wrapping backticks or quotes, spaces and underscores between
// digits ("1 000 000", "1_000") removed; then [+-]digits[.digits][e[+-]digits]
// (".5" and "5." too). A comma is refused, as it could be a decimal comma or
// a thousands separator. The value is exact: decimal text is a rational.
func ParseNumber(s string) (*big.Rat, error) {
	if len(s) > maxRawAnswer {
		return nil, tooLong(len(s))
	}
	s = unwrap(prepare(s))
	s = strings.Map(func(r rune) rune {
		if r == '_' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	bad := func(why string) (*big.Rat, error) {
		return nil, badAnswer("the answer is not a number I can read (" + why + "); write it like 42, -3.14 or 6.02e23")
	}
	if s == "" {
		return bad("it is empty")
	}
	if strings.ContainsRune(s, ',') {
		return bad("use a dot for decimals and no thousands separators")
	}
	i := 0
	if s[0] == '+' || s[0] == '-' {
		i++
	}
	digits := func() int {
		start := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i - start
	}
	n := digits()
	if i < len(s) && s[i] == '.' {
		i++
		n += digits()
	}
	if n == 0 {
		return bad("no digits")
	}
	if n > maxNumberDigits {
		return bad("too many digits")
	}
	mantissa := s[:i]
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		sign := 1
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			if s[i] == '-' {
				sign = -1
			}
			i++
		}
		start := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			if exp = exp*10 + int(s[i]-'0'); exp > maxExponent {
				return bad("the exponent is too large")
			}
			i++
		}
		if i == start {
			return bad("the exponent has no digits")
		}
		exp *= sign
	}
	if i != len(s) {
		return bad(fmt.Sprintf("unexpected %q", firstRune(s[i:])))
	}
	r, ok := new(big.Rat).SetString(strings.TrimSuffix(strings.TrimPrefix(mantissa, "+"), "."))
	if !ok {
		// "-.5" and ".5": big.Rat wants a digit before the dot.
		m := strings.TrimPrefix(mantissa, "+")
		m = strings.Replace(m, ".", "0.", 1)
		if r, ok = new(big.Rat).SetString(strings.TrimSuffix(m, ".")); !ok {
			return bad("not a plain decimal")
		}
	}
	if exp != 0 {
		scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(exp))), nil))
		if exp > 0 {
			r.Mul(r, scale)
		} else {
			r.Quo(r, scale)
		}
	}
	return r, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func firstRune(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	return string(r)
}

// GridPoint is how a numeric answer is compared when its part has a
// tolerance t: the answer x becomes the whole number k = round(x / t),
// rounding halves away from zero, written in decimal ("314", "-2", "0").
// The hash in the challenge file is of the expected answer's k, so an
// answer is right exactly when it rounds to the same multiple of t as the
// expected answer: when it falls in the same cell [(k-½)t, (k+½)t) of the
// grid (mirrored for negative k). That is not "within t of the expected
// answer": an answer near the expected one but across a cell's edge is
// wrong. `docent challenge hash --tolerance` warns when the expected
// answer lies near an edge.
func GridPoint(x, tolerance *big.Rat) string {
	q := new(big.Rat).Quo(x, tolerance)
	num, den := q.Num(), q.Denom() // den > 0
	twice := new(big.Int).Mul(num, big.NewInt(2))
	neg := twice.Sign() < 0
	if neg {
		twice.Neg(twice)
	}
	// round half away from zero: floor((2|num| + den) / (2 den))
	k := new(big.Int).Add(twice, den)
	k.Quo(k, new(big.Int).Mul(den, big.NewInt(2)))
	if neg {
		k.Neg(k)
	}
	return k.String()
}

// GridOffset is how far x lies from the centre of its grid cell, as a share
// of the tolerance: 0 at the centre, ½ at an edge.
func GridOffset(x, tolerance *big.Rat) float64 {
	k, _ := new(big.Int).SetString(GridPoint(x, tolerance), 10)
	centre := new(big.Rat).Mul(new(big.Rat).SetInt(k), tolerance)
	d := new(big.Rat).Sub(x, centre)
	d.Quo(d, tolerance)
	f, _ := d.Abs(d).Float64()
	return f
}

// ParseTolerance reads a part's tolerance: a number above zero.
func ParseTolerance(s string) (*big.Rat, error) {
	t, err := ParseNumber(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a number like 0.01 or 1e-6", s)
	}
	if t.Sign() <= 0 {
		return nil, fmt.Errorf("%s must be more than 0", s)
	}
	return t, nil
}

// Canonical is the text hashed for an answer: GridPoint of the number when
// tolerance is not nil, else NormalizeText.
func Canonical(answer string, tolerance *big.Rat) (string, error) {
	if tolerance == nil {
		return NormalizeText(answer)
	}
	x, err := ParseNumber(answer)
	if err != nil {
		return "", err
	}
	return GridPoint(x, tolerance), nil
}
