package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/docent-bot/docent/store/internal/kv"
)

// storeLock is the session advisory lock a store on PostgreSQL holds
// while it is open: one Docent per database, as bbolt's file lock keeps
// one per file.
//
// Several Docents on one database are not safe yet: the recorders of
// bot/threads, bot/attention and bot/routing keep an exchange.Detector in
// memory (the recent records of each conversation, and what they last
// fed it), primed from the store only for a conversation they do not
// know. A second process would store records those Detectors never see,
// and its write transactions would conflict with this one's, which
// PostgreSQL resolves by aborting one and kv running it again: the
// recorders would be fed the batch twice, or a batch whose IDs another
// process took meanwhile. One process has one writer (Store.update holds
// writeMu; reads are REPEATABLE READ, READ ONLY, outside SSI's conflict
// checks), so it never meets a serialization conflict, and no retry
// feeds a recorder twice.
const storeLock = 0x646f63656e7401 // "docent" 1

// OpenPostgres opens the Docent database in the PostgreSQL database at
// url (postgres://user:password@host/db?sslmode=…), making its tables the
// first time, with the same buckets, records, schemas and recorders as a
// bbolt file. Another Docent on the same database is waited for up to
// opts.LockTimeout, then refused with ErrLocked (see storeLock).
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
	release, err := pg.Hold(ctx, storeLock, opts.LockTimeout)
	if err != nil {
		_ = pg.Close()
		if errors.Is(err, kv.ErrHeld) {
			return nil, &lockedError{path: where, wait: opts.LockTimeout, err: err, postgres: true}
		}
		return nil, fmt.Errorf("store: open %s: %w", where, err)
	}
	created, core, err := checkSchema(pg, where)
	if err != nil {
		_ = pg.Close()
		release()
		return nil, err
	}
	s := newStore(pg, where, opts)
	s.release = release
	return s.start(opts, created, core)
}

// OnPostgres reports whether the store is on PostgreSQL rather than a
// bbolt file.
func (s *Store) OnPostgres() bool { return s.bolt == nil }
