package kv_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/docent-bot/docent/internal/pgtest"
	"github.com/docent-bot/docent/store/internal/kv"
	"github.com/docent-bot/docent/store/internal/kv/kvtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func openBolt(t testing.TB) kv.DB {
	db, err := kv.OpenBolt(filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openPostgres(t testing.TB) kv.DB {
	url := pgtest.URL(t)
	db, err := kv.OpenPostgres(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // before pgtest drops the database
	return db
}

func TestConformanceBolt(t *testing.T) {
	kvtest.Run(t, func(t *testing.T) kv.DB { return openBolt(t) })
}

func TestConformancePostgres(t *testing.T) {
	openPostgres(t) // skips the lot without PostgreSQL, once
	kvtest.Run(t, func(t *testing.T) kv.DB { return openPostgres(t) })
}

// Opening a database again applies no migration twice; one that a newer
// Docent migrated further is refused, by name.
func TestPostgresMigrations(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	for range 2 {
		db, err := kv.OpenPostgres(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var versions []int
	rows, _ := conn.Query(ctx, "SELECT version FROM schema_migrations ORDER BY version")
	versions, err = pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != 1 || versions[0] != 1 {
		t.Fatalf("schema_migrations holds %v after opening twice, want [1]", versions)
	}
	if _, err := conn.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future.sql')"); err != nil {
		t.Fatal(err)
	}
	_, err = kv.OpenPostgres(ctx, url)
	if err == nil || !strings.Contains(err.Error(), "9999_future.sql") {
		t.Fatalf("opening a database of a newer Docent: %v, want a refusal naming 9999_future.sql", err)
	}
}

// A URL that does not parse, or a server that is not there, is an error
// that says where, and no password.
func TestPostgresBadURL(t *testing.T) {
	ctx := context.Background()
	_, err := kv.OpenPostgres(ctx, "postgres://docent:s3cret@127.0.0.1:1/docent?connect_timeout=2")
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("connecting to a closed port: %v, want an error naming 127.0.0.1:1 without the password", err)
	}
	_, err = kv.OpenPostgres(ctx, "postgres://docent:s3cret@127.0.0.1:5432/docent?sslmode=bogus")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("a URL with a bad sslmode: %v, want an error without the password", err)
	}
}

// An error in a PostgreSQL call fails the transaction even when fn
// ignores it (Get has no error to return).
func TestPostgresFailedCallFailsTheTransaction(t *testing.T) {
	db := openPostgres(t)
	ctx, cancel := context.WithCancel(context.Background())
	err := db.Update(ctx, func(tx kv.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("b"))
		if err != nil {
			return err
		}
		cancel() // every call from here fails
		if v := b.Get([]byte("k")); v != nil {
			t.Errorf("Get after a failure = %q", v)
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Update whose Get failed returned %v, want context.Canceled", err)
	}
	if err := db.View(context.Background(), func(tx kv.Tx) error {
		if tx.Bucket([]byte("b")) != nil {
			return fmt.Errorf("the failed transaction's bucket was committed")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// The store's most frequent operations, on each backend:
//
//	go test ./store/internal/kv -run '^$' -bench . -benchtime 2s
func BenchmarkBolt(b *testing.B)     { bench(b, openBolt(b)) }
func BenchmarkPostgres(b *testing.B) { bench(b, openPostgres(b)) }

func bench(b *testing.B, db kv.DB) {
	ctx := context.Background()
	msgs, ids := []byte("messages"), []byte("ids")
	value := bytes.Repeat([]byte("m"), 200) // a chat message's record
	convs := 20
	// appendBatch stores 100 messages in one transaction, as the group
	// commit does: a sequence number, the record under its conversation,
	// the ID index.
	appendBatch := func(tx kv.Tx) error {
		m, err := tx.CreateBucketIfNotExists(msgs)
		if err != nil {
			return err
		}
		ix, err := tx.CreateBucketIfNotExists(ids)
		if err != nil {
			return err
		}
		m.SetFillPercent(0.9)
		for range 100 {
			id, err := m.NextSequence()
			if err != nil {
				return err
			}
			k := recKey(int(id)%convs, id)
			if err := m.Put(k, value); err != nil {
				return err
			}
			if err := ix.Put(k[len(k)-8:], k); err != nil {
				return err
			}
		}
		return nil
	}
	b.Run("Append100", func(b *testing.B) {
		for b.Loop() {
			if err := db.Update(ctx, appendBatch); err != nil {
				b.Fatal(err)
			}
		}
	})
	// 10,000 messages for the reads.
	for range 100 {
		if err := db.Update(ctx, appendBatch); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Get", func(b *testing.B) {
		i := uint64(0)
		for b.Loop() {
			i = i%10000 + 1
			err := db.View(ctx, func(tx kv.Tx) error {
				if v := tx.Bucket(msgs).Get(recKey(int(i)%convs, i)); v == nil {
					return fmt.Errorf("message %d missing", i)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Earlier50", func(b *testing.B) {
		conv := 0
		for b.Loop() {
			conv = (conv + 1) % convs
			err := db.View(ctx, func(tx kv.Tx) error {
				c := tx.Bucket(msgs).Cursor()
				prefix := recKey(conv, 0)[:8]
				k, _ := c.Seek(recKey(conv, 1<<63))
				if k == nil {
					k, _ = c.Last()
				} else {
					k, _ = c.Prev()
				}
				n := 0
				for ; k != nil && bytes.HasPrefix(k, prefix) && n < 50; k, _ = c.Prev() {
					n++
				}
				if n != 50 {
					return fmt.Errorf("conversation %d: %d messages walked back, want 50", conv, n)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// recKey is a record key as store/ lays it: a conversation, then the ID.
func recKey(conv int, id uint64) []byte {
	k := fmt.Appendf(nil, "conv%04d", conv)
	for i := 7; i >= 0; i-- {
		k = append(k, byte(id>>(8*i)))
	}
	return k
}

// Puts go to PostgreSQL in batches, before the next read or the commit: a
// Put the server refuses still fails its Update, saying which.
func TestPostgresRefusedPutFailsTheUpdate(t *testing.T) {
	db := openPostgres(t)
	ctx := context.Background()
	err := db.Update(ctx, func(tx kv.Tx) error {
		b, err := tx.CreateBucket([]byte("gone"))
		if err != nil {
			return err
		}
		if err := tx.DeleteBucket([]byte("gone")); err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v")) // a bucket no longer there
	})
	if err == nil || !strings.Contains(err.Error(), `put 6b in bucket "gone"`) {
		t.Fatalf("Update whose Put the server refused: %v, want an error naming the put", err)
	}
	err = db.View(ctx, func(tx kv.Tx) error {
		return tx.ForEachBucket(func(n []byte) error { return fmt.Errorf("bucket %q was committed", n) })
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPostgresSerializedWriters: processes that serialize their writers
// on one key (each kv.Postgres here is a process's) take turns: many
// read-modify-writes of the same rows at once from both (a counter, a
// bucket's sequence, as replicas of Docent write a conversation's summary
// and the messages' IDs) all succeed, none lost, each sequence number
// given once.
func TestPostgresSerializedWriters(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	var dbs []*kv.Postgres
	for range 2 {
		db, err := kv.OpenPostgres(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		db.SerializeWriters(0x7e57)
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	if err := dbs[0].Update(ctx, func(tx kv.Tx) error {
		_, err := tx.CreateBucketIfNotExists([]byte("b"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 40
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seqs = map[uint64]int{}
		errs []error
	)
	for w := range writers {
		db := dbs[w%len(dbs)]
		wg.Go(func() {
			for range each {
				var got uint64
				err := db.Update(ctx, func(tx kv.Tx) error {
					b := tx.Bucket([]byte("b"))
					n := uint64(0)
					if v := b.Get([]byte("count")); v != nil {
						n = binary.BigEndian.Uint64(v)
					}
					seq, err := b.NextSequence()
					if err != nil {
						return err
					}
					got = seq
					return b.Put([]byte("count"), binary.BigEndian.AppendUint64(nil, n+1))
				})
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					seqs[got]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d writes failed; the first: %v", len(errs), writers*each, errs[0])
	}
	var count uint64
	if err := dbs[1].View(ctx, func(tx kv.Tx) error {
		count = binary.BigEndian.Uint64(tx.Bucket([]byte("b")).Get([]byte("count")))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if count != writers*each || len(seqs) != writers*each {
		t.Errorf("counter %d, %d distinct sequence numbers; want %d of each", count, len(seqs), writers*each)
	}
}

// TestPostgresTriesReuseConnections: a try for a lock another session
// holds gives its connection back to the pool: a standby asking every
// few seconds makes no new connection each time (it made one a try).
func TestPostgresTriesReuseConnections(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	var dbs [2]*kv.Postgres
	for i := range dbs {
		db, err := kv.OpenPostgres(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	lock, err := dbs[0].Hold(ctx, 0x7e58, kv.Exclusive, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	if _, err := dbs[1].Hold(ctx, 0x7e58, kv.Exclusive, 0); !errors.Is(err, kv.ErrHeld) {
		t.Fatalf("a try while another holds it: %v, want ErrHeld", err)
	}
	before := kv.NewConns(dbs[1])
	for range 10 {
		if _, err := dbs[1].Hold(ctx, 0x7e58, kv.Exclusive, 0); !errors.Is(err, kv.ErrHeld) {
			t.Fatalf("a try while another holds it: %v, want ErrHeld", err)
		}
	}
	if made := kv.NewConns(dbs[1]) - before; made > 0 {
		t.Errorf("10 tries for a held lock made %d new connections, want none", made)
	}
	lock.Release()
	got, err := dbs[1].Hold(ctx, 0x7e58, kv.Exclusive, 0)
	if err != nil {
		t.Fatalf("a try once it is free: %v", err)
	}
	got.Release()
}

// TestPostgresLargeFlush: many writes reach the server as two statements
// (kv's multiRow), with the outcome of one at a time: a key written
// twice keeps its last value, deleted then written is there, written then
// deleted is not; and a write the server refuses among them fails the
// update, named, with nothing committed.
func TestPostgresLargeFlush(t *testing.T) {
	db := openPostgres(t)
	ctx := context.Background()
	key := func(i int) []byte { return []byte(fmt.Sprintf("k%04d", i)) }
	err := db.Update(ctx, func(tx kv.Tx) error {
		b, err := tx.CreateBucket([]byte("b"))
		if err != nil {
			return err
		}
		for i := range 200 {
			if err := b.Put(key(i), []byte(fmt.Sprint(i))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx kv.Tx) error {
		b := tx.Bucket([]byte("b"))
		for i := range 150 {
			if err := b.Put(key(i), []byte(fmt.Sprintf("again %d", i))); err != nil {
				return err
			}
		}
		for _, step := range []error{b.Put(key(5), []byte("last")), b.Delete(key(7)), b.Put(key(7), []byte("back")),
			b.Put(key(300), []byte("new")), b.Delete(key(300)), b.Delete(key(199))} {
			if step != nil {
				return step
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	err = db.View(ctx, func(tx kv.Tx) error {
		return tx.Bucket([]byte("b")).ForEach(func(k, v []byte) error {
			got[string(k)] = string(v)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for i := range 199 {
		want[string(key(i))] = fmt.Sprint(i)
		if i < 150 {
			want[string(key(i))] = fmt.Sprintf("again %d", i)
		}
	}
	want[string(key(5))], want[string(key(7))] = "last", "back"
	if !maps.Equal(got, want) {
		t.Errorf("after the large update: %d keys; key 5 %q, 7 %q, 199 present %v, 300 present %v",
			len(got), got[string(key(5))], got[string(key(7))], got[string(key(199))] != "", got[string(key(300))] != "")
	}
	err = db.Update(ctx, func(tx kv.Tx) error {
		b := tx.Bucket([]byte("b"))
		gone, err := tx.CreateBucket([]byte("gone"))
		if err != nil {
			return err
		}
		if err := tx.DeleteBucket([]byte("gone")); err != nil {
			return err
		}
		for i := range 100 {
			if err := b.Put(key(i), []byte("refused with the rest")); err != nil {
				return err
			}
		}
		return gone.Put([]byte("k"), []byte("v"))
	})
	if err == nil || !strings.Contains(err.Error(), `put 6b in bucket "gone"`) {
		t.Fatalf("an update with a refused write among 101: %v; want an error naming it", err)
	}
	err = db.View(ctx, func(tx kv.Tx) error {
		if v := tx.Bucket([]byte("b")).Get(key(0)); string(v) != "again 0" {
			return fmt.Errorf("key 0 = %q after the failed update, want it unchanged", v)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}
