package store_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/docent-bot/docent/store"
)

// TestRemoveLeftovers: the copies of the database that a killed backup,
// compaction or restore left are removed; a copy still being written (its
// file locked, as CreateTemp locks it), a fresh one, and files that are
// not Docent's are kept.
func TestRemoveLeftovers(t *testing.T) {
	boltOnly(t, "copies of the file")
	dir := t.TempDir()
	db := filepath.Join(dir, "docent.db")
	old := time.Now().Add(-time.Hour)
	file := func(name string, mtime time.Time) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("a copy of the database"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	gone := []string{
		file(".docent-backup-1234", old),
		file(".backup-5678", old),
		file("docent.db.compacting", old),
		file("docent.db.restoring", old),
	}
	kept := []string{
		file(".docent-backup-fresh", time.Now()),
		file("docent.db", old),
		file(".docent-backupX", old),
		file("other.db.compacting", old),
	}
	inUse, err := store.CreateTemp(dir, store.BackupTemp) // a backup in progress
	if err != nil {
		t.Fatal(err)
	}
	defer inUse.Close()
	if err := os.Chtimes(inUse.Name(), old, old); err != nil {
		t.Fatal(err)
	}
	kept = append(kept, inUse.Name())
	link := filepath.Join(dir, ".backup-link")
	if err := os.Symlink(kept[1], link); err != nil {
		t.Fatal(err)
	}
	kept = append(kept, link)

	removed, err := store.RemoveLeftovers(dir, store.DatabaseTemps(db)...)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, l := range removed {
		paths = append(paths, l.Path)
		if l.Size != int64(len("a copy of the database")) {
			t.Errorf("%s removed with size %d", l.Path, l.Size)
		}
	}
	slices.Sort(paths)
	slices.Sort(gone)
	if !slices.Equal(paths, gone) {
		t.Errorf("removed %q, want %q", paths, gone)
	}
	for _, p := range gone {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there", p)
		}
	}
	for _, p := range kept {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
	// Once the backup is done (its file closed, so unlocked), it goes too.
	inUse.Close()
	if removed, err := store.RemoveLeftovers(dir, store.BackupTemp); err != nil || len(removed) != 1 || removed[0].Path != inUse.Name() {
		t.Errorf("after the backup ended: removed %v, %v; want %s", removed, err, inUse.Name())
	}
}
