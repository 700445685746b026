package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// seedDatabase writes n messages of about 1 KB into a new database at path.
func seedDatabase(t *testing.T, path string, n int) {
	t.Helper()
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := chat.Conversation{Platform: "console", Channel: "seed"}
	for i := range n {
		m := chat.Message{ID: fmt.Sprint("seed-", i), Conversation: c, Author: chat.Member{ID: "u"},
			Text: strings.Repeat("seeded words ", 80), Time: time.Now()}
		if _, err := st.AppendMessage(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCompactAndRestoreRacingAStart: a Docent started while `docent
// compact` or `docent restore` replaces the database (as a supervisor
// restarting it would) either waits for the new file or makes the command
// give up as Docent is running; it never goes on writing into the file
// the command replaced. Before, both commands released the lock before
// renaming, and a start in between wrote into the replaced file.
func TestCompactAndRestoreRacingAStart(t *testing.T) {
	dir := workdir(t)
	cfgFile := filepath.Join(dir, "config.example.yaml")
	cfgText, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	cfgText = bytes.Replace(cfgText, []byte("lock_timeout: 1s"), []byte("lock_timeout: 200ms"), 1)
	if err := os.WriteFile(cfgFile, cfgText, 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "data", "docent.db")
	seedDatabase(t, db, 3000)
	backup := filepath.Join(t.TempDir(), "backup.db")
	if code := testEnv(nil, &strings.Builder{}, &strings.Builder{}).Run(Commands(), []string{"backup", "--config", cfgFile, backup}); code != 0 {
		t.Fatalf("backup: exit %d", code)
	}
	const rounds = 16
	lost, restored := 0, 0
	for i := range rounds {
		op := "compact"
		if i%2 == 1 {
			op = "restore"
		}
		var out, errb strings.Builder
		c := testEnv(nil, &out, &errb)
		var wg sync.WaitGroup
		var code int
		commandDone := make(chan struct{})
		wg.Go(func() {
			defer close(commandDone)
			if op == "compact" {
				code = c.Run(Commands(), []string{"compact", "--config", cfgFile})
			} else {
				code = c.Run(Commands(), []string{"restore", "--config", cfgFile, backup})
			}
		})
		// The start comes while the command works: at a random moment in
		// its first tens of milliseconds. It writes once when open, and
		// again once the command has returned, as a running Docent would.
		time.Sleep(time.Duration(rand.IntN(60)) * time.Millisecond)
		texts := [2]string{fmt.Sprintf("first write of the start racing %s %d", op, i), fmt.Sprintf("later write of the start racing %s %d", op, i)}
		var ids [2]uint64
		var werr error
		wg.Go(func() {
			st, err := store.Open(db, store.Options{LockTimeout: 20 * time.Second})
			if err != nil {
				werr = err
				return
			}
			defer st.Close()
			for n, text := range texts {
				if n == 1 {
					<-commandDone
				}
				rec, err := st.AppendMessage(context.Background(), chat.Message{ID: fmt.Sprint("racer-", i, "-", n),
					Conversation: chat.Conversation{Platform: "console", Channel: "racer"}, Author: chat.Member{ID: "u"}, Text: text, Time: time.Now()})
				if err != nil {
					werr = err
					return
				}
				ids[n] = rec.ID
			}
		})
		wg.Wait()
		if werr != nil {
			t.Fatalf("round %d: the racing start: %v", i, werr)
		}
		if code != 0 && !strings.Contains(errb.String(), "Docent is running") {
			t.Fatalf("round %d: %s: exit %d\n%s%s", i, op, code, out.String(), errb.String())
		}
		if code == 0 && op == "restore" {
			restored++
		}
		for n, id := range ids {
			// The first write may have come before the restore took the
			// lock: then it is in the database the restore replaced.
			files := []string{db}
			if kept := keptFile(out.String()); n == 0 && kept != "" {
				files = append(files, kept)
			}
			if !holds(t, files, id, texts[n]) {
				lost++
				t.Errorf("round %d: %q is lost (%s exit %d)", i, texts[n], op, code)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d writes of racing starts lost", lost, 2*rounds)
	}
	leftovers, _ := filepath.Glob(db + ".before-restore-*")
	if len(leftovers) != restored {
		t.Errorf("%d databases kept by %d restores, want one each: %v", len(leftovers), restored, leftovers)
	}
}

// holds reports whether one of the databases has text under id.
func holds(t *testing.T, files []string, id uint64, text string) bool {
	t.Helper()
	for _, f := range files {
		st, err := store.Open(f, store.Options{})
		if err != nil {
			t.Fatalf("open %s: %v", f, err)
		}
		rec, err := st.Record(context.Background(), id)
		st.Close()
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s: record %d: %v", f, id, err)
		}
		if err == nil && rec.Text == text {
			return true
		}
	}
	return false
}

// keptFile is the file `docent restore` said it kept, if any.
func keptFile(stdout string) string {
	_, kept, ok := strings.Cut(strings.TrimSpace(stdout), "is kept as ")
	if !ok {
		return ""
	}
	return kept
}

// TestDamagedDatabase: with the database cut short, `docent history` and
// `docent run` refuse it with an error naming the file and `docent
// restore`, and `docent restore` replaces it; before, all three crashed
// (SIGBUS, or "panic: invalid freelist page").
func TestDamagedDatabase(t *testing.T) {
	dir := workdir(t)
	db := filepath.Join(dir, "data", "docent.db")
	seedDatabase(t, db, 500)
	backup := filepath.Join(t.TempDir(), "backup.db")
	if r := docent(t, dir, "", "backup", backup); r.code != 0 {
		t.Fatalf("backup: exit %d\n%s", r.code, r.stderr)
	}
	fi, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(db, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"history"}, {"run"}} {
		r := docent(t, dir, "", args...)
		if r.code == 0 || strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "fatal error") {
			t.Errorf("%s on a damaged database: exit %d\n%s", args[0], r.code, r.stderr)
		}
		for _, want := range []string{filepath.Join("data", "docent.db"), "is damaged", "docent restore"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%s on a damaged database says %q; want it to say %q", args[0], r.stderr, want)
			}
		}
	}
	r := docent(t, dir, "", "restore", backup)
	if r.code != 0 || !strings.Contains(r.stdout, "kept as") {
		t.Fatalf("restore over a damaged database: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := docent(t, dir, "", "history", "--list"); r.code != 0 || !strings.Contains(r.stdout, "seed") {
		t.Errorf("history after the restore: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestBackupRemovesLeftovers: `docent backup` removes the copies that a
// killed backup left beside its file, and says so.
func TestBackupRemovesLeftovers(t *testing.T) {
	dir := workdir(t)
	seedDatabase(t, filepath.Join(dir, "data", "docent.db"), 10)
	out := t.TempDir()
	left := filepath.Join(out, ".docent-backup-2718281828")
	if err := os.WriteFile(left, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(left, old, old)
	r := docent(t, dir, "", "backup", filepath.Join(out, "b.db"))
	if r.code != 0 {
		t.Fatalf("backup: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Errorf("%s is still there after a backup (%v)", left, err)
	}
	if !strings.Contains(r.stderr, "removed "+left) {
		t.Errorf("backup did not say it removed %s: %q", left, r.stderr)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 || entries[0].Name() != "b.db" {
		t.Errorf("backup folder holds %v, want only b.db", entries)
	}
}

// TestBackupCopiesTheFileAsItIs: `docent backup` of a database written
// before the modules recorded their schemas copies it without migrating
// it first (nor the original): the backup is what an older Docent can go
// back to.
func TestBackupCopiesTheFileAsItIs(t *testing.T) {
	dir := workdir(t)
	db := filepath.Join(dir, "data", "docent.db")
	seedDatabase(t, db, 3) // no module's schema recorded, as before them
	dst := filepath.Join(t.TempDir(), "b.db")
	if r := docent(t, dir, "", "backup", dst); r.code != 0 {
		t.Fatalf("backup: exit %d\n%s", r.code, r.stderr)
	}
	for _, path := range []string{dst, db} {
		st, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		v, err := st.SchemaVersions(context.Background())
		st.Close()
		if err != nil || len(v) != 0 {
			t.Errorf("%s: module schemas %v, %v; want none recorded (not migrated)", path, v, err)
		}
	}
}
