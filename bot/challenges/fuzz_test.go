package challenges

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/docent-bot/docent/bot/config"
)

// FuzzLoad: any bytes as a challenge file never panic; a file is either
// loaded or refused with errors that each name the file.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		twoSum(f),
		"id: x\ntitle: X\ndifficulty: easy\nstart: 2026-01-01\nend: 2026-01-02\nstatement: s\nparts:\n  - id: a\n    tolerance: 0.5\n    answers: [\"" + hashOf(f, "1", "0.5") + "\"]\n",
		"",
		"- a\n",
		"id: [\n",
		"start: 2026-13-01T00:00:00Z\nend: yesterday\n",
		"answers: [$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$aGFzaGhhc2hoYXNoaGFzaA]\n",
		"tolerance: 1e99999999\n",
		"a: &a [*a]\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := Load([]File{{Name: "fuzz.yaml", Data: data}})
		if err != nil {
			var errs config.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %v is not config.Errors", err)
			}
			for _, e := range errs {
				if e.Pos.File != "fuzz.yaml" {
					t.Errorf("error without the file: %v", e)
				}
			}
			return
		}
		for _, c := range set.All() {
			if c.ID == "" || len(c.Parts) == 0 || !c.End.After(c.Start) || c.salt == nil {
				t.Errorf("loaded an unusable challenge: %+v", c)
			}
		}
	})
}

// FuzzNormalize: any answer never panics; a normalised text is valid UTF-8,
// bounded, trimmed, lower case and normalising it again changes nothing;
// a number's grid point is a decimal integer.
func FuzzNormalize(f *testing.F) {
	for _, seed := range []string{"42", "  Hello  World ", "`x`", "\"", "```", "４２", "\xff\xfe", "1e400", "1e-401", "-.5", "1 000,5", "ǅ", "İ", "ﷺ", strings.Repeat("ﷺ", 20)} {
		f.Add(seed)
	}
	tol, _ := ParseTolerance("0.001")
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeText(s)
		if err == nil {
			if !utf8.ValidString(n) || len(n) > MaxAnswerBytes || n == "" || strings.TrimSpace(n) != n || strings.Contains(n, "  ") {
				t.Errorf("NormalizeText(%q) = %q", s, n)
			}
			// Only one pair of wrappers comes off per pass ("'x'" in
			// backticks), so a second pass changes only a wrapped answer.
			if again, err := NormalizeText(n); err == nil && again != n && unwrap(n) == n {
				t.Errorf("NormalizeText is not stable on %q: %q", n, again)
			}
		} else if !errors.Is(err, ErrBadAnswer) {
			t.Errorf("NormalizeText(%q): %v is not ErrBadAnswer", s, err)
		}
		if x, err := ParseNumber(s); err == nil {
			k := GridPoint(x, tol)
			if strings.TrimLeft(k, "-0123456789") != "" || k == "" || k == "-0" {
				t.Errorf("GridPoint(%q) = %q", s, k)
			}
		} else if !errors.Is(err, ErrBadAnswer) {
			t.Errorf("ParseNumber(%q): %v is not ErrBadAnswer", s, err)
		}
	})
}
