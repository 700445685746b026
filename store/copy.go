package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/docent-bot/docent/store/internal/kv"
)

// Copying a whole Docent database from one backend to another (docent
// migrate --to, --from): every bucket, key, value and bucket sequence, the
// store's and the modules', meta with its schema versions, through kv, so
// that it knows nothing of what the buckets hold.
//
// The source is locked for the whole copy (bbolt's file lock, shared:
// Docent, which takes it exclusively, cannot open the file meanwhile; on
// PostgreSQL the store's exclusive lock, which a Docent and replicas both
// need), and so is the destination, which must be empty. The buckets are
// copied in batches, each in one transaction, in the order of their names,
// meta last, in the transaction that removes the copy's mark: until then
// the destination holds no meta bucket, and Docent refuses to open it. A
// copy that stops (a kill, a dropped connection) is resumed by running it
// again: each bucket holds a prefix of the source's, so it goes on after
// its last key. Then both are read again, and each bucket's keys, sequence
// and SHA-256 compared.

// Location is where a Docent database lives: a bbolt file or a PostgreSQL
// database, one of the two.
type Location struct {
	File string // a bbolt file's path
	URL  string // postgres://user:password@host/db
}

// String names the location in messages: the file, or the URL without its
// password.
func (l Location) String() string {
	if l.URL != "" {
		return RedactURL(l.URL)
	}
	return l.File
}

// RedactURL is raw, a PostgreSQL URL, without its password, for
// messages.
func RedactURL(raw string) string { return kv.RedactURL(raw) }

// CopyOptions tunes Copy.
type CopyOptions struct {
	// LockTimeout is how long to wait for each database's lock; 0 means
	// 1s. A Docent running on either keeps it.
	LockTimeout time.Duration
	// Replace empties a destination that is not empty, instead of
	// refusing it.
	Replace bool
	// BatchKeys is the most keys one transaction writes; 0 means
	// 10,000. BatchBytes caps their keys and values; 0 means 16 MB.
	BatchKeys, BatchBytes int
	// Progress, when set, hears how far each phase is, after each batch.
	Progress func(CopyProgress)
}

// CopyProgress is how far a copy is: in Phase ("reading" the source's
// checksums, "copying", "verifying" the destination), Done of Total keys
// (Total is 0 while the source is read).
type CopyProgress struct {
	Phase       string
	Done, Total int64
}

// BucketSum is one bucket as Copy compares it: its keys, its sequence,
// and a SHA-256 over its keys and values in order (each as a 4-byte
// big-endian length and the bytes) and then the sequence (8 bytes).
type BucketSum struct {
	Name     string
	Keys     int64
	Sequence uint64
	SHA256   [32]byte
}

// Sum is the checksum in hex.
func (b BucketSum) Sum() string { return hex.EncodeToString(b.SHA256[:]) }

// CopyReport is what a copy did and found.
type CopyReport struct {
	From, To string // as Location.String says them
	// Keys and Bytes are what this run wrote (keys and values); Resumed
	// the keys an interrupted run had copied before.
	Keys, Bytes, Resumed int64
	Took                 time.Duration
	// Reading, Copying and Verifying are the phases' times: reading the
	// source's sums, copying, reading the destination's.
	Reading, Copying, Verifying time.Duration
	// Source and Destination are each bucket's sums, in name order.
	Source, Destination []BucketSum
}

var (
	// ErrNotEmpty is Copy's error (wrapped) for a destination that holds
	// a database already, when CopyOptions.Replace is not set.
	ErrNotEmpty = errors.New("the destination is not empty")
	// ErrCopyDiffers is the error (wrapped) of Copy and CompareCopy when a
	// bucket of the destination differs from the source's.
	ErrCopyDiffers = errors.New("the copy differs from its source")
)

// bucketCopying is the mark of a copy under way: a bucket in the
// destination, made before the first batch and removed with the last
// (meta's). Its key "from" names the source.
var (
	bucketCopying = []byte("docent-copy-in-progress")
	keyCopyFrom   = []byte("from")
)

const (
	defaultBatchKeys  = 10_000
	defaultBatchBytes = 16 << 20
)

// Copy copies the Docent database at from into the empty database at to,
// then compares the two (CompareCopy's checks): any difference is an
// error naming the bucket. Run again after an interruption, it goes on
// where it stopped.
func Copy(ctx context.Context, from, to Location, opts CopyOptions) (*CopyReport, error) {
	return copyOrCompare(ctx, from, to, opts, true)
}

// CompareCopy compares the database at to with the one at from, as Copy
// does after copying, holding both locks, and writes nothing.
func CompareCopy(ctx context.Context, from, to Location, opts CopyOptions) (*CopyReport, error) {
	return copyOrCompare(ctx, from, to, opts, false)
}

func copyOrCompare(ctx context.Context, from, to Location, opts CopyOptions, write bool) (*CopyReport, error) {
	start := time.Now()
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = defaultLockTimeout
	}
	if opts.BatchKeys <= 0 {
		opts.BatchKeys = defaultBatchKeys
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = defaultBatchBytes
	}
	if opts.Progress == nil {
		opts.Progress = func(CopyProgress) {}
	}
	if err := checkLocations(from, to); err != nil {
		return nil, err
	}
	r := &CopyReport{From: from.String(), To: to.String()}
	src, err := openEnd(ctx, from, true, opts.LockTimeout)
	if err != nil {
		return nil, err
	}
	defer src.close()
	if err := checkCopySource(ctx, src); err != nil {
		return nil, err
	}
	dst, err := openEnd(ctx, to, !write, opts.LockTimeout)
	if err != nil {
		return nil, err
	}
	defer dst.close()

	var after map[string][]byte // each bucket's last key copied already
	if write {
		if after, err = prepareDestination(ctx, src, dst, opts.Replace); err != nil {
			return nil, err
		}
	}
	phase := time.Now()
	r.Source, r.Resumed, err = sums(ctx, src, after, func(done int64) {
		opts.Progress(CopyProgress{Phase: "reading", Done: done})
	})
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", src.where, err)
	}
	r.Reading = time.Since(phase)
	var total int64
	for _, b := range r.Source {
		total += b.Keys
	}
	phase = time.Now()
	if write {
		err := copyBuckets(ctx, src, dst, r, after, opts, func(done int64) {
			opts.Progress(CopyProgress{Phase: "copying", Done: r.Resumed + done, Total: total})
		})
		if err != nil {
			return nil, fmt.Errorf("store: copy %s into %s (%d of %d keys copied; run the copy again to go on): %w", src.where, dst.where, r.Resumed+r.Keys, total, err)
		}
	}
	r.Copying, phase = time.Since(phase), time.Now()
	r.Destination, _, err = sums(ctx, dst, nil, func(done int64) {
		opts.Progress(CopyProgress{Phase: "verifying", Done: done, Total: total})
	})
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", dst.where, err)
	}
	r.Verifying, r.Took = time.Since(phase), time.Since(start)
	if err := compareSums(r.Source, r.Destination); err != nil {
		return r, fmt.Errorf("store: %s differs from %s, its source: %w", dst.where, src.where, err)
	}
	return r, nil
}

// checkLocations refuses a location that is neither or both, and a copy
// onto itself.
func checkLocations(from, to Location) error {
	for _, l := range []Location{from, to} {
		if (l.File == "") == (l.URL == "") {
			return fmt.Errorf("store: copy: a database is a bbolt file or a PostgreSQL URL, one of the two (got %q and %q)", l.File, RedactURL(l.URL))
		}
	}
	same := from.URL != "" && from.URL == to.URL
	if from.File != "" && to.File != "" {
		a, errA := filepath.Abs(from.File)
		b, errB := filepath.Abs(to.File)
		same = errA == nil && errB == nil && a == b
	}
	if same {
		return fmt.Errorf("store: copy %s onto itself", from)
	}
	return nil
}

// end is one database of a copy, locked.
type end struct {
	db    kv.DB
	where string
	close func()
}

// openEnd opens the database at l and takes its lock, waiting up to wait
// for a Docent to let it go. A source (read) is opened read-only: a bbolt
// file must exist, and is locked shared.
func openEnd(ctx context.Context, l Location, read bool, wait time.Duration) (*end, error) {
	if l.URL != "" {
		pg, err := kv.OpenPostgres(ctx, l.URL)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		where := pg.URL()
		lock, err := pg.Hold(ctx, storeLock, kv.Exclusive, wait)
		if err != nil {
			_ = pg.Close()
			if errors.Is(err, kv.ErrHeld) {
				return nil, inUse(where, wait)
			}
			return nil, fmt.Errorf("store: lock %s: %w", where, err)
		}
		return &end{db: pg, where: where, close: func() { _ = pg.Close(); lock.Release() }}, nil
	}
	path, err := filepath.Abs(l.File) // the same in the mark, from any folder
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", l.File, err)
	}
	if read {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("store: open %s: create its directory: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: wait, ReadOnly: read, OpenFile: openChecked})
	if err != nil {
		var de *damagedError
		if errors.As(err, &de) {
			return nil, fileError(path, de.err)
		}
		if err := openError(path, wait, err); !errors.Is(err, ErrLocked) {
			return nil, err
		}
		return nil, inUse(path, wait)
	}
	return &end{db: kv.NewBolt(db), where: path, close: func() { _ = db.Close() }}, nil
}

// inUse is the error for a database whose lock another process keeps.
func inUse(where string, wait time.Duration) error {
	return fmt.Errorf("store: %s is in use (waited %s for its lock): %w; stop the Docent using it (and its replicas) before copying", where, wait, ErrLocked)
}

// checkCopySource refuses a source that is not a Docent database of this
// schema, its records converted: the destination would get what this
// code cannot vouch for.
func checkCopySource(ctx context.Context, src *end) error {
	return src.db.View(ctx, func(tx kv.Tx) error {
		if tx.Bucket(bucketCopying) != nil {
			return fmt.Errorf("store: %s holds an interrupted copy (%q), not a whole database", src.where, copyFrom(tx))
		}
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return fmt.Errorf("store: %s is not a Docent database (no %q bucket)", src.where, bucketMeta)
		}
		v, err := strconv.Atoi(string(meta.Get(keySchema)))
		switch {
		case err != nil:
			return fmt.Errorf("store: %s has no schema version Docent reads (%q)", src.where, meta.Get(keySchema))
		case v > schemaVersion:
			return fmt.Errorf("store: %s was written by a newer Docent (schema %d); this version reads and copies schema %d", src.where, v, schemaVersion)
		case v < schemaVersion || meta.Get(keyConverting) != nil:
			return fmt.Errorf("store: %s is at schema %d, or its records are still being converted; this version copies schema %d: %s first", src.where, v, schemaVersion, howToMigrate(src))
		}
		return nil
	})
}

// howToMigrate is how to bring the database to this code's schema.
func howToMigrate(e *end) string {
	if _, ok := e.db.(*kv.Postgres); ok {
		return "start this Docent on it once (it converts the records when it opens the database)"
	}
	return "run `docent migrate --db " + e.where + "` (Docent stopped)"
}

// copyFrom is the source an interrupted copy names in its mark.
func copyFrom(tx kv.Tx) string {
	if b := tx.Bucket(bucketCopying); b != nil {
		return string(b.Get(keyCopyFrom))
	}
	return ""
}

// prepareDestination makes sure dst is empty (emptying it when replace
// says so) or holds an interrupted copy of src, and marks it; after has
// each bucket's last key there, for a copy that goes on.
func prepareDestination(ctx context.Context, src, dst *end, replace bool) (after map[string][]byte, err error) {
	var names []string
	var interrupted string
	err = dst.db.View(ctx, func(tx kv.Tx) error {
		interrupted = copyFrom(tx)
		return tx.ForEachBucket(func(name []byte) error {
			names = append(names, string(name))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", dst.where, err)
	}
	resume := slices.Contains(names, string(bucketCopying)) && interrupted == src.where
	switch {
	case len(names) == 0 || (resume && !replace):
	case !replace:
		what := fmt.Sprintf("it holds the buckets %s", quoteNames(names))
		if slices.Contains(names, string(bucketCopying)) {
			what = fmt.Sprintf("it holds an interrupted copy of %s", interrupted)
		} else if slices.Contains(names, string(bucketMeta)) {
			what = fmt.Sprintf("it holds a Docent database: buckets %s", quoteNames(names))
		}
		return nil, fmt.Errorf("store: %s: %w (%s); a copy goes only into an empty database", dst.where, ErrNotEmpty, what)
	default:
		for _, name := range names {
			err := dst.db.Update(ctx, func(tx kv.Tx) error { return tx.DeleteBucket([]byte(name)) })
			if err != nil {
				return nil, fmt.Errorf("store: empty %s: delete bucket %q: %w", dst.where, name, err)
			}
		}
		resume = false
	}
	after = map[string][]byte{}
	err = dst.db.Update(ctx, func(tx kv.Tx) error {
		clear(after)
		if resume {
			return tx.ForEachBucket(func(name []byte) error {
				if k, _ := tx.Bucket(name).Cursor().Last(); k != nil {
					after[string(name)] = bytes.Clone(k)
				}
				return nil
			})
		}
		mark, err := tx.CreateBucket(bucketCopying)
		if err != nil {
			return err
		}
		return mark.Put(keyCopyFrom, []byte(src.where))
	})
	if err != nil {
		return nil, fmt.Errorf("store: mark %s as being copied into: %w", dst.where, err)
	}
	return after, nil
}

// quoteNames lists bucket names for a message, the first few.
func quoteNames(names []string) string {
	q := make([]string, 0, 6)
	for i, n := range names {
		if i == 5 {
			q = append(q, fmt.Sprintf("and %d more", len(names)-5))
			break
		}
		q = append(q, strconv.Quote(n))
	}
	return strings.Join(q, ", ")
}

// pair is a key and its value, copied out of their transaction.
type pair struct{ k, v []byte }

// readBatch reads the pairs of bucket name after key after (from its
// start when nil), up to maxKeys or maxBytes (meta's whole bucket when
// maxKeys is 0), in one transaction; last says it reached the end, and
// seq is the bucket's sequence.
func readBatch(ctx context.Context, db kv.DB, name, after []byte, maxKeys, maxBytes int) (pairs []pair, last bool, seq uint64, err error) {
	err = db.View(ctx, func(tx kv.Tx) error {
		pairs, last = pairs[:0], false
		b := tx.Bucket(name)
		if b == nil {
			return fmt.Errorf("bucket %q is gone", name)
		}
		seq = b.Sequence()
		c := b.Cursor()
		var k, v []byte
		if after == nil {
			k, v = c.First()
		} else if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
			k, v = c.Next()
		}
		size := 0
		for ; k != nil; k, v = c.Next() {
			if maxKeys > 0 && (len(pairs) >= maxKeys || size >= maxBytes) {
				return nil
			}
			if v == nil {
				return fmt.Errorf("bucket %q holds a bucket (%q) inside it, which Docent never writes", name, k)
			}
			pairs = append(pairs, pair{bytes.Clone(k), bytes.Clone(v)})
			size += len(k) + len(v)
		}
		last = true
		return nil
	})
	return pairs, last, seq, err
}

// bucketNames are the database's buckets in order, without a copy's mark.
func bucketNames(ctx context.Context, db kv.DB) ([][]byte, error) {
	var names [][]byte
	err := db.View(ctx, func(tx kv.Tx) error {
		return tx.ForEachBucket(func(name []byte) error {
			if !bytes.Equal(name, bucketCopying) {
				names = append(names, bytes.Clone(name))
			}
			return nil
		})
	})
	return names, err
}

// sums reads every bucket of e and sums it (see BucketSum); resumed counts
// the keys at or before each bucket's key in after.
func sums(ctx context.Context, e *end, after map[string][]byte, progress func(int64)) (out []BucketSum, resumed int64, err error) {
	names, err := bucketNames(ctx, e.db)
	if err != nil {
		return nil, 0, err
	}
	var done int64
	for _, name := range names {
		h := sha256.New()
		s := BucketSum{Name: string(name)}
		var from []byte
		var n [4]byte
		upTo := after[string(name)]
		for {
			pairs, last, seq, err := readBatch(ctx, e.db, name, from, defaultBatchKeys, defaultBatchBytes)
			if err != nil {
				return nil, 0, err
			}
			for _, p := range pairs {
				h.Write(binary.BigEndian.AppendUint32(n[:0], uint32(len(p.k))))
				h.Write(p.k)
				h.Write(binary.BigEndian.AppendUint32(n[:0], uint32(len(p.v))))
				h.Write(p.v)
				if upTo != nil && bytes.Compare(p.k, upTo) <= 0 {
					resumed++
				}
			}
			s.Keys += int64(len(pairs))
			done += int64(len(pairs))
			progress(done)
			if last {
				s.Sequence = seq
				break
			}
			from = pairs[len(pairs)-1].k
		}
		h.Write(binary.BigEndian.AppendUint64(nil, s.Sequence))
		h.Sum(s.SHA256[:0])
		out = append(out, s)
	}
	return out, resumed, nil
}

// batch is what the reader hands the writer: pairs of one bucket, the
// last ones with its sequence.
type batch struct {
	name  []byte
	pairs []pair
	last  bool
	seq   uint64
}

// copyBuckets copies every bucket of src after the keys in after, meta
// last: the reader reads the next batch while the writer writes one.
func copyBuckets(ctx context.Context, src, dst *end, r *CopyReport, after map[string][]byte, opts CopyOptions, progress func(int64)) error {
	names, err := bucketNames(ctx, src.db)
	if err != nil {
		return fmt.Errorf("read %s: %w", src.where, err)
	}
	// meta last: without it Docent opens no database.
	names = slices.DeleteFunc(names, func(n []byte) bool { return bytes.Equal(n, bucketMeta) })
	names = append(names, bucketMeta)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan batch, 2)
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		for _, name := range names {
			from := after[string(name)]
			maxKeys := opts.BatchKeys
			if bytes.Equal(name, bucketMeta) {
				maxKeys, from = 0, nil // meta in one transaction, whole
			}
			for {
				pairs, last, seq, err := readBatch(ctx, src.db, name, from, maxKeys, opts.BatchBytes)
				if err != nil {
					readErr <- fmt.Errorf("read bucket %q of %s: %w", name, src.where, err)
					return
				}
				select {
				case batches <- batch{name: name, pairs: pairs, last: last, seq: seq}:
				case <-ctx.Done():
					readErr <- ctx.Err()
					return
				}
				if last {
					break
				}
				from = pairs[len(pairs)-1].k
			}
		}
		readErr <- nil
	}()
	for b := range batches {
		err := dst.db.Update(ctx, func(tx kv.Tx) error {
			bk, err := tx.CreateBucketIfNotExists(b.name)
			if err != nil {
				return err
			}
			// The keys come in order: full pages, as a compacted file's.
			bk.SetFillPercent(1)
			for _, p := range b.pairs {
				if err := bk.Put(p.k, p.v); err != nil {
					return fmt.Errorf("put key %x: %w", p.k, err)
				}
			}
			if b.last {
				if err := bk.SetSequence(b.seq); err != nil {
					return err
				}
			}
			if bytes.Equal(b.name, bucketMeta) {
				return tx.DeleteBucket(bucketCopying)
			}
			return nil
		})
		if err != nil {
			cancel()
			for range batches { // let the reader end
			}
			return fmt.Errorf("write bucket %q into %s: %w", b.name, dst.where, err)
		}
		for _, p := range b.pairs {
			r.Bytes += int64(len(p.k) + len(p.v))
		}
		r.Keys += int64(len(b.pairs))
		progress(r.Keys)
	}
	return <-readErr
}

// compareSums says which buckets differ, each by name; nil when none.
func compareSums(src, dst []BucketSum) error {
	byName := map[string]BucketSum{}
	for _, b := range dst {
		byName[b.Name] = b
	}
	var diffs []string
	for _, s := range src {
		d, ok := byName[s.Name]
		delete(byName, s.Name)
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("bucket %q is missing", s.Name))
		case s.Keys != d.Keys:
			diffs = append(diffs, fmt.Sprintf("bucket %q has %d keys, the source %d", s.Name, d.Keys, s.Keys))
		case s.Sequence != d.Sequence:
			diffs = append(diffs, fmt.Sprintf("bucket %q has sequence %d, the source %d", s.Name, d.Sequence, s.Sequence))
		case s.SHA256 != d.SHA256:
			diffs = append(diffs, fmt.Sprintf("bucket %q has checksum %.16s…, the source %.16s… (same %d keys: a key or value differs)", s.Name, d.Sum(), s.Sum(), s.Keys))
		}
	}
	for _, d := range dst {
		if _, extra := byName[d.Name]; extra {
			diffs = append(diffs, fmt.Sprintf("bucket %q (%d keys) is not in the source", d.Name, d.Keys))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%w: %s", ErrCopyDiffers, strings.Join(diffs, "; "))
	}
	return nil
}
