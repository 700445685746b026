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

// Finding is one secret found: its kind and its byte range in the original
// text. Kinds: "github-token", "slack-token", "slack-webhook",
// "discord-token", "discord-webhook", "openai-key", "anthropic-key",
// "aws-access-key", "aws-secret-key", "google-api-key", "jwt",
// "private-key", "url-password", "auth-header", "password-setting" (the key
// names a password), "secret-setting" (a token, secret or key), "email",
// and the provider kinds of tokens.go ("gitlab-token", "stripe-key",
// "npm-token"…) and rules.go ("azure-secret", "teams-webhook"…).
type Finding struct {
	Kind       string
	Start, End int
}

// Redact returns text with every secret replaced by "[redacted <kind>]", and
// what it found, in text order, non-overlapping. Passwords in URLs and in
// settings keep the rest readable: https://user:[redacted password]@host/path,
// password=[redacted password], token=[redacted secret]. Text with nothing
// to redact comes back as it is, with no copy made.
func Redact(text string) (string, []Finding) {
	found := find(text)
	if len(found) == 0 {
		return text, nil
	}
	out := replace(text, found)
	// A candidate next to a secret may have been turned down because of a
	// byte of that secret ("...-----END PRIVATE KEY-----ghp_..."); with the
	// secret replaced it stands alone. Look again until nothing new turns
	// up, so that redacting the output changes nothing.
	for range 3 {
		more := find(out)
		if len(more) == 0 {
			break
		}
		found = join(found, back(found, more))
		out = replace(text, found)
	}
	return out, found
}

// replace puts each finding's placeholder in place of its bytes.
func replace(text string, found []Finding) string {
	var b strings.Builder
	b.Grow(len(text) + 16*len(found))
	prev := 0
	for _, f := range found {
		b.WriteString(text[prev:f.Start])
		b.WriteString(placeholder(f.Kind))
		prev = f.End
	}
	b.WriteString(text[prev:])
	return b.String()
}

// back maps findings in replace(text, found) to ranges of text: a range
// touching a placeholder takes in all that the placeholder stands for. Both
// lists are in order, so one walk does it.
func back(found, more []Finding) []Finding {
	k, shift := 0, 0 // found[k] is the next placeholder; shift = output - original before it
	origin := func(x int, end bool) int {
		for ; k < len(found); k++ {
			f := found[k]
			outStart := f.Start + shift
			outEnd := outStart + len(placeholder(f.Kind))
			switch {
			case x < outStart || x == outStart && end:
				return x - shift
			case x < outEnd || x == outEnd && end:
				if end {
					return f.End
				}
				return f.Start
			}
			shift = outEnd - f.End
		}
		return x - shift
	}
	mapped := make([]Finding, 0, len(more))
	for _, m := range more {
		start := origin(m.Start, false)
		mapped = append(mapped, Finding{m.Kind, start, origin(m.End, true)})
	}
	return mapped
}

// join merges two sorted lists of findings, joining overlapping ranges under
// the kind of the one that starts first.
func join(a, b []Finding) []Finding {
	all := append(append(make([]Finding, 0, len(a)+len(b)), a...), b...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].Start < all[j].Start })
	out := all[:0]
	for _, f := range all {
		if n := len(out); n > 0 && f.Start < out[n-1].End {
			out[n-1].End = max(out[n-1].End, f.End)
			continue
		}
		out = append(out, f)
	}
	return out
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

// findings collects what the rules report.
type findings struct {
	all  []candidate
	rank int // of the rule now scanning
}

func (f *findings) add(start, end int, kind string) {
	f.all = append(f.all, candidate{Finding{kind, start, end}, f.rank})
}

// find runs every rule whose cheap pre-check passes and merges what they
// found: overlapping ranges are joined, so no byte any rule claimed survives,
// and the earliest-starting, most specific rule gives the kind.
func find(text string) []Finding {
	s := measure(text)
	var found *findings // only made when some rule has a look
	for rank, r := range rules {
		if r.gate(text, s) {
			if found == nil {
				found = new(findings)
			}
			found.rank = rank
			r.scan(text, found)
		}
	}
	if found == nil || len(found.all) == 0 {
		return nil
	}
	cands := found.all
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
	rare       bool // '~', '|', '%' or '<', which few rules need
	dashU      bool // "-u", as in curl -u and --user
}

func measure(text string) (s sketch) {
	run := 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		if isTokenByte(c) {
			if c == '-' && i+1 < len(text) && text[i+1] == 'u' {
				s.dashU = true
			}
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
		case '~', '|', '%', '<':
			s.rare = true
		}
	}
	return s
}

// isTokenByte reports whether c is one of the base64url alphabet, which every
// token format here is written in: letters, digits, '-' and '_'.
func isTokenByte(c byte) bool { return tokenBytes[c] }

// tokenBytes: a table, as isTokenByte runs for every byte of every message.
var tokenBytes = func() (t [256]bool) {
	for c := range 256 {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
	}
	return t
}()

// anyCase holds a word as written in lower case, Title case and upper case.
type anyCase [3]string

func cases(lower string) anyCase {
	return anyCase{lower, strings.ToUpper(lower[:1]) + lower[1:], strings.ToUpper(lower)}
}

// in reports whether s contains the word in one of its three cases (a
// pre-check only: "BeArEr" is not worth a slower search).
func (w anyCase) in(s string) bool {
	return strings.Contains(s, w[0]) || strings.Contains(s, w[1]) || strings.Contains(s, w[2])
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
