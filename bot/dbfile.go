package bot

import (
	"fmt"
	"log/slog"
	"os"
)

// checkDatabaseFile refuses a database that others could change, or that
// another user owns (and so can read, whatever its mode), as the control
// socket's folder is refused; one that others can only read is used, with
// a warning. me is the user ID Docent runs as: root may use another
// user's database (an admin running `docent history` on the service
// account's file), with a warning.
func checkDatabaseFile(path string, me int, log *slog.Logger) error {
	fi, err := os.Stat(path)
	if err != nil {
		return nil // a new database, or one store.Open reports on
	}
	uid, ok := fileOwner(fi)
	if !ok {
		return nil
	}
	if uid != me {
		if me != 0 {
			return fmt.Errorf("database %s belongs to another user (uid %d), who can read everything Docent stores in it; refusing to use it. Run Docent as that user, or make the file yours: chown %d %s", path, uid, me, path)
		}
		log.Warn("the database belongs to another user, who can read everything Docent stores in it", "path", path, "owner_uid", uid, "fix", fmt.Sprintf("chown 0 %s, or run Docent as its owner", path))
	}
	perm := fi.Mode().Perm()
	switch {
	case perm&0o022 != 0:
		return fmt.Errorf("database %s can be changed by other users (mode %v); refusing to use it. Check that it is yours and unchanged, then close it: chmod 600 %s", path, perm, path)
	case perm&0o044 != 0:
		log.Warn("the database can be read by other users: every stored message and answer", "path", path, "mode", perm.String(), "fix", "chmod 600 "+path)
	}
	return nil
}
