// Package redact finds secrets in a member's text (API keys and tokens of
// well-known formats, private keys, passwords in URLs and settings, email
// addresses) and replaces them with placeholders, so that they reach neither
// an LLM nor the store.
//
// Detection favours precision: each provider's documented shape, checked at
// word boundaries, and for the shapes that ordinary text can take by chance
// (dotted base64, settings) a check of the content as well.
package redact

import (
	"sort"
	"strings"
)

// Finding is one secret found: its kind ("github-token", "slack-token",
// "discord-token", "openai-key", "aws-access-key", "aws-secret-key",
// "google-api-key", "jwt", "private-key", "url-password", "password-setting",
// "email", ...) and its byte range in the original text.
type Finding struct {
	Kind       string
	Start, End int
}

// Redact returns text with every secret replaced by "[redacted <kind>]", and
// what it found, in text order, non-overlapping. Passwords in URLs and in
// settings keep the rest readable: https://user:[redacted password]@host/path,
// password=[redacted password]. Text with nothing to redact is returned as it
// is, without allocating.
func Redact(text string) (string, []Finding) {
	found := find(text)
	if len(found) == 0 {
		return text, nil
	}
	var b strings.Builder
	b.Grow(len(text) + 16*len(found))
	prev := 0
	for _, f := range found {
		b.WriteString(text[prev:f.Start])
		b.WriteString(placeholder(f.Kind))
		prev = f.End
	}
	b.WriteString(text[prev:])
	return b.String(), found
}

// placeholder is what replaces a secret of the given kind.
func placeholder(kind string) string {
	switch kind {
	case "url-password", "password-setting":
		return "[redacted password]"
	case "secret-setting":
		return "[redacted secret]"
	}
	return "[redacted " + kind + "]"
}

// candidate is a finding with the rank of the rule that made it, so that when
// two rules claim the same bytes the more specific one names them.
type candidate struct {
	Finding
	rank int
}

// find runs every rule whose cheap pre-check passes and merges what they
// found: overlapping ranges are joined, so no byte any rule claimed survives,
// and the earliest-starting, most specific rule gives the kind.
func find(text string) []Finding {
	var s sketch
	s.measure(text)
	var cands []candidate
	for rank, r := range rules {
		if !r.gate(text, &s) {
			continue
		}
		r.scan(text, func(start, end int, kind string) {
			cands = append(cands, candidate{Finding{kind, start, end}, rank})
		})
	}
	if len(cands) == 0 {
		return nil
	}
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.Start != b.Start {
			return a.Start < b.Start
		}
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		return a.End > b.End
	})
	out := make([]Finding, 0, len(cands))
	for _, c := range cands {
		if n := len(out); n > 0 && c.Start < out[n-1].End {
			out[n-1].End = max(out[n-1].End, c.End)
			continue
		}
		out = append(out, c.Finding)
	}
	return out
}

// sketch is what one pass over the text tells the pre-checks: the longest run
// of token characters, and whether a few telling bytes occur at all. Most
// questions hold no run long enough for any token and skip those rules.
type sketch struct {
	longestRun int
	at, equals bool // '@', and '=' or ':'
}

func (s *sketch) measure(text string) {
	run := 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		if isTokenByte(c) {
			run++
			s.longestRun = max(s.longestRun, run)
			continue
		}
		run = 0
		switch c {
		case '@':
			s.at = true
		case '=', ':':
			s.equals = true
		}
	}
}

// isTokenByte reports whether c is one of the base64url alphabet, which every
// token format here is written in: letters, digits, '-' and '_'.
func isTokenByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// containsFold reports whether s contains needle, ignoring ASCII case;
// needle must be lower case. It does not allocate, unlike strings.ToLower.
func containsFold(s, needle string) bool {
	n := len(needle)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for j < n && lower(s[i+j]) == needle[j] {
			j++
		}
		if j == n {
			return true
		}
	}
	return false
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
