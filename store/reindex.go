package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/docent-bot/docent/store/internal/kv"
)

// Schema 2 to 3 rebuilds the index of platform IDs with time-ordered keys
// (platform_keys: platformindex.go) from the records themselves, then
// drops schema 2's platform_hashes. As the conversion to schema 2, the
// step only records the version and a mark ("reindexing"); Open then
// indexes the records reindexChunk at a time, each chunk in a
// transaction that moves the mark past it, so that a kill resumes where
// it stopped and a chunk done twice indexes nothing twice (indexPlatformID
// keeps one entry per message). Until the mark is gone, lookups of
// messages not yet reached miss: nothing else runs meanwhile.

// keyReindexing is the reindexing mark in meta: "s" at the start, else
// "k" and the last messages key indexed.
var keyReindexing = []byte("reindexing")

// reindexChunk is how many records one reindexing transaction reads; a
// variable so that a test can make it short.
var reindexChunk = 20_000

// startReindex is the core's step from schema 2 to 3.
func startReindex(tx *Tx) error {
	return tx.tx.Bucket(bucketMeta).Put(keyReindexing, []byte("s"))
}

// reindexPlatformIDs rebuilds platform_keys chunk by chunk when the file
// has a reindexing mark. It runs in Open after convertRecords, before
// anything else can write.
func (s *Store) reindexPlatformIDs() error {
	var marked bool
	if err := s.db.View(context.Background(), func(tx kv.Tx) error {
		marked = tx.Bucket(bucketMeta).Get(keyReindexing) != nil
		return nil
	}); err != nil || !marked {
		return err
	}
	start := time.Now()
	s.log.Info("store: indexing the records' platform IDs in schema 3's layout", "path", s.path)
	done := 0
	for {
		var finished bool
		err := s.db.Update(context.Background(), func(tx kv.Tx) error {
			var n int
			var err error
			n, finished, err = reindexChunkOf(tx)
			done += n
			return err
		})
		if err != nil {
			return fmt.Errorf("store: %s: index the platform IDs in schema 3's layout (%d records done, the next Open goes on from there): %w", s.path, done, err)
		}
		if finished {
			break
		}
	}
	s.log.Info("store: platform IDs indexed", "path", s.path, "records", done, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// reindexChunkOf indexes the next reindexChunk records after the mark and
// moves it, or, when none are left, drops schema 2's index and the mark
// (finished).
func reindexChunkOf(tx kv.Tx) (n int, finished bool, err error) {
	meta, msgs := tx.Bucket(bucketMeta), tx.Bucket(bucketMessages)
	mark := meta.Get(keyReindexing)
	if mark == nil {
		return 0, true, nil
	}
	c := msgs.Cursor()
	k, v := c.First()
	switch {
	case len(mark) == 1 && mark[0] == 's':
	case len(mark) > 1 && mark[0] == 'k':
		last := mark[1:]
		if k, v = c.Seek(last); k != nil && bytes.Equal(k, last) {
			k, v = c.Next()
		}
	default:
		return 0, false, fmt.Errorf("unknown reindexing mark %x", mark)
	}
	var recs []Record
	var lastKey []byte
	for ; k != nil && n < reindexChunk; k, v = c.Next() {
		n++
		lastKey = k
		rec, err := decodeRecord(k, v)
		if err != nil {
			return 0, false, err
		}
		if rec.PlatformID != "" {
			recs = append(recs, rec)
		}
	}
	lastKey = bytes.Clone(lastKey) // before the writes: they move bbolt's cursors
	for _, rec := range recs {
		if err := indexPlatformID(tx, rec); err != nil {
			return 0, false, fmt.Errorf("index record %d by its platform ID: %w", rec.ID, err)
		}
	}
	if k == nil {
		if tx.Bucket(bucketPlatformHashes) != nil {
			if err := tx.DeleteBucket(bucketPlatformHashes); err != nil {
				return 0, false, err
			}
		}
		return n, true, meta.Delete(keyReindexing)
	}
	return n, false, meta.Put(keyReindexing, append([]byte{'k'}, lastKey...))
}
