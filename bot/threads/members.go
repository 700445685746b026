package threads

import (
	"slices"
	"time"

	"github.com/docent-bot/docent/store"
)

// part is what the module keeps of members: which of its questions and
// replies are theirs (record IDs; the text is the core's, and leaves with
// the member's records).
type part struct{}

// Key names the part in exports: "threads".
func (part) Key() string { return "threads" }

// CountKey names what Forget and Expire count: questions and replies
// (a thread with no reply left goes with its last one).
func (part) CountKey() string { return "questions_and_replies_in_threads" }

var _ store.CountKeyed = part{}

// Share is a member's share of the module's records, as exported.
type Share struct {
	// Answered are their questions that members answered, Unanswered
	// those nobody did, Replies their replies to others' questions: all
	// record IDs.
	Answered   []uint64 `json:"answered,omitempty"`
	Unanswered []uint64 `json:"unanswered,omitempty"`
	Replies    []uint64 `json:"replies,omitempty"`
}

func (part) Export(tx *store.Tx, m store.MemberRef) (any, error) {
	var k Share
	err := scan(tx, bucketThreads, func(e entry) error {
		if mine(e, m) {
			k.Answered = append(k.Answered, e.id)
		}
		if e.Platform == m.Platform {
			for _, r := range e.Replies {
				if r.Author == m.ID {
					k.Replies = append(k.Replies, r.ID)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = scan(tx, bucketUnanswered, func(e entry) error {
		if mine(e, m) {
			k.Unanswered = append(k.Unanswered, e.id)
		}
		return nil
	})
	if err != nil || len(k.Answered)+len(k.Unanswered)+len(k.Replies) == 0 {
		return nil, err
	}
	return k, nil
}

// Forget deletes the member's questions, with their threads, and their
// replies to others' (a thread left with no reply goes too).
func (part) Forget(tx *store.Tx, m store.MemberRef) (int, error) {
	return prune(tx, func(e entry) bool { return mine(e, m) }, func(e entry, r replyRef) bool {
		return e.Platform == m.Platform && r.Author == m.ID
	})
}

// Expire deletes the questions asked before cutoff, with their threads
// (their records are deleted with them).
func (part) Expire(tx *store.Tx, cutoff time.Time) (int, error) {
	return prune(tx, func(e entry) bool { return e.Time < cutoff.Unix() }, func(entry, replyRef) bool { return false })
}

func mine(e entry, m store.MemberRef) bool { return e.Platform == m.Platform && e.Author == m.ID }

// prune deletes the questions drop accepts and the replies dropReply
// accepts; it says how many questions and replies it deleted.
func prune(tx *store.Tx, drop func(entry) bool, dropReply func(entry, replyRef) bool) (int, error) {
	n := 0
	var gone []uint64
	var changed []entry
	err := scan(tx, bucketThreads, func(e entry) error {
		if drop(e) {
			gone = append(gone, e.id)
			return nil
		}
		before := len(e.Replies)
		e.Replies = slices.DeleteFunc(slices.Clone(e.Replies), func(r replyRef) bool { return dropReply(e, r) })
		if len(e.Replies) < before {
			n += before - len(e.Replies)
			changed = append(changed, e)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, e := range changed {
		if len(e.Replies) == 0 {
			gone = append(gone, e.id)
			continue
		}
		if err := put(tx, bucketThreads, e); err != nil {
			return 0, err
		}
	}
	for _, id := range gone {
		if err := remove(tx, bucketThreads, id); err != nil {
			return 0, err
		}
	}
	n += len(gone)
	gone = gone[:0]
	err = scan(tx, bucketUnanswered, func(e entry) error {
		if drop(e) {
			gone = append(gone, e.id)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, id := range gone {
		if err := remove(tx, bucketUnanswered, id); err != nil {
			return 0, err
		}
	}
	return n + len(gone), nil
}

// scan calls fn with every entry of b, oldest first.
func scan(tx *store.Tx, b store.Bucket, fn func(entry) error) error {
	return tx.Scan(b, nil, func(k, v []byte) error {
		if len(k) != 8 {
			return nil
		}
		e, err := decodeEntry(k, v)
		if err != nil {
			return err
		}
		return fn(e)
	})
}
