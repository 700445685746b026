package challenges_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/challenges"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))

// openRecords opens the challenges' records in a database at path.
func openRecords(t *testing.T, path string) (*store.Store, *challenges.Records) {
	t.Helper()
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, challenges.NewRecords(st)
}

func TestSubmitLimits(t *testing.T) {
	_, s := openRecords(t, filepath.Join(t.TempDir(), "docent.db"))
	ctx := context.Background()
	lim := challenges.SubmitLimits{Attempts: 3, Cooldown: time.Minute}
	alice := chat.Member{ID: "u1", Name: "alice"}
	at := base
	submit := func(member chat.Member, part string, correct bool, when time.Time) challenges.SubmitResult {
		t.Helper()
		res, err := s.Submit(ctx, challenges.Submission{Platform: "discord", Member: member, Challenge: "two-sum", Part: part,
			Time: when, Correct: correct, Points: 50}, lim)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	res := submit(alice, "a", false, at)
	if !res.Stored || res.Submission.ID == 0 || res.Submission.Points != 0 || res.Status.Attempts != 1 || res.Status.Wait != time.Minute {
		t.Fatalf("first wrong answer: %+v", res)
	}
	if res = submit(alice, "a", false, at.Add(30*time.Second)); res.Stored || res.Status.Refused != challenges.RefusedCooldown || res.Status.Wait != 30*time.Second {
		t.Errorf("within the cooldown: %+v", res)
	}
	// Another part has its own attempts and cooldown.
	if res = submit(alice, "b", true, at.Add(30*time.Second)); !res.Stored || !res.Status.Solved || res.Submission.Points != 50 {
		t.Errorf("part b: %+v", res)
	}
	if res = submit(alice, "b", true, at.Add(time.Hour)); res.Stored || res.Status.Refused != challenges.RefusedSolved {
		t.Errorf("part b again: %+v", res)
	}
	submit(alice, "a", false, at.Add(2*time.Minute))
	if res = submit(alice, "a", true, at.Add(4*time.Minute)); !res.Stored || res.Status.Attempts != 3 || !res.Status.Solved {
		t.Errorf("third attempt, right: %+v", res)
	}
	// Out of attempts: three wrong answers.
	bo := chat.Member{ID: "u2", Name: "bo"}
	for i := range 3 {
		submit(bo, "a", false, at.Add(time.Duration(i)*time.Hour))
	}
	if res = submit(bo, "a", true, at.Add(10*time.Hour)); res.Stored || res.Status.Refused != challenges.RefusedAttempts || res.Status.Attempts != 3 {
		t.Errorf("a fourth attempt: %+v", res)
	}

	all, err := s.Submissions(ctx, "two-sum")
	if err != nil || len(all) != 7 {
		t.Fatalf("Submissions: %d, %v; want 7", len(all), err)
	}
	mine, err := s.MemberSubmissions(ctx, "discord", "u1")
	if err != nil || len(mine) != 4 {
		t.Fatalf("alice's submissions: %d, %v; want 4", len(mine), err)
	}
	for _, m := range mine {
		if m.Member != alice || m.Platform != "discord" || m.Challenge != "two-sum" || m.Time.Location() != time.UTC {
			t.Errorf("stored %+v", m)
		}
	}
	if other, _ := s.MemberSubmissions(ctx, "slack", "u1"); len(other) != 0 {
		t.Errorf("the same member ID on slack has %d submissions", len(other))
	}
	if none, _ := s.Submissions(ctx, "other"); len(none) != 0 {
		t.Errorf("another challenge has %d submissions", len(none))
	}

	for _, bad := range []challenges.Submission{
		{Platform: "discord", Member: chat.Member{ID: "u1"}},
		{Platform: "", Member: chat.Member{ID: "u1"}, Challenge: "c"},
		{Platform: "discord", Member: chat.Member{ID: "u1", Name: "\xff"}, Challenge: "c"},
	} {
		if _, err := s.Submit(ctx, bad, lim); !errors.Is(err, challenges.ErrInvalid) {
			t.Errorf("Submit(%+v): %v, want ErrInvalid", bad, err)
		}
	}
}

// Answers sent at once from two conversations cannot both slip under the
// attempts limit.
func TestSubmitIsAtomic(t *testing.T) {
	_, s := openRecords(t, filepath.Join(t.TempDir(), "docent.db"))
	lim := challenges.SubmitLimits{Attempts: 5}
	var wg sync.WaitGroup
	var mu sync.Mutex
	stored := 0
	for range 40 {
		wg.Go(func() {
			res, err := s.Submit(context.Background(), challenges.Submission{Platform: "slack", Member: chat.Member{ID: "U1"}, Challenge: "c"}, lim)
			if err != nil {
				t.Error(err)
				return
			}
			if res.Stored {
				mu.Lock()
				stored++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if stored != 5 {
		t.Errorf("%d submissions stored, want the limit of 5", stored)
	}
}

func TestAnnouncementsAreClaimedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "docent.db")
	st, s := openRecords(t, path)
	ctx := context.Background()
	a := challenges.Announcement{Challenge: "two-sum", Event: "open", Platform: "discord", Channel: "300", Time: base}
	if ok, err := s.ClaimAnnouncement(ctx, a); !ok || err != nil {
		t.Fatalf("first claim: %v, %v", ok, err)
	}
	if ok, _ := s.ClaimAnnouncement(ctx, a); ok {
		t.Error("claimed twice")
	}
	other := a
	other.Platform = "slack"
	if ok, _ := s.ClaimAnnouncement(ctx, other); !ok {
		t.Error("the same event on another platform was refused")
	}
	if err := s.ReleaseAnnouncement(ctx, other); err != nil {
		t.Fatal(err)
	}
	st.Close()

	_, s = openRecords(t, path)
	if ok, _ := s.ClaimAnnouncement(ctx, a); ok {
		t.Error("claimed again after a restart")
	}
	if ok, _ := s.ClaimAnnouncement(ctx, other); !ok {
		t.Error("a released claim cannot be claimed again")
	}
	list, err := s.Announcements(ctx)
	if err != nil || len(list) != 2 || list[0].Challenge != "two-sum" || list[0].Channel != "300" || !list[0].Time.Equal(base) || list[0].Platform == list[1].Platform {
		t.Errorf("Announcements: %+v, %v", list, err)
	}
	if _, err := s.ClaimAnnouncement(ctx, challenges.Announcement{Challenge: "x"}); !errors.Is(err, challenges.ErrInvalid) {
		t.Errorf("an announcement without event and platform: %v", err)
	}
}
