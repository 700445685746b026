package budgets_test

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/budgets"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/internal/pgtest"
	"github.com/docent-bot/docent/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// openReplica opens the PostgreSQL database at url as one of its replicas.
func openReplica(t *testing.T, url string) *store.Store {
	t.Helper()
	s, err := store.OpenPostgres(context.Background(), url, store.Options{Replica: true, LockTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestHoldAcrossReplicas: two Docents on one PostgreSQL database hold
// requests concurrently for the same member; together they never get
// more than the limit, and settling counts each request once, with its
// tokens.
func TestHoldAcrossReplicas(t *testing.T) {
	url := pgtest.URL(t)
	a, b := openReplica(t, url), openReplica(t, url)
	ra, rb := budgets.NewRecords(a), budgets.NewRecords(b)
	ctx := context.Background()
	const day, limit = "2026-12-04", 5
	limits := []budgets.Limit{{Scope: "member:test:alice", Requests: limit}, {Scope: "all", Tokens: 100000}}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		held []*budgets.Reservation
		by   [2]atomic.Int32
	)
	for i := range 24 {
		r := []*budgets.Records{ra, rb}[i%2]
		wg.Go(func() {
			res, over, err := r.Hold(ctx, day, limits)
			if err != nil {
				t.Error(err)
				return
			}
			if over >= 0 {
				if over != 0 {
					t.Errorf("over scope %d, want 0 (the member's)", over)
				}
				return
			}
			by[i%2].Add(1)
			mu.Lock()
			held = append(held, res)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(held) != limit {
		t.Fatalf("%d of 24 concurrent holds on two replicas went through (a: %d, b: %d), want exactly %d",
			len(held), by[0].Load(), by[1].Load(), limit)
	}
	for i, res := range held {
		res.Tokens = 10
		db := []*store.Store{a, b}[i%2]
		if err := module.Settle(ctx, db, res); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []*budgets.Records{ra, rb} {
		used, err := r.On(ctx, day, "member:test:alice", "all")
		if err != nil {
			t.Fatal(err)
		}
		if want := (budgets.Usage{Requests: limit, Tokens: 10 * limit}); used[0] != want || used[1] != want {
			t.Errorf("usage after settling: %+v, want %+v in both scopes", used, want)
		}
		if _, over, _ := r.Hold(ctx, day, limits); over != 0 {
			t.Errorf("a hold after the limit was reached: over %d, want 0", over)
		}
	}
}
