package exchange

import (
	"fmt"
	"slices"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// Batches runs a store.Recorder's batches through a Detector once each.
// The store gives a recorder the same batch again when another recorder
// failed on it and the transaction was rolled back: what the recorder
// wrote is gone, but the Detector, fed twice, would find nothing new, so
// Batches gives the events found the first time again. A record given in
// an earlier batch is not fed again either.
//
// On a database that replicas share (store.Tx.Shared), other Docents
// store records the Detector is never given: before the first record of
// each conversation in a batch, Batches reads the records stored before
// it there since the last this Detector saw, in the batch's own
// transaction, and feeds them (as priming does, their events discarded:
// the Docent that stored them counted them). Reading in the transaction
// is what makes it safe: PostgreSQL's serializable transactions abort one
// of two replicas that store in the same conversation at once, and the
// store runs it again after RolledBack. A lone Docent (and bbolt) skips
// that read: every record passes through its own recorders.
type Batches struct {
	Detector *Detector

	first, last uint64
	events      [][]Event
	// seen is, on a shared database, the ID of the newest record of each
	// conversation this Detector was given.
	seen map[chat.Conversation]uint64
	// seenLimit is the size of seen above which it drops the
	// conversations the Detector forgot.
	seenLimit int
}

// RolledBack forgets the last batch and what the Detector learnt: its
// records were not committed (store.RollbackRecorder). The Detector is
// primed again from the store, conversation by conversation.
func (b *Batches) RolledBack() {
	b.first, b.last, b.events, b.seen = 0, 0, nil, nil
	b.Detector.Reset()
}

// Events returns the events of each record of recs, stored in tx, fed in
// order; skip (which may be nil) leaves a record out. A conversation the
// Detector does not know is primed first (prime feeds it the records
// stored before, after a restart); on a shared database (tx.Shared), so
// is one where another Docent stored records since. tx may be nil (no
// database: nothing is shared).
func (b *Batches) Events(tx *store.Tx, recs []store.Record, skip func(store.Record) bool, prime func(store.Record) error) ([][]Event, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	first, last := recs[0].ID, recs[len(recs)-1].ID
	if first == b.first && last == b.last {
		return b.events, nil
	}
	// On a shared database, seen follows every record; the records stored
	// before the batch are read only when some were stored since the last
	// batch: IDs are given in commit order, and a rollback gives them back,
	// so a batch that follows this recorder's last one without a gap
	// follows every record stored meanwhile (none).
	shared := tx.Shared()
	var checked map[chat.Conversation]bool
	if shared {
		checked = map[chat.Conversation]bool{}
		if b.seen == nil {
			b.seen = map[chat.Conversation]uint64{}
		}
		if b.last != 0 && first == b.last+1 {
			checked = nil // nothing to catch up on
		}
	}
	events := make([][]Event, len(recs))
	for i, rec := range recs {
		if rec.ID != 0 && rec.ID <= b.last {
			continue
		}
		if checked != nil && !checked[rec.Conversation] {
			checked[rec.Conversation] = true
			if err := b.catchUp(tx, rec); err != nil {
				return nil, err
			}
		}
		if shared {
			b.seen[rec.Conversation] = rec.ID
		}
		if skip != nil && skip(rec) {
			continue
		}
		if !b.Detector.Knows(rec.Conversation) {
			if err := prime(rec); err != nil {
				return nil, err
			}
		}
		events[i] = b.Detector.Feed(rec)
	}
	b.first, b.last, b.events = first, last, events
	if shared {
		b.sweepSeen()
	}
	return events, nil
}

// catchUp brings what the Detector knows of rec's conversation up to the
// records stored before rec: when another Docent stored some since the
// last it saw, it feeds them, oldest first, discarding their events (that
// Docent counted them); more than maxCatchUp of them, or a conversation
// it does not know, and it forgets the conversation, which Events then
// primes from the store.
func (b *Batches) catchUp(tx *store.Tx, rec store.Record) error {
	seen, ok := b.seen[rec.Conversation]
	if !ok || !b.Detector.Knows(rec.Conversation) {
		b.Detector.Forget(rec.Conversation)
		return nil
	}
	var missed []store.Record // newest first
	complete := false
	err := tx.Earlier(rec, maxCatchUp, func(e store.Record) bool {
		if e.ID <= seen {
			complete = true
			return false
		}
		missed = append(missed, e)
		return true
	})
	if err != nil {
		return fmt.Errorf("read the records before %d in %s: %w", rec.ID, rec.Conversation, err)
	}
	if !complete && len(missed) == maxCatchUp {
		b.Detector.Forget(rec.Conversation)
		return nil
	}
	for _, e := range slices.Backward(missed) {
		b.Detector.Feed(e)
	}
	return nil
}

// maxCatchUp bounds the records another Docent stored in a conversation
// that catchUp feeds; beyond, the conversation is primed afresh.
const maxCatchUp = 64

// sweepSeen drops from seen the conversations the Detector forgot, once
// seen has grown to twice what it kept after the last sweep.
func (b *Batches) sweepSeen() {
	if len(b.seen) <= max(b.seenLimit, 4096) {
		return
	}
	for conv := range b.seen {
		if !b.Detector.Knows(conv) {
			delete(b.seen, conv)
		}
	}
	b.seenLimit = 2 * len(b.seen)
}
