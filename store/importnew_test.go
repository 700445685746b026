package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// markRider writes a progress mark in the transaction it rides with.
type markRider struct {
	b    store.Bucket
	mark string
	done bool
}

func (m *markRider) Write(tx *store.Tx) error { return tx.Put(m.b, []byte("mark"), []byte(m.mark)) }
func (m *markRider) Done()                    { m.done = true }

// TestImportNewLeavesOutKnownPlatformIDs: ImportNew stores a record whose
// platform ID is new, leaves out one stored already (or earlier in the same
// batch), and commits its riders' writes in the same transaction.
func TestImportNewLeavesOutKnownPlatformIDs(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t))
	c := conv("irc", "#general", "")
	at := time.Date(2015, 1, 28, 15, 2, 0, 0, time.UTC)
	rec := func(pid, text string) store.Record {
		return store.Record{Kind: store.KindMessage, Conversation: c, Time: at, Author: chat.Member{ID: "alice"}, Text: text, PlatformID: pid}
	}
	b := store.NewBucket("test_import")
	r1 := &markRider{b: b, mark: "2"}
	stored, dups, err := s.ImportNew(ctx, []store.Record{rec("a", "one"), rec("b", "two"), rec("a", "one again")}, r1)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 2 || dups != 1 || !r1.done {
		t.Fatalf("first import: stored %d, dups %d, rider done %v; want 2, 1, true", len(stored), dups, r1.done)
	}
	r2 := &markRider{b: b, mark: "3"}
	stored, dups, err = s.ImportNew(ctx, []store.Record{rec("b", "two"), rec("c", "three")}, r2)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 || stored[0].Text != "three" || dups != 1 {
		t.Fatalf("second import: stored %v, dups %d; want only three, 1 dup", texts(stored), dups)
	}
	got, err := s.Conversation(ctx, c, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"three", "two", "one"}; !slices.Equal(texts(got), want) { // newest first
		t.Errorf("conversation: %q, want %q", texts(got), want)
	}
	var mark []byte
	if err := s.View(ctx, func(tx *store.Tx) error { mark = tx.Get(b, []byte("mark")); return nil }); err != nil {
		t.Fatal(err)
	}
	if string(mark) != "3" {
		t.Errorf("the rider's mark is %q, want 3", mark)
	}
}
