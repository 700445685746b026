package bot

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/brain/knowledge"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// docsConfig writes a config whose knowledge folder holds files.
func docsConfig(t *testing.T, files map[string]string) string {
	t.Helper()
	path := writeConfig(t, "knowledge:\n  folders:\n    - path: docs\n      base_url: https://example.org/docs/\n")
	dir := filepath.Join(filepath.Dir(path), "docs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		write(t, filepath.Join(dir, name), text)
	}
	return path
}

// askDocs asks the bot a question and returns the answer's text.
func askDocs(t *testing.T, b *Bot, q string) string {
	t.Helper()
	got := bottest.Ask(t, b.Inbox(), chat.Conversation{Platform: "test", Channel: "kb"}, alice, q)
	if len(got) != 1 {
		t.Fatalf("%q: %d answers", q, len(got))
	}
	return got[0].Text
}

// A restart takes the docs index from the cache beside the database: an
// unchanged file is not analysed again, a changed one is, and a damaged
// cache is not trusted: the docs are indexed from their files, and the
// cache written again.
func TestRestartUsesKnowledgeCache(t *testing.T) {
	path := docsConfig(t, map[string]string{
		"deploy.md": "# Deploying\n\n## Kubernetes\n\nRun the helm chart with `helm install docent ./chart` on your cluster.\n",
		"backup.md": "# Backups\n\n## Restoring a snapshot\n\nStop Docent, copy the snapshot over the database file, start it.\n",
	})
	dir := filepath.Dir(path)
	cache := filepath.Join(dir, "docent.db.knowledge")
	restart := func(want knowledge.RebuildStats) *Bot {
		t.Helper()
		b := openBot(t, path)
		if got := b.knowledge.LastRebuild(); got != want {
			t.Errorf("indexed %+v, want %+v", got, want)
		}
		return b
	}
	b := restart(knowledge.RebuildStats{Files: 2, Analysed: 2, Passages: 2})
	closeBot(t, b)
	if _, err := os.Stat(cache); err != nil {
		t.Fatalf("no cache beside the database: %v", err)
	}

	b = restart(knowledge.RebuildStats{Files: 2, Cached: 2, CacheFiles: 2, Passages: 2})
	if a := askDocs(t, b, "how to deploy on kubernetes with helm"); !strings.Contains(a, "deploy.md#kubernetes") {
		t.Errorf("from the cache: %q, want the Kubernetes passage", a)
	}
	closeBot(t, b)

	write(t, filepath.Join(dir, "docs", "backup.md"), "# Backups\n\n## Restoring a snapshot\n\nStop Docent and run `docent restore snapshot.db`.\n")
	b = restart(knowledge.RebuildStats{Files: 2, Analysed: 1, Cached: 1, CacheFiles: 2, Passages: 2})
	if a := askDocs(t, b, "how do I restore a snapshot"); !strings.Contains(a, "docent restore snapshot.db") {
		t.Errorf("after backup.md changed: %q, want its new text", a)
	}
	closeBot(t, b)

	data, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x20
	write(t, cache, string(data))
	b = restart(knowledge.RebuildStats{Files: 2, Analysed: 2, Passages: 2})
	if a := askDocs(t, b, "how do I restore a snapshot"); !strings.Contains(a, "docent restore snapshot.db") {
		t.Errorf("after the cache was damaged: %q, want backup.md's text", a)
	}
	closeBot(t, b)
	closeBot(t, restart(knowledge.RebuildStats{Files: 2, Cached: 2, CacheFiles: 2, Passages: 2}))

	// A temporary cache left by a crash is one the next start removes.
	temp := strings.Replace(knowledgeCacheTemp(cache), "*", "123456", 1)
	if !slices.ContainsFunc(store.DatabaseTemps(filepath.Join(dir, "docent.db")), func(p string) bool {
		ok, _ := filepath.Match(p, temp)
		return ok
	}) {
		t.Errorf("%s is not among store.DatabaseTemps: a crash would leave it for ever", temp)
	}
}

// The cache serves the same docs however the config's path is spelled:
// `--config docent.yaml` in its folder, `--config /abs/docent.yaml` or a
// detour elsewhere. Before, the folder's path was part of every file's
// key, so each spelling indexed the docs again, and the passages' IDs (by
// which the votes' penalties are kept) changed with it.
func TestKnowledgeCacheWhateverTheConfigsSpelling(t *testing.T) {
	path := docsConfig(t, map[string]string{
		"deploy.md": "# Deploying\n\n## Kubernetes\n\nRun the helm chart with `helm install docent ./chart` on your cluster.\n",
		"backup.md": "# Backups\n\n## Restoring a snapshot\n\nStop Docent, copy the snapshot over the database file, start it.\n",
	})
	b := openBot(t, path)
	ids := passageIDs(b)
	closeBot(t, b)
	t.Chdir(filepath.Dir(path))
	for _, spelling := range []string{"docent.yaml", "./docs/../docent.yaml", path} {
		b := openBot(t, spelling)
		if got, want := b.knowledge.LastRebuild(), (knowledge.RebuildStats{Files: 2, Cached: 2, CacheFiles: 2, Passages: 2}); got != want {
			t.Errorf("--config %s: indexed %+v, want %+v: all from the cache", spelling, got, want)
		}
		if got := passageIDs(b); !slices.Equal(got, ids) {
			t.Errorf("--config %s: passages %q, want %q as with --config %s", spelling, got, ids, path)
		}
		closeBot(t, b)
	}
}

// passageIDs are the IDs of b's docs passages, sorted.
func passageIDs(b *Bot) []string {
	var ids []string
	for _, p := range b.knowledge.Passages(func(p knowledge.Passage) bool { return p.Source == knowledge.SourceDocs }) {
		ids = append(ids, p.ID)
	}
	slices.Sort(ids)
	return ids
}

// The watcher re-indexes an edited doc alone and caches the result, so
// that the next start analyses nothing.
func TestWatcherReindexesOneFile(t *testing.T) { synctest.Test(t, testWatcherReindexesOneFile) }

func testWatcherReindexesOneFile(t *testing.T) {
	path := docsConfig(t, map[string]string{
		"deploy.md": "# Deploying\n\n## Kubernetes\n\nRun the helm chart with `helm install docent ./chart` on your cluster.\n",
		"backup.md": "# Backups\n\n## Restoring a snapshot\n\nStop Docent, copy the snapshot over the database file, start it.\n",
	})
	dir := filepath.Dir(path)
	write(t, path, strings.Replace(mustRead(t, path), "  intents: [intents]\n", "  intents: [intents]\n  watch_interval: 20ms\n", 1))
	b := openBot(t, path)
	noSocketsInBubble(t, b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, idle{}) }()
	synctest.Wait() // Run's watcher has read the files as they were
	// A new size: the file system's clock may give both saves one time.
	write(t, filepath.Join(dir, "docs", "backup.md"), "# Backups\n\n## Restoring a snapshot\n\nStop Docent and run `docent restore snapshot.db`.\n")
	time.Sleep(2*20*time.Millisecond + time.Millisecond) // seen changed, then settled
	synctest.Wait()
	if !strings.Contains(askDocs(t, b, "how do I restore a snapshot"), "docent restore snapshot.db") {
		t.Fatal("the edited doc was not re-indexed within two polls")
	}
	if got, want := b.knowledge.LastRebuild(), (knowledge.RebuildStats{Files: 2, Analysed: 1, Passages: 2}); got != want {
		t.Errorf("re-indexed %+v, want %+v", got, want)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s of cancel")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = openBot(t, path)
	defer closeBot(t, b)
	if got, want := b.knowledge.LastRebuild(), (knowledge.RebuildStats{Files: 2, Cached: 2, CacheFiles: 2, Passages: 2}); got != want {
		t.Errorf("restarted %+v, want %+v: the watcher's index was not cached", got, want)
	}
}
