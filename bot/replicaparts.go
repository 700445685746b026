package bot

import (
	"bytes"
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

// replicaKeys are the keys of m's rows: in the rate limits, their bucket
// and their own conversation's (a web visitor's channel is their ID); in
// the web relay, the events and answers of the visitor they are.
func replicaKeys(tx *store.Tx, m store.MemberRef) (limits, relay [][]byte, err error) {
	for _, k := range []string{"m/" + m.Platform + ":" + m.ID, "c/" + m.Platform + ":" + m.ID} {
		if tx.Get(bucketRateLimit, []byte(k)) != nil {
			limits = append(limits, []byte(k))
		}
	}
	if m.Platform != web.Platform {
		return limits, nil, nil
	}
	for _, prefix := range []string{"e/" + m.ID + "/", "a/" + m.ID + "/"} {
		err = tx.Scan(bucketWebRelay, []byte(prefix), func(k, _ []byte) error {
			relay = append(relay, bytes.Clone(k))
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return limits, relay, nil
}

// Export says how many rows are kept about m, of each kind.
func (replicaPart) Export(tx *store.Tx, m store.MemberRef) (any, error) {
	limits, relay, err := replicaKeys(tx, m)
	if err != nil {
		return nil, err
	}
	return map[string]int{"rate_limit_buckets": len(limits), "web_answers_relayed": len(relay)}, nil
}

// Forget deletes m's rows.
func (replicaPart) Forget(tx *store.Tx, m store.MemberRef) (int, error) {
	limits, relay, err := replicaKeys(tx, m)
	if err != nil {
		return 0, err
	}
	for _, k := range limits {
		if err := tx.Delete(bucketRateLimit, k); err != nil {
			return 0, err
		}
	}
	for _, k := range relay {
		if err := tx.Delete(bucketWebRelay, k); err != nil {
			return 0, err
		}
	}
	return len(limits) + len(relay), nil
}

// Expire leaves the rows to tidyShared (a day at most).
func (replicaPart) Expire(*store.Tx, time.Time) (int, error) { return 0, nil }
