package knowledge

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/docent-bot/docent/chat/markdown"
)

// section is the part of a document under one heading.
type section struct {
	// headings is the heading path, outermost first: the document's title
	// (its level-1 heading, or its front matter's title) and each heading
	// down to this section's own. It is empty for text before the first
	// heading of a page without a title.
	headings []string
	// anchor is the GitHub anchor of the section's own heading (or the id
	// its author gave it), "" for text before the first heading: the
	// passage ID's anchor, whatever the site.
	anchor string
	// within is the anchors of the headings that hold this one,
	// outermost first: a heading with no text of its own before its
	// subsections has no section, but its anchor is here.
	within []string
	// link is the anchor of the heading on the published site, in the
	// folder's style; "" for the top of the page.
	link string
	// parts are the section's text in pieces of bounded size (one piece
	// for most sections), never empty.
	parts []string
}

// document is a Markdown or reStructuredText page split into sections.
type document struct {
	title      string // the front matter's title, else the first heading when it is of level 1, else ""
	draft      bool   // the front matter says draft: true
	unrendered bool   // the front matter says the site never renders it (Hugo's build: {render: never}, headless: true)
	sections   []section
	// err is why the front matter could not be read; the page is indexed
	// without it.
	err error
}

// splitMarkdown splits a Markdown document at its ATX ("#" to "######")
// and setext ("===", "---" underlined) headings, not inside fenced code
// blocks, after its YAML or TOML front matter. The front matter's title
// is the page's top heading when it does not start with a level-1 one,
// and its description the first text of the page. Markup that is not
// text for a reader is dropped: HTML comments, script and style blocks,
// lines of only HTML or JSX tags, MDX imports, the fences of VitePress and
// Docusaurus containers (":::") and MkDocs admonitions ("!!!"), Hugo
// shortcodes (their inner text is kept) and "[[toc]]". Headings get
// GitHub anchors and, for links, anchors in style (an Anchors constant).
// Sections without text are left out. Texts longer than maxBytes are cut
// at paragraph boundaries (see chunk). It accepts any input.
func splitMarkdown(src string, maxBytes int, style string) document {
	fm, src, err := cutFrontMatter(normalise(src))
	p := mdParser{
		doc:      document{title: fm.title, draft: fm.draft, unrendered: fm.unrendered, err: err},
		fmTitle:  fm.title,
		maxBytes: maxBytes,
		ids:      newIDAnchorer(),
		links:    newAnchorer(style),
		para:     -1,
	}
	if fm.description != "" {
		p.body = append(p.body, fm.description, "")
		p.desc = fm.description
	}
	if markdown.HasFence(src) {
		p.md = markdown.Parse(src)
	}
	at := 0
	for line := range strings.SplitSeq(src, "\n") {
		p.line(line, at, at+len(line))
		at += len(line) + 1
	}
	if p.pending != "" { // a "{{<" that never closed: text after all
		p.text(p.pending)
	}
	if !p.started {
		p.openTitle()
	}
	p.flush()
	return p.doc
}

// mdParser is splitMarkdown's state between lines.
type mdParser struct {
	doc       document
	fmTitle   string // the front matter's title
	desc      string // the front matter's description
	maxBytes  int
	ids       *anchorer // passage IDs' anchors
	links     *anchorer // the site's anchors
	started   bool      // a heading was seen
	stack     []heading // the open headings, outermost first
	cur       section
	body      []string
	para      int           // where in body the paragraph being read starts; -1 outside one
	fence     fenceMark     // the open code block
	md        *markdown.Doc // the page as CommonMark reads it; nil when it has no fence
	code      int           // md.Code[code] is the next code block a line may open
	html      int           // md.Blocks[html] is the next block that may be HTML
	admonish  int           // how many MkDocs admonitions are open: their text is indented by 4 each
	skipUntil string        // the end of the HTML block or comment being dropped
	pending   string        // a shortcode that goes on over the next line
}

func (p *mdParser) flush() {
	p.doc.sections = addSection(p.doc.sections, p.cur, p.body, p.maxBytes)
	p.body = p.body[:0]
	p.para = -1
}

// addSection adds a section with the text of body, unless it has none.
func addSection(sections []section, s section, body []string, maxBytes int) []section {
	text := strings.TrimSpace(strings.Join(body, "\n"))
	if text == "" {
		return sections
	}
	s.parts = chunk(text, maxBytes)
	return append(sections, s)
}

// text adds a line of text to the section.
func (p *mdParser) text(line string) {
	switch {
	case strings.TrimSpace(line) == "":
		p.para = -1
		if n := len(p.body); n > 0 && strings.TrimSpace(p.body[n-1]) == "" {
			return // one blank line is enough
		}
	case !startsParagraph(line):
		if _, ok := markdown.CutIndent(line); ok { // a list item, a quote: not a lazy continuation
			p.para = -1
		}
	case p.para < 0:
		p.para = len(p.body)
	}
	p.body = append(p.body, line)
}

// dropped notes a line of markup left out: it ends a paragraph.
func (p *mdParser) dropped() {
	if p.para >= 0 || len(p.body) > 0 && strings.TrimSpace(p.body[len(p.body)-1]) != "" {
		p.body = append(p.body, "")
	}
	p.para = -1
}

// line reads the line of the page at src[start:end].
func (p *mdParser) line(line string, start, end int) {
	line = p.dedent(line)
	if p.fence.isOpen() {
		if p.fence.shortcode != "" && closesShortcode(line, p.fence.shortcode) {
			p.body = append(p.body, "```")
			p.fence = fenceMark{}
			return
		}
		p.body = append(p.body, unescapeShortcodes(line))
		if b := p.fence.block; b != nil && end >= b.End || p.fence.marker != "" && markdown.ClosesFence(line, p.fence.marker) {
			p.fence = fenceMark{}
		}
		return
	}
	if p.pending != "" {
		line = p.pending + "\n" + line
		p.pending = ""
	}
	if p.skipUntil != "" {
		i := indexFold(line, p.skipUntil)
		if i < 0 {
			return
		}
		line = line[i+len(p.skipUntil):]
		if p.skipUntil != "-->" {
			line = ""
		}
		p.skipUntil = ""
		if strings.TrimSpace(line) == "" {
			p.dropped()
			return
		}
	}
	if f, ok := p.opens(start, line); ok {
		if f.block == nil || f.block.End > end { // not a block that ends on its opening line
			p.fence = f
		}
		p.para = -1
		p.body = append(p.body, line)
		return
	}
	if title, ok := admonition(line); ok {
		p.admonish++
		p.dropped()
		if title != "" {
			p.text(title)
			p.dropped()
		}
		return
	}
	if title, ok := container(line); ok {
		p.dropped()
		if title != "" {
			p.text(title)
			p.dropped()
		}
		return
	}
	orig := line
	line, p.skipUntil = dropHTML(line)
	line, code, open := cutShortcodes(line)
	if open {
		if len(line) < 4096 {
			p.pending = orig
			p.skipUntil = ""
			return
		}
		line = orig // not a shortcode after all: a stray "{{<"
	}
	if code != nil {
		p.dropped()
		p.body = append(p.body, "```"+code.lang)
		p.fence = fenceMark{shortcode: code.name}
		return
	}
	if line != orig && strings.TrimSpace(line) == "" || mdxImport(line) || strings.TrimSpace(line) == "[[toc]]" {
		p.dropped()
		return
	}
	if level, raw, ok := atxHeading(line); ok {
		p.heading(level, raw)
		return
	}
	if level, ok := setextUnderline(line); ok && p.para >= 0 {
		raw := strings.TrimSpace(strings.Join(p.body[p.para:], " "))
		p.body = p.body[:p.para]
		p.heading(level, raw)
		return
	}
	p.text(line)
}

// opens says whether the line at start opens a fenced code block, as
// chat/markdown reads the page (in a list item, a quote, with ``` or
// ~~~), so that a fence is read here as it is everywhere. Where the page
// is not CommonMark to a CommonMark parser (a MkDocs admonition's
// indented body, an HTML block such as a JSX tab whose tags this splitter
// drops), a fence line is found line by line.
func (p *mdParser) opens(start int, line string) (fenceMark, bool) {
	if p.md == nil {
		return fenceMark{}, false
	}
	code := p.md.Code
	for p.code < len(code) && code[p.code].Start < start {
		p.code++
	}
	if p.code < len(code) && code[p.code].Start == start {
		p.code++
		return fenceMark{block: code[p.code-1]}, true
	}
	blocks := p.md.Blocks
	for p.html < len(blocks) && blocks[p.html].End < start {
		p.html++
	}
	inHTML := p.html < len(blocks) && blocks[p.html].Kind == markdown.HTML && blocks[p.html].Start <= start
	if p.admonish == 0 && !inHTML {
		return fenceMark{}, false
	}
	if m, ok := markdown.OpenFence(line); ok {
		return fenceMark{marker: m}, true
	}
	return fenceMark{}, false
}

// dedent takes the indent of the open MkDocs admonitions off a line,
// closing those it is not indented for.
func (p *mdParser) dedent(line string) string {
	if p.admonish == 0 || strings.TrimSpace(line) == "" {
		return line
	}
	col, i := 0, 0
	for ; i < len(line) && (line[i] == ' ' || line[i] == '\t') && col < 4*p.admonish; i++ {
		if line[i] == '\t' {
			col += 4 - col%4
		} else {
			col++
		}
	}
	p.admonish = min(p.admonish, col/4)
	return line[i:]
}

func (p *mdParser) heading(level int, raw string) {
	raw, custom := cutCustomID(raw)
	text := headingText(raw)
	// Images (badges: "pip ![macOS](…) ![Linux](…)") show no words in a
	// heading: their alt text is left out of the heading path, unless
	// the heading is only images. Anchors keep it, as the site makes them.
	shown := headingText(dropImages(raw))
	if shown == "" {
		shown = text
	}
	if !p.started {
		p.started = true
		if level == 1 && strings.TrimSpace(strings.Join(p.body, "\n")) == p.desc {
			// The page starts with its title: the description is its text.
			if p.doc.title == "" {
				p.doc.title = shown
			}
			p.open(level, text, shown, custom)
			return
		}
		p.openTitle()
	}
	p.flush()
	p.open(level, text, shown, custom)
}

// dropImages removes the Markdown images ("![alt](src)") of a line.
func dropImages(s string) string {
	for {
		i := strings.Index(s, "![")
		if i < 0 {
			return s
		}
		mid := strings.Index(s[i:], "](")
		if mid < 0 {
			return s
		}
		end := strings.IndexByte(s[i+mid:], ')')
		if end < 0 {
			return s
		}
		s = s[:i] + s[i+mid+end+1:]
	}
}

// openTitle makes the front matter's title the page's top heading, over
// the text before the first heading.
func (p *mdParser) openTitle() {
	if p.fmTitle == "" {
		return
	}
	anchor := p.ids.anchor(idText(p.fmTitle))
	p.stack = []heading{{0, p.fmTitle, anchor}}
	p.cur = section{headings: []string{p.fmTitle}, anchor: anchor}
}

// open opens a heading: text makes its anchors, shown is its text in the
// heading path.
func (p *mdParser) open(level int, text, shown, custom string) {
	s := section{}
	if custom != "" {
		s.anchor, s.link = p.ids.take(custom), p.links.take(custom)
	} else {
		s.anchor, s.link = p.ids.anchor(idText(text)), p.links.anchor(text)
	}
	p.stack = push(p.stack, heading{level, shown, s.anchor})
	s.headings, s.within = headingPath(p.stack)
	p.cur = s
	p.para = -1
}

// push adds a heading to the open ones, closing those at its level or
// deeper.
func push(stack []heading, h heading) []heading {
	for len(stack) > 0 && stack[len(stack)-1].level >= h.level {
		stack = stack[:len(stack)-1]
	}
	return append(stack, h)
}

// headingPath is the texts of the open headings and the anchors of those
// that hold the last one.
func headingPath(stack []heading) (path, within []string) {
	path = make([]string, len(stack))
	for i, h := range stack {
		path[i] = h.text
		if i < len(stack)-1 {
			within = append(within, h.anchor)
		}
	}
	return path, within
}

type heading struct {
	level  int
	text   string
	anchor string // its passage ID anchor
}

// normalise makes line ends "\n" and replaces invalid UTF-8.
func normalise(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	return strings.TrimPrefix(s, "\uFEFF")
}

// setextUnderline recognises the line under a setext heading: "=" for
// level 1 or "-" for level 2, after up to three spaces.
func setextUnderline(line string) (level int, ok bool) {
	s, ok := markdown.CutIndent(line)
	s = strings.TrimRight(s, " \t")
	if !ok || s == "" || strings.Trim(s, string(s[0])) != "" {
		return 0, false
	}
	switch s[0] {
	case '=':
		return 1, true
	case '-':
		return 2, true
	}
	return 0, false
}

// startsParagraph reports whether a line of text starts a paragraph, that
// a setext underline can make a heading: not a list item, a quote, a
// table row or indented code.
func startsParagraph(line string) bool {
	s, ok := markdown.CutIndent(line)
	if !ok || s == "" {
		return false
	}
	switch s[0] {
	case '>', '|':
		return false
	case '-', '*', '+':
		return len(s) > 1 && s[1] != ' ' && s[1] != '\t'
	}
	i := 0
	for i < len(s) && i < 9 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return !(i > 0 && i+1 <= len(s) && (s[i] == '.' || s[i] == ')') && (i+1 == len(s) || s[i+1] == ' '))
}

// idText is a heading's text for its passage ID's anchor: without what
// looks like an HTML tag, even in code ("`--group <name>`"), as the
// question sets of testdata/docs-questions (check.py) slug them.
func idText(text string) string {
	if !strings.Contains(text, "<") {
		return text
	}
	var b strings.Builder
	for {
		open := strings.IndexByte(text, '<')
		if open < 0 {
			break
		}
		end := strings.IndexByte(text[open:], '>')
		if end < 0 {
			break
		}
		b.WriteString(text[:open])
		text = text[open+end+1:]
	}
	b.WriteString(text)
	return b.String()
}

// cutCustomID takes a trailing "{#id}" (with any classes or attributes
// after the id) off a heading, as VitePress, Hugo and MkDocs read it.
func cutCustomID(raw string) (text, id string) {
	s := strings.TrimRight(raw, " \t")
	if !strings.HasSuffix(s, "}") {
		return raw, ""
	}
	open := strings.LastIndex(s, "{#")
	if open < 0 {
		return raw, ""
	}
	inner := s[open+2 : len(s)-1]
	id, _, _ = strings.Cut(inner, " ")
	if id == "" || strings.ContainsAny(id, "{}#\t") {
		return raw, ""
	}
	return strings.TrimRight(s[:open], " \t"), id
}

// atxHeading recognises "## Text ##": up to three spaces, one to six "#",
// then a space, a tab or the end of the line. The closing "#"s are dropped.
func atxHeading(line string) (level int, text string, ok bool) {
	s, ok := markdown.CutIndent(line)
	if !ok {
		return 0, "", false
	}
	for level < len(s) && s[level] == '#' {
		level++
	}
	if level == 0 || level > 6 || (level < len(s) && s[level] != ' ' && s[level] != '\t') {
		return 0, "", false
	}
	text = strings.Trim(s[level:], " \t")
	// A closing sequence is "#"s after a space, or the whole text.
	if t := strings.TrimRight(text, "#"); t == "" {
		text = ""
	} else if len(t) < len(text) && (t[len(t)-1] == ' ' || t[len(t)-1] == '\t') {
		text = strings.TrimRight(t, " \t")
	}
	return level, text, true
}

// fenceMark is an open fenced code block.
type fenceMark struct {
	// block is the code block as chat/markdown reads the page, nil for
	// one it cannot see (see opens).
	block *markdown.CodeBlock
	// marker is the fence of a code block found line by line: in a MkDocs
	// admonition or an HTML block, where CommonMark sees no fence.
	marker string
	// shortcode is the name of the Hugo shortcode that holds the code
	// block ("highlight", "code-toggle") when it is one.
	shortcode string
}

// isOpen says whether a code block is being read.
func (f fenceMark) isOpen() bool { return f.block != nil || f.marker != "" || f.shortcode != "" }

// headingText is a heading as GitHub shows it: links and images become
// their text, code spans and emphasis marks lose their backticks and
// asterisks.
func headingText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '!' && i+1 < len(s) && s[i+1] == '[':
			i++ // an image: keep its alt text like a link's
		case c == '[':
			if end := strings.Index(s[i:], "]("); end > 0 {
				if close := strings.IndexByte(s[i+end:], ')'); close > 0 {
					b.WriteString(s[i+1 : i+end])
					i += end + close + 1
					continue
				}
			}
			b.WriteByte(c)
			i++
		case c == '`' || c == '*':
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// slugger makes GitHub's heading anchors (as github-slugger does): the
// text lowercased, everything but letters, marks, digits, connector
// punctuation ("_"), spaces and "-" dropped, spaces turned into "-"; a
// repeated anchor gets "-1", "-2", ...
type slugger map[string]int

func (s slugger) slug(text string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r) || unicode.Is(unicode.Pc, r):
			b.WriteRune(r)
		}
	}
	base := b.String()
	result := base
	for {
		if _, taken := s[result]; !taken {
			break
		}
		s[base]++
		result = base + "-" + itoa(s[base])
	}
	s[result] = 0
	return result
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	for ; n > 0; n /= 10 {
		i--
		buf[i] = byte('0' + n%10)
	}
	return string(buf[i:])
}

// chunk cuts text into pieces of at most maxBytes at paragraph boundaries
// (blank lines outside fenced code blocks), packing whole paragraphs
// together. A code block is kept whole up to twice maxBytes; a longer
// block, or a paragraph longer than maxBytes, is cut at line ends, and a
// line longer than maxBytes at the last space that fits (or anywhere
// between two characters).
func chunk(text string, maxBytes int) []string {
	if len(text) <= maxBytes {
		return []string{text}
	}
	var (
		out []string
		cur strings.Builder
	)
	emit := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	add := func(block string) {
		if cur.Len() > 0 && cur.Len()+2+len(block) > maxBytes {
			emit()
		}
		if cur.Len() > 0 {
			cur.WriteString("\n\n")
		}
		cur.WriteString(block)
	}
	for _, blk := range blocks(text) {
		limit := maxBytes
		if blk.code {
			limit = 2 * maxBytes
		}
		if len(blk.text) <= limit {
			add(blk.text)
			if cur.Len() > maxBytes { // a large code block stands alone
				emit()
			}
			continue
		}
		emit()
		for _, piece := range cutLines(blk.text, maxBytes) {
			if cur.Len() > 0 && cur.Len()+1+len(piece) > maxBytes {
				emit()
			}
			if cur.Len() > 0 {
				cur.WriteByte('\n')
			}
			cur.WriteString(piece)
		}
		emit()
	}
	emit()
	return out
}

type block struct {
	text string
	code bool // a fenced code block
}

// blocks splits text at blank lines outside fenced code blocks; a fenced
// block (as chat/markdown reads it: also indented in a list item) is a
// block of its own.
func blocks(text string) []block {
	var (
		out   []block
		lines []string
		code  *markdown.CodeBlock // the block being read
		fc    []*markdown.CodeBlock
		at    = 0 // where line starts in text
	)
	if markdown.HasFence(text) {
		fc = markdown.Parse(text).Code
	}
	end := func(code bool) {
		if s := strings.Trim(strings.Join(lines, "\n"), "\n"); strings.TrimSpace(s) != "" {
			out = append(out, block{text: s, code: code})
		}
		lines = lines[:0]
	}
	for line := range strings.SplitSeq(text, "\n") {
		start := at
		at += len(line) + 1
		if code == nil {
			for len(fc) > 0 && fc[0].Start < start {
				fc = fc[1:]
			}
			// One in a quote stays in the quote's block: its lines hold no blank one.
			if len(fc) > 0 && fc[0].Start == start && strings.TrimSpace(fc[0].Prefix) == "" {
				end(false)
				code, fc = fc[0], fc[1:]
			}
		}
		switch {
		case code != nil:
			lines = append(lines, line)
			if start+len(line) >= code.End {
				code = nil
				end(true)
			}
		case strings.TrimSpace(line) == "":
			end(false)
		default:
			lines = append(lines, line)
		}
	}
	end(code != nil)
	return out
}

// cutLines splits s into lines, and lines longer than maxBytes into pieces
// that fit, preferring to cut after a space and never inside a character.
func cutLines(s string, maxBytes int) []string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		for len(line) > maxBytes {
			cut := strings.LastIndexByte(line[:maxBytes], ' ') + 1
			if cut <= 0 {
				cut = maxBytes
				for cut > 0 && !utf8.RuneStart(line[cut]) {
					cut--
				}
				if cut == 0 { // maxBytes is smaller than one character
					_, cut = utf8.DecodeRuneInString(line)
				}
			}
			out = append(out, line[:cut])
			line = line[cut:]
		}
		out = append(out, line)
	}
	return out
}

// splitText cuts a plain text file into passages of whole blank-line
// separated blocks, each at most maxBytes (longer blocks are cut at line
// ends).
func splitText(src string, maxBytes int) []string {
	src = strings.TrimSpace(normalise(src))
	if src == "" {
		return nil
	}
	return chunk(src, maxBytes)
}
