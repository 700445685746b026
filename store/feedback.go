package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store/internal/kv"
)

// Buckets created on first use, so older databases need no migration:
// votes by answer; and schema 1's records by the platform's ID of their
// message, which schemas 2 and 3 replaced (platformindex.go).
var (
	bucketPlatformIDs = []byte("platform_ids")
	bucketFeedback    = []byte("feedback")
)

// platformSeenKey names a platform's message ID in a channel, in an
// import's own memory.
func platformSeenKey(c chat.Conversation, id string) []byte {
	return []byte(c.Platform + "\x00" + c.Channel + "\x00" + id)
}

// Vote is a member's stored verdict on an answer.
type Vote struct {
	AnswerID uint64      `json:"answer_id"`
	Member   chat.Member `json:"member"`
	Vote     chat.Vote   `json:"vote"`
	Reason   string      `json:"reason,omitempty"`
	Time     time.Time   `json:"time"`
}

// feedbackKey is the answer's ID then the member's: one vote per member
// per answer, the latest one.
func feedbackKey(answer uint64, member string) []byte {
	return append(appendID(nil, answer), member...)
}

// RecordFeedback stores f against the record whose message the platform
// calls f.AnswerID, replacing the member's earlier vote on it; VoteNone
// (a vote taken back) removes it. A vote on an answer is feedback on
// Docent; a 👍 on a member's message credits its author as a helper. It
// returns the record's ID, or an error wrapping ErrNotFound when no stored
// record has that message ID.
func (s *Store) RecordFeedback(ctx context.Context, f chat.Feedback) (uint64, error) {
	if f.Conversation.Platform == "" || f.AnswerID == "" || f.Member.ID == "" {
		return 0, fmt.Errorf("store: record feedback: %w: platform, answer and member are required", ErrInvalid)
	}
	if err := validUTF8("reason", f.Reason); err != nil {
		return 0, fmt.Errorf("store: record feedback: %w", err)
	}
	if f.Time.IsZero() {
		f.Time = time.Now()
	}
	var answer uint64
	r := newWriteReq(func(tx kv.Tx) (Record, error) {
		var err error
		if answer, err = lookupPlatformID(tx, f.Conversation.Platform, f.AnswerID); err != nil {
			return Record{}, err
		}
		if answer == 0 {
			return Record{}, ErrNotFound
		}
		rec, err := recordByID(tx, answer)
		if err != nil {
			return Record{}, err
		}
		if rec.ID == 0 {
			return Record{}, ErrNotFound // deleted since
		}
		fb, err := tx.CreateBucketIfNotExists(bucketFeedback)
		if err != nil {
			return Record{}, err
		}
		fkey := feedbackKey(answer, f.Member.ID)
		old := chat.VoteNone
		if v := fb.Get(fkey); v != nil {
			var prev Vote
			if err := json.Unmarshal(v, &prev); err == nil {
				old = prev.Vote
			}
		}
		if err := s.recordVote(tx, rec, f.Member, old, f.Vote); err != nil {
			return Record{}, fmt.Errorf("count the vote: %w", err)
		}
		if f.Vote == chat.VoteNone {
			return Record{}, fb.Delete(fkey)
		}
		val, err := json.Marshal(Vote{AnswerID: answer, Member: f.Member, Vote: f.Vote, Reason: f.Reason, Time: f.Time.UTC()})
		if err != nil {
			return Record{}, err
		}
		return Record{}, fb.Put(fkey, val)
	})
	if _, err := s.submit(ctx, r); err != nil {
		return 0, fmt.Errorf("store: record feedback on %s message %s: %w", f.Conversation.Platform, f.AnswerID, err)
	}
	return answer, nil
}

// Feedback returns the votes on an answer, one per member.
func (s *Store) Feedback(ctx context.Context, answer uint64) ([]Vote, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []Vote
	err := s.view(ctx, func(tx kv.Tx) error {
		fb := tx.Bucket(bucketFeedback)
		if fb == nil {
			return nil
		}
		prefix := appendID(nil, answer)
		c := fb.Cursor()
		for k, v := c.Seek(prefix); k != nil && len(k) >= 8 && string(k[:8]) == string(prefix); k, v = c.Next() {
			var vote Vote
			if err := json.Unmarshal(v, &vote); err != nil {
				return fmt.Errorf("decode a vote on answer %d: %w", answer, err)
			}
			out = append(out, vote)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read feedback on answer %d: %w", answer, err)
	}
	return out, nil
}
