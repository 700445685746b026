package knowledge

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// splitRST splits a reStructuredText document (as Sphinx reads it) at its
// section titles: a line underlined, or over- and underlined, with one
// punctuation character repeated at least as long as the title, the
// levels in the order each style first appears. A `.. _label:` before a
// title gives its anchor in the Sphinx style. Literal blocks (after
// "::") and code-block directives become fenced code; the content of
// admonitions (note, warning, …) and other directives is text, and
// directives that show no text of the page (toctree, autodoc, image,
// include, …) are dropped, as are comments. Roles and links become their
// text ("":ref:`text <label>`"", "“`text <url>`_”": text), literals
// keep one backtick. It accepts any input.
func splitRST(src string, maxBytes int, style string) document {
	p := rstParser{
		maxBytes: maxBytes,
		ids:      newIDAnchorer(),
		links:    newAnchorer(style),
		sphinx:   style == AnchorsSphinx,
		styles:   map[rstStyle]int{},
	}
	p.run(strings.Split(normalise(src), "\n"), 0)
	p.flush()
	return p.doc
}

// rstStyle is the adornment of a section title.
type rstStyle struct {
	char     byte
	overline bool
}

// maxRSTDepth bounds how deeply indented blocks are read as nested
// blocks; deeper ones are text.
const maxRSTDepth = 16

type rstParser struct {
	doc      document
	maxBytes int
	ids      *anchorer
	links    *anchorer
	sphinx   bool             // labels are the links' anchors
	styles   map[rstStyle]int // the level of each title style seen
	stack    []heading
	cur      section
	body     []string
	isCode   []bool // whether each line of body is code, which keeps its markup
	label    string // the last `.. _label:` not yet followed by a title
	literal  bool   // the paragraph being read ends with "::": an indented block after it is code
	prevText bool   // the line before was paragraph text
}

// flush ends the section, its roles and links rendered as text: by
// paragraph, as they may go over several lines, not in code.
func (p *rstParser) flush() {
	var lines, para []string
	for i, l := range p.body {
		if !p.isCode[i] {
			para = append(para, l)
			continue
		}
		if len(para) > 0 {
			lines = append(lines, rstInline(strings.Join(para, "\n")))
			para = para[:0]
		}
		lines = append(lines, l)
	}
	if len(para) > 0 {
		lines = append(lines, rstInline(strings.Join(para, "\n")))
	}
	p.doc.sections = addSection(p.doc.sections, p.cur, lines, p.maxBytes)
	p.body, p.isCode = p.body[:0], p.isCode[:0]
}

func (p *rstParser) add(line string, code bool) {
	p.body = append(p.body, line)
	p.isCode = append(p.isCode, code)
}

func (p *rstParser) blank() {
	if len(p.body) > 0 && p.body[len(p.body)-1] != "" {
		p.add("", false)
	}
	p.prevText = false
}

// run reads lines, dedented to the block they are in; depth is how many
// blocks hold them (titles are only read at depth 0).
func (p *rstParser) run(lines []string, depth int) {
	for i := 0; i < len(lines); {
		i = p.step(lines, i, depth)
	}
}

// step reads the construct starting at lines[i] and returns the index of
// the line after it.
func (p *rstParser) step(lines []string, i, depth int) int {
	line := strings.TrimRight(lines[i], " \t")
	if line == "" {
		p.blank()
		return i + 1
	}
	if indentOf(line) > 0 {
		if p.prevText && !p.literal {
			p.text(strings.TrimSpace(line)) // a list item's or definition's next line
			return i + 1
		}
		block, next := indentedBlock(lines, i)
		if p.literal {
			p.code("", block)
		} else if depth < maxRSTDepth {
			p.run(block, depth+1)
		} else {
			for _, l := range block {
				p.text(l)
			}
		}
		p.literal = false
		p.blank()
		return next
	}
	if depth == 0 {
		if n, ok := p.title(lines, i); ok {
			return n
		}
	}
	if isAdornment(line) && len(line) >= 4 { // a transition
		p.blank()
		return i + 1
	}
	if strings.HasPrefix(line, "..") && (len(line) == 2 || line[2] == ' ') {
		return p.explicit(lines, i, depth)
	}
	p.literal = false
	if strings.HasSuffix(line, "::") {
		p.literal = true
		line = strings.TrimSuffix(line, ":")
		if line == ":" || strings.HasSuffix(line, " :") {
			line = strings.TrimRight(strings.TrimSuffix(line, ":"), " ")
		}
		if line == "" {
			p.prevText = true
			return i + 1
		}
	}
	p.text(line)
	return i + 1
}

func (p *rstParser) text(line string) {
	p.add(line, false)
	p.prevText = true
	p.label = "" // it was not a title's
}

func (p *rstParser) code(lang string, block []string) {
	p.blank()
	p.add("```"+lang, true)
	for _, l := range block {
		p.add(l, true)
	}
	p.add("```", true)
	p.blank()
}

// title reads a section title at lines[i], over- and underlined or
// underlined.
func (p *rstParser) title(lines []string, i int) (next int, ok bool) {
	line := strings.TrimRight(lines[i], " \t")
	if isAdornment(line) && i+2 < len(lines) {
		text := strings.TrimSpace(lines[i+1])
		under := strings.TrimRight(lines[i+2], " \t")
		if text != "" && !isAdornment(text) && under == line && utf8.RuneCountInString(text) <= len(line) {
			p.heading(rstStyle{line[0], true}, text)
			return i + 3, true
		}
	}
	if i+1 >= len(lines) || isAdornment(line) || strings.HasPrefix(line, ".. ") || strings.HasSuffix(line, "::") {
		return 0, false
	}
	under := strings.TrimRight(lines[i+1], " \t")
	if !isAdornment(under) || len(under) < 2 || len(under) < utf8.RuneCountInString(line) {
		return 0, false
	}
	p.heading(rstStyle{under[0], false}, line)
	return i + 2, true
}

func (p *rstParser) heading(st rstStyle, raw string) {
	p.flush()
	level, seen := p.styles[st]
	if !seen {
		level = len(p.styles) + 1
		p.styles[st] = level
	}
	text := headingText(rstInline(raw))
	if len(p.doc.sections) == 0 && len(p.stack) == 0 && level == 1 {
		p.doc.title = text
	}
	s := section{anchor: p.ids.anchor(idText(text))}
	if id := sphinxID(p.label); p.sphinx && id != "" {
		s.link = p.links.take(id)
	} else {
		s.link = p.links.anchor(text)
	}
	p.stack = push(p.stack, heading{level, text, s.anchor})
	s.headings, s.within = headingPath(p.stack)
	p.cur, p.label, p.literal, p.prevText = s, "", false, false
}

// Directives, by what their content is.
var (
	rstCode = map[string]bool{"code-block": true, "code": true, "sourcecode": true}
	rstDrop = map[string]bool{
		"toctree": true, "image": true, "figure": true, "include": true, "literalinclude": true,
		"raw": true, "index": true, "meta": true, "contents": true, "highlight": true,
		"module": true, "currentmodule": true, "testsetup": true, "testcleanup": true,
		"automodule": true, "autoclass": true, "autofunction": true, "autoexception": true,
		"automethod": true, "autoattribute": true, "autodata": true, "autosummary": true,
		"py:module": true, "py:currentmodule": true, "sectionauthor": true, "codeauthor": true,
		"moduleauthor": true, "tabularcolumns": true,
	}
	rstVersion = map[string]string{
		"versionadded": "New in version", "versionchanged": "Changed in version",
		"deprecated": "Deprecated since version", "versionremoved": "Removed in version",
	}
)

// explicit reads explicit markup at lines[i]: a label, a directive, a
// substitution definition, a footnote or a comment.
func (p *rstParser) explicit(lines []string, i, depth int) int {
	line := strings.TrimRight(lines[i], " \t")
	rest := strings.TrimSpace(line[2:])
	block, next := indentedBlock(lines, i+1)
	p.literal = false
	p.blank()
	switch {
	case strings.HasPrefix(rest, "_") && strings.HasSuffix(rest, ":") && len(rest) > 2:
		// A label for what follows (a hyperlink target with a URL
		// after the colon is not one).
		if p.label == "" { // the first of several names the title
			p.label = strings.Trim(rest[1:len(rest)-1], "`")
		}
		return i + 1
	case strings.HasPrefix(rest, "_"), strings.HasPrefix(rest, "|"):
		return next // a hyperlink target, a substitution definition
	case strings.HasPrefix(rest, "[") && strings.Contains(rest, "]"):
		// A footnote or citation: its text.
		p.text(strings.TrimSpace(rest[strings.IndexByte(rest, ']')+1:]))
		p.run(block, min(depth+1, maxRSTDepth))
		p.blank()
		return next
	}
	name, args, ok := strings.Cut(rest, "::")
	name = strings.ToLower(strings.TrimSpace(name))
	if !ok || name == "" || strings.ContainsAny(name, " \t") {
		return next // a comment
	}
	args = strings.TrimSpace(args)
	// The lines right under the first, before a blank line or an
	// option, go on with its text: an admonition's first paragraph
	// (".. note:: If ``verify`` is …\n   the ``c_rehash`` utility …"),
	// or arguments on several lines.
	goesOn := args != "" && len(block) > 0 && block[0] != "" && !isRSTOption(block[0])
	content := block
	for len(content) > 0 && isRSTOption(content[0]) {
		content = content[1:] // options
	}
	switch {
	case rstCode[name]:
		lang, _, _ := strings.Cut(args, " ")
		p.code(lang, trimBlank(content))
	case rstDrop[name], strings.HasPrefix(name, "auto"):
	default:
		if v, ok := rstVersion[name]; ok {
			args = strings.TrimSpace(v + " " + args)
			if goesOn {
				args += ":" // as Sphinx shows it: "Changed in version 2.0: The …"
			}
		}
		if args != "" {
			p.text(args)
			if !goesOn {
				p.blank()
			}
		}
		if depth < maxRSTDepth {
			p.run(content, depth+1)
		}
	}
	p.literal, p.prevText = false, false
	p.blank()
	return next
}

// isRSTOption reports whether a line of a directive's block is one of its
// options (":maxdepth: 2").
func isRSTOption(line string) bool {
	return strings.HasPrefix(line, ":") && strings.Count(line, ":") >= 2
}

// indentedBlock is the block of indented (or blank) lines from lines[i],
// dedented by their least indent, without its trailing blank lines; next
// is the line after it.
func indentedBlock(lines []string, i int) (block []string, next int) {
	n := i
	for n < len(lines) && (strings.TrimSpace(lines[n]) == "" || indentOf(lines[n]) > 0) {
		n++
	}
	end := n
	for end > i && strings.TrimSpace(lines[end-1]) == "" {
		end--
	}
	least := -1
	for _, l := range lines[i:end] {
		if strings.TrimSpace(l) != "" && (least < 0 || indentOf(l) < least) {
			least = indentOf(l)
		}
	}
	for _, l := range lines[i:end] {
		l = strings.ReplaceAll(strings.TrimRight(l, " \t"), "\t", "        ")
		if len(l) >= least && least > 0 {
			l = l[least:]
		} else {
			l = strings.TrimLeft(l, " ")
		}
		block = append(block, l)
	}
	return block, n
}

func trimBlank(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	return lines
}

// indentOf is the indent of a line in columns, a tab as eight.
func indentOf(line string) int {
	n := 0
	for _, c := range []byte(line) {
		switch c {
		case ' ':
			n++
		case '\t':
			n += 8
		default:
			return n
		}
	}
	return n
}

// isAdornment reports whether a line is one punctuation character
// repeated: a section title's underline or overline, or a transition.
func isAdornment(line string) bool {
	if line == "" || !strings.ContainsRune(`!"#$%&'()*+,-./:;<=>?@[\]^_`+"`"+`{|}~`, rune(line[0])) {
		return false
	}
	return strings.Trim(line, line[:1]) == ""
}

// Inline markup.
var (
	rstRole    = regexp.MustCompile("(?::[A-Za-z0-9_.+-]+)+:`([^`]*)`")
	rstLink    = regexp.MustCompile("`([^`<]*?)\\s*<[^`>]*>`__?")
	rstRef     = regexp.MustCompile("`([^`]+)`__?")
	rstLiteral = regexp.MustCompile("``([^`]+)``")
)

// rstInline renders a line's roles, links and literals as their text.
func rstInline(s string) string {
	if !strings.Contains(s, "`") {
		return s
	}
	s = rstLiteral.ReplaceAllString(s, "\x00$1\x00")
	s = rstRole.ReplaceAllStringFunc(s, func(m string) string {
		c := rstRole.FindStringSubmatch(m)[1]
		if open := strings.LastIndexByte(c, '<'); open > 0 && strings.HasSuffix(c, ">") {
			return strings.TrimSpace(c[:open])
		}
		c = strings.TrimPrefix(c, "!")
		if t, ok := strings.CutPrefix(c, "~"); ok {
			c = t[strings.LastIndexByte(t, '.')+1:]
		}
		return c
	})
	s = rstLink.ReplaceAllString(s, "$1")
	s = rstRef.ReplaceAllString(s, "$1")
	return strings.ReplaceAll(s, "\x00", "`")
}
