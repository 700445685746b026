package bot

import (
	"time"

	"github.com/docent-bot/docent/adapters/web"
	"github.com/docent-bot/docent/store"
)

// replicaPart is a member's share of what replicas keep in the shared
// database for a while (store.MemberPart): their rate-limit bucket
// (ratelimit.go) and, for a web visitor, the answers relayed to their page
// (webrelay.go). `!forget me` and `docent user delete` delete them with
// the rest; retention leaves them to the replica that tidies them every
// tidyEvery (takeover.go): relayed answers an hour, their IDs a day,
// refilled rate-limit buckets at once. `!export me` counts what is kept.
type replicaPart struct{}

func (replicaPart) Key() string { return "replicas_shared" }

// limitKeys are the keys of m's rate-limit buckets: theirs and their own
// conversation's (a web visitor's channel is their ID).
func limitKeys(tx *store.Tx, m store.MemberRef) [][]byte {
	var keys [][]byte
	for _, k := range []string{"m/" + m.Platform + ":" + m.ID, "c/" + m.Platform + ":" + m.ID} {
		if tx.Get(bucketRateLimit, []byte(k)) != nil {
			keys = append(keys, []byte(k))
		}
	}
	return keys
}

// Export says how many rows are kept about m, of each kind.
func (replicaPart) Export(tx *store.Tx, m store.MemberRef) (any, error) {
	relayed := 0
	if m.Platform == web.Platform {
		for _, prefix := range relayPrefixes(m.ID) {
			if err := tx.Scan(bucketWebRelay, []byte(prefix), func(_, _ []byte) error { relayed++; return nil }); err != nil {
				return nil, err
			}
		}
	}
	return map[string]int{"rate_limit_buckets": len(limitKeys(tx, m)), "web_answers_relayed": relayed}, nil
}

// Forget deletes m's rows.
func (replicaPart) Forget(tx *store.Tx, m store.MemberRef) (int, error) {
	limits := limitKeys(tx, m)
	for _, k := range limits {
		if err := tx.Delete(bucketRateLimit, k); err != nil {
			return 0, err
		}
	}
	n := len(limits)
	if m.Platform == web.Platform {
		for _, prefix := range relayPrefixes(m.ID) {
			deleted, err := tx.DeletePrefix(bucketWebRelay, []byte(prefix))
			if err != nil {
				return 0, err
			}
			n += deleted
		}
	}
	return n, nil
}

// Expire leaves the rows to tidyShared (a day at most).
func (replicaPart) Expire(*store.Tx, time.Time) (int, error) { return 0, nil }

// relayPrefixes begin the web relay's keys of visitor: its events, its
// answers (webrelay.go).
func relayPrefixes(visitor string) []string {
	return []string{"e/" + visitor + "/", "a/" + visitor + "/"}
}
