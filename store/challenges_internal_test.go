package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/docent-bot/docent/chat"
)

// The privacy code finds and deletes a member's submissions inside its own
// transaction, through the writer like every write; nobody else's go.
func TestMemberSubmissionsHelpers(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "docent.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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
		if _, err := s.Submit(ctx, sub, SubmitLimits{}); err != nil {
			t.Fatal(err)
		}
	}

	var got []Submission
	if err := s.view(func(tx *bolt.Tx) error {
		var err error
		got, err = memberSubmissions(tx, "discord", "7")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Member.Name != "alice" || got[1].Member.Name != "alice" {
		t.Fatalf("memberSubmissions: %+v, want alice's two", got)
	}

	deleted := -1
	r := newWriteReq(func(tx *bolt.Tx) (Record, error) {
		n, err := deleteMemberSubmissions(tx, "discord", "7")
		deleted = n
		return Record{}, err
	})
	if _, err := s.submit(ctx, r); err != nil {
		t.Fatal(err)
	}
	if deleted != 2 {
		t.Errorf("deleted %d, want 2", deleted)
	}
	left, err := s.Submissions(ctx, "")
	if err != nil || len(left) != 2 || left[0].Member.Name != "bo" || left[1].Member.Name != "cy" {
		t.Errorf("left after deleting alice's: %+v, %v", left, err)
	}
	if mine, _ := s.MemberSubmissions(ctx, "discord", "7"); len(mine) != 0 {
		t.Errorf("alice still has %d submissions", len(mine))
	}

	// Without a bucket (a new database) both work and find nothing; an
	// empty member is refused rather than matching everyone.
	s2, err := Open(filepath.Join(t.TempDir(), "docent.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s2.view(func(tx *bolt.Tx) error {
		subs, err := memberSubmissions(tx, "discord", "7")
		if err != nil || len(subs) != 0 {
			t.Errorf("no bucket: %v, %v", subs, err)
		}
		if _, err := memberSubmissions(tx, "discord", ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("an empty member ID: %v", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r = newWriteReq(func(tx *bolt.Tx) (Record, error) {
		if n, err := deleteMemberSubmissions(tx, "discord", "7"); n != 0 || err != nil {
			t.Errorf("delete without a bucket: %d, %v", n, err)
		}
		if _, err := deleteMemberSubmissions(tx, "", "7"); !errors.Is(err, ErrInvalid) {
			t.Errorf("delete with an empty platform: %v", err)
		}
		return Record{}, nil
	})
	if _, err := s2.submit(ctx, r); err != nil {
		t.Fatal(err)
	}
}

// Retention deletes the submissions made before its cutoff, whoever made
// them, inside the privacy code's transaction.
func TestDeleteSubmissionsBefore(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "docent.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i, member := range []string{"7", "8", "7", "9"} {
		sub := Submission{Platform: "discord", Member: chat.Member{ID: member}, Challenge: "c", Time: at.Add(time.Duration(i) * 24 * time.Hour)}
		if _, err := s.Submit(ctx, sub, SubmitLimits{}); err != nil {
			t.Fatal(err)
		}
	}
	deleted := -1
	r := newWriteReq(func(tx *bolt.Tx) (Record, error) {
		n, err := deleteSubmissionsBefore(tx, at.Add(48*time.Hour))
		deleted = n
		return Record{}, err
	})
	if _, err := s.submit(ctx, r); err != nil {
		t.Fatal(err)
	}
	left, _ := s.Submissions(ctx, "")
	if deleted != 2 || len(left) != 2 || !left[0].Time.Equal(at.Add(48*time.Hour)) {
		t.Errorf("deleted %d, left %+v; want the two before the cutoff gone", deleted, left)
	}
}

// A damaged key or value is an error, never a panic.
func FuzzParseSubmission(f *testing.F) {
	k := appendID(submissionPrefix("discord", "7", "two-sum", "a"), 3)
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
