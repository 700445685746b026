package challenges

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Entry is one member's line on a leaderboard.
type Entry struct {
	Rank     int    `json:"rank"`
	Platform string `json:"platform"`
	MemberID string `json:"member_id"`
	Name     string `json:"name"`
	Points   int    `json:"points"`
	// Solved counts the parts solved; Attempts every answer submitted.
	Solved   int `json:"solved"`
	Attempts int `json:"attempts"`
	// Last is when the member reached their points: the time of their
	// last correct submission. Ties on points go to the earlier Last.
	Last time.Time `json:"last"`
}

// Board ranks the members by the points of their correct submissions to
// the challenges keep accepts (nil: all), most first; equal points go to
// whoever reached them first (the earlier last correct submission), then
// by platform and member ID so that the order is stable. Members without
// a correct submission are not ranked. A part's points count once, at its
// first correct submission.
//
// Points are those recorded when the part was solved, so a challenge
// whose points change later, or that is removed, keeps the scores members
// were told.
func Board(subs []Submission, keep func(challenge string) bool) []Entry {
	type key struct{ platform, member string }
	type partKey struct {
		key
		challenge, part string
	}
	byMember := map[key]*Entry{}
	first := map[partKey]Submission{} // the first correct submission of each solved part
	for _, s := range subs {
		if keep != nil && !keep(s.Challenge) {
			continue
		}
		k := key{s.Platform, s.Member.ID}
		e := byMember[k]
		if e == nil {
			e = &Entry{Platform: s.Platform, MemberID: s.Member.ID}
			byMember[k] = e
		}
		e.Attempts++
		if s.Member.Name != "" {
			e.Name = s.Member.Name // the newest name they went by
		}
		if !s.Correct {
			continue
		}
		pk := partKey{k, s.Challenge, s.Part}
		if prev, ok := first[pk]; !ok || s.Time.Before(prev.Time) {
			first[pk] = s
		}
	}
	for pk, s := range first {
		e := byMember[pk.key]
		e.Points += s.Points
		e.Solved++
		if s.Time.After(e.Last) {
			e.Last = s.Time
		}
	}
	var out []Entry
	for _, e := range byMember {
		if e.Solved > 0 {
			if e.Name == "" {
				e.Name = e.MemberID
			}
			out = append(out, *e)
		}
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(b.Points, a.Points), a.Last.Compare(b.Last),
			strings.Compare(a.Platform, b.Platform), strings.Compare(a.MemberID, b.MemberID))
	})
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}

// InSeason is a keep function for Board: the challenges of ids.
func InSeason(ids []string) func(string) bool {
	return func(c string) bool { return slices.Contains(ids, c) }
}
