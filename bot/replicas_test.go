package bot

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docent-bot/docent/adapters/discord"
	"github.com/docent-bot/docent/adapters/discord/discordtest"
	"github.com/docent-bot/docent/adapters/web"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/internal/pgtest"
	"github.com/docent-bot/docent/store"
	"github.com/jackc/pgx/v5"
)

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
	shared := rateLimitFor(openReplica(b, pgtest.URL(b)), cfg, notAdmin, log) // before the clock starts
	b.Run("memory", func(b *testing.B) { run(b, RateLimit(cfg, notAdmin, log)) })
	b.Run("postgres", func(b *testing.B) { run(b, shared) })
}

// TestConfigShardID: shard_id is a number, from the environment too
// (${DOCENT_SHARD_ID}), or auto, which only replicas can claim.
func TestConfigShardID(t *testing.T) {
	for _, tc := range []struct {
		name, discord, store, env string
		want                      discord.Shard
		err                       string
	}{
		{name: "from the environment", discord: "    shard_id: ${DOCENT_SHARD_ID}\n    shard_count: 3\n", env: "2", want: 2},
		{name: "auto on replicas", discord: "    shard_id: auto\n    shard_count: 3\n",
			store: "  postgres:\n    url: postgres://db/docent\n    replicas: true\n", want: discord.AutoShard},
		{name: "auto alone", discord: "    shard_id: auto\n    shard_count: 3\n",
			err: "DIR/docent.yaml:9:15: adapters.discord.shard_id: auto claims a free shard among replicas: it needs store.postgres.replicas: true; a lone Docent writes its shard's number (or ${DOCENT_SHARD_ID})"},
		{name: "neither", discord: "    shard_id: first\n    shard_count: 3\n",
			err: `DIR/docent.yaml:9:15: adapters.discord.shard_id: must be a shard number (0 to shard_count-1) or auto, got "first"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "intents"), 0o755); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(dir, "intents", "test.yaml"), testIntents)
			path := filepath.Join(dir, "docent.yaml")
			write(t, path, "brain:\n  intents: [intents]\nstore:\n  path: docent.db\n"+tc.store+
				"adapters:\n  discord:\n    enabled: true\n    token: tok\n"+tc.discord)
			t.Setenv("DOCENT_SHARD_ID", tc.env)
			cfg, err := LoadConfig(path)
			if tc.err != "" {
				if err == nil {
					t.Fatal("LoadConfig: no error")
				}
				if got := strings.ReplaceAll(err.Error(), dir, "DIR"); got != tc.err {
					t.Errorf("error:\n%s\nwant:\n%s", got, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			if got := cfg.Adapters.Discord.ShardID; got != tc.want {
				t.Errorf("shard_id = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestDiscordShardsAcrossReplicas: replicas with shard_id auto each claim
// a shard of their own and identify with it on the gateway; a third, with
// every shard taken, waits, and takes the shard of one that stops.
func TestDiscordShardsAcrossReplicas(t *testing.T) {
	url := pgtest.URL(t)
	f := discordtest.New(t)
	cfg := discord.DefaultConfig()
	cfg.Enabled, cfg.Token, cfg.APIBase = true, "tok", f.URL
	cfg.ShardID, cfg.ShardCount = discord.AutoShard, 2
	log := slog.New(slog.DiscardHandler)
	type replica struct {
		a    *discord.Adapter
		stop func()
		done chan error
	}
	start := func() replica {
		st := openReplica(t, url)
		a, err := discord.New(cfg, discord.Options{Log: log, Shards: shardClaimer{st: st, log: log, every: 20 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		r := replica{a: a, stop: cancel, done: make(chan error, 1)}
		go func() { r.done <- a.Run(ctx, nopInbox{}) }()
		t.Cleanup(func() { cancel(); <-r.done })
		return r
	}
	identified := func() int {
		t.Helper()
		select {
		case id := <-f.Identify:
			s, ok := id["shard"].([]any)
			if !ok || len(s) != 2 || s[1] != float64(2) {
				t.Fatalf(`IDENTIFY "shard" = %v, want [N 2]`, id["shard"])
			}
			return int(s[0].(float64))
		case <-time.After(10 * time.Second):
			t.Fatal("no IDENTIFY within 10s")
		}
		return -1
	}
	a := start()
	first := identified()
	start()
	if second := identified(); first == second || first+second != 1 {
		t.Fatalf("two replicas identified with shards %d and %d, want 0 and 1", first, second)
	}
	standby := start() // both shards are taken
	select {
	case id := <-f.Identify:
		t.Fatalf("a third replica identified (%v) while both shards were served", id["shard"])
	case <-time.After(300 * time.Millisecond):
	}
	if !standby.a.Connected() {
		t.Error("a standby replica is not ready (Connected false): /readyz would take its web chat out of the load balancer")
	}
	a.stop()
	if err := <-a.done; err != nil {
		t.Errorf("the first replica's Run: %v", err)
	}
	a.done <- nil // for its cleanup
	if got := identified(); got != first {
		t.Errorf("the standby took shard %d, want %d, the one the stopped replica served", got, first)
	}

	// Every claim's connection is cut, as a network or a restarted server
	// cuts it: both replicas leave the gateway and claim again, each
	// identifying with a shard of its own.
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var cut int
	if err := conn.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND classid = $1 AND granted`, int64(0x646f6365)).Scan(&cut); err != nil || cut != 2 {
		t.Fatalf("cut %d claims' connections (%v), want 2", cut, err)
	}
	if x, y := identified(), identified(); x == y || x+y != 1 {
		t.Errorf("after their claims were lost, the replicas identified with shards %d and %d, want 0 and 1", x, y)
	}
}

// nopInbox takes messages and answers none.
type nopInbox struct{}

func (nopInbox) Deliver(context.Context, chat.Message, chat.Responder) error { return nil }

// TestWebChatAcrossReplicas: behind a load balancer without sticky
// sessions, a visitor's requests land on either replica: the message
// posted to one is answered on the page's stream served by the other, a
// vote is taken by the replica that did not send the answer, and a page
// that reconnects to the other replica resumes after the last event it
// saw.
func TestWebChatAcrossReplicas(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	var bases [2]string
	for i := range bases {
		cfg, err := LoadConfig(writeConfig(t, ""))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Bot.RateLimit = RateLimitConfig{}
		cfg.Store.Postgres.URL, cfg.Store.Postgres.Replicas = url, true
		b, err := Open(ctx, cfg, Options{Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { closeBot(t, b) })
		key, err := b.Store().Secret(ctx, "web visitors")
		if err != nil {
			t.Fatal(err)
		}
		w := web.New(web.Config{Enabled: true, Listen: "127.0.0.1:0"}, web.Options{Key: key, Relay: b.WebRelay(), RelayPoll: 50 * time.Millisecond})
		srv := httptest.NewServer(w.Handler(b.Inbox()))
		t.Cleanup(srv.Close)
		bases[i] = srv.URL
	}
	jar, _ := cookiejar.New(nil) // one browser: its cookie goes to both (same host)
	client := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	get := func(base, lastID string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", base+"/chat/events", nil)
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	post := func(base, path, body string) int {
		t.Helper()
		res, err := client.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	type answer struct {
		eventID string
		ID      string `json:"id"`
		HTML    string `json:"html"`
	}
	// next reads the stream's next answer event.
	next := func(sc *bufio.Scanner) answer {
		t.Helper()
		var a answer
		for sc.Scan() {
			line := sc.Text()
			if id, ok := strings.CutPrefix(line, "id: "); ok {
				a.eventID = id
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				if err := json.Unmarshal([]byte(data), &a); err != nil {
					t.Fatal(err)
				}
				return a
			}
		}
		t.Fatalf("the event stream ended: %v", sc.Err())
		return a
	}

	page, err := client.Get(bases[0] + "/")
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	onB := get(bases[1], "")
	if post(bases[0], "/chat/send", `{"text":"hello"}`) != http.StatusAccepted {
		t.Fatal("send to replica A refused")
	}
	hello := next(bufio.NewScanner(onB.Body))
	onB.Body.Close()
	if !strings.Contains(hello.HTML, "Hello visitor-") {
		t.Fatalf("replica B's stream showed %+v, want the greeting replica A gave", hello)
	}
	if code := post(bases[1], "/chat/feedback", `{"answer_id":"`+hello.ID+`","vote":1}`); code != http.StatusOK {
		t.Errorf("a vote to replica B on replica A's answer: %d, want 200", code)
	}
	if code := post(bases[1], "/chat/feedback", `{"answer_id":"w1-000000000000","vote":1}`); code != http.StatusNotFound {
		t.Errorf("a vote on an answer never sent: %d, want 404", code)
	}

	// The page reconnects, to replica A this time, after the greeting.
	onA := get(bases[0], hello.eventID)
	defer onA.Body.Close()
	if post(bases[1], "/chat/send", `{"text":"how do I install it"}`) != http.StatusAccepted {
		t.Fatal("send to replica B refused")
	}
	if got := next(bufio.NewScanner(onA.Body)); !strings.Contains(got.HTML, "https://example.org/docs") {
		t.Errorf("replica A's resumed stream showed %+v, want replica B's answer, and nothing before it", got)
	}
}

// BenchmarkWebRelay is what the web chat's relay costs on PostgreSQL: an
// answer's event kept (publish), and one page's poll for new ones (after):
// go test -run X -bench WebRelay ./bot/ with DOCENT_REQUIRE_POSTGRES=1.
func BenchmarkWebRelay(b *testing.B) {
	st := openReplica(b, pgtest.URL(b))
	r := &webRelay{db: st, log: slog.New(slog.DiscardHandler), now: time.Now}
	ctx := context.Background()
	data := []byte(`{"id":"w1-000000000000","html":"<p>See the install guide.</p>","source":"intent"}`)
	b.Run("publish", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			if _, err := r.Publish(ctx, fmt.Sprintf("%032x", i%200), fmt.Sprint("w", i), data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("after", func(b *testing.B) {
		start := r.Start()
		i := 0
		for b.Loop() {
			i++
			if _, err := r.After(ctx, fmt.Sprintf("%032x", i%200), start); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestForgetOnReplicasDeletesSharedRows: on replicas, what is kept about a
// member in the shared database for a while (a web visitor's relayed
// answers, their rate-limit bucket) is exported as counts and deleted
// with `!forget me`, and no one else's is touched.
func TestForgetOnReplicasDeletesSharedRows(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	cfg, err := LoadConfig(writeConfig(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store.Postgres.URL, cfg.Store.Postgres.Replicas = url, true
	b, err := Open(ctx, cfg, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeBot(t, b) })
	relay := b.WebRelay()
	for _, visitor := range []string{"v1", "v2"} {
		for _, answer := range []string{"a1", "a2"} {
			if _, err := relay.Publish(ctx, visitor, answer, []byte(`{"html":"an answer for `+visitor+`"}`)); err != nil {
				t.Fatal(err)
			}
		}
	}
	limits := rateLimitFor(b.Store(), RateLimitConfig{MemberPerMinute: 60, MemberBurst: 5, ChannelPerMinute: 60, ChannelBurst: 5},
		func(*Message) bool { return false }, nil)
	for _, id := range []string{"v1", "v2"} {
		m := &Message{Message: chat.Message{Conversation: chat.Conversation{Platform: web.Platform, Channel: id}, Author: chat.Member{ID: id}}}
		if ok, _ := limits(m); !ok {
			t.Fatalf("%s rate limited at its first message", id)
		}
	}
	rows := func() (v1, v2 int) {
		for _, k := range sharedKeys(t, b) {
			switch {
			case strings.Contains(k, "v1"):
				v1++
			case strings.Contains(k, "v2"):
				v2++
			}
		}
		return v1, v2
	}
	if v1, v2 := rows(); v1 != 6 || v2 != 6 {
		t.Fatalf("rows kept: v1 %d, v2 %d; want 6 each (2 events, 2 answers, 2 rate-limit buckets)", v1, v2)
	}
	data, err := b.Store().ExportMember(ctx, store.MemberRef{Platform: web.Platform, ID: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := data.Parts["replicas_shared"].(map[string]int); !ok || got["web_answers_relayed"] != 4 || got["rate_limit_buckets"] != 2 {
		t.Errorf("export: %v", data.Parts["replicas_shared"])
	}
	gone, err := b.Store().ForgetMember(ctx, store.MemberRef{Platform: web.Platform, ID: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	if gone.Parts["replicas_shared"] != 6 {
		t.Errorf("forget counted %d shared rows, want 6", gone.Parts["replicas_shared"])
	}
	if v1, v2 := rows(); v1 != 0 || v2 != 6 {
		t.Errorf("after forgetting v1: v1 %d rows, v2 %d; want 0 and 6", v1, v2)
	}
}

// TestTidySharedRows: the replica that leads "pending" deletes the shared
// rows that served their time: relayed answers older than an hour (their
// IDs after a day), rate-limit buckets refilled since; newer ones stay.
func TestTidySharedRows(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	cfg, err := LoadConfig(writeConfig(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store.Postgres.URL, cfg.Store.Postgres.Replicas = url, true
	cfg.Bot.RateLimit = RateLimitConfig{MemberPerMinute: 1, MemberBurst: 1, ChannelPerMinute: 1, ChannelBurst: 1}
	b, err := Open(ctx, cfg, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeBot(t, b) })
	now := time.Now()
	for _, c := range []struct {
		visitor string
		at      time.Time
	}{{"old", now.Add(-2 * time.Hour)}, {"ancient", now.Add(-25 * time.Hour)}, {"new", now.Add(-time.Minute)}} {
		r := &webRelay{db: b.Store(), log: b.log, now: func() time.Time { return c.at }}
		if _, err := r.Publish(ctx, c.visitor, "a1", []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	st := newStoredLimits(cfg.Bot.RateLimit, b.Store(), nil)
	st.take("web:refilled", "web:refilled", now.Add(-10*time.Minute))
	st.take("web:recent", "web:recent", now)
	b.tidyShared(now)
	var keys []string
	for _, k := range sharedKeys(t, b) {
		keys = append(keys, k[:min(len(k), 14)])
	}
	if len(keys) != 5 || keys[0] != "a/new/a1" || keys[1] != "a/old/a1" || !strings.HasPrefix(keys[2], "e/new/") ||
		keys[3] != "c/web:recent" || keys[4] != "m/web:recent" {
		t.Errorf("rows left after tidying: %q; want the new visitor's event and answer, the old one's answer ID (kept a day), the recent rate-limit buckets", keys)
	}
}

// sharedKeys are the keys of what replicas keep for a while in the shared
// database: the web relay's, then the rate limits'.
func sharedKeys(t *testing.T, b *Bot) []string {
	t.Helper()
	var keys []string
	err := b.Store().View(context.Background(), func(tx *store.Tx) error {
		for _, bucket := range []store.Bucket{bucketWebRelay, bucketRateLimit} {
			if err := tx.Scan(bucket, nil, func(k, _ []byte) error {
				keys = append(keys, string(k))
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
