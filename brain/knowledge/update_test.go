package knowledge

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/docent-bot/docent/chat"
)

// writeDocs writes files (name → text) into dir, making folders.
func writeDocs(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// entriesOf returns the entries indexed for the passages whose IDs start
// with prefix, by ID.
func entriesOf(ix *Index, prefix string) map[string]*entry {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := map[string]*entry{}
	for id, slot := range ix.byID {
		if len(id) >= len(prefix) && id[:len(prefix)] == prefix {
			out[id] = ix.entries[slot]
		}
	}
	return out
}

// sameSearches checks that got answers queries exactly as want does: the
// same passages, scores and confidences, in the same order.
func sameSearches(t *testing.T, got, want *Index, queries []string) {
	t.Helper()
	for _, q := range queries {
		g, w := got.Search(q, 5, chat.Place{}), want.Search(q, 5, chat.Place{})
		if !reflect.DeepEqual(g, w) {
			t.Errorf("Search(%q):\n got %+v\nwant %+v", q, g, w)
		}
	}
}

// TestRebuildReindexesOnlyChangedFiles changes one file, removes one, adds
// one and changes a file another includes: Rebuild analyses those alone,
// keeps the unchanged files' passages as they were (the same entries), and
// searches as an index built afresh from the new files does.
func TestRebuildReindexesOnlyChangedFiles(t *testing.T) {
	dir := t.TempDir()
	writeDocs(t, dir, map[string]string{
		"alpha.md": "# Alpha\n\nThe alpha page explains caching.\n\n## Tuning\n\nSet the cache size in megabytes.\n",
		"bravo.md": "# Bravo\n\nBravo covers the deploy command.\n",
		"notes.txt": "Backups: copy the database file while Docent is stopped.\n\n" +
			"Restore by copying it back.\n",
		"options.md":       "# Options\n\n{{% include \"_common/flags.md\" %}}\n",
		"_common/flags.md": "The --verbose flag prints every step.\n",
	})
	folders := []Folder{{Path: dir, BaseURL: "https://x/"}}
	ix, err := Build(context.Background(), folders)
	if err != nil {
		t.Fatal(err)
	}
	alpha := entriesOf(ix, filepath.Join(dir, "alpha.md"))
	if len(alpha) != 2 {
		t.Fatalf("alpha.md has %d passages, want 2", len(alpha))
	}

	writeDocs(t, dir, map[string]string{
		"bravo.md":         "# Bravo\n\nBravo covers the rollback command.\n",
		"charlie.md":       "# Charlie\n\nCharlie sets up the webhook.\n",
		"_common/flags.md": "The --quiet flag prints nothing.\n",
	})
	if err := os.Remove(filepath.Join(dir, "notes.txt")); err != nil {
		t.Fatal(err)
	}
	if err := ix.Rebuild(context.Background(), folders); err != nil {
		t.Fatal(err)
	}

	// bravo.md, charlie.md, _common/flags.md and options.md, which includes it.
	if got, want := ix.LastRebuild(), (RebuildStats{Files: 5, Analysed: 4, Removed: 1, Passages: 6}); got != want {
		t.Errorf("LastRebuild() = %+v, want %+v", got, want)
	}
	for id, e := range entriesOf(ix, filepath.Join(dir, "alpha.md")) {
		if alpha[id] != e {
			t.Errorf("%s was analysed again though alpha.md did not change", id)
		}
	}
	if len(entriesOf(ix, filepath.Join(dir, "notes.txt"))) != 0 {
		t.Errorf("the removed notes.txt still has passages")
	}
	for q, want := range map[string]string{
		"rollback": "https://x/bravo.md#bravo", "webhook": "https://x/charlie.md#charlie",
	} {
		if hits := ix.Search(q, 1, chat.Place{}); len(hits) != 1 || hits[0].Link != want {
			t.Errorf("Search(%q) = %+v, want %s", q, hits, want)
		}
	}
	for _, e := range entriesOf(ix, filepath.Join(dir, "options.md")) {
		if !strings.Contains(e.p.Text, "--quiet") {
			t.Errorf("options.md's passage is %q: the change to the file it includes is not there", e.p.Text)
		}
	}
	for _, q := range []string{"deploy", "backups restore database", "verbose"} {
		for _, h := range ix.Search(q, 5, chat.Place{}) {
			if h.Source == SourceDocs {
				t.Errorf("Search(%q) found %s, whose text is gone", q, h.ID)
			}
		}
	}
	fresh, err := Build(context.Background(), folders)
	if err != nil {
		t.Fatal(err)
	}
	sameSearches(t, ix, fresh, []string{"caching cache size", "rollback command", "webhook", "quiet flag",
		"the page", "alpha bravo charlie options", "deploy"})
	if ix.Len() != fresh.Len() {
		t.Errorf("Len = %d after the update, %d built afresh", ix.Len(), fresh.Len())
	}
}

// TestRebuildOneGuideFile edits a page of the guide in a copy: after the
// update, every question of the eval set gets exactly what an index built
// afresh from the edited copy gives, scores included.
func TestRebuildOneGuideFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(guideDir)); err != nil {
		t.Fatal(err)
	}
	folders := []Folder{{Path: dir, BaseURL: guideBase}}
	background := starterPatterns(t)
	ix := New(Options{})
	ix.SetBackground(background)
	if err := ix.Rebuild(context.Background(), folders); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "intents.md")
	text, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(text), "\n## ", "\nPatterns are matched after the message is normalised.\n\n## ", 1)
	if edited == string(text) {
		t.Fatal("intents.md has no second-level heading to edit before")
	}
	writeDocs(t, dir, map[string]string{"intents.md": edited})
	if err := ix.Rebuild(context.Background(), folders); err != nil {
		t.Fatal(err)
	}
	if st := ix.LastRebuild(); st.Analysed != 1 {
		t.Errorf("LastRebuild() = %+v, want intents.md alone analysed", st)
	}
	fresh := New(Options{})
	fresh.SetBackground(background)
	if err := fresh.Rebuild(context.Background(), folders); err != nil {
		t.Fatal(err)
	}
	var queries []string
	set := loadEval(t)
	for _, q := range set.Questions {
		queries = append(queries, q.Q)
	}
	sameSearches(t, ix, fresh, append(queries, set.Unanswered...))
}
