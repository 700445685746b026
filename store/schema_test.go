package store_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/docent-bot/docent/store"
)

// A shelf is a feature's records in three layouts: in 1 a book's key
// holds its title; in 2 the title is in capitals; in 3 the books are
// under "book/" and "count" holds how many there are.
var bucketShelf = store.NewBucket("test_shelf")

var (
	shelfTo2 = store.Migration{From: 1, To: 2, Run: func(tx *store.Tx) error {
		var keys, titles [][]byte
		err := tx.Scan(bucketShelf, nil, func(k, v []byte) error {
			keys, titles = append(keys, bytes.Clone(k)), append(titles, bytes.ToUpper(v))
			return nil
		})
		for i, k := range keys {
			err = errors.Join(err, tx.Put(bucketShelf, k, titles[i]))
		}
		return err
	}}
	shelfTo3 = store.Migration{From: 2, To: 3, Run: func(tx *store.Tx) error {
		var keys, titles [][]byte
		err := tx.Scan(bucketShelf, nil, func(k, v []byte) error {
			keys, titles = append(keys, bytes.Clone(k)), append(titles, bytes.Clone(v))
			return nil
		})
		for i, k := range keys {
			err = errors.Join(err, tx.Delete(bucketShelf, k), tx.Put(bucketShelf, append([]byte("book/"), k...), titles[i]))
		}
		return errors.Join(err, tx.Put(bucketShelf, []byte("count"), []byte{byte(len(keys))}))
	}}
)

func shelf(version int, steps ...store.Migration) store.Owner {
	return store.Owner{Name: "shelf", Schema: store.Schema{Version: version, Migrations: steps}}
}

// openOwners opens path with the schemas of owners, logging to log.
func openOwners(t testing.TB, path string, log *bytes.Buffer, owners ...store.Owner) (*store.Store, error) {
	opts := testOptions
	opts.Schemas = owners
	if log != nil {
		opts.Logger = slog.New(slog.NewTextHandler(log, nil))
	}
	return openAt(t, path, opts)
}

// shelfAt makes a database whose shelf is at layout 1, with two books.
func shelfAt1(t *testing.T) string {
	t.Helper()
	path := dbPath(t)
	s, err := openOwners(t, path, nil, shelf(1))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Update(context.Background(), func(tx *store.Tx) error {
		return errors.Join(tx.Put(bucketShelf, []byte("a"), []byte("dune")), tx.Put(bucketShelf, []byte("b"), []byte("emma")))
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// shelfContents is every key and value of the shelf, in a file opened
// with no schemas (which leaves every owner as it is).
func shelfContents(t *testing.T, path string) (map[string]string, map[string]int) {
	t.Helper()
	s, err := openOwners(t, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := map[string]string{}
	err = s.View(context.Background(), func(tx *store.Tx) error {
		return tx.Scan(bucketShelf, nil, func(k, v []byte) error { got[string(k)] = string(v); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	versions, err := s.SchemaVersions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return got, versions
}

// metaValue reads a key of the meta bucket as bbolt's own tool (or an
// older Docent) would.
func metaValue(t *testing.T, path, key string) string {
	t.Helper()
	if store.OnPostgresPass {
		var v string
		eachStored(t, path, func(bucket string, k, val []byte) {
			if bucket == "meta" && string(k) == key {
				v = string(val)
			}
		})
		return v
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	db.View(func(tx *bolt.Tx) error { v = string(tx.Bucket([]byte("meta")).Get([]byte(key))); return nil })
	return v
}

// A new file records each module's version as it is, running no
// migration (there is nothing in an older layout); a module with no
// versioned layout records nothing; the core's version keeps its key.
func TestSchemaFreshDatabase(t *testing.T) {
	path := dbPath(t)
	ran := 0
	count := func(tx *store.Tx) error { ran++; return nil }
	var log bytes.Buffer
	s, err := openOwners(t, path, &log, shelf(3, store.Migration{From: 1, To: 2, Run: count}, store.Migration{From: 2, To: 3, Run: count}),
		store.Owner{Name: "plain"})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if ran != 0 {
		t.Errorf("%d migrations ran on a new file", ran)
	}
	if !strings.Contains(log.String(), `msg="store: schema recorded" owner=shelf schema=3`) {
		t.Errorf("the log does not say the shelf's schema was recorded:\n%s", log.String())
	}
	if _, versions := shelfContents(t, path); !maps.Equal(versions, map[string]int{"shelf": 3}) {
		t.Errorf("versions = %v; want shelf at 3 and nothing for plain", versions)
	}
	if core, mod := metaValue(t, path, "schema"), metaValue(t, path, "schema:shelf"); core != "3" || mod != "3" {
		t.Errorf(`meta "schema" = %q, "schema:shelf" = %q; want "3" and "3"`, core, mod)
	}
	log.Reset()
	s, err = openOwners(t, path, &log, shelf(3, store.Migration{From: 1, To: 2, Run: count}, store.Migration{From: 2, To: 3, Run: count}))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if ran != 0 || strings.Contains(log.String(), "store: schema") {
		t.Errorf("opening again: %d migrations ran, log:\n%s", ran, log.String())
	}
}

// A file at layout 1 is brought to 3 in two steps, in order, each
// logged; a module whose records predate its versions runs its step from
// 0 on a file that records none.
func TestSchemaUpgradeInSteps(t *testing.T) {
	path := shelfAt1(t)
	var order []string
	legacy := store.Owner{Name: "legacy", Schema: store.Schema{Version: 1, Migrations: []store.Migration{{From: 0, To: 1, Run: func(tx *store.Tx) error {
		order = append(order, "legacy 0→1")
		return nil
	}}}}}
	to2, to3 := shelfTo2, shelfTo3
	to2.Run = func(tx *store.Tx) error { order = append(order, "shelf 1→2"); return shelfTo2.Run(tx) }
	to3.Run = func(tx *store.Tx) error { order = append(order, "shelf 2→3"); return shelfTo3.Run(tx) }
	var log bytes.Buffer
	s, err := openOwners(t, path, &log, shelf(3, to3, to2), legacy) // in any order
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if got := strings.Join(order, ", "); got != "shelf 1→2, shelf 2→3, legacy 0→1" {
		t.Errorf("ran %s; want shelf 1→2, shelf 2→3, legacy 0→1", got)
	}
	books, versions := shelfContents(t, path)
	if want := map[string]string{"book/a": "DUNE", "book/b": "EMMA", "count": "\x02"}; !maps.Equal(books, want) {
		t.Errorf("shelf = %q; want %q", books, want)
	}
	if want := map[string]int{"shelf": 3, "legacy": 1}; !maps.Equal(versions, want) {
		t.Errorf("versions = %v; want %v", versions, want)
	}
	for _, line := range []string{"owner=shelf from=1 to=2", "owner=shelf from=2 to=3", "owner=legacy from=0 to=1"} {
		if !strings.Contains(log.String(), `msg="store: schema migrated" `+line) {
			t.Errorf("the log lacks %q:\n%s", line, log.String())
		}
	}
}

// A step that fails, or panics, undoes its own writes and stops Open
// with an error that names the module and the step; the steps before it
// stay done, and a fixed Docent goes on from there.
func TestSchemaFailingStep(t *testing.T) {
	for _, tt := range []struct {
		name    string
		fail    func()
		wantErr string
	}{
		{"error", nil, "the shelf is full"},
		{"panic", func() { panic("the shelf fell") }, "panic: the shelf fell"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := shelfAt1(t)
			broken := store.Migration{From: 2, To: 3, Run: func(tx *store.Tx) error {
				if err := tx.Put(bucketShelf, []byte("book/half"), []byte("written")); err != nil {
					return err
				}
				if tt.fail != nil {
					tt.fail()
				}
				return errors.New("the shelf is full")
			}}
			s, err := openOwners(t, path, nil, shelf(3, shelfTo2, broken))
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded; want the failing step to stop it")
			}
			for _, want := range []string{where(path), "module shelf: migrate schema 2 to 3", tt.wantErr, "it stays at schema 2"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Open error = %q; want it to say %q", err, want)
				}
			}
			books, versions := shelfContents(t, path)
			if want := map[string]string{"a": "DUNE", "b": "EMMA"}; !maps.Equal(books, want) || versions["shelf"] != 2 {
				t.Errorf("after the failed step: shelf = %q at version %d; want %q at 2", books, versions["shelf"], want)
			}
			s, err = openOwners(t, path, nil, shelf(3, shelfTo2, shelfTo3))
			if err != nil {
				t.Fatalf("with the step fixed: %v", err)
			}
			s.Close()
			if books, versions := shelfContents(t, path); books["book/a"] != "DUNE" || versions["shelf"] != 3 {
				t.Errorf("with the step fixed: shelf = %q at version %d", books, versions["shelf"])
			}
		})
	}
}

// A file is refused, and left as it is for every module, when a module's
// records are newer than this code reads, or older with no way to its
// version, or of a version that is not a number.
func TestSchemaRefused(t *testing.T) {
	other := store.Owner{Name: "other", Schema: store.Schema{Version: 1}}
	for _, tt := range []struct {
		name    string
		setup   func(t *testing.T, path string)
		shelf   store.Owner
		wantErr string
	}{
		{
			name: "newer",
			setup: func(t *testing.T, path string) {
				s, err := openOwners(t, path, nil, shelf(3, shelfTo2, shelfTo3))
				if err != nil {
					t.Fatal(err)
				}
				s.Close()
			},
			shelf:   shelf(1),
			wantErr: "was written by a newer Docent (module shelf, schema 3); this version reads module shelf up to schema 1",
		},
		{
			name:    "no way",
			shelf:   shelf(3, shelfTo3),
			wantErr: "has module shelf at schema 1, which this version cannot migrate; it reads module shelf at schema 3",
		},
		{
			name: "garbled",
			setup: func(t *testing.T, path string) {
				boltOnly(t, "edits the file with bbolt")
				editBolt(t, path, func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("schema:shelf"), []byte("one")) })
			},
			shelf:   shelf(1),
			wantErr: `has an unknown schema "one" for module shelf`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := shelfAt1(t)
			if tt.setup != nil {
				tt.setup(t, path)
			}
			before := metaValue(t, path, "schema:shelf")
			s, err := openOwners(t, path, nil, other, tt.shelf)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded; want it to refuse the file")
			}
			if !strings.Contains(err.Error(), where(path)) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Open error = %q; want it to name %s and say %q", err, where(path), tt.wantErr)
			}
			if after := metaValue(t, path, "schema:shelf"); after != before || metaValue(t, path, "schema:other") != "" {
				t.Errorf("the refused file was changed: shelf at %q (was %q), other at %q", after, before, metaValue(t, path, "schema:other"))
			}
		})
	}
}

// Schemas that cannot be followed are mistakes in the code: Open says so
// before it touches the file.
func TestSchemaMistakes(t *testing.T) {
	for _, tt := range []struct {
		name    string
		owners  []store.Owner
		wantErr string
	}{
		{"backwards", []store.Owner{shelf(3, store.Migration{From: 2, To: 1})}, "module shelf's schema: migration from 2 to 1"},
		{"past the version", []store.Owner{shelf(2, store.Migration{From: 1, To: 3})}, "migration from 1 to 3"},
		{"two from one", []store.Owner{shelf(3, shelfTo2, store.Migration{From: 1, To: 3})}, "two migrations from 1"},
		{"negative", []store.Owner{shelf(-1)}, "negative version -1"},
		{"no name", []store.Owner{{Schema: store.Schema{Version: 1}}}, `an owner of records has the name ""`},
		{"twice", []store.Owner{shelf(1), shelf(1)}, `two owners of records are named "shelf"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := dbPath(t)
			s, err := openOwners(t, path, nil, tt.owners...)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Open error = %q; want it to say %q", err, tt.wantErr)
			}
		})
	}
}
