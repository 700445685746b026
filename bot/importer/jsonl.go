package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Line is one message of a JSONL history: one JSON object a line, as in
// the DuraSpace IRC history (`{time, channel, author, text}`, with `kind`
// "message" or "action", `bot` on the channel's bots and `via` on
// messages a bridge relayed).
type Line struct {
	Time    time.Time `json:"time"`
	Channel string    `json:"channel"`
	Author  string    `json:"author"`
	Text    string    `json:"text"`
	Kind    string    `json:"kind"`
	Bot     bool      `json:"bot"`
	Via     string    `json:"via"`
}

// maxLine bounds one line of a JSONL history; a longer one is skipped as
// unreadable rather than held whole in memory.
const maxLine = 1 << 20

// ParseLine reads one line of a JSONL history. A line it cannot use (not
// JSON, no time, channel or author, a kind it does not know, text that is
// not UTF-8) is an error saying why; it never panics.
func ParseLine(b []byte) (Line, error) {
	var l Line
	if err := json.Unmarshal(b, &l); err != nil {
		var te *time.ParseError
		if errors.As(err, &te) {
			return Line{}, fmt.Errorf("time: %w", err)
		}
		return Line{}, fmt.Errorf("not a JSON object: %w", err)
	}
	switch {
	case l.Time.IsZero():
		return Line{}, errors.New("no time")
	case l.Time.Year() < 1 || l.Time.Year() > 9999:
		return Line{}, fmt.Errorf("time %v is out of range", l.Time)
	case strings.TrimSpace(l.Channel) == "":
		return Line{}, errors.New("no channel")
	case strings.TrimSpace(l.Author) == "":
		return Line{}, errors.New("no author")
	case l.Kind != "" && l.Kind != "message" && l.Kind != "action":
		return Line{}, fmt.Errorf("kind %q is neither message nor action", l.Kind)
	case strings.IndexByte(l.Channel, 0) >= 0 || strings.IndexByte(l.Author, 0) >= 0:
		return Line{}, errors.New("a NUL byte in the channel or author")
	case len(l.Channel) > 1024 || len(l.Author) > 1024:
		return Line{}, errors.New("the channel or author is longer than 1024 bytes")
	case !utf8.ValidString(l.Text):
		return Line{}, errors.New("the text is not UTF-8")
	}
	l.Time = l.Time.UTC()
	return l, nil
}

// StoredText is what the line says, as stored: an action (`/me grins`) keeps
// its /me, so that it reads as one.
func (l Line) StoredText() string {
	if l.Kind == "action" {
		return "/me " + l.Text
	}
	return l.Text
}
