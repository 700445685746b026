package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/docent-bot/docent/bot/analytics"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// defaultStatsDays is the window of the stats, top and trending commands
// when none is given; maxStatsDays the longest a member may ask for.
const (
	defaultStatsDays = 7
	maxStatsDays     = 365
)

// addStatsCommands adds stats, top and trending: everyone may read them,
// about the community (guild or workspace) they ask from.
func (b *Bot) addStatsCommands(cs *Commands) {
	render := analytics.Chat{Channel: channelLink, Member: memberName}
	add := func(name, summary string, text func(analytics.Report) string) {
		cs.Add(Command{Name: name, Args: "[days]", Summary: summary,
			Run: func(ctx context.Context, m *Message, args string) (chat.Answer, error) {
				return b.statsAnswer(ctx, m, name, args, text)
			}})
	}
	add("stats", fmt.Sprintf("this community's activity: messages, members, answers and how members liked them, busiest channels and hours, what is asked most (default: the last %d days)", defaultStatsDays),
		render.Summary)
	add("top", "the members who helped others most (thanks and 👍 on their replies), and who asked most", render.Top)
	add("trending", "the words members use clearly more than in the window before", render.Trending)
}

func (b *Bot) statsAnswer(ctx context.Context, m *Message, name, args string, text func(analytics.Report) string) (chat.Answer, error) {
	days := defaultStatsDays
	if arg := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(args)), "d"); arg != "" {
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 || n > maxStatsDays {
			return chat.Answer{Text: fmt.Sprintf("Usage: `%s%s [days]`, with days from 1 to %d (default %d).",
				b.cfg.Bot.CommandPrefix, name, maxStatsDays, defaultStatsDays)}, nil
		}
		days = n
	}
	q := analytics.Query{Days: days, Platform: m.Conversation.Platform, Space: m.Space}
	if m.Space == "" && m.Direct {
		// A direct message belongs to no community: only admins may see
		// the whole platform from one.
		if !b.isAdmin(m) {
			return chat.Answer{Text: fmt.Sprintf("Ask me `%s%s` in a channel of your community: its figures are about the community you ask from.",
				b.cfg.Bot.CommandPrefix, name)}, nil
		}
	}
	r, err := analytics.Build(ctx, b.store, q)
	if err != nil {
		return chat.Answer{}, err
	}
	return chat.Answer{Text: text(r)}, nil
}

// channelLink shows a channel the way its platform links it: Discord and
// Slack both turn <#ID> into the channel's name, without notifying anyone.
func channelLink(c store.ChannelActivity) string {
	switch c.Platform {
	case "discord", "slack":
		return "<#" + c.Channel + ">"
	}
	return "#" + c.Channel
}

// memberName shows a member by name, never as a mention: a ranking must
// not ping the people in it.
func memberName(p analytics.Person) string {
	if p.Name != "" {
		return p.Name
	}
	return p.ID
}
