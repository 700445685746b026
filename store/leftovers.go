package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Temporary copies of the database (a backup being written, a compaction,
// a restore) hold everything the database does; one left by a Docent that
// was killed would escape `forget` and `compact` for ever. So each is
// created locked, and the next start or backup removes those that nobody
// holds.

// Patterns of the temporary files Docent makes, for CreateTemp and
// RemoveLeftovers.
const (
	// BackupTemp is `docent backup`'s copy, beside the backup's file.
	BackupTemp = ".docent-backup-*"
	// ServedBackupTemp is a running Docent's copy for `docent backup`,
	// beside the database.
	ServedBackupTemp = ".backup-*"
)

// leftoverAge is how long a temporary file must have been left unchanged
// before it counts as left over: it covers the moment between its creation
// and its lock.
const leftoverAge = time.Minute

// CreateTemp creates a new temporary file in dir, named after pattern as
// os.CreateTemp names it, and locks it for as long as it stays open, so
// that RemoveLeftovers leaves it alone.
func CreateTemp(dir, pattern string) (*os.File, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	if _, err := tryLock(f); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return f, nil
}

// DatabaseTemps are the patterns of the temporary files Docent makes
// beside the database at path, its docs index cache's included.
func DatabaseTemps(path string) []string {
	base := filepath.Base(path)
	return []string{BackupTemp, ServedBackupTemp, base + ".compacting", base + ".restoring", "." + base + ".knowledge-*"}
}

// Leftover is a temporary file RemoveLeftovers removed.
type Leftover struct {
	Path string
	Size int64
}

// RemoveLeftovers removes the files in dir that match one of patterns
// (filepath.Match) and that a Docent killed while writing them left
// behind: regular files of this user, unchanged for a minute, and not
// locked by the process writing them. Where it cannot tell whether a
// file is in use, it leaves it.
func RemoveLeftovers(dir string, patterns ...string) ([]Leftover, error) {
	var removed []Leftover
	var errs []error
	for _, p := range patterns {
		names, err := filepath.Glob(filepath.Join(dir, p))
		if err != nil {
			return removed, fmt.Errorf("store: remove leftovers in %s: %w", dir, err)
		}
		for _, name := range names {
			size, ok, err := removeIfLeftover(name)
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				removed = append(removed, Leftover{Path: name, Size: size})
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("store: remove leftovers in %s: %w", dir, err)
	}
	return removed, nil
}

func removeIfLeftover(name string) (size int64, removed bool, err error) {
	fi, err := os.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	if !fi.Mode().IsRegular() || !ownedByMe(fi) || time.Since(fi.ModTime()) < leftoverAge {
		return 0, false, nil
	}
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	free, err := tryLock(f)
	if err != nil || !free || !names(f, name) {
		return 0, false, err
	}
	if err := os.Remove(name); err != nil {
		return 0, false, err
	}
	return fi.Size(), true, nil
}
