package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/fnv"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store/internal/kv"
)

// schema2File writes recs into a new file at path as schema 2 left it:
// the index of platform IDs in platform_hashes (platform ‖ 0 ‖ FNV-1a 64
// of the ID), and no platform_keys.
func schema2File(t *testing.T, path string, recs []Record) (withPID int) {
	t.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketPlatformKeys); err != nil {
			return err
		}
		old, err := tx.CreateBucket(bucketPlatformHashes)
		if err != nil {
			return err
		}
		err = tx.Bucket(bucketMessages).ForEach(func(k, v []byte) error {
			rec, err := decodeRecord(k, v)
			if err != nil || rec.PlatformID == "" {
				return err
			}
			withPID++
			h := fnv.New64a()
			h.Write([]byte(rec.PlatformID))
			key := binary.BigEndian.AppendUint64(append([]byte(rec.Conversation.Platform), 0), h.Sum64())
			return old.Put(key, binary.AppendUvarint(nil, rec.ID))
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keySchema, []byte("2"))
	})
	if err != nil {
		t.Fatal(err)
	}
	return withPID
}

// TestReindexSchema2: a schema 2 file is brought to schema 3 at Open, its
// platform IDs indexed again with time-ordered keys, from the start or
// after a run that stopped midway (the mark left where its last chunk
// ended); then an import run again finds every message it stored, and
// schema 2's index is gone.
func TestReindexSchema2(t *testing.T) {
	boltOnly(t, "writes schema 2 files")
	defer func(n int) { reindexChunk = n }(reindexChunk)
	reindexChunk = 300
	for _, stopped := range []int{0, 3} {
		path := filepath.Join(t.TempDir(), "docent.db")
		recs := sampleRecords(4000)
		withPID := schema2File(t, path, recs)
		if stopped > 0 {
			// An Open that ran the step and indexed some chunks, then
			// was killed.
			db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			b := kv.NewBolt(db)
			err = b.Update(context.Background(), func(tx kv.Tx) error {
				if err := tx.Bucket(bucketMeta).Put(keySchema, []byte("3")); err != nil {
					return err
				}
				return tx.Bucket(bucketMeta).Put(keyReindexing, []byte("s"))
			})
			var entries []indexEntry
			if err == nil {
				err = b.View(context.Background(), func(tx kv.Tx) error {
					var err error
					entries, err = sortedIndexEntries(tx)
					return err
				})
			}
			for i := range stopped {
				if err == nil {
					err = b.Update(context.Background(), func(tx kv.Tx) error {
						return reindexChunkOf(tx, entries[i*reindexChunk:(i+1)*reindexChunk], false)
					})
				}
			}
			var mark []byte
			if err == nil {
				err = b.View(context.Background(), func(tx kv.Tx) error {
					mark = bytes.Clone(tx.Bucket(bucketMeta).Get(keyReindexing))
					return nil
				})
			}
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			if len(mark) != 9 || mark[0] != 'k' {
				t.Fatalf("after %d chunks the mark is %q", stopped, mark)
			}
		}
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("stopped after %d chunks: Open: %v", stopped, err)
		}
		_, dups, err := s.ImportNew(context.Background(), recs)
		if err != nil || dups != withPID {
			t.Errorf("stopped after %d chunks: imported again: %d duplicates, %v; want %d", stopped, dups, err, withPID)
		}
		s.Close()
		db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		_ = db.View(func(tx *bolt.Tx) error {
			meta := tx.Bucket(bucketMeta)
			if v := string(meta.Get(keySchema)); v != "3" || meta.Get(keyReindexing) != nil {
				t.Errorf("stopped after %d chunks: schema %q, mark %q; want 3 and none", stopped, v, meta.Get(keyReindexing))
			}
			if tx.Bucket(bucketPlatformHashes) != nil {
				t.Errorf("stopped after %d chunks: schema 2's platform_hashes is still there", stopped)
			}
			st := tx.Bucket(bucketPlatformKeys).Stats()
			if st.KeyN != withPID {
				t.Errorf("stopped after %d chunks: platform_keys has %d keys, want %d", stopped, st.KeyN, withPID)
			}
			// Written in key order, its pages are full, as an append's.
			if fill := float64(st.LeafInuse) / float64(st.LeafAlloc); fill < 0.9 {
				t.Errorf("stopped after %d chunks: platform_keys' pages are %.0f%% full, want 90%% or more", stopped, 100*fill)
			}
			return nil
		})
		db.Close()
	}
}

// TestPlatformIDTime: the time a platform's message ID tells, where it
// tells one.
func TestPlatformIDTime(t *testing.T) {
	for _, c := range []struct {
		platform, id string
		want         uint32
	}{
		{"slack", "1712345678.123456", 1712345678},
		{"slack", "not a ts", 0},
		{"discord", "1178300000000000000", uint32((1178300000000000000>>22 + discordEpoch) / 1000)},
		{"discord", "12", 0},
		{"irc", "#dspace 2018-07-25T15:55:00Z 1", 1532534100},
		{"irc", "#a channel with spaces 2018-07-25T15:55:00.5Z 12", 1532534100},
		{"irc", "#dspace 1969-12-31T23:59:59Z 1", 0},
		{"web", "w17-00ff", 0},
		{"irc", "", 0},
	} {
		if got := platformIDTime(c.platform, c.id); got != c.want {
			t.Errorf("platformIDTime(%q, %q) = %d, want %d", c.platform, c.id, got, c.want)
		}
	}
}

// TestWholeSecondTimes: a time without nanoseconds takes no byte for
// them (flagWholeSecond), and the values schema 2 wrote, with a 0 byte of
// nanoseconds and no flag, read the same. (The flag is bit 10: it saves
// the byte where the flags take two bytes already, as an imported line's
// with flagPlatformAt; elsewhere the value keeps its length.)
func TestWholeSecondTimes(t *testing.T) {
	boltOnly(t, "record encoding, no database")
	for _, at := range []time.Time{time.Date(2018, 7, 25, 15, 55, 0, 0, time.UTC), time.Date(2018, 7, 25, 15, 55, 0, 1, time.UTC)} {
		rec := Record{ID: 9, Kind: KindMessage, Conversation: sampleRecords(1)[0].Conversation, Time: at,
			Author: chat.Member{ID: "ann", Name: "ann"}, Text: "hi"}
		rec.PlatformID = platformAt(rec) + "1"
		key := recordKey(appendConversation(nil, rec.Conversation), rec.ID)
		b, err := encodeRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		whole := at.Nanosecond() == 0
		r := valueReader{b: b[1:]}
		if flags := r.uvarint(); (flags&flagWholeSecond != 0) != whole {
			t.Errorf("%v: flags %b", at, flags)
		}
		values := [][]byte{b}
		if whole {
			// As schema 2 wrote it: no flag, and a 0 after the seconds.
			old := binary.AppendUvarint([]byte{formatV2}, uint64(flagPlatform|flagPlatformAt))
			old = binary.AppendVarint(old, at.Unix())
			old = append(old, 0)
			old = appendField(old, "ann")
			old = appendField(old, "hi")
			old = appendField(old, "1")
			if len(old) != len(b)+1 {
				t.Errorf("the value is %d bytes, schema 2's %d: want one less", len(b), len(old))
			}
			values = append(values, old)
		}
		for _, v := range values {
			got, err := decodeRecord(key, v)
			if err != nil || !reflect.DeepEqual(got, rec) {
				t.Errorf("%v: %x read back as %+v, %v", at, v, got, err)
			}
			if tm, err := recordTime(v); err != nil || !tm.Equal(at) {
				t.Errorf("%v: recordTime = %v, %v", at, tm, err)
			}
			if _, author, ok := peekV2(v); !ok || string(author) != "ann" {
				t.Errorf("%v: peekV2 author %q, %v", at, author, ok)
			}
		}
	}
}
