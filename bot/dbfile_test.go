package bot

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/store"
)

// TestDatabaseOpenToOthers: a database that others can change is refused,
// one that others can read is used with a warning, and one that another
// user owns is refused (root gets a warning), each naming the file and the
// command that fixes it. Before, all were used silently.
func TestDatabaseOpenToOthers(t *testing.T) {
	open := func(t *testing.T, mode os.FileMode) (*Config, *consoleOut, error) {
		t.Helper()
		path := writeConfig(t, "")
		b := openBot(t, path) // creates the database
		closeBot(t, b)
		cfg, err := LoadConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(cfg.StorePath(), mode); err != nil {
			t.Fatal(err)
		}
		logs := &consoleOut{}
		b, err = Open(context.Background(), cfg, Options{Log: slog.New(slog.NewTextHandler(logs, nil))})
		if err == nil {
			closeBot(t, b)
		}
		return cfg, logs, err
	}
	t.Run("writable by others", func(t *testing.T) {
		for _, mode := range []os.FileMode{0o666, 0o620, 0o602} {
			cfg, _, err := open(t, mode)
			if err == nil {
				t.Fatalf("mode %v: a database others can change was used", mode)
			}
			for _, want := range []string{cfg.StorePath(), "can be changed by other users", "chmod 600 " + cfg.StorePath()} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("mode %v: %q; want it to say %q", mode, err, want)
				}
			}
		}
	})
	t.Run("readable by others", func(t *testing.T) {
		cfg, logs, err := open(t, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		warned := false
		for _, l := range logs.printed() {
			warned = warned || strings.Contains(l, "level=WARN") && strings.Contains(l, "can be read by other users") && strings.Contains(l, "chmod 600 "+cfg.StorePath())
		}
		if !warned {
			t.Errorf("no warning for a database others can read; logs:\n%s", strings.Join(logs.printed(), "\n"))
		}
	})
	t.Run("owned by another user", func(t *testing.T) {
		path := writeConfig(t, "")
		closeBot(t, openBot(t, path))
		cfg, err := LoadConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		// As a user other than the owner (and not root): refused.
		other := os.Getuid() + 4242
		err = checkDatabaseFile(cfg.StorePath(), other, slog.New(slog.DiscardHandler))
		if err == nil || !strings.Contains(err.Error(), "belongs to another user") || !strings.Contains(err.Error(), cfg.StorePath()) {
			t.Errorf("user %d on a file of user %d: %v; want a refusal naming the file", other, os.Getuid(), err)
		}
		if os.Getuid() != 0 {
			t.Skip("the rest needs root: chown to another user")
		}
		// Root on a file another user owns: used, with a warning.
		if err := os.Chown(cfg.StorePath(), 4242, 4242); err != nil {
			t.Fatal(err)
		}
		logs := &consoleOut{}
		b, err := Open(context.Background(), cfg, Options{Log: slog.New(slog.NewTextHandler(logs, nil))})
		if err != nil {
			t.Fatalf("root on another user's database: %v", err)
		}
		closeBot(t, b)
		if !strings.Contains(strings.Join(logs.printed(), "\n"), "belongs to another user") {
			t.Errorf("no warning for root using another user's database; logs:\n%s", strings.Join(logs.printed(), "\n"))
		}
	})
}

// TestStartRemovesLeftovers: a start removes the copies of the database
// that a killed backup or compaction left beside it, but not one that is
// still being written.
func TestStartRemovesLeftovers(t *testing.T) {
	path := writeConfig(t, "")
	closeBot(t, openBot(t, path))
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(cfg.StorePath())
	old := time.Now().Add(-time.Hour)
	var left []string
	for _, name := range []string{".backup-123", ".docent-backup-456", filepath.Base(cfg.StorePath()) + ".compacting"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, make([]byte, 1<<20), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
		left = append(left, p)
	}
	inUse, err := store.CreateTemp(dir, store.ServedBackupTemp)
	if err != nil {
		t.Fatal(err)
	}
	defer inUse.Close()
	os.Chtimes(inUse.Name(), old, old)

	closeBot(t, openBot(t, path))
	for _, p := range left {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there after a start (%v)", p, err)
		}
	}
	if _, err := os.Stat(inUse.Name()); err != nil {
		t.Errorf("the backup in progress %s was removed: %v", inUse.Name(), err)
	}
}
