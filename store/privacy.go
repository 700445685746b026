package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store/internal/kv"
)

// Privacy: what the store holds about one member, exporting it, deleting
// it, and deleting old history (retention).
//
// A member's records are found by scanning the messages bucket in a read
// transaction, which runs beside the writer, so appends never wait for a
// scan. Deletion then goes through the writer in transactions of at most
// deleteChunk records, and a last pass catches what the member wrote
// meanwhile.

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
	// Reactions are their emoji on others' messages (history brought in).
	Reactions []Reacted `json:"reactions"`
	// Votes are the votes they cast on Docent's answers or members' messages.
	Votes []Vote `json:"votes"`
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

// Forgotten counts what ForgetMember deleted.
type Forgotten struct {
	Messages int `json:"messages"`
	Answers  int `json:"answers"`
	Votes    int `json:"votes"`
	// Reactions counts their reactions taken off others' messages.
	Reactions int `json:"reactions"`
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

// memberFound is what a scan of the records found of one member.
type memberFound struct {
	msgs, answers []Record // what they wrote, and Docent's answers to it
	keys          [][]byte // the keys of msgs and answers
	// reacted are others' records they reacted to, with their keys.
	reacted     []Record
	reactedKeys [][]byte
	newest      uint64 // the largest record ID seen
}

// memberRecords finds the member's messages with an ID above after, adds
// their IDs to asked, finds Docent's answers to any message in asked
// (wherever they are: an answer may come long after its question in a busy
// channel, or after the question was deleted), and others' messages above
// after that the member reacted to, in tx.
func memberRecords(ctx context.Context, tx kv.Tx, m MemberRef, after uint64, asked map[uint64]bool) (memberFound, error) {
	var f memberFound
	bm := tx.Bucket(bucketMessages)
	needle := authorNeedle(m.ID)
	// A reaction names the member by their ID as a JSON string; only
	// records with reactions and that string are decoded to look.
	reactionsNeedle, idNeedle := []byte(`"reactions":`), jsonString(m.ID)
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
			return memberFound{}, err
		}
		if len(k) >= idLen {
			f.newest = max(f.newest, binary.BigEndian.Uint64(k[len(k)-idLen:]))
		}
		if isV2(v) {
			flags, author, ok := peekV2(v)
			if ok && string(author) != m.ID && !(flags&flagReactions != 0 && bytes.Contains(v, []byte(m.ID))) {
				continue
			}
		} else if !bytes.Contains(v, needle) && !(bytes.Contains(v, reactionsNeedle) && bytes.Contains(v, idNeedle)) {
			continue
		}
		rec, err := decodeRecord(k, v)
		if err != nil {
			return memberFound{}, err
		}
		if rec.ID <= after || rec.Conversation.Platform != m.Platform {
			continue
		}
		switch {
		case rec.Kind == KindMessage && rec.Author.ID == m.ID:
			f.msgs = append(f.msgs, rec)
			f.keys = append(f.keys, bytes.Clone(k))
			asked[rec.ID] = true
		case reactedBy(rec, m.ID):
			f.reacted = append(f.reacted, rec)
			f.reactedKeys = append(f.reactedKeys, bytes.Clone(k))
		}
	}
	if len(asked) == 0 {
		return f, nil
	}
	// Format 1 answers name their question in "reply_to": read that number
	// without decoding every answer.
	replyTo := []byte(`"reply_to":`)
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if err := check(); err != nil {
			return memberFound{}, err
		}
		if isV2(v) {
			// Only answers that reply to a record are decoded.
			if flags, _, ok := peekV2(v); ok && (flags&flagAnswer == 0 || flags&flagReplyTo == 0) {
				continue
			}
		} else {
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
		}
		a, err := decodeRecord(k, v)
		if err != nil {
			return memberFound{}, err
		}
		if a.Kind == KindAnswer && asked[a.ReplyTo] {
			f.answers = append(f.answers, a)
			f.keys = append(f.keys, bytes.Clone(k))
		}
	}
	return f, nil
}

func jsonString(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

// reactedBy reports whether the member with the ID id is named in one of
// rec's reactions.
func reactedBy(rec Record, id string) bool {
	for _, r := range rec.Reactions {
		if slices.Contains(r.Members, id) {
			return true
		}
	}
	return false
}

// Reacted is a member's reaction to someone else's message, in their
// export.
type Reacted struct {
	Record       uint64            `json:"record"` // the ID of the record reacted to
	Conversation chat.Conversation `json:"conversation"`
	PlatformID   string            `json:"platform_id,omitempty"` // the message's, on its platform
	Emoji        string            `json:"emoji"`
}

// reactionsOf lists the member's reactions on recs.
func reactionsOf(recs []Record, id string) []Reacted {
	out := []Reacted{}
	for _, rec := range recs {
		for _, r := range rec.Reactions {
			if slices.Contains(r.Members, id) {
				out = append(out, Reacted{Record: rec.ID, Conversation: rec.Conversation, PlatformID: rec.PlatformID, Emoji: r.Emoji})
			}
		}
	}
	return out
}

// unreact takes the member with the ID id out of the reactions of the
// record under key, with their share of each count (an emoji no one is
// left on goes), and reports how many reactions of theirs it removed.
func unreact(tx kv.Tx, key []byte, id string) (int, error) {
	msgs := tx.Bucket(bucketMessages)
	val := msgs.Get(key)
	if val == nil {
		return 0, nil // deleted since it was found
	}
	rec, err := decodeRecord(key, val)
	if err != nil {
		return 0, err
	}
	removed := 0
	kept := rec.Reactions[:0:0]
	for _, r := range rec.Reactions {
		if i := slices.Index(r.Members, id); i >= 0 {
			r.Members = slices.Delete(slices.Clone(r.Members), i, i+1)
			r.Count--
			removed++
		}
		if len(r.Members) == 0 {
			r.Members = nil
		}
		if r.Count > 0 {
			kept = append(kept, r)
		}
	}
	if removed == 0 {
		return 0, nil
	}
	rec.Reactions = kept
	if len(kept) == 0 {
		rec.Reactions = nil
	}
	b, err := encodeRecord(rec)
	if err != nil {
		return 0, err
	}
	if err := msgs.Put(key, b); err != nil {
		return 0, fmt.Errorf("put record %d: %w", rec.ID, err)
	}
	return removed, nil
}

// ExportMember returns everything the store holds about a member. It reads
// one consistent snapshot.
func (s *Store) ExportMember(ctx context.Context, m MemberRef) (MemberData, error) {
	if err := validMember(m); err != nil {
		return MemberData{}, fmt.Errorf("store: export member: %w", err)
	}
	d := MemberData{Member: m, Messages: []Record{}, Answers: []Record{}, Reactions: []Reacted{}, Votes: []Vote{}}
	err := s.view(ctx, func(tx kv.Tx) error {
		found, err := memberRecords(ctx, tx, m, 0, map[uint64]bool{})
		if err != nil {
			return err
		}
		if found.msgs != nil {
			d.Messages = found.msgs
		}
		if found.answers != nil {
			d.Answers = found.answers
		}
		d.Reactions = reactionsOf(found.reacted, m.ID)
		if err := eachMemberVote(tx, m, func(_ []byte, v Vote, _ Record) error {
			d.Votes = append(d.Votes, v)
			return nil
		}); err != nil {
			return err
		}
		d.Parts, err = askParts(s.parts, tx, MemberPart.Key, func(p MemberPart, t *Tx) (any, error) { return p.Export(t, m) })
		return err
	})
	if err != nil {
		return MemberData{}, fmt.Errorf("store: export member %s: %w", m, err)
	}
	return d, nil
}

// eachMemberVote calls fn with every vote the member cast and the record
// voted on.
func eachMemberVote(tx kv.Tx, m MemberRef, fn func(key []byte, v Vote, on Record) error) error {
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

// ForgetMember deletes everything the store holds about a member: their
// messages and Docent's answers to them (with the votes on those), the
// votes they cast, their reactions on others' messages, and every feature module's part (their LLM usage; the
// recorders see their records and votes leave: the activity counters
// count as if they had never written; the lessons module's part keeps the
// lessons they taught, the community's intents, but no longer naming them).
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
	// First what they did to others' records: their votes (the modules'
	// parts are asked last, once their records are gone).
	first := newWriteReq(func(tx kv.Tx) (Record, error) {
		g = Forgotten{}
		if err := eachMemberVote(tx, m, func(key []byte, v Vote, on Record) error {
			if on.ID != 0 {
				if err := s.recordVote(tx, on, chat.Member{ID: m.ID}, v.Vote, chat.VoteNone); err != nil {
					return err
				}
			}
			g.Votes++
			return tx.Bucket(bucketFeedback).Delete(key)
		}); err != nil {
			return Record{}, err
		}
		return Record{}, nil
	})
	if _, err := s.submit(ctx, first); err != nil {
		return f, fmt.Errorf("store: forget member %s: %w", m, err)
	}
	f.Votes = g.Votes
	var after uint64
	asked := map[uint64]bool{} // every message of theirs found, deleted or not
	// Scan, delete what was found, and scan again for what arrived
	// meanwhile, until a scan finds nothing new.
	for {
		var found memberFound
		err := s.view(ctx, func(tx kv.Tx) error {
			var err error
			found, err = memberRecords(ctx, tx, m, after, asked)
			return err
		})
		if err != nil {
			return f, fmt.Errorf("store: forget member %s: %w", m, err)
		}
		keys := found.keys
		for len(keys) > 0 {
			n := min(len(keys), deleteChunk)
			chunk := keys[:n]
			keys = keys[n:]
			// Their records leave the recorders' figures too (words they
			// wrote are in the activity counters).
			r := newWriteReq(func(tx kv.Tx) (Record, error) {
				var deleted []Record
				for _, k := range chunk {
					rec, err := deleteRecord(tx, k)
					if err != nil {
						return Record{}, err
					}
					if rec.ID != 0 {
						deleted = append(deleted, rec)
					}
				}
				return Record{}, s.unrecord(tx, deleted)
			})
			if _, err := s.submit(ctx, r); err != nil {
				return f, fmt.Errorf("store: forget member %s: delete records: %w", m, err)
			}
		}
		// Their reactions on others' messages: the messages stay, without
		// them.
		for keys := found.reactedKeys; len(keys) > 0; {
			n := min(len(keys), deleteChunk)
			chunk := keys[:n]
			keys = keys[n:]
			removed := 0
			r := newWriteReq(func(tx kv.Tx) (Record, error) {
				removed = 0
				for _, k := range chunk {
					n, err := unreact(tx, k, m.ID)
					if err != nil {
						return Record{}, err
					}
					removed += n
				}
				return Record{}, nil
			})
			if _, err := s.submit(ctx, r); err != nil {
				return f, fmt.Errorf("store: forget member %s: take their reactions off: %w", m, err)
			}
			f.Reactions += removed
		}
		f.Messages += len(found.msgs)
		f.Answers += len(found.answers)
		for _, r := range append(found.msgs, found.answers...) {
			f.Records = append(f.Records, r.ID)
		}
		if len(found.msgs) == 0 || found.newest <= after {
			break
		}
		after = found.newest
	}
	// Last, the feature modules' parts: after their records, so that what
	// a part keeps of records that arrived meanwhile (their activity
	// counters) goes too.
	var parts map[string]int
	r := newWriteReq(func(tx kv.Tx) (Record, error) {
		var err error
		parts, err = askParts(s.parts, tx, countKey, func(p MemberPart, t *Tx) (int, error) { return p.Forget(t, m) })
		return Record{}, err
	})
	if _, err := s.submit(ctx, r); err != nil {
		return f, fmt.Errorf("store: forget member %s: %w", m, err)
	}
	f.Parts = parts
	return f, nil
}

// deleteRecord removes the record under key with its index entries, the
// votes on it and its share of its conversation's summary. It reports
// the record deleted (a zero Record when there was none).
func deleteRecord(tx kv.Tx, key []byte) (Record, error) {
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
		if err := unindexPlatformID(tx, rec); err != nil {
			return Record{}, err
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
	Records int `json:"records"`
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
// and what each feature module's part holds from before it (the LLM usage
// of the days before it) (the recorders keep their figures of the records:
// the activity counters' totals stay). Docent runs it for
// store.retention_days. It works oldest first, deleteChunk records per
// transaction.
func (s *Store) DeleteBefore(ctx context.Context, cutoff time.Time) (Retained, error) {
	var out Retained
	for {
		var keys [][]byte
		err := s.view(ctx, func(tx kv.Tx) error {
			msgs, ids, _, err := recordBuckets(tx)
			if err != nil {
				return err
			}
			c := ids.Cursor()
			newer := 0
			for k, v := c.First(); k != nil && len(keys) < deleteChunk && newer < retentionSlack; k, v = c.Next() {
				key := messageKey(k, v)
				t, err := recordTime(msgs.Get(key))
				if err != nil {
					return fmt.Errorf("record %x: %w", k, err)
				}
				if t.Before(cutoff) {
					keys = append(keys, key)
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
		r := newWriteReq(func(tx kv.Tx) (Record, error) {
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
	// The parts: what they hold from before the cutoff.
	var parts map[string]int
	r := newWriteReq(func(tx kv.Tx) (Record, error) {
		var err error
		parts, err = askParts(s.parts, tx, countKey, func(p MemberPart, t *Tx) (int, error) { return p.Expire(t, cutoff) })
		return Record{}, err
	})
	if _, err := s.submit(ctx, r); err != nil {
		return out, fmt.Errorf("store: delete records before %s: %w", cutoff.Format(time.DateOnly), err)
	}
	out.Parts = parts
	return out, nil
}

// Backup writes a consistent copy of the whole database to w, from one
// read transaction: appends go on meanwhile and are not in the copy. It
// returns the bytes written.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int64
	err := s.view(ctx, func(tx kv.Tx) error {
		bt, ok := kv.BoltTx(tx)
		if !ok {
			return errBoltOnly("docent backup", "back PostgreSQL up with pg_dump")
		}
		var err error
		n, err = bt.WriteTo(&ctxWriter{ctx: ctx, w: w})
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
