package cli

import (
	"compress/gzip"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docent-bot/docent/internal/pgtest"
)

// schema1DB writes testdata/schema1.db.gz, a database the Docent before
// schema 2 wrote (300 messages of the DuraSpace history imported, then
// compacted), to a file in dir.
func schema1DB(t *testing.T, dir, name string) string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "schema1.db.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMigrateSchema1: docent migrate converts a schema 1 file's records,
// compacts it and says so; the file then reads as the one Docent converts
// by itself when it opens it (docent stats on a copy), smaller; a second
// run has nothing to do.
func TestMigrateSchema1(t *testing.T) {
	dir := workdir(t)
	migrated, opened := schema1DB(t, dir, "migrated.db"), schema1DB(t, dir, "opened.db")
	before, _ := os.Stat(migrated)
	r := docent(t, dir, "", "migrate", "--db", migrated)
	if r.code != 0 || !strings.Contains(r.stdout, "converted the records of "+migrated+": 300 of 300 in") || !strings.Contains(r.stdout, "compacted "+migrated) {
		t.Fatalf("migrate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	after, _ := os.Stat(migrated)
	if after.Size() >= before.Size() {
		t.Errorf("the migrated file is %d bytes, the schema 1 file %d", after.Size(), before.Size())
	}
	a := docent(t, dir, "", "stats", "--db", migrated, "--all")
	b := docent(t, dir, "", "stats", "--db", opened, "--all")
	if a.code != 0 || b.code != 0 || withoutTiming(a.stdout) != withoutTiming(b.stdout) || !strings.Contains(a.stdout, "messages              300") {
		t.Errorf("stats after migrate (exit %d):\n%s%s\nstats of the file converted as it opened (exit %d):\n%s%s", a.code, a.stdout, a.stderr, b.code, b.stdout, b.stderr)
	}
	h := docent(t, dir, "", "history", "--db", migrated, "--platform", "irc", "--channel", "#duraspace", "--limit", "300")
	if h.code != 0 || !strings.Contains(h.stdout, "I don't question their requirements") {
		t.Errorf("history after migrate: exit %d\n%.2000s%s", h.code, h.stdout, h.stderr)
	}
	if r = docent(t, dir, "", "migrate", "--db", migrated); r.code != 0 || !strings.Contains(r.stdout, "no records to convert") {
		t.Errorf("migrate again: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	s := docent(t, dir, "", "sizes", "--db", migrated)
	if s.code != 0 || !strings.Contains(s.stdout, "300 messages") || !strings.Contains(s.stdout, "messages") {
		t.Errorf("sizes: exit %d\n%s%s", s.code, s.stdout, s.stderr)
	}
}

// withoutTiming is docent stats' output without its "(read in …)" line.
func withoutTiming(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "(read in ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// withPassword is a pgtest URL with a password, which the test cluster
// (trust) does not check: no output may show it.
func withPassword(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "s3cret-pw")
	return u.String()
}

// TestMigrateToPostgresAndBack: `docent migrate --to '$DOCENT_DATABASE_URL'`
// converts a schema 1 file first, then copies it into PostgreSQL, printing
// each bucket's keys and checksums on both sides; Docent runs on the copy
// (a question asked and answered there); `--from … --db FILE` copies it
// back into a new file, whose stats are the PostgreSQL database's; a
// second copy into the database is refused until --replace, --verify
// finds them the same, and the password shows nowhere.
func TestMigrateToPostgresAndBack(t *testing.T) {
	dir := workdir(t)
	file := schema1DB(t, dir, "old.db")
	pg := withPassword(t, pgtest.URL(t))
	t.Setenv("DOCENT_DATABASE_URL", pg)
	pgConfig := filepath.Join(dir, "pg.yaml")
	b, err := os.ReadFile(filepath.Join(dir, "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pgConfig, []byte(strings.Replace(string(b), "\nstore:\n", "\nstore:\n  postgres:\n    url: ${DOCENT_DATABASE_URL}\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	var outputs []string
	run := func(stdin string, args ...string) result {
		t.Helper()
		r := docent(t, dir, stdin, args...)
		outputs = append(outputs, r.stdout+r.stderr)
		return r
	}

	r := run("", "migrate", "--db", file, "--to", "$DOCENT_DATABASE_URL")
	if r.code != 0 {
		t.Fatalf("migrate --to: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, w := range []string{"converted the records of " + file + " to this version's schema first: 300 of 300", "copied " + file + " into postgres://postgres:xxxxx@",
		"\nmessages ", "\nmeta ", "\nattention_members ", "same\n", "database SHA-256"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("migrate --to says nothing of %q:\n%s", w, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "DIFFERS") {
		t.Errorf("migrate --to found differences:\n%s", r.stdout)
	}
	if r := run("how do I report a bug?\n", "--config", pgConfig); r.code != 0 {
		t.Fatalf("docent on the copy: exit %d\n%s", r.code, r.stderr)
	}
	back := filepath.Join(t.TempDir(), "back", "docent.db")
	if r := run("", "migrate", "--from", "${DOCENT_DATABASE_URL}", "--db", back); r.code != 0 || !strings.Contains(r.stdout, "into "+back+": ") {
		t.Fatalf("migrate --from: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, window := range []struct {
		args []string
		want string
	}{
		{[]string{"--all"}, "messages              1\n"}, // the question, today
		{[]string{"--days", "3650", "--to", "2018-07-25"}, "messages              300\n"},
	} {
		onPG := run("", append([]string{"stats", "--config", pgConfig}, window.args...)...)
		onFile := run("", append([]string{"stats", "--db", back}, window.args...)...)
		if onPG.code != 0 || onFile.code != 0 || withoutTiming(onPG.stdout) != withoutTiming(onFile.stdout) || !strings.Contains(onFile.stdout, window.want) {
			t.Errorf("stats %q on PostgreSQL (exit %d):\n%s%s\nof the file copied back (exit %d):\n%s%s", window.args, onPG.code, onPG.stdout, onPG.stderr, onFile.code, onFile.stdout, onFile.stderr)
		}
	}
	h := run("", "history", "--db", back, "--platform", "console", "--limit", "5")
	if h.code != 0 || !strings.Contains(h.stdout, "how do I report a bug?") {
		t.Errorf("history of the file copied back: exit %d\n%s%s", h.code, h.stdout, h.stderr)
	}

	r = run("", "migrate", "--db", file, "--to", "$DOCENT_DATABASE_URL")
	if r.code != 1 || !strings.Contains(r.stderr, "postgres://postgres:xxxxx@") || !strings.Contains(r.stderr, "not empty") || !strings.Contains(r.stderr, "--replace") {
		t.Errorf("a second copy into the database: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = run("", "migrate", "--from", "$DOCENT_DATABASE_URL", "--db", back, "--verify"); r.code != 0 || strings.Contains(r.stdout, "DIFFERS") || !strings.Contains(r.stdout, "compared "+back) {
		t.Errorf("--verify of the copy back: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = run("", "migrate", "--db", file, "--to", "$DOCENT_DATABASE_URL", "--verify"); r.code != 1 || !strings.Contains(r.stdout, "DIFFERS") || !strings.Contains(r.stderr, `bucket "messages" has 302 keys, the source 300`) {
		t.Errorf("--verify of the old file against the database Docent wrote to: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = run("", "migrate", "--db", file, "--to", "$DOCENT_DATABASE_URL", "--replace"); r.code != 0 || strings.Contains(r.stdout, "DIFFERS") {
		t.Errorf("--replace: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, out := range outputs {
		if strings.Contains(out, "s3cret") {
			t.Errorf("the password shows:\n%s", out)
		}
	}
}

// TestMigrateCopyUsage: the copy's flags, wrong, say what is wrong
// before anything is opened.
func TestMigrateCopyUsage(t *testing.T) {
	dir := workdir(t)
	t.Setenv("DOCENT_DATABASE_URL", "")
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--to", "postgres://a@h/d", "--from", "postgres://a@h/d"}, "give one of them"},
		{[]string{"--from", "postgres://a@h/d"}, "--db FILE"},
		{[]string{"--to", "$DOCENT_DATABASE_URL"}, "the environment has no DOCENT_DATABASE_URL"},
		{[]string{"--to", ""}, "--to is empty"},
		{[]string{"--to", "mysql://u:hunter2@h/d"}, "want postgres://user:password@host:port/database, got mysql://u:xxxxx@h/d"},
		{[]string{"--from", "mysql://u@h/d?password=hunter2"}, "got mysql://u@h/d?password=xxxxx"},
		{[]string{"--replace"}, "go with --to URL or --from URL"},
		{[]string{"--to", "postgres://a@h/d", "--no-compact"}, "--no-compact is for the conversion alone"},
	} {
		r := docent(t, dir, "", append([]string{"migrate"}, c.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, c.says) || strings.Contains(r.stderr, "hunter2") {
			t.Errorf("migrate %q: exit %d, want 2 saying %q:\n%s", c.args, r.code, c.says, r.stderr)
		}
	}
}
