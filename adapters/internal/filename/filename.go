// Package filename makes the name of a file sent with an answer safe to
// use on a platform and on disk: the adapters share it so that a name
// written by the bot (or, through it, by a member) never chooses a folder.
package filename

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fallback names a file whose name has nothing usable left.
const Fallback = "docent-file"

// maxBytes bounds a name: file systems take 255 bytes, and a suffix such
// as "-12" may still be added to make it unique.
const maxBytes = 120

// Safe returns name without any folder: only what follows its last '/' or
// '\', without control characters or characters Windows refuses, without
// "..", without leading or trailing dots and spaces (hidden files, Windows
// quirks), not a Windows device name, and at most 120 bytes with its
// extension kept. A name with nothing left becomes Fallback.
func Safe(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), strings.ContainsRune(`<>:"|?*`, r):
			return '_'
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	for strings.Contains(name, "..") {
		name = strings.ReplaceAll(name, "..", ".")
	}
	name = strings.Trim(name, ". ")
	if name == "" {
		return Fallback
	}
	stem, ext := split(name)
	stem = strings.TrimRight(stem, ". ")
	if first, _, _ := strings.Cut(stem, "."); reserved(strings.TrimRight(first, " ")) {
		stem = "_" + stem
	}
	if len(stem)+len(ext) > maxBytes {
		if len(ext) > maxBytes/2 {
			ext = ""
		}
		stem = truncate(stem, maxBytes-len(ext))
	}
	return stem + ext
}

// split cuts name into its stem and its extension ("report", ".json"); a
// name without a dot, or with only a leading one, has no extension.
func split(name string) (stem, ext string) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 {
		return name, ""
	}
	return name[:i], name[i:]
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.TrimRight(s[:n], ". ")
}

// reserved reports whether stem is a device name on Windows ("nul",
// "COM1"), which Windows also sees in "NUL.tar.gz".
func reserved(stem string) bool {
	switch strings.ToUpper(stem) {
	case "CON", "PRN", "AUX", "NUL",
		"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		return true
	}
	return false
}
