package challenges

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

func openRecords(t *testing.T) (*store.Store, *Records) {
	t.Helper()
	r := &Records{}
	st, err := store.Open(filepath.Join(t.TempDir(), "docent.db"), store.Options{Parts: []store.MemberPart{r.MemberPart()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r.st = st
	return st, r
}

// Forget and export find one member's submissions, inside the store's own
// transactions; nobody else's go.
func TestSubmissionsOfAMember(t *testing.T) {
	st, r := openRecords(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i, sub := range []Submission{
		{Platform: "discord", Member: chat.Member{ID: "7", Name: "alice"}, Challenge: "two-sum", Correct: true, Points: 100},
		{Platform: "discord", Member: chat.Member{ID: "7", Name: "alice"}, Challenge: "primes", Part: "a"},
		// Member IDs that are prefixes of one another must not mix.
		{Platform: "discord", Member: chat.Member{ID: "77", Name: "bo"}, Challenge: "two-sum"},
		{Platform: "slack", Member: chat.Member{ID: "7", Name: "cy"}, Challenge: "two-sum"},
	} {
		sub.Time = at.Add(time.Duration(i) * time.Minute)
		if _, err := r.Submit(ctx, sub, SubmitLimits{}); err != nil {
			t.Fatal(err)
		}
	}
	alice := store.MemberRef{Platform: "discord", ID: "7"}
	d, err := st.ExportMember(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := d.Parts["challenge_submissions"].([]Submission)
	var names []string
	for _, s := range got {
		names = append(names, s.Member.Name+"/"+s.Challenge)
	}
	slices.Sort(names)
	if want := []string{"alice/primes", "alice/two-sum"}; !slices.Equal(names, want) {
		t.Errorf("exported %v, want %v", names, want)
	}
	f, err := st.ForgetMember(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if f.Parts["challenge_submissions"] != 2 {
		t.Errorf("forgot %v submissions, want 2", f.Parts)
	}
	left, err := r.Submissions(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 2 || left[0].Member.Name != "bo" || left[1].Member.Name != "cy" {
		t.Errorf("left %+v, want bo's and cy's", left)
	}
	if _, err := (submissionsPart{}).Forget(nil, store.MemberRef{Platform: "discord"}); err == nil {
		t.Error("forgetting a member with no ID: no error")
	}
}

// Retention deletes the submissions made before its cutoff, whoever made
// them, with the store's records.
func TestSubmissionsExpire(t *testing.T) {
	st, r := openRecords(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i, member := range []string{"7", "8", "7", "9"} {
		sub := Submission{Platform: "discord", Member: chat.Member{ID: member}, Challenge: "c", Time: at.Add(time.Duration(i) * 24 * time.Hour)}
		if _, err := r.Submit(ctx, sub, SubmitLimits{}); err != nil {
			t.Fatal(err)
		}
	}
	// A record a newer Docent wrote, which this one cannot read, is left
	// alone: it does not stop the retention of the others.
	if err := st.Update(ctx, func(tx *store.Tx) error {
		return tx.Put(bucketSubmissions, store.AppendID(store.Key("discord", "5", "c", ""), 99), []byte(`{"v":2}`))
	}); err != nil {
		t.Fatal(err)
	}
	got, err := st.DeleteBefore(ctx, at.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got.Parts["challenge_submissions"] != 2 {
		t.Errorf("deleted %v, want the two before the cutoff", got.Parts)
	}
	if err := st.Update(ctx, func(tx *store.Tx) error {
		return tx.Delete(bucketSubmissions, store.AppendID(store.Key("discord", "5", "c", ""), 99))
	}); err != nil {
		t.Fatal(err)
	}
	left, _ := r.Submissions(ctx, "")
	if len(left) != 2 || !left[0].Time.Equal(at.Add(48*time.Hour)) {
		t.Errorf("left %+v; want the two after the cutoff", left)
	}
}

// A damaged key or value is an error, never a panic.
func FuzzParseSubmission(f *testing.F) {
	k := store.AppendID(store.Key("discord", "7", "two-sum", "a"), 3)
	f.Add(k, []byte(`{"v":1,"name":"alice","time":"2026-03-01T12:00:00Z","correct":true,"points":5}`))
	f.Add(k[:5], []byte(`{}`))
	f.Add([]byte{0xff, 0xff, 0xff}, []byte(`{"v":2}`))
	f.Fuzz(func(t *testing.T, k, v []byte) {
		s, err := parseSubmission(k, v)
		if err == nil && (s.Platform == "" && len(k) < 4) {
			t.Errorf("parsed %x as %+v", k, s)
		}
	})
}

// A submission that does not parse (damaged, or from a newer format) is
// forgotten with the member's others, as before the move to the module:
// forget me must not fail on it.
func TestForgetSubmissionThatDoesNotParse(t *testing.T) {
	st, r := openRecords(t)
	ctx := context.Background()
	if _, err := r.Submit(ctx, Submission{Platform: "discord", Member: chat.Member{ID: "7", Name: "alice"}, Challenge: "two-sum"}, SubmitLimits{}); err != nil {
		t.Fatal(err)
	}
	err := st.Update(ctx, func(tx *store.Tx) error {
		return tx.Put(bucketSubmissions, store.AppendID(store.Key("discord", "7", "two-sum", ""), 99), []byte(`{"v":2}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := st.ForgetMember(ctx, store.MemberRef{Platform: "discord", ID: "7"})
	if err != nil || f.Parts["challenge_submissions"] != 2 {
		t.Fatalf("forget: %+v, %v; want 2 submissions deleted", f, err)
	}
	if left, err := r.MemberSubmissions(ctx, "discord", "7"); err != nil || len(left) != 0 {
		t.Errorf("after forget: %v, %v", left, err)
	}
}
