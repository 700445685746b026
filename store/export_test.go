package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	bolt "go.etcd.io/bbolt"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/internal/pgtest"
	"github.com/docent-bot/docent/store/internal/kv"
)

// OnPostgresPass is true while the package's tests run again on
// PostgreSQL (TestMain, in helpers_test.go).
var OnPostgresPass bool

// boltOnly skips t on the PostgreSQL pass: it tests what only a bbolt
// file has.
func boltOnly(t testing.TB, why string) {
	t.Helper()
	if OnPostgresPass {
		t.Skipf("bbolt only: %s", why)
	}
}

// openForTest opens the store at where on the pass's backend: the bbolt
// file at the path, or on the PostgreSQL pass a new database (or the one
// a PostgreSQL store's Path names, to reopen it).
func openForTest(t testing.TB, where string, opts Options) (*Store, error) {
	t.Helper()
	if !OnPostgresPass {
		return Open(where, opts)
	}
	if !strings.HasPrefix(where, "postgres") {
		where = pgtest.URL(t)
	}
	return OpenPostgres(context.Background(), where, opts)
}

// Key encoding, for FuzzConversationKey.
var (
	AppendConversation = appendConversation
	ParseConversation  = parseConversation
	RecordKey          = recordKey
	ParseRecordKey     = parseRecordKey
)

// OpenWithMaxSize opens a store whose file may not grow past maxSize bytes,
// so that a test can make a commit fail.
func OpenWithMaxSize(path string, opts Options, maxSize int) (*Store, error) {
	return open(path, opts, func(o *bolt.Options) { o.MaxSize = maxSize })
}

// AppendMessagePerUpdate stores m in a db.Update of its own, bypassing the
// writer goroutine: the baseline for BenchmarkAppend.
func (s *Store) AppendMessagePerUpdate(m chat.Message) (Record, error) {
	return s.appendRecordPerUpdate(Record{
		Kind:         KindMessage,
		Conversation: m.Conversation,
		Time:         m.Time,
		Author:       m.Author,
		Text:         m.Text,
		PlatformID:   m.ID,
	})
}

// LastTxID is the ID of the last committed write transaction; each
// commit adds one.
func (s *Store) LastTxID(t testing.TB) uint64 {
	t.Helper()
	var id int
	if err := s.bolt.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil }); err != nil {
		t.Fatal(err)
	}
	return uint64(id)
}

// Queued is how many writes wait in the queue for the writer.
func (s *Store) Queued() int { return len(s.reqs) }

// HoldWriter queues a write that keeps the writer inside its transaction
// until the returned release is called, so that a test can pile writes up
// into one batch behind it. release waits for the held write's commit.
func (s *Store) HoldWriter(t testing.TB) (release func()) {
	t.Helper()
	entered, unblock := make(chan struct{}), make(chan struct{})
	r := newWriteReq(func(kv.Tx) (Record, error) {
		close(entered)
		<-unblock
		return Record{}, nil
	})
	if err := s.enqueue(context.Background(), r); err != nil {
		t.Fatalf("hold writer: %v", err)
	}
	<-entered
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(unblock)
			if res := <-r.done; res.err != nil {
				t.Errorf("held write: %v", res.err)
			}
		})
	}
	// A test that fails before releasing must not hang in Close.
	t.Cleanup(release)
	return release
}

// ErrPoisoned is what a poisoned write fails with.
var ErrPoisoned = errors.New("poisoned write")

// AppendPoisoned queues m like AppendMessage does, but its apply fails after
// putting the record, so the test can check the transaction is rolled back
// and the rest of its batch is committed without it.
func (s *Store) AppendPoisoned(ctx context.Context, m chat.Message) error {
	r, err := s.prepareRecord(Record{Kind: KindMessage, Conversation: m.Conversation, Time: m.Time, Author: m.Author, Text: m.Text})
	if err != nil {
		return err
	}
	apply := r.apply
	r.apply = func(tx kv.Tx) (Record, error) {
		if _, err := apply(tx); err != nil {
			return Record{}, err
		}
		return Record{}, ErrPoisoned
	}
	_, err = s.submit(ctx, r)
	return err
}

// WriterRunning reports whether the writer goroutine has not returned yet.
func (s *Store) WriterRunning() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Durable reports whether commits are fsynced, as Docent promises.
func (s *Store) Durable() bool { return !s.bolt.NoSync }

// TerminateLeads cuts the connections that hold a lead (see Lead) in the
// database at url, as a network cut or a restarted server would.
func TerminateLeads(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND classid = $1 AND granted`, int64(0x646f6365)).Scan(&n)
	if err == nil && n == 0 {
		err = errors.New("no connection holds a lead")
	}
	return err
}

// AppendRefused queues m like AppendMessage does, with a write after it
// that PostgreSQL refuses when the transaction's writes reach it, at the
// commit: a Put into a bucket deleted meanwhile (which bbolt does not
// refuse but panics on: PostgreSQL only).
func (s *Store) AppendRefused(ctx context.Context, m chat.Message) error {
	r, err := s.prepareRecord(Record{Kind: KindMessage, Conversation: m.Conversation, Time: m.Time, Author: m.Author, Text: m.Text})
	if err != nil {
		return err
	}
	apply := r.apply
	r.apply = func(tx kv.Tx) (Record, error) {
		rec, err := apply(tx)
		if err != nil {
			return Record{}, err
		}
		b, err := tx.CreateBucketIfNotExists([]byte("refused"))
		if err != nil {
			return Record{}, err
		}
		if err := tx.DeleteBucket([]byte("refused")); err != nil {
			return Record{}, err
		}
		return rec, b.Put([]byte("k"), []byte("v"))
	}
	_, err = s.submit(ctx, r)
	return err
}

// AdvisoryLocks counts the advisory locks held in the database at url.
func AdvisoryLocks(ctx context.Context, url string) (int, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_locks l JOIN pg_database d ON l.database = d.oid
		WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()`).Scan(&n)
	return n, err
}
