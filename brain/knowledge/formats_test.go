package knowledge

import (
	"context"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// sectionsOf renders a document's sections as "heading path #anchor
// (link) | text" lines, for short comparisons.
func sectionsOf(doc document) []string {
	var out []string
	for _, s := range doc.sections {
		line := strings.Join(s.headings, headingSep) + " #" + s.anchor
		if s.link != s.anchor {
			line += " (" + s.link + ")"
		}
		out = append(out, line+" | "+strings.Join(s.parts, " / "))
	}
	return out
}

func TestSplitMarkdownGenerators(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		style string
		title string
		want  []string
	}{
		{
			name:  "YAML front matter: title as top heading, description as its text",
			src:   "---\ntitle: urls.RelURL\ndescription: Returns a relative URL.\naliases: [/x]\n---\n\nIntro.\n\n## Input\n\ntext\n",
			title: "urls.RelURL",
			want: []string{
				"urls.RelURL #urlsrelurl () | Returns a relative URL.\n\nIntro.",
				"urls.RelURL › Input #input | text",
			},
		},
		{
			name:  "TOML front matter",
			src:   "+++\ntitle = 'Hugo modules'\ndescription = \"Use modules.\"\nweight = 2\n+++\n## Use\nu\n",
			title: "Hugo modules",
			want: []string{
				"Hugo modules #hugo-modules () | Use modules.",
				"Hugo modules › Use #use | u",
			},
		},
		{
			name:  "a front matter title over a level-1 heading: the heading is the top one, the description its text",
			src:   "---\ntitle: Guide page\ndescription: All about it.\n---\n# Guide\n## A\na\n",
			title: "Guide page",
			want:  []string{"Guide #guide | All about it.", "Guide › A #a | a"},
		},
		{
			name:  "front matter that does not parse is cut anyway",
			src:   "---\ntitle: [unclosed\n---\n## A\na\n",
			title: "",
			want:  []string{"A #a | a"},
		},
		{
			name:  "setext headings; --- after a blank line is a break, not a heading",
			src:   "Title\n=====\n\nintro\n\nSub part\n--------\ntext\n\n---\n\nafter\n- item\n---\n",
			title: "Title",
			want: []string{
				"Title #title | intro",
				"Title › Sub part #sub-part | text\n\n---\n\nafter\n- item\n---",
			},
		},
		{
			name: "a two-line paragraph underlined is one heading",
			src:  "Long\ntitle\n---\nx\n",
			want: []string{"Long title #long-title | x"},
		},
		{
			name: "HTML comments, scripts and styles are dropped, not in code",
			src:  "## A\nkeep <!-- hidden --> this\n<!--\n## not a heading\n-->\n<script>\nvar x = 1;\n</script>\n<STYLE type=\"text/css\">\nbody {}\n</STYLE>\nend\n```html\n<script>ok()</script>\n<!-- shown -->\n```\n",
			want: []string{"A #a | keep  this\n\nend\n```html\n<script>ok()</script>\n<!-- shown -->\n```"},
		},
		{
			name: "VitePress and Docusaurus containers keep their title and text",
			src:  "## A\n::: tip Use a cache\nCache it.\n:::\n\n:::warning[Careful]\nDo not.\n:::\n::: code-group\n```sh\ngo run\n```\n:::\n",
			want: []string{"A #a | Use a cache\n\nCache it.\n\nCareful\n\nDo not.\n\n```sh\ngo run\n```"},
		},
		{
			name: "MkDocs admonitions are dedented",
			src:  "## A\n!!! note \"Mind the gap\"\n    Indented text.\n\n    ```\n    # code\n    ```\nOut.\n",
			want: []string{"A #a | Mind the gap\n\nIndented text.\n\n```\n# code\n```\nOut."},
		},
		{
			name: "Hugo shortcodes: markup dropped, inner text and titles kept, code kept as code",
			src: "## A\n{{< new-in 0.140.0 />}}\n{{% note %}}\nInner text.\n{{% /note %}}\n" +
				"{{< img src=\"a.png\" alt=\"A sunset\" >}}\n{{< code-toggle file=hugo >}}\n# a TOML comment, not a heading\nbaseURL = 'x'\n{{< /code-toggle >}}\n" +
				"Write `{{</* figure src=\"x\" */>}}` in a page.\n{{< figure\n  src=\"b.png\"\n  caption=\"Two lines\"\n>}}\n",
			want: []string{"A #a | New in 0.140.0\n\nInner text.\n\nA sunset\n\n```\n# a TOML comment, not a heading\nbaseURL = 'x'\n```\nWrite `{{< figure src=\"x\" >}}` in a page.\nTwo lines"},
		},
		{
			name: "Hugo shortcodes escaped over several lines, in code and out, are shown as written; a figure shows its caption, not its alt text too",
			src: "## A\n```md\n{{</* figure\n  src=\"z.jpg\"\n  alt=\"A photograph of Zion\"\n*/>}}\n{{%/* note\n*/%}}\n```\n" +
				"{{</* img\n  src=\"a.png\" */>}}\n\nWhich looks like this:\n\n{{< figure\n  src=\"z.jpg\"\n  alt=\"A photograph of Zion\"\n  caption=\"Zion\"\n>}}\n",
			want: []string{"A #a | ```md\n{{< figure\n  src=\"z.jpg\"\n  alt=\"A photograph of Zion\"\n>}}\n{{% note\n%}}\n```\n" +
				"{{< img\n  src=\"a.png\" >}}\n\nWhich looks like this:\n\nZion"},
		},
		{
			name: "MDX imports and JSX tags are dropped, their children kept",
			src:  "import Tabs from '@theme/Tabs';\nimport TabItem from \"@theme/TabItem\";\n\n## Install\n<Tabs>\n<TabItem value=\"npm\" label=\"npm\">\n\nnpm i x\n\n</TabItem>\n</Tabs>\nA <https://example.org> link and a < b.\n",
			want: []string{"Install #install | npm i x\n\nA <https://example.org> link and a < b."},
		},
		{
			name:  "custom heading ids are the anchor; [[toc]] is dropped",
			src:   "# Install\n[[toc]]\n## Homebrew ![macOS](x.svg) {#homebrew}\nbrew\n## Snap {#snap .badge}\nsnap\n## Again {#snap}\nagain\n",
			style: AnchorsVitePress,
			title: "Install",
			want:  []string{"Install › Homebrew #homebrew | brew", "Install › Snap #snap | snap", "Install › Again #snap-1 | again"},
		},
		{
			name:  "images in headings add no words to the heading path; anchors keep their alt text, a heading of only an image shows it",
			src:   "# ![Logo](l.svg)\nx\n## [pip](https://pip.pypa.io) ![macOS](m.svg) ![Linux](l.svg)\npip\n",
			title: "Logo",
			want:  []string{"Logo #logo | x", "Logo › pip #pip-macos-linux | pip"},
		},
		{
			name:  "VitePress anchors for links, GitHub ones for IDs",
			src:   "## -f, --force\nf\n## `--output-group-begin <template>`\ng\n",
			style: AnchorsVitePress,
			want: []string{
				"-f, --force #-f---force (f-force) | f",
				"--output-group-begin <template> #--output-group-begin- (output-group-begin-template) | g",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			style := tc.style
			if style == "" {
				style = AnchorsGitHub
			}
			doc := splitMarkdown(tc.src, 1000, style)
			if doc.title != tc.title {
				t.Errorf("title = %q, want %q", doc.title, tc.title)
			}
			if got := sectionsOf(doc); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("sections:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestFrontMatter(t *testing.T) {
	tests := []struct {
		src     string
		want    frontMatter
		body    string
		wantErr bool
	}{
		{"---\ntitle: A\ndraft: true\n---\nbody", frontMatter{title: "A", draft: true}, "body", false},
		{"+++\ntitle = \"B\"\ndraft = true\n+++\nbody", frontMatter{title: "B", draft: true}, "body", false},
		{"---\ntitle: 2024\ndescription: |\n  two\n  lines\n...\nbody", frontMatter{title: "2024", description: "two lines"}, "body", false},
		{"---\ndraft: \"true\"\n---\n", frontMatter{draft: true}, "", false},
		{"---\nbuild:\n  render: never\n  list: never\n---\n", frontMatter{unrendered: true}, "", false},
		{"---\n_build:\n  render: false\n---\n", frontMatter{unrendered: true}, "", false},
		{"---\nbuild:\n  render: link\n---\n", frontMatter{unrendered: true}, "", false},
		{"---\nbuild:\n  render: always\n---\n", frontMatter{}, "", false},
		{"---\nheadless: true\n---\n", frontMatter{unrendered: true}, "", false},
		{"---\ntitle: G\nbuild:\n  render: always\ncascade:\n  build:\n    render: never\n---\n", frontMatter{title: "G", cascadeUnrendered: true}, "", false},
		{"+++\n[[cascade]]\n[cascade.build]\nrender = 'never'\n+++\n", frontMatter{cascadeUnrendered: true}, "", false},
		{"---\ncascade:\n- _build:\n    render: never\n  _target:\n    path: /blog/**\n---\n", frontMatter{}, "", false},
		{"+++\ntitle = \n+++\nbody", frontMatter{}, "body", true},
		{"---\nno end", frontMatter{}, "---\nno end", false},
		{"text\n---\ntitle: x\n---\n", frontMatter{}, "text\n---\ntitle: x\n---\n", false},
	}
	for _, tc := range tests {
		fm, body, err := cutFrontMatter(tc.src)
		if fm != tc.want || body != tc.body || (err != nil) != tc.wantErr {
			t.Errorf("cutFrontMatter(%q) = %+v, %q, %v; want %+v, %q, error %v", tc.src, fm, body, err, tc.want, tc.body, tc.wantErr)
		}
	}
}

func TestAnchorStyles(t *testing.T) {
	tests := []struct {
		style string
		texts []string
		want  []string
	}{
		{AnchorsVitePress, []string{"Getting Started", "-f, --force", "What's new?", "2 columns", "Café Über", "A", "A"},
			[]string{"getting-started", "f-force", "what-s-new", "_2-columns", "cafe-uber", "a", "a-1"}},
		{AnchorsMkDocs, []string{"Threshold & margin", "Café", "A", "A"},
			[]string{"threshold-margin", "cafe", "a", "a_1"}},
		{AnchorsSphinx, []string{"Passing Parameters In URLs", "What are \"hostname doesn't match\" errors?", "$ python -m pip install requests", "2.0 Release", "Timeouts", "Timeouts", "安装"},
			[]string{"passing-parameters-in-urls", "what-are-hostname-doesn-t-match-errors", "python-m-pip-install-requests", "release", "timeouts", "id1", "id2"}},
		{AnchorsGitHub, []string{"A", "A"}, []string{"a", "a-1"}},
	}
	for _, tc := range tests {
		a := newAnchorer(tc.style)
		var got []string
		for _, s := range tc.texts {
			got = append(got, a.anchor(s))
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s anchors of %q = %q, want %q", tc.style, tc.texts, got, tc.want)
		}
	}
}

func TestFolderLinks(t *testing.T) {
	file := Folder{BaseURL: "https://github.com/o/r/blob/main/docs"}
	task := Folder{BaseURL: "https://taskfile.dev/docs/", Links: LinksPretty}
	hugo := Folder{BaseURL: "https://gohugo.io/", Links: LinksPretty, TrailingSlash: true, Lowercase: true}
	tests := []struct {
		f    Folder
		rel  string
		want string
	}{
		{file, "guide/usage.md", "https://github.com/o/r/blob/main/docs/guide/usage.md"},
		{file, "README.md", "https://github.com/o/r/blob/main/docs/README.md"},
		{task, "guide.md", "https://taskfile.dev/docs/guide"},
		{task, "experiments/index.md", "https://taskfile.dev/docs/experiments/"},
		{task, "index.md", "https://taskfile.dev/docs/"},
		{task, "a b.md", "https://taskfile.dev/docs/a%20b"},
		{hugo, "functions/urls/RelURL.md", "https://gohugo.io/functions/urls/relurl/"},
		{hugo, "content-management/_index.md", "https://gohugo.io/content-management/"},
		{hugo, "Sub/README.md", "https://gohugo.io/sub/"},
	}
	for _, tc := range tests {
		if got := tc.f.link(tc.rel); got != tc.want {
			t.Errorf("link(%q) = %q, want %q", tc.rel, got, tc.want)
		}
	}
	for rel, want := range map[string]string{"guide/index.md": "guide", "_index.md": "index", "a/_index.md": "a", "my-page.md": "my page"} {
		if got := fileTitle(rel); got != want {
			t.Errorf("fileTitle(%q) = %q, want %q", rel, got, want)
		}
	}
}

// TestFolderFormats builds an index of pages in several formats: drafts
// left out, includes read, .rst and .mdx indexed, pretty links.
func TestFolderFormats(t *testing.T) {
	fsys := fstest.MapFS{
		"docs/_index.md":          {Data: []byte("---\ntitle: Docs home\n---\nWelcome.\n")},
		"docs/draft.md":           {Data: []byte("---\ntitle: Soon\ndraft: true\n---\nSecret plans.\n")},
		"docs/opts.md":            {Data: []byte("---\ntitle: Options\n---\n## All\n\n{{% include \"/_common/opts.md\" %}}\n")},
		"docs/_common/opts.md":    {Data: []byte("---\n_comment: x\n---\n`lineNos`\n: Show line numbers.\n")},
		"docs/user/quick.rst":     {Data: []byte(".. _quickstart:\n\nQuickstart\n==========\n\nStart here::\n\n    >>> import requests\n")},
		"docs/tabs.mdx":           {Data: []byte("import Tabs from '@theme/Tabs';\n\n# Tabs\n<Tabs>\nTabbed.\n</Tabs>\n")},
		"docs/broken.md":          {Data: []byte("+++\ntitle = \n+++\nStill here.\n")},
		"docs/_common/_index.txt": {Data: []byte("plain")},
	}
	var logs strings.Builder
	ix := New(Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	f := Folder{Path: "docs", FS: fsys, BaseURL: "https://example.org/", Links: LinksPretty, TrailingSlash: true}
	if err := ix.Rebuild(context.Background(), []Folder{f}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ix.Passages(func(Passage) bool { return true }) {
		got = append(got, p.ID+" "+p.Link+" | "+p.Text)
	}
	want := []string{
		"docs/_common/_index.txt https://example.org/_common/ | plain",
		"docs/_common/opts.md https://example.org/_common/opts/ | `lineNos`\n: Show line numbers.",
		"docs/_index.md#docs-home https://example.org/ | Welcome.",
		"docs/broken.md https://example.org/broken/ | Still here.",
		"docs/opts.md#all https://example.org/opts/#all | `lineNos`\n: Show line numbers.",
		"docs/tabs.mdx#tabs https://example.org/tabs/#tabs | Tabbed.",
		"docs/user/quick.rst#quickstart https://example.org/user/quick/#quickstart | Start here:\n\n```\n>>> import requests\n```",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("passages:\n got %q\nwant %q", got, want)
	}
	if !strings.Contains(logs.String(), "docs/broken.md") {
		t.Errorf("no warning about broken.md's front matter in the log:\n%s", logs.String())
	}
}

// TestEmptyHeadingKeepsIDsUnique: a heading with no text after text
// without a heading must not give its passage the page's own ID, which
// would fail the whole index ("passage appears twice").
func TestEmptyHeadingKeepsIDsUnique(t *testing.T) {
	fsys := fstest.MapFS{
		"d/a.md":  {Data: []byte("Text before.\n\n#\n\nText under an empty heading.\n")},
		"d/b.rst": {Data: []byte("Text before.\n\n!?\n==\n\nText under a title of punctuation.\n")},
	}
	ix, err := Build(context.Background(), []Folder{{Path: "d", FS: fsys}})
	if err != nil {
		t.Fatal(err)
	}
	if ix.Len() != 4 {
		t.Errorf("%d passages, want 4: %+v", ix.Len(), ix.Passages(func(Passage) bool { return true }))
	}
}

func TestExcluded(t *testing.T) {
	patterns := []string{"changelog.md", "blog/**", "drafts", "api/*.gen.md", "/top.md"}
	for rel, want := range map[string]bool{
		"changelog.md":         true,
		"guide/changelog.md":   true, // no "/": at any depth
		"CHANGELOG.md":         false,
		"blog":                 true,
		"blog/2024/post.md":    true,
		"guide/blog/post.md":   false, // "blog/**" is the folder's own blog
		"drafts/idea.md":       true,
		"guide/drafts/x/y.md":  true,
		"api/client.gen.md":    true,
		"api/v2/client.gen.md": false,
		"top.md":               true,
		"guide/top.md":         false,
		"guide/install.md":     false,
	} {
		if got := Excluded(patterns, rel); got != want {
			t.Errorf("Excluded(%q) = %v, want %v", rel, got, want)
		}
	}
	for p, bad := range map[string]bool{"blog/**": false, "": true, "[a-": true, "../x": true, "a/../b": true} {
		if got := BadExclude(p) != ""; got != bad {
			t.Errorf("BadExclude(%q) = %q", p, BadExclude(p))
		}
	}
}

// TestFolderUnrenderedPages builds an index of a Hugo site's pages that
// are never rendered (their links would not be found): by their own
// front matter, in a headless bundle, or below an _index.md whose cascade
// says so. Their text is still read where another page includes it, and
// a page comes back when its section's cascade no longer hides it.
func TestFolderUnrenderedPages(t *testing.T) {
	fsys := fstest.MapFS{
		"docs/_index.md":            {Data: []byte("---\ntitle: Home\n---\nWelcome.\n")},
		"docs/hidden.md":            {Data: []byte("---\nbuild:\n  render: never\n---\nNot a page.\n")},
		"docs/opts.md":              {Data: []byte("---\ntitle: Options\n---\n{{% include \"/_common/opts.md\" %}}\n")},
		"docs/_common/_index.md":    {Data: []byte("---\ncascade:\n  build:\n    list: never\n    render: never\n---\n")},
		"docs/_common/opts.md":      {Data: []byte("Show line numbers.\n")},
		"docs/_common/deep/more.md": {Data: []byte("Deeper snippet.\n")},
		"docs/glossary/_index.md":   {Data: []byte("---\ntitle: Glossary\nbuild:\n  render: always\ncascade:\n  build:\n    render: never\n---\nAll the terms.\n")},
		"docs/glossary/bundle.md":   {Data: []byte("---\ntitle: bundle\n---\nA directory.\n")},
		"docs/headless/index.md":    {Data: []byte("---\nheadless: true\n---\nHeadless.\n")},
		"docs/headless/part.md":     {Data: []byte("A part of it.\n")},
		"docs/blog/_index.md":       {Data: []byte("---\ncascade:\n- build:\n    render: never\n  target:\n    path: /blog/old/**\n---\nBlog.\n")},
		"docs/blog/post.md":         {Data: []byte("A post.\n")},
	}
	ix := New(Options{})
	f := Folder{Path: "docs", FS: fsys, BaseURL: "https://example.org/", Links: LinksPretty, TrailingSlash: true}
	passages := func() []string {
		if err := ix.Rebuild(context.Background(), []Folder{f}); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range ix.Passages(func(Passage) bool { return true }) {
			got = append(got, p.ID+" | "+p.Text)
		}
		slices.Sort(got) // a file that comes back is inserted last
		return got
	}
	want := []string{
		"docs/_index.md#home | Welcome.",
		"docs/blog/_index.md | Blog.",
		"docs/blog/post.md | A post.",
		"docs/glossary/_index.md#glossary | All the terms.",
		"docs/opts.md#options | Show line numbers.",
	}
	if got := passages(); !reflect.DeepEqual(got, want) {
		t.Errorf("passages:\n got %q\nwant %q", got, want)
	}
	fsys["docs/glossary/_index.md"] = &fstest.MapFile{Data: []byte("---\ntitle: Glossary\n---\nAll the terms.\n")}
	want = append(want, "docs/glossary/bundle.md#bundle | A directory.")
	slices.Sort(want)
	if got := passages(); !reflect.DeepEqual(got, want) {
		t.Errorf("passages once the glossary's cascade is gone:\n got %q\nwant %q", got, want)
	}
}
