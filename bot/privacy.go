package bot

import (
	"context"
	"strconv"
	"time"

	"github.com/docent-bot/docent/store"
)

// Forget deletes everything stored about a member, and the past threads
// of theirs the docs index holds.
func (b *Bot) Forget(ctx context.Context, m store.MemberRef) (store.Forgotten, error) {
	f, err := b.store.ForgetMember(ctx, m)
	b.dropThreads(f.Records)
	b.prunePenalties(ctx)
	if err != nil {
		return f, err
	}
	b.log.Info("member forgotten at their request", "platform", m.Platform, "messages", f.Messages, "answers", f.Answers, "votes", f.Votes)
	return f, nil
}

// dropThreads removes deleted questions, and threads with deleted
// replies, from the docs index's past threads.
func (b *Bot) dropThreads(ids []uint64) {
	if b.knowledge == nil {
		return
	}
	for _, id := range ids {
		b.knowledge.RemoveThread(strconv.FormatUint(id, 10))
		// A reply in a members' thread takes its thread along (it comes
		// back without it at the next start, if others replied too).
		if q, ok := b.historyReplies[id]; ok {
			b.knowledge.RemoveThread(strconv.FormatUint(q, 10))
		}
	}
}

// members is the bot's hold on members' data, lent to the privacy module
// (module.Members).
type members struct{ b *Bot }

func (m members) Export(ctx context.Context, ref store.MemberRef) (store.MemberData, error) {
	return m.b.store.ExportMember(ctx, ref)
}

func (m members) Forget(ctx context.Context, ref store.MemberRef) (store.Forgotten, error) {
	return m.b.Forget(ctx, ref)
}

// Expire deletes the history older than before, and what the bot keeps of
// it in memory.
func (m members) Expire(ctx context.Context, before time.Time) (store.Retained, error) {
	r, err := m.b.store.DeleteBefore(ctx, before)
	m.b.dropThreads(r.IDs)
	if r.Records > 0 {
		m.b.prunePenalties(ctx)
	}
	return r, err
}
