package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/internal/pgtest"
)

// postgresWorkdir is workdir with the example config keeping the history
// in the PostgreSQL database at ${DOCENT_DATABASE_URL}.
func postgresWorkdir(t *testing.T) string {
	t.Helper()
	dir := workdir(t)
	config := filepath.Join(dir, "config.example.yaml")
	b, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	withPG := strings.Replace(string(b), "\nstore:\n", "\nstore:\n  postgres:\n    url: ${DOCENT_DATABASE_URL}\n", 1)
	if withPG == string(b) {
		t.Fatal("config.example.yaml has no store section")
	}
	if err := os.WriteFile(config, []byte(withPG), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestHistoryOnPostgres: with store.postgres.url set (from
// ${DOCENT_DATABASE_URL}), Docent answers a question and keeps it, with
// its answer, in PostgreSQL: the history shows them, no bbolt file is
// made, and a bbolt file's command says what to use instead.
func TestHistoryOnPostgres(t *testing.T) {
	dir := postgresWorkdir(t)
	t.Setenv("DOCENT_DATABASE_URL", pgtest.URL(t))

	r := docent(t, dir, "how do I report a bug?\n")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	h := docent(t, dir, "", "history")
	if h.code != 0 {
		t.Fatalf("history: exit %d\n%s", h.code, h.stderr)
	}
	for _, w := range []string{": how do I report a bug?\n", "[intent report_bug"} {
		if !strings.Contains(h.stdout, w) {
			t.Errorf("history lacks %q:\n%s", w, h.stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "docent.db")); !os.IsNotExist(err) {
		t.Errorf("a bbolt file was made beside PostgreSQL: %v", err)
	}
	bk := docent(t, dir, "", "backup", filepath.Join(t.TempDir(), "b.db"))
	if bk.code == 0 || !strings.Contains(bk.stderr, "store.postgres.url") || !strings.Contains(bk.stderr, "pg_dump") {
		t.Errorf("backup on PostgreSQL: exit %d\n%s", bk.code, bk.stderr)
	}
}

// TestBenchPipelineOnPostgres: `docent bench pipeline --postgres URL`
// drives the members through a store on that database (what it stored is
// there afterwards: the members' questions in the history), and without
// the flag the bench never uses the configured PostgreSQL database.
func TestBenchPipelineOnPostgres(t *testing.T) {
	dir := postgresWorkdir(t)
	configured, bench := pgtest.URL(t), pgtest.URL(t)
	t.Setenv("DOCENT_DATABASE_URL", configured)

	r := docent(t, dir, "", "bench", "pipeline", "--members", "4", "--channels", "2", "--questions", "40", "--postgres", bench)
	if r.code != 0 || !strings.Contains(r.stdout, "40 questions from 4 members in 2 channels") {
		t.Fatalf("bench pipeline --postgres: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = docent(t, dir, "", "bench", "pipeline", "--members", "4", "--channels", "2", "--questions", "40"); r.code != 0 {
		t.Fatalf("bench pipeline: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if h := docent(t, dir, "", "history", "--list"); h.code != 0 || strings.Contains(h.stdout, "bench") {
		t.Errorf("the configured database has the bench's conversations (exit %d):\n%s%s", h.code, h.stdout, h.stderr)
	}
	t.Setenv("DOCENT_DATABASE_URL", bench)
	if h := docent(t, dir, "", "history", "--list"); h.code != 0 || strings.Count(h.stdout, "\n") < 2 {
		t.Errorf("the bench's database holds no conversations (exit %d):\n%s%s", h.code, h.stdout, h.stderr)
	}
}

// TestBenchPipelineReplicas: `docent bench pipeline --postgres URL
// --replicas 3` runs three Docents on the database as replicas, whose
// members' questions and answers are all stored, once; without
// --postgres, --replicas is refused, saying why.
func TestBenchPipelineReplicas(t *testing.T) {
	dir := postgresWorkdir(t)
	t.Setenv("DOCENT_DATABASE_URL", pgtest.URL(t))
	bench := pgtest.URL(t)
	r := docent(t, dir, "", "bench", "pipeline", "--members", "6", "--channels", "2", "--questions", "90", "--postgres", bench, "--replicas", "3")
	if r.code != 0 || !strings.Contains(r.stdout, "90 questions from 6 members in 2 channels") || !strings.Contains(r.stdout, "on PostgreSQL, 3 replicas") {
		t.Fatalf("bench pipeline --replicas 3: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "not stored") || strings.Contains(r.stderr, "gave up") {
		t.Errorf("writes failed with three replicas:\n%s", r.stderr)
	}
	t.Setenv("DOCENT_DATABASE_URL", bench)
	h := docent(t, dir, "", "history", "--list", "--json")
	if h.code != 0 {
		t.Fatalf("history --list: exit %d\n%s", h.code, h.stderr)
	}
	total := 0
	for dec := json.NewDecoder(strings.NewReader(h.stdout)); dec.More(); {
		var c struct {
			Records int `json:"records"`
		}
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("history --list --json: %v\n%s", err, h.stdout)
		}
		total += c.Records
	}
	if total != 180 {
		t.Errorf("%d records stored by three replicas, want 180: 90 questions and their answers", total)
	}
	if r := docent(t, dir, "", "bench", "pipeline", "--questions", "10", "--replicas", "2"); r.code == 0 || !strings.Contains(r.stderr, "--postgres") {
		t.Errorf("--replicas without --postgres: exit %d\n%s", r.code, r.stderr)
	}
}

// TestDBFileBesidePostgres: --db names a bbolt file, whatever the config
// says: with the history on PostgreSQL, `docent import --db`, `stats
// --db` and `compact --db` work on the file, `bench history` on its own,
// and the database is left alone.
func TestDBFileBesidePostgres(t *testing.T) {
	dir := postgresWorkdir(t)
	t.Setenv("DOCENT_DATABASE_URL", pgtest.URL(t))
	history := filepath.Join(t.TempDir(), "history.jsonl")
	line := fmt.Sprintf(`{"time": %q, "channel": "#general", "author": "ann", "text": "how do I reindex zanzibar?"}`, time.Now().UTC().Add(-time.Hour).Format(time.RFC3339))
	if err := os.WriteFile(history, []byte(line+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "old.db")
	if r := docent(t, dir, "", "import", "--db", file, history); r.code != 0 || !strings.Contains(r.stdout, ": 1 messages") {
		t.Fatalf("import --db: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := docent(t, dir, "", "stats", "--all", "--db", file); r.code != 0 || !strings.Contains(r.stdout, "messages              1\n") {
		t.Errorf("stats --db: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := docent(t, dir, "", "compact", "--db", file); r.code != 0 || !strings.Contains(r.stdout, "compacted "+file) {
		t.Errorf("compact --db: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := docent(t, dir, "", "bench", "history", "--messages", "200", "--days", "3"); r.code != 0 {
		t.Errorf("bench history: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := docent(t, dir, "", "history", "--list"); r.code != 0 || strings.TrimSpace(r.stdout) != "" {
		t.Errorf("the PostgreSQL database got the file's or the bench's history (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}
}
