package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/docent-bot/docent/store/internal/kv"
)

// Schema 1 to 2 converts every record value from JSON (format 1) to the
// binary format 2. A million records do not fit one transaction (it would
// hold the whole file's pages in memory), so the step that takes the core
// to schema 2 only records the version and a conversion mark; the records
// are then converted convertChunk at a time, each chunk in a transaction
// with the mark moved past it. A kill leaves the mark at a chunk's end, and
// the next Open goes on from there; a chunk done twice (its commit lost)
// writes the same values again. Meanwhile the file says schema 2, so an
// older Docent refuses it instead of misreading the converted records, and
// this code reads both formats.

// keyConverting is the conversion mark in meta, present while records are
// left to convert: "s" at the start, else "k", the records done so far as
// 8 big-endian bytes, and the last key converted.
var keyConverting = []byte("converting")

// convertChunk is how many records one conversion transaction rewrites; a
// variable so that a test can make the conversion long enough to be killed.
var convertChunk = 10_000

// startConversion is the core's step from schema 1 to 2: it marks the
// records for conversion, which convertRecords then does.
func startConversion(tx *Tx) error {
	return tx.tx.Bucket(bucketMeta).Put(keyConverting, []byte("s"))
}

// Converting is where the conversion of the records to schema 2's format
// stands, given to Options.Converting after each chunk.
type Converting struct {
	Done, Total int           // records converted (by earlier runs too), and all
	Resumed     int           // records an earlier, interrupted run converted
	Took        time.Duration // since this run began
}

// convertRecords converts the records still in format 1, chunk by chunk,
// when the file has a conversion mark. It runs in Open, before anything
// else can write.
func (s *Store) convertRecords(report func(Converting)) error {
	var p Converting
	var marked bool
	start := time.Now()
	err := s.db.View(context.Background(), func(tx kv.Tx) error {
		mark := tx.Bucket(bucketMeta).Get(keyConverting)
		if marked = mark != nil; !marked {
			return nil
		}
		var err error
		if p.Total, err = keyCount(tx, bucketIDs); err != nil {
			return err
		}
		if len(mark) >= 9 && mark[0] == 'k' {
			p.Resumed = int(binary.BigEndian.Uint64(mark[1:9]))
			p.Done = p.Resumed
		}
		return nil
	})
	if err != nil || !marked {
		return err
	}
	s.log.Info("store: converting the records to schema 2's binary format", "path", s.path, "records", p.Total, "converted_before", p.Resumed)
	for {
		var finished bool
		err := s.db.Update(context.Background(), func(tx kv.Tx) error {
			var n int
			var err error
			n, finished, err = convertChunkOf(tx)
			p.Done += n
			return err
		})
		if err != nil {
			return fmt.Errorf("store: %s: convert the records to schema 2's format (%d of %d done, the next Open goes on from there): %w", s.path, p.Done, p.Total, err)
		}
		p.Took = time.Since(start)
		if report != nil {
			report(p)
		}
		if finished {
			break
		}
	}
	s.log.Info("store: records converted", "path", s.path, "records", p.Done, "took", p.Took.Round(time.Millisecond),
		"note", "the pages they left free stay in the file: `docent compact` (Docent stopped) gives them back")
	return nil
}

// convertChunkOf converts the next convertChunk records after the mark and
// moves it, or deletes it when none are left (finished).
func convertChunkOf(tx kv.Tx) (n int, finished bool, err error) {
	meta, msgs, ids := tx.Bucket(bucketMeta), tx.Bucket(bucketMessages), tx.Bucket(bucketIDs)
	mark := meta.Get(keyConverting)
	if mark == nil {
		return 0, true, nil
	}
	var done uint64
	c := msgs.Cursor()
	k, v := c.First()
	switch {
	case len(mark) == 1 && mark[0] == 's':
	case len(mark) > 9 && mark[0] == 'k':
		done = binary.BigEndian.Uint64(mark[1:9])
		last := mark[9:]
		if k, v = c.Seek(last); k != nil && bytes.Equal(k, last) {
			k, v = c.Next()
		}
	default:
		return 0, false, fmt.Errorf("unknown conversion mark %x", mark)
	}
	type pair struct {
		k, v []byte
		rec  Record
	}
	var out []pair
	for ; k != nil && len(out) < convertChunk; k, v = c.Next() {
		rec, err := decodeRecord(k, v)
		if err != nil {
			return 0, false, err
		}
		p := pair{k: bytes.Clone(k), rec: rec}
		if !isV2(v) {
			if p.v, err = encodeRecord(rec); err != nil {
				return 0, false, err
			}
		}
		out = append(out, p)
	}
	// Written after the cursor is done: a Put moves bbolt's cursors.
	for _, p := range out {
		if p.v != nil {
			if err := msgs.Put(p.k, p.v); err != nil {
				return 0, false, fmt.Errorf("rewrite record key %x: %w", p.k, err)
			}
		}
		// Schema 1's ids entry held the whole key; schema 2's the
		// conversation (the ID is the entry's key).
		if err := ids.Put(p.k[len(p.k)-idLen:], p.k[:len(p.k)-idLen]); err != nil {
			return 0, false, fmt.Errorf("index record %d: %w", p.rec.ID, err)
		}
		// The platform IDs are indexed afterwards, in key order, by the
		// step to schema 3 (reindex.go).
	}
	if k == nil || len(out) == 0 {
		// Schema 1's index of platform IDs, now in platform_keys.
		if tx.Bucket(bucketPlatformIDs) != nil {
			if err := tx.DeleteBucket(bucketPlatformIDs); err != nil {
				return 0, false, err
			}
		}
		return len(out), true, meta.Delete(keyConverting)
	}
	next := binary.BigEndian.AppendUint64([]byte{'k'}, done+uint64(len(out)))
	next = append(next, out[len(out)-1].k...)
	return len(out), false, meta.Put(keyConverting, next)
}

// keyCount is how many keys the named bucket holds: bbolt's count from
// its pages, or a walk of the keys elsewhere.
func keyCount(tx kv.Tx, name []byte) (int, error) {
	if bt, ok := kv.BoltTx(tx); ok {
		return bt.Bucket(name).Stats().KeyN, nil
	}
	n := 0
	if err := tx.Bucket(name).ForEach(func(_, _ []byte) error { n++; return nil }); err != nil {
		return 0, fmt.Errorf("count the keys of bucket %q: %w", name, err)
	}
	return n, nil
}
