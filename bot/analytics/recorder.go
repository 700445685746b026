package analytics

import (
	"cmp"
	"fmt"
	"log/slog"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/chat/topics"
	"github.com/docent-bot/docent/store"
)

// recorder counts records into the activity counters in the transaction
// that stores them (store.Recorder), votes in the one that records them,
// and takes a forgotten member's records out again.
type recorder struct {
	text topics.Text
	log  *slog.Logger
}

var (
	_ store.VoteRecorder = recorder{}
	_ store.Unrecorder   = recorder{}
)

// Key is "stats": the store keeps the newest record counted under
// "stats_counted", where it kept it when the counters were its own.
func (recorder) Key() string { return "stats" }

// Record counts recs, just stored, into the counters.
func (r recorder) Record(tx *store.Tx, recs []store.Record) error {
	d := map[statsKey]*dayCounts{}
	for _, rec := range recs {
		if err := r.count(tx, d, rec); err != nil {
			return fmt.Errorf("count record %d: %w", rec.ID, err)
		}
	}
	return r.addCounts(tx, d)
}

// at is d's counters under k, created on first use.
func at(d map[statsKey]*dayCounts, k statsKey) *dayCounts {
	c := d[k]
	if c == nil {
		c = &dayCounts{}
		d[k] = c
	}
	return c
}

// maxLookBack bounds how many earlier records of a conversation counting
// one record reads (to find whom a "thanks" is for, or whether a question
// was answered already).
const maxLookBack = 32

// count adds rec, just stored, to d. It reads the records before it in the
// conversation through tx.
func (r recorder) count(tx *store.Tx, d map[statsKey]*dayCounts, rec store.Record) error {
	c := at(d, keyOf(rec))
	switch rec.Kind {
	case store.KindMessage:
		if rec.Author.Bot {
			return nil
		}
		c.Messages++
		c.Hours[rec.Time.Hour()]++
		c.member(rec.Author).Messages++
		for _, t := range r.text.Terms(rec.Text) {
			bump(&c.Terms, t, 1)
		}
		if r.text.Thanks(rec.Text) {
			helper, err := thanked(tx, rec)
			if err != nil {
				return err
			}
			if helper.ID != "" {
				c.member(helper).Helped++
			}
		}
	case store.KindAnswer:
		bump(&c.Answers, rec.Source, 1)
		if rec.Source == chat.SourceIntent && rec.Intent != "" {
			bump(&c.Intents, rec.Intent, 1)
		}
		if rec.ReplyTo == 0 || !questionSource(rec.Source) {
			return nil
		}
		q, first, err := firstAnswer(tx, rec)
		if err != nil || !first {
			return err
		}
		c.member(q.Author).Questions++
		bump(&c.Latency, latencyBucket(max(0, rec.Time.Sub(q.Time))), 1)
	}
	return nil
}

// thanked finds the member a thanks is for: the author of the newest
// earlier message in the conversation by another member. Docent's answers
// to other members are passed over (in a thread it follows, Docent may
// answer the helper too), but an answer to the thanker ends the search:
// then the thanks is Docent's.
func thanked(tx *store.Tx, rec store.Record) (chat.Member, error) {
	var (
		helper chat.Member
		err    error
	)
	walkErr := tx.Earlier(rec, maxLookBack, func(r store.Record) bool {
		switch {
		case r.Kind == store.KindAnswer:
			var q store.Record
			q, err = tx.Record(r.ReplyTo)
			return err == nil && q.ID != 0 && q.Author.ID != rec.Author.ID
		case r.Author.ID == rec.Author.ID:
			return true
		case !r.Author.Bot:
			helper = r.Author
		}
		return false
	})
	return helper, cmp.Or(walkErr, err)
}

// firstAnswer reads the question an answer replies to and reports whether
// the answer is its first.
func firstAnswer(tx *store.Tx, rec store.Record) (q store.Record, first bool, err error) {
	if q, err = tx.Record(rec.ReplyTo); err != nil {
		return store.Record{}, false, err
	}
	if q.Kind != store.KindMessage { // deleted since, or not a question
		return store.Record{}, false, nil
	}
	first = true
	err = tx.Earlier(rec, maxLookBack, func(r store.Record) bool {
		if r.ID <= rec.ReplyTo {
			return false
		}
		if r.Kind == store.KindAnswer && r.ReplyTo == rec.ReplyTo {
			first = false
			return false
		}
		return true
	})
	return q, first, err
}

// RecordVote moves the counters from a member's old vote on rec to the
// new one: on an answer, the votes on its source; on a member's message,
// the credit its author gets for helping (never for a vote on their own
// message).
func (r recorder) RecordVote(tx *store.Tx, rec store.Record, voter chat.Member, old, vote chat.Vote) error {
	if old == vote {
		return nil
	}
	d := &dayCounts{}
	switch {
	case rec.Kind == store.KindAnswer:
		for _, v := range []struct {
			vote chat.Vote
			n    int
		}{{old, -1}, {vote, 1}} {
			switch v.vote {
			case chat.VoteUp:
				d.Up = map[chat.Source]int{rec.Source: v.n}
			case chat.VoteDown:
				d.Down = map[chat.Source]int{rec.Source: v.n}
			}
		}
	case rec.Author.ID != voter.ID && !rec.Author.Bot && (old == chat.VoteUp || vote == chat.VoteUp):
		n := 1
		if old == chat.VoteUp {
			n = -1
		}
		// Built by hand, not with member(): the delta may be negative.
		d.Members = map[string]*memberCounts{rec.Author.ID: {Helped: n}}
	default:
		return nil
	}
	return r.addCounts(tx, map[statsKey]*dayCounts{keyOf(rec): d})
}

// Unrecord takes a forgotten member's records out of the counters: what
// counting them added, negated: their messages and hours, their words,
// their answers' sources and intents. (Their share of the first-answer
// times stays: those buckets name nobody.)
func (r recorder) Unrecord(tx *store.Tx, recs []store.Record) error {
	d := map[statsKey]*dayCounts{}
	for _, rec := range recs {
		r.uncount(d, rec)
	}
	return r.addCounts(tx, d)
}

func (r recorder) uncount(d map[statsKey]*dayCounts, rec store.Record) {
	c := at(d, keyOf(rec))
	neg := func(m *map[string]int, key string) {
		if *m == nil {
			*m = map[string]int{}
		}
		(*m)[key]--
	}
	switch rec.Kind {
	case store.KindMessage:
		if rec.Author.Bot {
			return
		}
		c.Messages--
		c.Hours[rec.Time.Hour()]--
		for _, t := range r.text.Terms(rec.Text) {
			neg(&c.Terms, t)
		}
	case store.KindAnswer:
		if c.Answers == nil {
			c.Answers = map[chat.Source]int{}
		}
		c.Answers[rec.Source]--
		if rec.Source == chat.SourceIntent && rec.Intent != "" {
			neg(&c.Intents, rec.Intent)
		}
	}
}

// addCounts adds d to the stored counters, in tx. Counts that fall to
// zero or below (votes taken back) are dropped. A stored value that does
// not decode is replaced (and the loss logged): damaged counters must not
// stop messages from being stored.
func (r recorder) addCounts(tx *store.Tx, d map[statsKey]*dayCounts) error {
	for k, delta := range d {
		kb := k.bytes()
		c := &dayCounts{}
		if old := tx.Get(statsBucket, kb); old != nil {
			var err error
			if c, err = decodeCounts(old); err != nil {
				r.log.Error("analytics: activity counters were damaged; counting afresh from now",
					"platform", k.Platform, "channel", k.Channel, "day", dayTime(k.day).Format(time.DateOnly), "err", err)
				c = &dayCounts{}
			}
		}
		c.add(delta)
		if err := tx.Put(statsBucket, kb, encodeCounts(c)); err != nil {
			return err
		}
	}
	return nil
}
