package exchange

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxName is the longest name, in bytes, taken as an address: IRC nicks
// are short, and Slack and Discord display names rarely pass 32 runes.
const maxName = 64

// NickKey is the form of a name that addressing compares: lower case,
// without what IRC clients add to a nick when it is taken or its owner is
// away. In order: everything from the first '|' is cut ("tdonohue|away"),
// then trailing '_', '`', '^', '-' and digits ("kstamatis__", "mwood2"),
// then it is lowercased. A name that is nothing but those ("__", "42")
// keeps its lowercased self, so that it still names someone.
func NickKey(name string) string {
	name = strings.TrimSpace(name)
	if i := strings.IndexByte(name, '|'); i > 0 {
		name = name[:i]
	}
	trimmed := strings.TrimRightFunc(name, func(r rune) bool {
		return r == '_' || r == '`' || r == '^' || r == '-' || unicode.IsDigit(r)
	})
	if trimmed == "" {
		trimmed = name
	}
	return strings.ToLower(trimmed)
}

// Address is the name a message is addressed to, as written, by the chat
// conventions: "nick: text", "nick, text", "nick -- text", "nick - text",
// "@nick text" (also "@nick:"),
// or a platform mention first ("<@U123> text", "<@!123> text", whose ID
// comes back in id). A comma needs text after it, so that "yes, ..." is
// only an address when "yes" is somebody's name (which the Detector
// checks against the members it saw). ok is false when the message is not
// addressed.
func Address(text string) (name, id string, ok bool) {
	t := strings.TrimLeft(text, " \t")
	if strings.HasPrefix(t, "<@") {
		end := strings.IndexByte(t, '>')
		if end < 0 {
			return "", "", false
		}
		id = strings.TrimPrefix(t[2:end], "!")
		if id == "" || strings.HasPrefix(id, "&") || len(id) > maxName || strings.ContainsAny(id, " \t\n<@") {
			return "", "", false
		}
		return "", id, true
	}
	at := strings.HasPrefix(t, "@")
	if at {
		t = t[1:]
	}
	end := strings.IndexFunc(t, func(r rune) bool { return r == ':' || r == ',' || unicode.IsSpace(r) })
	if end <= 0 || end > maxName {
		if at && end < 0 && t != "" && len(t) <= maxName {
			return nickOnly(t)
		}
		return "", "", false
	}
	name, rest := t[:end], t[end:]
	r, _ := utf8.DecodeRuneInString(rest)
	switch {
	case r == ':':
		// "nick: text" or "nick:" alone; not "http://..." nor "12:30".
		after := rest[1:]
		if after != "" && !strings.HasPrefix(after, " ") && !strings.HasPrefix(after, "\t") {
			return "", "", false
		}
	case r == ',':
		if strings.TrimSpace(rest[1:]) == "" {
			return "", "", false
		}
	default: // a space: "@nick text", or IRC's "nick -- text"
		if !at && !strings.HasPrefix(rest, " -- ") && !strings.HasPrefix(rest, " - ") {
			return "", "", false
		}
	}
	return nickOnly(name)
}

// nickOnly accepts name as a nick if it looks like one: letters, digits
// and the few marks IRC, Slack and Discord names carry.
func nickOnly(name string) (string, string, bool) {
	if name == "" || !utf8.ValidString(name) {
		return "", "", false
	}
	letter := false
	for _, r := range name {
		switch {
		case unicode.IsLetter(r):
			letter = true
		case unicode.IsDigit(r), strings.ContainsRune("_-|`^[]{}\\.", r):
		default:
			return "", "", false
		}
	}
	if !letter {
		return "", "", false
	}
	return name, "", true
}
