package routing

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// checkEvery is how often the loop looks for questions to ask helpers
// about.
const checkEvery = time.Minute

// staleAfter: a question still open this long after wait_minutes is not
// worth a ping any more (an imported history's questions never are).
const staleAfter = time.Hour

// Run asks helpers about the questions nobody answered, every minute,
// until ctx is done.
func (mod *Module) Run(ctx context.Context, env module.RunEnv) error {
	if !mod.On() {
		return nil
	}
	t := time.NewTicker(checkEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := mod.PingDue(ctx, env.Messengers); err != nil {
				mod.log.Warn("routing: asking helpers failed; trying again in a minute", "err", err)
			}
		}
	}
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func pingDayKey(d, member string) []byte { return []byte("d" + d + "\x00" + member) }

// pingsOn is how many times member was asked on day d.
func pingsOn(tx *store.Tx, d, member string) int {
	n, _ := strconv.Atoi(string(tx.Get(pingsBucket, pingDayKey(d, member))))
	return n
}

// Sent is one direct message PingDue sent.
type Sent struct {
	Question uint64
	Helper   string // memberKey
}

// PingDue asks the best opted-in helpers about each open question older
// than wait_minutes that no member replied to and Docent did not answer
// well, through messengers (by platform), and forgets the question: it is
// never asked about twice. It returns the messages sent.
func (mod *Module) PingDue(ctx context.Context, messengers map[string]chat.DirectMessenger) ([]Sent, error) {
	now := mod.now().UTC()
	due := now.Add(-time.Duration(mod.cfg.WaitMinutes) * time.Minute)
	var (
		open    []OpenQuestion
		helpers = map[string]Helper{}
		ix      *Index
		counts  = map[string]int{}
		seen    = map[string]*seenRecord{} // the helpers'
	)
	err := mod.st.View(ctx, func(tx *store.Tx) error {
		if err := eachOpen(tx, func(q OpenQuestion) {
			if !q.Time.After(due) {
				open = append(open, q)
			}
		}); err != nil {
			return err
		}
		// Oldest first: by time, as record IDs of an import need not be.
		slices.SortStableFunc(open, func(a, b OpenQuestion) int { return a.Time.Compare(b.Time) })
		if len(open) == 0 {
			return nil
		}
		if err := tx.Scan(helpersBucket, nil, func(k, v []byte) error {
			var h Helper
			if _, err := getJSON(tx, helpersBucket, k, &h); err != nil {
				return err
			}
			helpers[string(k)] = h
			counts[string(k)] = pingsOn(tx, day(now), string(k))
			seen[string(k)] = loadSeen(tx, string(k))
			return nil
		}); err != nil {
			return err
		}
		var err error
		ix, err = loadIndex(tx)
		return err
	})
	if err != nil || len(open) == 0 {
		return nil, err
	}
	// Questions too old to ask about (an imported history leaves
	// thousands) leave in one write.
	stale := due.Add(-staleAfter)
	if i := slices.IndexFunc(open, func(q OpenQuestion) bool { return !q.Time.Before(stale) }); i != 0 {
		if i < 0 {
			i = len(open)
		}
		old := open[:i]
		open = open[i:]
		err := mod.st.Update(ctx, func(tx *store.Tx) error {
			for _, q := range old {
				if err := tx.Delete(openBucket, idKey(q.ID)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("routing: drop %d questions too old to ask about: %w", len(old), err)
		}
	}
	var sent []Sent
	for _, q := range open {
		var ask []Candidate
		well, err := mod.answeredWell(ctx, q)
		if err != nil {
			return sent, err
		}
		if !well {
			ask = mod.choose(ix, q, helpers, seen, counts, messengers)
		}
		p := Ping{Time: now, Asker: memberKey(q.Conversation.Platform, q.Asker.ID)}
		for _, c := range ask {
			p.Helpers = append(p.Helpers, c.Member.ID)
		}
		// The question leaves the open ones, and the ping is counted,
		// before any message goes: never twice, even after a crash.
		err = mod.st.Update(ctx, func(tx *store.Tx) error {
			if err := tx.Delete(openBucket, idKey(q.ID)); err != nil || len(p.Helpers) == 0 {
				return err
			}
			for _, h := range p.Helpers {
				if err := tx.Put(pingsBucket, pingDayKey(day(now), h), []byte(strconv.Itoa(pingsOn(tx, day(now), h)+1))); err != nil {
					return err
				}
			}
			return putJSON(tx, pingsBucket, append([]byte("q"), idKey(q.ID)...), p)
		})
		if err != nil {
			return sent, fmt.Errorf("routing: record the ping for question %d: %w", q.ID, err)
		}
		for _, c := range ask {
			counts[c.Member.ID]++
			h := helpers[c.Member.ID]
			err := messengers[q.Conversation.Platform].DirectMessage(ctx, h.Member.ID, pingText(q, c))
			if err != nil {
				mod.log.Warn("routing: could not write to a helper", "helper", c.Member.ID, "question", q.ID, "err", err)
				continue
			}
			sent = append(sent, Sent{Question: q.ID, Helper: c.Member.ID})
		}
	}
	return sent, nil
}

// choose is the best helpers for q: opted in, on its platform (which
// must have a messenger), who wrote in its channel (so can read it: a
// question in a private channel or a DM never reaches anyone who could
// not see it), on its topics when they named some, under today's cap,
// never the asker.
func (mod *Module) choose(ix *Index, q OpenQuestion, helpers map[string]Helper, seen map[string]*seenRecord, counts map[string]int, messengers map[string]chat.DirectMessenger) []Candidate {
	if messengers[q.Conversation.Platform] == nil {
		return nil
	}
	asker := memberKey(q.Conversation.Platform, q.Asker.ID)
	var out []Candidate
	for _, c := range ix.Rank(Question{Asker: asker, Time: q.Time, Terms: q.Terms}, 0) {
		h, ok := helpers[c.Member.ID]
		switch {
		case !ok, c.Member.ID == asker, counts[c.Member.ID] >= mod.cfg.MaxPingsPerDay,
			memberKey(q.Conversation.Platform, h.Member.ID) != c.Member.ID,
			!seen[c.Member.ID].canRead(chat.PlaceOf(q.Conversation, q.Space)),
			len(h.Topics) > 0 && !overlaps(h.Topics, q.Terms):
			continue
		}
		out = append(out, c)
		if len(out) == mod.cfg.HelpersPerQuestion {
			break
		}
	}
	return out
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// answeredWell reports whether Docent answered q confidently (an intent's
// response, or the LLM's) and nobody downvoted the answer.
func (mod *Module) answeredWell(ctx context.Context, q OpenQuestion) (bool, error) {
	if q.Answer == 0 || (q.AnswerSource != chat.SourceIntent && q.AnswerSource != chat.SourceLLM) {
		return false, nil
	}
	if mod.records == nil {
		return true, nil
	}
	votes, err := mod.records.Feedback(ctx, q.Answer)
	if err != nil {
		return false, fmt.Errorf("routing: read the votes on answer %d: %w", q.Answer, err)
	}
	for _, v := range votes {
		if v.Vote == chat.VoteDown {
			return false, nil
		}
	}
	return true, nil
}

// pingText is the direct message to a helper.
func pingText(q OpenQuestion, c Candidate) string {
	why := "you answered questions here before"
	if len(c.Matched) > 0 {
		why = "you answered questions about " + joinMax(c.Matched, 3) + " before"
	}
	return fmt.Sprintf("A question in %s has had no answer for a while, and %s:\n> %s\n(from %s; you get these because you said `helper on`.)",
		q.Conversation.Channel, why, clip(q.Text, 300), nameOf(q.Asker))
}

func joinMax(ss []string, n int) string {
	if len(ss) > n {
		ss = ss[:n]
	}
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}
