//go:build unix

package bot

import (
	"io/fs"
	"os"
	"syscall"
)

// ownedByMe reports whether fi belongs to the user running Docent.
func ownedByMe(fi fs.FileInfo) bool {
	uid, ok := fileOwner(fi)
	return ok && uid == os.Getuid()
}

// fileOwner is the user ID that owns fi; ok is false where the system
// does not say.
func fileOwner(fi fs.FileInfo) (uid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
