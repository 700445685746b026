package store

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"

	"github.com/docent-bot/docent/store/internal/kv"
)

// bucketPlatformHashes finds a record by the platform's ID of its message
// (votes name the message, an import skips the messages it stored
// before): platform ‖ 0 ‖ an 8-byte hash of the ID → the IDs of the
// records with that hash, as uvarints (one, but for a collision). A
// lookup reads the records to keep the one whose PlatformID it is. The
// hash keeps the key at 12 bytes where the ID itself took 30 to 40, and
// the record already holds the ID: schema 1's platform_ids bucket held it
// twice over (60 bytes a message on the generated million, against 31).
var bucketPlatformHashes = []byte("platform_hashes")

// platformHash is the hash of a platform's message ID in keys; a variable
// so that a test can make every ID collide.
var platformHash = func(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

func platformHashKey(platform, id string) []byte {
	k := append([]byte(platform), 0)
	return binary.BigEndian.AppendUint64(k, platformHash(id))
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
	b := tx.Bucket(bucketPlatformHashes)
	if b == nil {
		return 0, nil
	}
	cands, err := platformCandidates(b.Get(platformHashKey(platform, id)))
	if err != nil {
		return 0, err
	}
	for i := len(cands) - 1; i >= 0; i-- {
		rec, err := recordByID(tx, cands[i])
		if err != nil {
			return 0, err
		}
		if rec.ID != 0 && rec.PlatformID == id && rec.Conversation.Platform == platform {
			return rec.ID, nil
		}
	}
	return 0, nil
}

// indexPlatformID makes record rec findable by its platform's message ID;
// of the records with the same ID, only the newest (the largest record
// ID) is kept, whatever order they are indexed in (a vote's answer is the
// one sent last). It runs again on a record it indexed before without
// doubling it.
func indexPlatformID(tx kv.Tx, rec Record) error {
	b, err := tx.CreateBucketIfNotExists(bucketPlatformHashes)
	if err != nil {
		return err
	}
	key := platformHashKey(rec.Conversation.Platform, rec.PlatformID)
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
		case other.PlatformID == rec.PlatformID && other.Conversation.Platform == rec.Conversation.Platform:
			newest = max(newest, id) // the same message stored again
		default:
			val = binary.AppendUvarint(val, id) // another ID of the same hash
		}
	}
	if len(cands) == 0 {
		// Platforms make their IDs increasing, but their hashes are not:
		// bbolt's default split suits keys that land anywhere.
		b.SetFillPercent(0.5)
	}
	return b.Put(key, binary.AppendUvarint(val, newest))
}

// unindexPlatformID takes record rec out of the platform ID's entry.
func unindexPlatformID(tx kv.Tx, rec Record) error {
	b := tx.Bucket(bucketPlatformHashes)
	if b == nil {
		return nil
	}
	key := platformHashKey(rec.Conversation.Platform, rec.PlatformID)
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
