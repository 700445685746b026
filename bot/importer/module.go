// Package importer brings a community's history into Docent as a feature
// module: `docent import FILE…` reads an export (for now the JSONL of
// `{time, channel, author, text}` lines, as in the DuraSpace IRC history,
// plain or gzip) and stores its messages as history, in batches, with
// secrets redacted as live messages are. An import is idempotent (every
// record carries a stable source ID) and resumable (a progress mark per
// file, committed with each batch).
package importer

import (
	"context"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/store"
)

// Module is the history import.
type Module struct {
	// history is the running Docent's store, from Provision: an import
	// through it (ControlOps) goes there.
	history History
	// dataDir holds the database, from Provision: where a Slack export
	// sent through the running Docent waits to be read when there is no
	// temporary folder.
	dataDir string
}

// New returns the import module.
func New() *Module { return &Module{} }

// Name is the module's name.
func (*Module) Name() string { return "importer" }

var (
	_ module.CommandLiner = (*Module)(nil)
	_ module.Schemaed     = (*Module)(nil)
	_ module.Provisioner  = (*Module)(nil)
	_ module.Controller   = (*Module)(nil)
)

// Provision keeps the running Docent's store, for imports through it.
func (mod *Module) Provision(_ context.Context, h *module.Host) error {
	if h.Store != nil && h.History != nil {
		mod.history = hostHistory{h.Store, h.History}
	}
	mod.dataDir = h.DataDir
	return nil
}

// Schema is the layout of the module's records (the progress marks in
// importer_progress: the file's absolute name, then {size, line} as JSON):
// version 1.
func (*Module) Schema() store.Schema { return store.Schema{Version: 1} }
