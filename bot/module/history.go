package module

import (
	"context"

	"github.com/docent-bot/docent/store"
)

// Historian is a module that keeps the community's own exchanges, live and
// imported: the questions members answered each other, and those nobody
// answered. The core finds it by type assertion and lends it to every
// module on Host.Threads, so that the docs index ("asked before",
// !related) and the gaps cover the history without importing the module.
type Historian interface {
	// Threads returns up to limit of the newest questions members
	// answered, with their replies, newest first.
	Threads(ctx context.Context, limit int) ([]HistoryThread, error)
	// Unanswered returns up to limit of the newest questions no member
	// (nor Docent) replied to, newest first.
	Unanswered(ctx context.Context, limit int) ([]store.Record, error)
}

// HistoryThread is a question a member asked and the replies other
// members gave it, oldest first.
type HistoryThread struct {
	Question store.Record
	Replies  []store.Record
}
