package store_test

import (
	"context"
	"encoding/binary"
	"os"
	"testing"

	"github.com/docent-bot/docent/store"
)

// TestAppendBucketPagesFull: keys put in increasing order fill an append
// bucket's pages, where a plain bucket's stay half empty (MeasureSizes
// reads both); compacting then leaves no room after the last page.
func TestAppendBucketPagesFull(t *testing.T) {
	boltOnly(t, "bbolt's pages")
	path := dbPath(t)
	s := openStore(t, path)
	plain, appended := store.NewBucket("test_plain"), store.NewAppendBucket("test_appended")
	val := make([]byte, 40)
	for chunk := range 20 {
		err := s.Update(context.Background(), func(tx *store.Tx) error {
			for i := range 1000 {
				key := binary.BigEndian.AppendUint64(nil, uint64(chunk*1000+i))
				if err := tx.Put(plain, key, val); err != nil {
					return err
				}
				if err := tx.Put(appended, key, val); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	sz, err := store.MeasureSizes(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	fill := map[string]float64{}
	for _, b := range sz.Buckets {
		fill[b.Name] = b.Fill()
		if (b.Name == "test_plain" || b.Name == "test_appended") && (b.Keys != 20000 || b.KeyBytes != 8*20000 || b.ValueBytes != 40*20000) {
			t.Errorf("%s: %d keys, %d key bytes, %d value bytes; want 20000, 160000, 800000", b.Name, b.Keys, b.KeyBytes, b.ValueBytes)
		}
	}
	if fill["test_appended"] < 0.95 || fill["test_plain"] > 0.6 {
		t.Errorf("pages %.0f%% full in the append bucket, %.0f%% in the plain one; want ≥ 95%% and about half", 100*fill["test_appended"], 100*fill["test_plain"])
	}
	if _, err := store.CompactFile(path, 0); err != nil {
		t.Fatal(err)
	}
	sz, err = store.MeasureSizes(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Size() != sz.Used {
		t.Errorf("the compacted file is %d bytes, its pages in use %d", fi.Size(), sz.Used)
	}
}
