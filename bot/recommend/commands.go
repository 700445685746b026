package recommend

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// Commands is `recommend`, with its switches; none when the section turns
// it off.
func (mod *Module) Commands() []module.Command {
	if !mod.cfg.Enabled {
		return nil
	}
	return []module.Command{{Name: "recommend", Args: "[on|off|digest on|digest off]",
		Summary: "three things worth your time (docs, earlier threads, challenges), picked from what you ask and talk about; off stops it",
		Run:     mod.command}}
}

func (mod *Module) command(ctx context.Context, m *module.Message, args string) (chat.Answer, error) {
	member := store.MemberRef{Platform: m.Conversation.Platform, ID: m.Author.ID}
	p := mod.host.Prefix
	switch strings.Join(strings.Fields(strings.ToLower(args)), " ") {
	case "":
		items, err := mod.Recommend(ctx, member, m.Place(), m.Direct)
		switch {
		case errors.Is(err, errOff):
			return chat.Answer{Text: fmt.Sprintf("Recommendations are off for you. `%srecommend on` turns them back on.", p)}, nil
		case err != nil:
			return chat.Answer{}, err
		case len(items) == 0:
			return chat.Answer{Text: "I do not know what you are interested in yet, or found nothing for it: ask a question or two and try again."}, nil
		}
		return chat.Answer{Text: "Worth your time:\n" + render(items)}, nil
	case "off":
		if err := mod.set(ctx, member, func(s *Settings) { s.Off = true }); err != nil {
			return chat.Answer{}, err
		}
		return chat.Answer{Text: fmt.Sprintf("Recommendations are off: no more suggestions or digests, and your profile stops growing. `%srecommend on` turns them back on; `%sforget me` deletes what is stored.", p, p)}, nil
	case "on":
		if err := mod.set(ctx, member, func(s *Settings) { s.Off = false }); err != nil {
			return chat.Answer{}, err
		}
		return chat.Answer{Text: fmt.Sprintf("Recommendations are on: `%srecommend` picks three things for you from what you ask and talk about.", p)}, nil
	case "digest on":
		var off bool
		now := mod.now().UTC()
		err := mod.set(ctx, member, func(s *Settings) {
			if !s.Digest {
				s.DigestSent = now // the first at the next digest time, not at once
			}
			s.Digest, off = true, s.Off
		})
		if err != nil {
			return chat.Answer{}, err
		}
		text := fmt.Sprintf("Weekly digest on: every %s at %02d:00 UTC I will send you three picks by direct message. `%srecommend digest off` stops it.",
			strings.ToLower(mod.cfg.DigestDay), mod.cfg.DigestHour, p)
		if off {
			text += fmt.Sprintf(" Recommendations are off for you, though: nothing is sent until `%srecommend on`.", p)
		}
		return chat.Answer{Text: text}, nil
	case "digest off":
		if err := mod.set(ctx, member, func(s *Settings) { s.Digest = false }); err != nil {
			return chat.Answer{}, err
		}
		return chat.Answer{Text: "Weekly digest off."}, nil
	}
	return chat.Answer{Text: fmt.Sprintf("Usage: `%srecommend`, `%srecommend off`, `%srecommend on`, `%srecommend digest on` or `%srecommend digest off`.", p, p, p, p, p)}, nil
}

// set changes a member's settings.
func (mod *Module) set(ctx context.Context, member store.MemberRef, change func(*Settings)) error {
	err := mod.host.Store.Update(ctx, func(tx *store.Tx) error {
		s, err := settingsOf(tx, member)
		if err != nil {
			return err
		}
		change(&s)
		return writeJSON(tx, bucketMembers, memberKey(member), s)
	})
	if err != nil {
		return fmt.Errorf("recommend: change the settings of %s: %w", member, err)
	}
	return nil
}
