package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docent-bot/docent/internal/pgtest"
)

// TestHistoryOnPostgres: with store.postgres.url set (from
// ${DOCENT_DATABASE_URL}), Docent answers a question and keeps it, with
// its answer, in PostgreSQL: the history shows them, no bbolt file is
// made, and a bbolt file's command says what to use instead.
func TestHistoryOnPostgres(t *testing.T) {
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
