package attention

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/docent-bot/docent/bot/exchange"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/chat/topics"
	"github.com/docent-bot/docent/store"
)

// The figures, in buckets of their own (key fields made with store.Key,
// days and times as store.AppendID numbers: days since 1970, Unix
// seconds):
//
//	attention_members    platform ‖ member → memberState (JSON)
//	attention_activity   platform ‖ member ‖ day → messages (8 bytes)
//	attention_questions  time ‖ record ID → questionState (JSON)
//	attention_helped     time ‖ platform ‖ helper ‖ asker → helpCounts (JSON)
//	attention_nicks      platform ‖ exchange.NickKey(member) → first seen (RFC 3339)
//	                     (members whose ID is their name, as IRC's)
//
// The texts stay in the store's records: a question's is read by its ID.
var (
	bucketMembers   = store.NewBucket("attention_members")
	bucketActivity  = store.NewBucket("attention_activity")
	bucketQuestions = store.NewAppendBucket("attention_questions")
	bucketHelped    = store.NewAppendBucket("attention_helped")
	bucketNicks     = store.NewBucket("attention_nicks")
)

// Schema is the version of the layout above: 1, the first.
func (mod *Module) Schema() store.Schema { return store.Schema{Version: 1} }

// memberState is what the figures keep of one member.
type memberState struct {
	Name  string    `json:"name"`
	First time.Time `json:"first"` // their first message
	// Question is their first question's record ID (0 for none yet),
	// Asked its time; Answered the first reply's time and By its author
	// (By is cleared when that member is forgotten).
	Question uint64    `json:"question,omitempty"`
	Asked    time.Time `json:"asked,omitzero"`
	Answered time.Time `json:"answered,omitzero"`
	By       string    `json:"by,omitempty"`
}

// questionState is one question: who asked it and its first reply.
type questionState struct {
	Platform string    `json:"p"`
	Member   string    `json:"m"`
	Replied  time.Time `json:"r,omitzero"`
	By       string    `json:"b,omitempty"`
}

// helpCounts is how often one member helped another at one moment (a
// second).
type helpCounts struct {
	Answers int `json:"a,omitempty"`
	Thanks  int `json:"t,omitempty"`
}

func day(t time.Time) uint64 { return uint64(max(0, t.Unix()/86400)) }

func dayTime(d uint64) time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

func memberKey(platform, id string) []byte { return store.Key(platform, id) }

func nickKey(platform, id string) []byte { return store.Key(platform, exchange.NickKey(id)) }

func activityKey(platform, id string, d uint64) []byte {
	return store.AppendID(store.Key(platform, id), d)
}

func questionKey(t time.Time, id uint64) []byte { return store.AppendID(timeKey(t), id) }

func helpedKey(t time.Time, platform, helper, asker string) []byte {
	return append(timeKey(t), store.Key(platform, helper, asker)...)
}

func timeKey(t time.Time) []byte { return store.AppendID(nil, uint64(max(0, t.Unix()))) }

// recorder keeps the figures up to date in the transaction that stores
// the records (store.Recorder). The Detector's memory is the last window
// of each conversation; after a restart, a conversation it does not know
// is primed with its stored records of the last window, whose events were
// counted before.
type recorder struct {
	log    *slog.Logger
	window time.Duration
	det    *exchange.Detector
	once   exchange.Batches // det's, each batch once
}

func newRecorder(window time.Duration, text topics.Text, log *slog.Logger) *recorder {
	det := &exchange.Detector{Window: window, Text: text}
	return &recorder{log: log, window: window, det: det, once: exchange.Batches{Detector: det}}
}

// Key names the recorder: the store keeps its mark under "attention_counted".
func (*recorder) Key() string { return "attention" }

// maxPrime bounds the records read to prime a conversation.
const maxPrime = 512

// Record runs recs through the Detector and writes what they change.
func (r *recorder) Record(tx *store.Tx, recs []store.Record) error {
	if len(recs) == 0 {
		return nil
	}
	found, err := r.once.Events(tx, recs, nil, func(rec store.Record) error {
		if err := r.prime(tx, rec); err != nil {
			return fmt.Errorf("read the conversation before record %d: %w", rec.ID, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	b := newBatch(tx)
	for _, rec := range recs {
		if rec.Kind == store.KindMessage && !rec.Author.Bot && rec.Author.ID != "" {
			if err := b.message(rec); err != nil {
				return err
			}
		}
	}
	for _, events := range found {
		for _, e := range events {
			if err := b.event(e); err != nil {
				return fmt.Errorf("record what record %d made happen: %w", e.Record.ID, err)
			}
		}
	}
	return b.flush()
}

// prime feeds the Detector the records of rec's conversation stored in the
// window before it, discarding their events.
func (r *recorder) prime(tx *store.Tx, rec store.Record) error {
	since := rec.Time.Add(-r.window)
	var before []store.Record
	err := tx.Earlier(rec, maxPrime, func(e store.Record) bool {
		if e.Time.Before(since) {
			return false
		}
		before = append(before, e)
		return true
	})
	for i := len(before) - 1; i >= 0; i-- {
		r.det.Feed(before[i])
	}
	return err
}

// batch gathers one Record call's changes to the members, activity and
// help figures, to write each key once.
type batch struct {
	tx       *store.Tx
	members  map[string]*memberState // by memberKey
	changed  map[string]bool
	activity map[string]uint64 // by activityKey: messages added
	helped   map[string]helpCounts
}

func newBatch(tx *store.Tx) *batch {
	return &batch{tx: tx, members: map[string]*memberState{}, changed: map[string]bool{},
		activity: map[string]uint64{}, helped: map[string]helpCounts{}}
}

// member reads a member's state, nil when there is none.
func (b *batch) member(platform, id string) (*memberState, error) {
	k := string(memberKey(platform, id))
	if m, ok := b.members[k]; ok {
		return m, nil
	}
	var m *memberState
	if v := b.tx.Get(bucketMembers, []byte(k)); v != nil {
		m = &memberState{}
		if err := json.Unmarshal(v, m); err != nil {
			return nil, fmt.Errorf("member %s:%s: %w", platform, id, err)
		}
	}
	b.members[k] = m
	return m, nil
}

func (b *batch) message(rec store.Record) error {
	p, a := rec.Conversation.Platform, rec.Author
	m, err := b.member(p, a.ID)
	if err != nil {
		return err
	}
	k := string(memberKey(p, a.ID))
	switch {
	case m == nil:
		first, err := b.firstAsNick(p, a, rec.Time)
		if err != nil {
			return err
		}
		b.members[k] = &memberState{Name: a.Name, First: first}
		b.changed[k] = true
	case a.Name != "" && m.Name != a.Name:
		m.Name = a.Name
		b.changed[k] = true
	}
	b.activity[string(activityKey(p, a.ID, day(rec.Time)))]++
	return nil
}

// firstAsNick is when a member first seen at t was first seen under any
// form of their nick, where members are known by nick alone (their ID is
// their name, as in an IRC history): "kstamatis_" back after a
// disconnection is kstamatis, no newcomer. Elsewhere (IDs apart from
// names) it is t.
func (b *batch) firstAsNick(platform string, a chat.Member, t time.Time) (time.Time, error) {
	if a.Name != "" && a.Name != a.ID {
		return t, nil
	}
	k := nickKey(platform, a.ID)
	if v := b.tx.Get(bucketNicks, k); v != nil {
		var first time.Time
		if err := first.UnmarshalText(v); err != nil {
			return t, fmt.Errorf("nick %s: %w", k, err)
		}
		return first, nil
	}
	v, err := t.UTC().MarshalText()
	if err != nil {
		return t, err
	}
	return t, b.tx.Put(bucketNicks, k, v)
}

func (b *batch) event(e exchange.Event) error {
	p := e.Record.Conversation.Platform
	switch e.Kind {
	case exchange.Asked:
		v, err := json.Marshal(questionState{Platform: p, Member: e.From.ID})
		if err != nil {
			return err
		}
		if err := b.tx.Put(bucketQuestions, questionKey(e.Record.Time, e.Record.ID), v); err != nil {
			return err
		}
		m, err := b.member(p, e.From.ID)
		if err != nil || m == nil {
			return err
		}
		if m.Question == 0 {
			m.Question, m.Asked = e.Record.ID, e.Record.Time
			b.changed[string(memberKey(p, e.From.ID))] = true
		}
	case exchange.Replied:
		qk := questionKey(e.Question.Time, e.Question.ID)
		if v := b.tx.Get(bucketQuestions, qk); v != nil {
			var q questionState
			if err := json.Unmarshal(v, &q); err != nil {
				return fmt.Errorf("question %d: %w", e.Question.ID, err)
			}
			if q.Replied.IsZero() {
				q.Replied, q.By = e.Record.Time, e.From.ID
				if v, err := json.Marshal(q); err != nil {
					return err
				} else if err := b.tx.Put(bucketQuestions, qk, v); err != nil {
					return err
				}
			}
		}
		m, err := b.member(p, e.To.ID)
		if err != nil {
			return err
		}
		if m != nil && m.Question == e.Question.ID && m.Answered.IsZero() {
			m.Answered, m.By = e.Record.Time, e.From.ID
			b.changed[string(memberKey(p, e.To.ID))] = true
		}
		k := string(helpedKey(e.Record.Time, p, e.From.ID, e.To.ID))
		c := b.helped[k]
		c.Answers++
		b.helped[k] = c
	case exchange.Thanked:
		k := string(helpedKey(e.Record.Time, p, e.To.ID, e.From.ID))
		c := b.helped[k]
		c.Thanks++
		b.helped[k] = c
	}
	return nil
}

// flush writes the gathered changes.
func (b *batch) flush() error {
	for k := range b.changed {
		v, err := json.Marshal(b.members[k])
		if err != nil {
			return err
		}
		if err := b.tx.Put(bucketMembers, []byte(k), v); err != nil {
			return err
		}
	}
	for k, n := range b.activity {
		old := uint64(0)
		if v := b.tx.Get(bucketActivity, []byte(k)); len(v) == 8 {
			old = binary.BigEndian.Uint64(v)
		}
		if err := b.tx.Put(bucketActivity, []byte(k), binary.BigEndian.AppendUint64(nil, old+n)); err != nil {
			return err
		}
	}
	for k, d := range b.helped {
		var c helpCounts
		if v := b.tx.Get(bucketHelped, []byte(k)); v != nil {
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("help figures %x: %w", k, err)
			}
		}
		c.Answers += d.Answers
		c.Thanks += d.Thanks
		v, err := json.Marshal(c)
		if err != nil {
			return err
		}
		if err := b.tx.Put(bucketHelped, []byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

// RolledBack forgets what the Detector learnt from records that were not
// committed (store.RollbackRecorder).
func (r *recorder) RolledBack() { r.once.RolledBack() }
