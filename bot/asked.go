package bot

import (
	"context"
	"strconv"
	"strings"

	"github.com/docent-bot/docent/brain/knowledge"
	"github.com/docent-bot/docent/brain/tokenize"
	"github.com/docent-bot/docent/chat"
)

// Questions asked before: a question nearly the same as one answered
// earlier gets a line pointing to that thread ahead of its answer. Earlier
// threads come from the search that !related uses, which finds only those
// chat.Visible lets the member see: a search must not reveal what was
// asked in a DM or another channel.

// earlierThread is a past thread a question was found to repeat.
type earlierThread struct {
	Link     string // where it was asked (its conversation)
	Question string
	here     bool // asked in the conversation of the new question
}

// lead is the line put ahead of the answer.
func (e earlierThread) lead(lang string) string {
	return chat.AskedBeforeLead(lang, e.Link, e.Question)
}

// askedBefore finds the earlier thread, in another thread of the same
// channel, whose question is most like text, if any is at least
// knowledge.duplicate_similarity alike.
func (b *Bot) askedBefore(ctx context.Context, text string, m *Message) (earlierThread, bool) {
	limit := b.cfg.Knowledge.DuplicateSimilarity
	// Without past threads there is nothing to point to, and no search
	// to run for every question.
	if b.knowledge == nil || limit <= 0 || b.knowledge.Threads() == 0 {
		return earlierThread{}, false
	}
	var (
		best    earlierThread
		bestID  uint64
		bestSim float64
	)
	for _, h := range b.brain.Load().Related(text, 10, m.Place()) {
		if h.Source != knowledge.SourceThread {
			continue
		}
		id, conv, ok := b.threadQuestion(ctx, h)
		if !ok {
			continue
		}
		// The most alike; of equals, the first time it was asked.
		sim := b.knowledge.Similarity(text, h.Title)
		if sim >= limit && (sim > bestSim || sim == bestSim && id < bestID) {
			best, bestID, bestSim = earlierThread{Link: h.Link, Question: h.Title, here: conv == m.Conversation}, id, sim
		}
	}
	// Asked in this very thread first: the member can scroll up.
	return best, bestSim > 0 && !best.here
}

// withLead puts the line pointing to the earlier thread ahead of a's
// text, unless the answer lists that thread already.
func withLead(a chat.Answer, e earlierThread, lead string) chat.Answer {
	if lead == "" || strings.Contains(a.Text, chat.AskedBeforeIn+e.Link+":") {
		return a
	}
	a.Text = lead + a.Text
	return a
}

// threadQuestion is the stored ID of an indexed thread's question and
// where it was asked.
func (b *Bot) threadQuestion(ctx context.Context, h knowledge.Hit) (uint64, chat.Conversation, bool) {
	id, err := strconv.ParseUint(strings.TrimPrefix(h.ID, "thread:"), 10, 64)
	if err != nil {
		return 0, chat.Conversation{}, false
	}
	rec, err := b.store.Record(ctx, id)
	if err != nil {
		b.log.Warn("could not read an earlier thread's question", "question", id, "err", err)
		return 0, chat.Conversation{}, false
	}
	return id, rec.Conversation, true
}

// langOf is the language the lead is written in for a question.
func langOf(text string) string { return tokenize.Script(text) }
