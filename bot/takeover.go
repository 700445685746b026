package bot

import (
	"context"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// takeOverEvery is how often the replica that leads "pending" looks for
// messages that replicas gone stored and did not answer.
const takeOverEvery = 2 * time.Second

// tidyEvery is how often the replica that leads "pending" deletes what
// the replicas keep in the shared database for a while only: the web
// chat's relayed answers past their hour (a day for the answers' IDs) and
// the rate limits' refilled buckets.
const tidyEvery = 5 * time.Minute

// tidyShared deletes the shared rows that have served their time (see
// tidyEvery).
func (b *Bot) tidyShared(now time.Time) {
	if r, ok := b.WebRelay().(*webRelay); ok {
		r.prune(now)
	}
	if st := newStoredLimits(b.cfg.Bot.RateLimit, b.store, b.log); st != nil {
		st.prune(now.UnixNano())
	}
}

// takeOver answers, on a replica, the messages other replicas stored and
// were not done with when they went (store.ClaimOrphans), through the
// adapter of each message's platform (chat.Resumer), while this replica
// leads "pending": one replica at a time, the lead moving when its holder
// goes. It returns when ctx ends.
//
// An answer the replica gone posted before it could note so (AnswerSent)
// is found on the platform (chat.Resumer's Posted) and not posted again.
// What it cannot close: an answer whose post was on the wire when its
// replica died, which Slack shows only after the lookup, is posted twice;
// when the platform cannot be asked, a message is answered again; a
// message whose platform has no adapter here that can resume is settled
// unanswered, with an error in the log.
func (b *Bot) takeOver(ctx context.Context, adapters []Adapter) {
	resumers := map[string]chat.Resumer{}
	for _, a := range adapters {
		if r, ok := a.(chat.Resumer); ok {
			resumers[a.Name()] = r
		}
	}
	for ctx.Err() == nil {
		lead, err := b.store.Lead(ctx, "pending")
		if err != nil {
			return // ctx ended
		}
		b.log.Info("this replica answers the messages of replicas gone", "replica", b.store.ReplicaID())
		b.leadTakeOver(ctx, lead, resumers)
		lead.Release()
	}
}

// leadTakeOver looks for messages to take over every takeOverEvery until
// ctx ends or the lead is lost.
func (b *Bot) leadTakeOver(ctx context.Context, lead *store.Leadership, resumers map[string]chat.Resumer) {
	tick := time.NewTicker(takeOverEvery)
	defer tick.Stop()
	var tidied time.Time
	for {
		b.resumeOrphans(ctx, resumers)
		if now := time.Now(); now.Sub(tidied) >= tidyEvery {
			tidied = now
			b.tidyShared(now)
		}
		select {
		case <-ctx.Done():
			return
		case <-lead.Lost():
			b.log.Warn("lost the lead of the messages of replicas gone; asking for it again")
			return
		case <-tick.C:
		}
	}
}

// resumeOrphans claims the messages of replicas gone and queues them.
func (b *Bot) resumeOrphans(ctx context.Context, resumers map[string]chat.Resumer) {
	recs, err := b.store.ClaimOrphans(ctx)
	if err != nil {
		if ctx.Err() == nil {
			b.log.Error("could not look for the messages of replicas gone", "err", err)
		}
		return
	}
	for _, rec := range recs {
		conv := rec.Conversation.String()
		res := resumers[rec.Conversation.Platform]
		if res == nil {
			b.log.Error("a replica gone left a message no adapter here can answer; it stays unanswered",
				"conversation", conv, "message", rec.ID)
			b.settle(ctx, rec.ID)
			continue
		}
		m := chat.Message{ID: rec.PlatformID, Conversation: rec.Conversation, Space: rec.Space, Author: rec.Author,
			Text: rec.Text, Time: rec.Time, Mentioned: true}
		if b.postedAlready(ctx, res, rec, m) {
			continue
		}
		r, err := res.Resume(ctx, m)
		if err != nil {
			b.log.Error("a replica gone left a message its adapter cannot answer here; it stays unanswered",
				"conversation", conv, "message", rec.ID, "err", err)
			b.settle(ctx, rec.ID)
			continue
		}
		if err := b.router.Resume(rec, r); err != nil {
			// Shutting down: the mark is this replica's now, and the
			// next lead takes it over once this one is gone.
			return
		}
		b.log.Info("took over a message of a replica gone", "conversation", conv, "message", rec.ID)
	}
}

// postedAlready reports whether the platform shows an answer to m, posted
// by the replica gone after it stored it and before it noted so
// (AnswerSent, which also settles m; or Settled when no answer is stored).
// When the platform cannot say, m is answered again: a second answer
// rather than none.
func (b *Bot) postedAlready(ctx context.Context, res chat.Resumer, rec store.Record, m chat.Message) bool {
	sent, ok, err := res.Posted(ctx, m)
	if err != nil {
		b.log.Warn("cannot tell whether a replica gone answered a message; answering it (maybe again)",
			"conversation", rec.Conversation.String(), "message", rec.ID, "err", err)
		return false
	}
	if !ok {
		return false
	}
	b.log.Info("a replica gone had answered a message before it went", "conversation", rec.Conversation.String(), "message", rec.ID)
	ans, stored, err := b.store.AnswerTo(ctx, rec)
	if err == nil && stored && sent.ID != "" {
		err = b.store.AnswerSent(ctx, ans.ID, sent.ID)
	}
	if err != nil || !stored {
		b.settle(ctx, rec.ID)
	}
	return true
}

// settle tells the store the bot is done with message id (a replica's
// pending mark).
func (b *Bot) settle(ctx context.Context, id uint64) {
	if err := b.store.Settled(ctx, id); err != nil {
		b.log.Warn("could not clear a message's pending mark: another replica may answer it again once this one is gone",
			"message", id, "err", err)
	}
}
