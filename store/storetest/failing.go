package storetest

import (
	"fmt"
	"strings"

	"github.com/docent-bot/docent/store"
)

// Failing is another module's store.Recorder that fails on a batch with a
// record whose text holds Word: the store keeps the records without it,
// in their transaction run again, and the recorders before it are given
// the same batch a second time. Put it after the recorder under test.
type Failing struct{ Word string }

// Key is "failing".
func (Failing) Key() string { return "failing" }

// Record fails on a record saying f.Word.
func (f Failing) Record(_ *store.Tx, recs []store.Record) error {
	for _, r := range recs {
		if strings.Contains(r.Text, f.Word) {
			return fmt.Errorf("record %d says %q", r.ID, f.Word)
		}
	}
	return nil
}
