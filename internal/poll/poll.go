// Package poll tells when files change, by polling: one stat per file
// every interval works on every file system and with every editor's way
// of saving. The bot watches the intents, docs and challenges folders
// with it.
package poll

import (
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// Files sums up a set of files (names, sizes, modification times, and any
// error finding them) in a string that changes when one of them is added,
// removed or saved. The zero value is an empty set.
type Files struct{ lines []string }

// Add adds the file name, as fi describes it.
func (s *Files) Add(name string, fi fs.FileInfo) {
	s.lines = append(s.lines, fmt.Sprintf("%s %d %d", name, fi.Size(), fi.ModTime().UnixNano()))
}

// Fail adds name and the error finding or reading it, so that the state
// changes when the error does, or goes.
func (s *Files) Fail(name string, err error) {
	s.lines = append(s.lines, name+": "+err.Error())
}

// Stat adds the file name on disk.
func (s *Files) Stat(name string) {
	fi, err := os.Stat(name)
	if err != nil {
		s.Fail(name, err)
		return
	}
	s.Add(name, fi)
}

// String is the state: the same files in the same state give the same
// string, whatever the order they were added in.
func (s *Files) String() string {
	lines := slices.Sorted(slices.Values(s.lines))
	return strings.Join(lines, "\n")
}

// Settled tells when a polled state has changed and then held still for
// one more poll, so that a file caught half-written is not acted on.
type Settled struct{ last, pending string }

// NewSettled starts from state, as last read: a change from it is
// reported once it holds.
func NewSettled(state string) *Settled { return &Settled{last: state} }

// Changed is told the state at each poll, and reports whether it differs
// from the last one acted on and was the same at the poll before.
func (s *Settled) Changed(cur string) bool {
	switch {
	case cur == s.last:
		s.pending = ""
	case cur != s.pending:
		s.pending = cur // changed: wait one poll for it to settle
	default:
		s.last, s.pending = cur, ""
		return true
	}
	return false
}
