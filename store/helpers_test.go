package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/internal/pgtest"
	"github.com/docent-bot/docent/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

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
	s, err := store.Open(path, testOptions)
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
