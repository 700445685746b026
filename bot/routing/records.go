package routing

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/docent-bot/docent/bot/exchange"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/chat/topics"
	"github.com/docent-bot/docent/store"
)

// The module's buckets (its schema, version 1). Members are keyed by
// memberKey ("platform:id"), the first part of every per-member key.
var (
	// answersBucket: memberKey NUL time(8) question(8) -> Answer (JSON).
	answersBucket = store.NewBucket("routing_answers")
	// membersBucket: memberKey -> seenRecord (JSON).
	membersBucket = store.NewBucket("routing_members")
	// helpersBucket: memberKey -> Helper (JSON).
	helpersBucket = store.NewBucket("routing_helpers")
	// openBucket: question(8) -> OpenQuestion (JSON).
	openBucket = store.NewBucket("routing_open")
	// pingsBucket: "q" question(8) -> Ping (JSON); "d" day NUL
	// memberKey -> count (decimal).
	pingsBucket = store.NewBucket("routing_pings")
)

// memberKey names a member across platforms.
func memberKey(platform, id string) string { return platform + ":" + id }

func refKey(m store.MemberRef) string { return memberKey(m.Platform, m.ID) }

func idKey(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

func answerKey(member string, at time.Time, q uint64) []byte {
	k := append([]byte(member), 0)
	k = binary.BigEndian.AppendUint64(k, uint64(at.Unix()))
	return binary.BigEndian.AppendUint64(k, q)
}

// seenRecord is what ranking keeps of a member's activity.
type seenRecord struct {
	Name     string      `json:"name,omitempty"`
	LastSeen time.Time   `json:"last_seen"`
	Days     map[int]int `json:"days"` // messages by Unix day, the last ActivityDays
	// Places are the channels they wrote in, the latest last (at most
	// maxPlaces): a helper is asked only about a question in one of
	// them, where they can read it (chat.Visible's rule).
	Places []chat.Place `json:"places,omitempty"`
}

// maxPlaces bounds the channels kept of a member.
const maxPlaces = 64

// wroteIn notes that the member wrote in pl, keeping the latest
// maxPlaces.
func (s *seenRecord) wroteIn(pl chat.Place) {
	if n := len(s.Places); n > 0 && s.Places[n-1] == pl {
		return
	}
	s.Places = slices.DeleteFunc(s.Places, func(p chat.Place) bool { return p == pl })
	s.Places = append(s.Places, pl)
	if len(s.Places) > maxPlaces {
		s.Places = slices.Delete(s.Places, 0, len(s.Places)-maxPlaces)
	}
}

// canRead reports whether the member wrote in pl.
func (s *seenRecord) canRead(pl chat.Place) bool {
	return s != nil && slices.ContainsFunc(s.Places, func(p chat.Place) bool { return chat.Visible(pl, p) })
}

// Helper is a member who opted in to be asked.
type Helper struct {
	Member chat.Member `json:"member"`
	Topics []string    `json:"topics,omitempty"` // only questions on these; none: any
	Since  time.Time   `json:"since"`
}

// OpenQuestion is a member's question to everyone that no member replied
// to yet.
type OpenQuestion struct {
	ID           uint64            `json:"id"`
	Conversation chat.Conversation `json:"conversation"`
	Space        string            `json:"space,omitempty"`
	Asker        chat.Member       `json:"asker"`
	Time         time.Time         `json:"time"`
	Text         string            `json:"text"`
	Terms        []string          `json:"terms"`
	// Answer is Docent's answer to it, if any, with its source.
	Answer       uint64      `json:"answer,omitempty"`
	AnswerSource chat.Source `json:"answer_source,omitempty"`
}

// Ping is who was asked about a question, once.
type Ping struct {
	Time    time.Time `json:"time"`
	Asker   string    `json:"asker"` // memberKey
	Helpers []string  `json:"helpers"`
}

// maxOpenText bounds the question text kept for the page and the pings.
const maxOpenText = 500

// recorder runs the Detector on the records as they are stored and keeps
// what ranking needs (store.Recorder). It is called in one write
// transaction at a time.
type recorder struct {
	text   topics.Text
	window time.Duration // the reply window
	det    *exchange.Detector
	once   exchange.Batches // det's, each batch once
}

func newRecorder(text topics.Text, window time.Duration) *recorder {
	det := &exchange.Detector{Text: text}
	return &recorder{text: text, window: window, det: det, once: exchange.Batches{Detector: det}}
}

// Key is the recorder's mark: "routing_counted".
func (r *recorder) Key() string { return "routing" }

// primeBack is how many earlier records of a conversation a recorder
// reads to remember its last window after a restart.
const primeBack = 200

// Record reads recs for exchanges.
func (r *recorder) Record(tx *store.Tx, recs []store.Record) error {
	if len(recs) == 0 {
		return nil
	}
	events, err := r.once.Events(tx, recs, nil, func(rec store.Record) error { return r.prime(tx, rec) })
	if err != nil {
		return err
	}
	seen := map[string]*seenRecord{}
	for i, rec := range recs {
		if err := r.answered(tx, rec); err != nil {
			return err
		}
		for _, e := range events[i] {
			if err := r.event(tx, e); err != nil {
				return fmt.Errorf("routing: record %d: %w", rec.ID, err)
			}
		}
		if rec.Kind == store.KindMessage && !rec.Author.Bot && rec.Author.ID != "" {
			k := memberKey(rec.Conversation.Platform, rec.Author.ID)
			s := seen[k]
			if s == nil {
				if s = loadSeen(tx, k); s == nil {
					s = &seenRecord{Days: map[int]int{}}
				}
				seen[k] = s
			}
			s.Name = rec.Author.Name
			s.wroteIn(chat.PlaceOf(rec.Conversation, rec.Space))
			if rec.Time.After(s.LastSeen) {
				s.LastSeen = rec.Time
			}
			d := dayOf(rec.Time)
			s.Days[d]++
			for day := range s.Days {
				if day <= d-ActivityDays {
					delete(s.Days, day)
				}
			}
		}
	}
	for k, s := range seen {
		if err := putJSON(tx, membersBucket, []byte(k), s); err != nil {
			return err
		}
	}
	return nil
}

// prime feeds the detector the window before rec in its conversation,
// whose events were recorded before (a restart forgot them).
func (r *recorder) prime(tx *store.Tx, rec store.Record) error {
	var earlier []store.Record
	err := tx.Earlier(rec, primeBack, func(e store.Record) bool {
		if rec.Time.Sub(e.Time) > exchange.DefaultWindow {
			return false
		}
		earlier = append(earlier, e)
		return true
	})
	if err != nil {
		return fmt.Errorf("routing: read before record %d: %w", rec.ID, err)
	}
	for _, e := range slices.Backward(earlier) {
		r.det.Feed(e)
	}
	return nil
}

// answered notes Docent's answer on the open question it replies to.
func (r *recorder) answered(tx *store.Tx, rec store.Record) error {
	if rec.Kind != store.KindAnswer || rec.ReplyTo == 0 {
		return nil
	}
	var q OpenQuestion
	if ok, err := getJSON(tx, openBucket, idKey(rec.ReplyTo), &q); err != nil || !ok || q.Answer != 0 {
		return err
	}
	q.Answer, q.AnswerSource = rec.ID, rec.Source
	return putJSON(tx, openBucket, idKey(q.ID), q)
}

func (r *recorder) event(tx *store.Tx, e exchange.Event) error {
	platform := e.Record.Conversation.Platform
	switch e.Kind {
	case exchange.Asked:
		if !e.Open() {
			return nil
		}
		text := e.Record.Text
		if len(text) > maxOpenText {
			text = strings.ToValidUTF8(text[:maxOpenText], "") + "…"
		}
		return putJSON(tx, openBucket, idKey(e.Record.ID), OpenQuestion{
			ID: e.Record.ID, Conversation: e.Record.Conversation, Space: e.Record.Space, Asker: e.From, Time: e.Record.Time,
			Text: text, Terms: r.text.Terms(e.Record.Text),
		})
	case exchange.Replied:
		if err := tx.Delete(openBucket, idKey(e.Question.ID)); err != nil {
			return err
		}
		if e.After > r.window {
			return nil
		}
		a := AnswerOf(e, r.text)
		a.Asker = memberKey(platform, a.Asker)
		return putJSON(tx, answersBucket, answerKey(memberKey(platform, e.From.ID), e.Record.Time, e.Question.ID), a)
	}
	return nil
}

func loadSeen(tx *store.Tx, k string) *seenRecord {
	var s seenRecord
	if ok, err := getJSON(tx, membersBucket, []byte(k), &s); err != nil || !ok {
		return nil
	}
	if s.Days == nil {
		s.Days = map[int]int{}
	}
	return &s
}

func putJSON(tx *store.Tx, b store.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Put(b, key, data)
}

func getJSON(tx *store.Tx, b store.Bucket, key []byte, v any) (bool, error) {
	data := tx.Get(b, key)
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("routing: %s %q: %w", b.Name(), key, err)
	}
	return true, nil
}

// loadIndex reads what ranking knows from the buckets. Members are keyed
// "platform:id" in it, as in the buckets.
func loadIndex(tx *store.Tx) (*Index, error) {
	ix := NewIndex()
	err := tx.Scan(membersBucket, nil, func(k, v []byte) error {
		var s seenRecord
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("routing: member %q: %w", k, err)
		}
		m := chat.Member{ID: string(k), Name: s.Name}
		ix.Seen(m, s.LastSeen)
		p := ix.members[m.ID]
		p.days = map[int]int{}
		for d, n := range s.Days {
			p.days[d] = n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = tx.Scan(answersBucket, nil, func(k, v []byte) error {
		var a Answer
		if err := json.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("routing: answer %q: %w", k, err)
		}
		member, _, _ := bytes.Cut(k, []byte{0})
		a.Member = chat.Member{ID: string(member), Name: a.Member.Name}
		ix.Answered(a)
		return nil
	})
	return ix, err
}

// memberPart is the members' share (store.MemberPart): "routing" in
// exports, "routing_records" in forget and retention reports.
type memberPart struct{}

var _ store.CountKeyed = memberPart{}

// Key names the part in exports; CountKey what forget and retention
// deleted of it ("3 routing records").
func (memberPart) Key() string      { return "routing" }
func (memberPart) CountKey() string { return "routing_records" }

// memberExport is what `!export me` shows of routing.
type memberExport struct {
	Helper        *Helper        `json:"helper,omitempty"`
	Answers       int            `json:"answers"`
	AnsweredTerms map[string]int `json:"answered_terms,omitempty"`
	LastSeen      time.Time      `json:"last_seen,omitzero"`
	OpenQuestions []OpenQuestion `json:"open_questions,omitempty"`
	PingsReceived int            `json:"pings_received"`
}

func (memberPart) Export(tx *store.Tx, m store.MemberRef) (any, error) {
	k := refKey(m)
	var out memberExport
	var h Helper
	if ok, err := getJSON(tx, helpersBucket, []byte(k), &h); err != nil {
		return nil, err
	} else if ok {
		out.Helper = &h
	}
	if s := loadSeen(tx, k); s != nil {
		out.LastSeen = s.LastSeen
	}
	err := tx.Scan(answersBucket, append([]byte(k), 0), func(_, v []byte) error {
		var a Answer
		if err := json.Unmarshal(v, &a); err != nil {
			return err
		}
		out.Answers++
		if out.AnsweredTerms == nil {
			out.AnsweredTerms = map[string]int{}
		}
		for _, t := range a.Terms {
			out.AnsweredTerms[t]++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := eachOpen(tx, func(q OpenQuestion) {
		if memberKey(q.Conversation.Platform, q.Asker.ID) == k {
			out.OpenQuestions = append(out.OpenQuestions, q)
		}
	}); err != nil {
		return nil, err
	}
	err = tx.Scan(pingsBucket, []byte("d"), func(key, v []byte) error {
		if bytes.HasSuffix(key, append([]byte{0}, k...)) {
			var n int
			fmt.Sscan(string(v), &n)
			out.PingsReceived += n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out.Helper == nil && out.Answers == 0 && out.LastSeen.IsZero() && len(out.OpenQuestions) == 0 && out.PingsReceived == 0 {
		return nil, nil
	}
	return out, nil
}

// Forget deletes the member's opt-in, answers, activity, open questions,
// ping counts, and the answers others gave to their questions (which hold
// their questions' words).
func (memberPart) Forget(tx *store.Tx, m store.MemberRef) (int, error) {
	k := refKey(m)
	n := 0
	for _, b := range []store.Bucket{helpersBucket, membersBucket} {
		if tx.Get(b, []byte(k)) != nil {
			n++
			if err := tx.Delete(b, []byte(k)); err != nil {
				return 0, err
			}
		}
	}
	d, err := tx.DeletePrefix(answersBucket, append([]byte(k), 0))
	if err != nil {
		return 0, err
	}
	n += d
	var keys [][]byte
	err = tx.Scan(answersBucket, nil, func(key, v []byte) error {
		var a Answer
		if json.Unmarshal(v, &a) == nil && a.Asker == k {
			keys = append(keys, bytes.Clone(key))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	var open [][]byte
	if err := eachOpen(tx, func(q OpenQuestion) {
		if memberKey(q.Conversation.Platform, q.Asker.ID) == k {
			open = append(open, idKey(q.ID))
		}
	}); err != nil {
		return 0, err
	}
	for _, del := range []struct {
		b    store.Bucket
		keys [][]byte
	}{{answersBucket, keys}, {openBucket, open}} {
		if err := deleteKeys(tx, del.b, del.keys); err != nil {
			return 0, err
		}
		n += len(del.keys)
	}
	var pings [][]byte
	err = tx.Scan(pingsBucket, []byte("d"), func(key, _ []byte) error {
		if bytes.HasSuffix(key, append([]byte{0}, k...)) {
			pings = append(pings, bytes.Clone(key))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if err := deleteKeys(tx, pingsBucket, pings); err != nil {
		return 0, err
	}
	n += len(pings)
	// Who was asked about whose question names both: a ping of their
	// question goes, and they leave the helpers of the others.
	changed := map[string]*Ping{}
	err = tx.Scan(pingsBucket, []byte("q"), func(key, v []byte) error {
		var p Ping
		if err := json.Unmarshal(v, &p); err != nil {
			return fmt.Errorf("routing: ping %x: %w", key, err)
		}
		switch helpers := slices.DeleteFunc(slices.Clone(p.Helpers), func(h string) bool { return h == k }); {
		case p.Asker == k || len(helpers) == 0:
			changed[string(key)] = nil
		case len(helpers) < len(p.Helpers):
			p.Helpers = helpers
			changed[string(key)] = &p
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for key, p := range changed {
		if p == nil {
			err = tx.Delete(pingsBucket, []byte(key))
		} else {
			err = putJSON(tx, pingsBucket, []byte(key), *p)
		}
		if err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// Expire deletes the answers and open questions from before cutoff.
func (memberPart) Expire(tx *store.Tx, cutoff time.Time) (int, error) {
	var keys [][]byte
	err := tx.Scan(answersBucket, nil, func(key, v []byte) error {
		var a Answer
		if json.Unmarshal(v, &a) == nil && a.Time.Before(cutoff) {
			keys = append(keys, bytes.Clone(key))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if err := deleteKeys(tx, answersBucket, keys); err != nil {
		return 0, err
	}
	n := len(keys)
	var open [][]byte
	if err := eachOpen(tx, func(q OpenQuestion) {
		if q.Time.Before(cutoff) {
			open = append(open, idKey(q.ID))
		}
	}); err != nil {
		return 0, err
	}
	if err := deleteKeys(tx, openBucket, open); err != nil {
		return 0, err
	}
	// Who was asked about what, and how often a day: no longer than the
	// questions.
	var pings [][]byte
	err = tx.Scan(pingsBucket, nil, func(key, v []byte) error {
		switch {
		case key[0] == 'q':
			var p Ping
			if json.Unmarshal(v, &p) == nil && p.Time.Before(cutoff) {
				pings = append(pings, bytes.Clone(key))
			}
		case key[0] == 'd':
			if d, _, ok := bytes.Cut(key[1:], []byte{0}); ok && string(d) < day(cutoff) {
				pings = append(pings, bytes.Clone(key))
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if err := deleteKeys(tx, pingsBucket, pings); err != nil {
		return 0, err
	}
	return n + len(open) + len(pings), nil
}

// deleteKeys deletes keys, collected by a scan (a bucket is not changed
// while it is scanned), from b.
func deleteKeys(tx *store.Tx, b store.Bucket, keys [][]byte) error {
	for _, key := range keys {
		if err := tx.Delete(b, key); err != nil {
			return err
		}
	}
	return nil
}

func eachOpen(tx *store.Tx, fn func(OpenQuestion)) error {
	return tx.Scan(openBucket, nil, func(k, v []byte) error {
		var q OpenQuestion
		if err := json.Unmarshal(v, &q); err != nil {
			return fmt.Errorf("routing: open question %x: %w", k, err)
		}
		fn(q)
		return nil
	})
}

// RolledBack forgets what the Detector learnt from records that were not
// committed (store.RollbackRecorder).
func (r *recorder) RolledBack() { r.once.RolledBack() }
