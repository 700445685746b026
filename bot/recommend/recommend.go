package recommend

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/docent-bot/docent/brain/knowledge"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// Item is one thing recommended to a member.
type Item struct {
	// ID is unique among everything recommended: "doc:" or "thread:" and
	// the passage's ID, or a Suggestion's ID ("challenges:circles").
	ID string `json:"id"`
	// Kind is "doc section", "earlier thread", or a Suggestion's kind.
	Kind   string `json:"kind"`
	Title  string `json:"title"`
	Link   string `json:"link"`
	Reason string `json:"reason"`

	score float64
}

// How many things a recommendation holds, how many of the member's
// interests it searches for, and how long something shown is passed over
// while there is anything else.
const (
	picks       = 3
	searchTerms = 5
	repeatAfter = 14 * 24 * time.Hour
)

// errOff is Recommend's error for a member who turned recommendations off.
var errOff = errors.New("recommendations are off for this member")

// candidate is something that could be recommended, with the words that
// match it to interests.
type candidate struct {
	Item
	words string
}

// Recommend picks up to three things for member, at place, at now: the
// best doc section, earlier thread and suggestion of another module for
// their interests, then the best of what is left; what was shown in the
// last two weeks only when there is nothing else. What they wrote or
// voted on is never among them. The items are remembered as shown.
//
// What was said in a channel (an earlier thread, a suggested open
// question, the member's own question a reason names) is shown only where
// chat.Visible allows, or when private (a DM to Docent, the digest): the
// answer is read by everyone at place.
func (mod *Module) Recommend(ctx context.Context, member store.MemberRef, place chat.Place, private bool) ([]Item, error) {
	now := mod.now()
	var p Profile
	var s Settings
	err := mod.host.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		if s, err = settingsOf(tx, member); err != nil {
			return err
		}
		p, err = profileOf(tx, member)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("recommend: read the profile of %s: %w", member, err)
	}
	if s.Off {
		return nil, errOff
	}
	learn := mod.learner(mod.host.Prefix)
	weights := learn.Weights(&p, now)
	interests := p.Interests(2*searchTerms, nil)
	if len(interests) == 0 {
		return nil, nil
	}
	cands, err := mod.candidates(ctx, member, place, private, &p, interests)
	if err != nil {
		return nil, err
	}
	shown := map[string]bool{}
	for _, sh := range s.Shown {
		if now.Sub(sh.At) < repeatAfter {
			shown[sh.ID] = true
		}
	}
	for i := range cands {
		term, score := match(cands[i].words, interests, weights)
		if score == 0 {
			continue
		}
		cands[i].score = score
		cands[i].Reason = reason(learn, &p, term, now, func(channel string) bool { return private || channel == place.Channel })
	}
	cands = slices.DeleteFunc(cands, func(c candidate) bool { return c.score == 0 })
	slices.SortStableFunc(cands, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(b.score, a.score), strings.Compare(a.ID, b.ID))
	})
	items := pick(cands, shown)
	if len(items) == 0 {
		return nil, nil
	}
	err = mod.host.Store.Update(ctx, func(tx *store.Tx) error {
		s, err := settingsOf(tx, member)
		if err != nil {
			return err
		}
		for _, it := range items {
			s.Shown = appendBounded(s.Shown, Shown{ID: it.ID, At: now}, maxShown)
		}
		return writeJSON(tx, bucketMembers, memberKey(member), s)
	})
	if err != nil {
		return nil, fmt.Errorf("recommend: remember what was shown to %s: %w", member, err)
	}
	return items, nil
}

// pick takes the best of each kind first, then the best left; what was
// shown lately only when nothing else is left.
func pick(cands []candidate, shown map[string]bool) []Item {
	var out []Item
	taken := map[string]bool{}
	take := func(c candidate) {
		out = append(out, c.Item)
		taken[c.ID] = true
	}
	for _, fresh := range []bool{true, false} {
		kinds := map[string]bool{}
		for _, c := range cands {
			if len(out) < picks && !taken[c.ID] && shown[c.ID] != fresh && !kinds[c.Kind] {
				kinds[c.Kind] = true
				take(c)
			}
		}
		for _, c := range cands {
			if len(out) < picks && !taken[c.ID] && shown[c.ID] != fresh {
				take(c)
			}
		}
	}
	return out
}

// candidates gathers what could be recommended: the doc sections and
// earlier threads the brain finds for the member's interests, and the
// other modules' suggestions.
func (mod *Module) candidates(ctx context.Context, member store.MemberRef, place chat.Place, private bool, p *Profile, interests []string) ([]candidate, error) {
	var out []candidate
	seen := map[string]bool{}
	if b := mod.host.Brain; b != nil {
		if br := b(); br != nil {
			queries := slices.Clone(interests[:min(searchTerms, len(interests))])
			queries = append(queries, strings.Join(interests[:min(3, len(interests))], " "))
			for _, q := range queries {
				for _, h := range br.Related(q, 8, place) {
					if seen[h.ID] {
						continue
					}
					seen[h.ID] = true
					c, ok, err := mod.fromHit(ctx, member, p, h)
					if err != nil {
						return nil, err
					}
					if ok {
						out = append(out, c)
					}
				}
			}
		}
	}
	if mod.host.Suggest != nil {
		for _, sg := range mod.host.Suggest(ctx, member) {
			if sg.Place != (chat.Place{}) && !private && !chat.Visible(sg.Place, place) {
				continue
			}
			out = append(out, candidate{Item: Item{ID: sg.ID, Kind: sg.Kind, Title: sg.Title, Link: sg.Link}, words: sg.Title + "\n" + sg.Words})
		}
	}
	return out, nil
}

// fromHit makes a candidate of a passage the brain found, unless it is a
// thread the member asked or voted on.
func (mod *Module) fromHit(ctx context.Context, member store.MemberRef, p *Profile, h knowledge.Hit) (candidate, bool, error) {
	if h.Source != knowledge.SourceThread {
		title := h.Title
		if h.Heading != "" {
			title = h.Heading
		}
		return candidate{Item: Item{ID: "doc:" + h.ID, Kind: "doc section", Title: title, Link: h.Link},
			words: h.Title + "\n" + h.Heading + "\n" + h.Text}, true, nil
	}
	id, err := strconv.ParseUint(strings.TrimPrefix(h.ID, "thread:"), 10, 64)
	if err != nil || p.touched(id) {
		return candidate{}, false, nil
	}
	if mod.host.Records != nil {
		q, err := mod.host.Records.Record(ctx, id)
		if err != nil {
			return candidate{}, false, fmt.Errorf("recommend: read thread %d: %w", id, err)
		}
		if q.Author.ID == member.ID && q.Conversation.Platform == member.Platform {
			return candidate{}, false, nil
		}
	}
	return candidate{Item: Item{ID: h.ID, Kind: "earlier thread", Title: "“" + chat.Clip(h.Title, 100) + "”", Link: h.Link},
		words: h.Title + "\n" + h.Text}, true, nil
}

// match scores words for the interests: the sum of the weights of the
// interests among them, and the heaviest of those.
func match(words string, interests []string, weights map[string]float64) (best string, score float64) {
	set := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(words), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_'
	}) {
		set[strings.Trim(w, "-_")] = true
	}
	for _, t := range interests {
		if set[t] {
			score += weights[t]
			if best == "" || weights[t] > weights[best] {
				best = t
			}
		}
	}
	return best, score
}

// reason says why term led to a recommendation, in one line: the
// member's last question about it, when shown says its channel may be
// named here, or that they talk about it.
func reason(learn Learner, p *Profile, term string, now time.Time, shown func(channel string) bool) string {
	if q, ok := p.lastAsked(learn.Text, term); ok && shown(q.Channel) {
		return fmt.Sprintf("because you asked about %s %s", term, ago(q.At, now))
	}
	return fmt.Sprintf("because you often talk about %s", term)
}

// ago says when at was, seen from now, in words.
func ago(at, now time.Time) string {
	d := now.Sub(at)
	switch {
	case d < 24*time.Hour:
		return "today"
	case d < 48*time.Hour:
		return "yesterday"
	case d < 7*24*time.Hour:
		return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
	case d < 14*24*time.Hour:
		return "last week"
	case d < 31*24*time.Hour:
		return fmt.Sprintf("%d weeks ago", int(d/(7*24*time.Hour)))
	case d < 62*24*time.Hour:
		return "last month"
	}
	return "in " + at.Format("January 2006")
}

// render writes items as a message: one line each, with its reason.
func render(items []Item) string {
	var b strings.Builder
	for i, it := range items {
		link := it.Link
		if strings.HasPrefix(link, "http://") || strings.HasPrefix(link, "https://") {
			link = "<" + link + ">"
		}
		fmt.Fprintf(&b, "%d. %s: %s — %s\n   _%s_\n", i+1, it.Kind, it.Title, link, it.Reason)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
