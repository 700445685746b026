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
