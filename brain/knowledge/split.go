package knowledge

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// section is the part of a Markdown document under one heading.
type section struct {
	// headings is the heading path, outermost first: the document's title
	// (its level-1 heading) and each heading down to this section's own.
	// It is empty for text before the first heading.
	headings []string
	// anchor is the GitHub anchor of the section's own heading, "" for
	// text before the first heading.
	anchor string
	// parts are the section's text in pieces of bounded size (one piece
	// for most sections), never empty.
	parts []string
}

// markdown is a Markdown document split into sections.
type markdown struct {
	title    string // the first heading when it is of level 1, else ""
	sections []section
}

// splitMarkdown splits a Markdown document at its ATX headings ("#" to
// "######", not inside fenced code blocks), skipping YAML front matter.
// Sections without text are left out. Texts longer than maxBytes are cut
// at paragraph boundaries (see chunk). It accepts any input.
func splitMarkdown(src string, maxBytes int) markdown {
	src = normalise(src)
	src = skipFrontMatter(src)

	var (
		doc     markdown
		stack   []heading // the open headings, outermost first
		cur     section
		body    []string
		anchors = slugger{}
		fence   fenceMark
		first   = true // no heading seen yet
	)
	flush := func() {
		text := strings.TrimSpace(strings.Join(body, "\n"))
		body = body[:0]
		if text == "" {
			return
		}
		cur.parts = chunk(text, maxBytes)
		doc.sections = append(doc.sections, cur)
	}
	for line := range strings.SplitSeq(src, "\n") {
		if fence.char != 0 {
			body = append(body, line)
			if fence.closedBy(line) {
				fence = fenceMark{}
			}
			continue
		}
		if f, ok := openFence(line); ok {
			fence = f
			body = append(body, line)
			continue
		}
		level, raw, ok := atxHeading(line)
		if !ok {
			body = append(body, line)
			continue
		}
		flush()
		text := headingText(raw)
		if first && level == 1 {
			doc.title = text
		}
		first = false
		for len(stack) > 0 && stack[len(stack)-1].level >= level {
			stack = stack[:len(stack)-1]
		}
		stack = append(stack, heading{level, text})
		path := make([]string, len(stack))
		for i, h := range stack {
			path[i] = h.text
		}
		cur = section{headings: path, anchor: anchors.slug(text)}
	}
	flush()
	return doc
}

type heading struct {
	level int
	text  string
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

// skipFrontMatter drops a leading YAML block between "---" lines. Without
// a closing line there is no front matter: the text is kept.
func skipFrontMatter(s string) string {
	first, rest, ok := strings.Cut(s, "\n")
	if !ok || strings.TrimRight(first, " \t") != "---" {
		return s
	}
	for off := 0; off < len(rest); {
		line, _, _ := strings.Cut(rest[off:], "\n")
		next := off + len(line) + 1
		if l := strings.TrimRight(line, " \t"); l == "---" || l == "..." {
			if next > len(rest) {
				return ""
			}
			return rest[next:]
		}
		off = next
	}
	return s
}

// atxHeading recognises "## Text ##": up to three spaces, one to six "#",
// then a space, a tab or the end of the line. The closing "#"s are dropped.
func atxHeading(line string) (level int, text string, ok bool) {
	s, ok := cutIndent(line)
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

// cutIndent removes up to three leading spaces; ok is false for more,
// which make an indented code block, not a heading or a fence.
func cutIndent(line string) (string, bool) {
	n := 0
	for n < len(line) && line[n] == ' ' {
		n++
	}
	if n > 3 {
		return "", false
	}
	return line[n:], true
}

// fenceMark is an open fenced code block: its character and length.
type fenceMark struct {
	char byte // '`' or '~'; 0 when no block is open
	n    int
}

func openFence(line string) (fenceMark, bool) {
	s, ok := cutIndent(line)
	if !ok || len(s) < 3 || (s[0] != '`' && s[0] != '~') {
		return fenceMark{}, false
	}
	n := 0
	for n < len(s) && s[n] == s[0] {
		n++
	}
	if n < 3 || (s[0] == '`' && strings.IndexByte(s[n:], '`') >= 0) {
		return fenceMark{}, false
	}
	return fenceMark{char: s[0], n: n}, true
}

func (f fenceMark) closedBy(line string) bool {
	s, ok := cutIndent(line)
	if !ok {
		return false
	}
	n := 0
	for n < len(s) && s[n] == f.char {
		n++
	}
	return n >= f.n && strings.Trim(s[n:], " \t") == ""
}

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
// block is a block of its own.
func blocks(text string) []block {
	var (
		out   []block
		lines []string
		fence fenceMark
	)
	end := func(code bool) {
		if s := strings.Trim(strings.Join(lines, "\n"), "\n"); strings.TrimSpace(s) != "" {
			out = append(out, block{text: s, code: code})
		}
		lines = lines[:0]
	}
	for line := range strings.SplitSeq(text, "\n") {
		switch {
		case fence.char != 0:
			lines = append(lines, line)
			if fence.closedBy(line) {
				fence = fenceMark{}
				end(true)
			}
		case strings.TrimSpace(line) == "":
			end(false)
		default:
			if f, ok := openFence(line); ok {
				end(false)
				fence = f
			}
			lines = append(lines, line)
		}
	}
	end(fence.char != 0)
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
