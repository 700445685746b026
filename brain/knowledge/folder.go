package knowledge

import (
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"slices"
	"strings"
)

// headingSep joins the headings of a heading path.
const headingSep = " › "

// indexed reports whether a file is one the index reads, by its extension.
func indexed(name string) (markdown, ok bool) {
	switch strings.ToLower(path.Ext(name)) {
	case ".md", ".markdown":
		return true, true
	case ".txt":
		return false, true
	}
	return false, false
}

// walk calls fn for every indexed file below the folder, in lexical order,
// skipping hidden files and folders (".git").
func walk(f Folder, fn func(fsys fs.FS, name, rel string, d fs.DirEntry) error) error {
	fsys, root := f.fsys()
	return fs.WalkDir(fsys, root, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if _, ok := indexed(name); d.IsDir() || !ok {
			return nil
		}
		rel := name
		if root != "." {
			rel = strings.TrimPrefix(name, root+"/")
		}
		return fn(fsys, name, rel, d)
	})
}

// readFolder reads and splits every indexed file of f.
func (ix *Index) readFolder(ctx context.Context, f Folder) ([]Passage, error) {
	var out []Passage
	err := walk(f, func(fsys fs.FS, name, rel string, d fs.DirEntry) error {
		if err := ctx.Err(); err != nil {
			return err
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
		out = append(out, ix.filePassages(f, rel, string(data))...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("knowledge: index %s: %w", f.Path, err)
	}
	return out, nil
}

// filePassages splits one file's text into passages.
func (ix *Index) filePassages(f Folder, rel, text string) []Passage {
	id := path.Join(f.Path, rel)
	link := fileLink(f.BaseURL, rel)
	isMarkdown, _ := indexed(rel)
	if !isMarkdown {
		var out []Passage
		title := fileTitle(rel)
		for i, part := range splitText(text, ix.opts.MaxPassageBytes) {
			out = append(out, Passage{ID: partID(id, i), Title: title, Text: part, Link: link, Source: SourceDocs})
		}
		return out
	}
	doc := splitMarkdown(text, ix.opts.MaxPassageBytes)
	title := doc.title
	if title == "" {
		title = fileTitle(rel)
	}
	var out []Passage
	for _, s := range doc.sections {
		sid, slink := id, link
		if s.anchor != "" {
			sid += "#" + s.anchor
			slink += "#" + s.anchor
		}
		for i, part := range s.parts {
			out = append(out, Passage{
				ID: partID(sid, i), Title: title, Heading: strings.Join(s.headings, headingSep),
				Text: part, Link: slink, Source: SourceDocs,
			})
		}
	}
	return out
}

// partID names the parts of a long section after the first: "~2", "~3".
func partID(id string, i int) string {
	if i == 0 {
		return id
	}
	return id + "~" + itoa(i+1)
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

// fileTitle is a title for a file without a level-1 heading: its name
// without extension, "-" and "_" read as spaces.
func fileTitle(rel string) string {
	base := path.Base(rel)
	base = strings.TrimSuffix(base, path.Ext(base))
	return strings.Join(strings.FieldsFunc(base, func(r rune) bool { return r == '-' || r == '_' || r == ' ' }), " ")
}

// State sums up the indexed files of folders (names, sizes, modification
// times, and any error finding them) in a string that changes when one of
// them is added, removed or saved. Comparing it between polls is a cheap
// way to know when to Rebuild.
func State(folders []Folder) string {
	var lines []string
	for _, f := range folders {
		err := walk(f, func(_ fs.FS, _, rel string, d fs.DirEntry) error {
			fi, err := d.Info()
			if err != nil {
				lines = append(lines, path.Join(f.Path, rel)+": "+err.Error())
				return nil
			}
			lines = append(lines, fmt.Sprintf("%s %d %d", path.Join(f.Path, rel), fi.Size(), fi.ModTime().UnixNano()))
			return nil
		})
		if err != nil {
			lines = append(lines, f.Path+": "+err.Error())
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
