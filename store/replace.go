package store

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Replacing the database file (compact, restore) holds the old file's
// exclusive lock until the new one is renamed into place. A Docent that
// starts meanwhile waits on that lock; once it has it, Open sees that the
// path no longer names the file it locked and opens again (see openBolt),
// so nothing is ever written into a file that has been replaced.

// Verify opens the database at path as Docent would and runs bbolt's
// consistency check on it.
func Verify(path string) error {
	st, err := Open(path, Options{})
	if err != nil {
		return fmt.Errorf("it does not open: %w", err)
	}
	if err := st.Check(); err != nil {
		st.Close()
		return fmt.Errorf("it is damaged: %w", err)
	}
	return st.Close()
}

// Compacted says what CompactFile did.
type Compacted struct {
	Before, After int64 // the file's size, in bytes
}

// CompactFile rewrites the database at path without the free pages that
// deleted data left behind (which may still hold its bytes): into
// path+".compacting", checked, then renamed over path, all while holding
// the database's lock. It fails with ErrLocked when Docent has it open.
func CompactFile(path string, lockTimeout time.Duration) (Compacted, error) {
	lockTimeout = cmp.Or(lockTimeout, defaultLockTimeout)
	from, _, _, err := openBolt(path, lockTimeout, &bolt.Options{})
	if err != nil {
		return Compacted{}, err
	}
	defer from.Close() // last: the lock is held until the new file is in place
	before, err := os.Stat(path)
	if err != nil {
		return Compacted{}, fmt.Errorf("store: compact: %w", err)
	}
	tmp := path + ".compacting"
	os.Remove(tmp) // left by an interrupted run
	to, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		return Compacted{}, fmt.Errorf("store: compact into %s: %w", tmp, err)
	}
	if err := bolt.Compact(to, from, 64<<20); err != nil {
		to.Close()
		os.Remove(tmp)
		return Compacted{}, fmt.Errorf("store: compact %s into %s: %w", path, tmp, err)
	}
	var used int64
	_ = to.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	if err := to.Close(); err != nil {
		os.Remove(tmp)
		return Compacted{}, fmt.Errorf("store: compact into %s: %w", tmp, err)
	}
	// bbolt grows a file ahead of need, by up to 16 MB; the copy needs
	// none of it (a write grows it again).
	if err := truncateDurably(tmp, used); err != nil {
		os.Remove(tmp)
		return Compacted{}, fmt.Errorf("store: compact into %s: %w", tmp, err)
	}
	if err := Verify(tmp); err != nil {
		os.Remove(tmp)
		return Compacted{}, fmt.Errorf("store: compact: the compacted copy %s: %w", tmp, err)
	}
	if err := replaceFile(tmp, path); err != nil {
		os.Remove(tmp)
		return Compacted{}, fmt.Errorf("store: compact: %w", err)
	}
	after, err := os.Stat(path)
	if err != nil {
		return Compacted{}, fmt.Errorf("store: compact: %w", err)
	}
	return Compacted{Before: before.Size(), After: after.Size()}, nil
}

// Restore puts a copy of the backup src in place of the database dst,
// which may be damaged or missing; the file it replaces is kept, and named
// in kept. The copy is checked before it replaces anything, and dst's lock
// is held while it does. It fails with ErrLocked when Docent has dst open.
func Restore(src, dst string, lockTimeout time.Duration) (kept string, err error) {
	lockTimeout = cmp.Or(lockTimeout, defaultLockTimeout)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return "", fmt.Errorf("store: restore: %w", err)
	}
	// Locked first, so that a running Docent is found before the copy.
	var f *os.File
	if _, err := os.Stat(dst); err == nil {
		if f, err = lockPath(dst, lockTimeout); err != nil {
			return "", err
		}
		defer f.Close() // last: closing releases the lock
	}
	tmp := dst + ".restoring"
	if err := copyDurably(src, tmp); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("store: restore: copy %s: %w", src, err)
	}
	defer os.Remove(tmp)
	if err := Verify(tmp); err != nil {
		return "", fmt.Errorf("store: restore: %s: %w", src, err)
	}
	if f == nil {
		// No database: a link puts the copy in place, unless one has just
		// been created (by a Docent starting), which then must be locked.
		err := os.Link(tmp, dst)
		if err == nil {
			return "", syncDir(filepath.Dir(dst))
		}
		if !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("store: restore: %w", err)
		}
		if f, err = lockPath(dst, lockTimeout); err != nil {
			return "", err
		}
		defer f.Close()
	}
	// The old file gets a second name before the new one takes its place,
	// so that dst always names a whole database.
	stamp := time.Now().Format("20060102-150405")
	kept = dst + ".before-restore-" + stamp
	for i := 2; ; i++ {
		err = os.Link(dst, kept)
		if !errors.Is(err, os.ErrExist) {
			break
		}
		kept = fmt.Sprintf("%s.before-restore-%s-%d", dst, stamp, i)
	}
	if err != nil {
		return "", fmt.Errorf("store: restore: keep the current database: %w", err)
	}
	if err := replaceFile(tmp, dst); err != nil {
		os.Remove(kept)
		return "", fmt.Errorf("store: restore: %w", err)
	}
	return kept, nil
}

// replaceFile renames tmp over path and makes the rename durable.
func replaceFile(tmp, path string) error {
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a rename or link in dir survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

func copyDurably(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := tryLock(out); err != nil { // in use: see RemoveLeftovers
		out.Close()
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// lockPath opens path and takes its exclusive lock (the one bbolt takes),
// waiting up to wait; the lock is held until the file is closed. Like
// openBolt, it opens again when path was replaced while it waited.
func lockPath(path string, wait time.Duration) (*os.File, error) {
	deadline := time.Now().Add(wait)
	for {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		if err := lockFile(f, deadline); err != nil {
			f.Close()
			if errors.Is(err, errLockTimeout) {
				return nil, &lockedError{path: path, wait: wait, err: err}
			}
			return nil, fmt.Errorf("store: lock %s: %w", path, err)
		}
		if names(f, path) {
			return f, nil
		}
		f.Close()
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("store: lock %s: it was replaced again and again while waiting for its lock", path)
		}
	}
}

// names reports whether path still names the file f has open.
func names(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

// truncateDurably cuts the file at path to size, when it is longer, and
// syncs it.
func truncateDurably(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || size <= 0 || fi.Size() <= size {
		return err
	}
	if err := f.Truncate(size); err != nil {
		return err
	}
	return f.Sync()
}
