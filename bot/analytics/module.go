package analytics

import (
	"context"
	"errors"

	"github.com/docent-bot/docent/bot/module"
)

// Module is community analytics as a feature of the bot: the stats, top
// and trending commands, and `docent stats` on the command line, all
// reports over the activity counters. It has no config section.
type Module struct {
	// Set by Provision.
	activity Activity
	isAdmin  func(*module.Message) bool
	prefix   string
}

// New returns the analytics module.
func New() *Module { return &Module{} }

// Name is the module's name in logs and errors.
func (mod *Module) Name() string { return "analytics" }

// errNoActivity is Provision's error for a store that keeps no activity
// counters.
var errNoActivity = errors.New("the store keeps no activity counters")

// Provision takes the store's activity counters, the admins' rule and the
// command prefix from the bot.
func (mod *Module) Provision(_ context.Context, h *module.Host) error {
	a, ok := h.Store.(Activity)
	if !ok {
		return errNoActivity
	}
	mod.activity, mod.isAdmin, mod.prefix = a, h.IsAdmin, h.Prefix
	if mod.isAdmin == nil {
		mod.isAdmin = func(*module.Message) bool { return false }
	}
	return nil
}
