package analytics_test

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/docent-bot/docent/bot/analytics"
	"github.com/docent-bot/docent/chat"
)

// The fixtures were written by the store when it kept the counters itself
// (commit 665c5b3, before they moved here), from writeScenario:
// counters.golden lists the "stats" bucket's keys and values in hex, with
// the meta mark of the newest record counted; counters-v1.db.gz is that
// database.

// dumpCounters lists what a closed database holds of the counters, in the
// format of counters.golden.
func dumpCounters(t *testing.T, path string) string {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var sb strings.Builder
	err = db.View(func(tx *bolt.Tx) error {
		fmt.Fprintf(&sb, "stats_counted %x\n", tx.Bucket([]byte("meta")).Get([]byte("stats_counted")))
		b := tx.Bucket([]byte("stats"))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			fmt.Fprintf(&sb, "%s %s\n", hex.EncodeToString(k), hex.EncodeToString(v))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

func golden(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "counters.golden"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCountersByteForByte: the module writes the same counters, byte for
// byte, under the same keys, as the store did for the same history.
func TestCountersByteForByte(t *testing.T) {
	path := filepath.Join(t.TempDir(), "docent.db")
	s := openStore(t, path)
	writeScenario(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := dumpCounters(t, path), golden(t); got != want {
		t.Errorf("counters differ from the store's:\n got:\n%s\nwant:\n%s", got, want)
	}
}

// oldDatabase is a copy of counters-v1.db, written by the store when the
// counters were its own.
func oldDatabase(t *testing.T) string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "counters-v1.db.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "docent.db")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCountersOfTheOldStore: a database whose counters the store wrote
// keeps them: opened with the module, nothing is counted twice, the
// reports read them, and new records add to them.
func TestCountersOfTheOldStore(t *testing.T) {
	ctx := context.Background()
	path := oldDatabase(t)
	s := openStore(t, path)
	r, err := analytics.Build(ctx, s, analytics.Query{Days: 3, Now: fixtureDay.Add(24 * time.Hour), Platform: "discord"})
	if err != nil {
		t.Fatal(err)
	}
	// The archive's day too: 8 messages (not the other bot's), 5 answers,
	// 4 of them first; bob thanked by alice and 👍 by carol (his own 👍
	// does not count), alice thanked by bob in the archive.
	if r.Messages != 8 || r.Answers != 5 || r.FirstAnswers != 4 || len(r.TopHelpers) != 2 || r.TopHelpers[0].ID != "bob" || r.TopHelpers[0].Count != 2 || r.TopHelpers[1].Count != 1 {
		t.Errorf("report of the old counters: %d messages, %d answers, %d first answers, helpers %+v", r.Messages, r.Answers, r.FirstAnswers, r.TopHelpers)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := dumpCounters(t, path), golden(t); got != want {
		t.Errorf("opening the old database changed its counters:\n got:\n%s\nwant:\n%s", got, want)
	}
	s = openStore(t, path)
	defer s.Close()
	if _, err := s.AppendMessage(ctx, chat.Message{Conversation: chat.Conversation{Platform: "discord", Channel: "help"}, Space: "g1",
		Author: chat.Member{ID: "erin"}, Text: "kubernetes again", Time: fixtureDay.Add(20 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	a, err := analytics.ReadActivity(ctx, s, analytics.ActivityQuery{From: fixtureDay, To: fixtureDay.Add(24 * time.Hour), Platform: "discord"}, nil)
	if err != nil || a.Messages != 7 || a.Terms["kubernetes"] != 3 {
		t.Errorf("after a new message: %d messages, kubernetes %d, %v; want 7 and 3", a.Messages, a.Terms["kubernetes"], err)
	}
}

// TestCountersOfHistoryBeforeThem: a database whose records were never
// counted (made before the counters, or with them dropped) has them
// counted when it opens: the same figures as counting them live, but for
// the votes, which are not records.
func TestCountersOfHistoryBeforeThem(t *testing.T) {
	ctx := context.Background()
	path := oldDatabase(t)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket([]byte("stats")); err != nil {
			return err
		}
		return tx.Bucket([]byte("meta")).Delete([]byte("stats_counted"))
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	live := openStore(t, filepath.Join(t.TempDir(), "live.db"))
	defer live.Close()
	writeScenario(t, live)
	s := openStore(t, path)
	defer s.Close()
	q := analytics.ActivityQuery{From: fixtureDay.Add(-24 * time.Hour), To: fixtureDay.Add(48 * time.Hour)}
	want, err := analytics.ReadActivity(ctx, live, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := analytics.ReadActivity(ctx, s, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Messages != want.Messages || got.FirstAnswers != want.FirstAnswers || fmt.Sprint(got.Terms) != fmt.Sprint(want.Terms) ||
		fmt.Sprint(got.Intents) != fmt.Sprint(want.Intents) || fmt.Sprint(got.Hours) != fmt.Sprint(want.Hours) || len(got.Members) != len(want.Members) {
		t.Errorf("counted at open:\n%+v\nwant, as counted live:\n%+v", got, want)
	}
	for i, m := range got.Members {
		if w := want.Members[i]; m.ID != w.ID || m.Messages != w.Messages || m.Questions != w.Questions {
			t.Errorf("member %d counted at open: %+v, want %+v", i, m, w)
		}
	}
}
