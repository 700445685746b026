package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/docent-bot/docent/store/internal/kv"
)

// storeLock is the session advisory lock a store on PostgreSQL holds
// while it is open, as bbolt's file lock: exclusive for a lone Docent (and
// the commands that need the database to themselves), shared by replicas
// (Options.Replica), so that a lone Docent and replicas never meet.
//
// What replicas need beyond the lock, each Docent's in-memory state made
// safe to share, is the bot's: the recorders of bot/threads, bot/attention
// and bot/routing keep an exchange.Detector in memory (the recent records
// of each conversation), which another replica's records bypass; and
// their write transactions conflict, which PostgreSQL resolves by aborting
// one and kv running it again, so a recorder with state of its own must be
// a RollbackRecorder. A lone Docent has one writer (Store.update holds
// writeMu; reads are REPEATABLE READ, READ ONLY, outside SSI's conflict
// checks), so it never meets a serialization conflict.
const storeLock = 0x646f63656e7401 // "docent" 1

// writersLock is the advisory lock the replicas' write transactions take
// in turn (kv.Postgres.SerializeWriters): one writer at a time across the
// replicas, as in one process. Measured with three replicas before it
// (docent bench pipeline --replicas 3), serialization conflicts on the
// shared rows made some writes give up, answers among them.
const writersLock = 0x646f63656e7403 // "docent" 3

// openingLock is held by a replica while it opens the database (makes
// its tables, records and migrates the schemas): one at a time.
const openingLock = 0x646f63656e7404 // "docent" 4

// OpenPostgres opens the Docent database in the PostgreSQL database at
// url (postgres://user:password@host/db?sslmode=…), making its tables the
// first time, with the same buckets, records, schemas and recorders as a
// bbolt file. Another Docent on the same database is waited for up to
// opts.LockTimeout, then refused with ErrLocked, unless both are replicas
// (opts.Replica; see storeLock).
//
// What works on a bbolt file itself (Check, Backup, CompactFile,
// MeasureSizes) is refused with ErrBoltOnly: PostgreSQL has pg_dump,
// VACUUM and its own statistics. opts.MaxSize caps a bbolt file and is
// refused here.
func OpenPostgres(ctx context.Context, url string, opts Options) (*Store, error) {
	opts, err := checkOptions("the PostgreSQL database", opts)
	if err != nil {
		return nil, err
	}
	if opts.MaxSize > 0 { // refused before connecting: nothing is made in the database
		return nil, fmt.Errorf("store: open the PostgreSQL database: MaxSize (store.max_size_mb) caps a bbolt file; %w: a PostgreSQL database's size is the server's to limit", ErrBoltOnly)
	}
	pg, err := kv.OpenPostgres(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	where := pg.URL()
	mode := kv.Exclusive
	if opts.Replica {
		mode = kv.Shared
		pg.SerializeWriters(writersLock)
	}
	lock, err := pg.Hold(ctx, storeLock, mode, opts.LockTimeout)
	if err != nil {
		_ = pg.Close()
		if errors.Is(err, kv.ErrHeld) {
			return nil, &lockedError{path: where, wait: opts.LockTimeout, err: err, postgres: true, replica: opts.Replica}
		}
		return nil, fmt.Errorf("store: open %s: %w", where, err)
	}
	if opts.Replica {
		// Replicas start together (compose starts all three at once):
		// one at a time makes the tables, records the schemas and runs
		// the migrations, and the next finds them done.
		wait := 10 * time.Minute
		if deadline, ok := ctx.Deadline(); ok {
			wait = time.Until(deadline)
		}
		opening, err := pg.Hold(ctx, openingLock, kv.Exclusive, wait)
		if err != nil {
			_ = pg.Close()
			lock.Release()
			return nil, fmt.Errorf("store: open %s: wait for the other replicas to open it: %w", where, err)
		}
		defer opening.Release()
	}
	created, core, err := checkSchema(pg, where)
	if err != nil {
		_ = pg.Close()
		lock.Release()
		return nil, err
	}
	s := newStore(pg, where, opts)
	s.lock, s.replica, s.lost = lock, opts.Replica, make(chan struct{})
	if opts.Replica {
		if err := s.holdAlive(ctx, pg); err != nil {
			_ = pg.Close()
			lock.Release()
			return nil, err
		}
	}
	go s.watchLock()
	return s.start(opts, created, core)
}

// OnPostgres reports whether the store is on PostgreSQL rather than a
// bbolt file.
func (s *Store) OnPostgres() bool { return s.bolt == nil }

// watchLock logs the loss of the store's lock: the connection that held
// it dropped, so another Docent that is not a replica may now open the
// database alongside this one. LockLost tells the bot, which stops.
func (s *Store) watchLock() {
	var aliveLost <-chan struct{} // nil but on a replica: never closed
	if s.alive != nil {
		aliveLost = s.alive.Lost()
	}
	select {
	case <-s.lock.Released():
	case <-s.lock.Lost():
		s.log.Error("store: lost the lock on the database (its connection dropped); stopping so that a supervisor restarts Docent", "path", s.path)
		close(s.lost)
	case <-aliveLost:
		// The other replicas now take this one for dead and answer its
		// pending messages: it must stop answering.
		s.log.Error("store: lost this replica's liveness lock (its connection dropped); stopping so that a supervisor restarts Docent", "path", s.path)
		close(s.lost)
	}
}

// LockLost is closed when the store's lock on a PostgreSQL database, or a
// replica's liveness lock, was lost with its connection; nil (never
// closed) on a bbolt file.
func (s *Store) LockLost() <-chan struct{} {
	if s.lock == nil {
		return nil
	}
	return s.lost
}

// Replica reports whether the store was opened as one of several Docents
// on its database (Options.Replica).
func (s *Store) Replica() bool { return s.replica }

// Leadership is a lead held by one Docent among the replicas of a
// database (see Lead).
type Leadership struct {
	lock *kv.Lock
}

// Lost is closed when the lead was lost with its connection: another
// replica may take it now. Nil (never closed) on a bbolt file.
func (l *Leadership) Lost() <-chan struct{} {
	if l == nil || l.lock == nil {
		return nil
	}
	return l.lock.Lost()
}

// Release gives the lead up.
func (l *Leadership) Release() {
	if l != nil && l.lock != nil {
		l.lock.Release()
	}
}

// Lead waits until this Docent leads for name ("retention", "model"…)
// among the replicas on its database, and returns the lead, held until
// Release or until its connection drops (Lost). A lone Docent (a bbolt
// file, or PostgreSQL without Options.Replica) leads at once. It returns
// ctx's error when ctx ends first.
func (s *Store) Lead(ctx context.Context, name string) (*Leadership, error) {
	pg, ok := s.db.(*kv.Postgres)
	if !ok || !s.replica {
		return &Leadership{}, nil
	}
	key := leadKey(name)
	for {
		// One connection per lead waited for, blocked in the server:
		// standby replicas cost no queries while they wait.
		lock, err := pg.Hold(ctx, key, kv.Exclusive, -1)
		if err == nil {
			return &Leadership{lock: lock}, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		s.log.Warn("store: cannot ask for the lead; trying again", "lead", name, "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(leadPoll):
		}
	}
}

// ErrLeadHeld is TryLead's answer when another replica leads for the
// name.
var ErrLeadHeld = errors.New("store: another replica leads")

// TryLead is Lead without waiting: it returns the lead when no other
// replica holds it, else ErrLeadHeld at once (a Discord shard claimed
// among replicas tries the next). A lone Docent leads at once.
func (s *Store) TryLead(ctx context.Context, name string) (*Leadership, error) {
	pg, ok := s.db.(*kv.Postgres)
	if !ok || !s.replica {
		return &Leadership{}, nil
	}
	lock, err := pg.Hold(ctx, leadKey(name), kv.Exclusive, 0)
	switch {
	case errors.Is(err, kv.ErrHeld):
		return nil, fmt.Errorf("%w for %s", ErrLeadHeld, name)
	case err != nil:
		return nil, fmt.Errorf("store: ask for the lead for %s: %w", name, err)
	}
	return &Leadership{lock: lock}, nil
}

// leadPoll is how long Lead waits before asking again after an error (the
// server restarting).
var leadPoll = time.Second

// leadKey is the advisory lock key of a lead: "doce" in the high 32 bits,
// the name's FNV hash in the low ones; storeLock's high bits differ.
func leadKey(name string) int64 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return int64(0x646f6365)<<32 | int64(h.Sum32())
}
