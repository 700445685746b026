package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

func TestOpenCreatesDirectoryAndReopens(t *testing.T) {
	boltOnly(t, "the file and its folder")
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "deep", "er", "docent.db")
	s, err := store.Open(path, testOptions)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if s.Path() != path {
		t.Errorf("Path() = %q; want %q", s.Path(), path)
	}
	c := conv("discord", "1", "")
	first := appendMessage(t, s, message(c, "one", base))
	reply := message(c, "two", base)
	reply.RepliesTo = "p-one" // a Discord reply to the first
	second := appendMessage(t, s, reply)
	if err := s.SaveModel(ctx, store.Model{Name: "intents", Hash: "h1", Data: []byte{1, 2, 3}, Saved: base}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openStore(t, path)
	recs, err := s.Conversation(ctx, c, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(recs, []store.Record{second, first}) {
		t.Errorf("after reopening, records = %+v; want %+v", recs, []store.Record{second, first})
	}
	if len(recs) == 2 && recs[0].RepliesTo != "p-one" {
		t.Errorf("after reopening, the reply's RepliesTo = %q; want %q", recs[0].RepliesTo, "p-one")
	}
	m, err := s.LoadModel(ctx, "intents")
	if err != nil || m.Hash != "h1" || !bytes.Equal(m.Data, []byte{1, 2, 3}) {
		t.Errorf("after reopening, model = %+v, %v", m, err)
	}
	// IDs carry on from where they were: never reused.
	third := appendMessage(t, s, message(c, "three", base))
	if third.ID <= second.ID {
		t.Errorf("ID after reopening = %d; want more than %d", third.ID, second.ID)
	}
	if err := s.Check(); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// createDocentDB makes a Docent database at path and closes it.
func createDocentDB(t *testing.T, path string) {
	t.Helper()
	s, err := store.Open(path, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	appendMessage(t, s, message(conv("p", "c", ""), "kept", base))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// editBolt changes a closed database file with bbolt directly.
func editBolt(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesOtherSchemas(t *testing.T) {
	boltOnly(t, "edits the file with bbolt")
	tests := []struct {
		name    string
		edit    func(meta *bolt.Bucket) error
		wantErr string
	}{
		{
			name:    "newer",
			edit:    func(meta *bolt.Bucket) error { return meta.Put([]byte("schema"), []byte("4")) },
			wantErr: "was written by a newer Docent (schema 4); this version reads schema 3",
		},
		{
			name:    "garbled",
			edit:    func(meta *bolt.Bucket) error { return meta.Put([]byte("schema"), []byte("one")) },
			wantErr: `has an unknown schema "one"; this version reads schema 3`,
		},
		{
			name:    "zero",
			edit:    func(meta *bolt.Bucket) error { return meta.Put([]byte("schema"), []byte("0")) },
			wantErr: `has an unknown schema "0"`,
		},
		{
			name:    "missing",
			edit:    func(meta *bolt.Bucket) error { return meta.Delete([]byte("schema")) },
			wantErr: "without a schema version",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := dbPath(t)
			createDocentDB(t, path)
			editBolt(t, path, func(tx *bolt.Tx) error { return tt.edit(tx.Bucket([]byte("meta"))) })
			s, err := store.Open(path, testOptions)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded; want it to refuse the schema")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Open error = %q; want it to name %s and say %q", err, path, tt.wantErr)
			}
		})
	}
}

func TestOpenRefusesForeignBbolt(t *testing.T) {
	boltOnly(t, "another program's bbolt file")
	path := dbPath(t)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	editBolt(t, path, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("widgets"))
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	})
	s, err := store.Open(path, testOptions)
	if err == nil {
		s.Close()
		t.Fatal("Open of another program's bbolt file succeeded")
	}
	for _, want := range []string{path, "not a Docent one", `"widgets"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open error = %q; want it to say %q", err, want)
		}
	}
	// And it was left alone.
	editBolt(t, path, func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("meta")) != nil {
			t.Error("Open wrote a meta bucket into a file it refused")
		}
		return nil
	})
}

func TestOpenAdoptsEmptyBbolt(t *testing.T) {
	boltOnly(t, "an empty bbolt file")
	path := dbPath(t)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	editBolt(t, path, func(*bolt.Tx) error { return nil })
	s := openStore(t, path)
	appendMessage(t, s, message(conv("p", "c", ""), "x", base))
}

func TestOpenRefusesNonBbolt(t *testing.T) {
	boltOnly(t, "files that are not bbolt")
	random := make([]byte, 64<<10)
	if _, err := rand.Read(random); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		content []byte
	}{
		{"text", []byte("# Docent configuration\nmodel: llama3.1\n")},
		{"random 64KiB", random},
		{"zero 16KiB", make([]byte, 16<<10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "docent.db")
			if err := os.WriteFile(path, tt.content, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := store.Open(path, testOptions)
			if err == nil {
				s.Close()
				t.Fatal("Open of a non-bbolt file succeeded")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not a Docent database") {
				t.Errorf("Open error = %q; want it to name the file and say it is not a Docent database", err)
			}
			after, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(after, tt.content) {
				t.Errorf("Open changed the file it refused (read error %v)", err)
			}
		})
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	boltOnly(t, "the file lock, in a synctest bubble")
	synctest.Test(t, testSecondOpenIsLocked)
}

func testSecondOpenIsLocked(t *testing.T) {
	path := dbPath(t)
	openStore(t, path)
	type result struct {
		s   *store.Store
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := store.Open(path, store.Options{LockTimeout: 200 * time.Millisecond})
		done <- result{s, err}
	}()
	select {
	case r := <-done:
		if r.err == nil {
			r.s.Close()
			t.Fatal("second Open succeeded")
		}
		if !errors.Is(r.err, store.ErrLocked) || !errors.Is(r.err, berrors.ErrTimeout) {
			t.Errorf("second Open error = %v; want ErrLocked wrapping bbolt's ErrTimeout", r.err)
		}
		if want := "database " + path + " is in use by another process"; !strings.Contains(r.err.Error(), want) {
			t.Errorf("second Open error = %q; want it to say %q", r.err, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("second Open hangs instead of giving up after its LockTimeout")
	}
}

// lockHelperEnv, when set to a database path, makes TestLockHelperProcess
// try to open that database: the other process of TestSecondProcessIsLocked.
const lockHelperEnv = "DOCENT_STORE_LOCK_HELPER"

func TestSecondProcessIsLocked(t *testing.T) {
	boltOnly(t, "the file lock (PostgreSQL's: TestPostgresOneDocentPerDatabase)")
	path := dbPath(t)
	openStore(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestLockHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper process: %v\n%s", err, out)
	}
	if want := "database " + path + " is in use by another process"; !strings.Contains(string(out), want) {
		t.Errorf("helper process said:\n%s\nwant it to say %q", out, want)
	}
}

// TestLockHelperProcess is not a test on its own: see lockHelperEnv.
func TestLockHelperProcess(t *testing.T) {
	boltOnly(t, "the file lock")
	path := os.Getenv(lockHelperEnv)
	if path == "" {
		t.Skip("only runs as the helper of TestSecondProcessIsLocked")
	}
	s, err := store.Open(path, store.Options{LockTimeout: 200 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatal("Open in a second process succeeded")
	}
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("Open in a second process: %v; want ErrLocked", err)
	}
	fmt.Println(err) // for the parent, which reads our output
}

func TestClosed(t *testing.T) {
	ctx := context.Background()
	s, err := openAt(t, dbPath(t), testOptions)
	if err != nil {
		t.Fatal(err)
	}
	c := conv("p", "c", "")
	rec := appendMessage(t, s, message(c, "x", base))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if s.WriterRunning() {
		t.Error("the writer goroutine outlived Close")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ops := map[string]func() error{
		"AppendMessage": func() error { _, err := s.AppendMessage(ctx, message(c, "y", base)); return err },
		"AppendAnswer": func() error {
			_, err := s.AppendAnswer(ctx, store.AnswerRecord{Conversation: c, Answer: chat.Answer{Text: "a"}})
			return err
		},
		"SaveModel":     func() error { return s.SaveModel(ctx, store.Model{Name: "m"}) },
		"LoadModel":     func() error { _, err := s.LoadModel(ctx, "m"); return err },
		"Conversation":  func() error { _, err := s.Conversation(ctx, c, 0); return err },
		"Conversations": func() error { _, err := s.Conversations(ctx); return err },
		"Record":        func() error { _, err := s.Record(ctx, rec.ID); return err },
		"Check":         s.Check,
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s after Close: %v; want ErrClosed", name, err)
		}
	}
}

// TestCloseCommitsQueued closes the store while writes are queued: every
// write either commits (and is there after reopening) or gets ErrClosed, and
// no goroutine is left behind.
func TestCloseCommitsQueued(t *testing.T) {
	boltOnly(t, "holds the writer in a synctest bubble")
	synctest.Test(t, testCloseCommitsQueued)
}

func testCloseCommitsQueued(t *testing.T) {
	ctx := context.Background()
	before := runtime.NumGoroutine()
	path := dbPath(t)
	s, err := store.Open(path, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	c := conv("p", "c", "")
	release := s.HoldWriter(t)
	const queued = 20
	var (
		mu     sync.Mutex // guards stored
		stored []string
		wg     sync.WaitGroup
	)
	for i := range queued {
		wg.Go(func() {
			text := fmt.Sprintf("q%d", i)
			if _, err := s.AppendMessage(ctx, message(c, text, base)); err != nil {
				t.Errorf("queued append %s: %v", text, err)
				return
			}
			mu.Lock()
			stored = append(stored, text)
			mu.Unlock()
		})
	}
	wantQueued(t, s, queued)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	synctest.Wait() // Close is now waiting for the writer, which is held; let it go.
	release()
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if s.WriterRunning() {
		t.Error("the writer goroutine outlived Close")
	}
	wg.Wait()
	if _, err := s.AppendMessage(ctx, message(c, "too late", base)); !errors.Is(err, store.ErrClosed) {
		t.Errorf("append after Close: %v; want ErrClosed", err)
	}
	waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })

	s = openStore(t, path)
	recs, err := s.Conversation(ctx, c, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := texts(recs)
	slices.Sort(got)
	slices.Sort(stored)
	if len(got) != queued || !slices.Equal(got, stored) {
		t.Errorf("after reopening: %q; want all %d queued writes %q", got, queued, stored)
	}
}

func TestModels(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t))

	if _, err := s.LoadModel(ctx, "intents"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LoadModel before any save: %v; want ErrNotFound", err)
	}
	data := []byte{0, 1, 2, 0xff, '"', '\\'}
	if err := s.SaveModel(ctx, store.Model{Name: "intents", Hash: "sha256:aa", Data: data, Saved: base}); err != nil {
		t.Fatalf("SaveModel: %v", err)
	}
	data[0] = 42 // the store must have taken a copy
	got, err := s.LoadModel(ctx, "intents")
	if err != nil {
		t.Fatalf("LoadModel: %v", err)
	}
	if got.Name != "intents" || got.Hash != "sha256:aa" || !bytes.Equal(got.Data, []byte{0, 1, 2, 0xff, '"', '\\'}) || !got.Saved.Equal(base) || got.Saved.Location() != time.UTC {
		t.Errorf("LoadModel = %+v", got)
	}

	// Overwrite; and a second model stays separate.
	big := bytes.Repeat([]byte("weights"), 100_000)
	if err := s.SaveModel(ctx, store.Model{Name: "intents", Hash: "sha256:bb", Data: big}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveModel(ctx, store.Model{Name: "intents-fr", Hash: "sha256:cc", Data: nil, Saved: base}); err != nil {
		t.Fatal(err)
	}
	got, err = s.LoadModel(ctx, "intents")
	if err != nil || got.Hash != "sha256:bb" || !bytes.Equal(got.Data, big) || got.Saved.IsZero() {
		t.Errorf("after overwrite, LoadModel = hash %q, %d bytes, saved %v, %v", got.Hash, len(got.Data), got.Saved, err)
	}
	fr, err := s.LoadModel(ctx, "intents-fr")
	if err != nil || fr.Hash != "sha256:cc" || len(fr.Data) != 0 {
		t.Errorf("LoadModel(intents-fr) = %+v, %v", fr, err)
	}

	for _, name := range []string{"", "a\x00b", strings.Repeat("n", 300)} {
		if err := s.SaveModel(ctx, store.Model{Name: name}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("SaveModel(%q): %v; want ErrInvalid", name, err)
		}
	}
	if err := checkFile(s); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// TestModelVersion: ModelVersion says which model is saved under a name,
// on both backends (on PostgreSQL from the version kept beside it, on a
// bbolt file from the model's header), and follows each save.
func TestModelVersion(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t))
	if _, err := s.ModelVersion(ctx, "intents"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ModelVersion before any save: %v; want ErrNotFound", err)
	}
	for i, hash := range []string{"sha256:aa", "sha256:bb"} {
		saved := base.Add(time.Duration(i) * time.Minute)
		if err := s.SaveModel(ctx, store.Model{Name: "intents", Hash: hash, Data: bytes.Repeat([]byte("w"), 1000), Saved: saved}); err != nil {
			t.Fatal(err)
		}
		v, err := s.ModelVersion(ctx, "intents")
		if err != nil || v.Hash != hash || !v.Saved.Equal(saved) {
			t.Errorf("after saving %s: ModelVersion = %+v, %v", hash, v, err)
		}
	}
	if _, err := s.ModelVersion(ctx, "a\x00b"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("ModelVersion of a bad name: %v; want ErrInvalid", err)
	}
	if m, err := s.LoadModel(ctx, "intents"); err != nil || m.Hash != "sha256:bb" {
		t.Errorf("LoadModel after the versions = %+v, %v", m.Hash, err)
	}
}

// SIGKILL leaves the page cache intact, so the crash test cannot notice a
// missing fsync; this one can.
func TestCommitsAreFsynced(t *testing.T) {
	boltOnly(t, "bbolt's NoSync")
	s, err := store.Open(filepath.Join(t.TempDir(), "docent.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.Durable() {
		t.Fatal("the store does not fsync its commits")
	}
}

// WriteStats counts the commits that reached the disk and the writes they
// carried: what benchmarks report as fsyncs.
func TestWriteStatsCountsCommits(t *testing.T) {
	s := openStore(t, dbPath(t))
	if got := s.WriteStats(); got != (store.WriteStats{}) {
		t.Fatalf("a new store has written %+v", got)
	}
	ctx := context.Background()
	c := conv("discord", "1", "")
	for i := range 2 {
		if _, err := s.AppendMessage(ctx, chat.Message{Conversation: c, Author: chat.Member{ID: "7"}, Text: "hi"}); err != nil {
			t.Fatal(err)
		}
		if got, want := s.WriteStats(), (store.WriteStats{Commits: uint64(i + 1), Writes: uint64(i + 1)}); got != want {
			t.Fatalf("after %d appends, one after the other: %+v, want %+v", i+1, got, want)
		}
	}
}
