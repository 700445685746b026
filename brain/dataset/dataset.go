// Package dataset loads intent data sets in the CLINC150 JSON shape and
// measures Docent's classifier on them: accuracy, out-of-scope recall at a
// threshold chosen on validation data, speed and size, and stratified
// cross-validation for a community's own intents.
package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/docent-bot/docent/brain/classifier"
)

// OutOfScope is the intent name the CLINC150 shape gives out-of-scope texts.
const OutOfScope = "oos"

// Dataset is an intent data set split as in CLINC150. Train, Val and Test
// hold in-scope examples; the OOS splits hold texts that are none of the
// intents (their Label is OutOfScope as in the file).
type Dataset struct {
	Train, Val, Test          []classifier.Example
	OOSTrain, OOSVal, OOSTest []classifier.Example
}

// keys maps the file's keys to the splits; train and test are required.
func (d *Dataset) splits() []struct {
	key      string
	dst      *[]classifier.Example
	required bool
} {
	return []struct {
		key      string
		dst      *[]classifier.Example
		required bool
	}{
		{"train", &d.Train, true}, {"val", &d.Val, false}, {"test", &d.Test, true},
		{"oos_train", &d.OOSTrain, false}, {"oos_val", &d.OOSVal, false}, {"oos_test", &d.OOSTest, false},
	}
}

// LoadFile reads the data set at path.
func LoadFile(path string) (*Dataset, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	d, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", path, err)
	}
	return d, nil
}

// Load reads a data set from r.
func Load(r io.Reader) (*Dataset, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("dataset: read: %w", err)
	}
	d, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	return d, nil
}

// Parse decodes a data set: one JSON object whose keys "train", "val",
// "test", "oos_train", "oos_val" and "oos_test" each hold a list of
// [text, intent] pairs. Errors name the line, column and byte offset.
// Other keys are ignored, since published files carry extras.
func Parse(data []byte) (*Dataset, error) {
	d := &Dataset{}
	dst := map[string]*[]classifier.Example{}
	for _, sp := range d.splits() {
		dst[sp.key] = sp.dst
	}
	seen := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(data))
	fail := func(off int64, format string, args ...any) error {
		line, col := lineCol(data, off)
		return fmt.Errorf("line %d column %d (offset %d): %s", line, col, off, fmt.Sprintf(format, args...))
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, at(data, err)
	}
	if tok != json.Delim('{') {
		return nil, fail(0, "want a JSON object of splits, got %v", tok)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, at(data, err)
		}
		key, _ := tok.(string)
		out, ok := dst[key]
		if !ok {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, at(data, err)
			}
			continue
		}
		seen[key] = true
		off := dec.InputOffset()
		if tok, err := dec.Token(); err != nil {
			return nil, at(data, err)
		} else if tok != json.Delim('[') {
			return nil, fail(off, "%q: want a list of [text, intent] pairs", key)
		}
		for i := 0; dec.More(); i++ {
			off := dec.InputOffset()
			var pair []string
			if err := dec.Decode(&pair); err != nil {
				var se *json.SyntaxError
				if errors.As(err, &se) {
					// The decoder's offset is not the file's: name the item's start.
					return nil, fail(off, "%q item %d: %v", key, i, err)
				}
				return nil, fail(off, "%q item %d: want [text, intent]: %v", key, i, err)
			}
			if len(pair) != 2 || pair[1] == "" {
				return nil, fail(off, "%q item %d: want [text, intent] with a non-empty intent, got %q", key, i, pair)
			}
			*out = append(*out, classifier.Example{Text: pair[0], Label: pair[1]})
		}
		if _, err := dec.Token(); err != nil {
			return nil, at(data, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, at(data, err)
	}
	for _, sp := range d.splits() {
		if sp.required && !seen[sp.key] {
			return nil, fmt.Errorf("no %q list", sp.key)
		}
	}
	if len(d.Train) == 0 {
		return nil, errors.New(`"train" is empty`)
	}
	return d, nil
}

// at describes a JSON error with its position in data.
func at(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			off = int64(len(data))
			line, col := lineCol(data, off)
			return fmt.Errorf("line %d column %d (offset %d): unexpected end of file", line, col, off)
		}
		return err
	}
	line, col := lineCol(data, off)
	return fmt.Errorf("line %d column %d (offset %d): %w", line, col, off, err)
}

// lineCol converts a byte offset to a 1-based line and column.
func lineCol(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// PerIntent returns the first n examples of each intent, in their order:
// the way CLINC150's "small" and few-shot settings are made from "full".
func PerIntent(examples []classifier.Example, n int) []classifier.Example {
	count := map[string]int{}
	var out []classifier.Example
	for _, e := range examples {
		if count[e.Label] < n {
			count[e.Label]++
			out = append(out, e)
		}
	}
	return out
}
