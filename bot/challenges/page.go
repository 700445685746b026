package challenges

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
)

//go:embed page.html
var pageTemplate string

// Pages is the dashboard's challenges page: every leaderboard, or a word
// that challenges are off.
func (mod *Module) Pages() []module.Page {
	return []module.Page{{Path: "challenges", Title: "Challenges", Template: pageTemplate, Data: mod.pageData}}
}

type pageData struct {
	Configured bool
	Boards     []pageBoard
}

type pageBoard struct {
	Title, Description string
	Rows               []pageRow
}

type pageRow struct {
	Rank           int
	Member, Detail string
	Points         int
}

func (mod *Module) pageData(ctx context.Context) (any, error) {
	if !mod.On() {
		return pageData{}, nil
	}
	boards, err := mod.Leaderboards(ctx)
	if err != nil {
		return nil, err
	}
	data := pageData{Configured: true}
	for _, b := range boards {
		pb := pageBoard{Title: b.Title, Description: b.Description}
		for _, e := range b.Entries {
			pb.Rows = append(pb.Rows, pageRow{Rank: e.Rank, Member: e.Name + " (" + e.Platform + ")", Points: e.Points,
				Detail: fmt.Sprintf("rank %d, %d solved, %s, last right %s", e.Rank, e.Solved, chat.Plural(e.Attempts, "attempt"), When(e.Last))})
		}
		data.Boards = append(data.Boards, pb)
	}
	return data, nil
}
