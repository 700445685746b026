package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/docent-bot/docent/chat"
)

// idLen is the length of an encoded record ID: 8 big-endian bytes, so that
// byte order is numeric order and a cursor walks a conversation by ID.
const idLen = 8

// appendConversation appends the self-delimiting encoding of c to dst. See
// the package documentation for why the fields are length-prefixed.
func appendConversation(dst []byte, c chat.Conversation) []byte {
	dst = appendField(dst, c.Platform)
	dst = appendField(dst, c.Channel)
	return appendField(dst, c.Thread)
}

func appendField(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// appendID appends the key form of a record ID.
func appendID(dst []byte, id uint64) []byte {
	return binary.BigEndian.AppendUint64(dst, id)
}

// recordKey is the messages-bucket key of record id in the conversation
// encoded as conv.
func recordKey(conv []byte, id uint64) []byte {
	k := make([]byte, 0, len(conv)+idLen)
	return appendID(append(k, conv...), id)
}

// messageKey is the messages-bucket key of the record whose ids-bucket
// entry is idKey → val: val is its conversation (schema 2), or in a file
// still converting, schema 1's whole key (the conversation and the ID,
// which parseConversation tells apart: a conversation ends where its
// third field does). It never returns bbolt's memory.
func messageKey(idKey, val []byte) []byte {
	if val == nil {
		return nil
	}
	if _, rest, err := parseConversation(val); err == nil && len(rest) == idLen {
		return bytes.Clone(val)
	}
	k := make([]byte, 0, len(val)+len(idKey))
	return append(append(k, val...), idKey...)
}

// parseConversation decodes a conversation from the front of b and returns
// the bytes after it. It never panics, whatever b holds.
func parseConversation(b []byte) (c chat.Conversation, rest []byte, err error) {
	rest = b
	fields := [3]*string{&c.Platform, &c.Channel, &c.Thread}
	for i, f := range fields {
		var s string
		if s, rest, err = parseField(rest); err != nil {
			return chat.Conversation{}, nil, fmt.Errorf("conversation field %d: %w", i, err)
		}
		*f = s
	}
	return c, rest, nil
}

var (
	errShortKey   = errors.New("truncated key")
	errLongLength = errors.New("length not in its shortest form")
)

func parseField(b []byte) (string, []byte, error) {
	n, w := binary.Uvarint(b)
	if w <= 0 {
		return "", nil, errShortKey
	}
	// Only the shortest encoding of a length is valid, so that a
	// conversation has exactly one key prefix.
	if w != uvarintLen(n) {
		return "", nil, errLongLength
	}
	b = b[w:]
	if n > uint64(len(b)) {
		return "", nil, errShortKey
	}
	return string(b[:n]), b[n:], nil
}

// parseRecordKey splits a messages-bucket key into its conversation and ID.
func parseRecordKey(k []byte) (chat.Conversation, uint64, error) {
	c, rest, err := parseConversation(k)
	if err != nil {
		return chat.Conversation{}, 0, fmt.Errorf("record key %x: %w", k, err)
	}
	if len(rest) != idLen {
		return chat.Conversation{}, 0, fmt.Errorf("record key %x: %d bytes after the conversation, want %d", k, len(rest), idLen)
	}
	return c, binary.BigEndian.Uint64(rest), nil
}

// uvarintLen is the length of the shortest uvarint encoding of n.
func uvarintLen(n uint64) int {
	l := 1
	for ; n >= 0x80; n >>= 7 {
		l++
	}
	return l
}
