package attention

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/docent-bot/docent/store"
)

// memberPart is what the figures hold about a member (store.MemberPart):
// their first message and question, their questions, their messages per
// day, and whom they helped and who helped them. Forgetting them removes
// all of it, and their name from the questions they answered.
type memberPart struct{}

var _ store.CountKeyed = memberPart{}

// Key names the part in exports; CountKey its items in what was deleted
// ("3 attention figures").
func (memberPart) Key() string      { return "attention" }
func (memberPart) CountKey() string { return "attention_figures" }

// Export is the member's share of the figures.
type Export struct {
	First         time.Time      `json:"first_message"`
	FirstQuestion *ExportedAsk   `json:"first_question,omitempty"`
	Questions     []ExportedAsk  `json:"questions,omitempty"`
	Days          []ExportedDay  `json:"days,omitempty"`
	Helped        []ExportedHelp `json:"helped,omitempty"`
}

// ExportedAsk is one of their questions (by the record's ID) and its
// first reply.
type ExportedAsk struct {
	Record  uint64    `json:"record"`
	Asked   time.Time `json:"asked"`
	Replied time.Time `json:"replied,omitzero"`
	By      string    `json:"by,omitempty"`
}

// ExportedDay is how many messages they wrote on a day.
type ExportedDay struct {
	Day      string `json:"day"`
	Messages uint64 `json:"messages"`
}

// ExportedHelp is whom they answered or thanked, or who answered or
// thanked them, and when.
type ExportedHelp struct {
	Time    time.Time `json:"time"`
	Helper  string    `json:"helper"`
	Asker   string    `json:"asker"`
	Answers int       `json:"answers,omitempty"`
	Thanks  int       `json:"thanks,omitempty"`
}

func (memberPart) Export(tx *store.Tx, m store.MemberRef) (any, error) {
	v := tx.Get(bucketMembers, memberKey(m.Platform, m.ID))
	if v == nil {
		return nil, nil
	}
	var st memberState
	if err := json.Unmarshal(v, &st); err != nil {
		return nil, fmt.Errorf("read member %s: %w", m, err)
	}
	out := Export{First: st.First}
	if st.Question != 0 {
		out.FirstQuestion = &ExportedAsk{Record: st.Question, Asked: st.Asked, Replied: st.Answered, By: st.By}
	}
	err := eachQuestion(tx, func(k []byte, at time.Time, id uint64, q questionState) error {
		if q.Platform == m.Platform && q.Member == m.ID {
			out.Questions = append(out.Questions, ExportedAsk{Record: id, Asked: at, Replied: q.Replied, By: q.By})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := tx.Scan(bucketActivity, memberKey(m.Platform, m.ID), func(k, v []byte) error {
		d, n, ok := activityOf(k, v)
		if ok {
			out.Days = append(out.Days, ExportedDay{Day: dayTime(d).Format(time.DateOnly), Messages: n})
		}
		return nil
	}); err != nil {
		return nil, err
	}
	err = eachHelped(tx, func(k []byte, at time.Time, platform, helper, asker string, c helpCounts) error {
		if platform == m.Platform && (helper == m.ID || asker == m.ID) {
			out.Helped = append(out.Helped, ExportedHelp{Time: at, Helper: helper, Asker: asker, Answers: c.Answers, Thanks: c.Thanks})
		}
		return nil
	})
	return out, err
}

// Forget deletes the member's figures (and when their nick was first
// seen, under any of its forms), and their name as the one who answered
// others' questions, and says how many items changed.
func (memberPart) Forget(tx *store.Tx, m store.MemberRef) (int, error) {
	n := 0
	for _, k := range []struct {
		b   store.Bucket
		key []byte
	}{{bucketMembers, memberKey(m.Platform, m.ID)}, {bucketNicks, nickKey(m.Platform, m.ID)}} {
		if tx.Get(k.b, k.key) != nil {
			if err := tx.Delete(k.b, k.key); err != nil {
				return 0, err
			}
			n++
		}
	}
	type put struct{ k, v []byte }
	var puts []put
	var dels [][]byte
	if err := tx.Scan(bucketMembers, store.Key(m.Platform), func(k, v []byte) error {
		var st memberState
		if err := json.Unmarshal(v, &st); err != nil || st.By != m.ID {
			return nil
		}
		st.By = ""
		nv, err := json.Marshal(st)
		puts = append(puts, put{bytes.Clone(k), nv})
		return err
	}); err != nil {
		return 0, err
	}
	for _, p := range puts {
		if err := tx.Put(bucketMembers, p.k, p.v); err != nil {
			return 0, err
		}
	}
	n += len(puts)
	puts = puts[:0]
	if err := eachQuestion(tx, func(k []byte, _ time.Time, _ uint64, q questionState) error {
		switch {
		case q.Platform != m.Platform:
		case q.Member == m.ID:
			dels = append(dels, bytes.Clone(k))
		case q.By == m.ID:
			q.By = ""
			v, err := json.Marshal(q)
			puts = append(puts, put{bytes.Clone(k), v})
			return err
		}
		return nil
	}); err != nil {
		return 0, err
	}
	for _, p := range puts {
		if err := tx.Put(bucketQuestions, p.k, p.v); err != nil {
			return 0, err
		}
	}
	for _, k := range dels {
		if err := tx.Delete(bucketQuestions, k); err != nil {
			return 0, err
		}
	}
	n += len(puts) + len(dels)
	days, err := tx.DeletePrefix(bucketActivity, memberKey(m.Platform, m.ID))
	if err != nil {
		return 0, err
	}
	n += days
	dels = dels[:0]
	if err := eachHelped(tx, func(k []byte, _ time.Time, platform, helper, asker string, _ helpCounts) error {
		if platform == m.Platform && (helper == m.ID || asker == m.ID) {
			dels = append(dels, bytes.Clone(k))
		}
		return nil
	}); err != nil {
		return 0, err
	}
	for _, k := range dels {
		if err := tx.Delete(bucketHelped, k); err != nil {
			return 0, err
		}
	}
	return n + len(dels), nil
}

// Expire deletes the questions, days and help figures from before cutoff,
// and the first questions asked before it (the first message's date
// stays, so that the member is not taken for a newcomer again).
func (memberPart) Expire(tx *store.Tx, cutoff time.Time) (int, error) {
	n := 0
	for _, r := range []struct {
		b   store.Bucket
		end []byte
	}{{bucketQuestions, questionKey(cutoff, 0)}, {bucketHelped, timeKey(cutoff)}} {
		var keys [][]byte
		if err := tx.ScanRange(r.b, nil, r.end, func(k, _ []byte) error {
			keys = append(keys, bytes.Clone(k))
			return nil
		}); err != nil {
			return 0, err
		}
		for _, k := range keys {
			if err := tx.Delete(r.b, k); err != nil {
				return 0, err
			}
		}
		n += len(keys)
	}
	var keys [][]byte
	if err := tx.Scan(bucketActivity, nil, func(k, v []byte) error {
		if d, _, ok := activityOf(k, v); ok && d < day(cutoff) {
			keys = append(keys, bytes.Clone(k))
		}
		return nil
	}); err != nil {
		return 0, err
	}
	for _, k := range keys {
		if err := tx.Delete(bucketActivity, k); err != nil {
			return 0, err
		}
	}
	n += len(keys)
	type put struct{ k, v []byte }
	var puts []put
	if err := tx.Scan(bucketMembers, nil, func(k, v []byte) error {
		var st memberState
		if err := json.Unmarshal(v, &st); err != nil || st.Question == 0 || !st.Asked.Before(cutoff) {
			return nil
		}
		st.Question, st.Asked, st.Answered, st.By = 0, time.Time{}, time.Time{}, ""
		nv, err := json.Marshal(st)
		puts = append(puts, put{bytes.Clone(k), nv})
		return err
	}); err != nil {
		return 0, err
	}
	for _, p := range puts {
		if err := tx.Put(bucketMembers, p.k, p.v); err != nil {
			return 0, err
		}
	}
	return n + len(puts), nil
}

// eachQuestion calls fn with every stored question, oldest first.
func eachQuestion(tx *store.Tx, fn func(k []byte, at time.Time, id uint64, q questionState) error) error {
	return tx.Scan(bucketQuestions, nil, func(k, v []byte) error {
		if len(k) != 16 {
			return nil
		}
		var q questionState
		if err := json.Unmarshal(v, &q); err != nil {
			return fmt.Errorf("question %x: %w", k, err)
		}
		at := time.Unix(int64(binary.BigEndian.Uint64(k)), 0).UTC()
		return fn(k, at, binary.BigEndian.Uint64(k[8:]), q)
	})
}

// eachHelped calls fn with every stored help between two members.
func eachHelped(tx *store.Tx, fn func(k []byte, at time.Time, platform, helper, asker string, c helpCounts) error) error {
	return tx.Scan(bucketHelped, nil, func(k, v []byte) error {
		if len(k) < 8 {
			return nil
		}
		f, _, err := store.SplitKey(k[8:], 3)
		if err != nil {
			return err
		}
		var c helpCounts
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("help figures %x: %w", k, err)
		}
		return fn(k, keyTime(k), f[0], f[1], f[2], c)
	})
}

// activityOf reads an activity entry: its day and messages.
func activityOf(k, v []byte) (d, n uint64, ok bool) {
	if len(k) < 8 || len(v) != 8 {
		return 0, 0, false
	}
	return binary.BigEndian.Uint64(k[len(k)-8:]), binary.BigEndian.Uint64(v), true
}
