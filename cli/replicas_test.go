package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/adapters/slack/slacktest"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/internal/pgtest"
	"github.com/docent-bot/docent/store"
)

// replicaWorkdir is a workdir whose config runs Docent as a replica on
// PostgreSQL (${DOCENT_DATABASE_URL}) with Slack in Socket Mode on api,
// and nothing else: no console, no web chat, no working reaction.
func replicaWorkdir(t *testing.T, api string) string {
	t.Helper()
	dir := postgresWorkdir(t)
	config := filepath.Join(dir, "config.example.yaml")
	b, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, r := range [][2]string{
		{"    url: ${DOCENT_DATABASE_URL}\n", "    url: ${DOCENT_DATABASE_URL}\n    replicas: true\n"},
		{"  console:\n    enabled: true", "  console:\n    enabled: false"},
		{"  web:\n    enabled: true", "  web:\n    enabled: false"},
		{"  slack:\n    enabled: false", "  slack:\n    enabled: true\n    api_url: " + api},
		{"    working_reaction: eyes", `    working_reaction: ""`},
	} {
		if !strings.Contains(s, r[0]) {
			t.Fatalf("config.example.yaml has no %q", r[0])
		}
		s = strings.Replace(s, r[0], r[1], 1)
	}
	if err := os.WriteFile(config, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// replica is one `docent run` of the test.
type replica struct {
	cmd    *exec.Cmd
	log    string // its stderr's file
	exited chan error
}

func startReplica(t *testing.T, dir, url string) *replica {
	t.Helper()
	r := &replica{cmd: exec.Command(binary, "run"), log: filepath.Join(dir, "docent.log"), exited: make(chan error, 1)}
	r.cmd.Dir = dir
	r.cmd.Env = append(os.Environ(), "DOCENT_CONFIG=", "DOCENT_OPS_LISTEN=127.0.0.1:0", "DOCENT_DATABASE_URL="+url,
		"SLACK_BOT_TOKEN="+slacktest.BotToken, "SLACK_APP_TOKEN="+slacktest.AppToken)
	f, err := os.Create(r.log)
	if err != nil {
		t.Fatal(err)
	}
	r.cmd.Stdout, r.cmd.Stderr = f, f
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close() // the child has its own
	go func() { r.exited <- r.cmd.Wait() }()
	t.Cleanup(func() {
		r.cmd.Process.Kill()
		<-r.exited
	})
	return r
}

// logged returns the replica's log so far.
func (r *replica) logged() string {
	b, _ := os.ReadFile(r.log)
	return string(b)
}

// stop stops a replica as a supervisor does (SIGTERM), waiting for it.
func (r *replica) stop(t *testing.T) {
	t.Helper()
	r.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-r.exited:
		r.exited <- err // for the cleanup
		if err != nil {
			t.Errorf("a replica stopped with %v:\n%s", err, r.logged())
		}
	case <-time.After(60 * time.Second):
		t.Errorf("a replica did not stop within 60 s:\n%s", r.logged())
	}
}

// TestReplicasAnswerEveryEventOnce is issue 18's test of replicas: three
// `docent run` on one PostgreSQL database (store.postgres.replicas), each
// with its own Socket Mode connection to the fake Slack, which spreads
// 1,000 mentions over them and sends an envelope not acknowledged within
// a second again to another connection, as Slack does. One replica is
// killed with SIGKILL mid-run. Every event must be answered exactly once
// (one chat.postMessage in its thread) and stored exactly once, with no
// message left pending. Then follow-ups without a mention in 100 of the
// threads, most reaching a replica that did not answer there: each
// answered once too.
func TestReplicasAnswerEveryEventOnce(t *testing.T) {
	const (
		events      = 1000
		replicas    = 3
		channels    = 50 // the channel rate limit (40 at once) holds for 20 each
		resendAfter = time.Second
		burst       = 30
		killAt      = 13*burst + burst - 1 // the end of the burst past event 400
		followUps   = 100                  // in the threads of the first events, after all are answered
	)
	url := pgtest.URL(t)
	f := slacktest.New(t)
	spread := f.Spread(t, resendAfter)
	start := time.Now()
	var rs []*replica
	for i := range replicas { // one after the other: the first trains the model, the others load it
		rs = append(rs, startReplica(t, replicaWorkdir(t, f.URL), url))
		deadline := time.Now().Add(60 * time.Second)
		for spread.Connections() < i+1 {
			select {
			case err := <-rs[i].exited:
				t.Fatalf("replica %d ended (%v):\n%s", i, err, rs[i].logged())
			case <-time.After(20 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica %d did not connect within 60 s:\n%s", i, rs[i].logged())
			}
		}
	}
	started := time.Since(start)

	key := func(i int) string { return fmt.Sprintf("C%02d/1700000000.%06d", i%channels, i) }
	answers := func() map[string]int {
		n := map[string]int{}
		for _, c := range f.Calls("chat.postMessage") {
			n[c.Get("channel")+"/"+c.Get("thread_ts")]++
		}
		return n
	}
	// pendingOn0 reports whether replica 0 acknowledged an event of the
	// last burst that has no answer yet.
	pendingOn0 := func() bool {
		got := answers()
		for _, id := range spread.AckedBy(0) {
			var i int
			fmt.Sscanf(id, "Ev%04d", &i)
			if i > killAt-burst && got[key(i)] == 0 {
				return true
			}
		}
		return false
	}
	run := time.Now()
	for i := range events {
		ts := fmt.Sprintf("1700000000.%06d", i)
		spread.Send(fmt.Sprintf("Ev%04d", i), map[string]any{"type": "app_mention", "user": fmt.Sprintf("U%04d", i),
			"text": "<@" + slacktest.BotUserID + "> hello", "ts": ts, "event_ts": ts, "channel": fmt.Sprintf("C%02d", i%channels)})
		if i == killAt {
			// The first replica, the one leading the takeover most likely,
			// just after a burst, once one of its events is stored (its
			// envelope acknowledged) and not yet answered, if that comes
			// within a second.
			for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Microsecond) {
				if pendingOn0() {
					break
				}
			}
			if err := rs[0].cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
		}
		if i%burst == burst-1 { // Slack's pace: bursts, 200 events a second
			time.Sleep(burst * 5 * time.Millisecond)
		}
	}

	// Wait until every event has its answer, then a while more for any
	// second one.
	deadline := time.Now().Add(90 * time.Second)
	for {
		got, missing := answers(), 0
		for i := range events {
			if got[key(i)] == 0 {
				missing++
			}
		}
		if missing == 0 && len(spread.Unacked()) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events unanswered, %d unacknowledged (%v…) after 90 s; logs:\n%s\n%s", missing, events,
				len(spread.Unacked()), spread.Unacked()[:min(5, len(spread.Unacked()))], tail(rs[1].logged()), tail(rs[2].logged()))
		}
		time.Sleep(50 * time.Millisecond)
	}
	took := time.Since(run)

	// Follow-ups in the threads of the first events, without a mention:
	// most reach a replica that did not answer the thread, which asks the
	// database whether Docent answered there.
	for i := range followUps {
		ts := fmt.Sprintf("1700000001.%06d", i)
		spread.Send(fmt.Sprintf("Ev%04d", events+i), map[string]any{"type": "message", "user": fmt.Sprintf("U%04d", i),
			"text": "and how do I contribute?", "ts": ts, "event_ts": ts, "thread_ts": fmt.Sprintf("1700000000.%06d", i),
			"channel": fmt.Sprintf("C%02d", i%channels)})
	}
	want := func(i int) int {
		if i < followUps {
			return 2
		}
		return 1
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got, missing := answers(), 0
		for i := range followUps {
			if got[key(i)] < 2 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d follow-ups unanswered after 30 s", missing, followUps)
		}
	}
	time.Sleep(3 * time.Second) // a second answer would come by now
	for _, r := range rs[1:] {
		r.stop(t)
	}

	got := answers()
	twice := 0
	for i := range events {
		if got[key(i)] != want(i) {
			twice++
			if twice <= 5 {
				t.Errorf("event %d (%s) and its follow-ups answered %d times, want %d", i, key(i), got[key(i)], want(i))
			}
		}
	}
	if total := len(f.Calls("chat.postMessage")); total != events+followUps {
		t.Errorf("%d posts for %d events and %d follow-ups, want one each", total, events, followUps)
	}

	// The database: every message once, none pending.
	ctx := context.Background()
	st, err := store.OpenPostgres(ctx, url, store.Options{LockTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	convs, err := st.Conversations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stored, answered, followed := map[string]int{}, 0, 0
	for _, c := range convs {
		recs, err := st.Conversation(ctx, c.Conversation, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs {
			if rec.Kind == store.KindMessage {
				stored[rec.Conversation.Channel+"/"+rec.PlatformID]++
				if rec.Conversation.Thread != rec.PlatformID {
					followed++
				}
			} else if rec.ReplyTo != 0 {
				answered++
			}
		}
	}
	for i := range events {
		if stored[key(i)] != 1 {
			t.Errorf("event %d (%s) stored %d times", i, key(i), stored[key(i)])
		}
		if got[key(i)] > want(i) {
			ch, ts, _ := strings.Cut(key(i), "/")
			recs, _ := st.Conversation(ctx, chat.Conversation{Platform: "slack", Channel: ch, Thread: ts}, 0)
			for _, rec := range recs {
				t.Logf("event %d's record %d: %s %q platform ID %q, reply to %d", i, rec.ID, rec.Kind, rec.Text, rec.PlatformID, rec.ReplyTo)
			}
			for _, c := range f.Calls("chat.postMessage") {
				if c.Get("channel") == ch && c.Get("thread_ts") == ts {
					t.Logf("event %d's post %s: %q", i, c.TS, c.Get("text"))
				}
			}
			for n, r := range rs {
				for _, line := range strings.Split(r.logged(), "\n") {
					if strings.Contains(line, ts) || strings.Contains(line, "level=ERROR") || strings.Contains(line, "level=WARN") {
						t.Logf("replica %d: %s", n, line)
					}
				}
			}
		}
	}
	if len(stored) != events+followUps || followed != followUps {
		t.Errorf("%d messages stored, %d of them follow-ups; want %d and %d", len(stored), followed, events+followUps, followUps)
	}
	if marks, err := st.Pending(ctx); err != nil || len(marks) != 0 {
		t.Errorf("%d messages left pending (%v)", len(marks), err)
	}

	stats := spread.Stats()
	takenOver, foundPosted := 0, 0
	for _, r := range rs {
		takenOver += strings.Count(r.logged(), "took over a message of a replica gone")
		foundPosted += strings.Count(r.logged(), "a replica gone had answered a message before it went")
	}
	var per []string
	for i, c := range stats.Conns {
		state := ""
		if c.Closed {
			state = ", closed"
		}
		per = append(per, fmt.Sprintf("connection %d: %d sent, %d acknowledged%s", i, c.Sent, c.Acked, state))
	}
	t.Logf("%d events and %d follow-ups over %d replicas (replica 0 killed after event %d): %d envelopes, %d resent; %s; "+
		"taken over: %d answered, %d found answered already; %d posts, %d answers stored; started in %s, 1000 events answered in %s",
		events, followUps, replicas, killAt, stats.Sent, stats.Resent, strings.Join(per, "; "), takenOver, foundPosted,
		len(f.Calls("chat.postMessage")), answered, started.Round(time.Millisecond), took.Round(time.Millisecond))
}

// tail is the end of a log, for a failure's message.
func tail(log string) string {
	if len(log) > 3000 {
		return "…" + log[len(log)-3000:]
	}
	return log
}
