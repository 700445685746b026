package budgets

import (
	"bytes"
	"strings"
	"time"

	"github.com/docent-bot/docent/store"
)

// MemberParts is each member's LLM usage: `!export me` shows it by day,
// `!forget me` deletes it, retention deletes the days before its cutoff.
func (mod *Module) MemberParts() []store.MemberPart { return []store.MemberPart{memberPart{}} }

// memberPart is a member's share of the usage counts (store.MemberPart):
// the days counted against them, and those of their own conversation with
// Docent (a direct message's channel is named after the member).
type memberPart struct{}

var _ store.CountKeyed = memberPart{}

// Key names the export's field, as when the store kept the usage.
func (memberPart) Key() string { return "llm_usage" }

// CountKey names the days deleted in forget and retention reports.
func (memberPart) CountKey() string { return "usage_days" }

// Export is the member's usage by day.
func (memberPart) Export(tx *store.Tx, m store.MemberRef) (any, error) {
	out := map[string]Usage{}
	suffix := "/" + memberScopeOf(m)
	err := tx.Scan(bucketUsage, nil, func(k, v []byte) error {
		if day, ok := strings.CutSuffix(string(k), suffix); ok {
			out[day] = decodeUsage(v)
		}
		return nil
	})
	return out, err
}

// Forget deletes the member's usage and their own conversation's, and
// says how many day-and-scope counts it deleted.
func (memberPart) Forget(tx *store.Tx, m store.MemberRef) (int, error) {
	member, own := "/"+memberScopeOf(m), "/channel:"+m.Platform+":"+m.ID
	var keys [][]byte
	err := tx.Scan(bucketUsage, nil, func(k, _ []byte) error {
		if bytes.HasSuffix(k, []byte(member)) || bytes.HasSuffix(k, []byte(own)) {
			keys = append(keys, bytes.Clone(k))
		}
		return nil
	})
	return deleteKeys(tx, keys, err)
}

// Expire deletes the usage of the whole days before cutoff's day, every
// scope's, and says how many counts it deleted.
func (memberPart) Expire(tx *store.Tx, cutoff time.Time) (int, error) {
	last := Day(cutoff)
	var keys [][]byte
	// Keys start with their day: those before last sort before it.
	err := tx.ScanRange(bucketUsage, nil, []byte(last), func(k, _ []byte) error {
		keys = append(keys, bytes.Clone(k))
		return nil
	})
	return deleteKeys(tx, keys, err)
}

// deleteKeys deletes keys from the usage bucket, after a scan that found
// them without error.
func deleteKeys(tx *store.Tx, keys [][]byte, scanErr error) (int, error) {
	if scanErr != nil {
		return 0, scanErr
	}
	for _, k := range keys {
		if err := tx.Delete(bucketUsage, k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// memberScopeOf is the scope of a member's own usage.
func memberScopeOf(m store.MemberRef) string { return "member:" + m.Platform + ":" + m.ID }
