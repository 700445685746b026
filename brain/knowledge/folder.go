package knowledge

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"strings"

	"github.com/docent-bot/docent/internal/poll"
)

// headingSep joins the headings of a heading path.
const headingSep = " › "

// Formats of the files the index reads.
const (
	formatNone = iota
	formatText
	formatMarkdown
	formatRST
)

// format is the format of a file the index reads, by its extension;
// formatNone for others.
func format(name string) int {
	switch strings.ToLower(path.Ext(name)) {
	case ".md", ".markdown", ".mdx":
		return formatMarkdown
	case ".rst":
		return formatRST
	case ".txt":
		return formatText
	}
	return formatNone
}

// walk calls fn for every indexed file below the folder, in lexical order,
// skipping hidden files and folders (".git") and those it excludes.
func walk(f Folder, fn func(fsys fs.FS, name, rel string, d fs.DirEntry) error) error {
	fsys, root := f.fsys()
	return fs.WalkDir(fsys, root, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name == root {
			return nil
		}
		rel := name
		if root != "." {
			rel = strings.TrimPrefix(name, root+"/")
		}
		if strings.HasPrefix(d.Name(), ".") || Excluded(f.Exclude, rel) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || format(name) == formatNone {
			return nil
		}
		return fn(fsys, name, rel, d)
	})
}

// readFolder reads every indexed file of f, Markdown with the text of
// the files it includes, and hands each to fn with its path in f. The
// pages of a section whose _index.md cascades that they are never
// rendered (Hugo's _common, included in others' text) are left out.
func (ix *Index) readFolder(ctx context.Context, f Folder, fn func(rel, text string)) error {
	_, root := f.fsys()
	sections := unrenderedSections{root: root, below: map[string]bool{}}
	err := walk(f, func(fsys fs.FS, name, rel string, d fs.DirEntry) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if sections.hides(fsys, name) {
			ix.opts.Log.Debug("knowledge: page in a section that is never rendered; skipped", "file", path.Join(f.Path, rel))
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Size() > ix.opts.MaxFileBytes {
			ix.opts.Log.Warn("knowledge: file too large to index; skipped", "file", path.Join(f.Path, rel), "bytes", fi.Size(), "max", ix.opts.MaxFileBytes)
			return nil
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		text := string(data)
		if format(rel) == formatMarkdown {
			text = includeFiles(fsys, root, text, maxIncludeDepth)
		}
		fn(rel, text)
		return nil
	})
	if err != nil {
		return fmt.Errorf("knowledge: index %s: %w", f.Path, err)
	}
	return nil
}

// filePassages splits one file's text into passages. A draft page (its
// front matter says draft: true) has none, nor one the site never
// renders (build: {render: never}, headless: true): a link to it would
// not be found.
func (ix *Index) filePassages(f Folder, rel, text string) []Passage {
	id := path.Join(f.Path, rel)
	link := f.link(rel)
	var doc document
	switch format(rel) {
	case formatMarkdown:
		doc = splitMarkdown(text, ix.opts.MaxPassageBytes, cmp.Or(f.Anchors, AnchorsGitHub))
	case formatRST:
		doc = splitRST(text, ix.opts.MaxPassageBytes, cmp.Or(f.Anchors, AnchorsSphinx))
	default:
		var out []Passage
		title := fileTitle(rel)
		for i, part := range splitText(text, ix.opts.MaxPassageBytes) {
			out = append(out, Passage{ID: partID(id, i), Title: title, Text: part, Link: link, Source: SourceDocs})
		}
		return out
	}
	if doc.err != nil {
		ix.opts.Log.Warn("knowledge: front matter not read; the page is indexed without it", "file", id, "err", doc.err)
	}
	if doc.draft || doc.unrendered {
		return nil
	}
	title := doc.title
	if title == "" {
		title = fileTitle(rel)
	}
	var out []Passage
	for _, s := range doc.sections {
		sid, slink := id, link
		if s.anchor != "" {
			sid += "#" + s.anchor
		}
		if s.link != "" {
			slink += "#" + s.link
		}
		var within []string
		for _, a := range s.within {
			within = append(within, id+"#"+a)
		}
		for i, part := range s.parts {
			out = append(out, Passage{
				ID: partID(sid, i), Title: title, Heading: strings.Join(s.headings, headingSep),
				Text: part, Within: within, Link: slink, Source: SourceDocs,
			})
		}
	}
	return out
}

// unrenderedSections knows which folders of a Hugo site hold pages that
// are never rendered: below an _index.md whose cascade says so, or in a
// headless bundle (an index.md with headless: true).
type unrenderedSections struct {
	root  string
	below map[string]bool // by folder: its pages (but its _index.md) are never rendered
}

// hides reports whether the file name is a page of such a folder.
func (u unrenderedSections) hides(fsys fs.FS, name string) bool {
	dir := path.Dir(name)
	if path.Base(name) == "_index.md" { // its own cascade is for the pages below it
		return dir != u.root && u.hidden(fsys, path.Dir(dir))
	}
	return u.hidden(fsys, dir)
}

func (u unrenderedSections) hidden(fsys fs.FS, dir string) bool {
	if h, ok := u.below[dir]; ok {
		return h
	}
	h := dir != u.root && dir != "." && dir != "/" && u.hidden(fsys, path.Dir(dir))
	if !h {
		h = frontMatterOf(fsys, path.Join(dir, "_index.md")).cascadeUnrendered ||
			frontMatterOf(fsys, path.Join(dir, "index.md")).unrendered
	}
	u.below[dir] = h
	return h
}

// frontMatterOf is the front matter of a file; none when it cannot be
// read.
func frontMatterOf(fsys fs.FS, name string) frontMatter {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return frontMatter{}
	}
	fm, _, _ := cutFrontMatter(normalise(string(data)))
	return fm
}

// maxIncludeDepth bounds includes inside included files.
const maxIncludeDepth = 3

// includeFiles puts the text of the files that a line of only a Hugo
// include shortcode ({{% include "_common/options.md" %}}, the path from
// the folder's root) names in its place, without their front matter, as
// Hugo shows the page. A file that cannot be read is left out, with the
// shortcode.
func includeFiles(fsys fs.FS, root, text string, depth int) string {
	if depth == 0 || !strings.Contains(text, "include") {
		return text
	}
	lines := strings.Split(text, "\n")
	changed := false
	for i, line := range lines {
		s := strings.TrimSpace(line)
		if !strings.HasPrefix(s, "{{") || !strings.Contains(s, "include") {
			continue
		}
		_, code, open := cutShortcodes(s)
		args := shortcodeArgs(strings.Trim(s, "{}<>% "))
		if code != nil || open || len(args) != 2 || args[0] != "include" {
			continue
		}
		name := path.Join(root, strings.TrimPrefix(path.Clean("/"+args[1]), "/"))
		if format(name) != formatMarkdown || !fs.ValidPath(name) {
			continue
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			continue
		}
		_, body, _ := cutFrontMatter(normalise(string(data)))
		lines[i] = includeFiles(fsys, root, body, depth-1)
		changed = true
	}
	if !changed {
		return text
	}
	return strings.Join(lines, "\n")
}

// partID names the parts of a long section after the first: "~2", "~3".
func partID(id string, i int) string {
	if i == 0 {
		return id
	}
	return id + "~" + itoa(i+1)
}

// Link styles of a folder: how a file's path becomes its link.
const (
	// LinksFile keeps the path as it is (GitHub, a file server).
	LinksFile = "file"
	// LinksPretty drops the extension, and links an index page to its
	// folder ("guide/index.md", "guide/_index.md", "guide/README.md" to
	// "guide/"), as Hugo, VitePress, MkDocs and Sphinx's dirhtml publish
	// them.
	LinksPretty = "pretty"
)

// link is where a member reads the file rel of the folder.
func (f Folder) link(rel string) string {
	if f.Links != LinksPretty {
		return fileLink(f.BaseURL, rel)
	}
	p := strings.TrimSuffix(rel, path.Ext(rel))
	if isIndexPage(rel) {
		p = path.Dir(rel)
		if p == "." {
			p = ""
		}
	}
	if f.Lowercase {
		p = strings.ToLower(p)
	}
	if p != "" && (f.TrailingSlash || isIndexPage(rel)) {
		p += "/"
	}
	return fileLink(f.BaseURL, p)
}

// isIndexPage reports whether a file is its folder's page.
func isIndexPage(rel string) bool {
	base := strings.ToLower(path.Base(rel))
	base = strings.TrimSuffix(base, path.Ext(base))
	return base == "index" || base == "_index" || base == "readme"
}

// fileLink is base followed by the file's path, each segment escaped.
func fileLink(base, rel string) string {
	if base != "" && !strings.HasSuffix(base, "/") {
		base += "/"
	}
	segs := strings.Split(rel, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return base + strings.Join(segs, "/")
}

// fileTitle is a title for a file without one: its name without
// extension (its folder's for an index page), "-" and "_" read as spaces.
func fileTitle(rel string) string {
	if isIndexPage(rel) && path.Dir(rel) != "." {
		rel = path.Dir(rel)
	}
	base := path.Base(rel)
	base = strings.TrimSuffix(base, path.Ext(base))
	return strings.Join(strings.FieldsFunc(base, func(r rune) bool { return r == '-' || r == '_' || r == ' ' }), " ")
}

// State sums up the indexed files of folders (names, sizes, modification
// times, and any error finding them) in a string that changes when one of
// them is added, removed or saved. Comparing it between polls is a cheap
// way to know when to Rebuild.
func State(folders []Folder) string {
	var state poll.Files
	for _, f := range folders {
		err := walk(f, func(_ fs.FS, _, rel string, d fs.DirEntry) error {
			fi, err := d.Info()
			if err != nil {
				state.Fail(path.Join(f.Path, rel), err)
				return nil
			}
			state.Add(path.Join(f.Path, rel), fi)
			return nil
		})
		if err != nil {
			state.Fail(f.Path, err)
		}
	}
	return state.String()
}

// Excluded reports whether one of patterns names the file or folder rel
// (its slash-separated path in its folder), or a folder that holds it. A
// pattern is path.Match's, segment by segment, where "**" is any number
// of folders; one without "/" names a file or folder at any depth, one
// with a "/" is from the folder's top: "changelog.md", "blog/**",
// "drafts", "/top.md", "**/*.draft.md".
func Excluded(patterns []string, rel string) bool {
	segs := strings.Split(rel, "/")
	for _, p := range patterns {
		ps := strings.Split(strings.TrimPrefix(p, "/"), "/")
		if !strings.Contains(p, "/") {
			ps = []string{"**", p}
		}
		for n := len(segs); n > 0; n-- { // the file, then each folder holding it
			if globMatch(ps, segs[:n]) {
				return true
			}
		}
	}
	return false
}

// globMatch matches path segments against pattern segments, "**" any
// number of them.
func globMatch(ps, segs []string) bool {
	for len(ps) > 0 {
		if ps[0] == "**" {
			for i := 0; i <= len(segs); i++ {
				if globMatch(ps[1:], segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, err := path.Match(ps[0], segs[0]); err != nil || !ok {
			return false
		}
		ps, segs = ps[1:], segs[1:]
	}
	return len(segs) == 0
}

// BadExclude is why an exclude pattern cannot be used, "" when it can.
func BadExclude(pattern string) string {
	if strings.TrimSpace(pattern) == "" {
		return "is empty"
	}
	for _, seg := range strings.Split(strings.TrimPrefix(pattern, "/"), "/") {
		if seg == ".." {
			return "goes above the docs folder"
		}
		if _, err := path.Match(seg, ""); err != nil {
			return "is not a glob pattern (" + err.Error() + ")"
		}
	}
	return ""
}
