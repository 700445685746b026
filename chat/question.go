package chat

import (
	"strings"
	"unicode"
)

// questionWords start a message that reads as a question.
var questionWords = map[string]bool{
	"how": true, "what": true, "why": true, "when": true, "where": true, "which": true,
	"who": true, "whom": true, "whose": true,
	"can": true, "could": true, "should": true, "would": true, "will": true,
	"does": true, "do": true, "did": true, "is": true, "are": true, "was": true, "were": true,
	"has": true, "have": true,
	"any": true, "anyone": true, "anybody": true, "someone": true, "somebody": true,
}

// IsQuestion is the one rule for whether a message reads as a question,
// which adapters use to answer in help channels without being mentioned:
// it ends with a question mark (ASCII or full-width "？"), or its first
// word, in any case and without trailing punctuation, is one of how, what,
// why, when, where, which, who, whom, whose, can, could, should, would,
// will, does, do, did, is, are, was, were, has, have, any, anyone, anybody,
// someone, somebody.
func IsQuestion(text string) bool {
	t := strings.TrimSpace(text)
	if strings.HasSuffix(t, "?") || strings.HasSuffix(t, "？") {
		return true
	}
	words := strings.Fields(t)
	if len(words) == 0 {
		return false
	}
	first := strings.TrimRightFunc(strings.ToLower(words[0]), func(r rune) bool { return !unicode.IsLetter(r) })
	return questionWords[first]
}
