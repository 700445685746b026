package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/docent-bot/docent/chat"
)

// Privacy: what the store holds about one member, exporting it, deleting
// it, and deleting old history (retention).
//
// A member's records are found by scanning the messages bucket in a read
// transaction, which runs beside the writer, so appends never wait for a
// scan. Deletion then goes through the writer in transactions of at most
// deleteChunk records, and a last pass catches what the member wrote
// meanwhile.

// bucketUsage is the budgets module's (bot/budgets): the LLM use per day
// and scope, "2006-01-02/member:discord:42" → requests ‖ tokens, 8 bytes
// each, big-endian. The store only reads it here, for members' exports,
// forget and retention, whose reports name it in fields of their own
// (llm_usage, usage_days), which a MemberPart's one key cannot keep.
var bucketUsage = []byte("usage")

// Usage is what the LLM cost in one scope on one day.
type Usage struct {
	Requests int `json:"requests"`
	Tokens   int `json:"tokens"`
}

func decodeUsage(b []byte) Usage {
	if len(b) != 16 {
		return Usage{}
	}
	return Usage{Requests: int(binary.BigEndian.Uint64(b)), Tokens: int(binary.BigEndian.Uint64(b[8:]))}
}

// MemberRef names a member on a platform.
type MemberRef struct {
	Platform string `json:"platform"`
	ID       string `json:"id"`
}

func (m MemberRef) String() string { return m.Platform + ":" + m.ID }

// MemberData is everything the store holds about a member.
type MemberData struct {
	Member MemberRef `json:"member"`
	// Messages are what they wrote; Answers what Docent answered them.
	Messages []Record `json:"messages"`
	Answers  []Record `json:"answers"`
	// Votes are the votes they cast on Docent's answers or members' messages.
	Votes []Vote `json:"votes"`
	// Usage is the LLM usage counted against them, by day.
	Usage map[string]Usage `json:"llm_usage,omitempty"`
	// Activity is their part of the daily activity counters.
	Activity []MemberDay `json:"activity,omitempty"`
	// Parts are what each feature module holds about them, by the part's
	// key (Options.Parts); in JSON each is a field of its own, left out
	// when empty.
	Parts map[string]any `json:"-"`
}

// MarshalJSON writes d with its parts as fields of their own.
func (d MemberData) MarshalJSON() ([]byte, error) {
	type plain MemberData // without the method
	parts := map[string]any{}
	for k, v := range d.Parts {
		if !emptyPart(v) {
			parts[k] = v
		}
	}
	return withParts(plain(d), parts)
}

// MemberDay is a member's activity in one channel on one day.
type MemberDay struct {
	Day       string `json:"day"`
	Space     string `json:"space,omitempty"`
	Channel   string `json:"channel"`
	Messages  int    `json:"messages"`
	Questions int    `json:"questions"`
	Helped    int    `json:"helped"`
}

// Forgotten counts what ForgetMember deleted.
type Forgotten struct {
	Messages int `json:"messages"`
	Answers  int `json:"answers"`
	Votes    int `json:"votes"`
	Usage    int `json:"usage_days"`
	Activity int `json:"activity_days"`
	// Parts counts what each feature module deleted, by the part's key.
	Parts map[string]int `json:"-"`
	// Records are the IDs of every record deleted, so that the bot can drop
	// them from what it keeps in memory (past threads).
	Records []uint64 `json:"-"`
}

// MarshalJSON writes f with each part's count as a field of its own.
func (f Forgotten) MarshalJSON() ([]byte, error) {
	type plain Forgotten
	return withParts(plain(f), countParts(f.Parts))
}

// UnmarshalJSON reads what MarshalJSON wrote (the control socket's
// reply): the fields it does not know are the parts' counts.
func (f *Forgotten) UnmarshalJSON(data []byte) error {
	type plain Forgotten
	var p plain
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	parts, err := partCounts(data, p)
	if err != nil {
		return err
	}
	*f = Forgotten(p)
	f.Parts = parts
	return nil
}

// deleteChunk bounds the records one deleting transaction removes, so that
// appends queued behind it wait milliseconds, not seconds.
const deleteChunk = 2000

func validMember(m MemberRef) error {
	if m.Platform == "" || m.ID == "" {
		return fmt.Errorf("%w: a member needs a platform and an ID", ErrInvalid)
	}
	return validUTF8("platform", m.Platform, "member ID", m.ID)
}

// authorNeedle is the bytes every record value written by the member
// contains, so that a scan decodes only candidate records.
func authorNeedle(id string) []byte {
	b, _ := json.Marshal(id)
	return append([]byte(`"author":{"id":`), b...)
}

// memberRecords finds the member's messages with an ID above after, adds
// their IDs to asked, and finds Docent's answers to any message in asked
// (wherever they are: an answer may come long after its question in a busy
// channel, or after the question was deleted), in tx.
func memberRecords(ctx context.Context, tx *bolt.Tx, m MemberRef, after uint64, asked map[uint64]bool) (msgs, answers []Record, keys [][]byte, newest uint64, err error) {
	bm := tx.Bucket(bucketMessages)
	needle := authorNeedle(m.ID)
	n := 0
	check := func() error {
		if n++; n%(64*ctxCheckEvery) == 0 {
			return ctx.Err()
		}
		return nil
	}
	c := bm.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if err := check(); err != nil {
			return nil, nil, nil, 0, err
		}
		if len(k) >= idLen {
			newest = max(newest, binary.BigEndian.Uint64(k[len(k)-idLen:]))
		}
		if !bytes.Contains(v, needle) {
			continue
		}
		rec, err := decodeRecord(k, v)
		if err != nil {
			return nil, nil, nil, 0, err
		}
		if rec.ID <= after || rec.Kind != KindMessage || rec.Author.ID != m.ID || rec.Conversation.Platform != m.Platform {
			continue
		}
		msgs = append(msgs, rec)
		keys = append(keys, bytes.Clone(k))
		asked[rec.ID] = true
	}
	if len(asked) == 0 {
		return msgs, nil, keys, newest, nil
	}
	// Answers name their question in "reply_to": read that number without
	// decoding every answer.
	replyTo := []byte(`"reply_to":`)
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if err := check(); err != nil {
			return nil, nil, nil, 0, err
		}
		i := bytes.Index(v, replyTo)
		if i < 0 {
			continue
		}
		var q uint64
		for _, b := range v[i+len(replyTo):] {
			if b < '0' || b > '9' {
				break
			}
			q = q*10 + uint64(b-'0')
		}
		if !asked[q] {
			continue
		}
		a, err := decodeRecord(k, v)
		if err != nil {
			return nil, nil, nil, 0, err
		}
		if a.Kind == KindAnswer && asked[a.ReplyTo] {
			answers = append(answers, a)
			keys = append(keys, bytes.Clone(k))
		}
	}
	return msgs, answers, keys, newest, nil
}

// ExportMember returns everything the store holds about a member. It reads
// one consistent snapshot.
func (s *Store) ExportMember(ctx context.Context, m MemberRef) (MemberData, error) {
	if err := validMember(m); err != nil {
		return MemberData{}, fmt.Errorf("store: export member: %w", err)
	}
	// Counts still in memory belong in the export too.
	if err := s.flushCounts(ctx); err != nil {
		return MemberData{}, fmt.Errorf("store: export member %s: %w", m, err)
	}
	d := MemberData{Member: m, Messages: []Record{}, Answers: []Record{}, Votes: []Vote{}}
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		if d.Messages, d.Answers, _, _, err = memberRecords(ctx, tx, m, 0, map[uint64]bool{}); err != nil {
			return err
		}
		if d.Messages == nil {
			d.Messages = []Record{}
		}
		if d.Answers == nil {
			d.Answers = []Record{}
		}
		if err := eachMemberVote(tx, m, func(_ []byte, v Vote, _ Record) error {
			d.Votes = append(d.Votes, v)
			return nil
		}); err != nil {
			return err
		}
		d.Usage = memberUsage(tx, m, nil)
		if d.Parts, err = askParts(s.parts, tx, func(p MemberPart, t *Tx) (any, error) { return p.Export(t, m) }); err != nil {
			return err
		}
		return eachMemberDay(tx, m, func(_ []byte, k statsKey, _ *dayCounts, mc *memberCounts) {
			d.Activity = append(d.Activity, MemberDay{Day: dayTime(k.day).Format(time.DateOnly), Space: k.Space,
				Channel: k.Channel, Messages: mc.Messages, Questions: mc.Questions, Helped: mc.Helped})
		})
	})
	if err != nil {
		return MemberData{}, fmt.Errorf("store: export member %s: %w", m, err)
	}
	return d, nil
}

// eachMemberVote calls fn with every vote the member cast and the record
// voted on.
func eachMemberVote(tx *bolt.Tx, m MemberRef, fn func(key []byte, v Vote, on Record) error) error {
	fb := tx.Bucket(bucketFeedback)
	if fb == nil {
		return nil
	}
	c := fb.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) <= idLen || string(k[idLen:]) != m.ID {
			continue
		}
		var vote Vote
		if err := json.Unmarshal(v, &vote); err != nil {
			return fmt.Errorf("decode a vote: %w", err)
		}
		on, err := recordByID(tx, vote.AnswerID)
		if err != nil {
			return err
		}
		if on.ID != 0 && on.Conversation.Platform != m.Platform {
			continue // the same ID on another platform is someone else
		}
		if err := fn(bytes.Clone(k), vote, on); err != nil {
			return err
		}
	}
	return nil
}

// memberUsage returns the member's LLM usage by day; with del set it also
// collects the keys into del.
func memberUsage(tx *bolt.Tx, m MemberRef, del *[][]byte) map[string]Usage {
	b := tx.Bucket(bucketUsage)
	if b == nil {
		return nil
	}
	suffix := "/member:" + m.Platform + ":" + m.ID
	// The usage of their own conversation (see ownChannel) names them too.
	own := "/channel:" + m.Platform + ":" + m.ID
	out := map[string]Usage{}
	_ = b.ForEach(func(k, v []byte) error {
		if day, ok := strings.CutSuffix(string(k), suffix); ok {
			out[day] = decodeUsage(v)
			if del != nil {
				*del = append(*del, bytes.Clone(k))
			}
		} else if del != nil && strings.HasSuffix(string(k), own) {
			*del = append(*del, bytes.Clone(k))
		}
		return nil
	})
	return out
}

// eachMemberDay calls fn for every stored day's counters with an entry
// for the member.
func eachMemberDay(tx *bolt.Tx, m MemberRef, fn func(key []byte, k statsKey, c *dayCounts, mc *memberCounts)) error {
	b := tx.Bucket(bucketStats)
	if b == nil {
		return nil
	}
	return b.ForEach(func(kb, v []byte) error {
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

// flushCounts writes the activity counts waiting in memory, if any: every
// append that returned before the call has its counts in memory or in the
// file by then, so with none in memory there is no commit to wait for.
func (s *Store) flushCounts(ctx context.Context) error {
	if !s.hasPending() {
		return ctx.Err()
	}
	r := newWriteReq(func(*bolt.Tx) (Record, error) { return Record{}, nil })
	r.flush = true
	_, err := s.submit(ctx, r)
	return err
}

// ForgetMember deletes everything the store holds about a member: their
// messages and Docent's answers to them (with the votes on those), the
// votes they cast, their LLM usage and their part of the activity
// counters, which then count as if they had never written (their words
// leave the trending counts too); and asks every module's part to forget
// its share (lessons they taught stay, but no longer name them).
//
// Deleted data leaves freed pages in the file until new writes reuse them;
// `docent compact` rewrites the file without them.
func (s *Store) ForgetMember(ctx context.Context, m MemberRef) (Forgotten, error) {
	if err := validMember(m); err != nil {
		return Forgotten{}, fmt.Errorf("store: forget member: %w", err)
	}
	var f Forgotten
	// The closures run in the writer and write only their own result,
	// read after a successful submit: a submit cut short by ctx returns
	// while the closure may still run.
	var g Forgotten
	// First what they did to others' records: votes, usage, and the
	// modules' parts (lessons they taught).
	first := newWriteReq(func(tx *bolt.Tx) (Record, error) {
		g = Forgotten{}
		if err := eachMemberVote(tx, m, func(key []byte, v Vote, on Record) error {
			if on.ID != 0 {
				if err := s.countVote(tx, on, chat.Member{ID: m.ID}, v.Vote, chat.VoteNone); err != nil {
					return err
				}
			}
			g.Votes++
			return tx.Bucket(bucketFeedback).Delete(key)
		}); err != nil {
			return Record{}, err
		}
		var usage [][]byte
		memberUsage(tx, m, &usage)
		for _, k := range usage {
			if err := tx.Bucket(bucketUsage).Delete(k); err != nil {
				return Record{}, err
			}
		}
		g.Usage = len(usage)
		parts, err := askParts(s.parts, tx, func(p MemberPart, t *Tx) (int, error) { return p.Forget(t, m) })
		if err != nil {
			return Record{}, err
		}
		g.Parts = parts
		return Record{}, nil
	})
	if _, err := s.submit(ctx, first); err != nil {
		return f, fmt.Errorf("store: forget member %s: %w", m, err)
	}
	f.Votes, f.Usage, f.Parts = g.Votes, g.Usage, g.Parts
	var after uint64
	asked := map[uint64]bool{} // every message of theirs found, deleted or not
	// Scan, delete what was found, and scan again for what arrived
	// meanwhile, until a scan finds nothing new.
	for {
		var keys [][]byte
		var newest uint64
		var msgs, answers []Record
		err := s.view(func(tx *bolt.Tx) error {
			var err error
			msgs, answers, keys, newest, err = memberRecords(ctx, tx, m, after, asked)
			return err
		})
		if err != nil {
			return f, fmt.Errorf("store: forget member %s: %w", m, err)
		}
		for len(keys) > 0 {
			n := min(len(keys), deleteChunk)
			chunk := keys[:n]
			keys = keys[n:]
			// Their records leave the counters too (words they wrote are in
			// them), so the counts must be in the file first.
			if err := s.flushCounts(ctx); err != nil {
				return f, fmt.Errorf("store: forget member %s: %w", m, err)
			}
			r := newWriteReq(func(tx *bolt.Tx) (Record, error) {
				uncounted := map[statsKey]*dayCounts{}
				for _, k := range chunk {
					rec, err := deleteRecord(tx, k)
					if err != nil {
						return Record{}, err
					}
					if rec.ID != 0 {
						s.uncount(uncounted, rec)
					}
				}
				return Record{}, s.addCounts(tx, uncounted)
			})
			if _, err := s.submit(ctx, r); err != nil {
				return f, fmt.Errorf("store: forget member %s: delete records: %w", m, err)
			}
		}
		f.Messages += len(msgs)
		f.Answers += len(answers)
		for _, r := range append(msgs, answers...) {
			f.Records = append(f.Records, r.ID)
		}
		if len(msgs) == 0 || newest <= after {
			break
		}
		after = newest
	}
	// Last, their part of the counters, the counts still in memory too.
	var days int
	r := newWriteReq(func(tx *bolt.Tx) (Record, error) {
		s.statsMu.Lock()
		forgetCounts(s.pending.counts, m)
		s.statsMu.Unlock()
		if s.txDelta != nil {
			forgetCounts(s.txDelta.counts, m)
		}
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
			return Record{}, err
		}
		own, err := ownChannelDays(tx, m)
		if err != nil {
			return Record{}, err
		}
		for _, ch := range changes {
			if err := tx.Bucket(bucketStats).Put(ch.key, encodeCounts(ch.c)); err != nil {
				return Record{}, err
			}
		}
		for _, k := range own {
			if err := tx.Bucket(bucketStats).Delete(k); err != nil {
				return Record{}, err
			}
		}
		days = len(changes) + len(own)
		return Record{}, nil
	})
	r.flush = true
	if _, err := s.submit(ctx, r); err != nil {
		return f, fmt.Errorf("store: forget member %s: %w", m, err)
	}
	f.Activity = days
	return f, nil
}

// ownChannel says whether scope is the member's own conversation: one
// whose channel is named by their ID, as a web visitor's chat is. Its
// counters hold nothing but them and Docent's answers to them, and its
// key names them, so forgetting them deletes it whole.
func ownChannel(scope statsScope, m MemberRef) bool {
	return scope.Platform == m.Platform && scope.Channel == m.ID
}

// forgetCounts takes the member out of counts not yet in the file.
func forgetCounts(counts map[statsKey]*dayCounts, m MemberRef) {
	for k, c := range counts {
		switch {
		case ownChannel(k.statsScope, m):
			delete(counts, k)
		case k.Platform == m.Platform:
			delete(c.Members, m.ID)
		}
	}
}

// ownChannelDays returns the stats keys of the member's own conversation.
func ownChannelDays(tx *bolt.Tx, m MemberRef) ([][]byte, error) {
	b := tx.Bucket(bucketStats)
	if b == nil {
		return nil, nil
	}
	var out [][]byte
	err := b.ForEach(func(kb, _ []byte) error {
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

// uncount adds to d what counting rec added, negated: its message and
// hour, its words, its answer's source and intent. (Its share of the
// first-answer times stays: those buckets name nobody.)
func (s *Store) uncount(d map[statsKey]*dayCounts, rec Record) {
	k := keyOf(rec)
	c := d[k]
	if c == nil {
		c = &dayCounts{}
		d[k] = c
	}
	neg := func(m *map[string]int, key string) {
		if *m == nil {
			*m = map[string]int{}
		}
		(*m)[key]--
	}
	switch rec.Kind {
	case KindMessage:
		if rec.Author.Bot {
			return
		}
		c.Messages--
		c.Hours[rec.Time.Hour()]--
		if s.text != nil {
			for _, t := range s.text.Terms(rec.Text) {
				neg(&c.Terms, t)
			}
		}
	case KindAnswer:
		if c.Answers == nil {
			c.Answers = map[chat.Source]int{}
		}
		c.Answers[rec.Source]--
		if rec.Source == chat.SourceIntent && rec.Intent != "" {
			neg(&c.Intents, rec.Intent)
		}
	}
}

// deleteRecord removes the record under key with its index entries, the
// votes on it and its share of its conversation's summary. It reports
// the record deleted (a zero Record when there was none).
func deleteRecord(tx *bolt.Tx, key []byte) (Record, error) {
	msgs, ids, convs, err := recordBuckets(tx)
	if err != nil {
		return Record{}, err
	}
	val := msgs.Get(key)
	if val == nil {
		return Record{}, nil // deleted since it was found
	}
	rec, err := decodeRecord(key, val)
	if err != nil {
		return Record{}, err
	}
	if err := msgs.Delete(key); err != nil {
		return Record{}, err
	}
	idKey := appendID(nil, rec.ID)
	if err := ids.Delete(idKey); err != nil {
		return Record{}, err
	}
	if rec.PlatformID != "" {
		if pids := tx.Bucket(bucketPlatformIDs); pids != nil {
			pk := platformKey(rec.Conversation.Platform, rec.PlatformID)
			if bytes.Equal(pids.Get(pk), idKey) {
				if err := pids.Delete(pk); err != nil {
					return Record{}, err
				}
			}
		}
	}
	if fb := tx.Bucket(bucketFeedback); fb != nil {
		c := fb.Cursor()
		for k, _ := c.Seek(idKey); k != nil && bytes.HasPrefix(k, idKey); k, _ = c.Seek(idKey) {
			if err := fb.Delete(k); err != nil {
				return Record{}, err
			}
		}
	}
	conv := key[:len(key)-idLen]
	if old := convs.Get(conv); old != nil {
		sum, err := decodeSummary(old)
		if err != nil {
			return Record{}, fmt.Errorf("read summary of %s: %w", rec.Conversation, err)
		}
		if sum.Records--; sum.Records <= 0 {
			err = convs.Delete(conv)
		} else {
			var b []byte
			if b, err = json.Marshal(sum); err == nil {
				err = convs.Put(conv, b)
			}
		}
		if err != nil {
			return Record{}, err
		}
	}
	return rec, nil
}

// retentionSlack is how many records newer than the cutoff DeleteBefore
// reads past before it stops: IDs follow the order records were stored,
// which is the order of their times except for platforms' clocks and
// imports.
const retentionSlack = 1000

// Retained counts what DeleteBefore deleted.
type Retained struct {
	Records  int `json:"records"`
	Usage    int `json:"usage_days"`
	Activity int `json:"activity_days"` // days whose counters lost their per-member entries
	// Parts counts what each feature module deleted, by the part's key.
	Parts map[string]int `json:"-"`
	// IDs of the records deleted, for the bot's memory.
	IDs []uint64 `json:"-"`
}

// MarshalJSON writes r with each part's count as a field of its own.
func (r Retained) MarshalJSON() ([]byte, error) {
	type plain Retained
	return withParts(plain(r), countParts(r.Parts))
}

// DeleteBefore deletes the records older than cutoff (with their votes),
// the LLM usage of the days before it, and the per-member entries of the
// activity counters of those days (their totals stay). Docent runs it for
// store.retention_days. It works oldest first, deleteChunk records per
// transaction.
func (s *Store) DeleteBefore(ctx context.Context, cutoff time.Time) (Retained, error) {
	var out Retained
	for {
		var keys [][]byte
		err := s.view(func(tx *bolt.Tx) error {
			msgs, ids, _, err := recordBuckets(tx)
			if err != nil {
				return err
			}
			c := ids.Cursor()
			newer := 0
			for k, key := c.First(); k != nil && len(keys) < deleteChunk && newer < retentionSlack; k, key = c.Next() {
				var v struct {
					Time time.Time `json:"time"`
				}
				if err := json.Unmarshal(msgs.Get(key), &v); err != nil {
					return fmt.Errorf("record %x: %w", k, err)
				}
				if v.Time.Before(cutoff) {
					keys = append(keys, bytes.Clone(key))
				} else {
					newer++
				}
			}
			return ctx.Err()
		})
		if err != nil {
			return out, fmt.Errorf("store: delete records before %s: %w", cutoff.Format(time.DateOnly), err)
		}
		if len(keys) == 0 {
			break
		}
		var deleted []uint64 // written in the writer; read only after a successful submit
		r := newWriteReq(func(tx *bolt.Tx) (Record, error) {
			deleted = deleted[:0]
			for _, k := range keys {
				rec, err := deleteRecord(tx, k)
				if err != nil {
					return Record{}, err
				}
				if rec.ID != 0 {
					deleted = append(deleted, rec.ID)
				}
			}
			return Record{}, nil
		})
		if _, err := s.submit(ctx, r); err != nil {
			return out, fmt.Errorf("store: delete records before %s: %w", cutoff.Format(time.DateOnly), err)
		}
		out.Records += len(deleted)
		out.IDs = append(out.IDs, deleted...)
	}
	// Usage and counters of whole days before the cutoff's day, with the
	// counts still in memory written first.
	if err := s.flushCounts(ctx); err != nil {
		return out, fmt.Errorf("store: delete records before %s: %w", cutoff.Format(time.DateOnly), err)
	}
	day := dayOf(cutoff)
	var usageDays, activityDays int
	var parts map[string]int
	r := newWriteReq(func(tx *bolt.Tx) (Record, error) {
		var err error
		if parts, err = askParts(s.parts, tx, func(p MemberPart, t *Tx) (int, error) { return p.Expire(t, cutoff) }); err != nil {
			return Record{}, err
		}
		if b := tx.Bucket(bucketUsage); b != nil {
			var old [][]byte
			last := dayTime(day).Format(time.DateOnly)
			_ = b.ForEach(func(k, _ []byte) error {
				if d, _, ok := strings.Cut(string(k), "/"); ok && d < last {
					old = append(old, bytes.Clone(k))
				}
				return nil
			})
			for _, k := range old {
				if err := b.Delete(k); err != nil {
					return Record{}, err
				}
			}
			usageDays = len(old)
		}
		b := tx.Bucket(bucketStats)
		if b == nil {
			return Record{}, nil
		}
		type change struct {
			key []byte
			c   *dayCounts
		}
		var changes []change
		end := binary.BigEndian.AppendUint32(nil, uint32(day+dayOffset))
		c := b.Cursor()
		for k, v := c.First(); k != nil && bytes.Compare(k, end) < 0; k, v = c.Next() {
			counts, err := decodeCounts(v)
			if err != nil || len(counts.Members) == 0 {
				continue
			}
			counts.Members = nil
			changes = append(changes, change{bytes.Clone(k), counts})
		}
		for _, ch := range changes {
			if err := b.Put(ch.key, encodeCounts(ch.c)); err != nil {
				return Record{}, err
			}
		}
		activityDays = len(changes)
		return Record{}, nil
	})
	if _, err := s.submit(ctx, r); err != nil {
		return out, fmt.Errorf("store: delete records before %s: %w", cutoff.Format(time.DateOnly), err)
	}
	out.Usage, out.Activity, out.Parts = usageDays, activityDays, parts
	return out, nil
}

// Backup writes a consistent copy of the whole database to w, from one
// read transaction: appends go on meanwhile and are not in the copy. The
// activity counts still in memory are not either; the copy counts them
// again when it is opened. It returns the bytes written.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int64
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(&ctxWriter{ctx: ctx, w: w})
		return err
	})
	if err != nil {
		return n, fmt.Errorf("store: back up %s: %w", s.path, err)
	}
	return n, nil
}

// ctxWriter stops a long copy when its context ends.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c *ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
