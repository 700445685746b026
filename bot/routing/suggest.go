package routing

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

var _ module.Suggester = (*Module)(nil)

// The open questions Suggest looks at: the newest suggestScan that nobody
// answered, asked within suggestFor (an imported history's are not worth
// a helper's time any more), at most suggestMax offered.
const (
	suggestScan = 500
	suggestFor  = 7 * 24 * time.Hour
	suggestMax  = 20
)

// Suggest offers a helper the recent questions nobody answered (nor
// Docent) that they may know (module.Suggester, for what to read next):
// asked on their platform in a channel they wrote in (chat.Visible's rule,
// as for pings: never a question from where they could not read it),
// never their own, on their topics when they named some; newest first.
// A member who is not a helper, or routing off, gets nothing.
func (mod *Module) Suggest(ctx context.Context, member store.MemberRef) ([]module.Suggestion, error) {
	if !mod.On() || mod.threads == nil {
		return nil, nil
	}
	key := refKey(member)
	var (
		h        Helper
		isHelper bool
		seen     *seenRecord
	)
	err := mod.st.View(ctx, func(tx *store.Tx) error {
		var err error
		if isHelper, err = getJSON(tx, helpersBucket, []byte(key), &h); err != nil || !isHelper {
			return err
		}
		seen = loadSeen(tx, key)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("routing: suggest for %s: %w", key, err)
	}
	if !isHelper || seen == nil {
		return nil, nil
	}
	qs, err := mod.threads.Unanswered(ctx, suggestScan)
	if err != nil {
		return nil, fmt.Errorf("routing: suggest for %s: %w", key, err)
	}
	now := mod.now()
	var out []module.Suggestion
	for _, q := range qs {
		if now.Sub(q.Time) > suggestFor || len(out) == suggestMax {
			break // newest first: the rest are older
		}
		place := chat.PlaceOf(q.Conversation, q.Space)
		if q.Conversation.Platform != member.Platform || q.Author.ID == member.ID || q.Author.Bot || !seen.canRead(place) ||
			len(h.Topics) > 0 && !overlaps(h.Topics, mod.text.Terms(q.Text)) {
			continue
		}
		out = append(out, module.Suggestion{
			ID:   strconv.FormatUint(q.ID, 10),
			Kind: "open question",
			Title: fmt.Sprintf("%s asked in %s %s ago, and nobody has answered yet: “%s”",
				nameOf(q.Author), q.Conversation.Channel, ago(now.Sub(q.Time)), clip(q.Text, 120)),
			Link:  linkTo(q),
			Words: q.Text,
			Place: place,
		})
	}
	return out, nil
}

// ago is a duration as members read it: "40 minutes", "3 hours", "2 days".
func ago(d time.Duration) string {
	switch {
	case d < time.Hour:
		return chat.Plural(max(1, int(d/time.Minute)), "minute")
	case d < 48*time.Hour:
		return chat.Plural(int(d/time.Hour), "hour")
	}
	return chat.Plural(int(d/(24*time.Hour)), "day")
}

// linkTo is where a member goes to answer q: the message's own link on
// Discord (guild, channel and message IDs make it), else its
// conversation.
func linkTo(q store.Record) string {
	if q.Conversation.Platform == "discord" && q.Space != "" && q.PlatformID != "" {
		return "https://discord.com/channels/" + q.Space + "/" + q.Conversation.Channel + "/" + q.PlatformID
	}
	return q.Conversation.String()
}
