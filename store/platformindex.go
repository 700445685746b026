package store

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/docent-bot/docent/store/internal/kv"
)

// bucketPlatformKeys finds a record by the platform's ID of its message
// (votes name the message, an import skips the messages it stored
// before, replicas find a Slack event another stored): platformKey →
// the IDs of the records with that key, as uvarints (one, but for a
// collision). A lookup reads the records to keep the one whose platform
// and PlatformID they are.
//
// The key is 8 bytes: the message's time in Unix seconds, from the ID
// where the ID tells it (0 where not), then a 32-bit hash of the
// platform and the ID. The time first makes the keys of a history
// imported, or of live Slack and Discord messages, grow as they come,
// so that inserts fill pages at the end like an append (schema 2 hashed
// the whole key: each import batch dirtied most of the bucket's pages,
// and the import ran at 0.82 to 0.90 of schema 1's rate; a fresh import
// left the pages 70% full). Within one second a 32-bit hash rarely
// collides, and a collision costs one more record read.
var bucketPlatformKeys = []byte("platform_keys")

// bucketPlatformHashes is schema 2's index: platform ‖ 0 ‖ an 8-byte
// hash of the ID. Schema 3 rebuilds it as platform_keys (reindex.go).
var bucketPlatformHashes = []byte("platform_hashes")

// platformHash is the hash of a platform's message ID in keys; a variable
// so that a test can make every ID collide.
var platformHash = func(platform, id string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(platform))
	h.Write([]byte{0})
	h.Write([]byte(id))
	return h.Sum32()
}

// discordEpoch is the Unix time in milliseconds of Discord's snowflake 0.
const discordEpoch = 1420070400000

// platformIDTime is the Unix time in seconds a platform's message ID
// tells, 0 when it tells none: a Slack ts ("1712345678.123456"), a
// Discord snowflake, an imported line's ID ("CHANNEL TIME SEQ", TIME in
// RFC 3339: bot/importer).
func platformIDTime(platform, id string) uint32 {
	switch platform {
	case "slack":
		if sec, _, ok := strings.Cut(id, "."); ok {
			if n, err := strconv.ParseUint(sec, 10, 32); err == nil {
				return uint32(n)
			}
		}
	case "discord":
		if n, err := strconv.ParseUint(id, 10, 64); err == nil && n>>22 > 0 {
			if ms := n>>22 + discordEpoch; ms/1000 <= math.MaxUint32 {
				return uint32(ms / 1000)
			}
		}
	}
	rest, _, ok := cutLast(id, ' ')
	if !ok {
		return 0
	}
	_, at, ok := cutLast(rest, ' ')
	if !ok {
		return 0
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil || t.Unix() < 0 || t.Unix() > math.MaxUint32 {
		return 0
	}
	return uint32(t.Unix())
}

// cutLast cuts s around its last sep.
func cutLast(s string, sep byte) (before, after string, ok bool) {
	if i := strings.LastIndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// platformKey is the platform_keys key of a platform's message ID.
func platformKey(platform, id string) []byte {
	k := binary.BigEndian.AppendUint32(make([]byte, 0, 8), platformIDTime(platform, id))
	return binary.BigEndian.AppendUint32(k, platformHash(platform, id))
}

// platformCandidates are the record IDs stored under a key, oldest first.
func platformCandidates(v []byte) ([]uint64, error) {
	var ids []uint64
	for len(v) > 0 {
		id, n := binary.Uvarint(v)
		if n <= 0 {
			return nil, fmt.Errorf("database is damaged: a platform ID's entry %x", v)
		}
		ids = append(ids, id)
		v = v[n:]
	}
	return ids, nil
}

// lookupPlatformID returns the record stored last with the platform's
// message ID id, 0 when none.
func lookupPlatformID(tx kv.Tx, platform, id string) (uint64, error) {
	return lookupPlatform(tx, platform, id, func(Record) bool { return true })
}

// lookupPlatformIDIn returns the record stored last with the platform's
// message ID id in channel, 0 when none. A Slack ts is unique in its
// channel only: two channels may hold the same one.
func lookupPlatformIDIn(tx kv.Tx, platform, channel, id string) (uint64, error) {
	return lookupPlatform(tx, platform, id, func(r Record) bool { return r.Conversation.Channel == channel })
}

// lookupPlatform returns the newest record with the platform's message ID
// id that also matches, 0 when none.
func lookupPlatform(tx kv.Tx, platform, id string, matches func(Record) bool) (uint64, error) {
	b := tx.Bucket(bucketPlatformKeys)
	if b == nil {
		return 0, nil
	}
	cands, err := platformCandidates(b.Get(platformKey(platform, id)))
	if err != nil {
		return 0, err
	}
	for i := len(cands) - 1; i >= 0; i-- {
		rec, err := recordByID(tx, cands[i])
		if err != nil {
			return 0, err
		}
		if rec.ID != 0 && rec.PlatformID == id && rec.Conversation.Platform == platform && matches(rec) {
			return rec.ID, nil
		}
	}
	return 0, nil
}

// indexPlatformID makes record rec findable by its platform's message ID;
// of the records with the same ID in the same channel, only the newest
// (the largest record ID) is kept, whatever order they are indexed in (a vote's answer is the
// one sent last). It runs again on a record it indexed before without
// doubling it.
func indexPlatformID(tx kv.Tx, rec Record) error {
	b, err := tx.CreateBucketIfNotExists(bucketPlatformKeys)
	if err != nil {
		return err
	}
	key := platformKey(rec.Conversation.Platform, rec.PlatformID)
	cands, err := platformCandidates(b.Get(key))
	if err != nil {
		return err
	}
	var val []byte
	newest := rec.ID
	for _, id := range cands {
		if id == rec.ID {
			continue
		}
		other, err := recordByID(tx, id)
		if err != nil {
			return err
		}
		switch {
		case other.ID == 0: // deleted
		case other.PlatformID == rec.PlatformID && other.Conversation.Platform == rec.Conversation.Platform &&
			other.Conversation.Channel == rec.Conversation.Channel:
			newest = max(newest, id) // the same message stored again
		default:
			val = binary.AppendUvarint(val, id) // another ID of the same hash
		}
	}
	if len(cands) == 0 {
		// Keys begin with the time: they mostly grow (see
		// bucketPlatformKeys), and pages are split full, as an
		// append-only bucket's.
		b.SetFillPercent(appendFillPercent)
	}
	return b.Put(key, binary.AppendUvarint(val, newest))
}

// unindexPlatformID takes record rec out of the platform ID's entry.
func unindexPlatformID(tx kv.Tx, rec Record) error {
	b := tx.Bucket(bucketPlatformKeys)
	if b == nil {
		return nil
	}
	key := platformKey(rec.Conversation.Platform, rec.PlatformID)
	cands, err := platformCandidates(b.Get(key))
	if err != nil || len(cands) == 0 {
		return err
	}
	var val []byte
	for _, id := range cands {
		if id != rec.ID {
			val = binary.AppendUvarint(val, id)
		}
	}
	if len(val) == 0 {
		return b.Delete(key)
	}
	return b.Put(key, val)
}
