package knowledge

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// datasetFile reads a file of the real docs sets, skipping the test when
// it is not there.
func datasetFile(t *testing.T, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(datasetsDir, rel))
	if err != nil {
		t.Skipf("no %s: %v", rel, err)
	}
	return string(data)
}

// paragraphs are the paragraphs of a document's sections.
func paragraphs(doc document) []string {
	var out []string
	for _, s := range doc.sections {
		for _, part := range s.parts {
			out = append(out, strings.Split(part, "\n\n")...)
		}
	}
	return out
}

// TestRealAdmonitionsKeepTheirBody checks on the Requests docs that a
// note's or warning's first paragraph is whole: what a member is shown of
// it is not cut where its first line ends.
func TestRealAdmonitionsKeepTheirBody(t *testing.T) {
	for _, tc := range []struct{ file, starts, ends string }{
		{"requests/docs/user/advanced.rst", "If `verify` is set to a path to a directory", "the `c_rehash` utility supplied with OpenSSL."},
		{"requests/docs/user/quickstart.rst", "It is strongly recommended that you open files in binary", "if you open the file in *text mode*."},
	} {
		doc := splitRST(datasetFile(t, tc.file), 4000, AnchorsSphinx)
		found := false
		for _, para := range paragraphs(doc) {
			if strings.HasPrefix(para, tc.starts) {
				found = true
				if !strings.HasSuffix(para, tc.ends) {
					t.Errorf("%s: the paragraph is cut:\n%s\nwant it to end with %q", tc.file, para, tc.ends)
				}
			}
		}
		if !found {
			t.Errorf("%s: no paragraph starts with %q", tc.file, tc.starts)
		}
	}
}

// TestRealHugoShortcodesShownAsWritten checks on the Hugo docs that no
// passage holds half an escaped shortcode (one over several lines in code), and that a figure's caption is
// not preceded by its alt text, which the page does not show.
func TestRealHugoShortcodesShownAsWritten(t *testing.T) {
	ix, _ := datasetIndex(t, "hugo")
	n := 0
	for _, p := range ix.Passages(func(p Passage) bool { return p.Source == SourceDocs }) {
		// An escaped one left in the text shows an escape ("{{</*/* x
		// */*/>}}" is "{{</* x */>}}"): whole.
		for _, pair := range [][2]string{{"{{</*", "*/>}}"}, {"{{%/*", "*/%}}"}} {
			if strings.Count(p.Text, pair[0]) != strings.Count(p.Text, pair[1]) {
				t.Errorf("%s holds half an escaped shortcode: %q", p.ID, p.Text)
			}
		}
		if strings.Contains(p.Text, "Zion National Park Zion National Park") {
			t.Errorf("%s shows a figure's alt text beside its caption", p.ID)
		}
		if strings.HasSuffix(p.ID, "shortcodes/figure.md#example") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d passages of shortcodes/figure.md#example, want 1", n)
	}
}

// TestRealHugoUnrenderedPages checks on the Hugo docs that the pages Hugo
// never renders (_common's snippets, the glossary's terms, by their
// section's cascade) are no passages, while the pages that include
// _common's snippets keep their text, and the glossary's own page stays.
func TestRealHugoUnrenderedPages(t *testing.T) {
	ix, f := datasetIndex(t, "hugo")
	glossary, included := false, false
	for _, p := range ix.Passages(func(p Passage) bool { return p.Source == SourceDocs }) {
		rel := strings.TrimPrefix(p.ID, f.Path+"/")
		switch {
		case strings.HasPrefix(rel, "_common/"):
			t.Errorf("%s is a passage: %s", rel, p.Link)
		case strings.HasPrefix(rel, "quick-reference/glossary/_index.md"):
			glossary = true
		case strings.HasPrefix(rel, "quick-reference/glossary/"):
			t.Errorf("%s is a passage: %s", rel, p.Link)
		case strings.HasPrefix(rel, "installation/") && strings.Contains(p.Text, "extended/deploy"):
			included = true // _common/installation/01-editions.md
		}
	}
	if !glossary {
		t.Error("the glossary's own page is no passage")
	}
	if !included {
		t.Error("no installation page holds the editions included from _common")
	}
}

// TestRealBadgesLeaveHeadings checks on the Task docs that the badges of
// the installation headings add no words to their heading paths.
func TestRealBadgesLeaveHeadings(t *testing.T) {
	ix, _ := datasetIndex(t, "task")
	n := 0
	for _, p := range ix.Passages(func(p Passage) bool { return strings.HasSuffix(p.ID, "installation.md#pip") }) {
		n++
		if p.Heading != "Installation › Community-Maintained Package Managers › pip" {
			t.Errorf("%s: heading %q", p.ID, p.Heading)
		}
	}
	if n == 0 {
		t.Error("no passage installation.md#pip")
	}
}
