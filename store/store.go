package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/docent-bot/docent/store/internal/kv"
)

// schemaVersion is the layout of the store's own buckets that this code
// reads and writes (see doc.go). Bump it, and add the step to coreSchema's
// migrations (schema.go), whenever a bucket or value changes
// incompatibly.
const schemaVersion = 3

var (
	bucketMeta          = []byte("meta")
	bucketMessages      = []byte("messages")
	bucketIDs           = []byte("ids")
	bucketConversations = []byte("conversations")
	bucketModels        = []byte("models")

	keySchema = []byte("schema")

	// dataBuckets are the buckets schema 1 creates besides meta.
	dataBuckets = [][]byte{bucketMessages, bucketIDs, bucketConversations, bucketModels}
)

var (
	// ErrNotFound is returned (wrapped) by Record and LoadModel when there is
	// nothing under the ID or name asked for.
	ErrNotFound = errors.New("not found")
	// ErrClosed is returned (wrapped) by every operation after Close.
	ErrClosed = errors.New("store is closed")
	// ErrLocked is returned (wrapped, together with bbolt's ErrTimeout) by
	// Open when another process, or another Open in this one, holds the file.
	ErrLocked = errors.New("database is in use by another process")
	// ErrBoltOnly is returned (wrapped) by the operations on the database
	// file itself (check, backup) when the store is not a bbolt file.
	ErrBoltOnly = errors.New("only a bbolt database file has this")
	// ErrInvalid is returned (wrapped) when a record or model is refused
	// before it is queued: retrying the same value cannot succeed.
	ErrInvalid = errors.New("invalid")
)

// Options tunes a Store. The zero value is ready to use.
type Options struct {
	// LockTimeout is how long Open waits for another process's lock; 0
	// means 1s. A bot restarted by its supervisor while the old process is
	// still shutting down gets this long before giving up.
	LockTimeout time.Duration
	// MaxBatch is the most queued writes committed in one transaction; 0
	// means 1024.
	MaxBatch int
	// Logger receives open/close and commit-failure events; nil means
	// discard.
	Logger *slog.Logger
	// MaxSize is the most bytes the file may grow to; a write that would
	// need more fails (like a full disk) until deletions free space inside
	// the file. 0 means no limit.
	MaxSize int64
	// Parts are the feature modules' shares of what the store holds about
	// members, asked by ExportMember, ForgetMember and DeleteBefore.
	Parts []MemberPart
	// Schemas are the feature modules' schemas: Open refuses a file where
	// one is newer than this code reads, or older with no way to it, and
	// runs the migrations of the others (see Schema). A module of the file
	// that is not listed is left as it is.
	Schemas []Owner
	// Recorders keep figures of their own of the records stored, in the
	// transactions that store them (see Recorder).
	Recorders []Recorder
	// Replica opens a PostgreSQL database as one of several Docents
	// sharing it (store.postgres.replicas), rather than alone; see
	// OpenPostgres. A bbolt file is one process's, and refuses it.
	Replica bool
	// Converting, when set, hears how the conversion of a schema 1 file's
	// records stands after each chunk (see Converting), for a progress
	// line; the log has the start and the end.
	Converting func(Converting)
}

const (
	defaultLockTimeout = time.Second
	defaultMaxBatch    = 1024
	maxQueue           = 4096
)

// Store is Docent's database. Its methods are safe for concurrent use.
type Store struct {
	// db is the database every transaction goes through; bolt is the same
	// database when it is a bbolt file, for what only a file does (check,
	// backup), and nil otherwise.
	db   kv.DB
	bolt *bolt.DB
	// lock is the PostgreSQL store's lock (see OpenPostgres); nil on
	// bbolt, whose file lock goes with the file.
	lock    *kv.Lock
	replica bool
	// replicaID names a replica in its pending marks, and alive is its
	// liveness lock (pending.go); "" and nil but on a replica.
	replicaID string
	alive     *kv.Lock
	// lost is closed when lock or alive was lost with its connection.
	lost     chan struct{}
	path     string
	log      *slog.Logger
	maxBatch int

	// reqs carries writes to the writer goroutine; done is closed when that
	// goroutine has committed everything and returned.
	reqs chan *writeReq
	done chan struct{}

	// mu guards closed and, with it, the right to use the database: queueing
	// on reqs (which Close closes) and running a read transaction each hold
	// mu.RLock for their duration, so Close (mu.Lock) never closes reqs under
	// a sender nor the file under a reader.
	mu     sync.RWMutex
	closed bool

	closeOnce sync.Once
	closeErr  error

	parts []MemberPart
	// recorders are Options.Recorders; txStored collects the records
	// stored by the write transaction running now, for them, and txSkip
	// names those that failed on its batch (only code inside that
	// transaction touches them).
	recorders []Recorder
	writeMu   sync.Mutex // held by update: one write transaction at a time
	txStored  []Record
	txSkip    map[string]bool

	// commits and writes count what reached the disk since Open (see
	// WriteStats).
	commits, writes atomic.Uint64
}

// Open opens the Docent database at path, creating it (and its directory)
// if it does not exist. It refuses files that are not bbolt, bbolt files
// that are not Docent's, and Docent files of an unknown schema.
func Open(path string, opts Options) (*Store, error) {
	return open(path, opts, nil)
}

// open is Open with a hook to adjust bbolt's options, for tests that need a
// tiny MaxSize to make a commit fail.
func open(path string, opts Options, tune func(*bolt.Options)) (*Store, error) {
	opts, err := checkOptions(path, opts)
	if err != nil {
		return nil, err
	}
	if opts.Replica {
		return nil, fmt.Errorf("store: open %s: a bbolt file is one process's: replicas share a PostgreSQL database (store.postgres.url)", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("store: open %s: create its directory: %w", path, err)
	}
	// Everything else stays at bbolt's defaults; in particular NoSync stays
	// false, since a write must survive a crash once it has returned.
	bo := &bolt.Options{Timeout: opts.LockTimeout, MaxSize: int(opts.MaxSize)}
	if tune != nil {
		tune(bo)
	}
	bdb, created, core, err := openBolt(path, opts.LockTimeout, bo)
	if err != nil {
		return nil, err
	}
	s := newStore(kv.NewBolt(bdb), path, opts)
	s.bolt = bdb
	return s.start(opts, created, core)
}

// checkOptions refuses options no store can take, and fills in the
// defaults.
func checkOptions(where string, opts Options) (Options, error) {
	if opts.LockTimeout < 0 {
		return opts, fmt.Errorf("store: open %s: negative LockTimeout %s", where, opts.LockTimeout)
	}
	if opts.MaxBatch < 0 {
		return opts, fmt.Errorf("store: open %s: negative MaxBatch %d", where, opts.MaxBatch)
	}
	if opts.MaxSize < 0 {
		return opts, fmt.Errorf("store: open %s: negative MaxSize %d", where, opts.MaxSize)
	}
	if err := checkParts(opts.Parts); err != nil {
		return opts, err
	}
	if err := checkOwners(opts.Schemas); err != nil {
		return opts, err
	}
	if err := checkRecorders(opts.Recorders); err != nil {
		return opts, err
	}
	if opts.LockTimeout == 0 {
		opts.LockTimeout = defaultLockTimeout
	}
	if opts.MaxBatch == 0 {
		opts.MaxBatch = defaultMaxBatch
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return opts, nil
}

// newStore is a Store over db, not started.
func newStore(db kv.DB, path string, opts Options) *Store {
	return &Store{
		db:       db,
		path:     path,
		log:      opts.Logger,
		maxBatch: opts.MaxBatch,
		// A buffer of (up to) one batch lets appenders queue while the
		// writer is inside fsync, so the next batch is ready as soon as it
		// returns; more would only hold memory.
		reqs:  make(chan *writeReq, min(opts.MaxBatch, maxQueue)),
		done:  make(chan struct{}),
		parts: opts.Parts,

		recorders: opts.Recorders,
	}
}

// start plans the modules' migrations, starts the writer and brings the
// database to this code's layout (core: the core's own steps), closing
// it on failure.
func (s *Store) start(opts Options, created bool, core []Migration) (*Store, error) {
	var plans []plan
	if len(core) > 0 {
		plans = append(plans, plan{owner: "", steps: core})
	}
	err := s.db.View(context.Background(), func(tx kv.Tx) error {
		modules, err := planOwners(tx, s.path, opts.Schemas)
		plans = append(plans, modules...)
		return err
	})
	if err != nil {
		_ = s.db.Close()
		if s.lock != nil {
			s.lock.Release()
		}
		if s.alive != nil {
			s.alive.Release()
		}
		return nil, err
	}
	// The migrations go through the writer, as every write does; the
	// recorders are given the records they miss once those are in this
	// code's layout, before anyone else can write.
	go s.writer()
	if err := s.migrate(plans); err != nil {
		_ = s.Close()
		return nil, err
	}
	if err := s.convertRecords(opts.Converting); err != nil {
		_ = s.Close()
		return nil, err
	}
	if err := s.reindexPlatformIDs(); err != nil {
		_ = s.Close()
		return nil, err
	}
	if err := s.replayRecorders(); err != nil {
		_ = s.Close()
		return nil, err
	}
	s.log.Info("store: opened", "path", s.path, "schema", schemaVersion, "created", created)
	return s, nil
}

// openBolt opens the bbolt file, with its lock, and checks its schema;
// core are the steps that bring the core's records to this code's layout.
//
// The file is checked (checkFile) before bbolt maps it. Should other
// damage still make bbolt panic (or fault, reading its memory map), the
// panic becomes an error here instead of ending the process; the file is
// then left open, locked, as bbolt's state is unknown: the caller is
// expected to stop.
//
// Once it has the lock, it makes sure that path still names the file it
// locked: compact and restore rename a new file into place while holding
// the old one's lock, and a Docent waiting on that lock must not write
// into the replaced file. It opens again when not.
func openBolt(path string, wait time.Duration, bo *bolt.Options) (db *bolt.DB, created bool, core []Migration, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			db, created, core = nil, false, nil
			err = fmt.Errorf("store: open %s: %w: bbolt failed reading it (%v); Docent will not use it. Restore your last backup with `docent restore BACKUP-FILE` (it keeps this file beside the restored one)", path, ErrDamaged, p)
		}
	}()
	deadline := time.Now().Add(wait)
	for {
		var f *os.File
		o := *bo
		o.Timeout = max(time.Until(deadline), time.Millisecond) // 0 would wait for ever
		o.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
			opened, oerr := openChecked(name, flag, perm)
			f = opened
			return opened, oerr
		}
		db, err = bolt.Open(path, 0o600, &o)
		if err != nil {
			var de *damagedError
			if errors.As(err, &de) {
				return nil, false, nil, fileError(path, de.err)
			}
			return nil, false, nil, openError(path, wait, err)
		}
		if names(f, path) {
			break
		}
		_ = db.Close()
		if time.Now().After(deadline) {
			return nil, false, nil, &lockedError{path: path, wait: wait, err: errors.New("the file was replaced while waiting for its lock")}
		}
	}
	created, core, err = checkSchema(kv.NewBolt(db), path)
	if err != nil {
		_ = db.Close()
		return nil, false, nil, err
	}
	return db, created, core, nil
}

// lockedError is Open's error when the file lock could not be taken in
// time. It is ErrLocked for errors.Is and unwraps to bbolt's ErrTimeout.
type lockedError struct {
	path     string
	wait     time.Duration
	err      error
	postgres bool // path is a PostgreSQL database's URL
	replica  bool // the refused store was to be a replica
}

func (e *lockedError) Error() string {
	switch {
	case e.postgres && e.replica:
		return fmt.Sprintf("store: database %s is in use by a Docent that is not a replica (waited %s for its lock): replicas (store.postgres.replicas: true) share a database only with replicas; stop the other, or set store.postgres.replicas on both", e.path, e.wait)
	case e.postgres:
		return fmt.Sprintf("store: database %s is in use by another Docent (waited %s for its lock): stop the other, make both replicas (store.postgres.replicas: true), or point store.postgres.url elsewhere", e.path, e.wait)
	}
	return fmt.Sprintf("store: database %s is in use by another process (waited %s for its lock); stop the Docent using it, or point store.path elsewhere", e.path, e.wait)
}

func (e *lockedError) Unwrap() error { return e.err }

func (e *lockedError) Is(target error) bool { return target == ErrLocked }

// openError turns bbolt's open errors into ones that say what to do.
func openError(path string, wait time.Duration, err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return &lockedError{path: path, wait: wait, err: err}
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum):
		return fmt.Errorf("store: open %s: not a Docent database (not a bbolt file, or a damaged one): %w", path, err)
	case errors.Is(err, berrors.ErrVersionMismatch):
		return fmt.Errorf("store: open %s: written by an incompatible version of bbolt: %w", path, err)
	case errors.As(err, new(*fs.PathError)):
		return fmt.Errorf("store: %w", err) // it names the file already
	default:
		return fmt.Errorf("store: open %s: %w", path, err)
	}
}

// checkSchema makes sure db is a Docent database of this schema, or of an
// older one with migrations to it (core), creating the buckets when the
// file is new. It only writes to an empty file, so a file it refuses is
// left as it was.
func checkSchema(db kv.DB, path string) (created bool, core []Migration, err error) {
	var empty bool
	err = db.View(context.Background(), func(tx kv.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			var names []string
			_ = tx.ForEachBucket(func(name []byte) error {
				names = append(names, strconv.Quote(string(name)))
				return nil
			})
			if b := tx.Bucket(bucketCopying); b != nil {
				return fmt.Errorf("store: %s holds an unfinished copy of %s (docent migrate was interrupted): run the same docent migrate again to finish it", path, b.Get(keyCopyFrom))
			}
			if len(names) > 0 {
				if len(names) > 5 {
					names = append(names[:5], "…")
				}
				return fmt.Errorf("store: %s is a bbolt database but not a Docent one (buckets %s, no %q); refusing to use it", path, strings.Join(names, ", "), bucketMeta)
			}
			empty = true
			return nil
		}
		// The core's version follows the modules' rules (Schema), except
		// that a Docent file always records it, from 1.
		raw := meta.Get(keySchema)
		v, convErr := strconv.Atoi(string(raw))
		var ok bool
		switch {
		case raw == nil:
			return fmt.Errorf("store: %s has a Docent meta bucket without a schema version; this version reads schema %d", path, schemaVersion)
		case convErr != nil || v < 1:
			return fmt.Errorf("store: %s has an unknown schema %q; this version reads schema %d", path, raw, schemaVersion)
		case v > coreSchema.Version:
			return fmt.Errorf("store: %s was written by a newer Docent (schema %d); this version reads schema %d", path, v, schemaVersion)
		}
		if core, ok = coreSchema.steps(v); !ok {
			return fmt.Errorf("store: %s has schema %d, which this version cannot migrate; it reads schema %d", path, v, schemaVersion)
		}
		for _, name := range dataBuckets {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("store: %s is damaged: bucket %q is missing", path, name)
			}
		}
		return nil
	})
	if err != nil || !empty {
		return false, core, err
	}
	err = db.Update(context.Background(), func(tx kv.Tx) error {
		meta, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return fmt.Errorf("create bucket %q: %w", bucketMeta, err)
		}
		if err := meta.Put(keySchema, []byte(strconv.Itoa(schemaVersion))); err != nil {
			return fmt.Errorf("write schema version: %w", err)
		}
		for _, name := range dataBuckets {
			if _, err := tx.CreateBucket(name); err != nil {
				return fmt.Errorf("create bucket %q: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return false, nil, fmt.Errorf("store: initialise %s: %w", path, err)
	}
	return true, nil, nil
}

// Path is the file the store was opened on, as given to Open.
func (s *Store) Path() string { return s.path }

// Close stops taking writes (later ones get ErrClosed), waits for the writer
// to commit everything already queued, and closes the file. It waits for
// reads in progress. Calling it again returns the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.reqs)
		s.mu.Unlock()
		<-s.done
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("store: close %s: %w", s.path, err)
		}
		if s.alive != nil {
			s.alive.Release()
		}
		if s.lock != nil {
			s.lock.Release()
		}
		s.log.Info("store: closed", "path", s.path)
	})
	return s.closeErr
}

// view runs fn in a read transaction unless the store is closed. Reads do
// not go through the writer: bbolt lets them run beside its one write
// transaction. ctx ends a read that waits on PostgreSQL's server.
func (s *Store) view(ctx context.Context, fn func(tx kv.Tx) error) error {
	return s.whileOpen(func() error { return s.db.View(ctx, fn) })
}

// whileOpen runs fn unless the store is closed, and keeps Close from
// closing the file until fn returns.
func (s *Store) whileOpen(fn func() error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return fn()
}

// Check runs bbolt's consistency check over the whole file and returns
// every problem it finds, joined; nil means the file is sound.
//
// It runs in a write transaction that it rolls back: bbolt documents a
// check in a read transaction as unsafe beside a concurrent writer. So
// appends wait while it runs; it is meant for `docent check`, not for a hot
// path.
func (s *Store) Check() error {
	err := s.whileOpen(func() error {
		if s.bolt == nil {
			return errBoltOnly("docent check", "PostgreSQL checks its own pages (data checksums; the amcheck extension)")
		}
		tx, err := s.bolt.Begin(true)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }()
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		if len(errs) > 0 {
			return fmt.Errorf("%d problems: %w", len(errs), errors.Join(errs...))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: check %s: %w", s.path, err)
	}
	return nil
}

// errBoltOnly is the error of op, an operation on a bbolt file, on a
// store that is not one: it says what to use instead.
func errBoltOnly(op, instead string) error {
	return fmt.Errorf("%s works on a bbolt file and this store is on PostgreSQL (%w): %s", op, ErrBoltOnly, instead)
}
