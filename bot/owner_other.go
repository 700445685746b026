//go:build !unix

package bot

import "io/fs"

// ownedByMe cannot tell on this system; the folder's place in the user's
// own data folder (or temp folder) is what protects it.
func ownedByMe(fs.FileInfo) bool { return true }

// fileOwner cannot tell on this system (nor are its permission bits the
// ones that protect a file there).
func fileOwner(fs.FileInfo) (uid int, ok bool) { return 0, false }
