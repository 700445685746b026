package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store/internal/kv"
)

// Kind says whether a record is something a member said or Docent's answer.
type Kind string

const (
	KindMessage Kind = "message"
	KindAnswer  Kind = "answer"
)

// Record is one stored message or answer.
type Record struct {
	ID           uint64            `json:"id"` // assigned by the store, increasing, never reused
	Kind         Kind              `json:"kind"`
	Conversation chat.Conversation `json:"conversation"`
	Space        string            `json:"space,omitempty"` // the guild or workspace, "" if none
	Time         time.Time         `json:"time"`            // UTC
	Author       chat.Member       `json:"author"`          // for answers: Docent itself
	Text         string            `json:"text"`
	PlatformID   string            `json:"platform_id,omitempty"` // the platform's own message ID, "" if none
	ReplyTo      uint64            `json:"reply_to,omitempty"`    // answers: the Record ID of the question; 0 if none
	Source       chat.Source       `json:"source,omitempty"`      // answers only
	Intent       string            `json:"intent,omitempty"`      // answers only
	Confidence   float64           `json:"confidence,omitempty"`  // answers only
	// RepliesTo is the platform's ID of the message this one replies to
	// (a Discord reply), "" if none. It names a message, not a record: the
	// message may be stored later, or never (an export of one channel).
	RepliesTo string `json:"replies_to,omitempty"`
	// Reactions are the members' emoji on the message, where the history
	// brought in has them, at most MaxReactions.
	Reactions []Reaction `json:"reactions,omitempty"`
}

// Reaction is one emoji members put on a message.
type Reaction struct {
	// Emoji is the platform's name for it: "👍" on Discord (a custom
	// emoji's name), "+1" on Slack.
	Emoji string `json:"emoji"`
	// Count is how many reacted with it, at least len(Members): an export
	// may name only some of them, or none.
	Count int `json:"count"`
	// Members are the platform IDs of those who reacted, at most
	// MaxReactionMembers; forgetting a member takes them out.
	Members []string `json:"members,omitempty"`
}

// The bounds of a record's reactions: a platform allows a few dozen
// emoji on a message, and a record stays far below a page.
const (
	MaxReactions       = 64  // emoji on one message
	MaxReactionMembers = 100 // members named per emoji
	MaxEmojiLen        = 256 // bytes of an emoji's name
)

// AnswerRecord is what the bot stores after it answered.
type AnswerRecord struct {
	Conversation chat.Conversation
	Space        string
	ReplyTo      uint64
	PlatformID   string
	Time         time.Time
	Author       chat.Member
	Answer       chat.Answer
	// Along are features' writes that ride in the answer's transaction
	// (the LLM request the answer cost, with its tokens): one commit for
	// all of them. Each one's Done runs once AppendAnswer returns, the
	// answer stored or not.
	Along []Rider
}

// A Rider is a feature's write held back to ride in the transaction of
// another write (an answer's, AnswerRecord.Along), where it would cost a
// commit of its own.
type Rider interface {
	// Write runs in the transaction. Like Update's fn, it may run more
	// than once, must not wait on anything, and its error fails the write
	// it rides with.
	Write(tx *Tx) error
	// Done runs once the transaction is over, committed or not.
	Done()
}

// ConversationSummary is one line of `docent history --list`.
type ConversationSummary struct {
	Conversation chat.Conversation `json:"conversation"`
	Records      int               `json:"records"`
	Last         time.Time         `json:"last"` // time of its newest record, UTC
}

// AppendMessage stores a member's message and returns it as stored, with
// its ID. A zero m.Time is stamped with the current time. The message's
// Mentioned and Direct flags are not kept.
//
// A message whose platform ID is stored already in its channel (a
// platform delivering it again, to this Docent or another replica) is not
// stored again: the error is a *DuplicateError, wrapping ErrDuplicate,
// with the record stored the first time. On a replica the message is also
// marked pending until the bot is done with it (Settled, AnswerSent).
//
// It returns once the message is committed to disk. If ctx ends first it
// returns the context's error, and the message may or may not be stored.
func (s *Store) AppendMessage(ctx context.Context, m chat.Message) (Record, error) {
	rec := Record{
		Kind:         KindMessage,
		Conversation: m.Conversation,
		Space:        m.Space,
		Time:         m.Time,
		Author:       m.Author,
		Text:         m.Text,
		PlatformID:   m.ID,
		RepliesTo:    m.RepliesTo,
	}
	r, err := s.prepareRecord(rec)
	if err != nil {
		return Record{}, fmt.Errorf("store: append %s to %s: %w", rec.Kind, rec.Conversation, err)
	}
	// The check and the insert share one transaction: see storedMessage.
	var dup bool
	put := r.apply
	r.apply = func(tx kv.Tx) (Record, error) {
		old, found, err := storedMessage(tx, rec)
		if dup = found; err != nil || found {
			return old, err
		}
		stored, err := put(tx)
		if err != nil {
			return Record{}, err
		}
		return stored, s.markPending(tx, stored.ID)
	}
	stored, err := s.submit(ctx, r)
	if err != nil {
		return Record{}, fmt.Errorf("store: append %s to %s: %w", rec.Kind, rec.Conversation, err)
	}
	if dup {
		return stored, &DuplicateError{Stored: stored}
	}
	return stored, nil
}

// AppendAnswer stores an answer Docent gave and returns it as stored, with
// its ID. A zero a.Time is stamped with the current time. The answer's
// Candidates and Ephemeral flag are not kept.
//
// Like AppendMessage it returns after the commit, or with the context's
// error, in which case the answer may or may not be stored.
func (s *Store) AppendAnswer(ctx context.Context, a AnswerRecord) (Record, error) {
	rec := Record{
		Kind:         KindAnswer,
		Conversation: a.Conversation,
		Space:        a.Space,
		Time:         a.Time,
		Author:       a.Author,
		Text:         a.Answer.Text,
		PlatformID:   a.PlatformID,
		ReplyTo:      a.ReplyTo,
		Source:       a.Answer.Source,
		Intent:       a.Answer.Intent,
		Confidence:   a.Answer.Confidence,
	}
	along := slices.DeleteFunc(slices.Clone(a.Along), func(r Rider) bool { return r == nil })
	if len(along) == 0 {
		return s.appendRecord(ctx, rec)
	}
	defer func() {
		for _, r := range along {
			r.Done()
		}
	}()
	r, err := s.prepareRecord(rec)
	if err != nil {
		return Record{}, fmt.Errorf("store: append %s to %s: %w", rec.Kind, rec.Conversation, err)
	}
	put := r.apply
	r.apply = func(tx kv.Tx) (Record, error) {
		stored, err := put(tx)
		if err != nil {
			return Record{}, err
		}
		for _, w := range along {
			if err := safely(func() error { return w.Write(&Tx{tx: tx}) }); err != nil {
				return Record{}, err
			}
		}
		return stored, nil
	}
	stored, err := s.submit(ctx, r)
	if err != nil {
		return Record{}, fmt.Errorf("store: append %s to %s: %w", rec.Kind, rec.Conversation, err)
	}
	return stored, nil
}

// AnswerSent records the platform's ID of the message that carried the
// answer stored under id, which is stored before it is sent (so that an
// answer a member saw is never missing from the history): votes on that
// message then find the answer. An answer deleted meanwhile stays deleted.
//
// It returns once the write is queued, without waiting for its commit: it
// joins the next batch of writes, and costs no one an fsync of its own.
// Close commits it; a crash before may lose it, and with it only the votes
// on that one message. A commit failure is logged by the writer.
func (s *Store) AnswerSent(ctx context.Context, id uint64, platformID string) error {
	if err := validUTF8("platform ID", platformID); err != nil {
		return fmt.Errorf("store: record the sent ID of answer %d: %w", id, err)
	}
	if len(platformID) > maxFieldLen {
		return fmt.Errorf("store: record the sent ID of answer %d: %w: platform ID is %d bytes long, the most is %d", id, ErrInvalid, len(platformID), maxFieldLen)
	}
	r := newWriteReq(func(tx kv.Tx) (Record, error) {
		rec, err := recordByID(tx, id)
		if err != nil || rec.ID == 0 || platformID == "" {
			return Record{}, err
		}
		rec.PlatformID = platformID
		val, err := encodeRecord(rec)
		if err != nil {
			return Record{}, err
		}
		conv := appendConversation(nil, rec.Conversation)
		if err := tx.Bucket(bucketMessages).Put(recordKey(conv, id), val); err != nil {
			return Record{}, fmt.Errorf("put record %d: %w", id, err)
		}
		if err := indexPlatformID(tx, rec); err != nil {
			return Record{}, fmt.Errorf("index record %d by its platform ID: %w", id, err)
		}
		// The question is answered: no replica takes it over any more.
		if err := settle(tx, rec.ReplyTo); err != nil {
			return Record{}, fmt.Errorf("settle message %d: %w", rec.ReplyTo, err)
		}
		return rec, nil
	})
	if err := s.enqueue(ctx, r); err != nil {
		return fmt.Errorf("store: record the sent ID of answer %d: %w", id, err)
	}
	return nil
}

func (s *Store) appendRecord(ctx context.Context, rec Record) (Record, error) {
	r, err := s.prepareRecord(rec)
	if err != nil {
		return Record{}, fmt.Errorf("store: append %s to %s: %w", rec.Kind, rec.Conversation, err)
	}
	stored, err := s.submit(ctx, r)
	if err != nil {
		return Record{}, fmt.Errorf("store: append %s to %s: %w", rec.Kind, rec.Conversation, err)
	}
	return stored, nil
}

// appendRecordPerUpdate stores rec in a db.Update of its own, bypassing the
// writer: the same validation, encoding and keys, without group commit. It
// exists only so that the benchmark can show what group commit buys.
func (s *Store) appendRecordPerUpdate(rec Record) (Record, error) {
	r, err := s.prepareRecord(rec)
	if err != nil {
		return Record{}, fmt.Errorf("store: append %s to %s: %w", rec.Kind, rec.Conversation, err)
	}
	var stored Record
	err = s.whileOpen(func() error {
		return s.update(func(tx kv.Tx) error {
			var err error
			stored, err = r.apply(tx)
			return err
		}, nil)
	})
	if err != nil {
		return Record{}, fmt.Errorf("store: append %s to %s: %w", rec.Kind, rec.Conversation, err)
	}
	return stored, nil
}

// prepareRecord validates and encodes rec in the caller's goroutine and
// returns the write for the queue. Everything that can be refused is
// refused here, so that the writer's transaction does not fail because of
// one record.
func (s *Store) prepareRecord(rec Record) (*writeReq, error) {
	if rec.Time.IsZero() {
		rec.Time = time.Now()
	}
	// UTC also drops the monotonic clock reading, so the returned record
	// equals the one read back later.
	rec.Time = rec.Time.UTC()
	if err := validateRecord(rec); err != nil {
		return nil, err
	}
	val, err := encodeRecord(rec)
	if err != nil {
		return nil, err
	}
	conv := appendConversation(nil, rec.Conversation)
	return newWriteReq(func(tx kv.Tx) (Record, error) {
		stored, err := putRecord(tx, conv, val, rec)
		if err != nil {
			return Record{}, err
		}
		s.txStored = append(s.txStored, stored)
		return stored, nil
	}), nil
}

// putRecord writes one record and its index and summary entries. It runs
// in the writer's transaction.
func putRecord(tx kv.Tx, conv, val []byte, rec Record) (Record, error) {
	msgs, ids, convs, err := recordBuckets(tx)
	if err != nil {
		return Record{}, err
	}
	// Both buckets only ever grow at the end of a range (a conversation's
	// keys, the IDs), so a split page is never filled again: split full
	// rather than at bbolt's default half, which halves the file and the
	// pages each commit writes.
	msgs.SetFillPercent(appendFillPercent)
	ids.SetFillPercent(appendFillPercent)
	id, err := msgs.NextSequence()
	if err != nil {
		return Record{}, fmt.Errorf("next record ID: %w", err)
	}
	key := recordKey(conv, id)
	if err := msgs.Put(key, val); err != nil {
		return Record{}, fmt.Errorf("put record %d: %w", id, err)
	}
	// The ID is the ids key already: the entry holds the conversation.
	if err := ids.Put(appendID(nil, id), conv); err != nil {
		return Record{}, fmt.Errorf("index record %d: %w", id, err)
	}
	var sum summaryValue
	if old := convs.Get(conv); old != nil {
		if sum, err = decodeSummary(old); err != nil {
			return Record{}, fmt.Errorf("read summary of %s: %w", rec.Conversation, err)
		}
	}
	sum.V = formatV1
	sum.Records++
	if rec.Time.After(sum.Last) {
		sum.Last = rec.Time
	}
	b, err := json.Marshal(sum)
	if err != nil {
		return Record{}, fmt.Errorf("encode summary of %s: %w", rec.Conversation, err)
	}
	if err := convs.Put(conv, b); err != nil {
		return Record{}, fmt.Errorf("put summary of %s: %w", rec.Conversation, err)
	}
	rec.ID = id
	if rec.PlatformID != "" {
		// Votes arrive with the platform's ID of the message: on answers
		// they are feedback, on members' messages credit for helping.
		if err := indexPlatformID(tx, rec); err != nil {
			return Record{}, fmt.Errorf("index record %d by its platform ID: %w", id, err)
		}
	}
	return rec, nil
}

func recordBuckets(tx kv.Tx) (msgs, ids, convs kv.Bucket, err error) {
	msgs, ids, convs = tx.Bucket(bucketMessages), tx.Bucket(bucketIDs), tx.Bucket(bucketConversations)
	if msgs == nil || ids == nil || convs == nil {
		return nil, nil, nil, fmt.Errorf("database is damaged: a bucket of %q, %q, %q is missing", bucketMessages, bucketIDs, bucketConversations)
	}
	return msgs, ids, convs, nil
}

// appendFillPercent is how full bbolt leaves a page it splits in the
// append-only buckets: full, as nothing is inserted before a range's end.
// (0.9 left the messages 87% full on a million generated records.)
const appendFillPercent = 1.0

// maxFieldLen bounds each conversation field, which platforms keep to a
// few dozen bytes; it keeps keys far below bbolt's 32 KiB limit.
const maxFieldLen = 1024

func validateConversation(c chat.Conversation) error {
	fields := []struct {
		name, value string
		required    bool
	}{
		{"platform", c.Platform, true},
		{"channel", c.Channel, true},
		{"thread", c.Thread, false},
	}
	for _, f := range fields {
		switch {
		case f.required && f.value == "":
			return fmt.Errorf("%w: conversation %s is empty", ErrInvalid, f.name)
		case strings.IndexByte(f.value, 0) >= 0:
			return fmt.Errorf("%w: conversation %s %q contains a NUL byte", ErrInvalid, f.name, f.value)
		case len(f.value) > maxFieldLen:
			return fmt.Errorf("%w: conversation %s is %d bytes long, the most is %d", ErrInvalid, f.name, len(f.value), maxFieldLen)
		}
	}
	return nil
}

func validateRecord(rec Record) error {
	if err := validateConversation(rec.Conversation); err != nil {
		return err
	}
	if err := validateTime(rec.Time); err != nil {
		return err
	}
	if len(rec.Space) > maxFieldLen {
		return fmt.Errorf("%w: space is %d bytes long, the most is %d", ErrInvalid, len(rec.Space), maxFieldLen)
	}
	if math.IsNaN(rec.Confidence) || math.IsInf(rec.Confidence, 0) {
		return fmt.Errorf("%w: confidence %v is not a finite number", ErrInvalid, rec.Confidence)
	}
	if len(rec.RepliesTo) > maxFieldLen {
		return fmt.Errorf("%w: the ID of the message replied to is %d bytes long, the most is %d", ErrInvalid, len(rec.RepliesTo), maxFieldLen)
	}
	if err := validateReactions(rec.Reactions); err != nil {
		return err
	}
	return validUTF8(
		"text", rec.Text,
		"space", rec.Space,
		"author ID", rec.Author.ID,
		"author name", rec.Author.Name,
		"platform ID", rec.PlatformID,
		"answer source", string(rec.Source),
		"intent", rec.Intent,
		"ID of the message replied to", rec.RepliesTo,
	)
}

// validateReactions refuses reactions out of bounds, an emoji twice, a
// member twice on one emoji, and counts below the members named.
func validateReactions(rs []Reaction) error {
	if len(rs) > MaxReactions {
		return fmt.Errorf("%w: %d reactions, the most is %d", ErrInvalid, len(rs), MaxReactions)
	}
	emoji := make(map[string]bool, len(rs))
	for _, r := range rs {
		switch {
		case r.Emoji == "":
			return fmt.Errorf("%w: a reaction has no emoji", ErrInvalid)
		case len(r.Emoji) > MaxEmojiLen:
			return fmt.Errorf("%w: a reaction's emoji is %d bytes long, the most is %d", ErrInvalid, len(r.Emoji), MaxEmojiLen)
		case !utf8.ValidString(r.Emoji):
			return fmt.Errorf("%w: a reaction's emoji is not valid UTF-8", ErrInvalid)
		case emoji[r.Emoji]:
			return fmt.Errorf("%w: reaction %q is there twice", ErrInvalid, r.Emoji)
		case len(r.Members) > MaxReactionMembers:
			return fmt.Errorf("%w: reaction %q names %d members, the most is %d", ErrInvalid, r.Emoji, len(r.Members), MaxReactionMembers)
		case r.Count < max(1, len(r.Members)):
			return fmt.Errorf("%w: reaction %q counts %d with %d members named", ErrInvalid, r.Emoji, r.Count, len(r.Members))
		}
		emoji[r.Emoji] = true
		named := make(map[string]bool, len(r.Members))
		for _, m := range r.Members {
			switch {
			case m == "":
				return fmt.Errorf("%w: reaction %q names a member with no ID", ErrInvalid, r.Emoji)
			case len(m) > maxFieldLen:
				return fmt.Errorf("%w: reaction %q names a member ID %d bytes long, the most is %d", ErrInvalid, r.Emoji, len(m), maxFieldLen)
			case !utf8.ValidString(m):
				return fmt.Errorf("%w: reaction %q names a member ID that is not valid UTF-8", ErrInvalid, r.Emoji)
			case named[m]:
				return fmt.Errorf("%w: reaction %q names member %s twice", ErrInvalid, r.Emoji, m)
			}
			named[m] = true
		}
	}
	return nil
}

// validateTime refuses what encoding/json cannot write (RFC 3339 has four
// digit years).
func validateTime(t time.Time) error {
	if y := t.Year(); y < 0 || y > 9999 {
		return fmt.Errorf("%w: time %s is outside years 0 to 9999", ErrInvalid, t)
	}
	return nil
}

// validUTF8 refuses strings encoding/json would silently alter. Its
// arguments are pairs of a field's name and its value.
func validUTF8(namesAndValues ...string) error {
	for i := 0; i+1 < len(namesAndValues); i += 2 {
		if !utf8.ValidString(namesAndValues[i+1]) {
			return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, namesAndValues[i])
		}
	}
	return nil
}

// formatV1 is the version written in every JSON value, so that a value can
// change shape within a schema (readers then accept both).
const formatV1 = 1

// recordValue is a record as stored: everything but the ID and the
// conversation, which the key holds.
type recordValue struct {
	V          int         `json:"v"`
	Kind       Kind        `json:"kind"`
	Space      string      `json:"space,omitempty"`
	Time       time.Time   `json:"time"`
	Author     chat.Member `json:"author"`
	Text       string      `json:"text"`
	PlatformID string      `json:"platform_id,omitempty"`
	ReplyTo    uint64      `json:"reply_to,omitempty"`
	Source     chat.Source `json:"source,omitempty"`
	Intent     string      `json:"intent,omitempty"`
	Confidence float64     `json:"confidence,omitempty"`
	// Added within format 1: a record without them is written as before.
	RepliesTo string     `json:"replies_to,omitempty"`
	Reactions []Reaction `json:"reactions,omitempty"`
}

// encodeRecordJSON is format 1, which schema 1 wrote and schema 2 still
// reads (a file migrating holds both); kept to write old files in tests
// and to compare with in benchmarks.
func encodeRecordJSON(rec Record) ([]byte, error) {
	b, err := json.Marshal(recordValue{
		V:          formatV1,
		Kind:       rec.Kind,
		Space:      rec.Space,
		Time:       rec.Time,
		Author:     rec.Author,
		Text:       rec.Text,
		PlatformID: rec.PlatformID,
		ReplyTo:    rec.ReplyTo,
		Source:     rec.Source,
		Intent:     rec.Intent,
		Confidence: rec.Confidence,
		RepliesTo:  rec.RepliesTo,
		Reactions:  rec.Reactions,
	})
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	return b, nil
}

// decodeRecord rebuilds a record from its messages-bucket key and value,
// in either format (format.go). It copies everything out of val, which
// bbolt owns.
func decodeRecord(key, val []byte) (Record, error) {
	c, id, err := parseRecordKey(key)
	if err != nil {
		return Record{}, err
	}
	if len(val) > 0 && val[0] == formatV2 {
		rec, err := decodeRecordV2(val, c)
		if err != nil {
			return Record{}, fmt.Errorf("decode record %d: %w", id, err)
		}
		rec.ID = id
		return rec, nil
	}
	var v recordValue
	if err := json.Unmarshal(val, &v); err != nil {
		return Record{}, fmt.Errorf("decode record %d: %w", id, err)
	}
	if v.V != formatV1 {
		return Record{}, fmt.Errorf("decode record %d: unknown value format %d", id, v.V)
	}
	if v.Kind != KindMessage && v.Kind != KindAnswer {
		return Record{}, fmt.Errorf("decode record %d: unknown kind %q", id, v.Kind)
	}
	return Record{
		ID:           id,
		Kind:         v.Kind,
		Conversation: c,
		Space:        v.Space,
		Time:         v.Time.UTC(),
		Author:       v.Author,
		Text:         v.Text,
		PlatformID:   v.PlatformID,
		ReplyTo:      v.ReplyTo,
		Source:       v.Source,
		Intent:       v.Intent,
		Confidence:   v.Confidence,
		RepliesTo:    v.RepliesTo,
		Reactions:    v.Reactions,
	}, nil
}

// summaryValue is a conversation's entry in the conversations bucket.
type summaryValue struct {
	V       int       `json:"v"`
	Records int       `json:"records"`
	Last    time.Time `json:"last"`
}

func decodeSummary(b []byte) (summaryValue, error) {
	var v summaryValue
	if err := json.Unmarshal(b, &v); err != nil {
		return summaryValue{}, err
	}
	if v.V != formatV1 {
		return summaryValue{}, fmt.Errorf("unknown summary format %d", v.V)
	}
	return v, nil
}

// ctxCheckEvery is how many records a long listing reads between looks at
// its context.
const ctxCheckEvery = 256

// Conversation lists the newest limit records of c, newest first; limit <= 0
// means all of them. An unknown conversation has no records (and no error).
func (s *Store) Conversation(ctx context.Context, c chat.Conversation, limit int) ([]Record, error) {
	if err := validateConversation(c); err != nil {
		return nil, fmt.Errorf("store: read conversation %s: %w", c, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: read conversation %s: %w", c, err)
	}
	conv := appendConversation(nil, c)
	var recs []Record
	err := s.view(ctx, func(tx kv.Tx) error {
		msgs := tx.Bucket(bucketMessages)
		if msgs == nil {
			return fmt.Errorf("database is damaged: bucket %q is missing", bucketMessages)
		}
		// The conversation's keys are contiguous and sorted by ID: seek just
		// past the largest possible one, then walk back.
		upper := recordKey(conv, math.MaxUint64)
		cur := msgs.Cursor()
		k, v := cur.Seek(upper)
		switch {
		case k == nil:
			k, v = cur.Last()
		case !bytes.Equal(k, upper):
			k, v = cur.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, conv); k, v = cur.Prev() {
			if limit > 0 && len(recs) >= limit {
				break
			}
			if len(recs)%ctxCheckEvery == ctxCheckEvery-1 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			rec, err := decodeRecord(k, v)
			if err != nil {
				return err
			}
			recs = append(recs, rec)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read conversation %s: %w", c, err)
	}
	return recs, nil
}

// maxAnsweredInScan bounds the records AnsweredIn reads, oldest first
// (Docent answers a thread near its start).
const maxAnsweredInScan = 1000

// AnsweredIn reports whether Docent answered in conversation c: whether
// one of its first 1,000 records is an answer. A replica's adapter asks
// it for a thread it did not answer in itself (chat.ThreadHistory).
func (s *Store) AnsweredIn(ctx context.Context, c chat.Conversation) (bool, error) {
	if err := validateConversation(c); err != nil {
		return false, fmt.Errorf("store: look for answers in %s: %w", c, err)
	}
	conv := appendConversation(nil, c)
	found := false
	err := s.view(ctx, func(tx kv.Tx) error {
		msgs := tx.Bucket(bucketMessages)
		if msgs == nil {
			return fmt.Errorf("database is damaged: bucket %q is missing", bucketMessages)
		}
		cur := msgs.Cursor()
		n := 0
		for k, v := cur.Seek(conv); k != nil && bytes.HasPrefix(k, conv) && n < maxAnsweredInScan; k, v = cur.Next() {
			n++
			rec, err := decodeRecord(k, v)
			if err != nil {
				return err
			}
			if rec.Kind == KindAnswer {
				found = true
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: look for answers in %s: %w", c, err)
	}
	return found, nil
}

// Conversations lists every conversation that has records, with its record
// count and newest time, newest first.
func (s *Store) Conversations(ctx context.Context) ([]ConversationSummary, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: list conversations: %w", err)
	}
	var sums []ConversationSummary
	err := s.view(ctx, func(tx kv.Tx) error {
		convs := tx.Bucket(bucketConversations)
		if convs == nil {
			return fmt.Errorf("database is damaged: bucket %q is missing", bucketConversations)
		}
		return convs.ForEach(func(k, v []byte) error {
			if len(sums)%ctxCheckEvery == ctxCheckEvery-1 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			c, rest, err := parseConversation(k)
			if err != nil || len(rest) != 0 {
				return fmt.Errorf("conversation key %x is malformed", k)
			}
			sum, err := decodeSummary(v)
			if err != nil {
				return fmt.Errorf("summary of %s: %w", c, err)
			}
			sums = append(sums, ConversationSummary{Conversation: c, Records: sum.Records, Last: sum.Last.UTC()})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: list conversations: %w", err)
	}
	// Newest first; ties by name so that the order is stable.
	slices.SortFunc(sums, func(a, b ConversationSummary) int {
		return cmp.Or(
			b.Last.Compare(a.Last),
			cmp.Compare(a.Conversation.Platform, b.Conversation.Platform),
			cmp.Compare(a.Conversation.Channel, b.Conversation.Channel),
			cmp.Compare(a.Conversation.Thread, b.Conversation.Thread),
		)
	})
	return sums, nil
}

// Record returns the record with the given ID, or an error wrapping
// ErrNotFound.
func (s *Store) Record(ctx context.Context, id uint64) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, fmt.Errorf("store: read record %d: %w", id, err)
	}
	var rec Record
	err := s.view(ctx, func(tx kv.Tx) error {
		var err error
		if rec, err = recordByID(tx, id); err == nil && rec.ID == 0 {
			err = ErrNotFound
		}
		return err
	})
	if err != nil {
		return Record{}, fmt.Errorf("store: read record %d: %w", id, err)
	}
	return rec, nil
}

// Answered is a member's question and an answer Docent gave it.
type Answered struct {
	Question, Answer Record
}

// maxAnsweredScan bounds how many records Answered reads, newest first,
// so that a large history costs a bounded time at start.
const maxAnsweredScan = 100_000

// Answered returns up to limit of the newest answers whose source is one of
// sources, each with the question it answered, newest first. It reads at
// most the newest 100,000 records.
func (s *Store) Answered(ctx context.Context, sources []chat.Source, limit int) ([]Answered, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: list answered questions: %w", err)
	}
	var out []Answered
	err := s.view(ctx, func(tx kv.Tx) error {
		msgs, ids, _, err := recordBuckets(tx)
		if err != nil {
			return err
		}
		read := func(key []byte) (Record, bool, error) {
			val := msgs.Get(key)
			if val == nil {
				return Record{}, false, nil
			}
			r, err := decodeRecord(key, val)
			return r, err == nil, err
		}
		c := ids.Cursor()
		scanned := 0
		for k, v := c.Last(); k != nil && len(out) < limit && scanned < maxAnsweredScan; k, v = c.Prev() {
			scanned++
			a, ok, err := read(messageKey(k, v))
			if err != nil {
				return err
			}
			if !ok || a.Kind != KindAnswer || a.ReplyTo == 0 || !slices.Contains(sources, a.Source) {
				continue
			}
			qid := appendID(nil, a.ReplyTo)
			qkey := messageKey(qid, ids.Get(qid))
			if qkey == nil {
				continue
			}
			q, ok, err := read(qkey)
			if err != nil {
				return err
			}
			if ok && q.Kind == KindMessage {
				out = append(out, Answered{Question: q, Answer: a})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: list answered questions: %w", err)
	}
	return out, nil
}

// maxImport bounds the records of one Import call: they are committed in
// one transaction, which holds them all in memory.
const maxImport = 100_000

// Import stores recs, in order, in one transaction: all of them or none.
// Each gets a new ID; the IDs recs carry only serve to link an answer to
// its question, so an answer's ReplyTo must be 0 or the ID of an earlier
// record in recs. Times must be set. It returns the records as stored.
//
// It is for bringing history in (and for generating it in benchmarks):
// far faster than appending one record at a time, and given to the
// recorders (the activity counters) like any append, as one batch.
func (s *Store) Import(ctx context.Context, recs []Record) ([]Record, error) {
	out, _, err := s.importRecords(ctx, recs, false, nil)
	return out, err
}

// ImportNew is Import for history brought in from elsewhere, made to be
// run again: a record whose PlatformID is stored already on its platform
// (or comes earlier in recs) is left out and counted in dups, so the same
// file imported twice adds nothing, and along's writes commit in the same
// transaction (an importer's progress mark, so that an import killed
// between two batches resumes where it stopped). An answer that replies
// to a record left out replies to the one stored. It returns the records
// stored, in order.
func (s *Store) ImportNew(ctx context.Context, recs []Record, along ...Rider) (stored []Record, dups int, err error) {
	along = slices.DeleteFunc(slices.Clone(along), func(r Rider) bool { return r == nil })
	defer func() {
		for _, r := range along {
			r.Done()
		}
	}()
	return s.importRecords(ctx, recs, true, along)
}

// importRecords is Import and ImportNew: with skipKnown, records whose
// platform ID is known are left out.
func (s *Store) importRecords(ctx context.Context, recs []Record, skipKnown bool, along []Rider) ([]Record, int, error) {
	if len(recs) > maxImport {
		return nil, 0, fmt.Errorf("store: import: %w: %d records, the most in one call is %d", ErrInvalid, len(recs), maxImport)
	}
	type prepared struct {
		conv, val []byte
		rec       Record
	}
	ps := make([]prepared, len(recs))
	index := make(map[uint64]int, len(recs))
	for i, rec := range recs {
		if rec.Kind != KindMessage && rec.Kind != KindAnswer {
			return nil, 0, fmt.Errorf("store: import: record %d: %w: kind %q", i, ErrInvalid, rec.Kind)
		}
		if rec.Time.IsZero() {
			return nil, 0, fmt.Errorf("store: import: record %d: %w: no time", i, ErrInvalid)
		}
		if rec.ReplyTo != 0 {
			if _, ok := index[rec.ReplyTo]; !ok {
				return nil, 0, fmt.Errorf("store: import: record %d: %w: it replies to %d, which is not an earlier record of the import", i, ErrInvalid, rec.ReplyTo)
			}
		}
		if rec.ID != 0 {
			index[rec.ID] = i
		}
		rec.Time = rec.Time.UTC()
		if err := validateRecord(rec); err != nil {
			return nil, 0, fmt.Errorf("store: import: record %d: %w", i, err)
		}
		val, err := encodeRecord(rec)
		if err != nil {
			return nil, 0, fmt.Errorf("store: import: record %d: %w", i, err)
		}
		ps[i] = prepared{appendConversation(nil, rec.Conversation), val, rec}
	}
	out := make([]Record, len(recs))
	var kept []bool
	dups := 0
	r := newWriteReq(func(tx kv.Tx) (Record, error) {
		// The writer may run this more than once: start afresh each time.
		kept, dups = make([]bool, len(recs)), 0
		seen := map[string]uint64{}
		for i, p := range ps {
			rec := p.rec
			val := p.val
			if skipKnown && rec.PlatformID != "" {
				pk := platformSeenKey(rec.Conversation, rec.PlatformID)
				id, ok := seen[string(pk)]
				if !ok {
					var err error
					if id, err = lookupPlatformIDIn(tx, rec.Conversation.Platform, rec.Conversation.Channel, rec.PlatformID); err != nil {
						return Record{}, fmt.Errorf("record %d: %w", i, err)
					}
					ok = id != 0
				}
				if ok {
					out[i] = Record{ID: id}
					dups++
					continue
				}
			}
			if rec.ReplyTo != 0 {
				// The question's new ID is only known now.
				rec.ReplyTo = out[index[rec.ReplyTo]].ID
				var err error
				if val, err = encodeRecord(rec); err != nil {
					return Record{}, err
				}
			}
			stored, err := putRecord(tx, p.conv, val, rec)
			if err != nil {
				return Record{}, fmt.Errorf("record %d: %w", i, err)
			}
			s.txStored = append(s.txStored, stored)
			out[i], kept[i] = stored, true
			if skipKnown && rec.PlatformID != "" {
				seen[string(platformSeenKey(rec.Conversation, rec.PlatformID))] = stored.ID
			}
		}
		for _, w := range along {
			if err := safely(func() error { return w.Write(&Tx{tx: tx}) }); err != nil {
				return Record{}, err
			}
		}
		return Record{}, nil
	})
	if _, err := s.submit(ctx, r); err != nil {
		return nil, 0, fmt.Errorf("store: import %d records: %w", len(recs), err)
	}
	if !skipKnown {
		return out, 0, nil
	}
	stored := make([]Record, 0, len(recs)-dups)
	for i, rec := range out {
		if kept[i] {
			stored = append(stored, rec)
		}
	}
	return stored, dups, nil
}
