package analytics

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
)

// defaultChatDays is the window of the stats, top and trending commands
// when none is given; maxChatDays the longest a member may ask for.
const (
	defaultChatDays = 7
	maxChatDays     = 365
)

// Commands are stats, top and trending: everyone may read them, about the
// community (guild or workspace) they ask from.
func (mod *Module) Commands() []module.Command {
	render := Chat{Channel: channelLink, Member: memberName}
	cmd := func(name, summary string, text func(Report) string) module.Command {
		return module.Command{Name: name, Args: "[days]", Summary: summary,
			Run: func(ctx context.Context, m *module.Message, args string) (chat.Answer, error) {
				return mod.answer(ctx, m, name, args, text)
			}}
	}
	return []module.Command{
		cmd("stats", fmt.Sprintf("this community's activity: messages, members, answers and how members liked them, busiest channels and hours, what is asked most (default: the last %d days)", defaultChatDays),
			render.Summary),
		cmd("top", "the members who helped others most (thanks and 👍 on their replies), and who asked most", render.Top),
		cmd("trending", "the words members use clearly more than in the window before", render.Trending),
	}
}

func (mod *Module) answer(ctx context.Context, m *module.Message, name, args string, text func(Report) string) (chat.Answer, error) {
	days := defaultChatDays
	if arg := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(args)), "d"); arg != "" {
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 || n > maxChatDays {
			return chat.Answer{Text: fmt.Sprintf("Usage: `%s%s [days]`, with days from 1 to %d (default %d).",
				mod.prefix, name, maxChatDays, defaultChatDays)}, nil
		}
		days = n
	}
	q := Query{Days: days, Platform: m.Conversation.Platform, Space: m.Space, Log: mod.log}
	if m.Space == "" && m.Direct {
		// A direct message belongs to no community: only admins may see
		// the whole platform from one.
		if !mod.isAdmin(m) {
			return chat.Answer{Text: fmt.Sprintf("Ask me `%s%s` in a channel of your community: its figures are about the community you ask from.",
				mod.prefix, name)}, nil
		}
	}
	r, err := Build(ctx, mod.st, q)
	if err != nil {
		return chat.Answer{}, err
	}
	return chat.Answer{Text: text(r)}, nil
}

// channelLink shows a channel the way its platform links it: Discord and
// Slack both turn <#ID> into the channel's name, without notifying anyone.
func channelLink(c ChannelActivity) string {
	switch c.Platform {
	case "discord", "slack":
		return "<#" + c.Channel + ">"
	}
	return "#" + c.Channel
}

// memberName shows a member by name, never as a mention: a ranking must
// not ping the people in it.
func memberName(p Person) string {
	if p.Name != "" {
		return p.Name
	}
	return p.ID
}
