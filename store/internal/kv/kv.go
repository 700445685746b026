// Package kv is the key-value database the store runs over: transactions
// over named buckets of byte keys in order, as bbolt has them. It has two
// implementations, bbolt (OpenBolt, the embedded default) and PostgreSQL
// (OpenPostgres), and one conformance suite (kvtest) that both pass, so
// the store can move onto it without changing what it does.
//
// The interface covers every call store/ makes to bbolt inside a
// transaction (grep -n "Cursor\|Seek\|Prev\|NextSequence\|CreateBucket\|
// DeleteBucket\|ForEach\|Stats" store/*.go, and the Get/Put/Delete beside
// them):
//
//	bolt.DB.View, DB.Update            → DB.View, DB.Update
//	bolt.Tx.Bucket                      → Tx.Bucket (nil when absent)
//	bolt.Tx.CreateBucket                → Tx.CreateBucket (ErrBucketExists)
//	bolt.Tx.CreateBucketIfNotExists     → Tx.CreateBucketIfNotExists
//	bolt.Tx.DeleteBucket (tests)        → Tx.DeleteBucket (ErrBucketNotFound)
//	bolt.Tx.ForEach (bucket names)      → Tx.ForEachBucket
//	bolt.Bucket.Get, Put, Delete        → Bucket.Get, Put, Delete
//	bolt.Bucket.NextSequence            → Bucket.NextSequence
//	bolt.Bucket.Sequence, SetSequence   → Bucket.Sequence, SetSequence (a copy)
//	bolt.Bucket.ForEach                 → Bucket.ForEach
//	bolt.Bucket.FillPercent = f         → Bucket.SetFillPercent(f) (a hint)
//	bolt.Bucket.Cursor                  → Bucket.Cursor
//	bolt.Cursor.First, Last, Seek,
//	            Next, Prev              → Cursor.First, Last, Seek, Next, Prev
//
// The file's own calls stay with the bbolt backend, outside this interface:
// bolt.Open and its Options (Timeout, MaxSize), DB.Begin(true) with
// Tx.Check and Rollback (docent check), Tx.WriteTo (backup), bolt.Compact
// (docent compact), DB.Close, bolt.MaxValueSize, and the errors of opening
// (ErrTimeout, ErrInvalid, ErrChecksum, ErrVersionMismatch). PostgreSQL
// has its own tools for these (pg_dump, VACUUM); Bolt.DB gives the store
// the *bolt.DB for them.
//
// The rules, the same for both:
//   - A key or value that a Get or a Cursor returns is valid only until
//     the transaction ends (bbolt's memory map); copy it to keep it. Keys
//     and values handed to Put may be reused by the caller once Put
//     returns.
//   - Keys are compared byte by byte (bytes.Compare); a shorter key that is
//     a prefix of a longer one comes first. A key is 1 to MaxKeySize bytes;
//     a nil value is stored as an empty one.
//   - NextSequence gives 1, 2, … per bucket; it is part of the
//     transaction, so a transaction that fails or rolls back gives its
//     numbers back and the next one gets them again (bbolt's rule). Numbers
//     come in the order of commits: a number below one that was committed
//     is never committed later.
//   - A Cursor's First, Last and Seek after a write in its transaction see
//     the write. A walk that writes as it goes re-Seeks after each write,
//     or collects the keys and writes after the walk, as store/ does:
//     bbolt may lose its place otherwise (PostgreSQL's cursor goes on from
//     its key as the bucket now is). The suite checks both ways store/ uses.
//   - Update's fn may run more than once (PostgreSQL retries a transaction
//     that lost a serialization conflict): it must set its results afresh
//     on each run, as store.Update already demands.
//   - An error from fn rolls the transaction back; Update returns it.
//
// Get and the Cursor moves return no error, as bbolt's do. PostgreSQL's
// can fail (the connection drops): the transaction then keeps the first
// error, every later call returns nothing, and View or Update returns that
// error, whatever fn returned, after rolling back. PostgreSQL also sends
// Puts and Deletes in batches, at the next read or the commit: one that
// the server refuses fails the transaction there, not its own call (the
// checks both make first, key size and read-only, still fail the call).
// Its sequences end at 2^63-1 (bigint), bbolt's at 2^64-1.
package kv

import (
	"context"
	"errors"
	"fmt"
)

// DB is a key-value database of named buckets.
type DB interface {
	// View runs fn in a read-only transaction: one consistent snapshot.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a read-write transaction, committed when fn
	// returns nil and rolled back when it returns an error.
	Update(ctx context.Context, fn func(Tx) error) error
	// Close releases the database; transactions under way are waited for.
	Close() error
}

// Flusher is a Tx whose writes wait to reach the database together
// (PostgreSQL's): Flush sends those waiting and returns the error of the
// first the database refused, which fails the transaction. The store's
// writer flushes after each queued write of a batch, so that a refused
// write fails its own request, not the next one that reads.
type Flusher interface {
	Flush() error
}

// Tx is one transaction.
type Tx interface {
	// Bucket returns the named bucket, or nil when there is none.
	Bucket(name []byte) Bucket
	// CreateBucket makes a new bucket; ErrBucketExists when there is one.
	CreateBucket(name []byte) (Bucket, error)
	// CreateBucketIfNotExists returns the named bucket, made if needed.
	CreateBucketIfNotExists(name []byte) (Bucket, error)
	// DeleteBucket removes a bucket and its keys; ErrBucketNotFound when
	// there is none.
	DeleteBucket(name []byte) error
	// ForEachBucket calls fn with every bucket's name, in order, until fn
	// returns an error, which it returns.
	ForEachBucket(fn func(name []byte) error) error
	// Writable reports whether the transaction may write (Update).
	Writable() bool
}

// Bucket is a set of keys in byte order, each with a value.
type Bucket interface {
	// Get returns key's value, or nil when there is none.
	Get(key []byte) []byte
	// Put sets key to value.
	Put(key, value []byte) error
	// Delete removes key; a missing key is not an error.
	Delete(key []byte) error
	// NextSequence returns the bucket's next number: 1, 2, …
	NextSequence() (uint64, error)
	// Sequence is the bucket's last number given (0 for none yet),
	// without taking one.
	Sequence() uint64
	// SetSequence sets the bucket's last number given to n, so that
	// NextSequence gives n+1: a copy of a database keeps its numbers.
	SetSequence(n uint64) error
	// ForEach calls fn with every key and value in order, until fn
	// returns an error, which it returns. fn must not write to the
	// bucket.
	ForEach(fn func(k, v []byte) error) error
	// Cursor returns a cursor over the bucket, valid while the
	// transaction lasts.
	Cursor() Cursor
	// SetFillPercent tells how full to leave a page that splits: near 1
	// for a bucket that grows only at its end. A hint: bbolt takes it for
	// this transaction, PostgreSQL ignores it.
	SetFillPercent(f float64)
}

// Cursor walks a bucket's keys in order, both ways. Every move returns the
// key and value it lands on, or a nil key past either end.
type Cursor interface {
	// First moves to the first key.
	First() (k, v []byte)
	// Last moves to the last key.
	Last() (k, v []byte)
	// Seek moves to key, or the first key after it.
	Seek(key []byte) (k, v []byte)
	// Next moves to the key after the current one.
	Next() (k, v []byte)
	// Prev moves to the key before the current one.
	Prev() (k, v []byte)
}

// The errors both implementations return, for errors.Is.
var (
	ErrBucketExists   = errors.New("kv: bucket already exists")
	ErrBucketNotFound = errors.New("kv: bucket not found")
	ErrBucketName     = errors.New("kv: a bucket needs a name")
	ErrKeyRequired    = errors.New("kv: a key needs at least one byte")
	ErrKeyTooLarge    = errors.New("kv: key too large")
	ErrValueTooLarge  = errors.New("kv: value too large")
	ErrTxNotWritable  = errors.New("kv: transaction is read-only")
	ErrSequenceRange  = errors.New("kv: sequence out of range")
)

// MaxKeySize is the longest key both take: a PostgreSQL b-tree entry must
// fit in a third of a page (2704 bytes with its overhead), bbolt would
// take 32768. MaxValueSize is the largest value: PostgreSQL's bytea holds
// 1 GB, bbolt 2 GB.
const (
	MaxKeySize   = 2048
	MaxValueSize = (1 << 30) - 1
)

// checkKey refuses what one of the backends would: a key that PostgreSQL
// cannot index, or no key.
func checkKey(key []byte) error {
	switch {
	case len(key) == 0:
		return ErrKeyRequired
	case len(key) > MaxKeySize:
		return fmt.Errorf("%w: %d bytes, the most is %d", ErrKeyTooLarge, len(key), MaxKeySize)
	}
	return nil
}
