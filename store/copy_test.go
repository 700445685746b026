package store_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/internal/pgtest"
	"github.com/docent-bot/docent/store"
	"github.com/docent-bot/docent/store/internal/kv"
)

// notesSchema is the notes module's schema, so that meta records a
// module's version ("schema:notes") to copy.
var notesSchema = []store.Owner{{Name: "notes", Schema: store.Schema{Version: 3}}}

// smallHistory writes a small real database at path: questions, answers,
// a vote, a saved model, a module's bucket with its IDs, and returns what
// its conversation reads.
func smallHistory(t *testing.T, path string) []string {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(path, store.Options{LockTimeout: testOptions.LockTimeout, Schemas: notesSchema})
	if err != nil {
		t.Fatal(err)
	}
	c := conv("discord", "help", "t1")
	for i := range 30 {
		q := appendMessage(t, s, message(c, fmt.Sprintf("question %d: how do I install it on ℤ/%d?", i, i), base.Add(time.Duration(i)*time.Minute)))
		_, err := s.AppendAnswer(ctx, store.AnswerRecord{Conversation: c, ReplyTo: q.ID, Time: q.Time.Add(time.Second), PlatformID: fmt.Sprintf("ans-%d", i),
			Author: chat.Member{ID: "bot", Name: "docent"}, Answer: chat.Answer{Text: fmt.Sprintf("answer %d", i), Source: chat.SourceIntent, Confidence: 0.9}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.RecordFeedback(ctx, chat.Feedback{Conversation: c, AnswerID: "ans-3", Member: chat.Member{ID: "u2"}, Vote: chat.VoteUp, Time: base}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveModel(ctx, store.Model{Name: "intents", Data: []byte("weights")}); err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		addNote(t, s, store.MemberRef{Platform: "discord", ID: "u1"}, fmt.Sprintf("note %d", i), base)
	}
	recs, err := s.Conversation(ctx, c, 100)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return texts(recs)
}

// withPassword is url with a password, which the test cluster (trust)
// does not check: no message may show it.
func withPassword(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "s3cret-pw")
	return u.String()
}

var copyOptions = store.CopyOptions{LockTimeout: testOptions.LockTimeout, BatchKeys: 16}

// TestCopyRoundTrip: a bbolt file copied into PostgreSQL and back into a
// new file comes across whole, in batches: every bucket's keys, sequence
// and checksum the same at each step, the store reads the same
// conversation, vote and model from each copy, the module's IDs go on
// from where they were, and no message shows the password.
func TestCopyRoundTrip(t *testing.T) {
	postgresOnly(t)
	ctx := context.Background()
	file, back := dbPath(t), filepath.Join(t.TempDir(), "back", "docent.db")
	want := smallHistory(t, file)
	pg := withPassword(t, pgtest.URL(t))

	var phases []string
	opts := copyOptions
	opts.Progress = func(p store.CopyProgress) {
		if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
			phases = append(phases, p.Phase)
		}
	}
	there, err := store.Copy(ctx, store.Location{File: file}, store.Location{URL: pg}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(phases, []string{"reading", "copying", "verifying"}) {
		t.Errorf("progress phases %q", phases)
	}
	back1, err := store.Copy(ctx, store.Location{URL: pg}, store.Location{File: back}, copyOptions)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*store.CopyReport{there, back1} {
		if !slices.Equal(r.Source, r.Destination) || r.Resumed != 0 {
			t.Errorf("%s → %s: sums differ or resumed %d:\n%v\n%v", r.From, r.To, r.Resumed, r.Source, r.Destination)
		}
		if strings.Contains(r.From+r.To, "s3cret") {
			t.Errorf("the report shows the password: %s → %s", r.From, r.To)
		}
	}
	if !slices.Equal(there.Source, back1.Destination) {
		t.Errorf("the round trip changed the database:\n%v\n%v", there.Source, back1.Destination)
	}
	names := map[string]store.BucketSum{}
	var keys int64
	for _, b := range there.Source {
		names[b.Name] = b
		keys += b.Keys
	}
	for _, name := range []string{"meta", "messages", "ids", "conversations", "models", "feedback", "test_notes"} {
		if _, ok := names[name]; !ok {
			t.Errorf("no bucket %q copied (buckets %v)", name, there.Source)
		}
	}
	if names["test_notes"].Sequence != 7 || keys != there.Keys || keys < 100 {
		t.Errorf("test_notes sequence %d (want 7); %d keys copied of %d", names["test_notes"].Sequence, there.Keys, keys)
	}

	for _, open := range []func() (*store.Store, error){
		func() (*store.Store, error) { return store.OpenPostgres(ctx, pg, store.Options{Schemas: notesSchema}) },
		func() (*store.Store, error) { return store.Open(back, store.Options{Schemas: notesSchema}) },
	} {
		s, err := open()
		if err != nil {
			t.Fatal(err)
		}
		recs, err := s.Conversation(ctx, conv("discord", "help", "t1"), 100)
		if err != nil || !slices.Equal(texts(recs), want) {
			t.Errorf("%s: conversation %q (%v), want %q", s.Path(), texts(recs), err, want)
		}
		votes, err := s.Feedback(ctx, recs[len(recs)-8].ID)
		if err != nil || len(votes) != 1 || votes[0].Vote != chat.VoteUp {
			t.Errorf("%s: votes on the 4th answer %+v (%v)", s.Path(), votes, err)
		}
		if m, err := s.LoadModel(ctx, "intents"); err != nil || string(m.Data) != "weights" {
			t.Errorf("%s: model %q (%v)", s.Path(), m.Data, err)
		}
		if v, err := s.SchemaVersions(ctx); err != nil || v["notes"] != 3 {
			t.Errorf("%s: schema versions %v (%v)", s.Path(), v, err)
		}
		var id uint64
		if err := s.Update(ctx, func(tx *store.Tx) error { id, err = tx.NextID(bucketNotes); return err }); err != nil || id != 8 {
			t.Errorf("%s: the notes' next ID is %d (%v), want 8", s.Path(), id, err)
		}
		if strings.Contains(s.Path(), "s3cret") {
			t.Errorf("the store shows the password: %s", s.Path())
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCopyRefusesNonEmptyDestination: a database that holds anything (a
// Docent started on it) is refused, by name, without the password, and
// left as it was; --replace (CopyOptions.Replace) empties it first.
func TestCopyRefusesNonEmptyDestination(t *testing.T) {
	postgresOnly(t)
	ctx := context.Background()
	file := dbPath(t)
	smallHistory(t, file)
	pg := withPassword(t, pgtest.URL(t))
	s := openPostgres(t, pg, testOptions)
	appendMessage(t, s, message(conv("slack", "C1", ""), "already here", base))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	_, err := store.Copy(ctx, store.Location{File: file}, store.Location{URL: pg}, copyOptions)
	if !errors.Is(err, store.ErrNotEmpty) || !strings.Contains(err.Error(), redacted(t, pg)) || !strings.Contains(err.Error(), "Docent database") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("copy into a database with a Docent's history: %v", err)
	}
	s = openPostgres(t, pg, testOptions)
	if recs, err := s.Conversation(ctx, conv("slack", "C1", ""), 10); err != nil || len(recs) != 1 {
		t.Errorf("the refused destination changed: %q (%v)", texts(recs), err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	opts := copyOptions
	opts.Replace = true
	r, err := store.Copy(ctx, store.Location{File: file}, store.Location{URL: pg}, opts)
	if err != nil || !slices.Equal(r.Source, r.Destination) {
		t.Fatalf("copy with Replace: %v", err)
	}
	s = openPostgres(t, pg, testOptions)
	if recs, err := s.Conversation(ctx, conv("slack", "C1", ""), 10); err != nil || len(recs) != 0 {
		t.Errorf("the replaced database still has %q (%v)", texts(recs), err)
	}
}

// redacted is url as messages show it.
func redacted(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Redacted()
}

// TestCopyDetectsADifference: one value written differently in the
// destination (same length, same keys), or a key gone, or a sequence
// changed, and CompareCopy fails naming the bucket; the copy as made
// compares equal.
func TestCopyDetectsADifference(t *testing.T) {
	postgresOnly(t)
	ctx := context.Background()
	file := dbPath(t)
	smallHistory(t, file)
	pg := pgtest.URL(t)
	from, to := store.Location{File: file}, store.Location{URL: pg}
	if _, err := store.Copy(ctx, from, to, copyOptions); err != nil {
		t.Fatal(err)
	}
	if _, err := store.CompareCopy(ctx, from, to, copyOptions); err != nil {
		t.Fatalf("the copy as made: %v", err)
	}
	change := func(fn func(tx kv.Tx) error) {
		t.Helper()
		db, err := kv.OpenPostgres(ctx, pg)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		what, bucket, says string
		fn                 func(tx kv.Tx) error
	}{
		{"a value's byte", "messages", "a key or value differs", func(tx kv.Tx) error {
			b := tx.Bucket([]byte("messages"))
			k, v := b.Cursor().Last()
			v = append([]byte(nil), v...)
			v[len(v)-1] ^= 1
			return b.Put(append([]byte(nil), k...), v)
		}},
		{"a key", "test_notes", "keys, the source", func(tx kv.Tx) error {
			b := tx.Bucket([]byte("test_notes"))
			k, _ := b.Cursor().First()
			return b.Delete(append([]byte(nil), k...))
		}},
		{"a sequence", "feedback", "sequence", func(tx kv.Tx) error {
			return tx.Bucket([]byte("feedback")).SetSequence(99)
		}},
	} {
		change(c.fn)
		_, err := store.CompareCopy(ctx, from, to, copyOptions)
		if !errors.Is(err, store.ErrCopyDiffers) || !strings.Contains(err.Error(), fmt.Sprintf("bucket %q", c.bucket)) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("after changing %s in %s: %v", c.what, c.bucket, err)
		}
	}
}

// TestCopyGoesOnAfterAnInterruption: a copy stopped after some batches
// leaves a destination that Docent refuses to open, saying why; the same
// copy run again goes on from there and ends equal; another source is
// refused on it.
func TestCopyGoesOnAfterAnInterruption(t *testing.T) {
	postgresOnly(t)
	file := dbPath(t)
	smallHistory(t, file)
	pg := pgtest.URL(t)
	from, to := store.Location{File: file}, store.Location{URL: pg}

	ctx, cancel := context.WithCancel(context.Background())
	opts := copyOptions
	opts.Progress = func(p store.CopyProgress) {
		if p.Phase == "copying" && p.Done >= 40 {
			cancel()
		}
	}
	if _, err := store.Copy(ctx, from, to, opts); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "run the copy again to go on") {
		t.Fatalf("interrupted copy: %v", err)
	}
	if _, err := store.OpenPostgres(context.Background(), pg, testOptions); err == nil || !strings.Contains(err.Error(), "unfinished copy of "+file) {
		t.Errorf("Docent opened a half-copied database: %v", err)
	}
	other := dbPath(t)
	smallHistory(t, other)
	if _, err := store.Copy(context.Background(), store.Location{File: other}, to, copyOptions); !errors.Is(err, store.ErrNotEmpty) || !strings.Contains(err.Error(), "interrupted copy of "+file) {
		t.Errorf("another source onto the interrupted copy: %v", err)
	}

	r, err := store.Copy(context.Background(), from, to, copyOptions)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, b := range r.Source {
		total += b.Keys
	}
	if r.Resumed < 40 || r.Resumed+r.Keys != total || !slices.Equal(r.Source, r.Destination) {
		t.Errorf("resumed %d + copied %d of %d keys; sums equal: %v", r.Resumed, r.Keys, total, slices.Equal(r.Source, r.Destination))
	}
	s := openPostgres(t, pg, testOptions)
	if recs, err := s.Conversation(context.Background(), conv("discord", "help", "t1"), 100); err != nil || len(recs) != 60 {
		t.Errorf("after the resumed copy: %d records (%v)", len(recs), err)
	}
}

// TestCopyHoldsTheLocks: a Docent on the source or on the destination
// keeps the copy from starting; the error says which, and why, without
// the password.
func TestCopyHoldsTheLocks(t *testing.T) {
	postgresOnly(t)
	ctx := context.Background()
	file := dbPath(t)
	smallHistory(t, file)
	pg := pgtest.URL(t) + "&password=s3cret-pw" // libpq's other place for it
	s, err := store.Open(file, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	_, err = store.Copy(ctx, store.Location{File: file}, store.Location{URL: pg}, copyOptions)
	if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), file+" is in use") {
		t.Errorf("copy from a file Docent has open: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openPostgres(t, pg, testOptions)
	_, err = store.Copy(ctx, store.Location{File: file}, store.Location{URL: pg}, copyOptions)
	if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), "password=xxxxx") || !strings.Contains(err.Error(), " is in use") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("copy into a database Docent has open: %v", err)
	}
}

// TestCopyRefusesAnOlderSchema: a file at schema 1, or with records left
// to convert, is refused with the command that converts it, and nothing
// is written into the destination.
func TestCopyRefusesAnOlderSchema(t *testing.T) {
	postgresOnly(t)
	ctx := context.Background()
	for _, c := range []struct{ key, value string }{{"schema", "1"}, {"converting", "s"}} {
		file := dbPath(t)
		smallHistory(t, file)
		db, err := kv.OpenBolt(file)
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(ctx, func(tx kv.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte(c.key), []byte(c.value)) })
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		pg := pgtest.URL(t)
		_, err = store.Copy(ctx, store.Location{File: file}, store.Location{URL: pg}, copyOptions)
		if err == nil || !strings.Contains(err.Error(), "run `docent migrate --db "+file+"`") {
			t.Errorf("copy of a file with meta %s=%s: %v", c.key, c.value, err)
		}
		pdb, err := kv.OpenPostgres(ctx, pg)
		if err != nil {
			t.Fatal(err)
		}
		err = pdb.View(ctx, func(tx kv.Tx) error {
			return tx.ForEachBucket(func(name []byte) error { t.Errorf("the refused copy made bucket %q", name); return nil })
		})
		pdb.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
}
