package module

import (
	"strings"

	"github.com/docent-bot/docent/bot/config"
)

// Check collects the problems of one module's config section, each with
// its file, line and field path, so that an admin sees every problem of
// the whole file at once.
type Check struct {
	section  string
	pos      config.Positions
	files    Files
	adapters map[string]bool
	errs     config.Errors
}

// NewCheck checks section, decoded from a file whose fields were written
// at pos; adapters says which platforms are enabled.
func NewCheck(section string, pos config.Positions, files Files, adapters map[string]bool) *Check {
	return &Check{section: section, pos: pos, files: files, adapters: adapters}
}

// Path is the full path of a field of the section: "folder" →
// "challenges.folder"; "" is the section itself; an index or a quoted key
// follows the section directly: `["a.b"]` → `links["a.b"]`.
func (c *Check) Path(field string) string {
	if field == "" || strings.HasPrefix(field, "[") {
		return c.section + field
	}
	return c.section + "." + field
}

// Errorf reports a problem with a field of the section.
func (c *Check) Errorf(field, format string, args ...any) {
	c.errs = append(c.errs, c.pos.Errorf(c.Path(field), format, args...))
}

// Add reports problems found elsewhere (in files the section names), each
// with its own position.
func (c *Check) Add(errs ...*config.Error) { c.errs = append(c.errs, errs...) }

// Has reports whether the admin wrote the field.
func (c *Check) Has(field string) bool { return c.pos.Has(c.Path(field)) }

// Show renders a field's value for a message without showing a value that
// came from the environment.
func (c *Check) Show(field string, value any) string { return c.pos.Show(c.Path(field), value) }

// Positions are where every field of the file was written.
func (c *Check) Positions() config.Positions { return c.pos }

// Files reads the files the config names.
func (c *Check) Files() Files { return c.files }

// Adapter reports whether the platform's adapter is enabled, and whether
// there is such an adapter at all.
func (c *Check) Adapter(platform string) (enabled, known bool) {
	enabled, known = c.adapters[platform]
	return enabled, known
}

// Errors are the problems reported so far.
func (c *Check) Errors() config.Errors { return c.errs }
