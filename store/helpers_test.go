package store_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/internal/pgtest"
	"github.com/docent-bot/docent/store"
	"github.com/docent-bot/docent/store/internal/kv"
)

// The store's tests run twice (TestMain): on bbolt files, then on
// PostgreSQL databases (pgtest), the same tests through the same helpers:
// dbPath names a database and openAt opens it on the pass's backend
// (the same PostgreSQL database for the same path, while the test that
// first opened it lasts). A test of what only a bbolt file has (its
// format and lock, compaction, sizes, fsync, a kill mid-conversion) or
// that holds the writer in a synctest bubble (a bubble cannot wait on a
// network connection) calls boltOnly and skips the second pass.
func TestMain(m *testing.M) {
	os.Exit(pgtest.Run(func() int {
		code := m.Run()
		for _, only := range []string{"test.bench", "test.fuzz"} {
			if f := flag.Lookup(only); f != nil && f.Value.String() != "" {
				return code // benchmarks and fuzzing measure bbolt; kv has PostgreSQL's
			}
		}
		store.OnPostgresPass = true
		fmt.Fprintln(os.Stderr, "store: the same tests on PostgreSQL")
		if c := m.Run(); c != 0 {
			code = c
		}
		return code
	}))
}

// boltOnly skips t on the PostgreSQL pass: it tests what only a bbolt
// file has.
func boltOnly(t testing.TB, why string) {
	t.Helper()
	if store.OnPostgresPass {
		t.Skipf("bbolt only: %s", why)
	}
}

// pgURLs maps a test's database path to its PostgreSQL database on the
// second pass, so that reopening the path reopens the database.
var pgURLs sync.Map

// openAt opens the store at path on the pass's backend: the bbolt file,
// or the PostgreSQL database that stands for it.
func openAt(t testing.TB, path string, opts store.Options) (*store.Store, error) {
	t.Helper()
	if !store.OnPostgresPass {
		return store.Open(path, opts)
	}
	url, ok := pgURLs.Load(path)
	if !ok {
		url = pgtest.URL(t)
		pgURLs.Store(path, url)
		t.Cleanup(func() { pgURLs.Delete(path) })
	}
	return store.OpenPostgres(context.Background(), url.(string), opts)
}

// checkFile runs bbolt's consistency check on a store on a file; a
// PostgreSQL database has none to run (its server checks its pages).
func checkFile(s *store.Store) error {
	if s.OnPostgres() {
		return nil
	}
	return s.Check()
}

// testOptions keeps lock waits short so that a test that trips over a lock
// fails quickly instead of hanging.
var testOptions = store.Options{LockTimeout: 200 * time.Millisecond}

// dbPath is a fresh database path in the test's temporary directory.
func dbPath(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "data", "docent.db")
}

// openStore opens path and closes it when the test ends.
func openStore(t testing.TB, path string) *store.Store {
	t.Helper()
	s, err := openAt(t, path, testOptions)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func conv(platform, channel, thread string) chat.Conversation {
	return chat.Conversation{Platform: platform, Channel: channel, Thread: thread}
}

// base is a fixed time with nanoseconds in a zone other than UTC, so that
// tests see both the UTC conversion and the precision.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))

func message(c chat.Conversation, text string, at time.Time) chat.Message {
	return chat.Message{
		ID:           "p-" + text,
		Conversation: c,
		Author:       chat.Member{ID: "u1", Name: "alice"},
		Text:         text,
		Time:         at,
	}
}

func appendMessage(t testing.TB, s *store.Store, m chat.Message) store.Record {
	t.Helper()
	rec, err := s.AppendMessage(context.Background(), m)
	if err != nil {
		t.Fatalf("AppendMessage(%q): %v", m.Text, err)
	}
	return rec
}

// texts lists the records' texts, for compact comparisons.
func texts(recs []store.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Text
	}
	return out
}

// wantQueued waits, in a synctest bubble, until every other goroutine is
// blocked (the writer held, the writes waiting for it), and checks that n
// writes are queued then.
func wantQueued(t testing.TB, s *store.Store, n int) {
	t.Helper()
	synctest.Wait()
	if got := s.Queued(); got != n {
		t.Fatalf("%d writes queued, want %d", got, n)
	}
}

// waitFor polls cond until it holds or a few seconds pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// eachStored calls fn with every bucket's name and each of its keys and
// values in the PostgreSQL database that stands for path on the second
// pass, read beside the store, as scanFile reads a bbolt file.
func eachStored(t testing.TB, path string, fn func(bucket string, k, v []byte)) {
	t.Helper()
	url, ok := pgURLs.Load(path)
	if !ok {
		t.Fatalf("no PostgreSQL database stands for %s", path)
	}
	ctx := context.Background()
	db, err := kv.OpenPostgres(ctx, url.(string))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(ctx, func(tx kv.Tx) error {
		var names []string
		if err := tx.ForEachBucket(func(name []byte) error { names = append(names, string(name)); return nil }); err != nil {
			return err
		}
		for _, name := range names {
			fn(name, nil, nil)
			if err := tx.Bucket([]byte(name)).ForEach(func(k, v []byte) error { fn(name, k, v); return nil }); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// where is how the store names the database at path in its messages: the
// path, or the PostgreSQL database's URL.
func where(path string) string {
	if url, ok := pgURLs.Load(path); ok && store.OnPostgresPass {
		return url.(string)
	}
	return path
}
