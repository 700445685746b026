package challenges

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// The challenges' records, in buckets of their own (created on first use;
// they kept these names and formats when they moved here from the store):
//
//	submissions    platform ‖ member ‖ challenge ‖ part ‖ id → {"v":1,"name","time","correct","points"}
//	announcements  challenge ‖ event ‖ platform → {"v":1,"channel","time"}
//
// Key fields are length-prefixed (store.Key), so one member's submissions
// are one contiguous range: forget and export find them with a prefix scan,
// and Submit reads one member's attempts at one part the same way. The
// answer a member wrote is never stored, in any form: only whether it was
// right.
var (
	bucketSubmissions   = store.NewBucket("submissions")
	bucketAnnouncements = store.NewBucket("announcements")
)

// Schema is the version of the layout above: 1, the first. Databases
// from before versions were recorded hold it already, so version 0 (none
// recorded) becomes 1 as it is; a later layout adds its step from 1.
func (mod *Module) Schema() store.Schema {
	return store.Schema{Version: 1, Migrations: []store.Migration{{From: 0, To: 1}}}
}

// ErrInvalid is returned for a submission or announcement that cannot be
// stored (an empty or oversized name).
var ErrInvalid = store.ErrInvalid

// Submission is one answer a member submitted to a coding challenge: who,
// when, to which challenge and part, and whether it was right. The answer
// itself is not kept.
type Submission struct {
	ID        uint64      `json:"id"`
	Platform  string      `json:"platform"`
	Member    chat.Member `json:"member"` // its ID and, for leaderboards, its name
	Challenge string      `json:"challenge"`
	Part      string      `json:"part,omitempty"` // "" for a challenge of one part
	Time      time.Time   `json:"time"`           // UTC
	Correct   bool        `json:"correct"`
	// Points are those awarded when the part was solved; 0 when wrong.
	Points int `json:"points,omitempty"`
}

// SubmitLimits bound one member's submissions to one part of a challenge.
type SubmitLimits struct {
	// Attempts is how many answers a member may submit to a part; 0 means
	// no limit.
	Attempts int
	// Cooldown is how long after a wrong answer the next one is refused.
	Cooldown time.Duration
}

// Refusal says why a submission was not taken.
type Refusal string

const (
	RefusedSolved   Refusal = "solved"   // the member already solved the part
	RefusedAttempts Refusal = "attempts" // the member used every attempt
	RefusedCooldown Refusal = "cooldown" // too soon after a wrong answer
)

// PartStatus is where one member stands on one part of a challenge.
type PartStatus struct {
	Attempts int       // answers submitted so far
	Solved   bool      // one of them was right
	SolvedAt time.Time // when, if Solved
	// Wait is how much of the cooldown after the last wrong answer is
	// left at the time asked about; 0 when none.
	Wait time.Duration
	// Refused is why a new submission would not be taken now, "" if it
	// would.
	Refused Refusal
}

// StatusOf sums up a member's submissions to one part (subs may hold
// others; they are skipped) as of now, under limits.
func StatusOf(subs []Submission, challenge, part string, now time.Time, lim SubmitLimits) PartStatus {
	var st PartStatus
	var lastWrong time.Time
	for _, s := range subs {
		if s.Challenge != challenge || s.Part != part {
			continue
		}
		st.Attempts++
		switch {
		case s.Correct && (!st.Solved || s.Time.Before(st.SolvedAt)):
			st.Solved, st.SolvedAt = true, s.Time
		case !s.Correct && s.Time.After(lastWrong):
			lastWrong = s.Time
		}
	}
	if !lastWrong.IsZero() && lim.Cooldown > 0 {
		st.Wait = max(lastWrong.Add(lim.Cooldown).Sub(now), 0)
	}
	switch {
	case st.Solved:
		st.Refused = RefusedSolved
	case lim.Attempts > 0 && st.Attempts >= lim.Attempts:
		st.Refused = RefusedAttempts
	case st.Wait > 0:
		st.Refused = RefusedCooldown
	}
	return st
}

// SubmitResult is what Submit did.
type SubmitResult struct {
	// Stored is true when the submission was taken; then Submission is it
	// as stored, with its ID.
	Stored     bool
	Submission Submission
	// Status is the member's standing on the part: after this submission
	// when it was stored, else as it was (with Refused saying why not).
	Status PartStatus
}

// maxSubmissionField bounds the names in a submission's key.
const maxSubmissionField = 256

func validSubmission(s Submission) error {
	for _, f := range []struct{ name, v string }{{"platform", s.Platform}, {"member ID", s.Member.ID}, {"challenge", s.Challenge}} {
		if f.v == "" {
			return fmt.Errorf("%w: the submission has no %s", ErrInvalid, f.name)
		}
	}
	for _, v := range []string{s.Platform, s.Member.ID, s.Member.Name, s.Challenge, s.Part} {
		if len(v) > maxSubmissionField || !utf8.ValidString(v) {
			return fmt.Errorf("%w: a name in the submission is not UTF-8 or longer than %d bytes", ErrInvalid, maxSubmissionField)
		}
	}
	if s.Points < 0 || s.Time.Year() < 0 || s.Time.Year() > 9999 {
		return fmt.Errorf("%w: negative points or a time outside years 0 to 9999", ErrInvalid)
	}
	return nil
}

// submissionValue is what a submission's key does not already hold.
type submissionValue struct {
	V       int       `json:"v"`
	Name    string    `json:"name,omitempty"`
	Time    time.Time `json:"time"`
	Correct bool      `json:"correct,omitempty"`
	Points  int       `json:"points,omitempty"`
}

// parseSubmission decodes a submissions-bucket entry; it never panics,
// whatever the bytes hold.
func parseSubmission(k, v []byte) (Submission, error) {
	fields, rest, err := store.SplitKey(k, 4)
	if err != nil {
		return Submission{}, fmt.Errorf("submission: %w", err)
	}
	id, ok := store.KeyID(rest)
	if !ok {
		return Submission{}, fmt.Errorf("submission key %x: %d bytes after the names, want an ID", k, len(rest))
	}
	s := Submission{ID: id, Platform: fields[0], Member: chat.Member{ID: fields[1]}, Challenge: fields[2], Part: fields[3]}
	var val submissionValue
	if err := json.Unmarshal(v, &val); err != nil {
		return Submission{}, fmt.Errorf("submission %d: %w", s.ID, err)
	}
	if val.V != 1 {
		return Submission{}, fmt.Errorf("submission %d: unknown format version %d", s.ID, val.V)
	}
	s.Member.Name, s.Time, s.Correct, s.Points = val.Name, val.Time, val.Correct, val.Points
	return s, nil
}

// scanSubmissions calls fn for every submission whose key starts with
// prefix, in key order.
func scanSubmissions(tx *store.Tx, prefix []byte, fn func(k []byte, s Submission) error) error {
	return tx.Scan(bucketSubmissions, prefix, func(k, v []byte) error {
		s, err := parseSubmission(k, v)
		if err != nil {
			return err
		}
		return fn(k, s)
	})
}

// Records are the challenges' records in the store.
type Records struct{ st store.Buckets }

// NewRecords keeps the challenges' records in st.
func NewRecords(st store.Buckets) *Records { return &Records{st: st} }

// Submit stores a member's submission unless the limits refuse it: the
// part is already solved, every attempt is used, or the cooldown after a
// wrong answer is not over at s.Time. The check and the write are one
// transaction, so answers sent at once from two conversations cannot
// slip past a limit. A zero s.Time is stamped with the current time.
func (r *Records) Submit(ctx context.Context, sub Submission, lim SubmitLimits) (SubmitResult, error) {
	if sub.Time.IsZero() {
		sub.Time = time.Now()
	}
	sub.Time = sub.Time.UTC()
	if !sub.Correct {
		sub.Points = 0
	}
	if err := validSubmission(sub); err != nil {
		return SubmitResult{}, fmt.Errorf("challenges: submit to %s: %w", sub.Challenge, err)
	}
	val, err := json.Marshal(submissionValue{V: 1, Name: sub.Member.Name, Time: sub.Time, Correct: sub.Correct, Points: sub.Points})
	if err != nil {
		return SubmitResult{}, fmt.Errorf("challenges: submit to %s: %w", sub.Challenge, err)
	}
	prefix := store.Key(sub.Platform, sub.Member.ID, sub.Challenge, sub.Part)
	var res SubmitResult
	err = r.st.Update(ctx, func(tx *store.Tx) error {
		res = SubmitResult{} // the update may run again
		var mine []Submission
		if err := scanSubmissions(tx, prefix, func(_ []byte, s Submission) error {
			mine = append(mine, s)
			return nil
		}); err != nil {
			return err
		}
		res.Status = StatusOf(mine, sub.Challenge, sub.Part, sub.Time, lim)
		if res.Status.Refused != "" {
			return nil
		}
		id, err := tx.NextID(bucketSubmissions)
		if err != nil {
			return err
		}
		stored := sub
		stored.ID = id
		if err := tx.Put(bucketSubmissions, store.AppendID(slices.Clone(prefix), id), val); err != nil {
			return err
		}
		res.Stored, res.Submission = true, stored
		res.Status = StatusOf(append(mine, stored), sub.Challenge, sub.Part, sub.Time, lim)
		return nil
	})
	if err != nil {
		return SubmitResult{}, fmt.Errorf("challenges: submit to %s: %w", sub.Challenge, err)
	}
	return res, nil
}

// Submissions returns every submission to challenge, or to every challenge
// when challenge is "", in the order they were stored.
func (r *Records) Submissions(ctx context.Context, challenge string) ([]Submission, error) {
	var out []Submission
	err := r.st.View(ctx, func(tx *store.Tx) error {
		out = nil
		return scanSubmissions(tx, nil, func(_ []byte, sub Submission) error {
			if challenge == "" || sub.Challenge == challenge {
				out = append(out, sub)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("challenges: read submissions: %w", err)
	}
	slices.SortFunc(out, func(a, b Submission) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// MemberSubmissions returns one member's submissions to every challenge.
func (r *Records) MemberSubmissions(ctx context.Context, platform, memberID string) ([]Submission, error) {
	var out []Submission
	err := r.st.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = memberSubmissions(tx, store.MemberRef{Platform: platform, ID: memberID})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("challenges: read the submissions of %s:%s: %w", platform, memberID, err)
	}
	return out, nil
}

func memberSubmissions(tx *store.Tx, m store.MemberRef) ([]Submission, error) {
	if m.Platform == "" || m.ID == "" {
		return nil, fmt.Errorf("%w: a member's submissions need the platform and the member ID", ErrInvalid)
	}
	var out []Submission
	err := scanSubmissions(tx, store.Key(m.Platform, m.ID), func(_ []byte, s Submission) error {
		out = append(out, s)
		return nil
	})
	return out, err
}

// MemberPart is the challenges' share of what is stored about a member:
// their submissions (verdicts and times), exported with `export me`,
// deleted with `forget me`, and by retention like every record.
func (r *Records) MemberPart() store.MemberPart { return submissionsPart{} }

type submissionsPart struct{}

func (submissionsPart) Key() string { return "challenge_submissions" }

func (submissionsPart) Export(tx *store.Tx, m store.MemberRef) (any, error) {
	return memberSubmissions(tx, m)
}

func (submissionsPart) Forget(tx *store.Tx, m store.MemberRef) (int, error) {
	if m.Platform == "" || m.ID == "" {
		return 0, fmt.Errorf("%w: deleting a member's submissions needs the platform and the member ID", ErrInvalid)
	}
	// By key alone: a record that does not parse (damaged, or written by a
	// newer Docent) must not keep a member from being forgotten.
	return tx.DeletePrefix(bucketSubmissions, store.Key(m.Platform, m.ID))
}

// Expire deletes every submission made before cutoff. Leaderboards lose
// the points of what it deletes.
//
// A record that does not parse (damaged, or written by a newer Docent) is
// left alone: its time is unknown, and failing would stop the retention of
// every other record with it.
func (submissionsPart) Expire(tx *store.Tx, cutoff time.Time) (int, error) {
	var keys [][]byte
	if err := tx.Scan(bucketSubmissions, nil, func(k, v []byte) error {
		if s, err := parseSubmission(k, v); err == nil && s.Time.Before(cutoff) {
			keys = append(keys, slices.Clone(k)) // a key is valid only during the scan
		}
		return nil
	}); err != nil {
		return 0, err
	}
	for _, k := range keys {
		if err := tx.Delete(bucketSubmissions, k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// Announcement is a challenge's opening or closing, posted on a platform.
type Announcement struct {
	Challenge string    `json:"challenge"`
	Event     string    `json:"event"` // "open" or "close"
	Platform  string    `json:"platform"`
	Channel   string    `json:"channel"`
	Time      time.Time `json:"time"`
}

type announcementValue struct {
	V       int       `json:"v"`
	Channel string    `json:"channel"`
	Time    time.Time `json:"time"`
}

func announcementKey(a Announcement) ([]byte, error) {
	for _, v := range []string{a.Challenge, a.Event, a.Platform} {
		if v == "" || len(v) > maxSubmissionField || !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return nil, fmt.Errorf("%w: announcement %q/%q/%q", ErrInvalid, a.Challenge, a.Event, a.Platform)
		}
	}
	return store.Key(a.Challenge, a.Event, a.Platform), nil
}

// ClaimAnnouncement records that a is being posted and returns true, or
// returns false when it was claimed before (by this process or an earlier
// one), so that a restart never posts it twice. A post that fails should be
// released with ReleaseAnnouncement, to be tried again.
func (r *Records) ClaimAnnouncement(ctx context.Context, a Announcement) (bool, error) {
	key, err := announcementKey(a)
	if err != nil {
		return false, fmt.Errorf("challenges: claim an announcement: %w", err)
	}
	if a.Time.IsZero() {
		a.Time = time.Now()
	}
	val, err := json.Marshal(announcementValue{V: 1, Channel: strings.ToValidUTF8(a.Channel, "\uFFFD"), Time: a.Time.UTC()})
	if err != nil {
		return false, fmt.Errorf("challenges: claim an announcement: %w", err)
	}
	// Most calls find it claimed: a read costs no fsync.
	var seen bool
	if err := r.st.View(ctx, func(tx *store.Tx) error {
		seen = tx.Get(bucketAnnouncements, key) != nil
		return nil
	}); err != nil {
		return false, fmt.Errorf("challenges: read announcements: %w", err)
	}
	if seen {
		return false, nil
	}
	claimed := false
	err = r.st.Update(ctx, func(tx *store.Tx) error {
		claimed = false
		if tx.Get(bucketAnnouncements, key) != nil {
			return nil
		}
		claimed = true
		return tx.Put(bucketAnnouncements, key, val)
	})
	if err != nil {
		return false, fmt.Errorf("challenges: claim the %s announcement of %s on %s: %w", a.Event, a.Challenge, a.Platform, err)
	}
	return claimed, nil
}

// ReleaseAnnouncement forgets a claim whose post failed.
func (r *Records) ReleaseAnnouncement(ctx context.Context, a Announcement) error {
	key, err := announcementKey(a)
	if err != nil {
		return fmt.Errorf("challenges: release an announcement: %w", err)
	}
	if err := r.st.Update(ctx, func(tx *store.Tx) error { return tx.Delete(bucketAnnouncements, key) }); err != nil {
		return fmt.Errorf("challenges: release the %s announcement of %s on %s: %w", a.Event, a.Challenge, a.Platform, err)
	}
	return nil
}

// Announcements lists every announcement claimed, by challenge.
func (r *Records) Announcements(ctx context.Context) ([]Announcement, error) {
	var out []Announcement
	err := r.st.View(ctx, func(tx *store.Tx) error {
		out = nil
		return tx.Scan(bucketAnnouncements, nil, func(k, v []byte) error {
			fields, _, err := store.SplitKey(k, 3)
			if err != nil {
				return fmt.Errorf("announcement: %w", err)
			}
			a := Announcement{Challenge: fields[0], Event: fields[1], Platform: fields[2]}
			var val announcementValue
			if err := json.Unmarshal(v, &val); err != nil {
				return fmt.Errorf("announcement %x: %w", k, err)
			}
			a.Channel, a.Time = val.Channel, val.Time
			out = append(out, a)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("challenges: read announcements: %w", err)
	}
	return out, nil
}
