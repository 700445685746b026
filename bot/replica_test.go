package bot

import (
	"context"
	"hash/fnv"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// writePostgresConfig is writeConfig keeping the history in the
// PostgreSQL database at url, as one of its replicas or alone; each call
// has a folder of its own (its control socket, its caches), as each
// replica has its machine.
func writePostgresConfig(t *testing.T, url string, replica bool, extra string) string {
	t.Helper()
	path := writeConfig(t, extra)
	pg := "store:\n  path: docent.db\n  postgres:\n    url: " + url + "\n"
	if replica {
		pg += "    replicas: true\n"
	}
	cfg := strings.Replace(mustRead(t, path), "store:\n  path: docent.db\n", pg, 1)
	if cfg == mustRead(t, path) {
		t.Fatal("the test config has no store section")
	}
	write(t, path, cfg)
	return path
}

// openBotWith opens the config at path with the extra modules.
func openBotWith(t *testing.T, path string, mods ...module.Module) *Bot {
	t.Helper()
	return openBotLogging(t, path, nil, mods...)
}

// openBotLogging is openBotWith logging to logs (nowhere when nil).
func openBotLogging(t *testing.T, path string, logs *syncBuffer, mods ...module.Module) *Bot {
	t.Helper()
	var news []func() module.Module
	for _, m := range mods {
		news = append(news, func() module.Module { return m })
	}
	cfg, err := LoadConfig(path, WithModules(news...))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Bot.RateLimit = RateLimitConfig{}
	opts := Options{Version: "test"}
	if logs != nil {
		opts.Log = slog.New(slog.NewTextHandler(logs, nil))
	}
	b, err := Open(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runReplica runs b with the idle adapter, its ops listener on a free
// port. done is closed when Run returns; stop ends Run (if it still runs)
// and closes b, returning Run's error. The test's end stops it too.
func runReplica(t *testing.T, b *Bot) (stop func() error, done <-chan struct{}) {
	t.Helper()
	b.cfg.Ops.Listen = freeOpsPort
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	var runErr error
	go func() {
		defer close(ran)
		runErr = b.Run(ctx, idle{})
	}()
	var once sync.Once
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case <-ran:
			case <-time.After(10 * time.Second):
				t.Error("Run did not return within 10s of cancel")
			}
			if err := b.Close(); err != nil {
				t.Error(err)
			}
		})
		return runErr
	}
	t.Cleanup(func() { stop() })
	return stop, ran
}

// looper is a module whose background loop says when it starts and stops.
type looper struct {
	started, stopped chan struct{}
}

func newLooper() *looper {
	return &looper{started: make(chan struct{}, 10), stopped: make(chan struct{}, 10)}
}

func (*looper) Name() string { return "looper" }

func (l *looper) Run(ctx context.Context, _ module.RunEnv) error {
	l.started <- struct{}{}
	<-ctx.Done()
	l.stopped <- struct{}{}
	return nil
}

// signalled waits up to d for ch.
func signalled(ch <-chan struct{}, d time.Duration) bool {
	select {
	case <-ch:
		return true
	case <-time.After(d):
		return false
	}
}

// terminate cuts the connections to the database at url that hold the
// advisory locks whose key's high 32 bits are classid (and, when objid is
// not negative, whose low ones are objid), as a network cut or a
// restarted server would; it returns how many.
func terminate(t *testing.T, url string, classid, objid int64) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND classid::bigint = $1 AND ($2 < 0 OR objid::bigint = $2) AND granted`, classid, objid).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReplicasRunModuleLoopsOnce: of two replicas on one database, one
// runs a module's background loop and the other stands by (ready all the
// same); when the one that runs it stops, or loses its lead with its
// connection, the other takes the loop over.
func TestReplicasRunModuleLoopsOnce(t *testing.T) {
	url := pgtest.URL(t)
	la, lb := newLooper(), newLooper()
	a := openBotWith(t, writePostgresConfig(t, url, true, ""), la)
	b := openBotWith(t, writePostgresConfig(t, url, true, ""), lb)
	stopA, _ := runReplica(t, a)
	if !signalled(la.started, 10*time.Second) {
		t.Fatal("the first replica did not start the loop")
	}
	stopB, _ := runReplica(t, b)
	if signalled(lb.started, 3*time.Second) {
		t.Fatal("the second replica runs the loop too")
	}
	for _, c := range b.moduleChecks() {
		if c.Name == "module looper" && (!c.OK || !strings.Contains(c.Detail, "another replica")) {
			t.Errorf("the standing-by replica's check: %+v", c)
		}
	}

	// The first replica's lead goes with its connection: the second
	// takes over, and the first stands by. Only the loop's lead is cut:
	// a replica holds others ("pending", the takeover of replicas gone).
	h := fnv.New32a()
	h.Write([]byte("module looper"))
	if n := terminate(t, url, 0x646f6365, int64(h.Sum32())); n != 1 {
		t.Fatalf("cut %d connections holding the loop's lead, want 1", n)
	}
	if !signalled(la.stopped, 10*time.Second) {
		t.Fatal("the replica that lost its lead still runs the loop")
	}
	if !signalled(lb.started, 10*time.Second) {
		t.Fatal("the second replica did not take the loop over")
	}
	if signalled(la.started, 2*time.Second) {
		t.Fatal("both replicas run the loop after the lead moved")
	}

	// The second stops: the first takes over again.
	if err := stopB(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !signalled(la.started, 10*time.Second) {
		t.Fatal("the first replica did not take the loop over when the second stopped")
	}
	if err := stopA(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestRunStopsWhenTheLockIsLost: when the connection that holds the
// store's lock on the PostgreSQL database drops, Run returns an error
// saying so, for the supervisor to restart Docent.
func TestRunStopsWhenTheLockIsLost(t *testing.T) {
	url := pgtest.URL(t)
	b := openBotWith(t, writePostgresConfig(t, url, false, ""))
	stop, done := runReplica(t, b)
	time.Sleep(200 * time.Millisecond) // Run has started its adapters
	// storeLock: 0x646f63 in the high 32 bits, 0x656e7401 in the low.
	if n := terminate(t, url, 0x646f63, 0x656e7401); n != 1 {
		t.Fatalf("cut %d connections holding the store's lock, want 1", n)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run still runs 10s after the store's lock was lost")
	}
	if err := stop(); err == nil || !strings.Contains(err.Error(), "lost the lock on the database") {
		t.Errorf("Run returned %v, want the lost lock", err)
	}
}

// TestReplicasShareTheModel: a retrain on one replica (lessons taught in
// chat there) reaches the other within its poll interval, which loads the
// saved model and never trains; and two replicas that reload on the same
// change of their intents files train once between them.
func TestReplicasShareTheModel(t *testing.T) {
	url := pgtest.URL(t)
	// No watcher: the files change only when the test says.
	pathA := writePostgresConfig(t, url, true, "")
	pathB := writePostgresConfig(t, url, true, "")
	for _, p := range []string{pathA, pathB} {
		write(t, p, strings.Replace(mustRead(t, p), "  intents: [intents]\n", "  intents: [intents]\n  watch_interval: 0s\n", 1))
	}
	var logsA, logsB syncBuffer
	a := openBotLogging(t, pathA, &logsA)
	b := openBotLogging(t, pathB, &logsB)
	if !a.Prepared().Trained || b.Prepared().Trained {
		t.Fatalf("at open: the first replica trained %v, the second %v; want the second to load the first's model", a.Prepared().Trained, b.Prepared().Trained)
	}
	const poll = 300 * time.Millisecond
	b.modelPoll = poll
	runReplica(t, a)
	runReplica(t, b)

	console := chat.Conversation{Platform: "console", Channel: "local"}
	ask := func(bot *Bot, text string) chat.Answer {
		t.Helper()
		got := bottest.Ask(t, bot.Inbox(), console, alice, text)
		if len(got) != 1 {
			t.Fatalf("%q: %+v", text, got)
		}
		return got[0]
	}
	q := "how do I rotate the signing keys"
	if got := ask(b, q); got.Intent == "key_rotation" {
		t.Fatalf("the second replica knows key_rotation before it was taught: %+v", got)
	}
	ask(a, "!teach new key_rotation Rotate them with `docent keys rotate`.")
	ask(a, "!teach key_rotation "+q)
	taught := time.Now()
	if got := ask(a, q); got.Intent != "key_rotation" {
		t.Fatalf("the replica taught does not answer: %+v", got)
	}
	for {
		if _, has := hasPattern(b, "key_rotation", q); has {
			break
		}
		if time.Since(taught) > 10*poll {
			t.Fatalf("the second replica did not load the retrained model within %v", 10*poll)
		}
		time.Sleep(poll / 10)
	}
	t.Logf("the second replica answers the taught intent %v after the first retrained", time.Since(taught).Round(time.Millisecond))
	if got := ask(b, q); got.Intent != "key_rotation" || !strings.Contains(got.Text, "docent keys rotate") {
		t.Errorf("the second replica's answer: %+v", got)
	}
	if b.Prepared().Trained || strings.Contains(logsB.String(), "classifier trained") {
		t.Errorf("the second replica trained:\n%s", logsB.String())
	}

	// The same change on both machines: both reload at once; one trains.
	before := strings.Count(logsA.String()+logsB.String(), "classifier trained")
	for _, p := range []string{pathA, pathB} {
		write(t, filepath.Join(filepath.Dir(p), "intents", "test.yaml"), testIntents+thanksIntent)
	}
	var wg sync.WaitGroup
	for _, bot := range []*Bot{a, b} {
		wg.Go(func() {
			if _, err := bot.Reload(context.Background()); err != nil {
				t.Errorf("Reload: %v", err)
			}
		})
	}
	wg.Wait()
	if n := strings.Count(logsA.String()+logsB.String(), "classifier trained") - before; n != 1 {
		t.Errorf("two replicas reloading the same change trained %d times, want once", n)
	}
	for _, bot := range []*Bot{a, b} {
		if got := ask(bot, "thank you so much"); got.Intent != "thanks" {
			t.Errorf("after the reload: %+v", got)
		}
	}
}
