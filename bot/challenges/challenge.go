package challenges

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/docent-bot/docent/bot/config"
)

// Challenge is one coding challenge, loaded and checked.
type Challenge struct {
	ID         string
	Title      string
	Difficulty string // easy, medium or hard
	Tags       []string
	Start, End time.Time
	Statement  string // Markdown
	// Parts are answered separately, each with its own points, attempts
	// and cooldown. A challenge without parts in its file has one Part
	// whose ID is "".
	Parts []*Part
	// Announce is false when the file turns announcements off for it.
	Announce bool
	// Where is the file and line that defines it, for messages.
	Where string

	at     config.Pos // where its id is written
	salt   []byte
	params Params
}

// Part is one answer a challenge asks for.
type Part struct {
	ID       string // "" for a challenge of one part
	Question string // Markdown shown under the statement; may be ""
	Points   int
	// Tolerance, when not nil, makes the answer a number compared on the
	// tolerance's grid (GridPoint); nil compares text (NormalizeText).
	Tolerance     *big.Rat
	ToleranceText string

	keys [][]byte // the accepted answers' hashes
}

// Points is the sum of the challenge's parts' points.
func (c *Challenge) Points() int {
	n := 0
	for _, p := range c.Parts {
		n += p.Points
	}
	return n
}

// Part returns the part with id ("" for a one-part challenge).
func (c *Challenge) Part(id string) (*Part, bool) {
	for _, p := range c.Parts {
		if p.ID == id {
			return p, true
		}
	}
	return nil, false
}

// Multipart reports whether the challenge has named parts.
func (c *Challenge) Multipart() bool {
	return len(c.Parts) > 1 || len(c.Parts) == 1 && c.Parts[0].ID != ""
}

// PartIDs lists the parts' IDs.
func (c *Challenge) PartIDs() []string {
	ids := make([]string, len(c.Parts))
	for i, p := range c.Parts {
		ids[i] = p.ID
	}
	return ids
}

// State is where a challenge is in its life.
type State int

const (
	Upcoming State = iota // before its start: no statement, no submissions
	Open                  // between start and end
	Closed                // from its end on: read-only
)

// StateAt is the challenge's state at t: open from Start (included) to End
// (excluded).
func (c *Challenge) StateAt(t time.Time) State {
	switch {
	case t.Before(c.Start):
		return Upcoming
	case t.Before(c.End):
		return Open
	}
	return Closed
}

// Set is every loaded challenge, by start time then ID, and the seasons.
type Set struct {
	list    []*Challenge
	byID    map[string]*Challenge
	seasons map[string][]string
}

// All returns the challenges, by start time then ID.
func (s *Set) All() []*Challenge {
	if s == nil {
		return nil
	}
	return s.list
}

// Get returns the challenge with id.
func (s *Set) Get(id string) (*Challenge, bool) {
	if s == nil {
		return nil, false
	}
	c, ok := s.byID[id]
	return c, ok
}

// Season returns the IDs of a season's challenges.
func (s *Set) Season(name string) ([]string, bool) {
	if s == nil {
		return nil, false
	}
	ids, ok := s.seasons[name]
	return ids, ok
}

// Seasons returns the seasons' names, sorted.
func (s *Set) Seasons() []string {
	if s == nil {
		return nil
	}
	return sortedKeys(s.seasons)
}

// File is one challenge file: its name as shown in messages, and its bytes.
type File struct {
	Name string
	Data []byte
}

// fileSpec is the shape of one challenge file; config.example.yaml's
// neighbour docs/guide/challenges.md documents every field.
type fileSpec struct {
	ID         string     `yaml:"id"`
	Title      string     `yaml:"title"`
	Difficulty string     `yaml:"difficulty"`
	Tags       []string   `yaml:"tags"`
	Points     *int       `yaml:"points"`
	Start      stamp      `yaml:"start"`
	End        stamp      `yaml:"end"`
	Statement  string     `yaml:"statement"`
	Answers    []string   `yaml:"answers"`
	Tolerance  string     `yaml:"tolerance"`
	Parts      []partSpec `yaml:"parts"`
	Announce   *bool      `yaml:"announce"`
}

type partSpec struct {
	ID        string   `yaml:"id"`
	Question  string   `yaml:"question"`
	Points    *int     `yaml:"points"`
	Answers   []string `yaml:"answers"`
	Tolerance string   `yaml:"tolerance"`
}

// stamp is a point in time as written in a challenge file.
type stamp struct {
	t   time.Time
	set bool
}

// UnmarshalText reads RFC 3339 with a time zone (2026-03-01T18:00:00Z,
// 2026-03-01T19:00:00+01:00), or a date alone for its midnight UTC.
func (s *stamp) UnmarshalText(b []byte) error {
	txt := strings.TrimSpace(string(b))
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00", time.DateOnly} {
		if t, err := time.Parse(layout, txt); err == nil {
			*s = stamp{t: t.UTC(), set: true}
			return nil
		}
	}
	return fmt.Errorf("%q is not a time like 2026-03-01T18:00:00Z or 2026-03-01T19:00:00+01:00 (RFC 3339, with its time zone) or a date like 2026-03-01 (midnight UTC)", oneLineOf(txt, 40))
}

func oneLineOf(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n]) + "…"
	}
	return s
}

var difficulties = []string{"easy", "medium", "hard"}

// Bounds on what a file may hold: statements are posted in chat.
const (
	maxTitle     = 200
	maxStatement = 16 << 10
	maxQuestion  = 4 << 10
	maxTags      = 10
	maxParts     = 26
	maxAnswers   = 20
	maxPoints    = 1_000_000
)

// DefaultPoints is a one-part challenge's points when the file gives none.
const DefaultPoints = 100

// Load reads the challenge files. Every problem in every file is reported
// at once, each with its file, line, column and field (config.Errors);
// nothing is loaded unless all of them are right. An empty list of files
// is an empty set.
func Load(files []File) (*Set, error) {
	set := &Set{byID: map[string]*Challenge{}, seasons: map[string][]string{}}
	var errs config.Errors
	salts := map[string]string{} // salt → the challenge that uses it
	for _, f := range files {
		c, ferrs := loadFile(f)
		errs = append(errs, ferrs...)
		if c == nil {
			continue
		}
		if prev, dup := set.byID[c.ID]; dup {
			errs = append(errs, &config.Error{Pos: c.at, Path: "id", Msg: fmt.Sprintf("challenge %q is already defined at %s", c.ID, prev.Where)})
			continue
		}
		if c.salt != nil {
			if other, dup := salts[string(c.salt)]; dup {
				errs = append(errs, &config.Error{Pos: c.at, Path: "answers",
					Msg: fmt.Sprintf("uses the same salt as challenge %q: give each challenge its own (`docent challenge hash` without --salt makes a new one)", other)})
				continue
			}
			salts[string(c.salt)] = c.ID
		}
		set.byID[c.ID] = c
		set.list = append(set.list, c)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(set.list, func(a, b *Challenge) int {
		return cmp.Or(a.Start.Compare(b.Start), strings.Compare(a.ID, b.ID))
	})
	return set, nil
}

// loadFile decodes and checks one file; c is nil when it cannot be used.
func loadFile(f File) (c *Challenge, errs config.Errors) {
	var spec fileSpec
	// Statements are shown to members: never expand environment
	// variables (secrets) into them.
	pos, err := config.Decode(f.Name, f.Data, &spec, config.Options{NoEnv: true})
	if err != nil {
		var ce config.Errors
		if !errors.As(err, &ce) {
			return nil, config.Errors{{Pos: config.Pos{File: f.Name}, Msg: err.Error()}}
		}
		errs = append(errs, ce...)
		if len(pos) <= 1 {
			return nil, errs // not YAML, or not a mapping: the checks below would only add noise
		}
	}
	bad := func(path, format string, args ...any) { errs = append(errs, pos.Errorf(path, format, args...)) }
	if !pos.Has("id") && len(pos) <= 1 {
		bad("", "the file is empty; a challenge file has id, title, difficulty, start, end, statement and answers (see docs/guide/challenges.md)")
		return nil, errs
	}
	c = &Challenge{ID: spec.ID, Title: strings.TrimSpace(spec.Title), Difficulty: spec.Difficulty, Tags: spec.Tags,
		Start: spec.Start.t, End: spec.End.t, Statement: strings.TrimSpace(spec.Statement), Announce: spec.Announce == nil || *spec.Announce,
		Where: fmt.Sprintf("%s:%d", f.Name, pos.At("id").Line), at: pos.At("id")}

	switch {
	case !pos.Has("id"):
		bad("id", "is required: the name members type, like two-sum")
	case !idPattern.MatchString(spec.ID):
		bad("id", "%q: use 1 to 64 lowercase letters, digits, - and _, starting with a letter or digit, like two-sum", spec.ID)
	}
	switch {
	case c.Title == "":
		bad("title", "is required")
	case utf8.RuneCountInString(c.Title) > maxTitle || strings.ContainsAny(c.Title, "\n\r"):
		bad("title", "must be one line of at most %d characters", maxTitle)
	}
	if !slices.Contains(difficulties, spec.Difficulty) {
		if !pos.Has("difficulty") {
			bad("difficulty", "is required: one of %s", strings.Join(difficulties, ", "))
		} else {
			bad("difficulty", "%q is not one of %s", spec.Difficulty, strings.Join(difficulties, ", "))
		}
	}
	if len(spec.Tags) > maxTags {
		bad("tags", "has %d tags; at most %d", len(spec.Tags), maxTags)
	}
	for i, tag := range spec.Tags {
		if tag = strings.TrimSpace(tag); tag == "" || len(tag) > 40 || strings.ContainsAny(tag, "\n\r,") {
			bad(fmt.Sprintf("tags[%d]", i), "a tag is one word or short phrase of at most 40 bytes, without commas")
		}
	}
	for _, t := range []struct {
		field string
		s     stamp
	}{{"start", spec.Start}, {"end", spec.End}} {
		if !t.s.set && !errsAt(errs, t.field) { // (a time that does not parse is reported already)
			bad(t.field, "is required: a time with its zone, like 2026-03-01T18:00:00Z")
		}
	}
	if spec.Start.set && spec.End.set && !spec.End.t.After(spec.Start.t) {
		bad("end", "%s is not after start (%s)", spec.End.t.Format(time.RFC3339), spec.Start.t.Format(time.RFC3339))
	}
	switch {
	case c.Statement == "":
		bad("statement", "is required: the challenge as members read it (Markdown)")
	case len(c.Statement) > maxStatement:
		bad("statement", "is %d bytes; at most %d (it is posted in chat)", len(c.Statement), maxStatement)
	}

	// Parts: the file has either answers (one part) or parts.
	var hashes []hashAt
	if len(spec.Parts) > 0 && (pos.Has("answers") || pos.Has("tolerance")) {
		bad("parts", "a challenge has either answers (and tolerance) or parts, each with its answers; not both")
	}
	switch {
	case len(spec.Parts) > 0:
		if len(spec.Parts) > maxParts {
			bad("parts", "has %d parts; at most %d", len(spec.Parts), maxParts)
		}
		if spec.Points != nil {
			bad("points", "with parts, points go on each part (each defaults to %d)", DefaultPoints)
		}
		seen := map[string]bool{}
		for i, ps := range spec.Parts {
			path := fmt.Sprintf("parts[%d]", i)
			switch {
			case ps.ID == "":
				bad(path+".id", "is required: the name members type after the challenge's, like a")
			case !idPattern.MatchString(ps.ID):
				bad(path+".id", "%q: use lowercase letters, digits, - and _, like a or part-2", ps.ID)
			case seen[ps.ID]:
				bad(path+".id", "part %q is defined twice", ps.ID)
			}
			seen[ps.ID] = true
			q := strings.TrimSpace(ps.Question)
			if len(q) > maxQuestion {
				bad(path+".question", "is %d bytes; at most %d", len(q), maxQuestion)
			}
			p := &Part{ID: ps.ID, Question: q, Points: points(ps.Points, path, bad)}
			hashes = append(hashes, part(p, ps.Answers, ps.Tolerance, path, pos, bad)...)
			c.Parts = append(c.Parts, p)
		}
	default:
		if !pos.Has("answers") {
			bad("answers", "is required: the hashes of the accepted answers, from `docent challenge hash` (or parts, each with its answers)")
		}
		p := &Part{Points: points(spec.Points, "", bad)}
		hashes = part(p, spec.Answers, spec.Tolerance, "", pos, bad)
		c.Parts = []*Part{p}
	}
	// One salt and one set of parameters per challenge: a submission is
	// hashed once.
	for i, h := range hashes {
		if i == 0 {
			c.salt, c.params = h.salt, h.params
			continue
		}
		if !bytes.Equal(h.salt, c.salt) || h.params != c.params {
			bad(h.path, "has another salt or other parameters than %s: hash every answer of a challenge with the same salt (`docent challenge hash --salt %s ...`)",
				hashes[0].path, b64.EncodeToString(c.salt))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

// errsAt reports whether errs has an error about path.
func errsAt(errs config.Errors, path string) bool {
	for _, e := range errs {
		if e.Path == path {
			return true
		}
	}
	return false
}

type hashAt struct {
	answerHash
	path string
}

func points(p *int, path string, bad func(path, format string, args ...any)) int {
	if p == nil {
		return DefaultPoints
	}
	field := "points"
	if path != "" {
		field = path + ".points"
	}
	if *p < 1 || *p > maxPoints {
		bad(field, "must be 1 to %d, got %d", maxPoints, *p)
	}
	return *p
}

// part fills p's answers and tolerance, reporting problems under path.
func part(p *Part, answers []string, tolerance, path string, pos config.Positions, bad func(path, format string, args ...any)) []hashAt {
	field := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	if tolerance != "" {
		t, err := ParseTolerance(tolerance)
		if err != nil {
			bad(field("tolerance"), "%v", err)
		}
		p.Tolerance, p.ToleranceText = t, tolerance
	}
	if len(answers) == 0 && pos.Has(field("answers")) || path != "" && len(answers) == 0 {
		bad(field("answers"), "needs at least one hash, from `docent challenge hash`")
	}
	if len(answers) > maxAnswers {
		bad(field("answers"), "has %d answers; at most %d", len(answers), maxAnswers)
	}
	var out []hashAt
	for i, a := range answers {
		at := fmt.Sprintf("%s[%d]", field("answers"), i)
		h, err := parseHash(strings.TrimSpace(a))
		if err != nil {
			bad(at, "%v", err)
			continue
		}
		p.keys = append(p.keys, h.key)
		out = append(out, hashAt{h, at})
	}
	return out
}

// CheckSeasons checks that every season lists known challenges, and that
// no season is named like a challenge (`leaderboard <name>` takes both);
// pos and prefix place the errors in the config file ("challenges.seasons").
// It keeps the seasons for Season.
func (s *Set) CheckSeasons(seasons map[string][]string, pos config.Positions, prefix string) config.Errors {
	var errs config.Errors
	for _, name := range sortedKeys(seasons) {
		if _, clash := s.byID[name]; clash {
			errs = append(errs, pos.Errorf(prefix+"."+name, "season %q has the name of a challenge (%s): `leaderboard %s` must mean one thing; rename the season", name, s.byID[name].Where, name))
		}
		for i, id := range seasons[name] {
			if _, ok := s.byID[id]; !ok {
				path := fmt.Sprintf("%s.%s[%d]", prefix, name, i)
				msg := fmt.Sprintf("no challenge %q in the challenges folder", id)
				if best := config.Closest(id, sortedKeys(s.byID)); best != "" {
					msg += fmt.Sprintf("; did you mean %q?", best)
				}
				errs = append(errs, pos.Errorf(path, "%s", msg))
			}
		}
	}
	if len(errs) == 0 {
		s.seasons = seasons
	}
	return errs
}
