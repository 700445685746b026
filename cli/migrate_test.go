package cli

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
