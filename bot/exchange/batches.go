package exchange

import "github.com/docent-bot/docent/store"

// Batches runs a store.Recorder's batches through a Detector once each.
// The store gives a recorder the same batch again when another recorder
// failed on it and the transaction was rolled back: what the recorder
// wrote is gone, but the Detector, fed twice, would find nothing new, so
// Batches gives the events found the first time again. A record given in
// an earlier batch is not fed again either.
type Batches struct {
	Detector *Detector

	first, last uint64
	events      [][]Event
}

// RolledBack forgets the last batch and what the Detector learnt: its
// records were not committed (store.RollbackRecorder). The Detector is
// primed again from the store, conversation by conversation.
func (b *Batches) RolledBack() {
	b.first, b.last, b.events = 0, 0, nil
	b.Detector.Reset()
}

// Events returns the events of each record of recs, fed in order; skip
// (which may be nil) leaves a record out. A conversation the Detector
// does not know is primed first (prime feeds it the records stored
// before, after a restart).
func (b *Batches) Events(recs []store.Record, skip func(store.Record) bool, prime func(store.Record) error) ([][]Event, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	first, last := recs[0].ID, recs[len(recs)-1].ID
	if first == b.first && last == b.last {
		return b.events, nil
	}
	events := make([][]Event, len(recs))
	for i, rec := range recs {
		if rec.ID != 0 && rec.ID <= b.last || skip != nil && skip(rec) {
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
	return events, nil
}
