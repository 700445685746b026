// Package config decodes Docent's YAML configuration strictly, reporting
// every problem at once with file, line, column and field path, so that an
// admin can fix the whole file in one go before anything starts.
//
// Decode is generic: it fills any struct whose fields carry `yaml:"name"`
// tags. Rules an admin can rely on:
//
//   - Unknown fields, wrong types, out-of-range numbers, bad durations and
//     duplicate keys are errors; nothing is silently ignored.
//   - Fields that are not written keep the defaults already in the struct.
//     A written section (mapping) is merged field by field into its
//     defaults; a written list or map replaces the default list or map.
//   - An empty value (`key:` or `~`) keeps a section's defaults, empties a
//     list or map, zeroes a plain value and unsets an optional (pointer) one.
//   - ${NAME} and ${NAME:-default} in values are replaced from the
//     environment; $$ is a literal $. Keys are never expanded. Error messages
//     name variables but never show their values.
//   - Anchors (&a), aliases (*a) and merge keys (<<: *a) work as in YAML:
//     keys written next to << win over merged ones, and with a list of
//     merged mappings the earlier mapping wins.
package config

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/docent-bot/docent/brain/typo"
)

// Options tune Decode.
type Options struct {
	// Getenv looks up environment variables for ${NAME}; nil means os.LookupEnv.
	Getenv func(name string) (string, bool)
	// NoEnv takes every value as written: no ${NAME} expansion. For files
	// whose text is shown to members (intents), where an environment
	// variable could leak a secret.
	NoEnv bool
	// Placed are values to decode at paths where dst's structs have no
	// field, each a non-nil pointer to a struct with its defaults: a
	// feature module's section written inside another section
	// ("llm.budget"). They are decoded as strictly as any field.
	Placed map[string]any
}

const (
	// maxErrors bounds the report for files that are wrong everywhere
	// (for example a file that is not a config at all).
	maxErrors = 1000
	// minVisits and visitsPerNode bound the work spent on aliases, so that a
	// small file with nested aliases ("billion laughs") cannot exhaust memory.
	minVisits     = 10000
	visitsPerNode = 10
)

// Decode decodes the YAML in data, read from file, into dst, which must be a
// pointer to a struct already filled with defaults.
//
// It returns the position of every path it decoded, for messages about
// values that are valid YAML but wrong for the bot (see Positions.Errorf),
// and, if anything is wrong, an Errors listing every problem in file order.
// When the error is not nil dst may be partly filled and must not be used.
func Decode(file string, data []byte, dst any, opts Options) (Positions, error) {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("config: Decode needs a non-nil pointer to a struct, got %T", dst)
	}
	d := &decoder{
		file:    file,
		getenv:  opts.Getenv,
		noEnv:   opts.NoEnv,
		pos:     Positions{"": {File: file}},
		seen:    make(map[errorKey]bool),
		scalars: make(map[*yaml.Node]scalar),
		onStack: make(map[*yaml.Node]bool),
		merging: make(map[*yaml.Node]bool),
		types:   make(map[reflect.Type]*structInfo),
		placed:  opts.Placed,
	}
	for at, p := range opts.Placed {
		if v := reflect.ValueOf(p); v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
			return nil, fmt.Errorf("config: Decode: the value placed at %s must be a non-nil pointer to a struct, got %T", at, p)
		}
	}
	if d.getenv == nil {
		d.getenv = os.LookupEnv
	}
	d.run(data, rv.Elem())
	if len(d.errs) == 0 {
		return d.pos, nil
	}
	sortErrors(d.errs)
	return d.pos, d.errs
}

type decoder struct {
	file   string
	getenv func(string) (string, bool)
	noEnv  bool

	errs    Errors
	seen    map[errorKey]bool // errors already reported: aliased values are decoded once per use
	stopped bool              // too many errors or too much alias expansion: stop decoding

	pos     Positions
	scalars map[*yaml.Node]scalar // env-expanded values, so each ${...} problem is reported once

	onStack    map[*yaml.Node]bool // collections being decoded, to catch values that contain themselves
	merging    map[*yaml.Node]bool // mappings being expanded for <<
	visits     int
	maxVisits  int
	aliasDepth int
	aliasAt    Pos    // where the outermost alias being expanded was written
	aliasPath  string // and its path: the place to blame when expansion runs away

	types  map[reflect.Type]*structInfo
	placed map[string]any // Options.Placed
}

type errorKey struct {
	pos Pos
	msg string
}

// scalar is a value after environment expansion.
type scalar struct {
	s    string
	vars []string // variables it came from; when set, s must not appear in messages
	ok   bool     // false when expansion failed (already reported)
}

// expected says the value is not of the wanted kind: `expected a number,
// got "fifty"`, or for a value from the environment `value from ${N} is not
// a number`.
func (v scalar) expected(want string) string {
	if len(v.vars) > 0 {
		return fromEnv(v.vars) + " is not " + want
	}
	return "expected " + want + ", got " + quote(v.s)
}

// is states a problem with the value: `"30 seconds" is not a duration`,
// or `value from ${T} is not a duration`.
func (v scalar) is(problem string) string {
	if len(v.vars) > 0 {
		return fromEnv(v.vars) + " " + problem
	}
	return quote(v.s) + " " + problem
}

func quote(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return strconv.Quote(s)
}

func (d *decoder) run(data []byte, dst reflect.Value) {
	defer func() {
		// Decode must never take the bot down with a panic; a panic here is
		// a bug (or a panicking UnmarshalYAML), so say so in the report.
		if r := recover(); r != nil {
			d.errs = append(d.errs, &Error{Pos: Pos{File: d.file}, Msg: fmt.Sprintf("internal error while reading the config (please report): %v", r)})
		}
	}()
	root, perr := d.parse(data)
	if perr != nil {
		d.errs = append(d.errs, perr)
		return
	}
	if root == nil {
		return
	}
	d.maxVisits = minVisits + visitsPerNode*countNodes(root)
	d.decode(root, dst, "", d.nodePos(root))
}

// parse reads one YAML document. It returns a nil root for an empty file.
func (d *decoder) parse(data []byte) (root *yaml.Node, perr *Error) {
	defer func() {
		if r := recover(); r != nil {
			root, perr = nil, &Error{Pos: Pos{File: d.file}, Msg: fmt.Sprintf("invalid YAML: %v", r)}
		}
	}()
	// yaml.v3 reads UTF-16 after a byte order mark, and its lines and
	// columns are then those of the converted text, not of the file's
	// bytes: every position reported would be wrong. Editors save UTF-8.
	if bytes.HasPrefix(data, []byte("\xfe\xff")) || bytes.HasPrefix(data, []byte("\xff\xfe")) {
		return nil, &Error{Pos: Pos{File: d.file, Line: 1}, Msg: "the file is UTF-16 (it starts with a byte order mark); save it as UTF-8"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, d.syntaxError(data, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, d.syntaxError(data, err)
	case !emptyDocument(&extra):
		return nil, &Error{Pos: d.nodePos(&extra), Msg: "the file holds a second YAML document (a line with --- starts a new one); put the whole config in one document"}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// emptyDocument reports whether doc holds nothing, as after a trailing ---.
func emptyDocument(doc *yaml.Node) bool {
	for _, n := range doc.Content {
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!null" || n.Value != "" {
			return false
		}
	}
	return true
}

var (
	lineRE          = regexp.MustCompile(`^line (\d+): (?s:(.*))$`)
	unknownAnchorRE = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)
)

// syntaxError turns a yaml.v3 parse error ("yaml: line N: problem") into an
// Error with its line.
//
// yaml.v3 numbers lines from 0 internally and adds 1 for scanner errors
// only, so its parser errors ("did not find expected key") name the line
// before the one meant, and any error on the first line has no line at all.
// A few problems have no position: find those in the text.
func (d *decoder) syntaxError(data []byte, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	pos := Pos{File: d.file}
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if parserProblem(msg) {
			pos.Line++
		}
		// A problem at the end of the file is placed on the line after
		// the last one; point at the last one instead.
		pos.Line = min(pos.Line, max(countLines(data), 1))
	} else if m := unknownAnchorRE.FindStringSubmatch(msg); m != nil {
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			pos.Line, pos.Column = lineCol(data, i)
		}
		msg = fmt.Sprintf("alias *%s refers to no anchor &%s written before it", m[1], m[1])
	} else if strings.Contains(msg, "UTF-8") || strings.Contains(msg, "control characters") || strings.Contains(msg, "Unicode") {
		if i := badChar(data); i >= 0 {
			pos.Line, pos.Column = lineCol(data, i)
		}
	} else {
		pos.Line = 1
	}
	return &Error{Pos: pos, Msg: "invalid YAML: " + msg}
}

// parserProblem reports whether msg comes from yaml.v3's parser (whose
// line numbers are one short) rather than its scanner.
func parserProblem(msg string) bool {
	return strings.HasPrefix(msg, "did not find expected ") ||
		strings.HasPrefix(msg, "found undefined tag handle") ||
		strings.HasPrefix(msg, "found duplicate %") ||
		strings.HasPrefix(msg, "found incompatible YAML document")
}

// countLines counts lines as an editor shows them, with YAML's line breaks.
func countLines(data []byte) int {
	n := 0
	atStart := true // at the start of a line that has no character yet
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		i += size
		switch r {
		case '\r':
			if i < len(data) && data[i] == '\n' {
				i++
			}
			fallthrough
		case '\n', 0x85, 0x2028, 0x2029:
			n++
			atStart = true
		default:
			atStart = false
		}
	}
	if !atStart {
		n++ // the last line has no line break
	}
	return n
}

// lineCol converts a byte offset into a 1-based line and column (in runes).
func lineCol(data []byte, off int) (line, col int) {
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return bytes.Count(data[:off], []byte("\n")) + 1, utf8.RuneCount(data[start:off]) + 1
}

// badChar returns the offset of the first byte YAML does not allow, or -1.
func badChar(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1,
			r < 0x20 && r != '\t' && r != '\n' && r != '\r',
			r == 0x7f,
			0x80 <= r && r <= 0x9f && r != 0x85,
			r == 0xfffe || r == 0xffff:
			return i
		}
		i += size
	}
	return -1
}

func countNodes(root *yaml.Node) int {
	n := 0
	stack := []*yaml.Node{root}
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n++
		stack = append(stack, top.Content...) // aliases are not followed: Content of an alias is empty
	}
	return n
}

func (d *decoder) nodePos(n *yaml.Node) Pos {
	return Pos{File: d.file, Line: n.Line, Column: n.Column}
}

// valuePos is where the value of key is said to be: the value itself, or the
// key when the value is a block below it (or nothing at all), because the
// block starts at its first inner key, which would point at the wrong line.
func (d *decoder) valuePos(key, val *yaml.Node) Pos {
	switch {
	case (val.Kind == yaml.MappingNode || val.Kind == yaml.SequenceNode) && val.Style&yaml.FlowStyle == 0,
		val.Kind == yaml.ScalarNode && val.Value == "" && val.ShortTag() == "!!null":
		return d.nodePos(key)
	}
	return d.nodePos(val)
}

func (d *decoder) errorf(at Pos, path, format string, args ...any) {
	if d.stopped {
		return
	}
	msg := fmt.Sprintf(format, args...)
	key := errorKey{at, msg}
	if d.seen[key] {
		return
	}
	d.seen[key] = true
	if len(d.errs) == maxErrors {
		d.errs = append(d.errs, &Error{Pos: at, Path: path, Msg: fmt.Sprintf("too many errors; stopped after %d", maxErrors)})
		d.stopped = true
		return
	}
	d.errs = append(d.errs, &Error{Pos: at, Path: path, Msg: msg})
}

// tick counts work and stops decoding when aliases multiply it beyond reason.
func (d *decoder) tick(at Pos, path string) bool {
	if d.stopped {
		return false
	}
	d.visits++
	if d.visits > d.maxVisits {
		if d.aliasDepth > 0 {
			at, path = d.aliasAt, d.aliasPath
		}
		d.errorf(at, path, "aliases (*name) here expand to far more data than the file holds; nest fewer aliases")
		d.stopped = true
		return false
	}
	return true
}

func (d *decoder) enterAlias(at Pos, path string) {
	if d.aliasDepth == 0 {
		d.aliasAt, d.aliasPath = at, path
	}
	d.aliasDepth++
}

func (d *decoder) leaveAlias() { d.aliasDepth-- }

// decode decodes n into v, which must be settable, and records path at at.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string, at Pos) {
	if !d.tick(at, path) {
		return
	}
	var alias *yaml.Node
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			d.errorf(at, path, "alias *%s refers to no anchor", n.Value)
			return
		}
		alias, n = n, n.Alias
	}
	if alias != nil {
		d.enterAlias(at, path)
		defer d.leaveAlias()
	}
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		if d.onStack[n] {
			if alias != nil {
				d.errorf(at, path, "alias *%s is used inside its own anchor &%s, so the value would contain itself", alias.Value, alias.Value)
			} else {
				d.errorf(at, path, "<< merges a mapping into itself, so the value would contain itself")
			}
			return
		}
		d.onStack[n] = true
		defer delete(d.onStack, n)
	}
	d.pos[path] = at
	d.value(n, v, path, at)
	if sc, ok := d.scalars[n]; ok && len(sc.vars) > 0 {
		at.Env = strings.Join(sc.vars, ",")
		d.pos[path] = at
	}
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	nodeType            = reflect.TypeFor[yaml.Node]()
	yamlUnmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// value decodes the (non-alias) node n into v according to v's type.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string, at Pos) {
	t := v.Type()
	null := n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"

	if t.Kind() == reflect.Pointer {
		if null {
			v.SetZero()
			return
		}
		// Decode into a copy, so that a default shared with other values
		// is never written through.
		nv := reflect.New(t.Elem())
		if !v.IsNil() {
			nv.Elem().Set(v.Elem())
		}
		d.value(n, nv.Elem(), path, at)
		v.Set(nv)
		return
	}

	if pt := reflect.PointerTo(t); pt.Implements(yamlUnmarshalerType) || pt.Implements(textUnmarshalerType) {
		if null {
			v.SetZero()
			return
		}
		if pt.Implements(yamlUnmarshalerType) {
			d.unmarshalYAML(n, v.Addr().Interface().(yaml.Unmarshaler), path, at)
		} else {
			d.unmarshalText(n, v.Addr().Interface().(encoding.TextUnmarshaler), path, at)
		}
		return
	}

	switch t {
	case durationType:
		d.duration(n, v, path, at)
		return
	case nodeType:
		// A raw node, for parts decoded later (say, a plugin's own options):
		// hand it over expanded, with aliases resolved.
		if c, _, ok := d.expanded(n, path, at); ok {
			v.Set(reflect.ValueOf(c).Elem())
		}
		return
	}

	switch t.Kind() {
	case reflect.Struct:
		if null {
			return // an empty section keeps its defaults
		}
		if n.Kind != yaml.MappingNode {
			d.mismatch(n, path, at, "a section (mapping)")
			return
		}
		d.structFields(n, v, path, at)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			d.unsupported(path, at, t)
			return
		}
		if null {
			v.Set(reflect.MakeMap(t))
			return
		}
		if n.Kind != yaml.MappingNode {
			d.mismatch(n, path, at, "a mapping")
			return
		}
		d.mapEntries(n, v, path, at)
	case reflect.Slice:
		if null {
			v.SetZero()
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.mismatch(n, path, at, "a list")
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i), joinIndex(path, i), d.nodePos(c))
		}
		v.Set(s)
	case reflect.Interface:
		if t.NumMethod() != 0 {
			d.unsupported(path, at, t)
			return
		}
		d.anyValue(n, v, path, at)
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		if null {
			v.SetZero()
			return
		}
		d.plain(n, v, path, at)
	default:
		d.unsupported(path, at, t)
	}
}

func (d *decoder) unsupported(path string, at Pos, t reflect.Type) {
	d.errorf(at, path, "cannot decode into Go type %s (a bug in the program, not in the config)", t)
}

// mismatch reports that n is not the kind of value wanted.
func (d *decoder) mismatch(n *yaml.Node, path string, at Pos, want string) {
	switch n.Kind {
	case yaml.MappingNode:
		d.errorf(at, path, "expected %s, got a mapping", want)
	case yaml.SequenceNode:
		d.errorf(at, path, "expected %s, got a list", want)
	default:
		if v := d.scalar(n, path); v.ok {
			d.errorf(at, path, "%s", v.expected(want))
		}
	}
}

// scalar returns the value of n after environment expansion, reporting
// expansion problems (once per node) at the node itself.
func (d *decoder) scalar(n *yaml.Node, path string) scalar {
	if v, ok := d.scalars[n]; ok {
		return v
	}
	if d.noEnv {
		v := scalar{s: n.Value, ok: true}
		d.scalars[n] = v
		return v
	}
	s, vars, problems := expandEnv(n.Value, d.getenv)
	for _, p := range problems {
		d.errorf(d.nodePos(n), path, "%s", p)
	}
	v := scalar{s: s, vars: vars, ok: len(problems) == 0}
	d.scalars[n] = v
	return v
}

func (d *decoder) duration(n *yaml.Node, v reflect.Value, path string, at Pos) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		v.SetZero()
		return
	}
	if n.Kind != yaml.ScalarNode {
		d.mismatch(n, path, at, "a duration such as 30s, 1m30s or 2h")
		return
	}
	s := d.scalar(n, path)
	if !s.ok {
		return
	}
	dur, err := time.ParseDuration(s.s) // also takes a bare 0
	if err != nil {
		d.errorf(at, path, "%s", s.is("is not a duration; write e.g. 30s, 1m30s, 2h"))
		return
	}
	v.SetInt(int64(dur))
}

// plain decodes a scalar into a string, bool or number.
func (d *decoder) plain(n *yaml.Node, v reflect.Value, path string, at Pos) {
	t := v.Type()
	if n.Kind != yaml.ScalarNode {
		want := "a number"
		switch t.Kind() {
		case reflect.String:
			want = "text"
		case reflect.Bool:
			want = "true or false"
		}
		d.mismatch(n, path, at, want)
		return
	}
	s := d.scalar(n, path)
	if !s.ok {
		return
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(s.s)
	case reflect.Bool:
		switch strings.ToLower(s.s) {
		case "true", "yes", "on":
			v.SetBool(true)
		case "false", "no", "off":
			v.SetBool(false)
		default:
			d.errorf(at, path, "%s", s.expected("true or false"))
		}
	case reflect.Float32, reflect.Float64:
		f, problem := parseFloat(s, t.Bits())
		if problem != "" {
			d.errorf(at, path, "%s", problem)
			return
		}
		v.SetFloat(f)
	default: // integers
		i, problem := parseInt(s, t)
		if problem != "" {
			d.errorf(at, path, "%s", problem)
			return
		}
		if t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uintptr {
			v.SetUint(i.Uint64())
		} else {
			v.SetInt(i.Int64())
		}
	}
}

// parseInt reads an integer as YAML writes it (1000, 1_000, 0x3e8, 0o17,
// 0b101, 1e3) and checks it fits t. It returns a message on failure.
// A leading zero does not mean octal: admins write 0755 for files but 010
// for ten far more often than they mean eight.
func parseInt(s scalar, t reflect.Type) (*big.Int, string) {
	txt := s.s
	base := 0
	if digits := strings.TrimLeft(txt, "+-"); len(digits) > 1 && digits[0] == '0' && '0' <= digits[1] && digits[1] <= '9' {
		base = 10
	}
	i, ok := new(big.Int).SetString(txt, base)
	if !ok {
		f, err := strconv.ParseFloat(yamlFloatText(txt), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) || math.IsNaN(f) {
			return nil, s.expected("a number")
		}
		if !math.IsInf(f, 0) && f != math.Trunc(f) {
			return nil, s.expected("a whole number")
		}
		if math.IsInf(f, 0) {
			f = math.Copysign(math.MaxFloat64, f) // reported as out of range below
		}
		i, _ = new(big.Float).SetFloat64(f).Int(nil)
	}
	var lo, hi *big.Int
	bits := uint(t.Bits())
	if t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uintptr {
		if i.Sign() < 0 {
			return nil, s.is("is negative; expected 0 or more")
		}
		lo, hi = big.NewInt(0), new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), bits), big.NewInt(1))
	} else {
		hi = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), bits-1), big.NewInt(1))
		lo = new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), bits-1))
	}
	switch {
	case i.Cmp(hi) > 0:
		return nil, s.is("is too large (at most " + hi.String() + ")")
	case i.Cmp(lo) < 0:
		return nil, s.is("is too small (at least " + lo.String() + ")")
	}
	return i, ""
}

// yamlFloatText maps YAML's .inf and .nan spellings to Go's.
func yamlFloatText(s string) string {
	switch strings.ToLower(s) {
	case ".inf", "+.inf":
		return "+Inf"
	case "-.inf":
		return "-Inf"
	case ".nan":
		return "NaN"
	}
	return s
}

func parseFloat(s scalar, bits int) (float64, string) {
	f, err := strconv.ParseFloat(yamlFloatText(s.s), bits)
	switch {
	case err == nil:
		return f, ""
	case errors.Is(err, strconv.ErrRange):
		return 0, s.is("is too large for this field")
	}
	// Integers in other bases (0x10) are numbers too.
	if i, ok := new(big.Int).SetString(s.s, 0); ok {
		f, _ := new(big.Float).SetInt(i).Float64()
		if bits == 32 && math.Abs(f) > math.MaxFloat32 || math.IsInf(f, 0) {
			return 0, s.is("is too large for this field")
		}
		return f, ""
	}
	return 0, s.expected("a number")
}

// entry is one key: value of a mapping, after merges (<<) are applied.
type entry struct {
	key, val *yaml.Node
	name     string
}

// entries lists the keys of mapping n, reporting duplicates and applying
// merge keys: keys written in n win over merged ones, and of several
// merged mappings the first wins, as YAML specifies.
func (d *decoder) entries(n *yaml.Node, path string) []entry {
	if d.merging[n] {
		d.errorf(d.nodePos(n), path, "<< merges a mapping into itself")
		return nil
	}
	d.merging[n] = true
	defer delete(d.merging, n)

	var out []entry
	first := make(map[string]*yaml.Node)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !d.tick(d.nodePos(k), path) {
			return nil
		}
		kr := k
		if kr.Kind == yaml.AliasNode && kr.Alias != nil {
			kr = kr.Alias
		}
		if kr.Kind != yaml.ScalarNode {
			d.errorf(d.nodePos(k), path, "a key must be a name, not a mapping or a list")
			continue
		}
		if kr.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if prev, dup := first[kr.Value]; dup {
			d.errorf(d.nodePos(k), path, "duplicate key %q (first written at line %d)", kr.Value, prev.Line)
			continue
		}
		first[kr.Value] = k
		out = append(out, entry{key: k, val: v, name: kr.Value})
	}
	for _, m := range merges {
		for _, src := range d.mergeSources(m, path) {
			for _, e := range d.entries(src, path) {
				if _, ok := first[e.name]; !ok {
					first[e.name] = e.key
					out = append(out, e)
				}
			}
		}
	}
	return out
}

// mergeSources returns the mappings named by the value of a << key.
func (d *decoder) mergeSources(m *yaml.Node, path string) []*yaml.Node {
	const want = "<< (merge) needs a mapping, an alias to one, or a list of them"
	deref := func(n *yaml.Node) *yaml.Node {
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		return n
	}
	at := d.nodePos(m)
	switch r := deref(m); r.Kind {
	case yaml.MappingNode:
		return []*yaml.Node{r}
	case yaml.SequenceNode:
		var out []*yaml.Node
		for _, c := range r.Content {
			if cr := deref(c); cr.Kind == yaml.MappingNode {
				out = append(out, cr)
			} else {
				d.errorf(d.nodePos(c), path, "%s", want)
			}
		}
		return out
	default:
		d.errorf(at, path, "%s", want)
		return nil
	}
}

func (d *decoder) structFields(n *yaml.Node, v reflect.Value, path string, at Pos) {
	info := d.structInfo(v.Type())
	if info.problem != "" {
		d.errorf(at, path, "cannot decode into Go type %s: %s (a bug in the program, not in the config)", v.Type(), info.problem)
		return
	}
	for _, e := range d.entries(n, path) {
		if f, ok := info.fields[e.name]; ok {
			d.decode(e.val, v.FieldByIndex(f), joinField(path, e.name), d.valuePos(e.key, e.val))
			continue
		}
		if p, ok := d.placed[joinField(path, e.name)]; ok {
			d.decode(e.val, reflect.ValueOf(p).Elem(), joinField(path, e.name), d.valuePos(e.key, e.val))
			continue
		}
		if info.inlineMap == nil {
			d.errorf(d.nodePos(e.key), path, "%s", unknownField(e.name, d.placedNames(path, info.names)))
			continue
		}
		m := v.FieldByIndex(info.inlineMap)
		if m.IsNil() {
			m.Set(reflect.MakeMap(m.Type()))
		}
		elem := reflect.New(m.Type().Elem()).Elem()
		d.decode(e.val, elem, joinKey(path, e.name), d.valuePos(e.key, e.val))
		m.SetMapIndex(reflect.ValueOf(e.name).Convert(m.Type().Key()), elem)
	}
}

// mapEntries decodes a mapping into a map, replacing what was there: the
// admin's map is the whole map.
func (d *decoder) mapEntries(n *yaml.Node, v reflect.Value, path string, at Pos) {
	t := v.Type()
	es := d.entries(n, path)
	m := reflect.MakeMapWithSize(t, len(es))
	for _, e := range es {
		elem := reflect.New(t.Elem()).Elem()
		d.decode(e.val, elem, joinKey(path, e.name), d.valuePos(e.key, e.val))
		m.SetMapIndex(reflect.ValueOf(e.name).Convert(t.Key()), elem)
	}
	v.Set(m)
}

// placedNames are the names of a struct's fields at path, then the
// names of the values placed in it (Options.Placed), for messages.
func (d *decoder) placedNames(path string, names []string) []string {
	var placed []string
	for at := range d.placed {
		parent, name := "", at
		if i := strings.LastIndexByte(at, '.'); i >= 0 {
			parent, name = at[:i], at[i+1:]
		}
		if parent == path {
			placed = append(placed, name)
		}
	}
	slices.Sort(placed)
	return append(slices.Clip(names), placed...)
}

func unknownField(name string, known []string) string {
	if s := Closest(name, known); s != "" {
		return fmt.Sprintf("unknown field %q; did you mean %q?", name, s)
	}
	if len(known) == 0 {
		return fmt.Sprintf("unknown field %q: this section has no fields", name)
	}
	return fmt.Sprintf("unknown field %q; known fields: %s", name, strings.Join(known, ", "))
}

// Closest returns the known name nearest to name by edit distance, if it is
// near enough to be a typo (modle → model), else "".
func Closest(name string, known []string) string {
	best, bestDist := "", math.MaxInt
	lname := strings.ToLower(name)
	for _, k := range known {
		if dist := typo.Distance(lname, strings.ToLower(k)); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	longest := max(utf8.RuneCountInString(name), utf8.RuneCountInString(best))
	if best == "" || bestDist > 2 || bestDist*3 > longest {
		return ""
	}
	return best
}

// structInfo is what Decode needs to know about a struct type.
type structInfo struct {
	fields    map[string][]int // yaml name → field index path
	names     []string         // yaml names in declaration order, for messages
	inlineMap []int            // `yaml:",inline"` map that takes unknown keys, if any
	problem   string           // why the type cannot be decoded into, if it cannot
}

func (d *decoder) structInfo(t reflect.Type) *structInfo {
	if info, ok := d.types[t]; ok {
		return info
	}
	info := &structInfo{fields: make(map[string][]int)}
	info.collect(t, nil)
	d.types[t] = info
	return info
}

// collect adds the fields of t, following yaml.v3's rules: the name is the
// tag's, or the lowercased field name; "-" skips; ",inline" flattens a
// struct or catches unknown keys in a map[string]T.
func (info *structInfo) collect(t reflect.Type, index []int) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		inline := false
		for o := range strings.SplitSeq(opts, ",") {
			inline = inline || o == "inline"
		}
		if !f.IsExported() && !(f.Anonymous && inline) {
			continue
		}
		idx := append(append([]int(nil), index...), i)
		if inline {
			switch {
			case f.Type.Kind() == reflect.Struct:
				info.collect(f.Type, idx)
			case f.Type.Kind() == reflect.Map && f.Type.Key().Kind() == reflect.String && info.inlineMap == nil:
				info.inlineMap = idx
			default:
				info.problem = fmt.Sprintf("field %s: inline needs a struct or one map with string keys", f.Name)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if _, dup := info.fields[name]; dup {
			info.problem = fmt.Sprintf("two fields are named %q", name)
			continue
		}
		info.fields[name] = idx
		info.names = append(info.names, name)
	}
}

// unmarshalYAML hands n, with its values expanded from the environment, to
// a type's own UnmarshalYAML.
func (d *decoder) unmarshalYAML(n *yaml.Node, u yaml.Unmarshaler, path string, at Pos) {
	c, vars, ok := d.expanded(n, path, at)
	if !ok {
		return
	}
	if err := u.UnmarshalYAML(c); err != nil {
		d.errorf(at, path, "%s", unmarshalerMessage(err, vars))
	}
}

func (d *decoder) unmarshalText(n *yaml.Node, u encoding.TextUnmarshaler, path string, at Pos) {
	if n.Kind != yaml.ScalarNode {
		d.mismatch(n, path, at, "a single value")
		return
	}
	s := d.scalar(n, path)
	if !s.ok {
		return
	}
	if err := u.UnmarshalText([]byte(s.s)); err != nil {
		d.errorf(at, path, "%s", unmarshalerMessage(err, s.vars))
	}
}

// unmarshalerMessage words an error from a type's own unmarshal method. Such
// errors often quote the value, so for a value from the environment the
// details are left out rather than risk showing a secret.
func unmarshalerMessage(err error, vars []string) string {
	if len(vars) > 0 {
		return fromEnv(vars) + " is not valid here (details hidden, as they could show the value)"
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return strings.Join(te.Errors, "; ")
	}
	return err.Error()
}

// anyValue decodes into an interface{} as yaml.v3 would (maps, lists, strings,
// numbers, booleans), after environment expansion.
func (d *decoder) anyValue(n *yaml.Node, v reflect.Value, path string, at Pos) {
	c, vars, ok := d.expanded(n, path, at)
	if !ok {
		return
	}
	var x any
	if err := c.Decode(&x); err != nil {
		d.errorf(at, path, "%s", unmarshalerMessage(err, vars))
		return
	}
	if x == nil {
		v.SetZero()
		return
	}
	v.Set(reflect.ValueOf(x))
}

// expanded copies n with aliases resolved and values (not keys) expanded
// from the environment, for code that reads the node itself. It returns the
// variables used and false if a problem was reported; every problem in the
// value is reported, not just the first.
func (d *decoder) expanded(n *yaml.Node, path string, at Pos) (*yaml.Node, []string, bool) {
	var vars []string
	ok, stop := true, false
	copying := make(map[*yaml.Node]bool)
	var cp func(n *yaml.Node, key bool) *yaml.Node
	cp = func(n *yaml.Node, key bool) *yaml.Node {
		if stop || !d.tick(d.nodePos(n), path) {
			ok, stop = false, true
			return nil
		}
		if n.Kind == yaml.AliasNode {
			if n.Alias == nil || copying[n.Alias] {
				d.errorf(d.nodePos(n), path, "alias *%s is used inside its own anchor &%s, so the value would contain itself", n.Value, n.Value)
				ok, stop = false, true
				return nil
			}
			copying[n.Alias] = true
			defer delete(copying, n.Alias)
			d.enterAlias(at, path)
			defer d.leaveAlias()
			return cp(n.Alias, key)
		}
		c := *n
		c.Anchor, c.Alias, c.Content = "", nil, nil
		if n.Kind == yaml.ScalarNode && !key && strings.Contains(n.Value, "$") {
			s := d.scalar(n, path)
			ok = ok && s.ok
			c.Value = s.s
			vars = append(vars, s.vars...)
			if n.Style == 0 && len(s.vars) > 0 {
				c.Tag = "" // let YAML resolve the expanded text: ${PORT} may be a number
			}
		}
		for i, child := range n.Content {
			c.Content = append(c.Content, cp(child, n.Kind == yaml.MappingNode && i%2 == 0))
		}
		return &c
	}
	c := cp(n, false)
	return c, vars, ok
}
