package store

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"time"

	"github.com/docent-bot/docent/store/internal/kv"
)

// writeReq is one queued write. Callers build apply from an already
// validated and encoded value, so the writer only touches buckets.
type writeReq struct {
	apply func(tx kv.Tx) (Record, error)
	// done is buffered so that the writer never waits for a caller that
	// gave up (its context ended).
	done chan writeResult
}

type writeResult struct {
	rec Record
	err error
}

func newWriteReq(apply func(tx kv.Tx) (Record, error)) *writeReq {
	return &writeReq{apply: apply, done: make(chan writeResult, 1)}
}

// submit queues r and waits for its commit. The error is unwrapped; the
// caller says what was being written.
//
// If ctx ends while r is queued or being committed, submit returns
// ctx.Err() at once but the write may still land: a commit cannot be
// recalled, and the caller may find the record later.
func (s *Store) submit(ctx context.Context, r *writeReq) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	if err := s.enqueue(ctx, r); err != nil {
		return Record{}, err
	}
	select {
	case res := <-r.done:
		return res.rec, res.err
	case <-ctx.Done():
		return Record{}, ctx.Err()
	}
}

func (s *Store) enqueue(ctx context.Context, r *writeReq) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	select {
	case s.reqs <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writer is the one goroutine that writes. It takes a request, then
// whatever else is already queued (without waiting for more, so a lone
// write is not delayed), and commits them together. It returns once Close
// has closed reqs and everything queued before that is committed.
func (s *Store) writer() {
	defer close(s.done)
	batch := make([]*writeReq, 0, min(s.maxBatch, maxQueue))
	for {
		r, ok := <-s.reqs
		if !ok {
			return
		}
		batch = append(batch, r)
		// Let the writers answered by the last commit run first: they are
		// likely about to queue again, and joining this transaction saves
		// each of them an fsync. It costs microseconds, not a timer.
		runtime.Gosched()
	drain:
		for len(batch) < s.maxBatch {
			select {
			case r, ok := <-s.reqs:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		s.commit(batch)
		clear(batch) // let answered requests be collected
		batch = batch[:0]
	}
}

// commit applies batch in one transaction and answers every request.
//
// A request whose apply fails (which validation before queueing should make
// rare) rolls the whole transaction back; it gets its error and the rest are
// retried without it, so one bad write cannot fail the others. A failed
// commit, on the other hand, fails every request of the batch: none of them
// is on disk.
func (s *Store) commit(batch []*writeReq) {
	pending := batch
	var skip map[string]bool // recorders that failed on this batch
	// On PostgreSQL the writes reach the server together (kv.Flusher), so
	// a write it refuses shows at the end, or in whichever later request
	// next makes them go: a batch that fails is run again with the
	// writes sent after each request, so that the refused one fails
	// alone. A batch that succeeds costs no round trip more.
	flushEach := false
	for first := true; first || len(pending) > 0; first = false {
		start := time.Now()
		results := make([]Record, len(pending))
		bad := -1
		deferred := false
		err := s.update(func(tx kv.Tx) error {
			bad = -1 // fn may run again (kv.DB.Update): set afresh
			f, ok := tx.(kv.Flusher)
			deferred = ok
			for i, r := range pending {
				rec, err := r.apply(tx)
				if ok && flushEach && err == nil {
					err = f.Flush()
				}
				if err != nil {
					bad = i
					return err
				}
				results[i] = rec
			}
			if ok && !flushEach {
				return f.Flush()
			}
			return nil
		}, skip)
		if err != nil && deferred && !flushEach && len(pending) > 1 && !errors.As(err, new(*recorderError)) {
			flushEach = true
			continue
		}
		if re := (*recorderError)(nil); errors.As(err, &re) {
			// The records matter more than one feature's figures of them.
			s.log.Error("store: a recorder failed; storing its batch without its figures", "path", s.path,
				"recorder", re.key, "batch", len(pending), "err", re.err)
			if skip == nil {
				skip = map[string]bool{}
			}
			skip[re.key] = true
			continue
		}
		if bad >= 0 {
			s.log.Warn("store: a queued write failed; retrying the rest of its batch without it",
				"path", s.path, "batch", len(pending), "err", err)
			pending[bad].done <- writeResult{err: err}
			pending = slices.Delete(pending, bad, bad+1)
			continue
		}
		if err != nil {
			s.log.Error("store: commit failed", "path", s.path, "writes", len(pending), "err", err)
		} else {
			s.writes.Add(uint64(len(pending)))
			s.log.Debug("store: committed", "writes", len(pending), "took", time.Since(start))
		}
		for i, r := range pending {
			if err != nil {
				r.done <- writeResult{err: err}
			} else {
				r.done <- writeResult{rec: results[i]}
			}
		}
		return
	}
}

// WriteStats counts what the store wrote since it was opened.
type WriteStats struct {
	// Commits is how many write transactions were committed, each with
	// its fsync: the cost that group commit shares out.
	Commits uint64
	// Writes is how many queued writes those commits carried (an append,
	// a vote, a usage count; several share a commit under load).
	Writes uint64
}

// WriteStats returns the counts so far. Benchmarks and tests read it to
// see how many fsyncs a piece of work cost.
func (s *Store) WriteStats() WriteStats {
	return WriteStats{Commits: s.commits.Load(), Writes: s.writes.Load()}
}
