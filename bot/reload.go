package bot

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/docent-bot/docent/brain"
)

// Reload re-reads the intents and swaps in a brain trained on them (the
// saved model is reused when the patterns and settings did not change).
// Questions asked meanwhile are answered by the current brain. When the
// intents have problems, the current brain stays and the error lists them,
// each with file and line.
func (b *Bot) Reload(ctx context.Context) (brain.Prepared, error) {
	b.reloading.Lock()
	defer b.reloading.Unlock()
	intents, err := b.cfg.LoadIntents()
	if err != nil {
		b.log.Error("reload: the intents have problems; keeping the current ones", "err", err)
		return brain.Prepared{}, err
	}
	nb, err := brain.New(b.cfg.brainConfig(), intents, b.log)
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
	b.log.Info("reload: new intents in use", "intents", p.Intents, "examples", p.Examples, "trained", p.Trained, "took", p.Took.Round(time.Millisecond))
	return p, nil
}

// watchIntents reloads when the intents files change. It polls: one stat
// per file every interval works on every file system and with every
// editor's way of saving, and a change is only acted on once it has held
// for a whole interval, so a file caught half-written is not loaded.
func (b *Bot) watchIntents(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	last := b.intentsState()
	pending := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur := b.intentsState()
		switch {
		case cur == last:
			pending = ""
		case cur != pending:
			pending = cur // changed: wait one interval for it to settle
		default:
			last, pending = cur, ""
			b.log.Info("reload: intents files changed")
			b.Reload(ctx) // logs its outcome
		}
	}
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
