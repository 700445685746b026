package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docent-bot/docent/store/internal/kv"
)

// The typed primitives a feature module stores its own records with. A
// module names its buckets, encodes its own values and keeps its schema
// with its code; the store keeps the file, the one writer (group commit),
// and the order of writes. Nothing above the store sees bbolt: the same
// primitives can be served by another database.

// Buckets is what a feature module may do with the store: read and write
// its own buckets, in transactions. *Store is one; a store on another
// database would be another, and the modules would not change.
type Buckets interface {
	View(ctx context.Context, fn func(*Tx) error) error
	Update(ctx context.Context, fn func(*Tx) error) error
}

var _ Buckets = (*Store)(nil)

// Bucket is a named set of keys in sorted order, owned by one feature.
type Bucket struct {
	name []byte
	// fill is how full bbolt leaves a page it splits; 0 is its default,
	// half.
	fill float64
}

// NewBucket names a feature's bucket. Names are the feature's schema:
// changing one loses what was stored under the old name. The store's own
// buckets are not a feature's: naming one is a programming error.
func NewBucket(name string) Bucket {
	if name == "" {
		panic("store: a bucket needs a name")
	}
	if ownBucket(name) {
		panic("store: bucket " + strconv.Quote(name) + " is one of the store's own")
	}
	return Bucket{name: []byte(name)}
}

// NewAppendBucket is NewBucket for a bucket whose keys grow at the end
// of their ranges (times, IDs, a member's days), where a page once split
// is never filled again: its pages are split full instead of half full,
// which halves the bytes it takes. A key put in the middle costs only a
// split.
func NewAppendBucket(name string) Bucket {
	b := NewBucket(name)
	b.fill = appendFillPercent
	return b
}

// ownBucket reports whether name is one of the store's own buckets, which
// a feature must not write to.
func ownBucket(name string) bool {
	for _, b := range [][]byte{bucketMeta, bucketMessages, bucketIDs, bucketConversations, bucketModels,
		bucketPlatformIDs, bucketPlatformHashes, bucketPlatformKeys, bucketFeedback, bucketDownvoted} {
		if string(b) == name {
			return true
		}
	}
	return false
}

// Name is the bucket's name.
func (b Bucket) Name() string { return string(b.name) }

// Tx is one transaction over feature buckets: read-only inside View,
// writable inside Update.
type Tx struct {
	tx kv.Tx
	// shared: other Docents (replicas) store records in the database too
	// (see Shared).
	shared bool
}

// Shared reports whether other Docents (replicas, Options.Replica) store
// records in the database too: a recorder that remembers what it was
// given (bot/exchange's Detector) has not seen their records, and must
// read them from the transaction. False for a nil Tx.
func (t *Tx) Shared() bool { return t != nil && t.shared }

// Get returns a copy of key's value in b, or nil when there is none.
func (t *Tx) Get(b Bucket, key []byte) []byte {
	bk := t.tx.Bucket(b.name)
	if bk == nil {
		return nil
	}
	return bytes.Clone(bk.Get(key))
}

// Put sets key to value in b, creating the bucket the first time. It
// keeps copies: the caller may reuse key and value at once.
func (t *Tx) Put(b Bucket, key, value []byte) error {
	bk, err := t.tx.CreateBucketIfNotExists(b.name)
	if err != nil {
		return fmt.Errorf("bucket %s: %w", b.name, err)
	}
	if b.fill > 0 {
		bk.SetFillPercent(b.fill)
	}
	return bk.Put(key, value) // kv keeps copies
}

// Delete removes key from b; a missing key or bucket is not an error.
func (t *Tx) Delete(b Bucket, key []byte) error {
	bk := t.tx.Bucket(b.name)
	if bk == nil {
		return nil
	}
	return bk.Delete(key)
}

// NextID returns the next number of b's own sequence (1, 2, …); a
// transaction that fails takes its numbers back.
func (t *Tx) NextID(b Bucket) (uint64, error) {
	bk, err := t.tx.CreateBucketIfNotExists(b.name)
	if err != nil {
		return 0, fmt.Errorf("bucket %s: %w", b.name, err)
	}
	return bk.NextSequence()
}

// Scan calls fn with every key of b that starts with prefix, in key order,
// until fn returns an error, which Scan returns. The key and value are
// valid only during the call, and fn must not write to b (collect the keys
// and write after Scan returns).
func (t *Tx) Scan(b Bucket, prefix []byte, fn func(key, value []byte) error) error {
	bk := t.tx.Bucket(b.name)
	if bk == nil {
		return nil
	}
	c := bk.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// ScanRange calls fn with every key of b from start up to, but not
// including, end (nil: to the last), in key order, as Scan does.
func (t *Tx) ScanRange(b Bucket, start, end []byte, fn func(key, value []byte) error) error {
	bk := t.tx.Bucket(b.name)
	if bk == nil {
		return nil
	}
	c := bk.Cursor()
	for k, v := c.Seek(start); k != nil && (end == nil || bytes.Compare(k, end) < 0); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// DeletePrefix deletes every key of b that starts with prefix (one
// member's records, under a key that starts with the member), by key
// alone: a value that no longer decodes does not keep it. It returns how
// many keys it deleted.
func (t *Tx) DeletePrefix(b Bucket, prefix []byte) (int, error) {
	bk := t.tx.Bucket(b.name)
	if bk == nil {
		return 0, nil
	}
	var keys [][]byte
	c := bk.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k)) // a key is valid only until the next write
	}
	for _, k := range keys {
		if err := bk.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// View runs fn in a read-only transaction: a consistent view of the store
// while writes go on.
func (s *Store) View(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.view(ctx, func(tx kv.Tx) error { return fn(&Tx{tx: tx}) })
}

// Update runs fn in a writable transaction, committed with whatever other
// writes are queued (group commit): it returns once the write is on disk.
// The rules of fn:
//   - It may run more than once (when a write committed with it fails, the
//     others are retried without it): it sets its results afresh on each run.
//   - An error from fn undoes fn's writes (and costs the batch a retry):
//     return a refusal ("already solved") as a result, not as an error.
//   - It must not wait on anything, nor call Update or View (the one writer
//     would wait on itself): every other write waits for it.
//   - A panic in fn fails this Update alone, with an error.
//
// When ctx ends first, Update returns ctx.Err() and the write may still
// land, later: the caller must not read fn's results then.
func (s *Store) Update(ctx context.Context, fn func(*Tx) error) error {
	_, err := s.submit(ctx, newWriteReq(func(tx kv.Tx) (Record, error) {
		return Record{}, safely(func() error { return fn(&Tx{tx: tx}) })
	}))
	return err
}

// safely runs f, a feature's code inside a store transaction, turning a
// panic into an error: the one writer must outlive any module's mistake.
func safely(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return f()
}

// MemberPart is a feature's share of what the store holds about members.
// ExportMember, ForgetMember and DeleteBefore ask every part given in
// Options.Parts, in the same transactions as the store's own records, so
// that `forget me` never leaves a feature's records behind.
type MemberPart interface {
	// Key names the part in exports and in what was deleted
	// ("challenge_submissions"); unique among the parts.
	Key() string
	// Export returns what the part holds about m, ready for JSON; nil
	// (or an empty list) when it holds nothing.
	Export(tx *Tx, m MemberRef) (any, error)
	// Forget deletes what the part holds about m, and says how many
	// items it deleted.
	Forget(tx *Tx, m MemberRef) (int, error)
	// Expire deletes what is older than cutoff (store.retention_days),
	// and says how many items it deleted.
	Expire(tx *Tx, cutoff time.Time) (int, error)
}

// CountKeyed is a MemberPart whose counts, in what ForgetMember and
// DeleteBefore report, go under a name of their own: what the budgets
// module exports is "llm_usage", the days of it deleted "usage_days".
type CountKeyed interface {
	MemberPart
	// CountKey names the part's count in Forgotten and Retained.
	CountKey() string
}

// countKey is the name of p's count in Forgotten and Retained: its
// CountKey when it has one, else its Key.
func countKey(p MemberPart) string {
	if c, ok := p.(CountKeyed); ok {
		return c.CountKey()
	}
	return p.Key()
}

// askParts asks each of parts for its share, in tx (what it exports, or
// how many items it deleted), under key(part). A part's error, or panic,
// fails them all, naming the part.
func askParts[V any](parts []MemberPart, tx kv.Tx, key func(MemberPart) string, ask func(MemberPart, *Tx) (V, error)) (map[string]V, error) {
	out := make(map[string]V, len(parts))
	for _, p := range parts {
		var v V
		if err := safely(func() (err error) { v, err = ask(p, &Tx{tx: tx}); return err }); err != nil {
			return nil, fmt.Errorf("%s: %w", p.Key(), err)
		}
		out[key(p)] = v
	}
	return out, nil
}

// withParts marshals v, a struct, with each of parts as one more field,
// in the order of their keys.
func withParts(v any, parts map[string]any) ([]byte, error) {
	out, err := json.Marshal(v)
	if err != nil || len(parts) == 0 {
		return out, err
	}
	out = bytes.TrimSuffix(out, []byte("}"))
	for _, k := range slices.Sorted(maps.Keys(parts)) {
		val, err := json.Marshal(parts[k])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		key, _ := json.Marshal(k)
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(append(append(out, key...), ':'), val...)
	}
	return append(out, '}'), nil
}

func countParts(counts map[string]int) map[string]any {
	parts := make(map[string]any, len(counts))
	for k, n := range counts {
		parts[k] = n
	}
	return parts
}

// emptyPart reports whether an exported part holds nothing: nil, or an
// empty list or map.
func emptyPart(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Map:
		return rv.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// checkParts refuses parts without a key, with the same key, or with the
// key of a field of the store's own in an export or a forget or retention
// report: in the JSON the two would be one field, and JSON matches field
// names without regard to case.
func checkParts(parts []MemberPart) error {
	seen := map[string]bool{}
	for _, p := range parts {
		keys := []string{p.Key()}
		if c := countKey(p); !strings.EqualFold(c, p.Key()) {
			keys = append(keys, c)
		}
		for _, k := range keys {
			switch {
			case k == "":
				return fmt.Errorf("store: a member part (%T) has no key", p)
			case seen[strings.ToLower(k)]:
				return fmt.Errorf("store: two member parts have the key %q", k)
			case ownField(k):
				return fmt.Errorf("store: the member part %T has the key %q, a field of the store's own", p, k)
			}
			seen[strings.ToLower(k)] = true
		}
	}
	return nil
}

// ownField reports whether k names a JSON field of MemberData, Forgotten
// or Retained, whatever its case.
func ownField(k string) bool {
	for _, t := range []reflect.Type{reflect.TypeFor[MemberData](), reflect.TypeFor[Forgotten](), reflect.TypeFor[Retained]()} {
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if strings.EqualFold(name, k) {
				return true
			}
		}
	}
	return false
}

// Key joins fields into a key of a feature's bucket. Each field is
// length-prefixed, so the key of the first fields is a prefix of the keys
// of every record that starts with them (Scan finds them all), and no
// field's bytes can be taken for another's.
func Key(fields ...string) []byte {
	var k []byte
	for _, f := range fields {
		k = appendField(k, f)
	}
	return k
}

// AppendID appends id to key so that keys sort by it (8 bytes, big-endian).
func AppendID(key []byte, id uint64) []byte { return appendID(key, id) }

// SplitKey reads n fields from the front of a key made with Key, and
// returns them with the bytes after them. It never panics, whatever the
// key holds.
func SplitKey(key []byte, n int) (fields []string, rest []byte, err error) {
	rest = key
	for i := range n {
		var f string
		if f, rest, err = parseField(rest); err != nil {
			return nil, nil, fmt.Errorf("key %x, field %d: %w", key, i, err)
		}
		fields = append(fields, f)
	}
	return fields, rest, nil
}

// KeyID reads the ID that AppendID put at the end of a key, when rest is
// exactly one ID.
func KeyID(rest []byte) (uint64, bool) {
	if len(rest) != idLen {
		return 0, false
	}
	return binary.BigEndian.Uint64(rest), true
}

// partCounts reads back the counts withParts added to known, a struct:
// every field of data that known has no field for.
func partCounts(data []byte, known any) (map[string]int, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, err
	}
	fields, err := json.Marshal(known)
	if err != nil {
		return nil, err
	}
	var own map[string]json.RawMessage
	if err := json.Unmarshal(fields, &own); err != nil {
		return nil, err
	}
	var parts map[string]int
	for k, v := range all {
		if _, ok := own[k]; ok {
			continue
		}
		var n int
		if err := json.Unmarshal(v, &n); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		if parts == nil {
			parts = map[string]int{}
		}
		parts[k] = n
	}
	return parts, nil
}
