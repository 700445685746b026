package brain

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/docent-bot/docent/brain/classifier"
	"github.com/docent-bot/docent/brain/knowledge"
	"github.com/docent-bot/docent/brain/tokenize"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/chat/markdown"
)

// Bounds of an answer taken from the docs, measured on Discord (2000
// characters a message): the prose and one code block, with the link
// and the other sections to read after them, fit in one message.
const (
	extractProse     = 900 // bytes of sentences, steps and tables
	extractCodeLines = 25
	extractCodeBytes = 700
	// shortCodeLines is the most lines of a code block shown besides the
	// most relevant one, after the sentence that introduces it.
	shortCodeLines = 3
)

// weigher tells how much a query term says; *knowledge.Index implements
// it (IDF). Without one, every term counts the same.
type weigher interface {
	IDF(term string) float64
}

// queryWeights are the terms of a question with their weights.
type queryWeights map[string]float64

// weights returns the distinct terms of text with the searcher's IDF.
func (b *Brain) weights(text string) queryWeights { return weightsOf(b.cfg.Knowledge, text) }

func weightsOf(s Searcher, text string) queryWeights {
	w, _ := s.(weigher)
	out := queryWeights{}
	for _, t := range tokenize.Tokens(nil, text) {
		if _, ok := out[t.Text]; ok {
			continue
		}
		out[t.Text] = 1
		if w != nil {
			out[t.Text] = w.IDF(t.Text)
		}
	}
	return out
}

// score is the weight of the question's terms that text holds.
func (q queryWeights) score(text string) float64 {
	s := 0.0
	seen := map[string]bool{}
	for _, t := range tokenize.Tokens(nil, text) {
		if w, ok := q[t.Text]; ok && !seen[t.Text] {
			seen[t.Text] = true
			s += w
		}
	}
	return s
}

// telling says whether text holds a term of the question that the docs
// use sparingly (commonInDocs), not only the words every question or
// every page uses.
func (q queryWeights) telling(text string) bool {
	for _, t := range tokenize.Tokens(nil, text) {
		if w, ok := q[t.Text]; ok && w >= commonInDocs {
			return true
		}
	}
	return false
}

// Kinds of the blocks of a passage.
const (
	blockPara = iota
	blockList
	blockCode
	blockTable
)

// block is a paragraph, list, code block or table of a passage.
type block struct {
	kind int
	// units are what can be chosen: a paragraph's sentences, a list's
	// items, the whole of a code block or table.
	units []string
	// ordered: a numbered list, whose steps are kept together when they fit.
	ordered bool
}

var (
	listItem = regexp.MustCompile(`^(\s*)([-*+]|\d{1,3}[.)])\s+`)
	heading  = regexp.MustCompile(`^\s{0,3}#{1,6}(\s|$)`)
	// relLink is a Markdown link or image to a relative address, which
	// leads nowhere in a chat message: its text stays, the link goes.
	relLink = regexp.MustCompile(`(!?)\[([^\]\n]*)\]\(([^)\s]*)(\s+"[^"]*")?\)`)
	// linkDefinition is a reference link's or footnote's definition.
	linkDefinition = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:(\s|$)`)
	refLink        = regexp.MustCompile(`\[([^\]\n^]+)\]\[[^\]\n]*\]`)
	marks          = regexp.MustCompile(`\[\^[^\]\s]+\]|\[!(?:NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*`)
)

// delimiterRow is the line under a table's header: "|---|:--:|", or
// ":--|:--" in a table whose rows do not start with "|".
var delimiterRow = regexp.MustCompile(`^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?$`)

// tableStarts says whether lines[i] is a table's header: it holds a "|"
// and the next line is a delimiter row.
func tableStarts(lines []string, i int) bool {
	if i+1 >= len(lines) || !strings.Contains(lines[i], "|") {
		return false
	}
	next := strings.TrimSpace(lines[i+1])
	return strings.Contains(next, "|") && delimiterRow.MatchString(next)
}

// mdLines are a passage's lines with where each starts, and its code
// blocks as chat/markdown reads them.
type mdLines struct {
	lines []string
	off   []int
	doc   *markdown.Doc // nil when the text has no fence
}

func newMDLines(text string) mdLines {
	m := mdLines{lines: strings.Split(text, "\n")}
	at := 0
	for _, l := range m.lines {
		m.off = append(m.off, at)
		at += len(l) + 1
	}
	if markdown.HasFence(text) {
		m.doc = markdown.Parse(text)
	}
	return m
}

// code is the code block that line i is in (its fences too), or nil.
func (m mdLines) code(i int) *markdown.CodeBlock {
	if m.doc == nil {
		return nil
	}
	return m.doc.CodeAt(m.off[i])
}

// opens is the code block that line i opens, or nil. Bare says the fence
// starts the line (but for spaces): not after a list item's marker or in
// a quote.
func (m mdLines) opens(i int, bare bool) *markdown.CodeBlock {
	c := m.code(i)
	if c == nil || c.Start != m.off[i] || bare && strings.TrimSpace(c.Prefix) != "" {
		return nil
	}
	return c
}

// inside says whether line i is in code block c after its opening line:
// its code or its closing fence.
func (m mdLines) inside(i int, c *markdown.CodeBlock) bool {
	return c != nil && m.off[i] > c.Start && m.off[i] <= c.End
}

// closing says whether line i is c's closing fence.
func (m mdLines) closing(i int, c *markdown.CodeBlock) bool {
	return c.Closed && m.inside(i, c) && c.OnFence(m.off[i])
}

// blocks splits a passage's Markdown into blocks. A code block left open
// (a long section cut in parts) is closed, so that what is shown of it
// stays valid Markdown.
func blocks(text string) []block {
	md := newMDLines(strings.ReplaceAll(text, "\r\n", "\n"))
	lines := md.lines
	var out []block
	for i := 0; i < len(lines); {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || heading.MatchString(line) || linkDefinition.MatchString(line):
			i++ // footnotes and link definitions too: they are about text elsewhere
		case md.opens(i, true) != nil:
			c := md.opens(i, true)
			code := []string{strings.TrimSpace(line)}
			i++
			for ; i < len(lines) && md.inside(i, c); i++ {
				if md.closing(i, c) {
					i++
					break
				}
				code = append(code, lines[i])
			}
			// Closed as it was opened, also when the passage's cut left it
			// open; without the indentation of a container (a list item, a
			// definition) that all its lines share.
			dedent(code[1:])
			code = append(code, c.Marker)
			out = append(out, block{kind: blockCode, units: []string{strings.Join(code, "\n")}})
		case strings.HasPrefix(trimmed, "|") || tableStarts(lines, i):
			// Its rows start with "|", or hold one when the header did not
			// start with it (":--|:--").
			piped := strings.HasPrefix(trimmed, "|")
			var rows []string
			for ; i < len(lines); i++ {
				t := strings.TrimSpace(lines[i])
				if !strings.HasPrefix(t, "|") && (piped || !strings.Contains(t, "|")) {
					break
				}
				rows = append(rows, t)
			}
			out = append(out, block{kind: blockTable, units: []string{strings.Join(rows, "\n")}})
		case listItem.MatchString(line):
			i = list(md, i, &out)
		default:
			var para []string
			for ; i < len(lines); i++ {
				l := lines[i]
				t := strings.TrimSpace(l)
				if t == "" || heading.MatchString(l) || md.opens(i, true) != nil || strings.HasPrefix(t, "|") || tableStarts(lines, i) || listItem.MatchString(l) || linkDefinition.MatchString(l) {
					break
				}
				for t != strings.TrimPrefix(t, ">") { // a quote's marker goes
					t = strings.TrimSpace(strings.TrimPrefix(t, ">"))
				}
				para = append(para, t)
			}
			if s := sentences(strings.Join(para, " ")); len(s) > 0 {
				out = append(out, block{kind: blockPara, units: s})
			}
		}
	}
	return out
}

// list reads the list starting at lines[i] into out and returns the
// index of the line after it. An item keeps its nested lines (and code)
// with it.
func list(md mdLines, i int, out *[]block) int {
	lines := md.lines
	m := listItem.FindStringSubmatch(lines[i])
	indent := len(m[1])
	b := block{kind: blockList, ordered: m[2][0] >= '0' && m[2][0] <= '9'}
	var item []string
	var open *markdown.CodeBlock // the code block of the item being read
	flush := func() {
		for len(item) > 0 && strings.TrimSpace(item[len(item)-1]) == "" {
			item = item[:len(item)-1]
		}
		if len(item) > 0 {
			if open != nil && !open.Closed { // a code block left open by the passage's cut
				item = append(item, strings.Repeat(" ", indent+2)+open.Marker)
			}
			b.units = append(b.units, strings.Join(item, "\n"))
		}
		item, open = nil, nil
	}
	for ; i < len(lines); i++ {
		l := lines[i]
		if !md.inside(i, open) {
			if m := listItem.FindStringSubmatch(l); m != nil && len(m[1]) <= indent {
				flush()
				item = append(item, strings.TrimPrefix(l, m[1]))
				continue
			}
			if strings.TrimSpace(l) == "" {
				// A blank line ends the list unless an item or an
				// indented line follows.
				if i+1 >= len(lines) || !(listItem.MatchString(lines[i+1]) || leadingSpaces(lines[i+1]) > indent) {
					break
				}
			} else if leadingSpaces(l) <= indent && i > 0 && strings.TrimSpace(lines[i-1]) == "" {
				break
			}
		}
		if c := md.opens(i, false); c != nil {
			open = c
		}
		item = append(item, trimIndent(l, indent))
	}
	flush()
	if len(b.units) > 0 {
		*out = append(*out, b)
	}
	return i
}

// dedent removes from lines the leading spaces that all of them (but
// blank ones) have.
func dedent(lines []string) {
	n := -1
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			k := len(l) - len(strings.TrimLeft(l, " "))
			if n < 0 || k < n {
				n = k
			}
		}
	}
	for i, l := range lines {
		if len(l) >= n && n > 0 {
			lines[i] = l[n:]
		}
	}
}

func leadingSpaces(s string) int { return len(s) - len(strings.TrimLeft(s, " \t")) }

func trimIndent(s string, n int) string {
	for n > 0 && len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s, n = s[1:], n-1
	}
	return s
}

// abbreviations end with a full stop that does not end a sentence.
var abbreviations = []string{"e.g.", "i.e.", "etc.", "vs.", "cf.", "approx.", "Dr.", "Mr.", "Mrs.", "No.", "Fig."}

// sentences splits a paragraph into sentences: at ".", "!" or "?" and a
// space before what can start a sentence, or at a CJK full stop; never
// inside inline code or a link's text.
func sentences(para string) []string {
	var out []string
	start, code, bracket := 0, false, 0
	for i, r := range para {
		end := i + utf8.RuneLen(r) // where the sentence would end
		switch r {
		case '`':
			code = !code
			continue
		case '[':
			if !code {
				bracket++
			}
			continue
		case ']':
			if !code && bracket > 0 {
				bracket--
			}
			continue
		case '。', '！', '？':
			if code || bracket > 0 {
				continue
			}
		case '.', '!', '?':
			if code || bracket > 0 || end+1 >= len(para) || para[end] != ' ' {
				continue
			}
			if r == '.' && abbreviated(para[start:end]) {
				continue
			}
			next, _ := utf8.DecodeRuneInString(para[end+1:])
			if !unicode.IsUpper(next) && !unicode.IsDigit(next) && !strings.ContainsRune("`[(*\"'_", next) {
				continue
			}
		default:
			continue
		}
		if s := strings.TrimSpace(para[start:end]); s != "" {
			out = append(out, s)
		}
		start = end
	}
	if s := strings.TrimSpace(para[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

func abbreviated(s string) bool {
	for _, a := range abbreviations {
		if strings.HasSuffix(s, " "+a) || s == a {
			return true
		}
	}
	return false
}

// unit is a piece of a passage that can be shown on its own.
type unit struct {
	block, i int // its block, and its place in it
	text     string
	score    float64
}

// extract is the part of a passage that answers a question: its
// sentences, steps and table that hold the question's weightiest terms,
// in the passage's order and at most extractProse bytes, with the
// sentence that introduces a chosen list or code block, and its most
// relevant code block (at most extractCodeLines lines). When none of its
// prose holds a word of the question, the prose shown is its beginning.
func extract(text string, q queryWeights) string {
	bs := blocks(text)
	// introducing[b]: block b is a paragraph whose last sentence
	// introduces what comes after it.
	introducing := make([]bool, len(bs))
	for bi, b := range bs {
		introducing[bi] = b.kind == blockPara && introduces(b.units[len(b.units)-1])
	}
	chosen := map[[2]int]bool{}
	used := 0
	cost := func(b, i int) int {
		if chosen[[2]int{b, i}] {
			return 0
		}
		return len(bs[b].units[i]) + 1
	}
	// intro is the sentence before block b when it introduces it (see
	// introduces).
	intro := func(b int) (int, int, bool) {
		if b == 0 || bs[b-1].kind != blockPara {
			return 0, 0, false
		}
		last := len(bs[b-1].units) - 1
		return b - 1, last, introducing[b-1]
	}
	take := func(keys ...[2]int) bool {
		c := 0
		for _, k := range keys {
			c += cost(k[0], k[1])
		}
		if used+c > extractProse {
			return false
		}
		for _, k := range keys {
			chosen[k] = true
		}
		used += c
		return true
	}

	var units []unit
	code, codeScore := -1, -1.0
	for bi, b := range bs {
		for i, u := range b.units {
			s := q.score(u)
			if b.kind == blockCode {
				// A code block says what it does in the sentence before it.
				if ib, ii, ok := intro(bi); ok {
					s += q.score(bs[ib].units[ii])
				}
				if s > codeScore {
					code, codeScore = bi, s
				}
				continue
			}
			if s > 0 {
				units = append(units, unit{block: bi, i: i, text: u, score: s})
			}
		}
	}
	if code >= 0 {
		if ib, ii, ok := intro(code); ok {
			take([2]int{ib, ii})
		}
	}
	// The weightiest first; equal ones in the passage's order.
	sortUnits(units)
	for _, u := range units {
		b := bs[u.block]
		keys := [][2]int{{u.block, u.i}}
		if b.kind == blockPara && u.i > 0 && refers(u.text) {
			keys = append(keys, [2]int{u.block, u.i - 1})
		}
		if b.kind == blockList {
			if ib, ii, ok := intro(u.block); ok {
				keys = append(keys, [2]int{ib, ii})
			}
		}
		// A sentence that introduces a code block, table or list comes
		// with it: a short code block ("pip install …") besides the one
		// shown, a whole table, a list's first item; else it would end on
		// a colon before nothing.
		if u.i == len(b.units)-1 && introducing[u.block] {
			if u.block+1 == len(bs) {
				continue // what it introduces is in the section's next part
			}
			switch next := bs[u.block+1]; {
			case next.kind == blockCode && u.block+1 != code:
				if strings.Count(next.units[0], "\n") > shortCodeLines+1 {
					continue
				}
				keys = append(keys, [2]int{u.block + 1, 0})
			case next.kind == blockTable, next.kind == blockList: // a list's first item at least
				keys = append(keys, [2]int{u.block + 1, 0})
			}
		}
		if !take(keys...) {
			continue
		}
		// A numbered list is steps: all of them, when they fit.
		if b.kind == blockList && b.ordered {
			var all [][2]int
			for i := range b.units {
				all = append(all, [2]int{u.block, i})
			}
			take(all...)
		}
		// A sentence that introduces a list brings its first items.
		if u.i == len(b.units)-1 && introducing[u.block] && u.block+1 < len(bs) && bs[u.block+1].kind == blockList {
			for i := range bs[u.block+1].units {
				if !take([2]int{u.block + 1, i}) {
					break
				}
			}
		}
	}
	// A sentence that points at an example, table or list above or below
	// it is dangling when none is shown there, or when it points at
	// another section: the member would look for it in vain.
	shown := func(bi int) bool {
		for i := range bs[bi].units {
			if chosen[[2]int{bi, i}] {
				return true
			}
		}
		return bi == code
	}
	dangling := func() [][2]int {
		var out [][2]int
		for bi, b := range bs {
			for i, u := range b.units {
				dir, section := pointsAt(u)
				if b.kind != blockPara || dir == 0 || !chosen[[2]int{bi, i}] {
					continue
				}
				if !section && i == len(b.units)-1 && introducing[bi] && bi+1 < len(bs) && bs[bi+1].kind != blockPara && shown(bi+1) {
					continue // what it introduces is shown, and says what it is about
				}
				found := false
				for j := bi + dir; !section && !found && j >= 0 && j < len(bs); j += dir {
					found = bs[j].kind != blockPara && shown(j)
				}
				if !found {
					out = append(out, [2]int{bi, i})
				}
			}
		}
		return out
	}
	skip := map[[2]int]bool{}
	for _, k := range dangling() {
		delete(chosen, k)
		skip[k] = true
	}
	if len(chosen) == 0 {
		// Nothing matched: the passage's beginning.
		for bi, b := range bs {
			if b.kind == blockCode {
				continue
			}
			for i := range b.units {
				if skip[[2]int{bi, i}] {
					continue
				}
				if !take([2]int{bi, i}) {
					break
				}
			}
			if used > extractProse/2 {
				break
			}
		}
	}

	// A sentence that introduces what is not shown goes too: it would
	// end on a colon before nothing.
	for bi, b := range bs {
		last := len(b.units) - 1
		if !introducing[bi] || !chosen[[2]int{bi, last}] {
			continue
		}
		if bi+1 == len(bs) { // what it introduces is in the section's next part
			delete(chosen, [2]int{bi, last})
			continue
		}
		if bs[bi+1].kind != blockPara && !shown(bi+1) {
			delete(chosen, [2]int{bi, last})
		}
	}

	// Dangling too, those the passage's beginning brought and those
	// pointing at what an introduction's cut left out; they go unless
	// nothing else would be left.
	if d := dangling(); len(d) < len(chosen) || code >= 0 {
		for _, k := range d {
			delete(chosen, k)
		}
	}

	var parts []string
	for bi, b := range bs {
		var picked []string
		for i, u := range b.units {
			if chosen[[2]int{bi, i}] || b.kind == blockCode && bi == code {
				picked = append(picked, u)
			}
		}
		if len(picked) == 0 {
			continue
		}
		var part string
		switch b.kind {
		case blockPara:
			part = plainLinks(strings.Join(picked, " "))
		case blockList:
			part = plainLinks(strings.Join(picked, "\n"))
		case blockCode:
			part = boundCode(picked[0])
		case blockTable:
			part = plainLinks(picked[0])
		}
		if part != "" { // not only an image
			parts = append(parts, part)
		}
	}
	return strings.Join(parts, "\n\n")
}

// sortUnits sorts units by score, highest first, keeping the passage's
// order among equals.
func sortUnits(us []unit) {
	for i := 1; i < len(us); i++ {
		for j := i; j > 0 && us[j].score > us[j-1].score; j-- {
			us[j], us[j-1] = us[j-1], us[j]
		}
	}
}

// announces is what a sentence says to introduce the code, list or table
// after it: "the following commands", "as follows", "as shown below".
var announces = regexp.MustCompile(`(?i)\b(the|these) following\b|\bas follows\b|\bbelow[.!]?$`)

// introduces says whether a sentence introduces what comes after it: it
// ends with a colon or announces it. Shown, it comes with what it
// introduces, or not at all.
func introduces(s string) bool {
	return strings.HasSuffix(s, ":") || (strings.Contains(s, "ollow") || strings.Contains(s, "elow")) && announces.MatchString(s)
}

// pointer is a sentence's reference to what is above or below it in the
// docs ("the example above", "as shown below", "the table below").
var pointer = regexp.MustCompile(`(?i)\b(the|as|in the|of the|shown|described|noted|listed|mentioned|defined|outlined|illustrated|examples?|code|table|sections?|steps|snippet|configuration|template|commands?|list|structure|admonition|methods|fields|options|settings|tree|workflow|format|construct|delimiters|definitions?|taskfile)\s+(above|below)\b`)

// pointsAt says where a sentence points: -1 above, 1 below, 0 nowhere;
// and whether at another section, which an extract of one never shows.
func pointsAt(s string) (dir int, section bool) {
	if !strings.Contains(s, "bove") && !strings.Contains(s, "elow") {
		return 0, false
	}
	m := pointer.FindStringSubmatch(s)
	switch {
	case m == nil:
		return 0, false
	case strings.EqualFold(m[2], "above"):
		dir = -1
	default:
		dir = 1
	}
	return dir, strings.HasPrefix(strings.ToLower(m[1]), "section")
}

// refers says whether a sentence leans on the one before it ("This
// means…", "It is…"): shown alone it would not make sense.
func refers(s string) bool {
	w, _, _ := strings.Cut(s, " ")
	switch strings.Trim(w, ",") {
	case "This", "That", "These", "Those", "It", "They", "Then", "Otherwise", "However", "Instead", "So":
		return true
	}
	return false
}

// opener is a code block's opening line as an answer shows it: its
// fence (at its indent), as chat/markdown reads it, and the info string's
// first word, the language. Hugo's and others' attributes
// (```yaml {file="hugo.yaml" copy=true}, ~~~go{linenos=true}) are the
// site's, and a chat shows an info string with spaces as a line of code.
// A first line that opens no code block is kept as it is.
func opener(code, first string) string {
	d := markdown.Parse(code)
	if len(d.Code) == 0 || d.Code[0].Start != 0 {
		return first
	}
	c := d.Code[0]
	lang, _, _ := strings.Cut(c.Lang, "{")
	return c.Prefix + c.Marker + lang
}

// boundCode keeps a code block to extractCodeLines lines and about
// extractCodeBytes bytes, cut at a line, its fence closed.
func boundCode(code string) string {
	lines := strings.Split(code, "\n")
	if len(lines) < 2 {
		return code
	}
	lines[0] = opener(code, lines[0])
	open, body, closing := lines[0], lines[1:len(lines)-1], lines[len(lines)-1]
	size, n := 0, 0
	for n < len(body) && n < extractCodeLines && size+len(body[n])+1 <= extractCodeBytes {
		size += len(body[n]) + 1
		n++
	}
	if n == len(body) {
		return strings.Join(lines, "\n")
	}
	kept := append([]string{open}, body[:n]...)
	return strings.Join(append(kept, "…", closing), "\n")
}

// plainLinks keeps the text of links to relative addresses (another page
// of the docs, as the file names it) and of reference links, and drops
// images, footnote marks and GitHub's alert marks ("[!NOTE]"): in a chat
// message they would lead nowhere.
func plainLinks(s string) string {
	s = relLink.ReplaceAllStringFunc(s, func(m string) string {
		sub := relLink.FindStringSubmatch(m)
		if sub[1] == "!" {
			return ""
		}
		if strings.Contains(sub[3], "://") || strings.HasPrefix(sub[3], "mailto:") {
			return m
		}
		return sub[2]
	})
	s = refLink.ReplaceAllString(s, "$1")
	return strings.TrimSpace(marks.ReplaceAllString(s, ""))
}

// parter gives the parts of a long section; *knowledge.Index implements
// it.
type parter interface {
	Parts(id string) []knowledge.Passage
}

// shownText is the text of a found passage that an answer is taken from.
// A part of a long section can start inside a code block that an earlier
// part opens (a long workflow file), and alone it would read as prose:
// the text shown is then the code block from where it opens, after the
// text before it in the section, when that is in the part before.
func shownText(s Searcher, h knowledge.Hit) string {
	p, ok := s.(parter)
	if !ok || h.Source != knowledge.SourceDocs {
		return h.Text
	}
	parts := p.Parts(h.ID)
	open, openedIn, openedFirst := "", -1, false
	for i, part := range parts {
		if part.ID == h.ID {
			if open == "" {
				return h.Text
			}
			text := parts[openedIn].Text
			if openedFirst && openedIn > 0 {
				text = parts[openedIn-1].Text + "\n\n" + text
			}
			return text
		}
		// A part that goes on with a code block is read after its fence.
		prefix := ""
		if open != "" {
			prefix = open + "\n"
		}
		switch c := markdown.Parse(prefix + part.Text).OpenAtEnd(); {
		case c == nil:
			open = ""
		case open == "" || c.Start >= len(prefix): // opened in this part
			open, openedIn, openedFirst = c.Marker, i, c.Start == len(prefix)
		}
	}
	return h.Text
}

// sectionTitle is how a passage is named for members: its heading path,
// else its page's title.
func sectionTitle(h knowledge.Hit) string {
	if h.Heading != "" && h.Heading != h.Title {
		return h.Heading
	}
	return h.Title
}

// page is a link without its anchor: the page a section is on.
func page(link string) string {
	p, _, _ := strings.Cut(link, "#")
	return p
}

// fromDocs answers from the passages found: the part of the best one
// that answers the question, its link, and one or two other sections
// worth reading, from other pages first. shown is the best one's text to
// take the answer from (see shownText). A hedged answer first says that
// it is only the closest found.
func fromDocs(lang string, q queryWeights, hits []knowledge.Hit, shown string, hedged bool) string {
	best := hits[0]
	var sb strings.Builder
	if hedged {
		sb.WriteString(phrase(lang).hedge + "\n\n")
	}
	if best.Source == knowledge.SourceThread {
		// An earlier question, answered: its link names the conversation.
		fmt.Fprintf(&sb, capitalise(phrase(lang).askedBefore), best.Link, snippet(best.Title, 120))
		sb.WriteString(" — " + extract(shown, q))
	} else {
		sb.WriteString(extract(shown, q))
		sb.WriteString("\n\n")
		fmt.Fprintf(&sb, phrase(lang).more, sectionTitle(best), best.Link)
	}
	var others, samePage []knowledge.Hit
	seen := map[string]bool{best.Link: true}
	for _, h := range hits[1:] {
		if seen[h.Link] { // another part of a section already named
			continue
		}
		seen[h.Link] = true
		if h.Source != knowledge.SourceThread && page(h.Link) == page(best.Link) {
			samePage = append(samePage, h)
		} else {
			others = append(others, h)
		}
	}
	others = append(others, samePage...)
	if len(others) > 2 {
		others = others[:2]
	}
	if len(others) > 0 {
		var links []string
		for _, h := range others {
			if h.Source == knowledge.SourceThread {
				links = append(links, fmt.Sprintf(phrase(lang).askedBefore, h.Link, snippet(h.Title, 80)))
				continue
			}
			links = append(links, fmt.Sprintf("[%s](%s)", sectionTitle(h), h.Link))
		}
		sb.WriteString("\n" + phrase(lang).seeAlso + strings.Join(links, " · "))
	}
	return sb.String()
}

// answerPhrases are the words around an answer from the docs, and of
// the answer when nothing answers.
type answerPhrases struct {
	more, seeAlso, askedBefore, hedge   string
	dontKnow, closest, meant            string
	sep, stop, question, human, humanAt string
}

var answerText = map[string]answerPhrases{
	"": {more: "More in [%s](%s)", seeAlso: "See also: ", askedBefore: "asked before in %s: “%s”",
		hedge:    "I'm not sure this answers it; the closest I found:",
		dontKnow: "I don't know the answer to that", closest: " The closest I found in the docs: ", meant: " Or did you mean: ",
		sep: "; ", stop: ".", question: "?",
		human: " You can rephrase, or ask a human in the channel.", humanAt: " You can rephrase, or ask a human: %s"},
	"zh": {more: "详见 [%s](%s)", seeAlso: "另见：", askedBefore: "之前在 %s 问过：“%s”",
		hedge:    "我不确定这是否回答了你的问题，这是我找到的最接近的内容：",
		dontKnow: "这个问题我不知道答案", closest: "文档中最接近的内容：", meant: "你是想问：",
		sep: "；", stop: "。", question: "？",
		human: "也可以换个说法再问一次，或在频道里问问大家。", humanAt: "也可以换个说法再问一次，或问问大家：%s"},
}

// capitalise upper-cases the first letter of s, to start a sentence.
func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

func phrase(lang string) answerPhrases {
	if p, ok := answerText[lang]; ok {
		return p
	}
	return answerText[""]
}

// closest returns up to two sections the search ranks first although
// none passed the decision, each holding a word of the question that
// the docs use sparingly (in at most a tenth of the passages): related
// to the question, if not sure to answer it. On the dev questions of the
// three real docs sets that fell below the cut, these two held the
// section that answers a third of the time.
func (b *Brain) closest(text string, q queryWeights, at chat.Place) []knowledge.Hit {
	if b.cfg.Knowledge == nil {
		return nil
	}
	var out []knowledge.Hit
	seen := map[string]bool{}
	for _, h := range b.cfg.Knowledge.Search(text, 3, at) {
		if seen[h.Link] || !q.telling(h.Title+"\n"+h.Heading+"\n"+h.Text) {
			continue
		}
		seen[h.Link] = true
		out = append(out, h)
		if len(out) == 2 {
			break
		}
	}
	return out
}

// relatedIntents returns the likeliest intents that the classifier ties
// to the question: an intent at least half-way to sure (half its
// threshold), and a word of the question that tells it apart: its
// patterns use the word, few other intents' do, and the docs do not use
// it everywhere (in more than a tenth of the passages: "task" in a task
// runner's docs is what the docs are about, not a sign of the "good
// first task" intent). A softmax always has a top three: an intent the
// question's words do not point to is not offered. (Asking the
// classifier which words pushed toward it, as Explain does, costs a
// forward pass per word: seconds for a long message.)
func (b *Brain) relatedIntents(text string, res classifier.Result) []string {
	if res.Known == 0 {
		return nil
	}
	w, _ := b.cfg.Knowledge.(weigher)
	toks := tokenize.Tokens(nil, text)
	var out []string
	for _, s := range res.Top {
		if threshold, _ := b.limits(s.Label); s.P < min(threshold, 1)/2 {
			continue
		}
		for _, t := range toks {
			if b.distinct[s.Label][t.Text] && (w == nil || w.IDF(t.Text) >= commonInDocs) {
				out = append(out, s.Label)
				break
			}
		}
	}
	return out
}

// commonInDocs is the IDF of a word in a tenth of the passages (and
// questions of the background): log(1 + 9) for a large index.
var commonInDocs = math.Log(10)

// distinctWords returns, for each intent, the words of its patterns that
// few intents' patterns use (at most a tenth of them, and two): the
// words that tell it apart, not those every question uses.
func distinctWords(intents map[string]*compiledIntent) map[string]map[string]bool {
	uses := map[string]map[string]bool{} // word → intents
	for name, in := range intents {
		for _, p := range in.Patterns {
			for _, t := range tokenize.Tokens(nil, p) {
				if uses[t.Text] == nil {
					uses[t.Text] = map[string]bool{}
				}
				uses[t.Text][name] = true
			}
		}
	}
	most := max(2, len(intents)/10)
	out := map[string]map[string]bool{}
	for word, names := range uses {
		if len(names) > most {
			continue
		}
		for name := range names {
			if out[name] == nil {
				out[name] = map[string]bool{}
			}
			out[name][word] = true
		}
	}
	return out
}

// helpLinks are the config's links, in order of preference, where a
// member finds a human to ask.
var helpLinks = []string{"help_channel", "discussions", "community", "chat", "forum"}

// doNotKnow is the honest answer when neither an intent nor the docs
// answer: the sections closest to the question and the intents related
// to its words, when there are any, and where to ask a human.
func (b *Brain) doNotKnow(lang, member string, known bool, closest []knowledge.Hit, offers []string) string {
	p := phrase(lang)
	var sb strings.Builder
	if !known && len(closest) == 0 {
		u := unsure[lang]
		if _, ok := unsure[lang]; !ok {
			u = unsure[""]
		}
		sb.WriteString(u.lead)
		if member != "" && u.named != "" {
			fmt.Fprintf(&sb, u.named, member)
		}
		sb.WriteString(u.unknown)
	} else {
		sb.WriteString(p.dontKnow)
		if member != "" && lang == "" {
			sb.WriteString(", " + member)
		}
		sb.WriteString(p.stop)
	}
	if len(closest) > 0 {
		var links []string
		for _, h := range closest {
			if h.Source == knowledge.SourceThread {
				links = append(links, fmt.Sprintf(p.askedBefore, h.Link, snippet(h.Title, 80)))
				continue
			}
			links = append(links, fmt.Sprintf("[%s](%s)", sectionTitle(h), h.Link))
		}
		sb.WriteString(p.closest + strings.Join(links, " · ") + p.stop)
	}
	if len(offers) > 0 {
		sb.WriteString(p.meant + strings.Join(offers, p.sep) + p.question)
	}
	for _, name := range helpLinks {
		if link := b.cfg.Links[name]; link != "" {
			sb.WriteString(fmt.Sprintf(p.humanAt, link))
			return sb.String()
		}
	}
	sb.WriteString(p.human)
	return sb.String()
}
