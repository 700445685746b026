package lessons_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/lessons"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// testOptions keeps lock waits short so that a test that trips over a lock
// fails quickly instead of hanging.
var testOptions = store.Options{LockTimeout: 200 * time.Millisecond, Parts: lessons.New().MemberParts()}

// dbPath is a fresh database path in the test's temporary directory.
func dbPath(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "data", "docent.db")
}

// openStore opens path and closes it when the test ends.
func openStore(t testing.TB, path string) *store.Store {
	t.Helper()
	s, err := store.Open(path, testOptions)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestLessons(t *testing.T) {
	path := dbPath(t)
	s := openStore(t, path)
	ctx := context.Background()
	admin := chat.Member{ID: "a1", Name: "ann"}
	if _, err := lessons.Teach(ctx, s, lessons.Taught{Intent: "greeting", Pattern: "yo docent", By: admin}); err != nil {
		t.Fatal(err)
	}
	if _, err := lessons.Teach(ctx, s, lessons.Taught{Intent: "deploy", Response: "See the deploy guide.", By: admin}); err != nil {
		t.Fatal(err)
	}
	if _, err := lessons.Teach(ctx, s, lessons.Taught{Intent: "deploy"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("an empty lesson: %v", err)
	}
	got, err := lessons.Read(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Pattern != "yo docent" || got[1].Response != "See the deploy guide." || got[0].ID >= got[1].ID || got[0].By != admin {
		t.Errorf("lessons %+v", got)
	}
}

func TestUnteach(t *testing.T) {
	path := dbPath(t)
	s, err := store.Open(path, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	admin := chat.Member{ID: "a1", Name: "ann"}
	for _, l := range []lessons.Taught{
		{Intent: "greeting", Pattern: "yo docent"},                    // 1
		{Intent: "deploy", Response: "See the deploy guide."},         // 2
		{Intent: "deploy", Pattern: "how do I deploy"},                // 3
		{Intent: "greeting", Pattern: "howdy"},                        // 4
		{Intent: "deploy", Pattern: "deploy on kubernetes"},           // 5
		{Intent: "deployment", Pattern: "not the same intent's name"}, // 6
	} {
		l.By = admin
		if _, err := lessons.Teach(ctx, s, l); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(ls []lessons.Taught) []uint64 {
		var out []uint64
		for _, l := range ls {
			out = append(out, l.ID)
		}
		return out
	}
	left := func() []uint64 {
		t.Helper()
		ls, err := lessons.Read(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		return ids(ls)
	}

	got, err := lessons.Unteach(ctx, s, 1)
	if err != nil || !slices.Equal(ids(got), []uint64{1}) || got[0].Pattern != "yo docent" || got[0].By != admin {
		t.Fatalf("Unteach(1) = %+v, %v; want the pattern lesson", got, err)
	}
	// An intent goes with the patterns taught to it, and nothing else.
	got, err = lessons.Unteach(ctx, s, 2)
	if err != nil || !slices.Equal(ids(got), []uint64{2, 3, 5}) {
		t.Fatalf("Unteach(2) = %+v, %v; want the intent, then its patterns", got, err)
	}
	if l := left(); !slices.Equal(l, []uint64{4, 6}) {
		t.Errorf("lessons left %v, want [4 6]", l)
	}
	for _, id := range []uint64{2, 3, 99} {
		_, err := lessons.Unteach(ctx, s, id)
		if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), fmt.Sprintf("unteach lesson %d", id)) {
			t.Errorf("Unteach(%d) of a lesson that is not there: %v", id, err)
		}
	}
	// IDs are never reused, and the removal is on disk.
	if l, err := lessons.Teach(ctx, s, lessons.Taught{Intent: "greeting", Pattern: "hiya"}); err != nil || l.ID != 7 {
		t.Errorf("a lesson after unteaching: %+v, %v; want ID 7", l, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := lessons.Unteach(ctx, s, 4); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Unteach after Close: %v", err)
	}
	s = openStore(t, path)
	if l := left(); !slices.Equal(l, []uint64{4, 6, 7}) {
		t.Errorf("after reopening: lessons %v, want [4 6 7]", l)
	}
}

// Unteach on a database where nothing was ever taught.
func TestUnteachNothingTaught(t *testing.T) {
	s := openStore(t, dbPath(t))
	if _, err := lessons.Unteach(context.Background(), s, 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Unteach(1): %v, want ErrNotFound", err)
	}
}

// A database written before the lessons had a module of their own: the
// taught bucket, keyed by the lesson's ID in 8 big-endian bytes from the
// bucket's sequence, each value the lesson in JSON, as the store wrote
// them. Its lessons are read, taught on from the next ID, removed, and
// exported and forgotten with the member who taught them.
func TestLessonsOfAnOlderDatabase(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t))
	taught := store.NewBucket("taught")
	old := []string{
		`{"id":1,"intent":"greeting","pattern":"yo docent","by":{"id":"U1","name":"ann"},"time":"2026-03-01T10:00:00Z"}`,
		`{"id":2,"intent":"deploy","response":"See the deploy guide.","by":{"id":"U2","name":"zed"},"time":"2026-03-02T11:00:00Z"}`,
		`{"id":3,"intent":"deploy","pattern":"how do I deploy","by":{"id":"U2","name":"zed"},"time":"2026-03-02T11:01:00Z"}`,
	}
	err := s.Update(ctx, func(tx *store.Tx) error {
		for i, v := range old {
			if _, err := tx.NextID(taught); err != nil {
				return err
			}
			if err := tx.Put(taught, []byte{0, 0, 0, 0, 0, 0, 0, byte(i + 1)}, []byte(v)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := lessons.Read(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	want := []lessons.Taught{
		{ID: 1, Intent: "greeting", Pattern: "yo docent", By: chat.Member{ID: "U1", Name: "ann"}, Time: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)},
		{ID: 2, Intent: "deploy", Response: "See the deploy guide.", By: chat.Member{ID: "U2", Name: "zed"}, Time: time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC)},
		{ID: 3, Intent: "deploy", Pattern: "how do I deploy", By: chat.Member{ID: "U2", Name: "zed"}, Time: time.Date(2026, 3, 2, 11, 1, 0, 0, time.UTC)},
	}
	if !slices.EqualFunc(got, want, func(a, b lessons.Taught) bool {
		return a == b || (a.Time.Equal(b.Time) && a.ID == b.ID && a.Intent == b.Intent && a.Pattern == b.Pattern && a.Response == b.Response && a.By == b.By)
	}) {
		t.Fatalf("lessons of an older database:\n got %+v\nwant %+v", got, want)
	}
	// A new lesson takes the next ID and is written as the old ones were.
	l, err := lessons.Teach(ctx, s, lessons.Taught{Intent: "greeting", Pattern: "hiya", By: chat.Member{ID: "U1", Name: "ann"}, Time: time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)})
	if err != nil || l.ID != 4 {
		t.Fatalf("Teach after the old lessons: %+v, %v; want ID 4", l, err)
	}
	var raw []byte
	if err := s.View(ctx, func(tx *store.Tx) error { raw = tx.Get(taught, []byte{0, 0, 0, 0, 0, 0, 0, 4}); return nil }); err != nil {
		t.Fatal(err)
	}
	if w := `{"id":4,"intent":"greeting","pattern":"hiya","by":{"id":"U1","name":"ann"},"time":"2026-03-03T09:00:00Z"}`; string(raw) != w {
		t.Errorf("lesson 4 is stored as\n%s\nwant\n%s", raw, w)
	}

	// The member who taught them: exported, then forgotten (the lessons
	// stay, no longer naming them).
	zed := store.MemberRef{Platform: "slack", ID: "U2"}
	d, err := s.ExportMember(ctx, zed)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(d)
	if !strings.Contains(string(out), `"lessons":[{"id":2,"intent":"deploy","response":"See the deploy guide.","by":{"id":"U2","name":"zed"},"time":"2026-03-02T11:00:00Z"},{"id":3,`) {
		t.Errorf("export lacks zed's lessons: %s", out)
	}
	f, err := s.ForgetMember(ctx, zed)
	if err != nil || f.Parts["lessons_anonymised"] != 2 {
		t.Fatalf("forget: %+v, %v; want 2 lessons anonymised", f, err)
	}
	got, err = lessons.Read(ctx, s)
	if err != nil || len(got) != 4 {
		t.Fatalf("lessons after forget: %+v, %v", got, err)
	}
	for _, l := range got {
		if l.By.ID == "U2" || strings.Contains(l.By.Name, "zed") {
			t.Errorf("lesson %d still names zed: %+v", l.ID, l.By)
		}
	}
	if got[1].By.Name != "a forgotten member" || got[0].By.Name != "ann" {
		t.Errorf("after forget the lessons were taught by %q and %q", got[0].By.Name, got[1].By.Name)
	}
	if d, err := s.ExportMember(ctx, zed); err != nil || d.Parts["lessons"] != nil && !emptyList(d.Parts["lessons"]) {
		t.Errorf("export after forget: %+v, %v", d.Parts, err)
	}
	r, err := s.DeleteBefore(ctx, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || r.Parts["lessons_anonymised"] != 0 {
		t.Errorf("retention: %+v, %v; lessons are kept", r, err)
	}
	if got, err := lessons.Read(ctx, s); err != nil || len(got) != 4 {
		t.Errorf("lessons after retention: %d, %v", len(got), err)
	}
}

func emptyList(v any) bool {
	l, ok := v.([]lessons.Taught)
	return ok && len(l) == 0
}
