package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/docent-bot/docent/store/internal/kv"
)

// Schema 2 to 3 rebuilds the index of platform IDs with time-ordered keys
// (platform_keys: platformindex.go) from the records themselves, then
// drops schema 2's platform_hashes. The step only records the version and
// a mark ("reindexing"); Open then reads every record's key in the new
// layout, sorts them, and writes them in key order, reindexChunk at a time,
// each chunk in a transaction that moves the mark to its last key: a kill
// resumes after it. Written in key order, the index's pages fill as an
// append's do; in the order of the records (conversation by conversation,
// each spanning the years) they were a quarter full. Until the mark is
// gone lookups miss the messages not yet reached: nothing else runs
// meanwhile. The conversion from schema 1 leaves the index to this too.

// keyReindexing is the reindexing mark in meta: "s" at the start, else
// "k" and the last platform_keys key written.
var keyReindexing = []byte("reindexing")

// reindexChunk is how many index entries one reindexing transaction
// writes; a variable so that a test can make it short.
var reindexChunk = 50_000

// startReindex is the core's step from schema 2 to 3.
func startReindex(tx *Tx) error {
	return tx.tx.Bucket(bucketMeta).Put(keyReindexing, []byte("s"))
}

// indexEntry is one record's entry in platform_keys.
type indexEntry struct {
	key [8]byte
	id  uint64
}

// reindexPlatformIDs rebuilds platform_keys when the file has a
// reindexing mark. It runs in Open after convertRecords, before anything
// else can write.
func (s *Store) reindexPlatformIDs() error {
	var (
		mark    []byte
		entries []indexEntry
	)
	start := time.Now()
	err := s.db.View(context.Background(), func(tx kv.Tx) error {
		if mark = bytes.Clone(tx.Bucket(bucketMeta).Get(keyReindexing)); mark == nil {
			return nil
		}
		var err error
		entries, err = sortedIndexEntries(tx)
		return err
	})
	if err != nil || mark == nil {
		if err != nil {
			return fmt.Errorf("store: %s: read the records to index their platform IDs: %w", s.path, err)
		}
		return nil
	}
	var after []byte // the last key a stopped run wrote
	switch {
	case len(mark) == 1 && mark[0] == 's':
	case len(mark) == 9 && mark[0] == 'k':
		after = mark[1:]
	default:
		return fmt.Errorf("store: %s: unknown reindexing mark %x", s.path, mark)
	}
	if after != nil {
		// Past every entry of the mark's key: a chunk never splits a key.
		i, _ := slices.BinarySearchFunc(entries, after, func(e indexEntry, k []byte) int {
			if c := bytes.Compare(e.key[:], k); c != 0 {
				return c
			}
			return -1
		})
		entries = entries[i:]
	}
	s.log.Info("store: indexing the records' platform IDs in schema 3's layout", "path", s.path, "entries", len(entries), "resumed", after != nil)
	done := 0
	for len(entries) > 0 || done == 0 {
		n := min(reindexChunk, len(entries))
		for n < len(entries) && entries[n].key == entries[n-1].key {
			n++ // a key's entries go together
		}
		chunk := entries[:n]
		last := len(entries) == n
		err := s.db.Update(context.Background(), func(tx kv.Tx) error {
			return reindexChunkOf(tx, chunk, last)
		})
		if err != nil {
			return fmt.Errorf("store: %s: index the platform IDs in schema 3's layout (%d entries done, the next Open goes on from there): %w", s.path, done, err)
		}
		done += n
		entries = entries[n:]
		if last {
			break
		}
	}
	s.log.Info("store: platform IDs indexed", "path", s.path, "entries", done, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// sortedIndexEntries are the platform_keys entries of every record with a
// platform ID, in key order.
func sortedIndexEntries(tx kv.Tx) ([]indexEntry, error) {
	var entries []indexEntry
	err := tx.Bucket(bucketMessages).ForEach(func(k, v []byte) error {
		rec, err := decodeRecord(k, v)
		if err != nil {
			return err
		}
		if rec.PlatformID != "" {
			e := indexEntry{id: rec.ID}
			copy(e.key[:], platformKey(rec.Conversation.Platform, rec.PlatformID))
			entries = append(entries, e)
		}
		return nil
	})
	slices.SortFunc(entries, func(a, b indexEntry) int {
		return cmp.Or(bytes.Compare(a.key[:], b.key[:]), cmp.Compare(a.id, b.id))
	})
	return entries, err
}

// reindexChunkOf writes chunk, sorted by key, into platform_keys and
// moves the mark to its last key; with last, it then drops schema 2's
// index and the mark. A key with one record gets it; one with several
// (a hash collision, or one message stored twice) goes through
// indexPlatformID, which keeps what a lookup needs.
func reindexChunkOf(tx kv.Tx, chunk []indexEntry, last bool) error {
	b, err := tx.CreateBucketIfNotExists(bucketPlatformKeys)
	if err != nil {
		return err
	}
	b.SetFillPercent(appendFillPercent) // written in key order
	for i := 0; i < len(chunk); {
		j := i + 1
		for j < len(chunk) && chunk[j].key == chunk[i].key {
			j++
		}
		if j == i+1 {
			if err := b.Put(chunk[i].key[:], binary.AppendUvarint(nil, chunk[i].id)); err != nil {
				return fmt.Errorf("index record %d by its platform ID: %w", chunk[i].id, err)
			}
		} else {
			for _, e := range chunk[i:j] {
				rec, err := recordByID(tx, e.id)
				if err != nil {
					return err
				}
				if err := indexPlatformID(tx, rec); err != nil {
					return fmt.Errorf("index record %d by its platform ID: %w", e.id, err)
				}
			}
		}
		i = j
	}
	meta := tx.Bucket(bucketMeta)
	if !last {
		return meta.Put(keyReindexing, append([]byte{'k'}, chunk[len(chunk)-1].key[:]...))
	}
	if tx.Bucket(bucketPlatformHashes) != nil {
		if err := tx.DeleteBucket(bucketPlatformHashes); err != nil {
			return err
		}
	}
	return meta.Delete(keyReindexing)
}
