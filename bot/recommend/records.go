package recommend

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// The module's records, each member's under store.Key(platform, member ID):
//
//	recommend_profiles  → Profile: what they talk about (the recorder's),
//	                      in the binary form of encode.go
//	recommend_members   → Settings (JSON): off, the digest, what was shown
//
// Both are the member's (exported, forgotten) and in Schema version 1.
var (
	bucketProfiles = store.NewBucket("recommend_profiles")
	bucketMembers  = store.NewBucket("recommend_members")
)

// Schema is the version of the layout above: 1, the first.
func (mod *Module) Schema() store.Schema { return store.Schema{Version: 1} }

// Settings are a member's choices and what Docent showed them.
type Settings struct {
	// Off stops recommendations, digests and the profile's growth.
	Off bool `json:"off,omitempty"`
	// Digest is on when they asked for the weekly digest; DigestSent is
	// when the last one was sent (claimed before sending: at most one a
	// week, even across restarts).
	Digest     bool      `json:"digest,omitempty"`
	DigestSent time.Time `json:"digest_sent,omitzero"`
	// Shown are what was recommended lately, oldest first: not shown again
	// for a while when there is anything else.
	Shown []Shown `json:"shown,omitempty"`
}

// Shown is one thing recommended, and when.
type Shown struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
}

const maxShown = 30

func memberKey(m store.MemberRef) []byte { return store.Key(m.Platform, m.ID) }

// readJSON decodes b's value under key into v; false when there is none.
func readJSON(tx *store.Tx, b store.Bucket, key []byte, v any) (bool, error) {
	raw := tx.Get(b, key)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("%s %x: %w", b.Name(), key, err)
	}
	return true, nil
}

func writeJSON(tx *store.Tx, b store.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%s %x: %w", b.Name(), key, err)
	}
	return tx.Put(b, key, raw)
}

func settingsOf(tx *store.Tx, m store.MemberRef) (Settings, error) {
	var s Settings
	_, err := readJSON(tx, bucketMembers, memberKey(m), &s)
	return s, err
}

// profileOf reads m's profile; found is false when there is none.
func profileOf(tx *store.Tx, m store.MemberRef) (p Profile, err error) {
	p, _, err = readProfile(tx, memberKey(m))
	return p, err
}

func readProfile(tx *store.Tx, key []byte) (Profile, bool, error) {
	raw := tx.Get(bucketProfiles, key)
	if raw == nil {
		return Profile{}, false, nil
	}
	p, err := decodeProfile(raw)
	if err != nil {
		return Profile{}, false, fmt.Errorf("%s %x: %w", bucketProfiles.Name(), key, err)
	}
	return p, true, nil
}

func writeProfile(tx *store.Tx, key []byte, p *Profile) error {
	return tx.Put(bucketProfiles, key, encodeProfile(p))
}

// memberPart is the module's share of a member's data: their profile and
// settings, exported as "recommendations", deleted by forget; retention
// drops the questions and shown items older than its cutoff.
type memberPart struct{}

// Exported is what `!export me` shows of the module.
type Exported struct {
	Profile  *Profile  `json:"profile,omitempty"`
	Settings *Settings `json:"settings,omitempty"`
}

var _ store.CountKeyed = memberPart{}

// Key names the export's field; CountKey the items deleted in forget and
// retention reports ("1 recommendation records").
func (memberPart) Key() string      { return "recommendations" }
func (memberPart) CountKey() string { return "recommendation_records" }

func (memberPart) Export(tx *store.Tx, m store.MemberRef) (any, error) {
	var s Settings
	p, hasP, err := readProfile(tx, memberKey(m))
	if err != nil {
		return nil, err
	}
	hasS, err := readJSON(tx, bucketMembers, memberKey(m), &s)
	if err != nil {
		return nil, err
	}
	if !hasP && !hasS {
		return nil, nil
	}
	out := &Exported{}
	if hasP {
		out.Profile = &p
	}
	if hasS {
		out.Settings = &s
	}
	return out, nil
}

func (memberPart) Forget(tx *store.Tx, m store.MemberRef) (int, error) {
	n := 0
	for _, b := range []store.Bucket{bucketProfiles, bucketMembers} {
		if tx.Get(b, memberKey(m)) == nil {
			continue
		}
		if err := tx.Delete(b, memberKey(m)); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

func (memberPart) Expire(tx *store.Tx, cutoff time.Time) (int, error) {
	type change struct {
		key []byte
		p   Profile
	}
	var changes []change
	n := 0
	err := tx.Scan(bucketProfiles, nil, func(k, v []byte) error {
		p, err := decodeProfile(v)
		if err != nil {
			return fmt.Errorf("%s %x: %w", bucketProfiles.Name(), k, err)
		}
		before := len(p.Questions)
		p.Questions = slices.DeleteFunc(p.Questions, func(a Asked) bool { return a.At.Before(cutoff) })
		if d := before - len(p.Questions); d > 0 {
			n += d
			changes = append(changes, change{slices.Clone(k), p})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, c := range changes {
		if err := writeProfile(tx, c.key, &c.p); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// recorder builds the profiles from the records as they are stored, and
// from votes, in the transactions that store them (store.VoteRecorder).
// A member who turned recommendations off is left as they are.
type recorder struct {
	learn Learner
	log   *slog.Logger
	now   func() time.Time // when a vote is cast
}

var _ store.VoteRecorder = recorder{}

func (recorder) Key() string { return "recommend" }

func (r recorder) Record(tx *store.Tx, recs []store.Record) error {
	type member struct {
		p       Profile
		changed bool
	}
	members := map[store.MemberRef]*member{}
	var order []store.MemberRef
	for _, rec := range recs {
		if rec.Kind != store.KindMessage || rec.Author.Bot || rec.Author.ID == "" {
			continue
		}
		ref := store.MemberRef{Platform: rec.Conversation.Platform, ID: rec.Author.ID}
		m := members[ref]
		if m == nil {
			s, err := settingsOf(tx, ref)
			if err != nil {
				r.log.Error("recommend: a member's settings are damaged; their profile is left as it is", "member", ref.String(), "err", err)
				s.Off = true
			}
			m = &member{}
			if !s.Off {
				if m.p, err = profileOf(tx, ref); err != nil {
					// A damaged profile must not stop messages from being
					// stored: it starts afresh.
					r.log.Error("recommend: a profile was damaged; building it afresh from now", "member", ref.String(), "err", err)
					m.p = Profile{}
				}
			}
			if s.Off {
				m = nil
			}
			members[ref] = m
			order = append(order, ref)
		}
		if m != nil && r.learn.Message(&m.p, rec) {
			m.changed = true
		}
	}
	for _, ref := range order {
		if m := members[ref]; m != nil && m.changed {
			if err := writeProfile(tx, memberKey(ref), &m.p); err != nil {
				return err
			}
		}
	}
	return nil
}

// RecordVote adds a vote to the voter's profile; a vote taken back (a
// forgotten member's, or changed to none) adds nothing.
func (r recorder) RecordVote(tx *store.Tx, on store.Record, voter chat.Member, old, vote chat.Vote) error {
	if vote == chat.VoteNone || voter.ID == "" || on.Author.ID == voter.ID {
		return nil
	}
	ref := store.MemberRef{Platform: on.Conversation.Platform, ID: voter.ID}
	s, err := settingsOf(tx, ref)
	if err != nil || s.Off {
		return err
	}
	p, err := profileOf(tx, ref)
	if err != nil {
		r.log.Error("recommend: a profile was damaged; building it afresh from now", "member", ref.String(), "err", err)
		p = Profile{}
	}
	var q store.Record
	if on.Kind == store.KindAnswer && on.ReplyTo != 0 {
		if q, err = tx.Record(on.ReplyTo); err != nil {
			return err
		}
	}
	at := r.now().UTC()
	if at.Before(on.Time) {
		at = on.Time
	}
	r.learn.Vote(&p, on, q, vote, at)
	return writeProfile(tx, memberKey(ref), &p)
}
