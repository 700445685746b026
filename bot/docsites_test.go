package bot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/chat"
)

// A folder of docs written for a site generator is answered from with the
// site's links: pretty URLs without the extension, an index page as its
// folder, the page's front matter title, the site's anchors.
func TestKnowledgeFolderPublishedLinks(t *testing.T) {
	path := writeConfig(t, `knowledge:
  folders:
    - path: docs
      base_url: https://taskfile.dev/docs/
      links: pretty
      anchors: vitepress
    - path: rst
      base_url: https://requests.readthedocs.io/en/latest/
      links: pretty
      trailing_slash: true
`)
	root := filepath.Dir(path)
	os.MkdirAll(filepath.Join(root, "docs", "experiments"), 0o755)
	os.MkdirAll(filepath.Join(root, "rst", "user"), 0o755)
	write(t, filepath.Join(root, "docs", "experiments", "index.md"), "---\ntitle: Experiments\n---\n\n::: warning\nExperiments may change.\n:::\n\nEnable an experiment with the TASK_X_GENTLE_FORCE environment variable.\n")
	write(t, filepath.Join(root, "docs", "cli.md"), "# CLI\n\n## -f, --force\n\nForces execution of the zebra task even when up to date.\n")
	write(t, filepath.Join(root, "rst", "user", "quickstart.rst"), ".. _quickstart:\n\nQuickstart\n==========\n\nPassing Parameters In URLs\n--------------------------\n\nUse the ``params`` keyword argument for the giraffe query string::\n\n    >>> r = requests.get(url, params=payload)\n")
	b := openBot(t, path)
	ask := func(q string) string {
		t.Helper()
		r := bottest.NewRecorder()
		if err := b.Inbox().Deliver(context.Background(), chat.Message{Conversation: chat.Conversation{Platform: "test", Channel: "c"}, Author: alice, Text: q}, r); err != nil {
			t.Fatal(err)
		}
		got := r.Wait(t)
		if len(got) != 1 || got[0].Source != chat.SourceKnowledge {
			t.Fatalf("%q: answers %+v, want one from the docs", q, got)
		}
		return got[0].Text
	}
	for q, link := range map[string]string{
		"how do I enable the gentle force experiment":      "(https://taskfile.dev/docs/experiments/)",
		"force the zebra task to run even when up to date": "(https://taskfile.dev/docs/cli#f-force)",
		"giraffe query string params keyword argument":     "(https://requests.readthedocs.io/en/latest/user/quickstart/#passing-parameters-in-urls)",
	} {
		if got := ask(q); !strings.Contains(got, link) {
			t.Errorf("%q: answer without %s:\n%s", q, link, got)
		}
	}
}

func TestKnowledgeFolderLinkSettings(t *testing.T) {
	path := writeConfig(t, `knowledge:
  folders:
    - path: docs
      base_url: https://example.org/
      links: prety
      trailing_slash: true
      anchors: gitlab
`)
	os.MkdirAll(filepath.Join(filepath.Dir(path), "docs"), 0o755)
	_, err := LoadConfig(path)
	for _, want := range []string{
		"docent.yaml:12:14: knowledge.folders[0].links: must be file",
		"knowledge.folders[0].trailing_slash: only shapes pretty links",
		"docent.yaml:14:16: knowledge.folders[0].anchors: must be github",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want %q in it", err, want)
		}
	}
}

// A folder's exclude patterns keep its changelog and blog out of the
// answers: what only they say is not found, and a question that the
// changelog would outrank the guide on is answered from the guide.
func TestKnowledgeFolderExclude(t *testing.T) {
	path := writeConfig(t, `knowledge:
  folders:
    - path: docs
      base_url: https://example.org/docs/
      exclude: [changelog.md, "blog/**"]
`)
	root := filepath.Dir(path)
	os.MkdirAll(filepath.Join(root, "docs", "blog", "2024"), 0o755)
	os.MkdirAll(filepath.Join(root, "docs", "guide"), 0o755)
	write(t, filepath.Join(root, "docs", "guide", "webhooks.md"), "# Webhooks\n\nConfigure the pelican webhook with a secret so that deliveries are signed.\n")
	write(t, filepath.Join(root, "docs", "changelog.md"), "# Changelog\n\n## 2.0\n\nPelican webhook: the pelican webhook secret is now required; pelican webhook deliveries are signed.\n\n## 1.9\n\nFixed the walrus exporter.\n")
	write(t, filepath.Join(root, "docs", "guide", "changelog.md"), "# Changelog\n\nThe narwhal importer was rewritten.\n")
	write(t, filepath.Join(root, "docs", "blog", "2024", "post.md"), "# Launch\n\nWe launched the capybara dashboard.\n")
	b := openBot(t, path)
	ask := func(q string) chat.Answer {
		t.Helper()
		r := bottest.NewRecorder()
		if err := b.Inbox().Deliver(context.Background(), chat.Message{Conversation: chat.Conversation{Platform: "test", Channel: "c"}, Author: alice, Text: q}, r); err != nil {
			t.Fatal(err)
		}
		got := r.Wait(t)
		if len(got) != 1 {
			t.Fatalf("%q: %d answers, want one", q, len(got))
		}
		return got[0]
	}
	got := ask("how do I sign pelican webhook deliveries with a secret")
	if got.Source != chat.SourceKnowledge || !strings.Contains(got.Text, "(https://example.org/docs/guide/webhooks.md#webhooks)") {
		t.Errorf("answer %+v, want the guide's webhooks page", got)
	}
	for _, q := range []string{"walrus exporter fixed", "narwhal importer rewritten", "capybara dashboard launched"} {
		got := ask(q)
		if strings.Contains(got.Text, "changelog") || strings.Contains(got.Text, "blog/") {
			t.Errorf("%q: answered from an excluded file: %+v", q, got)
		}
	}
}

func TestKnowledgeFolderExcludeSettings(t *testing.T) {
	path := writeConfig(t, `knowledge:
  folders:
    - path: docs
      base_url: https://example.org/
      exclude: [changelog.md, "[a-", "../x"]
`)
	os.MkdirAll(filepath.Join(filepath.Dir(path), "docs"), 0o755)
	_, err := LoadConfig(path)
	for _, want := range []string{
		`docent.yaml:12:31: knowledge.folders[0].exclude[1]: "[a-" is not a glob pattern`,
		`docent.yaml:12:38: knowledge.folders[0].exclude[2]: "../x" goes above the docs folder; write a path in the folder, like changelog.md or "blog/**"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want %q in it", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "exclude[0]") {
		t.Errorf("error %v about a good pattern", err)
	}
}
