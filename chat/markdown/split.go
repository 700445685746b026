package markdown

import (
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Unit is how a platform counts a message's length.
type Unit uint8

const (
	Bytes Unit = iota // Slack's limits are in bytes for us: never fewer than characters
	Runes             // Discord counts characters
)

// maxOpener bounds a fence's opening line carried into the next part
// ("```go"); a longer one is reopened as the bare marker.
const maxOpener = 40

// Split cuts text into parts of at most max units: between lines where it
// can, else between words, else between characters; never inside an inline
// code span, a link or a fence's marker unless one alone is longer than a
// part, and never where a piece of a line would become a fence line (a
// run of backticks or tildes opening a code block, or closing the one it
// is in), whatever the run's length and its list or quote. A code block
// cut in two is closed at the end of one part and reopened, with its
// language, at the start of the next, so that each part renders on its
// own; a block left open at the end is closed. Blank parts
// are left out, and parts lose the blank lines and spaces around a cut.
// A part is over max only when max cannot hold a fence's opener, its
// closer and one character.
func Split(text string, max int, unit Unit) []string {
	return Parse(text).Split(max, unit)
}

// Split is the package's Split on a parsed text.
func (d *Doc) Split(max int, unit Unit) []string {
	sp := splitter{Doc: d, max: max}
	if unit == Runes {
		sp.runes = make([]int32, len(d.Src)+1)
		n := int32(0)
		for i := 0; i < len(d.Src); i++ {
			if utf8.RuneStart(d.Src[i]) {
				n++
			}
			sp.runes[i+1] = n
		}
	}
	for _, c := range d.Code {
		m := c.Start + len(c.Prefix)
		sp.fences = append(sp.fences, [2]int{m, m + len(c.Marker)})
		if c.Closed {
			sp.fences = append(sp.fences, [2]int{c.closeStart, c.End})
		}
	}
	sp.fences = merge(sp.fences)
	sp.atoms = merge(append(slices.Clone(sp.fences), d.Spans...))
	return sp.split()
}

type splitter struct {
	*Doc
	max    int
	runes  []int32    // runes[i]: characters in Src[:i]; nil to count bytes
	atoms  [][2]int   // ranges never cut: spans, fence markers, closing lines
	fences [][2]int   // fence markers and closing lines alone
	line   *lineInfo  // the line makesFence read last
	cont   *CodeBlock // the code block the next part reopens
}

func (sp *splitter) size(a, b int) int {
	if sp.runes == nil {
		return b - a
	}
	return int(sp.runes[b] - sp.runes[a])
}

func (sp *splitter) sizeOf(s string) int {
	if sp.runes == nil {
		return len(s)
	}
	return utf8.RuneCountInString(s)
}

// inAtom says whether a cut at i falls strictly inside a range not to cut.
func (sp *splitter) inAtom(i int) bool {
	k := sort.Search(len(sp.atoms), func(k int) bool { return sp.atoms[k][1] > i })
	return k < len(sp.atoms) && sp.atoms[k][0] < i
}

// reopen is the line that opens c again at the start of a part: its
// marker and language, inside its quotes, without a list's indent (four
// spaces at the start of a part would make it indented code).
func reopen(c *CodeBlock) string {
	var b strings.Builder
	b.WriteString(quotes(c))
	b.WriteString(c.Marker)
	if len(c.Marker)+len(c.Lang) <= maxOpener && !strings.ContainsAny(c.Lang, "`") {
		b.WriteString(c.Lang)
	}
	return b.String()
}

// quotes are the quote markers c is in, each with its space: "> > ".
func quotes(c *CodeBlock) string {
	return strings.Repeat("> ", strings.Count(c.Prefix, ">"))
}

// closer is the line that closes c at the end of a part: at the opener's
// column when the part holds the opener, else as it was reopened. Its
// quote markers each take their one optional space, and the indent
// between them and before the marker is written in spaces, column for
// column, as CommonMark counts them (a tab to the next multiple of four):
// a tab copied to another column would indent by another width.
//
// Where the opener's prefix holds a tab, how far it indents depends on
// the containers around it (goldmark counts a tab after a quote marker
// from the quote's content), so the closer is the first of those columns
// and the next few that Parse reads as closing the block.
func closer(c *CodeBlock, reopened bool) string {
	if reopened || !strings.Contains(c.Prefix, "\t") {
		return closerAt(c, reopened, 0)
	}
	for extra := range 5 {
		line := closerAt(c, false, extra)
		if d := Parse(c.Prefix + c.Marker + "\n" + line); len(d.Code) == 1 && d.Code[0].Closed {
			return line
		}
	}
	return closerAt(c, false, 0)
}

// closerAt is closer with extra more spaces before the marker.
func closerAt(c *CodeBlock, reopened bool, extra int) string {
	var b strings.Builder
	col, from := 0, 0 // the opener's column; where its innermost quote's content starts
	p := c.Prefix
	for i, r := range p {
		switch {
		case r == '>':
			if !reopened {
				b.WriteString(strings.Repeat(" ", max(col-from, 0)))
			}
			b.WriteString("> ")
			col++
			from = col
			if i+1 < len(p) && (p[i+1] == ' ' || p[i+1] == '\t') {
				from++ // the optional space, or a tab's first column
			}
		case r == '\t':
			col += 4 - col%4
		default:
			col++
		}
	}
	if !reopened {
		b.WriteString(strings.Repeat(" ", max(col-from, 0)+extra))
	}
	b.WriteString(c.Marker)
	return b.String()
}

// blockAt is the code block whose marker ends at or before p and that
// has not ended before p, or nil.
func (sp *splitter) blockAt(p int) *CodeBlock {
	k := sort.Search(len(sp.Code), func(k int) bool { return sp.Code[k].Start >= p })
	if k == 0 {
		return nil
	}
	c := sp.Code[k-1]
	if c.Start+len(c.Prefix)+len(c.Marker) > p || p >= c.End && (c.Closed || p > c.End+1) {
		return nil
	}
	return c
}

// cut is where a part ends: its text is Src[pos:end] and closer, and the
// next part starts at next, reopening open.
type cut struct {
	end    int
	closer string
	open   *CodeBlock
	next   int
}

// cutAt says how a part starting at pos with head ends when cut at p,
// the next part starting at next, and whether it fits.
func (sp *splitter) cutAt(pos, p, next int, head string) (cut, bool) {
	s := sp.Src
	k := cut{end: pos + len(strings.TrimRight(s[pos:p], endSpace)), next: next}
	n := sp.sizeOf(head) + sp.size(pos, k.end)
	if c := sp.blockAt(k.end); c != nil {
		if c.Start >= pos && p <= c.openEnd && c.closeStart > c.openEnd+1 {
			return k, false // a block opened with nothing in it
		}
		k.closer = "\n" + closer(c, c.Start < pos)
		n += sp.sizeOf(k.closer)
		switch {
		case c.Closed && next >= c.closeStart:
			k.next = min(len(s), lineEnd(s, c.closeStart)+1) // the block's own closer is the one just added
		case !c.Closed && next > c.End:
		default:
			k.open = c
		}
	}
	return k, n <= sp.max
}

func (sp *splitter) split() []string {
	s := sp.Src
	var parts []string
	pos := 0
	for {
		if sp.cont == nil { // blank lines between parts go
			for pos < len(s) {
				e := lineEnd(s, pos)
				if strings.TrimSpace(s[pos:e]) != "" {
					break
				}
				pos = e + 1
			}
		}
		if pos >= len(s) {
			break
		}
		head := ""
		if sp.cont != nil {
			head = reopen(sp.cont) + "\n"
			if pos > 0 && s[pos-1] != '\n' {
				head += quotes(sp.cont) // a line cut in two goes on inside its quotes
			}
		}
		k := sp.next(pos, head)
		if strings.TrimSpace(s[pos:k.end]) != "" {
			parts = append(parts, head+s[pos:k.end]+k.closer)
		}
		sp.cont = k.open
		pos = k.next
	}
	return parts
}

// next finds where the part starting at pos ends: the last line end that
// fits, else the last space of the first line, else the last character;
// never inside an atom when another cut fits.
func (sp *splitter) next(pos int, head string) (k cut) {
	s := sp.Src
	room := sp.max - sp.sizeOf(head)
	limit := pos
	if sp.runes == nil {
		limit = min(len(s), pos+max(room, 0))
	} else {
		want := sp.runes[pos] + int32(max(room, 0))
		limit = sort.Search(len(s)+1-pos, func(k int) bool { return sp.runes[pos+k] > want }) + pos - 1
	}
	for limit > pos && limit < len(s) && !utf8.RuneStart(s[limit]) {
		limit--
	}
	heads := true // check the piece that starts the next part too
	try := func(p, nx int) bool {
		if p <= pos || sp.inAtom(p) || sp.makesFence(pos, p, nx, heads) {
			return false
		}
		var fits bool
		k, fits = sp.cutAt(pos, p, nx, head)
		return fits
	}
	if limit == len(s) && try(len(s), len(s)) {
		return
	}
	for i := min(limit+1, len(s)); i > pos; {
		j := strings.LastIndexByte(s[pos:i], '\n')
		if j < 0 {
			break
		}
		i = pos + j
		if try(i, i+1) {
			return
		}
	}
	first := min(lineEnd(s, pos), limit)
	if e := lineEnd(s, pos); e < len(s) && sp.opensAt(pos) {
		// A fence line cannot end a part alone: cut in the line after it
		// instead, where the block's content is.
		first = min(lineEnd(s, e+1), limit)
	}
	for i := min(first+1, len(s)); i > pos; {
		j := strings.LastIndexAny(s[pos:i], " \t")
		if j < 0 {
			break
		}
		i = pos + j
		nx := i
		for nx < len(s) && (s[nx] == ' ' || s[nx] == '\t') {
			nx++
		}
		if try(i, nx) {
			return
		}
	}
	for i := first; i > pos; i-- {
		if (i == len(s) || utf8.RuneStart(s[i])) && try(i, i) {
			return
		}
	}
	// Only inside an inline span, or nothing fits at all: cut anyway, at
	// least one character, still never inside a fence's marker or closing
	// line, nor where the cut would make or unmake a fence line.
	atoms := sp.atoms
	sp.atoms = sp.fences
	defer func() { sp.atoms = atoms }()
	for i := first; i > pos; i-- {
		if (i == len(s) || utf8.RuneStart(s[i])) && try(i, i) {
			return
		}
	}
	// Every cut leaves the next part starting with a fence line (a run of
	// backticks longer than a part): the longest part that is none, the
	// next one cut again.
	heads = false
	for i := first; i > pos; i-- {
		if (i == len(s) || utf8.RuneStart(s[i])) && try(i, i) {
			return
		}
	}
	_, n := utf8.DecodeRuneInString(s[pos:])
	p := pos + n
	if k := sort.Search(len(sp.fences), func(k int) bool { return sp.fences[k][1] > p }); k < len(sp.fences) && sp.fences[k][0] < p {
		p = sp.fences[k][1] // a marker longer than a part goes whole
	}
	k, _ = sp.cutAt(pos, p, p, head)
	return
}

// makesFence says whether a cut at p, the part starting at pos and the
// next at nx, would turn a piece of a line into a fence line: the piece
// ending the part (when the part starts inside that line or is cut
// before its end), or the one starting the next, alone on its line,
// would open a code block (or, in a code block, close it) where the
// whole line did not; the next part's piece only when heads is set. A
// fence line itself is never cut before its marker's end, and after it
// only where cutAt allows.
func (sp *splitter) makesFence(pos, p, nx int, heads bool) bool {
	s := sp.Src
	l := sp.lineAt(p)
	tail := p < len(s) && s[p] != '\n' || pos > l.start
	head := heads && nx < len(s) && s[nx-1] != '\n'
	if !tail && !head {
		return false // between whole lines
	}
	var in *CodeBlock // the code block whose content holds the line
	if c := sp.CodeAt(p); c != nil {
		if c.OnFence(p) {
			// Never between the opener's quote or list markers and its
			// fence: the fence would leave its container.
			return p > c.Start && p < c.Start+len(c.Prefix)+len(c.Marker)
		}
		in = c
	}
	return tail && l.fence(max(l.start, pos), p, in) || head && l.fence(nx, l.end, in)
}

// lineAt is what makesFence needs to know of the line holding i, read
// once for all the cuts tried in it: a long line is tried at every
// character, each in constant time.
func (sp *splitter) lineAt(i int) *lineInfo {
	if l := sp.line; l != nil && l.start <= i && i <= l.end {
		return l
	}
	s := sp.Src
	l := &lineInfo{src: s, start: lineStart(s, i), end: lineEnd(s, i)}
	n := l.end - l.start
	l.run = make([]int32, n+1)
	l.skip = make([]int32, n+1)
	l.skipQuote = make([]int32, n+1)
	l.run[n], l.skip[n], l.skipQuote[n] = int32(n), int32(n), int32(n)
	for j := n - 1; j >= 0; j-- {
		c := s[l.start+j]
		l.run[j] = int32(j + 1)
		if j+1 < n && s[l.start+j+1] == c {
			l.run[j] = l.run[j+1]
		}
		l.skip[j], l.skipQuote[j] = int32(j), int32(j)
		if c == ' ' || c == '\t' || c == '>' {
			l.skip[j], l.skipQuote[j] = l.skip[j+1], l.skipQuote[j+1]
		} else if m := listMarker(s[l.start+j : l.end]); m > 0 {
			l.skip[j] = l.skip[j+m]
		}
	}
	l.tick = make([]int32, n+1)
	l.text = make([]int32, n+1)
	l.tick[0], l.text[0] = -1, -1
	for j := range n {
		l.tick[j+1], l.text[j+1] = l.tick[j], l.text[j]
		if c := s[l.start+j]; c == '`' {
			l.tick[j+1] = int32(j)
		}
		if c := s[l.start+j]; c != ' ' && c != '\t' {
			l.text[j+1] = int32(j)
		}
	}
	sp.line = l
	return l
}

// lineInfo is one line of the source, indexed from its start.
type lineInfo struct {
	src        string
	start, end int
	run        []int32 // run[j]: where the run of the character at j ends
	skip       []int32 // skip[j]: after the quote markers, list markers and indent from j
	skipQuote  []int32 // skipQuote[j]: after the quote markers and indent from j
	tick       []int32 // tick[j]: the last backtick before j, or -1
	text       []int32 // text[j]: the last character before j that is not a space or tab, or -1
}

// fence says whether the piece src[a:b] of the line, alone on a line,
// may be a fence line: one that opens a code block after any quote
// markers, list markers and indent (three or more backticks with no
// backtick after them, or tildes); in code block in, one that closes it.
// It errs on the side of yes: a cut it refuses is made elsewhere.
func (l *lineInfo) fence(a, b int, in *CodeBlock) bool {
	a, b = a-l.start, b-l.start
	if in != nil {
		q := int(l.skipQuote[a])
		if q >= b || l.src[l.start+q] != in.Marker[0] {
			return false
		}
		r := min(int(l.run[q]), b)
		return r-q >= len(in.Marker) && int(l.text[b]) < r
	}
	q := int(l.skip[a])
	if q >= b {
		return false
	}
	c := l.src[l.start+q]
	if c != '`' && c != '~' {
		return false
	}
	r := min(int(l.run[q]), b)
	return r-q >= 3 && (c == '~' || int(l.tick[b]) < r)
}

// listMarker is the length of the list item marker line starts with
// ("-", "*", "+", "1.", "2)"), followed by a space, a tab or nothing, or 0.
func listMarker(line string) int {
	i := 0
	if line != "" && strings.IndexByte("-*+", line[0]) >= 0 {
		i = 1
	} else {
		for i < len(line) && i < 9 && line[i] >= '0' && line[i] <= '9' {
			i++
		}
		if i == 0 || i == len(line) || line[i] != '.' && line[i] != ')' {
			return 0
		}
		i++
	}
	if i < len(line) && line[i] != ' ' && line[i] != '\t' {
		return 0
	}
	return i
}

// opensAt reports whether a code block's opening fence is on the line
// that starts at pos.
func (sp *splitter) opensAt(pos int) bool {
	k := sort.Search(len(sp.Code), func(k int) bool { return sp.Code[k].Start >= pos })
	return k < len(sp.Code) && sp.Code[k].Start < lineEnd(sp.Src, pos)+1 && sp.Code[k].Start >= pos
}
