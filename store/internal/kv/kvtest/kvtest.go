// Package kvtest is the conformance suite of store/internal/kv: what every
// backend must do the same, as the store uses it. A backend's test calls
// Run with a function that opens a new, empty database for a test.
package kvtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/docent-bot/docent/store/internal/kv"
)

// Run runs the suite, each case on a database of its own from open.
func Run(t *testing.T, open func(t *testing.T) kv.DB) {
	cases := []struct {
		name string
		fn   func(*testing.T, kv.DB)
	}{
		{"Order", testOrder},
		{"SeekAndPrevAtTheEdges", testSeekEdges},
		{"EarlierWalksBack", testEarlier},
		{"EmptyAndMissingBuckets", testEmptyBuckets},
		{"CreateAndDeleteBuckets", testBuckets},
		{"NextSequence", testSequence},
		{"SetSequence", testSetSequence},
		{"FailingUpdateRollsBack", testRollback},
		{"ViewIsReadOnly", testViewReadOnly},
		{"ConcurrentUpdatesBothLand", testConcurrent},
		{"LargeValues", testLargeValues},
		{"DeleteWhileIterating", testDeleteWhileIterating},
		{"ReadsOwnWrites", testReadsOwnWrites},
		{"KeysAndValues", testKeysAndValues},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
	}
}

var ctx = context.Background()

// update runs fn in an Update and fails the test on its error.
func update(t *testing.T, db kv.DB, fn func(kv.Tx) error) {
	t.Helper()
	if err := db.Update(ctx, fn); err != nil {
		t.Fatalf("update: %v", err)
	}
}

func view(t *testing.T, db kv.DB, fn func(kv.Tx) error) {
	t.Helper()
	if err := db.View(ctx, fn); err != nil {
		t.Fatalf("view: %v", err)
	}
}

var name = []byte("b")

// fill puts keys (value: "v"+key) into bucket b, making it.
func fill(t *testing.T, db kv.DB, keys ...[]byte) {
	t.Helper()
	update(t, db, func(tx kv.Tx) error {
		b, err := tx.CreateBucketIfNotExists(name)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := b.Put(k, append([]byte("v"), k...)); err != nil {
				return fmt.Errorf("put %x: %w", k, err)
			}
		}
		return nil
	})
}

// walk collects keys by moving c with first, then next until nil, checking
// each value.
func walk(t *testing.T, first func() ([]byte, []byte), next func() ([]byte, []byte)) [][]byte {
	t.Helper()
	var out [][]byte
	for k, v := first(); k != nil; k, v = next() {
		if want := append([]byte("v"), k...); !bytes.Equal(v, want) {
			t.Errorf("key %x has value %x, want %x", k, v, want)
		}
		out = append(out, bytes.Clone(k))
		if len(out) > 10000 {
			t.Fatal("the cursor does not stop")
		}
	}
	return out
}

// tricky are keys whose order a text comparison, a collation or a
// signed-byte comparison would get wrong: zero bytes, 0xFF, prefixes.
var tricky = [][]byte{
	{0x00}, {0x00, 0x00}, {0x00, 0xFF}, {0x01}, {0x7F}, {0x80}, {0xFE}, {0xFF}, {0xFF, 0x00}, {0xFF, 0xFF},
	[]byte("a"), []byte("a\x00"), []byte("a\x00\x00"), []byte("a\x01"), []byte("a\xff"), []byte("ab"), []byte("abc"),
	[]byte("B"), []byte("b"), []byte("é"), []byte("e"), []byte("Z"), []byte("z"),
}

func sorted(keys [][]byte) [][]byte {
	s := slices.Clone(keys)
	slices.SortFunc(s, bytes.Compare)
	return s
}

func reversed(keys [][]byte) [][]byte {
	s := slices.Clone(keys)
	slices.Reverse(s)
	return s
}

func same(t *testing.T, what string, got, want [][]byte) {
	t.Helper()
	if !slices.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("%s:\n got %x\nwant %x", what, got, want)
	}
}

// Keys come back in byte order, whichever way they are walked.
func testOrder(t *testing.T, db kv.DB) {
	shuffled := slices.Clone(tricky)
	rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	fill(t, db, shuffled...)
	want := sorted(tricky)
	view(t, db, func(tx kv.Tx) error {
		b := tx.Bucket(name)
		c := b.Cursor()
		same(t, "First, Next", walk(t, c.First, c.Next), want)
		same(t, "Last, Prev", walk(t, c.Last, c.Prev), reversed(want))
		var each [][]byte
		if err := b.ForEach(func(k, v []byte) error { each = append(each, bytes.Clone(k)); return nil }); err != nil {
			return err
		}
		same(t, "ForEach", each, want)
		return nil
	})
}

// Seek lands on the key or the next; Next and Prev stop at the ends.
func testSeekEdges(t *testing.T, db kv.DB) {
	fill(t, db, tricky...)
	all := sorted(tricky)
	view(t, db, func(tx kv.Tx) error {
		c := tx.Bucket(name).Cursor()
		for _, tc := range []struct {
			seek, want []byte
		}{
			{[]byte{}, all[0]},
			{[]byte{0x00}, []byte{0x00}},
			{[]byte{0x00, 0x00, 0x00}, []byte{0x00, 0xFF}},
			{[]byte("a\x00\x00\x00"), []byte("a\x01")},
			{[]byte("a\xff\xff"), []byte("b")},
			{[]byte("abd"), []byte("a\xff")},
			{[]byte{0xFF, 0xFF}, []byte{0xFF, 0xFF}},
			{[]byte{0xFF, 0xFF, 0x00}, nil},
		} {
			if k, _ := c.Seek(tc.seek); !bytes.Equal(k, tc.want) {
				t.Errorf("Seek(%x) = %x, want %x", tc.seek, k, tc.want)
			}
		}
		if k, _ := c.First(); !bytes.Equal(k, all[0]) {
			t.Errorf("First = %x, want %x", k, all[0])
		}
		if k, _ := c.Prev(); k != nil {
			t.Errorf("Prev from the first key = %x, want nil", k)
		}
		if k, _ := c.Last(); !bytes.Equal(k, all[len(all)-1]) {
			t.Errorf("Last = %x", k)
		}
		if k, _ := c.Next(); k != nil {
			t.Errorf("Next from the last key = %x, want nil", k)
		}
		// Turning: Seek then Prev, then Next again.
		c.Seek([]byte("ab"))
		if k, _ := c.Prev(); !bytes.Equal(k, []byte("a\x01")) {
			t.Errorf("Prev after Seek(ab) = %q, want a\\x01", k)
		}
		if k, _ := c.Next(); !bytes.Equal(k, []byte("ab")) {
			t.Errorf("Next after that = %q, want ab", k)
		}
		// A prefix scan, as store.Tx.Scan does.
		var got [][]byte
		for k, _ := c.Seek([]byte("a")); k != nil && bytes.HasPrefix(k, []byte("a")); k, _ = c.Next() {
			got = append(got, bytes.Clone(k))
		}
		same(t, "the keys under prefix a", got, [][]byte{[]byte("a"), []byte("a\x00"), []byte("a\x00\x00"), []byte("a\x01"), []byte("ab"), []byte("abc"), []byte("a\xff")})
		return nil
	})
}

// key8 is a conversation's record key, as store/ lays them: the
// conversation, then the ID in 8 big-endian bytes.
func key8(conv string, id uint64) []byte {
	k := []byte(conv)
	for i := 7; i >= 0; i-- {
		k = append(k, byte(id>>(8*i)))
	}
	return k
}

// store/'s earlier and its conversation reads: Seek just past the
// conversation's largest key, Last when that runs off the end, then Prev
// while the prefix holds. The conversation walked is the bucket's last,
// its first, and one in the middle.
func testEarlier(t *testing.T, db kv.DB) {
	var keys [][]byte
	for _, conv := range []string{"c1/", "c2/", "c3/"} {
		for id := uint64(1); id <= 300; id++ {
			keys = append(keys, key8(conv, id*0x101)) // bytes 0x00…0xFF in the IDs
		}
	}
	fill(t, db, keys...)
	for _, conv := range []string{"c1/", "c2/", "c3/"} {
		view(t, db, func(tx kv.Tx) error {
			c := tx.Bucket(name).Cursor()
			upper := key8(conv, ^uint64(0))
			k, _ := c.Seek(upper)
			if k == nil {
				k, _ = c.Last()
			} else if !bytes.Equal(k, upper) {
				k, _ = c.Prev()
			}
			var got [][]byte
			for ; k != nil && bytes.HasPrefix(k, []byte(conv)) && len(got) < 50; k, _ = c.Prev() {
				got = append(got, bytes.Clone(k))
			}
			var want [][]byte
			for id := uint64(300); id > 250; id-- {
				want = append(want, key8(conv, id*0x101))
			}
			same(t, "the last 50 of "+conv, got, want)
			// From the middle of the conversation, as earlier(rec) does.
			k, _ = c.Seek(key8(conv, 100*0x101))
			k, _ = c.Prev()
			if want := key8(conv, 99*0x101); !bytes.Equal(k, want) {
				t.Errorf("Prev from %s's 100th = %x, want %x", conv, k, want)
			}
			return nil
		})
	}
}

// A missing bucket is nil; an empty one has no keys at all.
func testEmptyBuckets(t *testing.T, db kv.DB) {
	view(t, db, func(tx kv.Tx) error {
		if b := tx.Bucket(name); b != nil {
			t.Errorf("Bucket of a new database = %v, want nil", b)
		}
		return tx.ForEachBucket(func(n []byte) error { return fmt.Errorf("a new database has bucket %q", n) })
	})
	update(t, db, func(tx kv.Tx) error { _, err := tx.CreateBucket(name); return err })
	view(t, db, func(tx kv.Tx) error {
		b := tx.Bucket(name)
		if b == nil {
			t.Fatal("the bucket made is not there")
		}
		c := b.Cursor()
		for what, move := range map[string]func() ([]byte, []byte){
			"First": c.First, "Last": c.Last, "Seek": func() ([]byte, []byte) { return c.Seek([]byte("x")) },
			"Seek(nothing)": func() ([]byte, []byte) { return c.Seek(nil) },
		} {
			if k, v := move(); k != nil || v != nil {
				t.Errorf("%s in an empty bucket = %x, %x", what, k, v)
			}
		}
		if v := b.Get([]byte("x")); v != nil {
			t.Errorf("Get in an empty bucket = %x", v)
		}
		return b.ForEach(func(k, _ []byte) error { return fmt.Errorf("an empty bucket has key %x", k) })
	})
}

// Buckets are made, listed in order, and deleted with their keys and
// their sequence.
func testBuckets(t *testing.T, db kv.DB) {
	names := [][]byte{[]byte("meta"), {0x00}, []byte("messages"), {0xFF}, []byte("ids")}
	update(t, db, func(tx kv.Tx) error {
		for _, n := range names {
			if _, err := tx.CreateBucket(n); err != nil {
				return fmt.Errorf("create %q: %w", n, err)
			}
		}
		if _, err := tx.CreateBucket([]byte("meta")); !errors.Is(err, kv.ErrBucketExists) {
			t.Errorf("CreateBucket of one there = %v, want ErrBucketExists", err)
		}
		if _, err := tx.CreateBucket(nil); !errors.Is(err, kv.ErrBucketName) {
			t.Errorf("CreateBucket with no name = %v, want ErrBucketName", err)
		}
		b, err := tx.CreateBucketIfNotExists([]byte("meta"))
		if err != nil {
			return err
		}
		if _, err := b.NextSequence(); err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	})
	view(t, db, func(tx kv.Tx) error {
		var got [][]byte
		if err := tx.ForEachBucket(func(n []byte) error { got = append(got, bytes.Clone(n)); return nil }); err != nil {
			return err
		}
		same(t, "ForEachBucket", got, sorted(names))
		if tx.Writable() {
			t.Error("a View is Writable")
		}
		return nil
	})
	update(t, db, func(tx kv.Tx) error {
		if !tx.Writable() {
			t.Error("an Update is not Writable")
		}
		if err := tx.DeleteBucket([]byte("meta")); err != nil {
			return err
		}
		if b := tx.Bucket([]byte("meta")); b != nil {
			t.Error("a deleted bucket is still there in its transaction")
		}
		if err := tx.DeleteBucket([]byte("meta")); !errors.Is(err, kv.ErrBucketNotFound) {
			t.Errorf("DeleteBucket of a missing one = %v, want ErrBucketNotFound", err)
		}
		return nil
	})
	update(t, db, func(tx kv.Tx) error {
		if tx.Bucket([]byte("meta")) != nil {
			t.Error("a deleted bucket is still there")
		}
		b, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		if v := b.Get([]byte("k")); v != nil {
			t.Errorf("a bucket made again has its old key: %q", v)
		}
		if n, err := b.NextSequence(); err != nil || n != 1 {
			t.Errorf("a bucket made again counts from %d (%v), want 1", n, err)
		}
		return nil
	})
}

// NextSequence counts 1, 2, … per bucket across transactions; a
// transaction that fails gives its numbers back, as bbolt does.
func testSequence(t *testing.T, db kv.DB) {
	next := func(tx kv.Tx, bucket string) uint64 {
		b, err := tx.CreateBucketIfNotExists([]byte(bucket))
		if err != nil {
			t.Fatal(err)
		}
		n, err := b.NextSequence()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	var got []uint64
	update(t, db, func(tx kv.Tx) error {
		got = append(got, next(tx, "a"), next(tx, "a"), next(tx, "other"), next(tx, "a"))
		return nil
	})
	update(t, db, func(tx kv.Tx) error { got = append(got, next(tx, "a")); return nil })
	if want := []uint64{1, 2, 1, 3, 4}; !slices.Equal(got, want) {
		t.Errorf("NextSequence gave %v, want %v", got, want)
	}
	var lost uint64
	err := db.Update(ctx, func(tx kv.Tx) error {
		next(tx, "a")
		lost = next(tx, "a")
		return errors.New("changed my mind")
	})
	if err == nil {
		t.Fatal("a failing Update returned no error")
	}
	update(t, db, func(tx kv.Tx) error {
		if n := next(tx, "a"); n != 5 {
			t.Errorf("after a rollback that took 5 and %d, NextSequence = %d, want 5 again (bbolt's rule)", lost, n)
		}
		return nil
	})
	view(t, db, func(tx kv.Tx) error {
		if _, err := tx.Bucket([]byte("a")).NextSequence(); !errors.Is(err, kv.ErrTxNotWritable) {
			t.Errorf("NextSequence in a View = %v, want ErrTxNotWritable", err)
		}
		return nil
	})
}

// Sequence reads a bucket's last number without taking one; SetSequence
// sets it (a copy keeps its numbers), NextSequence goes on from there, in
// the same transaction and the next, and a rollback gives the old one back.
func testSetSequence(t *testing.T, db kv.DB) {
	update(t, db, func(tx kv.Tx) error {
		b, err := tx.CreateBucket([]byte("a"))
		if err != nil {
			return err
		}
		if n := b.Sequence(); n != 0 {
			t.Errorf("a new bucket's Sequence = %d, want 0", n)
		}
		if _, err := b.NextSequence(); err != nil {
			return err
		}
		if n := b.Sequence(); n != 1 {
			t.Errorf("Sequence after NextSequence gave 1 = %d", n)
		}
		if err := b.SetSequence(41); err != nil {
			return err
		}
		if n := b.Sequence(); n != 41 {
			t.Errorf("Sequence after SetSequence(41) = %d", n)
		}
		if n, err := b.NextSequence(); err != nil || n != 42 {
			t.Errorf("NextSequence after SetSequence(41) = %d, %v; want 42", n, err)
		}
		return nil
	})
	update(t, db, func(tx kv.Tx) error {
		b := tx.Bucket([]byte("a"))
		if n := b.Sequence(); n != 42 {
			t.Errorf("Sequence in the next transaction = %d, want 42", n)
		}
		if err := b.SetSequence(1 << 40); err != nil {
			return err
		}
		if n, err := b.NextSequence(); err != nil || n != 1<<40+1 {
			t.Errorf("NextSequence = %d, %v; want %d", n, err, 1<<40+1)
		}
		return nil
	})
	err := db.Update(ctx, func(tx kv.Tx) error {
		if err := tx.Bucket([]byte("a")).SetSequence(7); err != nil {
			return err
		}
		return errors.New("changed my mind")
	})
	if err == nil {
		t.Fatal("a failing Update returned no error")
	}
	view(t, db, func(tx kv.Tx) error {
		b := tx.Bucket([]byte("a"))
		if n := b.Sequence(); n != 1<<40+1 {
			t.Errorf("after a rolled back SetSequence(7), Sequence = %d, want %d", n, 1<<40+1)
		}
		if err := b.SetSequence(3); !errors.Is(err, kv.ErrTxNotWritable) {
			t.Errorf("SetSequence in a View = %v, want ErrTxNotWritable", err)
		}
		return nil
	})
	update(t, db, func(tx kv.Tx) error {
		if err := tx.Bucket([]byte("a")).SetSequence(1 << 63); !errors.Is(err, kv.ErrSequenceRange) {
			t.Errorf("SetSequence(2^63) = %v, want ErrSequenceRange (PostgreSQL's bigint ends at 2^63-1)", err)
		}
		return nil
	})
}

// An Update whose fn fails leaves nothing of it: puts, deletes, buckets.
func testRollback(t *testing.T, db kv.DB) {
	fill(t, db, []byte("kept"), []byte("doomed"))
	refusal := errors.New("refused")
	err := db.Update(ctx, func(tx kv.Tx) error {
		b := tx.Bucket(name)
		if err := b.Put([]byte("new"), []byte("x")); err != nil {
			return err
		}
		if err := b.Put([]byte("kept"), []byte("overwritten")); err != nil {
			return err
		}
		if err := b.Delete([]byte("doomed")); err != nil {
			return err
		}
		if _, err := tx.CreateBucket([]byte("other")); err != nil {
			return err
		}
		return fmt.Errorf("a module says: %w", refusal)
	})
	if !errors.Is(err, refusal) {
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	view(t, db, func(tx kv.Tx) error {
		c := tx.Bucket(name).Cursor()
		same(t, "the keys after a failed Update", walk(t, c.First, c.Next), [][]byte{[]byte("doomed"), []byte("kept")})
		if tx.Bucket([]byte("other")) != nil {
			t.Error("a bucket made by a failed Update is there")
		}
		return nil
	})
}

// A View may not write.
func testViewReadOnly(t *testing.T, db kv.DB) {
	fill(t, db, []byte("k"))
	view(t, db, func(tx kv.Tx) error {
		b := tx.Bucket(name)
		if err := b.Put([]byte("k"), []byte("x")); !errors.Is(err, kv.ErrTxNotWritable) {
			t.Errorf("Put in a View = %v, want ErrTxNotWritable", err)
		}
		if err := b.Delete([]byte("k")); !errors.Is(err, kv.ErrTxNotWritable) {
			t.Errorf("Delete in a View = %v, want ErrTxNotWritable", err)
		}
		if _, err := tx.CreateBucketIfNotExists([]byte("new")); !errors.Is(err, kv.ErrTxNotWritable) {
			t.Errorf("CreateBucketIfNotExists in a View = %v, want ErrTxNotWritable", err)
		}
		return nil
	})
}

// Two goroutines each read-modify-write one counter and append under
// NextSequence: every update lands once, whatever the backend serializes
// with (bbolt's one writer, PostgreSQL's conflicts and retries).
func testConcurrent(t *testing.T, db kv.DB) {
	const each = 25
	fill(t, db, []byte("counter"))
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := db.Update(ctx, func(tx kv.Tx) error {
					b := tx.Bucket(name)
					n := len(b.Get([]byte("counter"))) // one byte more per update
					if err := b.Put([]byte("counter"), bytes.Repeat([]byte("v"), n+1)); err != nil {
						return err
					}
					id, err := b.NextSequence()
					if err != nil {
						return err
					}
					return b.Put(key8("log/", id), append([]byte("v"), key8("log/", id)...))
				})
				if err != nil {
					errs <- fmt.Errorf("goroutine %d, update %d: %w", g, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	view(t, db, func(tx kv.Tx) error {
		b := tx.Bucket(name)
		if n := len(b.Get([]byte("counter"))) - len("vcounter"); n != 2*each {
			t.Errorf("the counter is %d after %d updates", n, 2*each)
		}
		var logs int
		c := b.Cursor()
		for k, _ := c.Seek([]byte("log/")); k != nil && bytes.HasPrefix(k, []byte("log/")); k, _ = c.Next() {
			logs++
			if want := key8("log/", uint64(logs)); !bytes.Equal(k, want) {
				t.Errorf("log key %d is %x, want %x: a number skipped or given twice", logs, k, want)
			}
		}
		if logs != 2*each {
			t.Errorf("%d appends landed, want %d", logs, 2*each)
		}
		return nil
	})
}

// Values of 1 MB go in and come back whole, by Get and by cursor.
func testLargeValues(t *testing.T, db kv.DB) {
	r := rand.New(rand.NewPCG(1, 2))
	vals := make([][]byte, 3)
	for i := range vals {
		vals[i] = make([]byte, 1<<20)
		for j := range vals[i] {
			vals[i][j] = byte(r.Uint32())
		}
	}
	update(t, db, func(tx kv.Tx) error {
		b, err := tx.CreateBucket(name)
		if err != nil {
			return err
		}
		for i, v := range vals {
			if err := b.Put([]byte{byte(i)}, v); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx kv.Tx) error {
		b := tx.Bucket(name)
		if got := b.Get([]byte{1}); !bytes.Equal(got, vals[1]) {
			t.Errorf("Get of a 1 MB value: %d bytes back, equal %v", len(got), bytes.Equal(got, vals[1]))
		}
		c := b.Cursor()
		i := len(vals) - 1
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			if !bytes.Equal(v, vals[k[0]]) || int(k[0]) != i {
				t.Errorf("the cursor's value at %x differs (%d bytes)", k, len(v))
			}
			i--
		}
		return nil
	})
}

// Deleting as store/ does while it walks: re-Seek the prefix after each
// delete (deleteRecord's votes), and collect-then-delete (DeletePrefix).
func testDeleteWhileIterating(t *testing.T, db kv.DB) {
	var keys [][]byte
	for _, p := range []string{"a/", "b/", "c/"} {
		for i := range 40 {
			keys = append(keys, []byte(fmt.Sprintf("%s%03d", p, i)))
		}
	}
	fill(t, db, keys...)
	update(t, db, func(tx kv.Tx) error {
		b := tx.Bucket(name)
		c := b.Cursor()
		n := 0
		for k, _ := c.Seek([]byte("b/")); k != nil && bytes.HasPrefix(k, []byte("b/")); k, _ = c.Seek([]byte("b/")) {
			if err := b.Delete(k); err != nil {
				return err
			}
			if n++; n > 40 {
				t.Fatal("re-Seek after Delete finds a deleted key")
			}
		}
		var doomed [][]byte
		for k, _ := c.Seek([]byte("c/")); k != nil && bytes.HasPrefix(k, []byte("c/")); k, _ = c.Next() {
			doomed = append(doomed, bytes.Clone(k))
		}
		for _, k := range doomed {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		if n != 40 || len(doomed) != 40 {
			t.Errorf("deleted %d by re-Seek and %d collected, want 40 and 40", n, len(doomed))
		}
		// In the same transaction, the walk sees the deletes.
		same(t, "the keys left, in the transaction", walk(t, c.First, c.Next), keys[:40])
		return nil
	})
	view(t, db, func(tx kv.Tx) error {
		c := tx.Bucket(name).Cursor()
		same(t, "the keys left", walk(t, c.First, c.Next), keys[:40])
		return nil
	})
}

// A transaction reads what it wrote, by Get and by cursor, even with a
// cursor that was already open.
func testReadsOwnWrites(t *testing.T, db kv.DB) {
	fill(t, db, []byte("a"), []byte("c"), []byte("e"))
	update(t, db, func(tx kv.Tx) error {
		b := tx.Bucket(name)
		c := b.Cursor()
		if k, _ := c.First(); string(k) != "a" {
			t.Errorf("First = %q", k)
		}
		if err := b.Put([]byte("b"), []byte("vb")); err != nil {
			return err
		}
		if got := b.Get([]byte("b")); string(got) != "vb" {
			t.Errorf("Get after Put = %q", got)
		}
		if k, _ := c.Seek([]byte("a\x00")); string(k) != "b" {
			t.Errorf("Seek after Put = %q, want b", k)
		}
		if k, _ := c.Last(); string(k) != "e" {
			t.Errorf("Last = %q, want e", k)
		}
		if err := b.Delete([]byte("e")); err != nil {
			return err
		}
		if k, _ := c.Last(); string(k) != "c" {
			t.Errorf("Last after deleting e = %q, want c", k)
		}
		// A key read absent, then written, then deleted, then written
		// again; a key read, then overwritten: each Get sees the latest.
		if got := b.Get([]byte("d")); got != nil {
			t.Errorf("Get of a key never written = %q", got)
		}
		for i, want := range []string{"d1", "", "d2"} {
			var err error
			if want == "" {
				err = b.Delete([]byte("d"))
			} else {
				err = b.Put([]byte("d"), []byte(want))
			}
			if err != nil {
				return err
			}
			if got := b.Get([]byte("d")); string(got) != want || (want == "") != (got == nil) {
				t.Errorf("step %d: Get = %q, want %q", i, got, want)
			}
		}
		if got := b.Get([]byte("a")); string(got) != "va" {
			t.Errorf("Get(a) = %q", got)
		}
		if err := b.Put([]byte("a"), []byte("new")); err != nil {
			return err
		}
		if got := b.Get([]byte("a")); string(got) != "new" {
			t.Errorf("Get after overwriting a = %q", got)
		}
		if k, v := c.Seek([]byte("d")); string(k) != "d" || string(v) != "d2" {
			t.Errorf("Seek(d) = %q %q, want d d2", k, v)
		}
		return nil
	})
	// What one transaction knew is not the next one's: a bucket deleted
	// and made again is empty.
	update(t, db, func(tx kv.Tx) error {
		if got := tx.Bucket(name).Get([]byte("a")); string(got) != "new" {
			t.Errorf("next transaction: Get(a) = %q", got)
		}
		if err := tx.DeleteBucket(name); err != nil {
			return err
		}
		b, err := tx.CreateBucket(name)
		if err != nil {
			return err
		}
		if got := b.Get([]byte("a")); got != nil {
			t.Errorf("Get(a) in a bucket deleted and made again = %q", got)
		}
		return nil
	})
}

// Keys of 1 to MaxKeySize bytes, empty values, and Put's copies.
func testKeysAndValues(t *testing.T, db kv.DB) {
	long := bytes.Repeat([]byte{0xAB}, kv.MaxKeySize)
	buf := []byte("value")
	update(t, db, func(tx kv.Tx) error {
		b, err := tx.CreateBucket(name)
		if err != nil {
			return err
		}
		if err := b.Put(long, []byte("long")); err != nil {
			t.Errorf("Put of a %d-byte key: %v", len(long), err)
		}
		if err := b.Put(append(long, 0), []byte("x")); !errors.Is(err, kv.ErrKeyTooLarge) {
			t.Errorf("Put of a %d-byte key = %v, want ErrKeyTooLarge", len(long)+1, err)
		}
		if err := b.Put(nil, []byte("x")); !errors.Is(err, kv.ErrKeyRequired) {
			t.Errorf("Put of no key = %v, want ErrKeyRequired", err)
		}
		if err := b.Put([]byte("empty"), nil); err != nil {
			return err
		}
		if err := b.Put([]byte("reused"), buf); err != nil {
			return err
		}
		copy(buf, "XXXXX") // the caller may reuse its buffer
		return nil
	})
	view(t, db, func(tx kv.Tx) error {
		b := tx.Bucket(name)
		if v := b.Get(long); string(v) != "long" {
			t.Errorf("Get of the long key = %q", v)
		}
		if v := b.Get([]byte("empty")); v == nil || len(v) != 0 {
			t.Errorf("Get of an empty value = %#v, want empty and not nil", v)
		}
		if v := b.Get([]byte("reused")); string(v) != "value" {
			t.Errorf("a value whose buffer was reused after Put reads %q", v)
		}
		return nil
	})
}
