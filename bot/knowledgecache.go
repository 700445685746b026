package bot

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/docent-bot/docent/brain/knowledge"
	"github.com/docent-bot/docent/store"
)

// The docs index is cached in a file beside the database, so that a
// restart whose docs have not changed does not analyse them again. A file
// rather than a bbolt value: both load Hugo's 5 MB cache in 3 to 7 ms,
// against 30 ms to decode it and 150 ms to index it, but rewriting it
// inside the database would grow the database (bbolt keeps freed pages)
// and put a copy of the docs in every backup. The cache is disposable:
// deleting it only costs one indexing at the next start.

// knowledgeCachePath is where the docs index is cached.
func knowledgeCachePath(cfg *Config) string { return cfg.StorePath() + ".knowledge" }

// readKnowledgeCache has ix take what the cache at path holds, for its
// next Rebuild. A cache that is missing is nothing to say; one that is
// damaged or stale is logged, not used.
func readKnowledgeCache(ix *knowledge.Index, path string, log *slog.Logger) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err == nil {
		err = ix.ReadCache(data)
	}
	if err != nil {
		log.Warn("knowledge: the cached index is not used; the docs are indexed from their files", "path", path, "err", err)
	}
}

// writeKnowledgeCache writes ix's cache to path, through a temporary file
// beside it, so that a crash leaves the old cache or the new one, whole.
func writeKnowledgeCache(ix *knowledge.Index, path string) error {
	tmp, err := store.CreateTemp(filepath.Dir(path), knowledgeCacheTemp(path))
	if err != nil {
		return fmt.Errorf("knowledge: save the index cache: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing to remove
	err = ix.WriteCache(tmp)    // buffered inside
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("knowledge: save the index cache to %s: %w", path, err)
	}
	return nil
}

// knowledgeCacheTemp is the pattern of the cache's temporary files; see
// store.DatabaseTemps, which names it for RemoveLeftovers.
func knowledgeCacheTemp(path string) string { return "." + filepath.Base(path) + "-*" }

// cacheOutdated reports whether the cache no longer holds exactly what the
// index does: a file was analysed, or the cache read had others.
func cacheOutdated(st knowledge.RebuildStats) bool {
	return st.Cached != st.Files || st.CacheFiles != st.Files
}

// saveKnowledgeCache caches the docs index for the next start; failing
// that, the next start indexes the docs from their files.
func (b *Bot) saveKnowledgeCache() {
	if err := writeKnowledgeCache(b.knowledge, knowledgeCachePath(b.cfg)); err != nil {
		b.log.Warn("the docs index is not cached; the next start indexes the docs again", "err", err)
	}
}
