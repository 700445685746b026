package analytics

import (
	"bytes"
	"fmt"
	"time"

	"github.com/docent-bot/docent/store"
)

// MemberDay is one day of a member's activity in a channel, as `!export
// me` shows it.
type MemberDay struct {
	Day       string `json:"day"`
	Space     string `json:"space,omitempty"`
	Channel   string `json:"channel"`
	Messages  int    `json:"messages"`
	Questions int    `json:"questions"`
	Helped    int    `json:"helped"`
}

// memberPart is the members' share of the counters (store.MemberPart):
// exported as "activity", the days they wrote on; forgotten (their
// entries, and their own conversation's counters whole); expired (the
// entries of days past retention, whose totals stay).
type memberPart struct{}

var _ store.CountKeyed = memberPart{}

// Key names the export's field; CountKey the days a member was taken out
// of in forget and retention reports, as when the store kept the counters.
func (memberPart) Key() string      { return "activity" }
func (memberPart) CountKey() string { return "activity_days" }

func (memberPart) Export(tx *store.Tx, m store.MemberRef) (any, error) {
	var out []MemberDay
	err := eachMemberDay(tx, m, func(_ []byte, k statsKey, _ *dayCounts, mc *memberCounts) {
		out = append(out, MemberDay{Day: dayTime(k.day).Format(time.DateOnly), Space: k.Space,
			Channel: k.Channel, Messages: mc.Messages, Questions: mc.Questions, Helped: mc.Helped})
	})
	return out, err
}

// Forget takes the member out of every day's counters, and deletes their
// own conversation's, and says how many days changed.
func (memberPart) Forget(tx *store.Tx, m store.MemberRef) (int, error) {
	type change struct {
		key []byte
		c   *dayCounts
	}
	var changes []change
	if err := eachMemberDay(tx, m, func(key []byte, k statsKey, c *dayCounts, _ *memberCounts) {
		if !ownChannel(k.statsScope, m) {
			delete(c.Members, m.ID)
			changes = append(changes, change{key, c})
		}
	}); err != nil {
		return 0, err
	}
	own, err := ownChannelDays(tx, m)
	if err != nil {
		return 0, err
	}
	for _, ch := range changes {
		if err := tx.Put(statsBucket, ch.key, encodeCounts(ch.c)); err != nil {
			return 0, err
		}
	}
	for _, k := range own {
		if err := tx.Delete(statsBucket, k); err != nil {
			return 0, err
		}
	}
	return len(changes) + len(own), nil
}

// Expire drops the per-member entries of the days before cutoff's (their
// totals stay), and says how many days changed.
func (memberPart) Expire(tx *store.Tx, cutoff time.Time) (int, error) {
	type change struct {
		key []byte
		c   *dayCounts
	}
	var changes []change
	if err := tx.ScanRange(statsBucket, nil, dayKey(dayOf(cutoff)), func(k, v []byte) error {
		counts, err := decodeCounts(v)
		if err != nil || len(counts.Members) == 0 {
			return nil
		}
		counts.Members = nil
		changes = append(changes, change{bytes.Clone(k), counts})
		return nil
	}); err != nil {
		return 0, err
	}
	for _, ch := range changes {
		if err := tx.Put(statsBucket, ch.key, encodeCounts(ch.c)); err != nil {
			return 0, err
		}
	}
	return len(changes), nil
}

// eachMemberDay calls fn for every stored day's counters with an entry
// for the member.
func eachMemberDay(tx *store.Tx, m store.MemberRef, fn func(key []byte, k statsKey, c *dayCounts, mc *memberCounts)) error {
	return tx.Scan(statsBucket, nil, func(kb, v []byte) error {
		k, err := parseStatsKey(kb)
		if err != nil || k.Platform != m.Platform {
			return err
		}
		// Names and IDs are stored as they are: skip what cannot hold it.
		if !bytes.Contains(v, []byte(m.ID)) {
			return nil
		}
		c, err := decodeCounts(v)
		if err != nil {
			return fmt.Errorf("activity of %s on %s: %w", k.Channel, dayTime(k.day).Format(time.DateOnly), err)
		}
		if mc := c.Members[m.ID]; mc != nil {
			fn(bytes.Clone(kb), k, c, mc)
		}
		return nil
	})
}

// ownChannel says whether scope is the member's own conversation: one
// whose channel is named by their ID, as a web visitor's chat is. Its
// counters hold nothing but them and Docent's answers to them, and its
// key names them, so forgetting them deletes it whole.
func ownChannel(scope statsScope, m store.MemberRef) bool {
	return scope.Platform == m.Platform && scope.Channel == m.ID
}

// ownChannelDays returns the counters' keys of the member's own
// conversation.
func ownChannelDays(tx *store.Tx, m store.MemberRef) ([][]byte, error) {
	var out [][]byte
	err := tx.Scan(statsBucket, nil, func(kb, _ []byte) error {
		// Most keys cannot hold the ID: skip them before parsing.
		if !bytes.Contains(kb, []byte(m.ID)) {
			return nil
		}
		k, err := parseStatsKey(kb)
		if err != nil {
			return err
		}
		if ownChannel(k.statsScope, m) {
			out = append(out, bytes.Clone(kb))
		}
		return nil
	})
	return out, err
}
