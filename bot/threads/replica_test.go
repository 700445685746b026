package threads

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/internal/pgtest"
	"github.com/docent-bot/docent/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// openReplica opens the PostgreSQL database at url as one of its
// replicas, with mod's recorder, and provisions mod on it.
func openReplica(t *testing.T, mod *Module, url string) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := store.OpenPostgres(ctx, url, store.Options{Replica: true,
		Recorders: mod.Recorders(module.RecordEnv{Prefix: "!"}), Parts: mod.MemberParts(),
		Schemas: []store.Owner{{Name: mod.Name(), Schema: mod.Schema()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := mod.Provision(context.Background(), &module.Host{Store: st, Now: func() time.Time { return t0.Add(24 * time.Hour) }}); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestReplicasSplitAnExchange: two replicas on one PostgreSQL database
// store the messages of one conversation in turn, each replica's recorder
// already knowing the conversation when the other stores a question in
// it: the replies the other replica stores still make threads, as they
// do when one Docent stores them all.
func TestReplicasSplitAnExchange(t *testing.T) {
	url := pgtest.URL(t)
	lone := New()
	loneStore := open(t, lone, filepath.Join(t.TempDir(), "docent.db"))
	a, b := New(), New()
	stA, stB := openReplica(t, a, url), openReplica(t, b, url)

	steps := []struct {
		replica *store.Store
		rec     store.Record
	}{
		{stB, msg(0, carol, "morning all, the new release is out today")},
		{stA, msg(1, alice, "how do I install dspace on ubuntu?")},
		{stB, msg(3, bob, "alice: run the installer from the release zip")},
		{stA, msg(5, dave, "does anyone know why solr fails after the upgrade?")},
		{stB, msg(6, carol, "dave: delete the write.lock in the solr core")},
		{stA, msg(7, bob, "dave: and restart tomcat after that")},
		{stB, msg(9, alice, "is java 17 supported yet?")},
	}
	for _, s := range steps {
		add(t, loneStore, s.rec)
		add(t, s.replica, s.rec)
	}
	want := texts(t, lone)
	if len(want) != 2 {
		t.Fatalf("the lone store found threads %q, want two", want)
	}
	for name, mod := range map[string]*Module{"replica A": a, "replica B": b} {
		if got := texts(t, mod); !slices.Equal(got, want) {
			t.Errorf("%s: threads %q, want %q as one Docent finds", name, got, want)
		}
		if got, want := unanswered(t, mod), unanswered(t, lone); !slices.Equal(got, want) {
			t.Errorf("%s: unanswered %q, want %q as one Docent finds", name, got, want)
		}
	}
}

// TestReplicasStoreAtOnce: two replicas store in one conversation at the
// same time, one the questions and the other the replies, so that their
// transactions conflict and PostgreSQL runs some again: the threads they
// keep are those one Docent keeps when given the same records in the
// order they were stored.
func TestReplicasStoreAtOnce(t *testing.T) {
	url := pgtest.URL(t)
	a, b := New(), New()
	stA, stB := openReplica(t, a, url), openReplica(t, b, url)
	const n = 30
	var wg sync.WaitGroup
	for _, side := range []struct {
		st   *store.Store
		make func(i int) store.Record
	}{
		{stA, func(i int) store.Record {
			who := []chat.Member{alice, dave}[i%2]
			return msg(0, who, fmt.Sprintf("how do I configure the module number %d?", i))
		}},
		{stB, func(i int) store.Record {
			who, to := []chat.Member{bob, carol}[i%2], []string{"alice", "dave"}[i%2]
			return msg(0, who, fmt.Sprintf("%s: set option %d in local.cfg", to, i))
		}},
	} {
		wg.Go(func() {
			for i := range n {
				rec := side.make(i)
				rec.Time = t0.Add(time.Duration(i) * time.Second)
				if _, _, err := side.st.ImportNew(context.Background(), []store.Record{rec}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	stored, err := stA.Conversation(context.Background(), irc, 0)
	if err != nil || len(stored) != 2*n {
		t.Fatalf("%d records stored, %v; want %d", len(stored), err, 2*n)
	}
	lone := New()
	loneStore := open(t, lone, filepath.Join(t.TempDir(), "docent.db"))
	for _, rec := range slices.Backward(stored) { // in the order they were stored
		rec.ID = 0
		add(t, loneStore, rec)
	}
	want := texts(t, lone)
	if len(want) == 0 {
		t.Fatal("one Docent found no threads: the test proves nothing")
	}
	if got := texts(t, a); !slices.Equal(got, want) {
		t.Errorf("the replicas kept threads\n%q\nwant, as one Docent keeps them,\n%q", got, want)
	}
	if got, want := unanswered(t, a), unanswered(t, lone); !slices.Equal(got, want) {
		t.Errorf("the replicas kept unanswered %q, want %q", got, want)
	}
}

// BenchmarkRecorderStores stores one message at a time (a batch of
// $DOCENT_BENCH_BATCH in one transaction), in 20 conversations in turn,
// through the threads recorder: on a bbolt file;
// on PostgreSQL for one Docent; on PostgreSQL as a replica alone, whose
// recorder reads the newest record of the conversation before each batch
// (Batches.catchUp) and finds it saw it; and as two replicas storing in
// turn, each of which finds the other stored the last record and primes
// the conversation again every time (the worst case).
func BenchmarkRecorderStores(b *testing.B) {
	perBatch := 1
	if n, err := strconv.Atoi(os.Getenv("DOCENT_BENCH_BATCH")); err == nil && n > 0 {
		perBatch = n
	}
	for _, backend := range []string{"bbolt", "postgres", "postgres-replica", "postgres-2-replicas"} {
		b.Run(backend, func(b *testing.B) {
			var stores []*store.Store
			replicas := 1
			if backend == "postgres-2-replicas" {
				replicas = 2
			}
			url := ""
			for range replicas {
				mod := New()
				opts := store.Options{Recorders: mod.Recorders(module.RecordEnv{Prefix: "!"}), Parts: mod.MemberParts(),
					Schemas: []store.Owner{{Name: mod.Name(), Schema: mod.Schema()}}}
				var st *store.Store
				var err error
				switch backend {
				case "bbolt":
					st, err = store.Open(filepath.Join(b.TempDir(), "docent.db"), opts)
				default:
					if url == "" {
						url = pgtest.URL(b)
					}
					opts.Replica = backend != "postgres"
					st, err = store.OpenPostgres(context.Background(), url, opts)
				}
				if err != nil {
					b.Fatal(err)
				}
				defer st.Close()
				stores = append(stores, st)
			}
			people := []string{"alice", "bob", "carol", "dave"}
			i := 0
			for b.Loop() {
				batch := make([]store.Record, 0, perBatch)
				for range perBatch {
					rec := msg(i/20, bob, "how do I install dspace on ubuntu?")
					if i%3 != 0 {
						rec.Text = people[(i+1)%4] + ": run the installer from the release zip"
					}
					rec.Author.ID, rec.Author.Name = people[i%4], people[i%4]
					rec.Conversation.Channel = "#c" + string(rune('a'+i%20))
					batch = append(batch, rec)
					i++
				}
				if _, _, err := stores[(i/20)%len(stores)].ImportNew(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
