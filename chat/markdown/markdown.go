// Package markdown is Docent's one reading of Markdown: a text is parsed
// once with goldmark (CommonMark) and its blocks, code blocks and inline
// spans are given as byte ranges of the source, so that docs splitting,
// each platform's message splitting, mrkdwn conversion and citations all
// agree on where a code block starts and ends (``` or ~~~, indented, in a
// list or a quote).
package markdown

import (
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// Kind is what a top-level block is.
type Kind uint8

const (
	Paragraph Kind = iota
	Heading
	FencedCode
	IndentedCode
	List
	Quote
	HTML
	Rule
	Table       // a GitHub table
	Definitions // a definition list ("Term" then ": what it means")
	Footnote    // a footnote's text ("[^1]: …")
)

// Block is one top-level block of a text.
type Block struct {
	Kind Kind
	// Start and End are the byte range of the block's lines in the source:
	// Start is the beginning of its first line, End the end of its last
	// (before the newline).
	Start, End int
	Level      int        // a heading's level, 1 to 6
	Code       *CodeBlock // a fenced code block's fence
}

// CodeBlock is a fenced code block, at any depth (in a list item, a quote).
type CodeBlock struct {
	// Start is the beginning of the opening fence's line, End the end of
	// the closing fence (before any spaces after it), or of the block's last line when it is
	// never closed (it then runs to the end of its container).
	Start, End int
	// Marker is the opening fence as written: "```", "~~~~".
	Marker string
	// Prefix is what comes before the marker on its line: the indent, a
	// list item's marker, a quote's ">".
	Prefix string
	// Info is the fence's info string ("go", `yaml {file="x"}`), Lang its
	// first word.
	Info, Lang string
	// Closed says whether a closing fence ends the block.
	Closed bool
	// openEnd is where the opening line ends; closeStart where the
	// closing line starts (End when unclosed).
	openEnd, closeStart int
}

// Doc is a text parsed once.
type Doc struct {
	Src    string
	Blocks []Block
	// Code is every fenced code block, in order.
	Code []*CodeBlock
	// Spans are the inline code spans, links, images and autolinks, as
	// byte ranges [start, end), in order: text that must not be cut.
	Spans [][2]int
	// CodeSpans are the inline code spans alone.
	CodeSpans [][2]int

	start map[ast.Node]int // where each block's line starts, as found
}

// commonMark is the parser every Parse uses. Building one costs more
// than parsing a chat message, and goldmark's parser keeps no state
// between parses (it sets itself up once, under a sync.Once), so one
// serves all goroutines.
var commonMark = sync.OnceValue(func() parser.Parser {
	// Docs sites render with goldmark and these (Hugo does): a table, a
	// footnote or a definition holds blocks of its own.
	p := parser.NewParser(
		parser.WithBlockParsers(parser.DefaultBlockParsers()...),
		parser.WithInlineParsers(parser.DefaultInlineParsers()...),
		parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
	)
	for _, e := range []goldmark.Extender{extension.Table, extension.DefinitionList, extension.Footnote} {
		e.Extend(goldmark.New(goldmark.WithParser(p)))
	}
	return p
})

// HasFence says whether s may hold a fenced code block: every fence is a
// run of three backticks or tildes. A caller that needs only the code
// blocks skips Parse when it does not.
func HasFence(s string) bool {
	return strings.Contains(s, "```") || strings.Contains(s, "~~~")
}

// Parse reads src as CommonMark.
func Parse(src string) *Doc {
	b := []byte(src)
	root := commonMark().Parse(text.NewReader(b))
	d := &Doc{Src: src}
	d.start = map[ast.Node]int{}
	starts := map[int]bool{} // the lines where some block starts
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering && n.Type() == ast.TypeBlock && n.Kind() != ast.KindDocument {
			starts[d.blockStart(n)] = true // children first: blockStart reads theirs
		}
		return ast.WalkContinue, nil
	})
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.FencedCodeBlock:
			if c := d.fenced(n, b, starts); c != nil {
				d.Code = append(d.Code, c)
			}
			return ast.WalkSkipChildren, nil
		case *ast.CodeSpan, *ast.Link, *ast.Image, *ast.AutoLink:
			if s, e := inlineStart(src, n), inlineEnd(src, n); s >= 0 && e > s {
				d.Spans = append(d.Spans, [2]int{s, e})
				if n.Kind() == ast.KindCodeSpan {
					d.CodeSpans = append(d.CodeSpans, [2]int{s, e})
				}
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	d.Spans = merge(d.Spans)
	d.CodeSpans = merge(d.CodeSpans)
	code := 0
	var top []ast.Node
	for n := root.FirstChild(); n != nil; n = n.NextSibling() {
		if n.Kind() == east.KindFootnoteList { // moved to the end: each where it was written
			for f := n.FirstChild(); f != nil; f = f.NextSibling() {
				top = append(top, f)
			}
			continue
		}
		top = append(top, n)
	}
	slices.SortStableFunc(top, func(a, b ast.Node) int { return d.blockStart(a) - d.blockStart(b) })
	slices.SortStableFunc(d.Code, func(a, b *CodeBlock) int { return a.Start - b.Start })
	for _, n := range top {
		blk := Block{Start: d.blockStart(n)}
		switch n := n.(type) {
		case *ast.Heading:
			blk.Kind, blk.Level = Heading, n.Level
		case *ast.FencedCodeBlock:
			blk.Kind = FencedCode
			for code < len(d.Code) && d.Code[code].Start < blk.Start {
				code++
			}
			if code < len(d.Code) {
				blk.Code = d.Code[code]
			}
		case *ast.CodeBlock:
			blk.Kind = IndentedCode
		case *ast.List:
			blk.Kind = List
		case *ast.Blockquote:
			blk.Kind = Quote
		case *ast.HTMLBlock:
			blk.Kind = HTML
		case *ast.ThematicBreak:
			blk.Kind = Rule
		case *east.Table:
			blk.Kind = Table
		case *east.DefinitionList:
			blk.Kind = Definitions
		case *east.Footnote:
			blk.Kind = Footnote
		}
		d.Blocks = append(d.Blocks, blk)
	}
	for i := range d.Blocks {
		end := len(src)
		if i+1 < len(d.Blocks) {
			end = d.Blocks[i+1].Start
		}
		if c := d.Blocks[i].Code; c != nil {
			end = c.End
		}
		d.Blocks[i].End = d.Blocks[i].Start + len(strings.TrimRight(src[d.Blocks[i].Start:end], " \t\r\n"))
	}
	d.start = nil
	return d
}

// fenced locates a fenced code block's lines in the source.
func (d *Doc) fenced(n *ast.FencedCodeBlock, src []byte, starts map[int]bool) *CodeBlock {
	s := d.Src
	c := &CodeBlock{Start: d.blockStart(n)}
	pos := strings.IndexAny(s[c.Start:lineEnd(s, c.Start)], "`~")
	if pos < 0 {
		return nil
	}
	pos += c.Start
	c.Prefix = s[c.Start:pos]
	m := pos
	for m < len(s) && s[m] == s[pos] {
		m++
	}
	c.Marker = s[pos:m]
	c.openEnd = lineEnd(s, pos)
	if n.Info != nil {
		c.Info = string(n.Info.Segment.Value(src))
		c.Lang = string(n.Language(src))
	}
	body := c.openEnd // where the line after the last content line starts
	if body < len(s) {
		body++
	}
	if lines := n.Lines(); lines.Len() > 0 {
		if stop := lines.At(lines.Len() - 1).Stop; stop > body {
			body = nextLine(s, stop)
		}
	}
	c.closeStart, c.End = body, lineEnd(s, body)
	if body < len(s) && !starts[body] && closes(s[body:c.End], c.Marker) {
		c.Closed = true
		c.End = body + len(strings.TrimRight(s[body:c.End], " \t\r"))
		return c
	}
	// Unclosed: the block ends with its last content line.
	end := body
	if end > c.openEnd && s[end-1] == '\n' {
		end--
	}
	c.End, c.closeStart = end, end
	return c
}

// blockStart is the start of the line where block n starts. Its position
// is used with care: goldmark counts a tab before it as several columns.
func (d *Doc) blockStart(n ast.Node) int {
	if p, ok := d.start[n]; ok {
		return p
	}
	s := d.Src
	p := len(s)
	if n.Pos() >= 0 {
		p = min(n.Pos(), len(s))
	}
	if fc, ok := n.(*ast.FencedCodeBlock); ok && fc.Info != nil {
		p = min(p, fc.Info.Segment.Start)
	}
	if lines := n.Lines(); lines != nil && lines.Len() > 0 {
		first := lines.At(0).Start
		if _, ok := n.(*ast.FencedCodeBlock); ok {
			first = max(lineStart(s, min(first, len(s)))-1, 0) // the opening line's
		}
		p = min(p, first)
	}
	if c := n.FirstChild(); c != nil && c.Type() == ast.TypeBlock {
		p = min(p, d.blockStart(c))
	}
	d.start[n] = lineStart(s, p)
	return d.start[n]
}

// closes says whether line (with its container's prefix) is a closing
// fence for marker: the same character, at least as many, nothing after.
func closes(line, marker string) bool {
	t := strings.TrimLeft(line, " \t>")
	n := 0
	for n < len(t) && t[n] == marker[0] {
		n++
	}
	return n >= len(marker) && strings.TrimSpace(t[n:]) == ""
}

// inlineStart is where an inline node starts: its position, else (a link,
// an image) the "[" before its text.
func inlineStart(s string, n ast.Node) int {
	if p := n.Pos(); p >= 0 {
		return min(p, len(s))
	}
	start := -1
	for c := n.FirstChild(); c != nil && start < 0; c = c.FirstChild() {
		if t, ok := c.(*ast.Text); ok {
			start = t.Segment.Start
		} else {
			start = c.Pos()
		}
	}
	if start < 0 {
		return -1
	}
	start = strings.LastIndexByte(s[:start], '[')
	if _, ok := n.(*ast.Image); ok && start > 0 && s[start-1] == '!' {
		start--
	}
	return start
}

// inlineEnd is where an inline node ends: its next sibling's start, else
// its parent's end.
func inlineEnd(s string, n ast.Node) int {
	if cs, ok := n.(*ast.CodeSpan); ok {
		return codeSpanEnd(s, cs.Pos())
	}
	for ; n != nil; n = n.Parent() {
		if next := n.NextSibling(); next != nil && next.Pos() >= 0 {
			return next.Pos()
		}
		p := n.Parent()
		if p == nil {
			return len(s)
		}
		if p.Type() == ast.TypeBlock {
			if lines := p.Lines(); lines != nil && lines.Len() > 0 {
				return lineEnd(s, lines.At(lines.Len()-1).Start)
			}
			return lineEnd(s, n.Pos())
		}
	}
	return len(s)
}

// codeSpanEnd is the end of the code span starting at i: after the first
// run of as many backticks as opened it.
func codeSpanEnd(s string, i int) int {
	n := 0
	for i+n < len(s) && s[i+n] == '`' {
		n++
	}
	for j := i + n; j < len(s); {
		k := strings.IndexByte(s[j:], '`')
		if k < 0 {
			break
		}
		j += k
		r := 0
		for j+r < len(s) && s[j+r] == '`' {
			r++
		}
		if r == n {
			return j + r
		}
		j += r
	}
	return lineEnd(s, i)
}

// merge sorts ranges and joins those that overlap.
func merge(rs [][2]int) [][2]int {
	sort.Slice(rs, func(i, j int) bool { return rs[i][0] < rs[j][0] })
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && r[0] < out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], r[1])
			continue
		}
		out = append(out, r)
	}
	return out
}

func lineStart(s string, i int) int { return strings.LastIndexByte(s[:i], '\n') + 1 }

func lineEnd(s string, i int) int {
	if i >= len(s) {
		return len(s)
	}
	if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
		return i + j
	}
	return len(s)
}

// nextLine is the start of the line after the one holding i (or, when i
// is just past a newline, i itself).
func nextLine(s string, i int) int {
	if i > 0 && s[i-1] == '\n' {
		return i
	}
	if e := lineEnd(s, i); e < len(s) {
		return e + 1
	}
	return len(s)
}

// CodeAt returns the fenced code block whose lines hold byte i, or nil.
func (d *Doc) CodeAt(i int) *CodeBlock {
	k := sort.Search(len(d.Code), func(k int) bool { return d.Code[k].End >= i })
	if k < len(d.Code) && d.Code[k].Start <= i {
		return d.Code[k]
	}
	return nil
}

// endSpace is the white space a text may end with after a block: what
// Split trims from the end of a part. Other characters (a form feed, a
// vertical tab) are text.
const endSpace = " \t\r\n"

// OpenAtEnd returns the fenced code block the text ends inside, never
// closed (an answer cut short, a stream still coming), or nil.
func (d *Doc) OpenAtEnd() *CodeBlock {
	if len(d.Code) == 0 {
		return nil
	}
	if c := d.Code[len(d.Code)-1]; !c.Closed && strings.Trim(d.Src[c.End:], endSpace) == "" {
		return c
	}
	return nil
}

// Closer is the line that closes c where it was opened: its marker at the
// opener's column, inside its quotes.
func (c *CodeBlock) Closer() string { return closer(c, false) }

// OnFence says whether byte i of the source is on c's opening or closing
// fence line.
func (c *CodeBlock) OnFence(i int) bool {
	return c.Start <= i && i <= c.openEnd || c.Closed && c.closeStart <= i && i <= c.End
}
