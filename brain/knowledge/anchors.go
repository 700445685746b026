package knowledge

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Anchor styles: how a published site turns a heading into the id that a
// link to it ends with.
const (
	// AnchorsGitHub is github-slugger's: GitHub, Docusaurus, Hugo
	// (goldmark's default), and the passage IDs whatever the site.
	AnchorsGitHub = "github"
	// AnchorsVitePress is VitePress's: runs of punctuation and spaces as
	// one "-", none at the ends, accents dropped.
	AnchorsVitePress = "vitepress"
	// AnchorsMkDocs is Python-Markdown's toc extension's (MkDocs).
	AnchorsMkDocs = "mkdocs"
	// AnchorsSphinx is docutils's: ASCII letters and digits, other runs
	// as one "-"; a `.. _label:` before a title is used instead.
	AnchorsSphinx = "sphinx"
)

// ValidAnchors reports whether style is one of the Anchors styles.
func ValidAnchors(style string) bool {
	switch style {
	case AnchorsGitHub, AnchorsVitePress, AnchorsMkDocs, AnchorsSphinx:
		return true
	}
	return false
}

// anchorer gives the headings of one document their anchors in one style,
// each once: a repeated one gets the style's suffix.
type anchorer struct {
	style string
	gh    slugger        // AnchorsGitHub
	taken map[string]int // the other styles: anchors given, and the count of each base
	auto  int            // AnchorsSphinx: the last "idN" given
}

func newAnchorer(style string) *anchorer {
	return &anchorer{style: style, gh: slugger{}, taken: map[string]int{}}
}

// newIDAnchorer gives the anchors of passage IDs: GitHub's, except that
// a heading with no text never gets "", the anchor of the text before
// the first heading.
func newIDAnchorer() *anchorer {
	a := newAnchorer(AnchorsGitHub)
	a.gh[""] = 0
	return a
}

// anchor is the anchor of a heading whose text (as headingText gives it)
// is text.
func (a *anchorer) anchor(text string) string {
	switch a.style {
	case AnchorsVitePress:
		return a.unique(vitepressSlug(text), "-")
	case AnchorsMkDocs:
		return a.unique(mkdocsSlug(text), "_")
	case AnchorsSphinx:
		id := sphinxID(text)
		if _, dup := a.taken[id]; id == "" || dup {
			// docutils numbers the ids it makes up in document order.
			for {
				a.auto++
				id = "id" + itoa(a.auto)
				if _, dup := a.taken[id]; !dup {
					break
				}
			}
		}
		a.taken[id] = 0
		return id
	default:
		return a.gh.slug(text)
	}
}

// take gives an id the author wrote ({#id}, a label) as it is, or with
// "-1", "-2", … when it is already given.
func (a *anchorer) take(id string) string {
	m := a.taken
	if a.style == AnchorsGitHub || a.style == "" {
		m = a.gh
	}
	base := id
	for n := 1; ; n++ {
		if _, dup := m[id]; !dup {
			break
		}
		id = base + "-" + itoa(n)
	}
	m[id] = 0
	return id
}

func (a *anchorer) unique(base, sep string) string {
	id := base
	for {
		if _, dup := a.taken[id]; !dup {
			break
		}
		a.taken[base]++
		id = base + sep + itoa(a.taken[base])
	}
	a.taken[id] = 0
	return id
}

// vitepressSlug is @mdit-vue/shared's slugify, VitePress's default.
func vitepressSlug(text string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(text) {
		switch {
		case r >= 0x300 && r <= 0x36F, r < 0x20: // combining marks, control characters
		case unicode.IsSpace(r) || strings.ContainsRune("~`!@#$%^&*()-_+=[]{}|\\;:\"'“”‘’<>,.?/", r):
			dash = true
		default:
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		}
	}
	s := b.String()
	if s != "" && s[0] >= '0' && s[0] <= '9' {
		s = "_" + s
	}
	return strings.ToLower(s)
}

// mkdocsSlug is Python-Markdown's toc slugify: accents dropped, only
// ASCII word characters, spaces and "-" kept, runs of spaces and "-" as
// one "-".
func mkdocsSlug(text string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(strings.TrimSpace(text)) {
		switch {
		case r == '-' || unicode.IsSpace(r):
			dash = true
		case r < 0x80 && (r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// sphinxID is docutils's make_id: lowercased, accents dropped, only ASCII
// letters and digits kept, other runs as one "-", no digits or "-" at the
// start and no "-" at the end.
func sphinxID(text string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(strings.ToLower(text)) {
		switch {
		case r >= 0x80: // non-ASCII: dropped without a "-"
		case 'a' <= r && r <= 'z' || '0' <= r && r <= '9':
			if b.Len() == 0 && '0' <= r && r <= '9' {
				continue
			}
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	return b.String()
}
