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
