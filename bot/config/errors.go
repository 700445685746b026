package config

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Pos is a place in a YAML file. Line and Column start at 1; 0 means unknown.
type Pos struct {
	File         string
	Line, Column int
	// Env names the environment variables the value was expanded from
	// (comma-separated), "" when it was written out. Such a value may be
	// a secret: messages show its source, never the value (see Show).
	Env string
}

// String formats p as "FILE:LINE:COL", leaving out the parts that are unknown.
func (p Pos) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(p.Line))
		if p.Column > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(p.Column))
		}
	}
	return b.String()
}

// Error is one problem in a config file.
type Error struct {
	Pos  Pos
	Path string // field path such as "brain.intents[2]"; empty for the whole file
	Msg  string
}

// Error formats e as "FILE:LINE:COL: PATH: MSG", leaving out the parts that are empty.
func (e *Error) Error() string {
	parts := make([]string, 0, 3)
	if p := e.Pos.String(); p != "" {
		parts = append(parts, p)
	}
	if e.Path != "" {
		parts = append(parts, e.Path)
	}
	parts = append(parts, e.Msg)
	return strings.Join(parts, ": ")
}

// Errors is every problem found in a config file, in file order.
type Errors []*Error

// Error lists the problems, one per line.
func (errs Errors) Error() string {
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives the problems to errors.Is and errors.As.
func (errs Errors) Unwrap() []error {
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return out
}

// Err returns nil when there are no problems, else a copy of errs sorted in
// file order. It lets a caller that appends its own validation errors return
// them without the typed-nil trap (a nil Errors in an error is not nil).
func (errs Errors) Err() error {
	if len(errs) == 0 {
		return nil
	}
	sorted := slices.Clone(errs)
	sortErrors(sorted)
	return sorted
}

func sortErrors(errs Errors) {
	slices.SortStableFunc(errs, func(a, b *Error) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
		)
	})
}

// Positions maps a field path ("brain.threshold", "brain.intents[1]",
// "links.docs", `links["a.b"]`) to where it was written. The root path ""
// is always present after Decode: the start of the document, or just the
// file name when the file is empty.
type Positions map[string]Pos

// Has reports whether the admin wrote the field at path.
func (p Positions) Has(path string) bool {
	_, ok := p[path]
	return ok
}

// At returns where path was written; if it was not, where its nearest
// written parent was ("brain" for "brain.threshold"), so that a problem
// with a default value still points at the right section.
func (p Positions) At(path string) Pos {
	for {
		if pos, ok := p[path]; ok {
			return pos
		}
		if path == "" {
			return Pos{}
		}
		path = parentPath(path)
	}
}

// Errorf returns an Error for path at the position given by At, for
// validation after Decode:
//
//	errs = append(errs, pos.Errorf("store.path", "%s does not exist", cfg.Store.Path))
func (p Positions) Errorf(path, format string, args ...any) *Error {
	return &Error{Pos: p.At(path), Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Show renders the value at path for a message: quoted as written, or
// "the value from ${NAME}" when it came from the environment, so that a
// validation message never prints a secret.
func (p Positions) Show(path string, value any) string {
	if pos, ok := p[path]; ok && pos.Env != "" {
		return "the " + fromEnv(strings.Split(pos.Env, ","))
	}
	if s, ok := value.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(value)
}

// parentPath drops the last element of a path: "a.b[2]" → "a.b",
// `a["x.y"]` → "a", "a" → "".
func parentPath(path string) string {
	last := 0
	for i := 0; i < len(path); {
		switch path[i] {
		case '.':
			last = i
			i++
		case '[':
			last = i
			i++
			if i < len(path) && path[i] == '"' {
				// Skip a quoted map key, which may hold '.', '[' and '\"'.
				for i++; i < len(path) && path[i] != '"'; i++ {
					if path[i] == '\\' {
						i++
					}
				}
			}
			for i < len(path) && path[i] != ']' {
				i++
			}
		default:
			i++
		}
	}
	return path[:last]
}

// joinField appends a struct field name to a path.
func joinField(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// joinKey appends a map key to a path, quoting keys that are not plain
// names so that the path can still be split: links.docs, links["a.b"].
func joinKey(path, key string) string {
	if !plainName(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	return joinField(path, key)
}

func joinIndex(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

func plainName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
