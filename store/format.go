package store

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/docent-bot/docent/chat"
)

// formatV2 is the first byte of a record value in the binary format that
// schema 2 writes. A format 1 value is JSON and starts with '{', so the
// first byte tells the two apart.
const formatV2 = 2

// The flags after the version (a uvarint: one byte for a member's
// message) say which of a record's optional fields follow, in this order.
const (
	flagAnswer    = 1 << iota // the record is an answer (else a message)
	flagName                  // the author's name differs from their ID, and follows it
	flagSpace                 // space
	flagPlatform              // the platform's message ID
	flagReplyTo               // ReplyTo
	flagAnswered              // source, intent and confidence
	flagRepliesTo             // RepliesTo
	flagReactions             // reactions
	flagBot                   // the author is a bot (no field follows)
	// flagPlatformAt, with flagPlatform: the platform's message ID begins
	// with the channel and the time (platformAt), and only the rest is
	// stored. An imported line's ID has this form ("#dspace
	// 2018-07-25T15:55:00Z 1", bot/importer): 32 bytes of the DuraSpace
	// history's 338 a message were these two fields again.
	flagPlatformAt
	// flagWholeSecond: the time has no nanoseconds, and none follow the
	// seconds (schema 3): chat logs are kept to the second, and an
	// imported IRC history's records were a byte longer each.
	flagWholeSecond
)

// platformAt is the beginning that flagPlatformAt leaves out of a
// platform's message ID: the channel and the time, RFC 3339 to the
// nanosecond, each followed by a space.
func platformAt(rec Record) string {
	return rec.Conversation.Channel + " " + rec.Time.UTC().Format(time.RFC3339Nano) + " "
}

// encodeRecord writes rec's value in format 2: the version byte, the flags,
// the time as varint Unix seconds and uvarint nanoseconds (none with
// flagWholeSecond), the
// author's ID, the text, then the optional fields the flags name. Strings
// are a uvarint length and their bytes. As in format 1, the ID and the
// conversation are left to the key.
//
// It is validated before (validateRecord), so it cannot fail; the error is
// kept for the callers' sake of format 1.
func encodeRecord(rec Record) ([]byte, error) {
	flags := uint64(0)
	if rec.Kind == KindAnswer {
		flags |= flagAnswer
	}
	if rec.Author.Name != rec.Author.ID {
		flags |= flagName
	}
	if rec.Space != "" {
		flags |= flagSpace
	}
	platformID := rec.PlatformID
	if platformID != "" {
		flags |= flagPlatform
		if rest, ok := strings.CutPrefix(platformID, platformAt(rec)); ok {
			flags |= flagPlatformAt
			platformID = rest
		}
	}
	if rec.ReplyTo != 0 {
		flags |= flagReplyTo
	}
	if rec.Source != "" || rec.Intent != "" || rec.Confidence != 0 {
		flags |= flagAnswered
	}
	if rec.RepliesTo != "" {
		flags |= flagRepliesTo
	}
	if len(rec.Reactions) > 0 {
		flags |= flagReactions
	}
	if rec.Author.Bot {
		flags |= flagBot
	}
	if rec.Time.Nanosecond() == 0 {
		flags |= flagWholeSecond
	}
	b := make([]byte, 0, 24+len(rec.Author.ID)+len(rec.Text)+len(rec.PlatformID))
	b = binary.AppendUvarint(append(b, formatV2), flags)
	b = binary.AppendVarint(b, rec.Time.Unix())
	if flags&flagWholeSecond == 0 {
		b = binary.AppendUvarint(b, uint64(rec.Time.Nanosecond()))
	}
	b = appendField(b, rec.Author.ID)
	if flags&flagName != 0 {
		b = appendField(b, rec.Author.Name)
	}
	b = appendField(b, rec.Text)
	if flags&flagSpace != 0 {
		b = appendField(b, rec.Space)
	}
	if flags&flagPlatform != 0 {
		b = appendField(b, platformID)
	}
	if flags&flagReplyTo != 0 {
		b = binary.AppendUvarint(b, rec.ReplyTo)
	}
	if flags&flagAnswered != 0 {
		b = appendField(b, string(rec.Source))
		b = appendField(b, rec.Intent)
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(rec.Confidence))
	}
	if flags&flagRepliesTo != 0 {
		b = appendField(b, rec.RepliesTo)
	}
	if flags&flagReactions != 0 {
		b = binary.AppendUvarint(b, uint64(len(rec.Reactions)))
		for _, r := range rec.Reactions {
			b = appendField(b, r.Emoji)
			b = binary.AppendVarint(b, int64(r.Count))
			b = binary.AppendUvarint(b, uint64(len(r.Members)))
			for _, m := range r.Members {
				b = appendField(b, m)
			}
		}
	}
	return b, nil
}

// valueReader reads a format 2 value; the first error sticks, and every
// read after it returns zero, so that a damaged value is an error, never
// a panic.
type valueReader struct {
	b   []byte
	err error
}

var errShortValue = errors.New("truncated value")

func (r *valueReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

func (r *valueReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(errShortValue)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *valueReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(errShortValue)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *valueReader) str() string {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail(errShortValue)
		return ""
	}
	s := string(r.b[:n]) // a copy: bbolt owns the value
	r.b = r.b[n:]
	return s
}

// count reads a number of elements that each take at least one byte,
// refusing more than the value could hold or than max.
func (r *valueReader) count(max int) int {
	n := r.uvarint()
	if n > uint64(len(r.b)) || n > uint64(max) {
		r.fail(fmt.Errorf("a count of %d is out of bounds", n))
		return 0
	}
	return int(n)
}

// decodeRecordV2 reads a format 2 value of conversation c (from the key);
// the caller sets the ID.
func decodeRecordV2(val []byte, c chat.Conversation) (Record, error) {
	if len(val) < 2 || val[0] != formatV2 {
		return Record{}, errShortValue
	}
	r := valueReader{b: val[1:]}
	flags := r.uvarint()
	rec := Record{Conversation: c}
	rec.Kind = KindMessage
	if flags&flagAnswer != 0 {
		rec.Kind = KindAnswer
	}
	sec := r.varint()
	var nsec uint64
	if flags&flagWholeSecond == 0 {
		nsec = r.uvarint()
	}
	if nsec >= uint64(time.Second) {
		r.fail(fmt.Errorf("%d nanoseconds", nsec))
	}
	rec.Time = time.Unix(sec, int64(nsec)).UTC()
	rec.Author.ID = r.str()
	rec.Author.Name = rec.Author.ID
	rec.Author.Bot = flags&flagBot != 0
	if flags&flagName != 0 {
		rec.Author.Name = r.str()
	}
	rec.Text = r.str()
	if flags&flagSpace != 0 {
		rec.Space = r.str()
	}
	if flags&flagPlatform != 0 {
		rec.PlatformID = r.str()
		if flags&flagPlatformAt != 0 {
			rec.PlatformID = platformAt(rec) + rec.PlatformID
		}
	}
	if flags&flagReplyTo != 0 {
		rec.ReplyTo = r.uvarint()
	}
	if flags&flagAnswered != 0 {
		rec.Source = chat.Source(r.str())
		rec.Intent = r.str()
		if len(r.b) < 8 {
			r.fail(errShortValue)
		} else {
			rec.Confidence = math.Float64frombits(binary.BigEndian.Uint64(r.b))
			r.b = r.b[8:]
		}
	}
	if flags&flagRepliesTo != 0 {
		rec.RepliesTo = r.str()
	}
	if flags&flagReactions != 0 {
		n := r.count(MaxReactions)
		rec.Reactions = make([]Reaction, 0, n)
		for range n {
			x := Reaction{Emoji: r.str(), Count: int(r.varint())}
			if m := r.count(MaxReactionMembers); m > 0 {
				x.Members = make([]string, 0, m)
				for range m {
					x.Members = append(x.Members, r.str())
				}
			}
			rec.Reactions = append(rec.Reactions, x)
		}
		if r.err != nil {
			rec.Reactions = nil
		}
	}
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%d bytes after the value", len(r.b))
	}
	if r.err != nil {
		return Record{}, fmt.Errorf("format 2: %w", r.err)
	}
	return rec, nil
}

// recordTime reads only the time of a record value, in either format.
func recordTime(val []byte) (time.Time, error) {
	if len(val) > 0 && val[0] == formatV2 {
		r := valueReader{b: val[1:]}
		flags := r.uvarint()
		sec := r.varint()
		var nsec uint64
		if flags&flagWholeSecond == 0 {
			nsec = r.uvarint()
		}
		if r.err != nil || nsec >= uint64(time.Second) {
			return time.Time{}, fmt.Errorf("format 2: %w", cmp.Or(r.err, errShortValue))
		}
		return time.Unix(sec, int64(nsec)).UTC(), nil
	}
	var v struct {
		Time time.Time `json:"time"`
	}
	if err := json.Unmarshal(val, &v); err != nil {
		return time.Time{}, err
	}
	return v.Time, nil
}

// isV2 reports whether val is a format 2 value.
func isV2(val []byte) bool { return len(val) > 0 && val[0] == formatV2 }

// peekV2 reads a format 2 value's flags and author ID (which aliases val)
// without decoding the rest, for scans that look for a member's records;
// ok is false for a damaged value, which the caller then decodes to get
// its error.
func peekV2(val []byte) (flags uint64, author []byte, ok bool) {
	r := valueReader{b: val[1:]}
	flags = r.uvarint()
	r.varint()
	if flags&flagWholeSecond == 0 {
		r.uvarint()
	}
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		return 0, nil, false
	}
	return flags, r.b[:n], true
}
