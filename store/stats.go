package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/docent-bot/docent/chat"
)

// Activity counters
//
// Every stored record is also counted into per-day, per-channel counters
// (dayCounts), which analytics read instead of the records. Counting is
// cheap, but rewriting today's counters in every commit would double what
// a busy commit writes, so counts collect in memory (pending) and are
// written at most once a second, or when something reads them, or at
// Close, in one of the writer's transactions. The file keeps the ID of the
// newest record its counters include (metaCounted); Open counts the
// records after it again, so a crash between two writes of the counters
// loses nothing, and a database made before counters existed gets them on
// its first Open.

// bucketStats holds the counters: day ‖ scope → encoded dayCounts. It is
// created on first use.
var bucketStats = []byte("stats")

// keyCounted (in the meta bucket) is the newest record ID the stored
// counters include, as 8 big-endian bytes.
var keyCounted = []byte("stats_counted")

// TextAnalyzer reads members' messages for the activity counters. The bot
// provides it, so that the store knows nothing of languages.
type TextAnalyzer interface {
	// Terms lists the topic words of a message, each once; a command or a
	// message without topic words has none.
	Terms(text string) []string
	// Thanks reports whether a message thanks someone ("thanks!", "ty").
	Thanks(text string) bool
}

// flushEvery is how long counts may wait in memory before they are
// written; flushRecords is how many records they may cover.
const (
	defaultFlushEvery = time.Second
	flushRecords      = 50_000
)

// statsScope is where a record was said, as analytics group it.
type statsScope struct {
	Platform, Space, Channel string
}

// statsKey names one dayCounts value.
type statsKey struct {
	day int64 // days since 1970-01-01 UTC
	statsScope
}

// dayOffset makes every day of years 0 to 9999 a positive uint32 in keys,
// so that byte order is day order.
const dayOffset = 1_000_000

func dayOf(t time.Time) int64 {
	sec := t.Unix()
	d := sec / 86400
	if sec%86400 < 0 {
		d--
	}
	return d
}

func dayTime(d int64) time.Time { return time.Unix(d*86400, 0).UTC() }

func (k statsKey) bytes() []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(k.day+dayOffset))
	b = appendField(b, k.Platform)
	b = appendField(b, k.Space)
	return appendField(b, k.Channel)
}

func parseStatsKey(b []byte) (statsKey, error) {
	if len(b) < 4 {
		return statsKey{}, fmt.Errorf("activity key %x: %w", b, errShortKey)
	}
	k := statsKey{day: int64(binary.BigEndian.Uint32(b)) - dayOffset}
	rest := b[4:]
	var err error
	for _, f := range []*string{&k.Platform, &k.Space, &k.Channel} {
		if *f, rest, err = parseField(rest); err != nil {
			return statsKey{}, fmt.Errorf("activity key %x: %w", b, err)
		}
	}
	if len(rest) != 0 {
		return statsKey{}, fmt.Errorf("activity key %x: %d bytes left over", b, len(rest))
	}
	return k, nil
}

func keyOf(rec Record) statsKey {
	return statsKey{day: dayOf(rec.Time), statsScope: statsScope{rec.Conversation.Platform, rec.Space, rec.Conversation.Channel}}
}

// statsDelta is counts not yet in the file.
type statsDelta struct {
	counts  map[statsKey]*dayCounts
	last    uint64 // the newest record counted
	records int
}

func (d *statsDelta) at(k statsKey) *dayCounts {
	if d.counts == nil {
		d.counts = map[statsKey]*dayCounts{}
	}
	c := d.counts[k]
	if c == nil {
		c = &dayCounts{}
		d.counts[k] = c
	}
	return c
}

func (d *statsDelta) merge(o *statsDelta) {
	for k, c := range o.counts {
		d.at(k).add(c)
	}
	d.last = max(d.last, o.last)
	d.records += o.records
}

// questionSources are the answers that answer a question, as opposed to a
// command's output or an apology.
func questionSource(s chat.Source) bool {
	switch s {
	case chat.SourceIntent, chat.SourceKnowledge, chat.SourceLLM, chat.SourceFallback:
		return true
	}
	return false
}

// latencyBucket files a time to first answer in buckets 5% wide, so that
// a median read from them is within 2.5% of the true one.
func latencyBucket(d time.Duration) int {
	ms := float64(d) / float64(time.Millisecond)
	if ms < 1 {
		return 0
	}
	return 1 + int(math.Log(ms)/math.Log(latencyStep))
}

const latencyStep = 1.05

// bucketLatency is the middle of a bucket, on a log scale.
func bucketLatency(b int) time.Duration {
	if b <= 0 {
		return time.Millisecond / 2
	}
	return time.Duration(math.Pow(latencyStep, float64(b-1)+0.5) * float64(time.Millisecond))
}

// maxLookBack bounds how many earlier records of a conversation counting
// one record reads (to find whom a "thanks" is for, or whether a question
// was answered already).
const maxLookBack = 32

// count adds rec, just put under key, to d. It reads the records before it
// in the conversation through tx.
func (s *Store) count(tx *bolt.Tx, d *statsDelta, key []byte, rec Record) error {
	d.last = max(d.last, rec.ID)
	d.records++
	c := d.at(keyOf(rec))
	switch rec.Kind {
	case KindMessage:
		if rec.Author.Bot {
			return nil
		}
		c.Messages++
		c.Hours[rec.Time.Hour()]++
		c.member(rec.Author).Messages++
		if s.text == nil {
			return nil
		}
		for _, t := range s.text.Terms(rec.Text) {
			bump(&c.Terms, t, 1)
		}
		if s.text.Thanks(rec.Text) {
			helper, err := thanked(tx, key, rec)
			if err != nil {
				return err
			}
			if helper.ID != "" {
				c.member(helper).Helped++
			}
		}
	case KindAnswer:
		bump(&c.Answers, rec.Source, 1)
		if rec.Source == chat.SourceIntent && rec.Intent != "" {
			bump(&c.Intents, rec.Intent, 1)
		}
		if rec.ReplyTo == 0 || !questionSource(rec.Source) {
			return nil
		}
		q, first, err := firstAnswer(tx, key, rec)
		if err != nil || !first {
			return err
		}
		c.member(q.Author).Questions++
		bump(&c.Latency, latencyBucket(max(0, rec.Time.Sub(q.Time))), 1)
	}
	return nil
}

// earlier calls fn with the records before key in its conversation, newest
// first, until fn returns false or maxLookBack have been read.
func earlier(tx *bolt.Tx, key []byte, conv []byte, fn func(Record) bool) error {
	msgs := tx.Bucket(bucketMessages)
	cur := msgs.Cursor()
	k, _ := cur.Seek(key)
	if k == nil {
		k, _ = cur.Last()
	}
	if k != nil && bytes.Compare(k, key) >= 0 {
		k, _ = cur.Prev()
	}
	for i := 0; k != nil && i < maxLookBack && bytes.HasPrefix(k, conv) && len(k) == len(conv)+idLen; i++ {
		rec, err := decodeRecord(k, msgs.Get(k))
		if err != nil {
			return err
		}
		if !fn(rec) {
			return nil
		}
		k, _ = cur.Prev()
	}
	return nil
}

// thanked finds the member a thanks is for: the author of the newest
// earlier message in the conversation by another member. Docent's answers
// to other members are passed over (in a thread it follows, Docent may
// answer the helper too), but an answer to the thanker ends the search:
// then the thanks is Docent's.
func thanked(tx *bolt.Tx, key []byte, rec Record) (chat.Member, error) {
	var (
		helper chat.Member
		err    error
	)
	conv := appendConversation(nil, rec.Conversation)
	walkErr := earlier(tx, key, conv, func(r Record) bool {
		switch {
		case r.Kind == KindAnswer:
			var q Record
			q, err = recordByID(tx, r.ReplyTo)
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

// recordByID reads a record in tx; a zero Record when there is none.
func recordByID(tx *bolt.Tx, id uint64) (Record, error) {
	if id == 0 {
		return Record{}, nil
	}
	msgs, ids, _, err := recordBuckets(tx)
	if err != nil {
		return Record{}, err
	}
	key := ids.Get(appendID(nil, id))
	if key == nil {
		return Record{}, nil
	}
	val := msgs.Get(key)
	if val == nil {
		return Record{}, fmt.Errorf("database is damaged: record %d is indexed but missing", id)
	}
	return decodeRecord(key, val)
}

// firstAnswer reads the question an answer replies to and reports whether
// the answer is its first.
func firstAnswer(tx *bolt.Tx, key []byte, rec Record) (q Record, first bool, err error) {
	if q, err = recordByID(tx, rec.ReplyTo); err != nil {
		return Record{}, false, err
	}
	if q.Kind != KindMessage { // deleted since, or not a question
		return Record{}, false, nil
	}
	first = true
	conv := appendConversation(nil, rec.Conversation)
	err = earlier(tx, key, conv, func(r Record) bool {
		if r.ID <= rec.ReplyTo {
			return false
		}
		if r.Kind == KindAnswer && r.ReplyTo == rec.ReplyTo {
			first = false
			return false
		}
		return true
	})
	return q, first, err
}

// addCounts adds d to the stored counters, in tx. Counts that fall to
// zero or below (votes taken back) are dropped. A stored value that does
// not decode is replaced (and the loss logged): damaged counters must not
// stop messages from being stored.
func (s *Store) addCounts(tx *bolt.Tx, d map[statsKey]*dayCounts) error {
	if len(d) == 0 {
		return nil
	}
	b, err := tx.CreateBucketIfNotExists(bucketStats)
	if err != nil {
		return err
	}
	for k, delta := range d {
		kb := k.bytes()
		c := &dayCounts{}
		if old := b.Get(kb); old != nil {
			if c, err = decodeCounts(old); err != nil {
				s.log.Error("store: activity counters were damaged; counting afresh from now", "path", s.path,
					"platform", k.Platform, "channel", k.Channel, "day", dayTime(k.day).Format(time.DateOnly), "err", err)
				c = &dayCounts{}
			}
		}
		c.add(delta)
		if err := b.Put(kb, encodeCounts(c)); err != nil {
			return err
		}
	}
	return nil
}

// writePending writes the pending counts and this transaction's into the
// file, and moves the counted mark. It runs in the writer's transaction.
func (s *Store) writePending(tx *bolt.Tx, pending, delta *statsDelta) error {
	all := &statsDelta{}
	all.merge(pending)
	all.merge(delta)
	if err := s.addCounts(tx, all.counts); err != nil {
		return err
	}
	if all.last == 0 {
		return nil
	}
	meta := tx.Bucket(bucketMeta)
	if old := meta.Get(keyCounted); len(old) == 8 && binary.BigEndian.Uint64(old) > all.last {
		// Never expected; and counters must never stop records from being
		// stored: keep the newer mark.
		s.log.Warn("store: activity counters already include newer records", "path", s.path,
			"counted", binary.BigEndian.Uint64(old), "writing", all.last)
		return nil
	}
	return meta.Put(keyCounted, appendID(nil, all.last))
}

// update runs fn in a write transaction in which the records fn stores are
// counted (through s.txDelta), and writes the pending counts too when
// flush is set or they are due. Counts reach pending only once the
// transaction has committed.
func (s *Store) update(fn func(tx *bolt.Tx) error, flush bool) error {
	delta := &statsDelta{}
	flushed := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		// bbolt runs one write transaction at a time, which is what makes
		// txDelta safe to share.
		s.txDelta = delta
		defer func() { s.txDelta = nil }()
		if err := fn(tx); err != nil {
			return err
		}
		s.statsMu.Lock()
		defer s.statsMu.Unlock()
		due := s.pending.records+delta.records >= flushRecords ||
			(s.pending.records > 0 && time.Since(s.pendingSince) >= s.flushEvery)
		if !flush && !due {
			return nil
		}
		if err := s.writePending(tx, &s.pending, delta); err != nil {
			return fmt.Errorf("write activity counters: %w", err)
		}
		flushed = true
		return nil
	})
	if err != nil {
		return err
	}
	s.commits.Add(1)
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	if flushed {
		s.pending = statsDelta{}
		return nil
	}
	if delta.records > 0 && s.pending.records == 0 {
		s.pendingSince = time.Now()
	}
	s.pending.merge(delta)
	return nil
}

// hasPending reports whether counts wait in memory.
func (s *Store) hasPending() bool {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return s.pending.records > 0
}

// recount counts the records the stored counters do not include yet: those
// written since the last write of the counters before a crash, or every
// record of a database made before counters existed. It runs in Open,
// before any caller can write, in transactions of at most flushRecords.
func (s *Store) recount() error {
	for {
		done := false
		n := 0
		err := s.db.Update(func(tx *bolt.Tx) error {
			msgs, ids, _, err := recordBuckets(tx)
			if err != nil {
				return err
			}
			var from uint64
			if v := tx.Bucket(bucketMeta).Get(keyCounted); len(v) == 8 {
				from = binary.BigEndian.Uint64(v)
			}
			d := &statsDelta{}
			cur := ids.Cursor()
			k, key := cur.Seek(appendID(nil, from+1))
			for ; k != nil && d.records < flushRecords; k, key = cur.Next() {
				val := msgs.Get(key)
				if val == nil {
					return fmt.Errorf("database is damaged: record %x is indexed but missing", k)
				}
				rec, err := decodeRecord(key, val)
				if err != nil {
					return err
				}
				if err := s.count(tx, d, key, rec); err != nil {
					return err
				}
			}
			done = k == nil
			n = d.records
			return s.writePending(tx, &statsDelta{}, d)
		})
		if err != nil {
			return fmt.Errorf("store: count the activity of %s: %w", s.path, err)
		}
		if n > 0 {
			s.log.Info("store: activity counted", "records", n)
		}
		if done {
			return nil
		}
	}
}
