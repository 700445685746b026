package bot

import (
	"context"
	"errors"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/brain"
	"github.com/docent-bot/docent/brain/knowledge"
	"github.com/docent-bot/docent/internal/poll"
)

// Reload re-reads the intents and swaps in a brain trained on them (the
// saved model is reused when the patterns and settings did not change).
// Questions asked meanwhile are answered by the current brain. When the
// intents have problems, the current brain stays and the error (an
// *IntentsError) lists them, each with file and line. A retrained model
// that could not be saved is swapped in all the same: Prepared.SaveErr
// says why it was not saved.
func (b *Bot) Reload(ctx context.Context) (brain.Prepared, error) {
	b.reloading.Lock()
	defer b.reloading.Unlock()
	loaded, err := b.loadIntents(ctx)
	if err != nil {
		b.log.Error("reload: the intents have problems; keeping the current ones", "err", err)
		return brain.Prepared{}, &IntentsError{Err: err}
	}
	warnLeftOut(b.log, loaded.LeftOut)
	nb, err := brain.New(b.brainConfig(), loaded.Use, b.log)
	if err != nil {
		b.log.Error("reload: the intents have problems; keeping the current ones", "err", err)
		return brain.Prepared{}, &IntentsError{Err: err}
	}
	p, err := prepareLed(ctx, b.store, nb)
	if errors.Is(err, brain.ErrModelNotSaved) {
		b.log.Warn("reload: the classifier was retrained and is in use, but it could not be saved; it is retrained at the next start", "err", p.SaveErr)
		err = nil
	}
	if err != nil {
		b.log.Error("reload: could not prepare the classifier; keeping the current one", "err", err)
		return brain.Prepared{}, err
	}
	b.swap(nb, p, loaded)
	b.log.Info("reload: new intents in use", "intents", p.Intents, "examples", p.Examples, "trained", p.Trained, "took", p.Took.Round(time.Millisecond))
	return p, nil
}

// swap puts nb, prepared as p on loaded, in use.
func (b *Bot) swap(nb *brain.Brain, p brain.Prepared, loaded Intents) {
	if b.beforeSwap != nil {
		b.beforeSwap()
	}
	b.brain.Store(nb)
	b.prepared.Store(&p)
	if b.knowledge != nil {
		b.knowledge.SetBackground(patternsOf(loaded.All)) // as Open does
		b.knowledge.Calibrate()
	}
}

// IntentsError is Reload's error when the intents files (or a module's
// intents) have problems: nothing was retrained.
type IntentsError = module.IntentsError

// loadIntents reads the intents files and adds the modules' intents
// (module.IntentSource: what admins taught in chat) to those in use.
func (b *Bot) loadIntents(ctx context.Context) (Intents, error) {
	loaded, err := b.cfg.Intents()
	if err != nil {
		return Intents{}, err
	}
	intents, added, err := moduleIntents(ctx, b.modules, b.store, loaded.Use)
	if err != nil {
		return Intents{}, err
	}
	loaded.Use = usableIntents(b.brainConfig(), b.log, intents, added)
	return loaded, nil
}

// watch reloads the intents when their files change, and re-indexes the
// docs when theirs do. It polls: one stat per file every interval works on
// every file system and with every editor's way of saving, and a change is
// only acted on once it has held for a whole interval, so a file caught
// half-written is not loaded.
func (b *Bot) watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	// From what Open read: a change made since is picked up too.
	intents := poll.NewSettled(b.seen.intents)
	folders := b.cfg.KnowledgeFolders()
	var docs *poll.Settled
	if b.knowledge != nil {
		docs = poll.NewSettled(b.seen.docs)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if intents.Changed(intentsState(b.cfg)) {
			b.log.Info("reload: intents files changed")
			b.Reload(ctx) // logs its outcome
		}
		if docs != nil && docs.Changed(knowledge.State(folders)) {
			start := time.Now()
			if err := b.knowledge.Rebuild(ctx, folders); err != nil {
				b.log.Error("knowledge: re-index failed; keeping the current index", "err", err)
				continue
			}
			b.knowledge.Calibrate() // here, not in the first question after the change
			st := b.knowledge.LastRebuild()
			b.log.Info("knowledge re-indexed", "passages", b.knowledge.Len(), "files", st.Files, "analysed", st.Analysed,
				"removed", st.Removed, "took", time.Since(start).Round(time.Millisecond))
			if st.Analysed > 0 || st.Removed > 0 {
				b.saveKnowledgeCache()
			}
		}
	}
}

// filesState is the state of the intents and docs files that the watcher
// compares with.
type filesState struct{ intents, docs string }

// intentsState sums up the intents files: names, sizes and modification
// times, and any error finding them.
func intentsState(cfg *Config) string {
	var state poll.Files
	space, paths := cfg.intentSources()
	if space.fsys != nil {
		return "built in" // never changes while Docent runs
	}
	for _, p := range paths {
		files, err := space.walk(p)
		if err != nil {
			state.Fail(p, err)
			continue
		}
		for _, f := range files {
			state.Stat(f)
		}
	}
	return state.String()
}
