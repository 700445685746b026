package routing

import (
	"cmp"
	"context"
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/store"
)

//go:embed page.html
var pageTemplate string

// pageQuestions and pageCandidates bound the page.
const (
	pageQuestions  = 50
	pageCandidates = 5
)

// Pages is the admins' "Who can help" page: the open questions with their
// likely helpers, and the helpers.
func (mod *Module) Pages() []module.Page {
	if !mod.On() {
		return nil
	}
	return []module.Page{{Path: "routing", Title: "Who can help", Template: pageTemplate, Data: mod.pageData}}
}

type pageData struct {
	Questions []pageQuestion
	Helpers   []pageHelper
}

type pageQuestion struct {
	Time, Asker, Where, Text string
	Helpers                  []pageCandidate
}

type pageCandidate struct {
	Name   string
	Helper bool
	Topics string
}

type pageHelper struct {
	Name, Topics string
	Today        int
}

func (mod *Module) pageData(ctx context.Context) (any, error) {
	var (
		d       pageData
		open    []OpenQuestion
		helpers = map[string]Helper{}
		ix      *Index
	)
	today := day(mod.now())
	err := mod.st.View(ctx, func(tx *store.Tx) error {
		if err := eachOpen(tx, func(q OpenQuestion) { open = append(open, q) }); err != nil {
			return err
		}
		if err := tx.Scan(helpersBucket, nil, func(k, _ []byte) error {
			var h Helper
			if _, err := getJSON(tx, helpersBucket, k, &h); err != nil {
				return err
			}
			helpers[string(k)] = h
			d.Helpers = append(d.Helpers, pageHelper{Name: nameOf(h.Member), Topics: strings.Join(h.Topics, ", "), Today: pingsOn(tx, today, string(k))})
			return nil
		}); err != nil {
			return err
		}
		var err error
		ix, err = loadIndex(tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("routing: read the open questions: %w", err)
	}
	slices.SortFunc(open, func(a, b OpenQuestion) int { return cmp.Compare(b.ID, a.ID) })
	for _, q := range open[:min(len(open), pageQuestions)] {
		pq := pageQuestion{Time: q.Time.Format("2006-01-02 15:04"), Asker: nameOf(q.Asker), Where: q.Conversation.String(), Text: clip(q.Text, 200)}
		for _, c := range ix.Rank(Question{Asker: memberKey(q.Conversation.Platform, q.Asker.ID), Time: q.Time, Terms: q.Terms}, pageCandidates) {
			_, helper := helpers[c.Member.ID]
			pq.Helpers = append(pq.Helpers, pageCandidate{Name: nameOf(c.Member), Helper: helper, Topics: joinMax(c.Matched, 3)})
		}
		d.Questions = append(d.Questions, pq)
	}
	return d, nil
}
