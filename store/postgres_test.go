package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docent-bot/docent/internal/pgtest"
	"github.com/docent-bot/docent/store"
)

// postgresOnly skips t on the bbolt pass: it tests what only the store on
// PostgreSQL does.
func postgresOnly(t testing.TB) {
	t.Helper()
	if !store.OnPostgresPass {
		t.Skip("PostgreSQL only: runs on the second pass")
	}
}

// openPostgres opens the store in the PostgreSQL database at url and
// closes it when the test ends.
func openPostgres(t testing.TB, url string, opts store.Options) *store.Store {
	t.Helper()
	s, err := store.OpenPostgres(context.Background(), url, opts)
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// TestPostgresStoreReopens: what a store on PostgreSQL keeps is there
// when it is opened again, as with a file, and it says where it is
// without the password.
func TestPostgresStoreReopens(t *testing.T) {
	postgresOnly(t)
	url := pgtest.URL(t)
	s := openPostgres(t, url, testOptions)
	c := conv("discord", "help", "")
	appendMessage(t, s, message(c, "how do I install it?", base))
	appendMessage(t, s, message(c, "thanks", base.Add(time.Second)))
	if !s.OnPostgres() {
		t.Error("OnPostgres() = false on PostgreSQL")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openPostgres(t, url, testOptions)
	recs, err := s.Conversation(context.Background(), c, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := texts(recs); len(got) != 2 || got[0] != "thanks" || got[1] != "how do I install it?" {
		t.Errorf("after reopening: %q", got)
	}
}

// TestPostgresOneDocentPerDatabase: a second store on the same database
// waits its LockTimeout and is refused with ErrLocked, saying why and
// what to do; once the first closes, it opens. (Two Docents on one
// database are not safe yet: see storeLock.)
func TestPostgresOneDocentPerDatabase(t *testing.T) {
	postgresOnly(t)
	url := pgtest.URL(t)
	first, err := store.OpenPostgres(context.Background(), url, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = store.OpenPostgres(context.Background(), url, store.Options{LockTimeout: 300 * time.Millisecond})
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second OpenPostgres: %v, want ErrLocked", err)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("refused after %s, before its LockTimeout", took)
	}
	for _, want := range []string{"in use by another Docent", "store.postgres.url"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	openPostgres(t, url, testOptions)
}

// TestPostgresRefusesFileOperations: check, backup and a size cap are a
// bbolt file's; on PostgreSQL each says so and names what to use.
func TestPostgresRefusesFileOperations(t *testing.T) {
	postgresOnly(t)
	url := pgtest.URL(t)
	s := openPostgres(t, url, testOptions)
	err := s.Check()
	if !errors.Is(err, store.ErrBoltOnly) || !strings.Contains(err.Error(), "docent check") || !strings.Contains(err.Error(), "amcheck") {
		t.Errorf("Check: %v; want ErrBoltOnly naming docent check and amcheck", err)
	}
	var buf bytes.Buffer
	_, err = s.Backup(context.Background(), &buf)
	if !errors.Is(err, store.ErrBoltOnly) || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("Backup: %v; want ErrBoltOnly naming pg_dump", err)
	}
	_, err = store.OpenPostgres(context.Background(), pgtest.URL(t), store.Options{MaxSize: 1 << 20})
	if !errors.Is(err, store.ErrBoltOnly) || !strings.Contains(err.Error(), "store.max_size_mb") {
		t.Errorf("OpenPostgres with MaxSize: %v; want ErrBoltOnly naming store.max_size_mb", err)
	}
}

// seen is a recorder that notes every record ID it is given, to find one
// given twice (a transaction run again) or out of order.
type seen struct {
	mu   sync.Mutex
	ids  []uint64
	dups int
}

func (*seen) Key() string { return "seen" }

func (r *seen) Record(_ *store.Tx, recs []store.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range recs {
		if n := len(r.ids); n > 0 && rec.ID <= r.ids[n-1] {
			r.dups++
		}
		r.ids = append(r.ids, rec.ID)
	}
	return nil
}

// TestPostgresOneProcessFeedsRecordersOnce: in one process the store is
// PostgreSQL's only writer, so no write transaction is ever run again for
// a serialization conflict, even under concurrent appends and reads: a
// recorder is given every record once, in order.
func TestPostgresOneProcessFeedsRecordersOnce(t *testing.T) {
	postgresOnly(t)
	r := &seen{}
	opts := testOptions
	opts.Recorders = []store.Recorder{r}
	s := openPostgres(t, pgtest.URL(t), opts)
	ctx := context.Background()
	const writers, each = 16, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			c := conv("discord", "help", string(rune('a'+w)))
			for i := range each {
				m := message(c, "hello", base.Add(time.Duration(i)*time.Second))
				m.ID = fmt.Sprint("p-", w, "-", i) // each message has its own platform ID
				if _, err := s.AppendMessage(ctx, m); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Conversation(ctx, c, 5); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ids) != writers*each || r.dups > 0 {
		t.Errorf("recorder given %d records (%d again or out of order), want %d once each", len(r.ids), r.dups, writers*each)
	}
	for i, id := range r.ids {
		if id != uint64(i+1) {
			t.Fatalf("record %d has ID %d: IDs given %v…", i, id, r.ids[:i+1])
		}
	}
}

// TestPostgresReplicasShareTheDatabase: replicas open one database
// together and see each other's records; a lone Docent is refused while
// they are open (and they while it is), each error saying what to set.
func TestPostgresReplicasShareTheDatabase(t *testing.T) {
	postgresOnly(t)
	url := pgtest.URL(t)
	a, b := twoReplicas(t, url)
	if !a.Replica() || !b.Replica() {
		t.Error("Replica() = false on a replica")
	}
	c := conv("slack", "help", "")
	appendMessage(t, a, message(c, "from replica a", base))
	appendMessage(t, b, message(c, "from replica b", base.Add(time.Second)))
	for _, s := range []*store.Store{a, b} {
		recs, err := s.Conversation(context.Background(), c, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := texts(recs); len(got) != 2 || got[0] != "from replica b" || got[1] != "from replica a" {
			t.Errorf("a replica reads %q", got)
		}
	}
	_, err := store.OpenPostgres(context.Background(), url, store.Options{LockTimeout: 100 * time.Millisecond})
	if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), "store.postgres.replicas") {
		t.Fatalf("a lone Docent beside replicas: %v; want ErrLocked naming store.postgres.replicas", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	lone := openPostgres(t, url, testOptions)
	_, err = store.OpenPostgres(context.Background(), url, store.Options{LockTimeout: 100 * time.Millisecond, Replica: true})
	if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), "not a replica") {
		t.Fatalf("a replica beside a lone Docent: %v; want ErrLocked saying the other is not a replica", err)
	}
	lone.Close()
}

// TestPostgresLeadMovesWhenItsHolderGoes: one replica leads at a time;
// the other waits, and leads once the first releases the lead or its
// connection drops (Lost is then closed on the first). A replica that is
// not asked to lead never waits.
func TestPostgresLeadMovesWhenItsHolderGoes(t *testing.T) {
	postgresOnly(t)
	url := pgtest.URL(t)
	a, b := twoReplicas(t, url)
	ctx := context.Background()
	lead, err := a.Lead(ctx, "retention")
	if err != nil {
		t.Fatal(err)
	}
	other, err := b.Lead(ctx, "digests") // another lead: free
	if err != nil {
		t.Fatal(err)
	}
	other.Release()

	waitCtx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	_, err = b.Lead(waitCtx, "retention")
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Lead while the first holds it: %v; want it to wait until its context ends", err)
	}

	got := make(chan *store.Leadership, 1)
	go func() {
		l, err := b.Lead(ctx, "retention")
		if err != nil {
			t.Error(err)
		}
		got <- l
	}()
	// The first replica's lead connection is cut, as a network or a
	// restarted server cuts it.
	if err := store.TerminateLeads(ctx, url); err != nil {
		t.Fatal(err)
	}
	select {
	case <-lead.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("Lost not closed after the lead's connection was cut")
	}
	select {
	case l := <-got:
		l.Release()
	case <-time.After(10 * time.Second):
		t.Fatal("the second replica did not lead after the first lost the lead")
	}
	lead.Release()
}

// TestPostgresReplicasStartTogether: replicas started at the same moment
// on a new database (compose starts all three at once) all open it: the
// tables, the schemas and the modules' migrations are made once, by
// whichever comes first, and the others find them done.
func TestPostgresReplicasStartTogether(t *testing.T) {
	postgresOnly(t)
	url := pgtest.URL(t)
	opts := testOptions
	opts.Replica = true
	opts.Schemas = []store.Owner{{Name: "mod", Schema: store.Schema{Version: 2, Migrations: []store.Migration{
		{From: 0, To: 1}, {From: 1, To: 2, Run: func(tx *store.Tx) error { return nil }},
	}}}}
	const n = 4
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		errs   []error
		stores []*store.Store
	)
	for range n {
		wg.Go(func() {
			s, err := store.OpenPostgres(context.Background(), url, opts)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			stores = append(stores, s)
		})
	}
	wg.Wait()
	for _, s := range stores {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}
	for _, err := range errs {
		t.Errorf("a replica starting with the others: %v", err)
	}
}

// TestPostgresTryLead: TryLead never waits: it says at once that another
// replica leads, and leads once that one lets go.
func TestPostgresTryLead(t *testing.T) {
	postgresOnly(t)
	url := pgtest.URL(t)
	a, b := twoReplicas(t, url)
	ctx := context.Background()
	lead, err := a.TryLead(ctx, "discord-shard-0")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := b.TryLead(ctx, "discord-shard-0"); !errors.Is(err, store.ErrLeadHeld) || !strings.Contains(err.Error(), "discord-shard-0") {
		t.Fatalf("TryLead of a lead another holds: %v; want ErrLeadHeld naming it", err)
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("TryLead took %s to say the lead is held; want no wait", took)
	}
	other, err := b.TryLead(ctx, "discord-shard-1")
	if err != nil {
		t.Fatalf("TryLead of a free lead: %v", err)
	}
	other.Release()
	lead.Release()
	// Release unlocks before it closes the connection: the lead is free
	// at once.
	again, err := b.TryLead(ctx, "discord-shard-0")
	if err != nil {
		t.Fatalf("TryLead once its holder let go: %v", err)
	}
	again.Release()
}

// TestPostgresReplicaRefusedLetsGo: a replica whose open is refused (a
// module's records newer than its code) lets go of every lock it took,
// and their connections.
func TestPostgresReplicaRefusedLetsGo(t *testing.T) {
	postgresOnly(t)
	url := pgtest.URL(t)
	ctx := context.Background()
	opts := testOptions
	opts.Replica = true
	opts.Schemas = []store.Owner{{Name: "x", Schema: store.Schema{Version: 2, Migrations: []store.Migration{{From: 0, To: 2}}}}}
	s, err := store.OpenPostgres(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	opts.Schemas = []store.Owner{{Name: "x", Schema: store.Schema{Version: 1, Migrations: []store.Migration{{From: 0, To: 1}}}}}
	for range 3 {
		if _, err := store.OpenPostgres(ctx, url, opts); err == nil || !strings.Contains(err.Error(), "newer") {
			t.Fatalf("open with older module code: %v; want it refused as newer", err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := store.AdvisoryLocks(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d advisory locks still held after three refused opens", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// twoReplicas opens the PostgreSQL database at url as two replicas,
// closed when the test ends.
func twoReplicas(t *testing.T, url string) (a, b *store.Store) {
	t.Helper()
	replica := testOptions
	replica.Replica = true
	return openPostgres(t, url, replica), openPostgres(t, url, replica)
}
