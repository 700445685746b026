package knowledge

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// datasetFolders are the real projects' docs in datasetsDir, configured
// as their sites publish them (docs/guide/configuration.md shows the
// same in YAML).
func datasetFolders(root string) map[string]Folder {
	return map[string]Folder{
		"task": {Path: filepath.Join(root, "task", "docs"), BaseURL: "https://taskfile.dev/docs/",
			Links: LinksPretty, Anchors: AnchorsVitePress},
		"requests": {Path: filepath.Join(root, "requests", "docs"), BaseURL: "https://requests.readthedocs.io/en/latest/",
			Links: LinksPretty, TrailingSlash: true},
		"hugo": {Path: filepath.Join(root, "hugo", "docs"), BaseURL: "https://gohugo.io/",
			Links: LinksPretty, TrailingSlash: true, Lowercase: true},
	}
}

// datasetIndex indexes one of the real docs sets, skipping the test when
// it is not there.
func datasetIndex(t *testing.T, name string) (*Index, Folder) {
	t.Helper()
	f := datasetFolders(datasetsDir)[name]
	if _, err := os.Stat(f.Path); err != nil {
		t.Skipf("no %s docs: %v", name, err)
	}
	ix, err := Build(context.Background(), []Folder{f})
	if err != nil {
		t.Fatal(err)
	}
	return ix, f
}

// docSections are the folder-relative section IDs (path#anchor, without
// the part number) of an index's docs, with each one's link; those of
// headings without a passage of their own (only in a passage's Within)
// have none.
func docSections(ix *Index, f Folder) map[string]string {
	out := map[string]string{}
	rel := func(id string) string { return strings.TrimPrefix(id, f.Path+"/") }
	for _, p := range ix.Passages(func(p Passage) bool { return p.Source == SourceDocs }) {
		id := rel(p.ID)
		if i := strings.LastIndexByte(id, '~'); i > strings.LastIndexByte(id, '#') {
			id = id[:i]
		}
		out[id] = p.Link
		for _, w := range p.Within {
			if _, ok := out[rel(w)]; !ok {
				out[rel(w)] = ""
			}
		}
	}
	return out
}

// TestQuestionSetsFindTheirSections checks that every section a question
// of testdata/docs-questions wants is a passage of the index built from
// those docs (or, for a heading with no text before its subsections, in
// the Within of theirs): the IDs Docent gives are the ones evaluations
// name. Some of their links are checked against the published sites.
func TestQuestionSetsFindTheirSections(t *testing.T) {
	// datasetLinks are links the published sites have (see the README of
	// datasetsDir).
	datasetLinks := map[string]map[string]string{
		"task": {
			"guide.md#forwarding-cli-arguments-to-commands": "https://taskfile.dev/docs/guide#forwarding-cli-arguments-to-commands",
			"reference/cli.md#-f---force":                   "https://taskfile.dev/docs/reference/cli#f-force",
			"experiments/index.md#enabling-experiments":     "https://taskfile.dev/docs/experiments/#enabling-experiments",
		},
		"requests": {
			"user/quickstart.rst#passing-parameters-in-urls":          "https://requests.readthedocs.io/en/latest/user/quickstart/#passing-parameters-in-urls",
			"user/install.rst#-python--m-pip-install-requests":        "https://requests.readthedocs.io/en/latest/user/install/#python-m-pip-install-requests",
			"community/faq.rst#what-are-hostname-doesnt-match-errors": "https://requests.readthedocs.io/en/latest/community/faq/#what-are-hostname-doesn-t-match-errors",
			"index.rst#beloved-features":                              "https://requests.readthedocs.io/en/latest/#beloved-features",
		},
		"hugo": {
			"functions/urls/RelURL.md#urlsrelurl":                           "https://gohugo.io/functions/urls/relurl/",
			"content-management/image-processing/index.md#image-processing": "https://gohugo.io/content-management/image-processing/",
			"content-management/urls.md#aliases":                            "https://gohugo.io/content-management/urls/#aliases",
		},
	}

	for _, name := range []string{"task", "requests", "hugo"} {
		t.Run(name, func(t *testing.T) {
			ix, f := datasetIndex(t, name)
			have := docSections(ix, f)
			data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "docs-questions", name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			var set struct {
				Questions []struct {
					Q    string `yaml:"q"`
					Want wants  `yaml:"want"`
				} `yaml:"questions"`
			}
			if err := yaml.Unmarshal(data, &set); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, q := range set.Questions {
				for _, w := range q.Want {
					n++
					if _, ok := have[w]; !ok {
						t.Errorf("%q wants %s: no such passage", q.Q, w)
					}
				}
			}
			if n == 0 {
				t.Fatal("no wants read")
			}
			for id, link := range datasetLinks[name] {
				if have[id] != link {
					t.Errorf("%s links to %q, want %q", id, have[id], link)
				}
			}
			t.Logf("%d wants, %d sections in %d passages", n, len(have), ix.Len())
		})
	}
}
