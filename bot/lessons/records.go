package lessons

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// The lessons' schema: one bucket, "taught", created on first use (older
// databases need no migration). A key is the lesson's ID (8 bytes,
// big-endian: store.AppendID), from the bucket's own sequence; a value is
// the lesson in JSON. Both are as the store wrote them before the lessons
// had a module of their own: databases keep their lessons.
var bucketTaught = store.NewBucket("taught")

// Schema is the version of the layout above: 1, the first, the same as
// when the store kept it as its own. Databases from before hold it
// already, so version 0 (none recorded) becomes 1 as it is.
func (*Module) Schema() store.Schema {
	return store.Schema{Version: 1, Migrations: []store.Migration{{From: 0, To: 1}}}
}

// Taught is one lesson: a new pattern for an intent, or (with Response) a
// new intent.
type Taught struct {
	ID       uint64      `json:"id"`
	Intent   string      `json:"intent"`
	Pattern  string      `json:"pattern,omitempty"`
	Response string      `json:"response,omitempty"` // set when the lesson creates the intent
	By       chat.Member `json:"by"`
	Time     time.Time   `json:"time"`
}

// maxLesson bounds a lesson's texts.
const maxLesson = 4096

// Teach stores a lesson and returns it with its ID. A lesson without an
// intent, or without a pattern or a response, or too long, is an error
// wrapping store.ErrInvalid.
func Teach(ctx context.Context, st store.Buckets, t Taught) (Taught, error) {
	switch {
	case t.Intent == "" || (t.Pattern == "" && t.Response == ""):
		return Taught{}, fmt.Errorf("lessons: teach: %w: an intent and a pattern or a response are needed", store.ErrInvalid)
	case len(t.Pattern) > maxLesson || len(t.Response) > maxLesson || len(t.Intent) > 256:
		return Taught{}, fmt.Errorf("lessons: teach: %w: too long", store.ErrInvalid)
	case !utf8.ValidString(t.Intent + t.Pattern + t.Response):
		return Taught{}, fmt.Errorf("lessons: teach: %w: not UTF-8", store.ErrInvalid)
	}
	if t.Time.IsZero() {
		t.Time = time.Now()
	}
	t.Time = t.Time.UTC()
	err := st.Update(ctx, func(tx *store.Tx) error {
		id, err := tx.NextID(bucketTaught)
		if err != nil {
			return err
		}
		t.ID = id
		val, err := json.Marshal(t)
		if err != nil {
			return err
		}
		return tx.Put(bucketTaught, store.AppendID(nil, id), val)
	})
	if err != nil {
		return Taught{}, fmt.Errorf("lessons: teach %s: %w", t.Intent, err)
	}
	return t, nil
}

// Read returns every lesson, oldest first.
func Read(ctx context.Context, st store.Buckets) ([]Taught, error) {
	var out []Taught
	err := st.View(ctx, func(tx *store.Tx) error {
		out = out[:0]
		return each(tx, func(_ []byte, t Taught) error {
			out = append(out, t)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("lessons: read: %w", err)
	}
	return out, nil
}

// each calls fn with every lesson and its key, oldest first.
func each(tx *store.Tx, fn func(key []byte, t Taught) error) error {
	return tx.Scan(bucketTaught, nil, func(k, v []byte) error {
		var t Taught
		if err := json.Unmarshal(v, &t); err != nil {
			return fmt.Errorf("decode a lesson: %w", err)
		}
		return fn(k, t)
	})
}

// Unteach removes lesson id and returns what it removed, that lesson
// first. A lesson that created an intent takes the patterns taught to that
// intent with it, in the same transaction: they would be left pointing at
// nothing, and would come back should an intent of that name be created
// again. An unknown id is an error wrapping store.ErrNotFound.
func Unteach(ctx context.Context, st store.Buckets, id uint64) ([]Taught, error) {
	var removed []Taught
	err := st.Update(ctx, func(tx *store.Tx) error {
		// Update may run this again: start afresh each time. An unknown id
		// is a result, not an error, which would cost the batch a retry.
		removed = removed[:0]
		key := store.AppendID(nil, id)
		raw := tx.Get(bucketTaught, key)
		if raw == nil {
			return nil
		}
		var t Taught
		if err := json.Unmarshal(raw, &t); err != nil {
			return fmt.Errorf("decode lesson %d: %w", id, err)
		}
		removed = append(removed, t)
		keys := [][]byte{key}
		if t.Response != "" {
			err := each(tx, func(k []byte, p Taught) error {
				if p.Intent == t.Intent && p.Response == "" {
					removed = append(removed, p)
					keys = append(keys, slices.Clone(k))
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		// Writing inside Scan is not allowed: delete after.
		for _, k := range keys {
			if err := tx.Delete(bucketTaught, k); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && len(removed) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("lessons: unteach lesson %d: %w", id, err)
	}
	return removed, nil
}

// part is the lessons' share of what is stored about members: the lessons
// they taught are exported with their data; when they are forgotten the
// lessons stay (they are the community's intents) but no longer name them;
// retention keeps them.
type part struct{}

// Key is the lessons' field in an export; CountKey their count in what
// forget reports (anonymised, not deleted) and retention (none: kept), as
// when the store kept them.
func (part) Key() string      { return "lessons" }
func (part) CountKey() string { return "lessons_anonymised" }

func (part) Export(tx *store.Tx, m store.MemberRef) (any, error) {
	var out []Taught
	err := each(tx, func(_ []byte, t Taught) error {
		if t.By.ID == m.ID {
			out = append(out, t)
		}
		return nil
	})
	return out, err
}

func (part) Forget(tx *store.Tx, m store.MemberRef) (int, error) {
	type change struct {
		key []byte
		val []byte
	}
	var changes []change
	err := each(tx, func(k []byte, t Taught) error {
		if t.By.ID != m.ID {
			return nil
		}
		t.By = chat.Member{Name: "a forgotten member"}
		val, err := json.Marshal(t)
		if err != nil {
			return err
		}
		changes = append(changes, change{slices.Clone(k), val})
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, c := range changes {
		if err := tx.Put(bucketTaught, c.key, c.val); err != nil {
			return 0, err
		}
	}
	return len(changes), nil
}

func (part) Expire(*store.Tx, time.Time) (int, error) { return 0, nil }
