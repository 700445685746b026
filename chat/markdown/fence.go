package markdown

import "strings"

// OpenFence says whether line, alone at the start of a line, opens a
// fenced code block, and returns its marker: up to three spaces, three or
// more backticks or tildes, and after backticks an info string without
// any. For text a CommonMark parser does not read as Markdown (a MkDocs
// admonition's indented body, an HTML block the page's own renderer
// opens); anywhere else, Parse says where code blocks are.
func OpenFence(line string) (marker string, ok bool) {
	s, ok := CutIndent(line)
	if !ok || len(s) < 3 || s[0] != '`' && s[0] != '~' {
		return "", false
	}
	n := 0
	for n < len(s) && s[n] == s[0] {
		n++
	}
	if n < 3 || s[0] == '`' && strings.IndexByte(s[n:], '`') >= 0 {
		return "", false
	}
	return s[:n], true
}

// ClosesFence says whether line, alone at the start of a line, closes a
// code block OpenFence opened with marker: up to three spaces, at least
// as many of the marker's character, and nothing but spaces after.
func ClosesFence(line, marker string) bool {
	s, ok := CutIndent(line)
	if !ok || marker == "" {
		return false
	}
	n := 0
	for n < len(s) && s[n] == marker[0] {
		n++
	}
	return n >= len(marker) && strings.Trim(s[n:], " \t") == ""
}

// CutIndent removes up to three leading spaces; ok is false for more,
// which make an indented code block, not a heading or a fence.
func CutIndent(line string) (string, bool) {
	n := 0
	for n < len(line) && line[n] == ' ' {
		n++
	}
	if n > 3 {
		return "", false
	}
	return line[n:], true
}
