package kv

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres is the PostgreSQL implementation: bucket names in kv_buckets,
// with each bucket's sequence; keys and values in kv_pairs, keyed by
// (bucket, key) as bytea, which PostgreSQL orders byte by byte (memcmp,
// then the shorter first) whatever the database's collation: bbolt's order.
//
// Update runs SERIALIZABLE. The store was written for bbolt's one writer:
// it reads, decides and writes (a conversation's summary, a counter, "is
// this platform ID stored yet?") without saying which rows it depends
// on. SERIALIZABLE gives every such read-modify-write the outcome of some
// one-at-a-time order, as bbolt's single writer does, without the store
// naming rows to lock (explicit locking would need SELECT … FOR UPDATE at
// every such read, and ranges cannot be locked that way at all). The
// price is that PostgreSQL may abort a transaction that conflicts
// (SQLSTATE 40001, or 40P01 for a deadlock): Update then runs fn again, in
// a new transaction, up to maxAttempts times with a short random pause.
// View runs REPEATABLE READ, READ ONLY: one snapshot, as a bbolt read
// transaction sees, and a read-only snapshot is never aborted.
type Postgres struct {
	pool *pgxpool.Pool
	url  string // redacted, for messages
	// writers, when not 0, is the advisory lock every write transaction
	// holds (see SerializeWriters).
	writers int64
}

// SerializeWriters makes every write transaction of p hold the session
// advisory lock key from before it begins until after it ends, so that
// the write transactions of all the processes that use the same key run
// one at a time, as bbolt's one writer does. Several processes writing at
// once otherwise conflict on every shared row (a bucket's sequence, a
// conversation's summary, a day's counters): measured with three replicas
// of Docent, SERIALIZABLE aborted so many that some writes gave up after
// maxAttempts. The lock is taken before BEGIN, so the transaction's
// snapshot is taken after the previous writer committed: it never meets a
// conflict from another writer. Reads (View) take no lock. Call it before
// the first Update.
func (p *Postgres) SerializeWriters(key int64) { p.writers = key }

var _ DB = (*Postgres)(nil)

// maxAttempts is how many times Update runs a transaction that keeps
// losing serialization conflicts before it gives up with the last error.
const maxAttempts = 20

//go:embed migrations/*.sql
var migrations embed.FS

// OpenPostgres connects to the database at rawURL and brings its tables
// to the newest migration.
func OpenPostgres(ctx context.Context, rawURL string) (*Postgres, error) {
	where := RedactURL(rawURL)
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("kv: postgres URL %s: %w", where, err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("kv: connect to %s: %w", where, err)
	}
	p := &Postgres{pool: pool, url: where}
	if err := p.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("kv: migrate %s: %w", where, err)
	}
	return p, nil
}

// Close closes the pool's connections, waiting for those in use.
func (p *Postgres) Close() error {
	p.pool.Close()
	return nil
}

// migration is one file of migrations/: NNNN_name.sql, applied in order of
// NNNN, each once, in its own transaction with its row in
// schema_migrations.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded migrations in order, refusing a file
// not named NNNN_name.sql or two of one number.
func loadMigrations() ([]migration, error) {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, f := range files {
		base := path.Base(f)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: the name must be NNNN_what.sql", f)
		}
		b, err := migrations.ReadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s have one number", out[i-1].name, out[i].name)
		}
	}
	return out, nil
}

// migrateLock is the advisory lock that keeps two processes opening one
// database at once from applying a migration twice.
const migrateLock = 0x646f63656e74 // "docent"

// migrate applies the migrations the database lacks, in one transaction
// under an advisory lock. A database with a migration this program does
// not know (a newer Docent's) is refused.
func (p *Postgres) migrate(ctx context.Context) error {
	all, err := loadMigrations()
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrateLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("schema_migrations: %w", err)
		}
		rows, err := tx.Query(ctx, "SELECT version, name FROM schema_migrations ORDER BY version")
		if err != nil {
			return err
		}
		applied := map[int]bool{}
		var unknown []string
		for rows.Next() {
			var v int
			var name string
			if err := rows.Scan(&v, &name); err != nil {
				return err
			}
			applied[v] = true
			if !slices.ContainsFunc(all, func(m migration) bool { return m.version == v }) {
				unknown = append(unknown, name)
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(unknown) > 0 {
			return fmt.Errorf("the database has migrations this Docent does not know (%s): it was used by a newer one", strings.Join(unknown, ", "))
		}
		for _, m := range all {
			if applied[m.version] {
				continue
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
		}
		return nil
	})
}

// View runs fn in a read-only snapshot.
func (p *Postgres) View(ctx context.Context, fn func(Tx) error) error {
	err := p.run(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, false, fn)
	if err != nil {
		return err
	}
	return nil
}

// Update runs fn in a SERIALIZABLE transaction, again when PostgreSQL
// aborts it for a conflict.
func (p *Postgres) Update(ctx context.Context, fn func(Tx) error) error {
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = p.run(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable}, true, fn)
		if !retryable(err) {
			return err
		}
		// A short random pause, growing: the winner of the conflict
		// commits meanwhile.
		pause := time.Duration(rand.Int64N(int64(attempt)*int64(2*time.Millisecond))) + time.Millisecond
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
	return fmt.Errorf("kv: %s: gave up after %d serialization conflicts: %w", p.url, maxAttempts, err)
}

// run is one transaction: fn's error, or the first error of the
// transaction's own calls, rolls it back.
func (p *Postgres) run(ctx context.Context, opts pgx.TxOptions, writable bool, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var ptx pgx.Tx
	if writable && p.writers != 0 {
		pc, err := p.pool.Acquire(ctx)
		if err != nil {
			return fmt.Errorf("kv: connect to %s: %w", p.url, err)
		}
		if _, err := pc.Exec(ctx, "SELECT pg_advisory_lock($1)", p.writers); err != nil {
			pc.Release()
			return fmt.Errorf("kv: wait for the other writers on %s: %w", p.url, err)
		}
		defer func() {
			// Unlocked whatever happened; a connection that cannot say
			// so is closed, which lets go of its locks.
			if _, err := pc.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", p.writers); err != nil {
				_ = pc.Hijack().Close(context.WithoutCancel(ctx))
				return
			}
			pc.Release()
		}()
		if ptx, err = pc.BeginTx(ctx, opts); err != nil {
			return fmt.Errorf("kv: begin a transaction on %s: %w", p.url, err)
		}
	} else {
		var err error
		if ptx, err = p.pool.BeginTx(ctx, opts); err != nil {
			return fmt.Errorf("kv: begin a transaction on %s: %w", p.url, err)
		}
	}
	t := &pgTx{ctx: ctx, tx: ptx, writable: writable, ids: map[string]int64{}}
	ferr := fn(t)
	if ferr == nil {
		t.flush()
	}
	if t.err != nil || ferr != nil {
		_ = ptx.Rollback(context.WithoutCancel(ctx))
		if t.err != nil {
			return fmt.Errorf("kv: %s: %w", p.url, t.err)
		}
		return ferr
	}
	if err := ptx.Commit(ctx); err != nil {
		return fmt.Errorf("kv: commit on %s: %w", p.url, err)
	}
	return nil
}

// retryable reports whether err is PostgreSQL aborting a transaction that
// may succeed when run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// pgTx is one transaction. err is its first failure, which every later
// call returns and which fails the transaction however fn ends.
//
// Puts and Deletes wait in pending and go to the server together, in one
// round trip, before the next statement that reads and before the
// commit: 100 appends cost one round trip, not 200. A Put that the server
// refuses then fails the transaction, not its own call.
type pgTx struct {
	ctx      context.Context
	tx       pgx.Tx
	writable bool
	err      error
	ids      map[string]int64 // bucket name → id, of the buckets seen
	allIDs   bool             // ids holds every bucket (see bucketID)
	writes   int              // counts writes, so cursors know to fetch afresh
	pending  pgx.Batch        // sequence writes not yet sent
	what     []string         // what each pending write is, for its error
	ops      []pendingOp      // Puts and Deletes not yet sent, in order
	// seqs holds the sequences this transaction has taken numbers from:
	// its first NextSequence locked the bucket's row, so the next ones
	// are counted here and written with the pending writes.
	seqs map[int64]*sequence
	// known holds, by bucket ID and key, the values this transaction
	// knows: those it wrote (or deleted) and those it read. A Get of a
	// known key costs no round trip, and a Get of another needs no flush
	// first: every pending write is known, so none is of its key. The
	// store reads, then writes, the same rows again and again in a batch
	// (a conversation's summary, a day's counters): measured on docent
	// bench pipeline, this took most of a commit's round trips away.
	known map[int64]map[string]knownValue
}

// knownValue is a value as this transaction knows it: present false for
// a key it deleted, or read and found absent.
type knownValue struct {
	v       []byte
	present bool
}

// know records what key of bucket id holds now.
func (t *pgTx) know(id int64, key, v []byte, present bool) {
	if t.known == nil {
		t.known = map[int64]map[string]knownValue{}
	}
	m := t.known[id]
	if m == nil {
		m = map[string]knownValue{}
		t.known[id] = m
	}
	m[string(key)] = knownValue{v, present}
}

type sequence struct {
	n     int64
	dirty bool // n is not yet written
}

// pendingOp is a Put (value non-nil) or a Delete (value nil) not yet sent.
type pendingOp struct {
	bucket     int64
	name       string // the bucket's, for errors
	key, value []byte
}

func (o pendingOp) what() string {
	if o.value == nil {
		return fmt.Sprintf("delete %x from bucket %q", o.key, o.name)
	}
	return fmt.Sprintf("put %x in bucket %q", o.key, o.name)
}

// multiRow is how many pending Puts and Deletes go as two statements
// (every Put in one INSERT of unnest()ed arrays, every Delete in one
// DELETE) rather than one statement each: PostgreSQL runs a statement per
// key slowly when a batch is large (an import's thousand records, a copy
// of a database), and a few keys quickly either way.
const multiRow = 64

// flush sends the pending writes, and the sequences counted since the
// last flush, in one round trip. It is called before every statement that
// reads, and before the commit.
func (t *pgTx) flush() {
	for id, s := range t.seqs {
		if s.dirty {
			t.pending.Queue("UPDATE kv_buckets SET sequence = $2 WHERE id = $1", id, s.n)
			t.what = append(t.what, fmt.Sprintf("set the sequence of bucket %d to %d", id, s.n))
			s.dirty = false
		}
	}
	if t.err != nil || (t.pending.Len() == 0 && len(t.ops) == 0) {
		return
	}
	seqs, seqWhat, ops := t.pending, t.what, collapse(t.ops)
	t.pending, t.what, t.ops = pgx.Batch{}, nil, nil
	if len(ops) >= multiRow {
		var b pgx.Batch
		b.Queue("SAVEPOINT kv_flush")
		var pb, db []int64
		var pk, pv, dk [][]byte
		for _, o := range ops {
			if o.value == nil {
				db, dk = append(db, o.bucket), append(dk, o.key)
			} else {
				pb, pk, pv = append(pb, o.bucket), append(pk, o.key), append(pv, o.value)
			}
		}
		if len(pb) > 0 {
			b.Queue(`INSERT INTO kv_pairs (bucket, key, value) SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[])
				ON CONFLICT (bucket, key) DO UPDATE SET value = EXCLUDED.value`, pb, pk, pv)
		}
		if len(db) > 0 {
			b.Queue(`DELETE FROM kv_pairs p USING unnest($1::bigint[], $2::bytea[]) AS d(bucket, key)
				WHERE p.bucket = d.bucket AND p.key = d.key`, db, dk)
		}
		b.QueuedQueries = append(b.QueuedQueries, seqs.QueuedQueries...)
		b.Queue("RELEASE SAVEPOINT kv_flush")
		if t.send(&b, nil) == nil {
			return
		}
		// Something was refused: back to before, and again a statement
		// at a time, so that the error names the write.
		if _, err := t.tx.Exec(t.ctx, "ROLLBACK TO SAVEPOINT kv_flush"); err != nil {
			t.fail(fmt.Errorf("write: %w", err))
			return
		}
	}
	var b pgx.Batch
	var what []string
	for _, o := range ops {
		if o.value == nil {
			b.Queue("DELETE FROM kv_pairs WHERE bucket = $1 AND key = $2", o.bucket, o.key)
		} else {
			b.Queue(`INSERT INTO kv_pairs (bucket, key, value) VALUES ($1, $2, $3)
				ON CONFLICT (bucket, key) DO UPDATE SET value = EXCLUDED.value`, o.bucket, o.key, o.value)
		}
		what = append(what, o.what())
	}
	b.QueuedQueries = append(b.QueuedQueries, seqs.QueuedQueries...)
	if err := t.send(&b, append(what, seqWhat...)); err != nil {
		t.fail(err)
	}
}

// send runs batch b, and returns the first error, named by what (when
// given) for the statement that failed.
func (t *pgTx) send(b *pgx.Batch, what []string) error {
	br := t.tx.SendBatch(t.ctx, b)
	var first error
	for i := range b.QueuedQueries {
		if _, err := br.Exec(); err != nil {
			if i < len(what) {
				err = fmt.Errorf("%s: %w", what[i], err)
			}
			first = err
			break
		}
	}
	if err := br.Close(); err != nil && first == nil {
		first = fmt.Errorf("write: %w", err)
	}
	return first
}

// collapse keeps, of ops, the last one of each bucket and key, in the
// order of their first: the same writes' outcome, each key once (an
// INSERT … ON CONFLICT may not meet a key twice).
func collapse(ops []pendingOp) []pendingOp {
	type at struct {
		bucket int64
		key    string
	}
	index := make(map[at]int, len(ops))
	out := ops[:0:0]
	for _, o := range ops {
		k := at{o.bucket, string(o.key)}
		if i, ok := index[k]; ok {
			out[i] = o
			continue
		}
		index[k] = len(out)
		out = append(out, o)
	}
	return out
}

// Flush sends the pending writes now (Flusher).
func (t *pgTx) Flush() error {
	t.flush()
	if t.err != nil {
		return fmt.Errorf("kv: %w", t.err)
	}
	return nil
}

// ready flushes the pending writes before a statement that reads, and
// says whether the transaction may go on.
func (t *pgTx) ready() bool {
	t.flush()
	return t.err == nil
}

// fail keeps the transaction's first error and returns it.
func (t *pgTx) fail(err error) error {
	if t.err == nil {
		t.err = err
	}
	return t.err
}

func (t *pgTx) Writable() bool { return t.writable }

// bucketID returns the id of the named bucket, 0 when there is none.
func (t *pgTx) bucketID(name []byte) int64 {
	if t.err != nil {
		return 0
	}
	if !t.allIDs {
		// All of them in one round trip, the first time: a batch of the
		// store's writes asks for a dozen buckets, a few dozen exist,
		// and this transaction's own creations and deletions keep ids
		// true from then on.
		rows, err := t.tx.Query(t.ctx, "SELECT name, id FROM kv_buckets")
		if err != nil {
			t.fail(fmt.Errorf("list the buckets: %w", err))
			return 0
		}
		for rows.Next() {
			var n []byte
			var id int64
			if err := rows.Scan(&n, &id); err != nil {
				rows.Close()
				t.fail(fmt.Errorf("list the buckets: %w", err))
				return 0
			}
			if _, ok := t.ids[string(n)]; !ok {
				t.ids[string(n)] = id
			}
		}
		if err := rows.Err(); err != nil {
			t.fail(fmt.Errorf("list the buckets: %w", err))
			return 0
		}
		t.allIDs = true
	}
	return t.ids[string(name)]
}

func (t *pgTx) Bucket(name []byte) Bucket {
	if id := t.bucketID(name); id != 0 {
		return &pgBucket{tx: t, id: id, name: string(name)}
	}
	return nil
}

// canWrite says why the transaction may not write, if it may not.
func (t *pgTx) canWrite() error {
	if t.err != nil {
		return t.err
	}
	if !t.writable {
		return ErrTxNotWritable
	}
	return nil
}

func (t *pgTx) CreateBucket(name []byte) (Bucket, error) {
	if err := t.canWrite(); err != nil {
		return nil, err
	}
	if len(name) == 0 {
		return nil, ErrBucketName
	}
	if !t.ready() {
		return nil, t.err
	}
	var id int64
	err := t.tx.QueryRow(t.ctx,
		"INSERT INTO kv_buckets (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id", name).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrBucketExists
	}
	if err != nil {
		return nil, t.fail(fmt.Errorf("create bucket %q: %w", name, err))
	}
	t.writes++
	t.ids[string(name)] = id
	return &pgBucket{tx: t, id: id, name: string(name)}, nil
}

func (t *pgTx) CreateBucketIfNotExists(name []byte) (Bucket, error) {
	if err := t.canWrite(); err != nil {
		return nil, err
	}
	if b := t.Bucket(name); b != nil {
		return b, nil
	}
	if t.err != nil {
		return nil, t.err
	}
	return t.CreateBucket(name)
}

func (t *pgTx) DeleteBucket(name []byte) error {
	if err := t.canWrite(); err != nil {
		return err
	}
	if !t.ready() {
		return t.err
	}
	tag, err := t.tx.Exec(t.ctx, "DELETE FROM kv_buckets WHERE name = $1", name)
	if err != nil {
		return t.fail(fmt.Errorf("delete bucket %q: %w", name, err))
	}
	if tag.RowsAffected() == 0 {
		return ErrBucketNotFound
	}
	t.writes++
	if id, ok := t.ids[string(name)]; ok {
		delete(t.seqs, id)
		delete(t.known, id)
	}
	delete(t.ids, string(name))
	return nil
}

func (t *pgTx) ForEachBucket(fn func(name []byte) error) error {
	if !t.ready() {
		return t.err
	}
	rows, err := t.tx.Query(t.ctx, "SELECT name FROM kv_buckets ORDER BY name")
	if err != nil {
		return t.fail(fmt.Errorf("list buckets: %w", err))
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return t.fail(fmt.Errorf("list buckets: %w", err))
	}
	for _, n := range names {
		if err := fn(n); err != nil {
			return err
		}
	}
	return nil
}

// pgBucket is one bucket of a transaction. A bucket that another call of
// the transaction deleted answers as empty.
type pgBucket struct {
	tx   *pgTx
	id   int64
	name string
}

func (b *pgBucket) Get(key []byte) []byte {
	t := b.tx
	if t.err != nil {
		return nil
	}
	if k, ok := t.known[b.id][string(key)]; ok {
		return k.v
	}
	// No flush: the pending writes are known (see known), none of key.
	var v []byte
	err := t.tx.QueryRow(t.ctx, "SELECT value FROM kv_pairs WHERE bucket = $1 AND key = $2", b.id, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		t.know(b.id, key, nil, false)
		return nil
	}
	if err != nil {
		t.fail(fmt.Errorf("get %x from bucket %q: %w", key, b.name, err))
		return nil
	}
	if v == nil {
		v = []byte{}
	}
	t.know(b.id, key, v, true)
	return v
}

func (b *pgBucket) Put(key, value []byte) error {
	t := b.tx
	if err := t.canWrite(); err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}
	if len(value) > MaxValueSize {
		return fmt.Errorf("%w: %d bytes, the most is %d", ErrValueTooLarge, len(value), MaxValueSize)
	}
	// Copies: the batch is encoded when it is sent, and the caller may
	// reuse its buffers once Put returns.
	v := append([]byte{}, value...)
	t.ops = append(t.ops, pendingOp{bucket: b.id, name: b.name, key: bytes.Clone(key), value: v})
	t.writes++
	t.know(b.id, key, v, true)
	return nil
}

func (b *pgBucket) Delete(key []byte) error {
	t := b.tx
	if err := t.canWrite(); err != nil {
		return err
	}
	t.ops = append(t.ops, pendingOp{bucket: b.id, name: b.name, key: bytes.Clone(key)})
	t.writes++
	t.know(b.id, key, nil, false)
	return nil
}

// NextSequence updates the bucket's row: the row stays locked until the
// transaction ends, so numbers are committed in the order they were
// given, and a rollback gives them back.
func (b *pgBucket) NextSequence() (uint64, error) {
	t := b.tx
	if err := t.canWrite(); err != nil {
		return 0, err
	}
	if s, ok := t.seqs[b.id]; ok {
		s.n++
		s.dirty = true
		return uint64(s.n), nil
	}
	if !t.ready() {
		return 0, t.err
	}
	var n int64
	err := t.tx.QueryRow(t.ctx, "UPDATE kv_buckets SET sequence = sequence + 1 WHERE id = $1 RETURNING sequence", b.id).Scan(&n)
	if err != nil {
		return 0, t.fail(fmt.Errorf("next sequence of bucket %q: %w", b.name, err))
	}
	if t.seqs == nil {
		t.seqs = map[int64]*sequence{}
	}
	t.seqs[b.id] = &sequence{n: n}
	return uint64(n), nil
}

// Sequence is the number the transaction last took or set, else the
// bucket's row's.
func (b *pgBucket) Sequence() uint64 {
	t := b.tx
	if s, ok := t.seqs[b.id]; ok {
		return uint64(s.n)
	}
	if !t.ready() {
		return 0
	}
	var n int64
	if err := t.tx.QueryRow(t.ctx, "SELECT sequence FROM kv_buckets WHERE id = $1", b.id).Scan(&n); err != nil {
		t.fail(fmt.Errorf("sequence of bucket %q: %w", b.name, err))
		return 0
	}
	return uint64(n)
}

// SetSequence writes the bucket's row with the pending writes; the next
// NextSequence reads (and locks) the row afresh, after them.
func (b *pgBucket) SetSequence(n uint64) error {
	t := b.tx
	if err := t.canWrite(); err != nil {
		return err
	}
	if n > math.MaxInt64 {
		return fmt.Errorf("%w: %d, the most is %d", ErrSequenceRange, n, int64(math.MaxInt64))
	}
	t.pending.Queue("UPDATE kv_buckets SET sequence = $2 WHERE id = $1", b.id, int64(n))
	t.what = append(t.what, fmt.Sprintf("set the sequence of bucket %q to %d", b.name, n))
	delete(t.seqs, b.id)
	t.writes++
	return nil
}

func (b *pgBucket) ForEach(fn func(k, v []byte) error) error {
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return b.tx.err
}

func (b *pgBucket) Cursor() Cursor { return &pgCursor{b: b} }

func (b *pgBucket) SetFillPercent(float64) {}

// pgCursor reads the bucket in batches, in the direction it moves: a
// batch that grows while it goes on the same way (a scan), small when it
// turns or seeks (a look around one key). It fetches afresh when the
// transaction wrote since its batch was read.
type pgCursor struct {
	b      *pgBucket
	rows   []pgRow // the batch; rows[pos] is the current key
	pos    int
	back   bool // the batch runs backwards
	done   bool // the batch reaches the end of the bucket in its direction
	writes int  // the transaction's writes when the batch was read
	size   int  // the next batch's size
}

type pgRow struct{ k, v []byte }

const (
	firstBatch = 16   // First, Last, Seek: often a look at one key
	turnBatch  = 64   // a walk that sets off the other way: store/'s 50 earlier messages in one read
	maxBatch   = 1024 // a scan's batches double up to this
)

func (c *pgCursor) First() ([]byte, []byte) { return c.fetch(nil, false, false) }
func (c *pgCursor) Last() ([]byte, []byte)  { return c.fetch(nil, true, false) }
func (c *pgCursor) Seek(key []byte) ([]byte, []byte) {
	return c.fetch(key, false, true)
}

func (c *pgCursor) Next() ([]byte, []byte) { return c.step(false) }
func (c *pgCursor) Prev() ([]byte, []byte) { return c.step(true) }

// current is the key and value the cursor is on; nil past either end.
func (c *pgCursor) current() ([]byte, []byte) {
	if c.pos < 0 || c.pos >= len(c.rows) {
		return nil, nil
	}
	r := c.rows[c.pos]
	return r.k, r.v
}

// step moves one key, back or forth, from the current one.
func (c *pgCursor) step(back bool) ([]byte, []byte) {
	k, _ := c.current()
	if k == nil {
		return nil, nil // past an end: First, Last or Seek place it again
	}
	fresh := c.writes == c.b.tx.writes
	if fresh && back == c.back {
		if c.pos+1 < len(c.rows) {
			c.pos++
			return c.current()
		}
		if c.done {
			c.rows, c.pos = nil, 0
			return nil, nil
		}
		c.size = min(c.size*2, maxBatch)
	} else {
		c.size = turnBatch
	}
	// From the current key, excluding it: the batch is read again from
	// the table.
	return c.read(k, back, false)
}

// fetch places the cursor at an end, or at key (inclusive) going forward.
func (c *pgCursor) fetch(from []byte, back, inclusive bool) ([]byte, []byte) {
	c.size = firstBatch
	return c.read(from, back, inclusive)
}

// read fetches a batch of c.size rows from from (nil: from the end) in
// the direction back says, and places the cursor on its first row.
func (c *pgCursor) read(from []byte, back, inclusive bool) ([]byte, []byte) {
	t := c.b.tx
	c.rows, c.pos, c.back, c.done, c.writes = nil, 0, back, false, t.writes
	if !t.ready() {
		return nil, nil
	}
	q := "SELECT key, value FROM kv_pairs WHERE bucket = $1"
	args := []any{c.b.id, c.size}
	if from != nil {
		op := map[[2]bool]string{{false, false}: ">", {false, true}: ">=", {true, false}: "<", {true, true}: "<="}[[2]bool{back, inclusive}]
		q += " AND key " + op + " $3"
		args = append(args, from)
	}
	if back {
		q += " ORDER BY key DESC LIMIT $2"
	} else {
		q += " ORDER BY key LIMIT $2"
	}
	rows, err := t.tx.Query(t.ctx, q, args...)
	if err != nil {
		t.fail(fmt.Errorf("read bucket %q: %w", c.b.name, err))
		return nil, nil
	}
	for rows.Next() {
		var r pgRow
		if err := rows.Scan(&r.k, &r.v); err != nil {
			rows.Close()
			t.fail(fmt.Errorf("read bucket %q: %w", c.b.name, err))
			return nil, nil
		}
		if r.v == nil {
			r.v = []byte{}
		}
		c.rows = append(c.rows, r)
	}
	if err := rows.Err(); err != nil {
		t.fail(fmt.Errorf("read bucket %q: %w", c.b.name, err))
		c.rows = nil
		return nil, nil
	}
	c.done = len(c.rows) < c.size
	return c.current()
}

// RedactURL hides a URL's password, for messages: the user part's, and a
// password parameter's (postgres://u@h/db?password=…, which libpq takes).
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "a value that is not a URL (not shown: it may hold a password)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// URL is the database's URL with its password left out, for messages.
func (p *Postgres) URL() string { return p.url }

// ErrHeld is Hold's error when another session keeps the lock.
var ErrHeld = errors.New("kv: the lock is held by another session")

// LockMode says whether a lock is held alone (Exclusive: one holder; no
// Shared holder meanwhile) or together (Shared: any number of holders,
// no Exclusive one meanwhile).
type LockMode bool

const (
	Exclusive LockMode = false
	Shared    LockMode = true
)

// Lock is a session advisory lock held on a connection of its own. The
// connection is watched: when it drops (the server restarted, a network
// cut, an administrator's pg_terminate_backend), PostgreSQL has released
// the lock, and Lost is closed.
type Lock struct {
	conn *pgx.Conn
	lost chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// lockCheckEvery is how often a held lock's connection is checked.
// Overridden by tests.
var lockCheckEvery = 2 * time.Second

// Hold takes the session advisory lock key in mode on a connection of its
// own, taken out of the pool, waiting up to wait for other sessions to let
// it go (ErrHeld then); a negative wait waits until ctx ends, blocked in
// the server rather than asking again and again. The lock lasts until Release, or until the
// connection drops: PostgreSQL releases a session's locks when it ends.
func (p *Postgres) Hold(ctx context.Context, key int64, mode LockMode, wait time.Duration) (*Lock, error) {
	pc, err := p.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("kv: connect to %s: %w", p.url, err)
	}
	held := func() *Lock {
		l := &Lock{conn: pc.Hijack(), lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
		go l.watch()
		return l
	}
	// broken closes a connection a failed or cancelled query may have
	// left in any state (and with it any lock it got).
	broken := func() { _ = pc.Hijack().Close(context.WithoutCancel(ctx)) }
	if wait < 0 {
		// Blocked in the server until the lock is free, or until ctx
		// ends, when pgx cancels the query: no polling.
		lock := "SELECT pg_advisory_lock($1)"
		if mode == Shared {
			lock = "SELECT pg_advisory_lock_shared($1)"
		}
		if _, err := pc.Exec(ctx, lock, key); err != nil {
			broken()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("kv: lock %s: %w", p.url, err)
		}
		return held(), nil
	}
	try := "SELECT pg_try_advisory_lock($1)"
	if mode == Shared {
		try = "SELECT pg_try_advisory_lock_shared($1)"
	}
	deadline := time.Now().Add(wait)
	for {
		var got bool
		if err := pc.QueryRow(ctx, try, key).Scan(&got); err != nil {
			broken()
			return nil, fmt.Errorf("kv: lock %s: %w", p.url, err)
		}
		if got {
			// Only now out of the pool: a try that finds the lock
			// taken (a standby's, every few seconds) gives its
			// connection back instead of closing it.
			return held(), nil
		}
		if !time.Now().Before(deadline) {
			pc.Release()
			return nil, ErrHeld
		}
		select {
		case <-ctx.Done():
			pc.Release()
			return nil, ctx.Err()
		case <-time.After(min(50*time.Millisecond, time.Until(deadline)+time.Millisecond)):
		}
	}
}

// watch pings the lock's connection until Release, closing lost when a
// ping fails: the session, and with it the lock, is gone.
func (l *Lock) watch() {
	defer close(l.done)
	t := time.NewTicker(lockCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := l.conn.Ping(ctx)
		cancel()
		if err != nil {
			close(l.lost)
			return
		}
	}
}

// Lost is closed when the lock's connection dropped, and with it the lock.
func (l *Lock) Lost() <-chan struct{} { return l.lost }

// Released is closed once Release is called.
func (l *Lock) Released() <-chan struct{} { return l.stop }

// Release lets go of the lock (closing its connection) and stops watching
// it. It may be called more than once.
func (l *Lock) Release() {
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		// Unlocked before the connection closes: another session may take
		// it at once, not when the server has noticed this one is gone.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, _ = l.conn.Exec(ctx, "SELECT pg_advisory_unlock_all()")
		cancel()
		_ = l.conn.Close(context.Background())
	})
}
