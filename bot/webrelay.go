package bot

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"time"

	"github.com/docent-bot/docent/adapters/web"
	"github.com/docent-bot/docent/store"
)

// The web chat's answers shared by replicas behind a load balancer (a
// visitor's message posted to one, their page's event stream served by
// another), in a bucket of the shared database:
//
//	web_relay  "e/" visitor "/" seq → time ‖ event JSON
//	           "a/" visitor "/" answer ID → time
//
// seq (8 bytes, big-endian) is the time the event was kept, in Unix
// nanoseconds, moved up past the visitor's last one when it is not
// above it; time is 8 bytes of Unix nanoseconds too. Events are kept
// for relayEvents, long enough for a page to reconnect; the answers
// sent, for relayAnswers, which votes are taken for.
var bucketWebRelay = store.NewBucket("web_relay")

const (
	relayEvents  = time.Hour
	relayAnswers = 24 * time.Hour
)

// webRelay is the web.Relay of replicas, over the store.
type webRelay struct {
	db  store.Buckets
	log *slog.Logger
	now func() time.Time
}

// WebRelay is what the web chat shares with the other replicas (see
// web.Options.Relay): nil for a lone Docent, whose web chat keeps its
// visitors' answers in memory.
func (b *Bot) WebRelay() web.Relay {
	if !b.store.Replica() {
		return nil
	}
	return &webRelay{db: b.store, log: b.log, now: time.Now}
}

func relayEventKey(visitor string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte("e/"+visitor+"/"), seq)
}

func nanos(t time.Time) []byte { return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())) }

// Start is now: a page opened now sees what is published from now on.
func (r *webRelay) Start() uint64 { return uint64(r.now().UnixNano()) }

func (r *webRelay) Publish(ctx context.Context, visitor, answerID string, data []byte) (uint64, error) {
	now := r.now()
	var seq uint64
	err := r.db.Update(ctx, func(tx *store.Tx) error {
		seq = uint64(now.UnixNano())
		// Above the visitor's last event, whichever replica kept it.
		err := tx.ScanRange(bucketWebRelay, relayEventKey(visitor, seq), relayEventKey(visitor, ^uint64(0)), func(k, _ []byte) error {
			seq = binary.BigEndian.Uint64(k[len(k)-8:]) + 1
			return nil
		})
		if err != nil {
			return err
		}
		if err := tx.Put(bucketWebRelay, relayEventKey(visitor, seq), append(nanos(now), data...)); err != nil {
			return err
		}
		return tx.Put(bucketWebRelay, []byte("a/"+visitor+"/"+answerID), nanos(now))
	})
	if err != nil {
		return 0, fmt.Errorf("web relay: keep an answer for visitor %s: %w", visitor, err)
	}
	return seq, nil
}

func (r *webRelay) After(ctx context.Context, visitor string, seq uint64) ([]web.RelayEvent, error) {
	var out []web.RelayEvent
	err := r.db.View(ctx, func(tx *store.Tx) error {
		out = out[:0]
		if seq == ^uint64(0) {
			return nil
		}
		return tx.ScanRange(bucketWebRelay, relayEventKey(visitor, seq+1), []byte("e/"+visitor+"0"), func(k, v []byte) error {
			if len(v) < 8 || len(k) < 8 {
				return nil
			}
			out = append(out, web.RelayEvent{Seq: binary.BigEndian.Uint64(k[len(k)-8:]), Data: append([]byte(nil), v[8:]...)})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("web relay: read the answers for visitor %s: %w", visitor, err)
	}
	return out, nil
}

func (r *webRelay) Sent(ctx context.Context, visitor, answerID string) (bool, error) {
	var sent bool
	err := r.db.View(ctx, func(tx *store.Tx) error {
		sent = tx.Get(bucketWebRelay, []byte("a/"+visitor+"/"+answerID)) != nil
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("web relay: look up answer %s for visitor %s: %w", answerID, visitor, err)
	}
	return sent, nil
}

// prune deletes the events and answers kept longer than they are needed.
func (r *webRelay) prune(now time.Time) {
	pruneBucket(r.db, r.log, bucketWebRelay, "the web relay's old answers", func(k, v []byte) bool {
		keep := relayEvents
		if k[0] == 'a' {
			keep = relayAnswers
		}
		return len(v) < 8 || now.Sub(time.Unix(0, int64(binary.BigEndian.Uint64(v)))) > keep
	})
}
