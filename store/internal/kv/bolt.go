package kv

import (
	"context"
	"errors"
	"fmt"
	"math"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Bolt is the bbolt implementation: a thin layer that turns bbolt's types
// into the interface's and its errors into this package's.
type Bolt struct {
	db *bolt.DB
}

var _ DB = (*Bolt)(nil)

// NewBolt serves db, which the caller opened (with its lock timeout and
// size) and closes through Close.
func NewBolt(db *bolt.DB) *Bolt { return &Bolt{db: db} }

// OpenBolt opens (or makes) the bbolt file at path with bbolt's defaults.
func OpenBolt(path string) (*Bolt, error) {
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		return nil, fmt.Errorf("kv: open %s: %w", path, err)
	}
	return &Bolt{db: db}, nil
}

// DB is the bbolt database, for what only bbolt does (check, backup,
// compact).
func (b *Bolt) DB() *bolt.DB { return b.db }

// View runs fn in a bbolt read transaction.
func (b *Bolt) View(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.db.View(func(tx *bolt.Tx) error { return fn(boltTx{tx}) })
}

// Update runs fn in bbolt's one write transaction.
func (b *Bolt) Update(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.db.Update(func(tx *bolt.Tx) error { return fn(boltTx{tx}) })
}

// Close closes the file.
func (b *Bolt) Close() error { return b.db.Close() }

type boltTx struct{ tx *bolt.Tx }

func (t boltTx) Bucket(name []byte) Bucket {
	if bk := t.tx.Bucket(name); bk != nil {
		return boltBucket{bk}
	}
	return nil // an untyped nil: a nil *bolt.Bucket in the interface would not be == nil
}

func (t boltTx) CreateBucket(name []byte) (Bucket, error) {
	bk, err := t.tx.CreateBucket(name)
	if err != nil {
		return nil, boltErr(err)
	}
	return boltBucket{bk}, nil
}

func (t boltTx) CreateBucketIfNotExists(name []byte) (Bucket, error) {
	bk, err := t.tx.CreateBucketIfNotExists(name)
	if err != nil {
		return nil, boltErr(err)
	}
	return boltBucket{bk}, nil
}

func (t boltTx) DeleteBucket(name []byte) error { return boltErr(t.tx.DeleteBucket(name)) }

func (t boltTx) ForEachBucket(fn func(name []byte) error) error {
	return t.tx.ForEach(func(name []byte, _ *bolt.Bucket) error { return fn(name) })
}

func (t boltTx) Writable() bool { return t.tx.Writable() }

type boltBucket struct{ b *bolt.Bucket }

func (b boltBucket) Get(key []byte) []byte { return b.b.Get(key) }

func (b boltBucket) Put(key, value []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if len(value) > MaxValueSize {
		return fmt.Errorf("%w: %d bytes, the most is %d", ErrValueTooLarge, len(value), MaxValueSize)
	}
	if value == nil {
		value = []byte{}
	}
	// bbolt keeps key and value, not copies, until the transaction ends.
	return boltErr(b.b.Put(append([]byte(nil), key...), append([]byte{}, value...)))
}

func (b boltBucket) Delete(key []byte) error { return boltErr(b.b.Delete(key)) }
func (b boltBucket) NextSequence() (uint64, error) {
	n, err := b.b.NextSequence()
	return n, boltErr(err)
}
func (b boltBucket) Sequence() uint64 { return b.b.Sequence() }
func (b boltBucket) SetSequence(n uint64) error {
	if n > math.MaxInt64 { // PostgreSQL's bigint: a copy there could not keep it
		return fmt.Errorf("%w: %d, the most is %d", ErrSequenceRange, n, int64(math.MaxInt64))
	}
	return boltErr(b.b.SetSequence(n))
}
func (b boltBucket) ForEach(fn func(k, v []byte) error) error { return b.b.ForEach(fn) }
func (b boltBucket) Cursor() Cursor                           { return b.b.Cursor() }
func (b boltBucket) SetFillPercent(f float64)                 { b.b.FillPercent = f }

// boltErr turns bbolt's errors into this package's, so that callers test
// one set whatever the backend.
func boltErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, berrors.ErrBucketExists):
		return ErrBucketExists
	case errors.Is(err, berrors.ErrBucketNotFound):
		return ErrBucketNotFound
	case errors.Is(err, berrors.ErrBucketNameRequired):
		return ErrBucketName
	case errors.Is(err, berrors.ErrKeyRequired):
		return ErrKeyRequired
	case errors.Is(err, berrors.ErrKeyTooLarge):
		return fmt.Errorf("%w: the most is %d bytes", ErrKeyTooLarge, MaxKeySize)
	case errors.Is(err, berrors.ErrValueTooLarge):
		return ErrValueTooLarge
	case errors.Is(err, berrors.ErrTxNotWritable):
		return ErrTxNotWritable
	}
	return err
}

// BoltTx is the bbolt transaction under tx, for what only bbolt does
// inside one (a backup's WriteTo, a bucket's Stats); false when tx is not
// bbolt's.
func BoltTx(tx Tx) (*bolt.Tx, bool) {
	if bt, ok := tx.(boltTx); ok {
		return bt.tx, true
	}
	return nil, false
}
