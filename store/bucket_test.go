package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/store"
)

// notes is a feature module's share of the store, as a module would
// write it with the typed primitives: a note per member and a time, under
// a key that starts with the member.
type notes struct{}

var bucketNotes = store.NewBucket("test_notes")

type note struct {
	Text string    `json:"text"`
	Time time.Time `json:"time"`
}

func (notes) Key() string { return "notes" }

func (notes) Export(tx *store.Tx, m store.MemberRef) (any, error) {
	var out []note
	err := tx.Scan(bucketNotes, store.Key(m.Platform, m.ID), func(_, v []byte) error {
		var n note
		if err := json.Unmarshal(v, &n); err != nil {
			return err
		}
		out = append(out, n)
		return nil
	})
	return out, err
}

func (notes) Forget(tx *store.Tx, m store.MemberRef) (int, error) {
	return tx.DeletePrefix(bucketNotes, store.Key(m.Platform, m.ID))
}

func (notes) Expire(tx *store.Tx, cutoff time.Time) (int, error) {
	return deleteNotes(tx, nil, func(n note) bool { return n.Time.Before(cutoff) })
}

func deleteNotes(tx *store.Tx, prefix []byte, drop func(note) bool) (int, error) {
	var keys [][]byte
	if err := tx.Scan(bucketNotes, prefix, func(k, v []byte) error {
		var n note
		if err := json.Unmarshal(v, &n); err != nil {
			return err
		}
		if drop(n) {
			keys = append(keys, bytes.Clone(k))
		}
		return nil
	}); err != nil {
		return 0, err
	}
	for _, k := range keys {
		if err := tx.Delete(bucketNotes, k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

func addNote(t testing.TB, s *store.Store, m store.MemberRef, text string, at time.Time) {
	t.Helper()
	val, err := json.Marshal(note{Text: text, Time: at})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(context.Background(), func(tx *store.Tx) error {
		id, err := tx.NextID(bucketNotes)
		if err != nil {
			return err
		}
		return tx.Put(bucketNotes, store.AppendID(store.Key(m.Platform, m.ID), id), val)
	}); err != nil {
		t.Fatal(err)
	}
}

func TestBucketPrimitives(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openStore(t, path)
	b := store.NewBucket("test_things")
	err := s.View(ctx, func(tx *store.Tx) error {
		if v := tx.Get(b, []byte("a")); v != nil {
			t.Errorf("Get before the bucket exists = %q, want nil", v)
		}
		return tx.Scan(b, nil, func(k, _ []byte) error { t.Errorf("Scan of a missing bucket found %q", k); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	err = s.Update(ctx, func(tx *store.Tx) error {
		ids = ids[:0]
		for _, k := range []string{"ab", "a", "b", "abc"} {
			id, err := tx.NextID(b)
			if err != nil {
				return err
			}
			ids = append(ids, id)
			if err := tx.Put(b, []byte(k), []byte(strings.ToUpper(k))); err != nil {
				return err
			}
		}
		return tx.Delete(b, []byte("missing"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []uint64{1, 2, 3, 4}) {
		t.Errorf("NextID gave %v, want 1 to 4", ids)
	}
	if err := s.Close(); err != nil { // what was written is on disk
		t.Fatal(err)
	}
	s = openStore(t, path)
	var got []string
	err = s.View(ctx, func(tx *store.Tx) error {
		if v := tx.Get(b, []byte("ab")); string(v) != "AB" {
			t.Errorf(`Get("ab") = %q, want "AB"`, v)
		}
		return tx.Scan(b, []byte("a"), func(k, v []byte) error {
			got = append(got, string(k)+"="+string(v))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a=A", "ab=AB", "abc=ABC"}; !slices.Equal(got, want) {
		t.Errorf("Scan(a) = %v, want %v", got, want)
	}
	var deleted int
	if err := s.Update(ctx, func(tx *store.Tx) (err error) {
		deleted, err = tx.DeletePrefix(b, []byte("ab"))
		return err
	}); err != nil || deleted != 2 {
		t.Errorf("DeletePrefix(ab) = %d, %v; want 2", deleted, err)
	}
	if err := s.View(ctx, func(tx *store.Tx) error {
		if tx.Get(b, []byte("ab")) != nil || tx.Get(b, []byte("abc")) != nil || tx.Get(b, []byte("a")) == nil {
			t.Error("DeletePrefix(ab) deleted the wrong keys")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	if err := s.View(ctx, func(tx *store.Tx) error {
		return tx.Scan(b, nil, func(_, _ []byte) error { n++; return stop })
	}); !errors.Is(err, stop) || n != 1 {
		t.Errorf("a scan stopped by its function: %d calls, err %v; want 1 and the function's error", n, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Update(cancelled, func(*store.Tx) error { t.Error("ran with its context done"); return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a done context: %v", err)
	}
	if err := s.View(cancelled, func(*store.Tx) error { t.Error("ran with its context done"); return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("View with a done context: %v", err)
	}
	// A failing update writes nothing.
	if err := s.Update(ctx, func(tx *store.Tx) error {
		if err := tx.Put(b, []byte("z"), []byte("Z")); err != nil {
			return err
		}
		return stop
	}); !errors.Is(err, stop) {
		t.Errorf("Update whose function fails: %v", err)
	}
	if err := s.View(ctx, func(tx *store.Tx) error {
		if v := tx.Get(b, []byte("z")); v != nil {
			t.Errorf("a failed update's write is there: %q", v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestKeys(t *testing.T) {
	k := store.AppendID(store.Key("discord", "ann", "two\x00sum", ""), 42)
	fields, rest, err := store.SplitKey(k, 4)
	if err != nil || !slices.Equal(fields, []string{"discord", "ann", "two\x00sum", ""}) {
		t.Fatalf("SplitKey = %q, %v", fields, err)
	}
	if id, ok := store.KeyID(rest); !ok || id != 42 {
		t.Errorf("KeyID = %d, %v; want 42", id, ok)
	}
	// One member's keys are a prefix range that holds no other member's.
	if bytes.HasPrefix(store.Key("discord", "ann2"), store.Key("discord", "ann")) {
		t.Error(`the key of member "ann2" starts with member "ann"'s`)
	}
	if _, _, err := store.SplitKey(k[:5], 2); err == nil {
		t.Error("SplitKey of a cut key: no error")
	}
}

func TestPartKeysMustDiffer(t *testing.T) {
	_, err := openAt(t, dbPath(t), store.Options{Parts: []store.MemberPart{notes{}, notes{}}})
	if err == nil || !strings.Contains(err.Error(), `"notes"`) {
		t.Errorf("two parts with one key: %v, want an error naming it", err)
	}
}

// TestPartsInJSON: an export and a forget report show each part as a
// field of its own, as they did when the store knew each feature.
func TestPartsInJSON(t *testing.T) {
	d := store.MemberData{Member: store.MemberRef{Platform: "discord", ID: "1"},
		Parts: map[string]any{"notes": []note{{Text: "hi"}}, "empty": []note{}, "none": nil}}
	out, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]json.RawMessage
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if _, ok := back["notes"]; !ok || back["empty"] != nil || back["none"] != nil || back["member"] == nil {
		t.Errorf("export JSON %s: want member and notes, and no empty parts", out)
	}
	out, err = json.Marshal(store.Forgotten{Messages: 2, Parts: map[string]int{"notes": 0}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"messages":2`) || !strings.Contains(string(out), `"notes":0`) {
		t.Errorf("forgotten JSON %s: want messages and notes", out)
	}
}

// The control socket sends what was forgotten as JSON: the parts' counts
// come back.
func TestForgottenRoundTrip(t *testing.T) {
	in := store.Forgotten{Messages: 3, Votes: 1, Parts: map[string]int{"challenge_submissions": 2, "notes": 0}}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out store.Forgotten
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if out.Messages != 3 || out.Votes != 1 || out.Parts["challenge_submissions"] != 2 || len(out.Parts) != 2 {
		t.Errorf("%s read back as %+v", data, out)
	}
}

// keyedNotes is the notes part under another key.
type keyedNotes struct {
	notes
	key string
}

func (p keyedNotes) Key() string { return p.key }

// countedNotes is the notes part whose counts have a name of their own.
type countedNotes struct {
	notes
	count string
}

func (p countedNotes) CountKey() string { return p.count }

// A part keyed like a field of the store's own would be the same JSON
// field: the forget report read back by the command line would show the
// part's count as the messages deleted.
func TestPartKeyMustNotBeAStoreField(t *testing.T) {
	for _, k := range []string{"messages", "Messages", "member", "votes", "records"} {
		_, err := openAt(t, dbPath(t), store.Options{Parts: []store.MemberPart{keyedNotes{key: k}}})
		if err == nil || !strings.Contains(err.Error(), `"`+k+`"`) {
			t.Errorf("part keyed %q: %v, want an error naming it", k, err)
		}
	}
	_, err := openAt(t, dbPath(t), store.Options{Parts: []store.MemberPart{keyedNotes{key: "Notes"}, notes{}}})
	if err == nil {
		t.Error(`parts keyed "Notes" and "notes": no error`)
	}
	// A count's own name (CountKeyed) is held to the same rules.
	for _, parts := range [][]store.MemberPart{
		{countedNotes{count: "answers"}},
		{countedNotes{count: ""}},
		{countedNotes{count: "notes_deleted"}, keyedNotes{key: "notes_deleted"}},
	} {
		if _, err := openAt(t, dbPath(t), store.Options{Parts: parts}); err == nil {
			t.Errorf("parts %+v: no error", parts)
		}
	}
}

// TestCountKey: a part's counts in Forgotten and Retained go under its
// CountKey, its export under its Key.
func TestCountKey(t *testing.T) {
	ctx := context.Background()
	s := openWith(t, dbPath(t), store.Options{Parts: []store.MemberPart{countedNotes{count: "notes_deleted"}}})
	defer s.Close()
	ann := store.MemberRef{Platform: "discord", ID: "ann"}
	addNote(t, s, ann, "old", day0.Add(time.Hour))
	addNote(t, s, ann, "recent", day0.Add(72*time.Hour))
	if d, err := s.ExportMember(ctx, ann); err != nil || len(notesOf(d)) != 2 {
		t.Errorf("export: %+v, %v; want 2 notes under \"notes\"", d.Parts, err)
	}
	r, err := s.DeleteBefore(ctx, day0.Add(48*time.Hour))
	if err != nil || r.Parts["notes_deleted"] != 1 {
		t.Errorf("retention: %+v, %v; want notes_deleted 1", r.Parts, err)
	}
	f, err := s.ForgetMember(ctx, ann)
	if err != nil || f.Parts["notes_deleted"] != 1 {
		t.Errorf("forget: %+v, %v; want notes_deleted 1", f.Parts, err)
	}
	if js, _ := json.Marshal(f); !strings.Contains(string(js), `"notes_deleted":1`) {
		t.Errorf("forget JSON: %s", js)
	}
}

// Put keeps a copy of the value: bbolt would keep the caller's slice until
// the commit, and a reused buffer would change what was written.
func TestPutKeepsACopy(t *testing.T) {
	st := openStore(t, dbPath(t))
	b := store.NewBucket("test_reuse")
	buf := []byte("first")
	err := st.Update(context.Background(), func(tx *store.Tx) error {
		if err := tx.Put(b, []byte("a"), buf); err != nil {
			return err
		}
		copy(buf, "later")
		return tx.Put(b, []byte("b"), buf)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = st.View(context.Background(), func(tx *store.Tx) error {
		if a, b := string(tx.Get(b, []byte("a"))), string(tx.Get(b, []byte("b"))); a != "first" || b != "later" {
			t.Errorf("a = %q, b = %q; want first, later", a, b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNewBucketRefusesTheStoresOwn(t *testing.T) {
	for _, name := range []string{"meta", "messages", "feedback"} { // ("usage" is the budgets module's)
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewBucket(%q) did not panic", name)
				}
			}()
			store.NewBucket(name)
		}()
	}
}

// A feature's function that panics inside Update fails that Update alone:
// the one writer goes on, and nothing of the function is written.
func TestUpdatePanicFailsAlone(t *testing.T) {
	s := openStore(t, dbPath(t))
	b := store.NewBucket("test_things")
	err := s.Update(context.Background(), func(tx *store.Tx) error {
		if err := tx.Put(b, []byte("k"), []byte("v")); err != nil {
			return err
		}
		var m map[string]int
		m["x"]++
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "panic") {
		t.Fatalf("Update whose function panics: %v", err)
	}
	if err := s.Update(context.Background(), func(tx *store.Tx) error { return tx.Put(b, []byte("after"), []byte("1")) }); err != nil {
		t.Fatalf("an Update after the panic: %v", err)
	}
	if err := s.View(context.Background(), func(tx *store.Tx) error {
		if tx.Get(b, []byte("k")) != nil || tx.Get(b, []byte("after")) == nil {
			t.Error("the panicking update wrote, or the next did not")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
