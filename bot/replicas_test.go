package bot

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/internal/pgtest"
	"github.com/docent-bot/docent/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// openReplica opens the PostgreSQL database at url as one of its replicas.
func openReplica(t testing.TB, url string) *store.Store {
	t.Helper()
	st, err := store.OpenPostgres(context.Background(), url, store.Options{Replica: true, LockTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestRateLimitAcrossReplicas: a member whose messages land on two
// replicas in turn gets the configured burst in all, not on each; so
// does a channel written in by many members; a lone Docent beside them
// keeps its buckets in memory.
func TestRateLimitAcrossReplicas(t *testing.T) {
	url := pgtest.URL(t)
	cfg := RateLimitConfig{MemberPerMinute: 1, MemberBurst: 3, ChannelPerMinute: 1, ChannelBurst: 5}
	log := slog.New(slog.DiscardHandler)
	notAdmin := func(*Message) bool { return false }
	admit := []Admission{
		rateLimitFor(openReplica(t, url), cfg, notAdmin, log),
		rateLimitFor(openReplica(t, url), cfg, notAdmin, log),
	}
	ask := func(i int, c chat.Conversation, m chat.Member) (bool, string) {
		return admit[i%2](&Message{Message: chat.Message{Conversation: c, Author: m, Text: "hello", Time: time.Now()}})
	}
	var got []string
	for i := range 8 {
		ok, notice := ask(i, convA, alice)
		got = append(got, fmt.Sprint(ok, " ", notice))
		switch {
		case i < 3 && !ok:
			t.Errorf("message %d, within the member's burst of 3 (replica %d): refused (%q)", i, i%2, notice)
		case i == 3 && (ok || !strings.Contains(notice, "you are sending messages faster")):
			t.Errorf("message %d, past the burst over both replicas: %v %q, want the member's notice", i, ok, notice)
		case i > 3 && (ok || notice != ""):
			t.Errorf("message %d, after the notice: %v %q, want silence", i, ok, notice)
		}
	}
	if t.Failed() {
		t.Logf("admissions: %q", got)
	}
	// The channel's burst of 5, over both replicas, by members each well
	// within their own.
	busy := chat.Conversation{Platform: "test", Channel: "busy"}
	admitted := 0
	for i := range 10 {
		if ok, _ := ask(i, busy, chat.Member{ID: fmt.Sprint("m", i)}); ok {
			admitted++
		}
	}
	if admitted != 5 {
		t.Errorf("%d of 10 members' messages to one channel over two replicas admitted, want the channel's burst, 5", admitted)
	}
	// At once on both: their transactions conflict, and PostgreSQL runs
	// the loser again, which then sees the winner's token gone.
	bob := chat.Member{ID: "u2", Name: "bob"}
	var wg sync.WaitGroup
	var at atomic.Int32
	for i := range 16 {
		wg.Go(func() {
			if ok, _ := ask(i, convB, bob); ok {
				at.Add(1)
			}
		})
	}
	wg.Wait()
	if at.Load() != 3 {
		t.Errorf("%d of 16 concurrent messages on two replicas admitted, want the member's burst, 3", at.Load())
	}
}

// BenchmarkSharedRateLimit is what the shared rate limits cost a message
// on PostgreSQL (one write transaction), beside the in-memory ones: go
// test -run X -bench SharedRateLimit ./bot/ with DOCENT_REQUIRE_POSTGRES=1.
func BenchmarkSharedRateLimit(b *testing.B) {
	cfg := RateLimitConfig{MemberPerMinute: 1e9, MemberBurst: 1 << 20, ChannelPerMinute: 1e9, ChannelBurst: 1 << 20}
	log := slog.New(slog.DiscardHandler)
	notAdmin := func(*Message) bool { return false }
	run := func(b *testing.B, admit Admission) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				i++
				m := &Message{Message: chat.Message{Conversation: chat.Conversation{Platform: "test", Channel: fmt.Sprint("c", i%20)},
					Author: chat.Member{ID: fmt.Sprint("m", i%500)}, Text: "hello"}}
				if ok, notice := admit(m); !ok {
					b.Fatalf("refused: %q", notice)
				}
			}
		})
	}
	b.Run("memory", func(b *testing.B) { run(b, RateLimit(cfg, notAdmin, log)) })
	b.Run("postgres", func(b *testing.B) { run(b, rateLimitFor(openReplica(b, pgtest.URL(b)), cfg, notAdmin, log)) })
}
