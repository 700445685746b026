// Package docseval measures how well a search finds the section of a
// community's docs that answers a member's question, for `docent eval
// docs`: recall@1 and recall@3 at section and at page level, MRR@3, how
// often it shows nothing for a question the docs answer and for one they
// do not, and how long it takes; for Docent's decision and, over the very
// same passages, for SQLite FTS5's bm25() (FTS5).
package docseval

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Set is a question file: questions with the sections that answer them,
// and questions the docs do not answer.
type Set struct {
	Questions  []Question   `yaml:"questions"`
	Unanswered []Unanswered `yaml:"unanswered"`
}

// Question is one the docs answer.
type Question struct {
	Q string `yaml:"q"`
	// Want is the sections that answer it ("path#anchor", the path
	// relative to the docs folder); finding any one counts.
	Want   Wants  `yaml:"want"`
	Source string `yaml:"source"` // where it was really asked
	// Intent, when set, names the intent whose answer is as right as the
	// docs' ("who are you" in the bot's own guide): the only intent that
	// may answer it without counting as taking it from the docs.
	Intent string `yaml:"intent"`
	// Heldout questions are kept out of tuning (see Split).
	Heldout bool `yaml:"heldout"`
}

// Wants is one section or a list of them.
type Wants []string

// UnmarshalYAML takes a single "path#anchor" or a list.
func (w *Wants) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*w = Wants{n.Value}
		return nil
	}
	return n.Decode((*[]string)(w))
}

// Unanswered is a question the docs do not answer.
type Unanswered struct {
	Q      string `yaml:"q"`
	Source string `yaml:"source"`
	// Intent, when set, names the intent whose answer is right for it.
	Intent  string `yaml:"intent"`
	Heldout bool   `yaml:"heldout"`
}

// UnmarshalYAML takes the question alone (docs/guide/eval.yaml's form) or
// a mapping with q, source and heldout.
func (u *Unanswered) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*u = Unanswered{Q: n.Value}
		return nil
	}
	type plain Unanswered // without this method
	return n.Decode((*plain)(u))
}

// Load reads a question file, strictly: an unknown field is an error that
// names it and its line.
func Load(name string) (Set, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return Set{}, fmt.Errorf("docs eval: read questions: %w", err)
	}
	set, err := Parse(data)
	if err != nil {
		return Set{}, fmt.Errorf("docs eval: %s: %w", name, err)
	}
	return set, nil
}

// Parse decodes a question file and checks that every question has its
// text and, when answered, a section.
func Parse(data []byte) (Set, error) {
	var set Set
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&set); err != nil {
		return Set{}, err
	}
	var errs []error
	for i, q := range set.Questions {
		if strings.TrimSpace(q.Q) == "" {
			errs = append(errs, fmt.Errorf("questions[%d]: q is empty", i))
		}
		if len(q.Want) == 0 {
			errs = append(errs, fmt.Errorf("questions[%d] (%q): want names no section", i, q.Q))
		}
	}
	for i, u := range set.Unanswered {
		if strings.TrimSpace(u.Q) == "" {
			errs = append(errs, fmt.Errorf("unanswered[%d]: q is empty", i))
		}
	}
	if len(set.Questions) == 0 && len(set.Unanswered) == 0 {
		errs = append(errs, errors.New("no questions"))
	}
	return set, errors.Join(errs...)
}

// Splits of a question file.
const (
	SplitDev     = "dev"     // the questions not held out: the ones to tune on
	SplitHeldout = "heldout" // only the held-out ones
	SplitAll     = "all"
)

// Split returns the questions of one split.
func (s Set) Split(split string) (Set, error) {
	var keep func(heldout bool) bool
	switch split {
	case SplitDev:
		keep = func(h bool) bool { return !h }
	case SplitHeldout:
		keep = func(h bool) bool { return h }
	case SplitAll:
		return s, nil
	default:
		return Set{}, fmt.Errorf("docs eval: unknown split %q: want %s, %s or %s", split, SplitDev, SplitHeldout, SplitAll)
	}
	var out Set
	for _, q := range s.Questions {
		if keep(q.Heldout) {
			out.Questions = append(out.Questions, q)
		}
	}
	for _, u := range s.Unanswered {
		if keep(u.Heldout) {
			out.Unanswered = append(out.Unanswered, u)
		}
	}
	return out, nil
}

// Section is the section a passage ID names, without the part suffix of a
// long section's later parts ("a.md#b~2" is "a.md#b").
func Section(id string) string {
	if i := strings.LastIndexByte(id, '~'); i >= 0 && i > strings.LastIndexByte(id, '#') && i > strings.LastIndexByte(id, '/') {
		return id[:i]
	}
	return id
}

// Page is the page a passage ID names: its section without the anchor.
func Page(id string) string {
	s := Section(id)
	if i := strings.IndexByte(s, '#'); i >= 0 {
		return s[:i]
	}
	return s
}

// Relative turns passage IDs of the index (which start with their
// folder's path) into IDs relative to the folder, as question files name
// sections. An ID of no folder is kept as it is.
func Relative(folders ...string) func(id string) string {
	prefixes := make([]string, len(folders))
	for i, f := range folders {
		prefixes[i] = path.Clean(f) + "/"
	}
	return func(id string) string {
		for _, p := range prefixes {
			if p == "./" { // path.Join(".", rel) is rel
				return id
			}
			if rest, ok := strings.CutPrefix(id, p); ok {
				return rest
			}
		}
		return id
	}
}
