// Package threads keeps the community's own exchanges as a feature module:
// the questions members answered each other (a "nick: …" reply on IRC, a
// reply in a Slack or Discord thread) and the questions nobody answered
// (neither a member within the window nor Docent with more than "I'm not
// sure" or an apology), live and imported alike. It runs the exchange Detector over the records
// as the store stores them (a store.Recorder), so an imported history is
// read once, in the import's own transactions, and a live one message by
// message, with no commit of its own.
//
// The core reads what it keeps through module.Historian: the docs index
// holds the answered threads beside Docent's own answers ("asked before",
// !related), and the lessons module lists the unanswered questions the
// brain is not sure of among the gaps.
package threads

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/store"
)

// Module is the members' threads.
type Module struct {
	st  store.Buckets
	now func() time.Time
	// keep bounds each bucket (Kept, but for tests).
	keep int
}

// New returns the threads module.
func New() *Module { return &Module{keep: Kept} }

// Name is the module's name.
func (*Module) Name() string { return "threads" }

var (
	_ module.Provisioner = (*Module)(nil)
	_ module.Schemaed    = (*Module)(nil)
	_ module.Recorder    = (*Module)(nil)
	_ module.Stored      = (*Module)(nil)
	_ module.Historian   = (*Module)(nil)
)

// Provision keeps the store and the clock.
func (mod *Module) Provision(_ context.Context, h *module.Host) error {
	mod.st, mod.now = h.Store, h.Now
	return nil
}

// Recorders is the recorder that finds the exchanges.
func (mod *Module) Recorders(env module.RecordEnv) []store.Recorder {
	return []store.Recorder{newRecorder(env, mod.keep)}
}

// MemberParts is what the module keeps of members: the IDs of their
// questions and replies.
func (mod *Module) MemberParts() []store.MemberPart { return []store.MemberPart{part{}} }

// Threads returns up to limit of the newest questions members answered
// within ReplyWindow, with those replies, newest first. A question or
// reply whose record is gone (retention deleted it) is left out.
func (mod *Module) Threads(ctx context.Context, limit int) ([]module.HistoryThread, error) {
	if mod.st == nil || limit <= 0 {
		return nil, nil
	}
	var out []module.HistoryThread
	err := mod.st.View(ctx, func(tx *store.Tx) error {
		out = out[:0]
		entries, err := newest(tx, bucketThreads, limit, func(entry) bool { return true })
		if err != nil {
			return err
		}
		for _, e := range entries {
			q, err := tx.Record(e.id)
			if err != nil {
				return err
			}
			if q.ID == 0 {
				continue
			}
			t := module.HistoryThread{Question: q}
			for _, r := range e.Replies {
				rec, err := tx.Record(r.ID)
				if err != nil {
					return err
				}
				if rec.ID != 0 {
					t.Replies = append(t.Replies, rec)
				}
			}
			if len(t.Replies) > 0 {
				out = append(out, t)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("threads: read the answered threads: %w", err)
	}
	return out, nil
}

// Unanswered returns up to limit of the newest questions that no member
// replied to within ReplyWindow (and Docent did not answer), newest first.
// A question asked less than ReplyWindow ago is not one yet.
func (mod *Module) Unanswered(ctx context.Context, limit int) ([]store.Record, error) {
	if mod.st == nil || limit <= 0 {
		return nil, nil
	}
	before := mod.now().Add(-ReplyWindow).Unix()
	var out []store.Record
	err := mod.st.View(ctx, func(tx *store.Tx) error {
		out = out[:0]
		entries, err := newest(tx, bucketUnanswered, limit, func(e entry) bool { return e.Time <= before })
		if err != nil {
			return err
		}
		for _, e := range entries {
			q, err := tx.Record(e.id)
			if err != nil {
				return err
			}
			if q.ID != 0 {
				out = append(out, q)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("threads: read the unanswered questions: %w", err)
	}
	return out, nil
}

// newest is up to limit of b's entries that keep accepts, newest first.
// The buckets are bounded (Kept), so reading one whole is cheap.
func newest(tx *store.Tx, b store.Bucket, limit int, keep func(entry) bool) ([]entry, error) {
	var all []entry
	err := tx.Scan(b, nil, func(k, v []byte) error {
		e, err := decodeEntry(k, v)
		if err != nil {
			return err
		}
		if keep(e) {
			all = append(all, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	all = all[max(0, len(all)-limit):]
	slices.Reverse(all)
	return all, nil
}
