//go:build !unix

package store

import (
	"errors"
	"os"
	"time"
)

var errLockTimeout = errors.New("timed out waiting for the file's lock")

// lockFile does nothing on this system: there, renaming over a file that
// a running Docent has open fails instead.
func lockFile(*os.File, time.Time) error { return nil }

// tryLock cannot tell on this system whether a file is in use, so it says
// it is.
func tryLock(*os.File) (bool, error) { return false, nil }

// ownedByMe cannot tell on this system.
func ownedByMe(os.FileInfo) bool { return false }
