package bot

import (
	"context"
	"strings"

	"github.com/docent-bot/docent/brain/knowledge"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// Passages of the docs that answers voted down showed rank lower in later
// searches. The store keeps, for each voted-down answer written from the
// docs (a knowledge or an LLM answer), the passages it showed; each
// passage's penalty follows from how many such answers showed it
// (knowledge.DownvotePenalty). A vote taken back lifts it again.

// updatePenalties brings the penalties up to date after a vote on the
// answer: it records the passages the answer showed while any member
// votes it down, forgets them when none does, and re-applies the counts.
func (b *Bot) updatePenalties(ctx context.Context, answer store.Record) {
	if b.knowledge == nil || (answer.Source != chat.SourceKnowledge && answer.Source != chat.SourceLLM) {
		return
	}
	// One vote at a time: each reads the answer's votes as they are after
	// its own was stored, so the last one to run leaves the right record.
	b.penaltyMu.Lock()
	defer b.penaltyMu.Unlock()
	var shown []string
	if b.downvoted(ctx, answer.ID) {
		shown = b.shownPassages(answer.Text)
	}
	if err := b.store.SetDownvotedPassages(ctx, answer.ID, shown); err != nil {
		b.log.Warn("could not record the passages of a downvoted answer", "answer", answer.ID, "err", err)
		return
	}
	if len(shown) > 0 {
		b.log.Info("passages of a downvoted answer will rank lower", "answer", answer.ID, "passages", shown)
	}
	b.applyPenalties(ctx)
}

// prunePenalties forgets the answers deleted or no longer voted down
// without a vote on them (by retention, or with a forgotten member and
// their votes), and re-applies the penalties.
func (b *Bot) prunePenalties(ctx context.Context) {
	if b.knowledge == nil {
		return
	}
	b.penaltyMu.Lock()
	defer b.penaltyMu.Unlock()
	if n, err := b.store.PruneDownvotedPassages(ctx); err != nil {
		b.log.Warn("could not prune the passages of downvoted answers", "err", err)
	} else if n > 0 {
		b.log.Info("passages of answers deleted or no longer voted down rank as before", "answers", n)
	}
	b.applyPenalties(ctx)
}

// maxShown bounds the passages one answer can penalise.
const maxShown = 16

// shownPassages lists the docs passages whose links an answer shows: as
// Markdown links (the passages of a knowledge answer) or in angle brackets
// (the sources of an LLM answer). Passages sharing a link (the parts of a
// long section) are all listed.
func (b *Bot) shownPassages(text string) []string {
	ps := b.knowledge.Passages(func(p knowledge.Passage) bool {
		return p.Source == knowledge.SourceDocs && p.Link != "" &&
			(strings.Contains(text, "("+p.Link+")") || strings.Contains(text, "<"+p.Link+">"))
	})
	ids := make([]string, 0, len(ps))
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	if len(ids) > maxShown {
		ids = ids[:maxShown]
	}
	return ids
}

// applyPenalties sets the docs index's penalties from the counts in the
// store, lifting those no longer counted. The caller holds penaltyMu.
func (b *Bot) applyPenalties(ctx context.Context) {
	counts, err := b.store.PassageDownvotes(ctx)
	if err != nil {
		b.log.Warn("could not read the passages of downvoted answers; penalties unchanged", "err", err)
		return
	}
	for id := range b.penalised {
		if counts[id] == 0 {
			if err := b.knowledge.SetPenalty(id, 1); err != nil {
				b.log.Warn("could not lift a passage's penalty", "passage", id, "err", err)
			}
		}
	}
	for id, n := range counts {
		if err := b.knowledge.SetPenalty(id, knowledge.DownvotePenalty(n)); err != nil {
			b.log.Warn("could not penalise a passage", "passage", id, "err", err)
		}
	}
	b.penalised = counts
}
