package bot

import (
	"context"
	"log/slog"

	"github.com/docent-bot/docent/brain"
	"github.com/docent-bot/docent/brain/knowledge"
)

// indexKnowledge reads the docs folders into a new index whose background
// (the words every question uses) is the intents' patterns. With a cache
// path, the files that have not changed since the cache there was written
// are taken from it.
func indexKnowledge(ctx context.Context, folders []knowledge.Folder, intents []brain.Intent, log *slog.Logger, cache string) (*knowledge.Index, error) {
	ix := knowledge.New(knowledge.Options{Log: log})
	if cache != "" {
		readKnowledgeCache(ix, cache, log)
	}
	if err := ix.Rebuild(ctx, folders); err != nil {
		return nil, err
	}
	ix.SetBackground(patternsOf(intents))
	ix.Calibrate()
	return ix, nil
}

// DocsBrain indexes folders as Open indexes the configured ones and
// returns the index with a brain set up as the bot's, without a model:
// its Passages is what a member's question gets from the docs when no
// intent is sure. For `docent eval docs`, which measures that decision
// on other folders than the configured ones too.
func DocsBrain(ctx context.Context, cfg *Config, folders []knowledge.Folder, log *slog.Logger) (*brain.Brain, *knowledge.Index, error) {
	loaded, err := cfg.Intents()
	if err != nil {
		return nil, nil, err
	}
	ix, err := indexKnowledge(ctx, folders, loaded.All, log, "")
	if err != nil {
		return nil, nil, err
	}
	bc := cfg.brainConfig()
	bc.Knowledge = ix
	br, err := brain.New(bc, loaded.Use, log)
	if err != nil {
		return nil, nil, err
	}
	return br, ix, nil
}
