package store

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BucketSize is where one top-level bucket's bytes go: what its keys and
// values hold, and the pages bbolt spends on them.
type BucketSize struct {
	Name string `json:"name"`
	// Keys are the key/value pairs in the bucket and the buckets nested
	// in it; KeyBytes and ValueBytes their sizes (a nested bucket's own
	// entry counts as a key).
	Keys       int   `json:"keys"`
	KeyBytes   int64 `json:"key_bytes"`
	ValueBytes int64 `json:"value_bytes"`
	// Buckets are the nested buckets, Inline those stored inside their
	// parent's page.
	Buckets int `json:"buckets"`
	Inline  int `json:"inline"`
	// Pages are the leaf and branch pages (with their overflow pages);
	// Alloc the bytes they take in the file, Used the bytes in use in
	// them (headers included): Used/Alloc is how full they are.
	LeafPages   int   `json:"leaf_pages"`
	BranchPages int   `json:"branch_pages"`
	Alloc       int64 `json:"alloc"`
	Used        int64 `json:"used"`
}

// Fill is the share of the bucket's pages in use, from 0 to 1.
func (b BucketSize) Fill() float64 {
	if b.Alloc == 0 {
		return 0
	}
	return float64(b.Used) / float64(b.Alloc)
}

// Sizes is where a database file's bytes go.
type Sizes struct {
	File int64 `json:"file"` // the file's size
	// Used is the file up to its last page in use: the rest is room bbolt
	// grew the file by ahead of need (up to 16 MB), which a copy
	// (CompactFile) leaves out.
	Used     int64        `json:"used"`
	PageSize int          `json:"page_size"` // bbolt's page size
	Messages int          `json:"messages"`  // records of the history
	Buckets  []BucketSize `json:"buckets"`   // largest first
}

// MeasureSizes reads the database at path (a shared lock: beside other
// readers, not beside a running Docent) and measures each bucket.
func MeasureSizes(path string, lockTimeout time.Duration) (Sizes, error) {
	lockTimeout = cmp.Or(lockTimeout, defaultLockTimeout)
	fi, err := os.Stat(path)
	if err != nil {
		return Sizes{}, fmt.Errorf("store: measure: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if err != nil {
		return Sizes{}, openError(path, lockTimeout, err)
	}
	defer db.Close()
	out := Sizes{File: fi.Size(), PageSize: db.Info().PageSize}
	err = db.View(func(tx *bolt.Tx) error {
		out.Used = tx.Size()
		if tx.Bucket(bucketMeta) == nil {
			return fmt.Errorf("%s is not a Docent database (no %q bucket)", path, bucketMeta)
		}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			bs := b.Stats()
			if bytes.Equal(name, bucketIDs) {
				out.Messages = bs.KeyN
			}
			size := BucketSize{
				Name:        string(name),
				Keys:        bs.KeyN,
				Buckets:     bs.BucketN - 1,
				Inline:      bs.InlineBucketN,
				LeafPages:   bs.LeafPageN + bs.LeafOverflowN,
				BranchPages: bs.BranchPageN + bs.BranchOverflowN,
				Alloc:       int64(bs.LeafAlloc + bs.BranchAlloc),
				Used:        int64(bs.LeafInuse + bs.BranchInuse + bs.InlineBucketInuse),
			}
			measurePairs(b, &size)
			out.Buckets = append(out.Buckets, size)
			return nil
		})
	})
	if err != nil {
		return Sizes{}, fmt.Errorf("store: measure %s: %w", path, err)
	}
	slices.SortStableFunc(out.Buckets, func(a, b BucketSize) int {
		return cmp.Or(cmp.Compare(b.Alloc, a.Alloc), cmp.Compare(b.KeyBytes+b.ValueBytes, a.KeyBytes+a.ValueBytes))
	})
	return out, nil
}

// measurePairs adds up the keys and values of b and of its nested buckets.
func measurePairs(b *bolt.Bucket, size *BucketSize) {
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		size.KeyBytes += int64(len(k))
		if v == nil {
			if nested := b.Bucket(k); nested != nil {
				measurePairs(nested, size)
			}
			continue
		}
		size.ValueBytes += int64(len(v))
	}
}
