package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/chat"
)

// initDocs writes a small VitePress docs tree (its site config one
// folder up, as VitePress projects keep it) and returns the docs folder.
func initDocs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for name, text := range map[string]string{
		"site/.vitepress/config.mts": "export default { cleanUrls: true }\n",
		"site/docs/index.md":         "---\ntitle: Home\n---\n\nZebractl herds zebras.\n",
		"site/docs/guide.md": "---\ntitle: Guide\n---\n\n# Guide\n\n## Forwarding CLI arguments to commands\n\n" +
			"If `--` is given, the arguments after it are passed to the zebra command as ZEBRA_ARGS.\n\n" +
			"## Running in parallel\n\n::: tip\nUse the parallel flag.\n:::\n\nGive --parallel to herd many zebras at once.\n",
		"site/docs/reference/cli.md": "# CLI reference\n\n## --dry-run, -n\n\nPrints the zebra commands without running them.\n",
	} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(root, "site", "docs")
}

func runInit(t *testing.T, interactive bool, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	t.Setenv("DOCENT_CONFIG", "")
	var out, errb strings.Builder
	c := testCommand(t, testEnv(strings.NewReader(stdin), &out, &errb), "init")
	code = c.initConfig(args, interactive)
	return out.String(), errb.String(), code
}

// openInit loads a config as `docent --config FILE` does and opens the bot.
func openInit(t *testing.T, path string) *bot.Bot {
	t.Helper()
	cfg, err := testEnv(nil, io.Discard, io.Discard).LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.Open(context.Background(), cfg, bot.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func askBot(t *testing.T, b *bot.Bot, text string) chat.Answer {
	t.Helper()
	got := bottest.Ask(t, b.Inbox(), chat.Conversation{Platform: "test", Channel: "c"}, chat.Member{ID: "u1", Name: "alice"}, text)
	if len(got) != 1 {
		t.Fatalf("%q: %d answers, want 1: %+v", text, len(got), got)
	}
	return got[0]
}

// docent init with flags writes a config that loads as `docent --config`
// loads it and answers from the docs with the site's links: VitePress
// detected from .vitepress/, so pretty URLs and VitePress's anchors. With
// --docs given it asks nothing, even on a terminal.
func TestInitFlagsThenAnswer(t *testing.T) {
	docs := initDocs(t)
	out := filepath.Join(t.TempDir(), "zebra.yaml")
	stdout, stderr, code := runInit(t, true, "", "--docs", docs, "--site", "https://zebra.example.org/docs/", "--name", "Zebra",
		"--repo", "https://github.com/zebra/zebractl", "--link", "help_channel=https://zebra.example.org/forum", "--out", out)
	if code != exitOK {
		t.Fatalf("init: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"3 docs files; site generator VitePress (detected: " + filepath.Join(filepath.Dir(docs), ".vitepress") + ")",
		"Wrote " + out + ", checked as `docent config check` checks it.",
		"warning: " + out + ": ", // the starter intents whose links are not given
		"add code_of_conduct, contributing, discussions, events, roadmap, security under links:",
		"Next: docent --config " + out,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("init said:\n%s\nwant %q in it", stdout, want)
		}
	}
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  community: Zebra\n",
		"  issues: https://github.com/zebra/zebractl/issues\n",
		"  path: data/zebra.db\n",
		"    - path: " + docs + "\n      base_url: https://zebra.example.org/docs/\n      links: pretty\n      anchors: vitepress\n",
	} {
		if !strings.Contains(string(written), want) {
			t.Errorf("config lacks %q:\n%s", want, written)
		}
	}
	if strings.Contains(string(written), "brain:\n") {
		t.Errorf("config names intents; the starter intents should need none:\n%s", written)
	}

	b := openInit(t, out)
	a := askBot(t, b, "how do I forward CLI arguments to the zebra command?")
	if a.Source != chat.SourceKnowledge || !strings.Contains(a.Text, "(https://zebra.example.org/docs/guide#forwarding-cli-arguments-to-commands)") {
		t.Errorf("docs question: %s %q, want the guide's section with its pretty link", a.Source, a.Text)
	}
	a = askBot(t, b, "what does the dry-run flag print?")
	if !strings.Contains(a.Text, "(https://zebra.example.org/docs/reference/cli#dry-run-n)") {
		t.Errorf("CLI question: %q, want the reference's section with VitePress's anchor", a.Text)
	}
	if a := askBot(t, b, "!about"); !strings.Contains(a.Text, "the Zebra community's assistant") {
		t.Errorf("!about: %q, want the community's name", a.Text)
	}
}

func TestInitFlagMistakes(t *testing.T) {
	docs := initDocs(t)
	dir := t.TempDir()
	existing := filepath.Join(dir, "docent.yaml")
	os.WriteFile(existing, []byte("# mine\n"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--name", "Z"}, exitUsage, "give --docs DIR, the docs folder, and --site URL"},
		{[]string{"--docs", docs, "--name", "Z"}, exitUsage, "give one --site URL for each --docs folder"},
		{[]string{"--docs", docs, "--site", "zebra.example.org"}, exitUsage, `--site zebra.example.org: "zebra.example.org" is not an address like https://example.org/docs/ (did you mean https://zebra.example.org/?)`},
		{[]string{"--docs", docs, "--site", "https://z.example.org/", "--name", "Z", "--repo", "zebra"}, exitUsage, `--repo zebra: "zebra" is not an address like https://github.com/owner/project;`},
		{[]string{"--docs", filepath.Join(dir, "nope"), "--site", "https://z.example.org/"}, exitUsage, "nope: no such folder"},
		{[]string{"--docs", dir, "--site", "https://z.example.org/"}, exitUsage, "holds no Markdown (.md), reStructuredText (.rst) or text files"},
		{[]string{"--docs", docs, "--site", "https://z.example.org/"}, exitUsage, "give --name, the community's name"},
		{[]string{"--docs", docs, "--site", "https://z.example.org/", "--name", "Z", "--generator", "jekyll"}, exitUsage, `--generator "jekyll": use one of vitepress, docusaurus, mkdocs, sphinx, hugo, github`},
		{[]string{"--docs", docs, "--site", "https://z.example.org/", "--name", "Z", "--link", "issues"}, exitUsage, `--link "issues": write NAME=URL`},
		{[]string{"--docs", docs, "--site", "https://z.example.org/", "--name", "Z", "--generator", "github", "--lowercase"}, exitUsage, "--trailing-slash and --lowercase shape pretty links: add --links pretty"},
		{[]string{"--docs", docs, "--site", "https://z.example.org/", "--name", "Z", "--out", existing}, exitError, existing + " exists: give another --out, or --force to replace it"},
	} {
		_, stderr, code := runInit(t, false, "", tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("init %v: exit %d, %q; want exit %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
	if b, _ := os.ReadFile(existing); string(b) != "# mine\n" {
		t.Errorf("the existing config was changed: %q", b)
	}
	// --force replaces it; flags override what was detected.
	_, stderr, code := runInit(t, false, "", "--docs", docs, "--site", "https://z.example.org/", "--name", "Z", "--out", existing, "--force",
		"--trailing-slash", "--anchors", "github")
	if b, _ := os.ReadFile(existing); code != exitOK || !strings.Contains(string(b), "    # VitePress (detected: "+filepath.Join(filepath.Dir(docs), ".vitepress")+"); given: trailing_slash, anchors\n"+
		"    - path: "+docs+"\n      base_url: https://z.example.org/\n      links: pretty\n      trailing_slash: true\n      anchors: github\n") {
		t.Errorf("--force: exit %d %s\n%s", code, stderr, b)
	}
}

// On a terminal, docent init asks for what the flags do not give, with
// defaults, and asks again after an answer it cannot use.
func TestInitInteractive(t *testing.T) {
	docs := initDocs(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "docent.yaml")
	answers := strings.Join([]string{
		filepath.Join(dir, "missing"), // docs folder: asked again
		docs,
		"zebra.example.org", // site: not an address; https://zebra.example.org/ offered
		"no",                // and refused: asked again
		"https://zebra.example.org/docs/",
		"", // site generator: the detected one
		"", // another docs folder: done
		"https://github.com/zebra/zebractl",
		"",      // docs: the site
		"forum", // help_channel: not a link, asked again
		"https://zebra.example.org/forum",
		"",                         // source: from the repository
		"-",                        // issues: skipped, though the repository gives one
		"", "", "", "", "", "", "", // the other links: the repository's releases, and none
		"", // community name: the repository's
		out,
	}, "\n") + "\n"
	stdout, stderr, code := runInit(t, true, answers)
	if code != exitOK {
		t.Fatalf("init: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"Docs folder",
		"  no such folder\n",
		"; site generator VitePress (detected: ",
		"Site generator that publishes it (vitepress, docusaurus, mkdocs, sphinx, hugo, github) [vitepress]: ",
		"  Did you mean https://zebra.example.org/? (yes/no) [yes]: ",
		"docs: the docs' home page (",
		"[https://zebra.example.org/docs/]: ",
		`  "forum" is not an http(s) or mailto: link` + "\n",
		"issues: the issue tracker, for bug reports (",
		"[https://github.com/zebra/zebractl/issues]: ",
		"Community name [zebractl]: ",
		"Write the config to [docent.yaml]: ",
		"Wrote " + out,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("init said:\n%s\nwant %q in it", stdout, want)
		}
	}
	written, _ := os.ReadFile(out)
	want := "links:\n  changelog: https://github.com/zebra/zebractl/releases\n  docs: https://zebra.example.org/docs/\n  help_channel: https://zebra.example.org/forum\n  source: https://github.com/zebra/zebractl\n\n"
	if !strings.Contains(string(written), want) || !strings.Contains(string(written), "community: zebractl\n") || !strings.Contains(string(written), "anchors: vitepress\n") {
		t.Errorf("config:\n%s\nwant %q in it", written, want)
	}

	// Answers that end before the questions stop it, writing nothing.
	other := filepath.Join(dir, "other.yaml")
	_, stderr, code = runInit(t, true, docs+"\n\nhttps://zebra.example.org/docs/\n", "--out", other)
	if code != exitError || !strings.Contains(stderr, "the input ended before every question was answered") {
		t.Errorf("short input: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(other); err == nil {
		t.Error("short input wrote a config")
	}
}

// From an adopter's review: a docs folder typed as ~/docs is found (a
// shell expands a flag's ~, nobody expands an answer's), a site typed
// without https:// is offered back with it and taken on Enter, a
// repository typed wrong is shown a repository's address, and the site
// is asked before the generator.
func TestInitInteractiveAnswers(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	docs := filepath.Join(home, "docs")
	os.MkdirAll(docs, 0o755)
	os.WriteFile(filepath.Join(docs, "index.md"), []byte("# Zebra\n\nZebractl herds zebras.\n"), 0o644)
	out := filepath.Join(t.TempDir(), "docent.yaml")
	answers := strings.Join([]string{
		"~/docs",
		"gohugo.io", // site: https://gohugo.io/ offered
		"",          // and taken
		"",          // site generator: none detected, github
		"",          // another docs folder: done
		"zebra",     // repository: not an address
		"github.com/zebra/zebractl",
		"y",
		"", "", "", "", "", "", "", "", "", "", "", // the links
		"Zebra",
	}, "\n") + "\n"
	stdout, stderr, code := runInit(t, true, answers, "--out", out)
	if code != exitOK {
		t.Fatalf("init: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		docs + ": 1 docs files; no site generator detected",
		"  Did you mean https://gohugo.io/? (yes/no) [yes]: ",
		`  "zebra" is not an address like https://github.com/owner/project` + "\n",
		"  Did you mean https://github.com/zebra/zebractl? (yes/no) [yes]: ",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("init said:\n%s\nwant %q in it", stdout, want)
		}
	}
	if site, gen := strings.Index(stdout, "Where members read"), strings.Index(stdout, "Site generator that publishes it"); site < 0 || gen < site {
		t.Errorf("the generator is asked before the site (%d, %d):\n%s", gen, site, stdout)
	}
	written, _ := os.ReadFile(out)
	for _, want := range []string{"    - path: " + docs + "\n      base_url: https://gohugo.io/\n", "  source: https://github.com/zebra/zebractl\n"} {
		if !strings.Contains(string(written), want) {
			t.Errorf("config:\n%s\nwant %q in it", written, want)
		}
	}
}

// The site generator is found from its config beside the docs or above
// them (up to the repository's root), else from the files themselves.
func TestDetectGenerator(t *testing.T) {
	for _, tc := range []struct {
		files    []string // under the root; the docs folder is the last file's
		want     string
		marker   string // the file that tells, under the root
		evidence string // or what the files tell
	}{
		{[]string{"website/.vitepress/config.mts", "website/docs/a.md"}, "vitepress", "website/.vitepress", ""},
		{[]string{"website/docusaurus.config.ts", "website/docs/intro.md"}, "docusaurus", "website/docusaurus.config.ts", ""},
		{[]string{"mkdocs.yml", "docs/index.md"}, "mkdocs", "mkdocs.yml", ""},
		{[]string{"docs/conf.py", "docs/index.md"}, "sphinx", "docs/conf.py", ""},
		{[]string{"hugo.toml", "content/_index.md"}, "hugo", "hugo.toml", ""},
		{[]string{"docs/user/quickstart.rst", "docs/notes.md", "docs/index.rst"}, "sphinx", "", "2 reStructuredText files"},
		{[]string{"docs/functions/_index.md", "docs/functions/relurl.md", "docs/_index.md"}, "hugo", "", "2 _index.md section pages"},
		{[]string{"docs/a.md", "docs/b.md"}, "", "", ""},
		// A site config above the repository's root is another project's.
		{[]string{"mkdocs.yml", "repo/.git/HEAD", "repo/docs/a.md"}, "", "", ""},
	} {
		root := t.TempDir()
		var docs string
		for _, f := range tc.files {
			p := filepath.Join(root, filepath.FromSlash(f))
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte("x\n"), 0o644)
			docs = filepath.Dir(p)
		}
		files, err := countDocFiles(docs)
		if err != nil {
			t.Fatal(err)
		}
		name, evidence := detectGenerator(docs, files)
		want := tc.evidence
		if tc.marker != "" {
			want = filepath.Join(root, filepath.FromSlash(tc.marker))
		}
		if name != tc.want || evidence != want {
			t.Errorf("%v: %q (%s), want %q (%s)", tc.files, name, evidence, tc.want, want)
		}
	}
}

// A config written by docent init with only the docs and the repository
// keeps the starter intents that have a response it can render: "who are
// you?" needs no link in two of its three responses, a bug report needs
// only the issues link (from --repo) in two of three, the docs only the
// docs link. Before, an intent with one response lacking a link was left
// out whole, and "who are you?" got a section of the docs.
func TestInitKeepsIntentsWithARenderableResponse(t *testing.T) {
	docs := initDocs(t)
	out := filepath.Join(t.TempDir(), "zebra.yaml")
	stdout, stderr, code := runInit(t, false, "", "--docs", docs, "--site", "https://zebra.example.org/docs/", "--name", "Zebra",
		"--repo", "https://github.com/zebra/zebractl", "--out", out)
	if code != exitOK {
		t.Fatalf("init: exit %d\n%s%s", code, stdout, stderr)
	}
	b := openInit(t, out)
	for _, tc := range []struct{ question, intent, link string }{
		{"who are you?", "who_are_you", ""},
		{"how do I report a bug?", "report_bug", "https://github.com/zebra/zebractl/issues"},
		{"where are the docs?", "docs", "https://zebra.example.org/docs/"},
	} {
		// The responses in use all render (the bot would not open
		// otherwise), so one answer tells.
		a := askBot(t, b, tc.question)
		if a.Intent != tc.intent || !strings.Contains(a.Text, tc.link) {
			t.Errorf("%q: %s %s %q, want the intent %s with %q", tc.question, a.Source, a.Intent, a.Text, tc.intent, tc.link)
		}
	}
}

// A docs folder copied without its site's config (as the Task dataset's
// is, without .vitepress) is guessed from its Markdown extensions, says
// so, and --generator overrides the guess.
func TestDetectGeneratorFromContent(t *testing.T) {
	for _, tc := range []struct {
		name     string
		files    map[string]string
		want     string
		evidence string
	}{
		{"vitepress", map[string]string{
			"guide.md": "# Guide\n\n## Calling another task {#calling}\n\n::: tip\nUse deps.\n:::\n\n::: warning\nNot twice.\n:::\n",
			"faq.md":   "# FAQ\n\n```md\n::: tip\nin a code block: not counted\n:::\n```\n",
		}, "vitepress", "guessed from 2 ::: containers and 1 {#id} heading id"},
		{"docusaurus", map[string]string{
			"intro.mdx": "# Intro\n\n:::note\nHi.\n:::\n",
			"setup.md":  "# Setup\n",
		}, "docusaurus", "guessed from 1 .mdx file"},
		{"mkdocs", map[string]string{
			"index.md": "# Home\n\n!!! note\n    Indented.\n\n!!! warning \"Careful\"\n    Indented.\n",
		}, "mkdocs", "guessed from 2 !!! admonitions"},
		{"plain", map[string]string{"a.md": "# A\n\nText: with colons ::: inside.\n"}, "", ""},
	} {
		docs := t.TempDir()
		for name, text := range tc.files {
			if err := os.WriteFile(filepath.Join(docs, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		files, err := countDocFiles(docs)
		if err != nil {
			t.Fatal(err)
		}
		if name, evidence := detectGenerator(docs, files); name != tc.want || evidence != tc.evidence {
			t.Errorf("%s: %q (%s), want %q (%s)", tc.name, name, evidence, tc.want, tc.evidence)
		}
	}

	// What init says and writes, and --generator over the guess.
	docs := t.TempDir()
	os.WriteFile(filepath.Join(docs, "guide.md"), []byte("# Guide\n\n## Calling another task {#calling}\n\n::: tip\nUse deps.\n:::\n"), 0o644)
	out := filepath.Join(t.TempDir(), "docent.yaml")
	stdout, stderr, code := runInit(t, false, "", "--docs", docs, "--site", "https://z.example.org/docs/", "--name", "Z", "--out", out)
	written, _ := os.ReadFile(out)
	if code != exitOK || !strings.Contains(stdout, "1 docs files; site generator VitePress (guessed from 1 ::: container and 1 {#id} heading id)\n") ||
		!strings.Contains(string(written), "    # VitePress (guessed from 1 ::: container and 1 {#id} heading id)\n") ||
		!strings.Contains(string(written), "      links: pretty\n      anchors: vitepress\n") {
		t.Errorf("init: exit %d %s\n%s\n%s", code, stderr, stdout, written)
	}
	stdout, stderr, code = runInit(t, false, "", "--docs", docs, "--site", "https://z.example.org/docs/", "--name", "Z", "--out", out, "--force", "--generator", "github")
	written, _ = os.ReadFile(out)
	if code != exitOK || !strings.Contains(stdout, "site generator files as they are (GitHub, GitLab, a file server) (given)") || !strings.Contains(string(written), "      links: file\n") {
		t.Errorf("init --generator github: exit %d %s\n%s\n%s", code, stderr, stdout, written)
	}

	// The Task dataset's docs, copied without .vitepress.
	task := "/work/shared/datasets/docs/task/docs"
	if _, err := os.Stat(task); err != nil {
		t.Skipf("no Task dataset: %v", err)
	}
	files, err := countDocFiles(task)
	if err != nil {
		t.Fatal(err)
	}
	if name, evidence := detectGenerator(task, files); name != "vitepress" || !strings.HasPrefix(evidence, "guessed from ") || !strings.Contains(evidence, "::: containers") {
		t.Errorf("Task docs: %q (%s), want vitepress guessed from its ::: containers", name, evidence)
	}
}
