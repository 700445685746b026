package bot

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/docent-bot/docent/brain"
	"github.com/docent-bot/docent/brain/knowledge"
)

// Reload re-reads the intents and swaps in a brain trained on them (the
// saved model is reused when the patterns and settings did not change).
// Questions asked meanwhile are answered by the current brain. When the
// intents have problems, the current brain stays and the error lists them,
// each with file and line.
func (b *Bot) Reload(ctx context.Context) (brain.Prepared, error) {
	b.reloading.Lock()
	defer b.reloading.Unlock()
	intents, err := b.loadIntents(ctx)
	if err != nil {
		b.log.Error("reload: the intents have problems; keeping the current ones", "err", err)
		return brain.Prepared{}, err
	}
	nb, err := brain.New(b.brainConfig(), intents, b.log)
	if err != nil {
		b.log.Error("reload: the intents have problems; keeping the current ones", "err", err)
		return brain.Prepared{}, err
	}
	p, err := nb.Prepare(ctx, modelStore{b.store})
	if err != nil {
		b.log.Error("reload: could not prepare the classifier; keeping the current one", "err", err)
		return brain.Prepared{}, err
	}
	if b.beforeSwap != nil {
		b.beforeSwap()
	}
	b.brain.Store(nb)
	b.prepared.Store(&p)
	if b.knowledge != nil {
		b.knowledge.SetBackground(patternsOf(intents))
	}
	b.log.Info("reload: new intents in use", "intents", p.Intents, "examples", p.Examples, "trained", p.Trained, "took", p.Took.Round(time.Millisecond))
	return p, nil
}

// watch reloads the intents when their files change, and re-indexes the
// docs when theirs do. It polls: one stat per file every interval works on
// every file system and with every editor's way of saving, and a change is
// only acted on once it has held for a whole interval, so a file caught
// half-written is not loaded.
func (b *Bot) watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	intents := newSettled(b.intentsState())
	folders := b.cfg.KnowledgeFolders()
	var docs *settled
	if b.knowledge != nil {
		docs = newSettled(knowledge.State(folders))
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if intents.changed(b.intentsState()) {
			b.log.Info("reload: intents files changed")
			b.Reload(ctx) // logs its outcome
		}
		if docs != nil && docs.changed(knowledge.State(folders)) {
			start := time.Now()
			if err := b.knowledge.Rebuild(ctx, folders); err != nil {
				b.log.Error("knowledge: re-index failed; keeping the current index", "err", err)
				continue
			}
			b.log.Info("knowledge re-indexed", "passages", b.knowledge.Len(), "took", time.Since(start).Round(time.Millisecond))
		}
	}
}

// settled tells when a polled state has changed and then held still for
// one more poll.
type settled struct{ last, pending string }

func newSettled(state string) *settled { return &settled{last: state} }

func (s *settled) changed(cur string) bool {
	switch {
	case cur == s.last:
		s.pending = ""
	case cur != s.pending:
		s.pending = cur // changed: wait one poll for it to settle
	default:
		s.last, s.pending = cur, ""
		return true
	}
	return false
}

// intentsState sums up the intents files: names, sizes and modification
// times, and any error finding them.
func (b *Bot) intentsState() string {
	var lines []string
	for _, p := range b.cfg.Brain.Intents {
		files, err := b.cfg.files.walk(p)
		if err != nil {
			lines = append(lines, p+": "+err.Error())
			continue
		}
		for _, f := range files {
			fi, err := os.Stat(f)
			if err != nil {
				lines = append(lines, f+": "+err.Error())
				continue
			}
			lines = append(lines, fmt.Sprintf("%s %d %d", f, fi.Size(), fi.ModTime().UnixNano()))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
