package chat

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// AskedBeforeIn starts the line that leads an answer found in an earlier
// thread, and the lines that list earlier threads among the passages of an
// answer from the docs.
const AskedBeforeIn = "Asked before in "

// askedBeforeZh starts the Chinese lead.
const askedBeforeZh = "之前在 "

// AskedBeforeLead is the line put ahead of an answer found in an earlier
// thread: where it was asked (link) and its question, cut to one line.
func AskedBeforeLead(lang, link, question string) string {
	if lang == "zh" {
		return fmt.Sprintf("%s%s 问过：“%s”\n\n", askedBeforeZh, link, Clip(question, 80))
	}
	return fmt.Sprintf("%s%s: “%s”\n\n", AskedBeforeIn, link, Clip(question, 80))
}

// WithoutLead is an answer's text without the asked-before line, for what
// is kept of it: the thread's answer in the search, a promoted response.
func WithoutLead(text string) string {
	if strings.HasPrefix(text, AskedBeforeIn) || strings.HasPrefix(text, askedBeforeZh) {
		if _, rest, ok := strings.Cut(text, "\n\n"); ok {
			return rest
		}
	}
	return text
}

// Clip cuts s to at most n bytes at a word boundary, marking the cut with
// an ellipsis, for short labels. Text without spaces (Chinese) is cut
// between characters, never inside one: half a character is not UTF-8,
// and the store refuses it.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n-1], ' ')
	if cut <= 0 {
		cut = n - 1
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
	}
	return s[:cut] + "…"
}
