package brain

import (
	"strings"
	"testing"

	"github.com/docent-bot/docent/brain/knowledge"
	"github.com/docent-bot/docent/brain/knowledge/docseval"
)

// sectionParts returns the texts of a section's passages (a long one has
// several parts), by its ID in the docs folder ("guide.md#internal-tasks").
func sectionParts(ix *knowledge.Index, set, id string) []string {
	var out []string
	for _, p := range ix.Passages(func(p knowledge.Passage) bool { return p.Source == knowledge.SourceDocs }) {
		if rel, ok := strings.CutPrefix(p.ID, datasetPath(set)+"/"); ok && docseval.Section(rel) == id {
			out = append(out, p.Text)
		}
	}
	return out
}

// checkMarkdown fails when an extract of src is not Markdown a chat shows
// as the docs do: every code fence closed, every table whole (all its
// rows, as in src), no sentence ending in a colon before nothing, and its
// length bounded.
func checkMarkdown(t *testing.T, src, got string) {
	t.Helper()
	var open string
	var table []string
	codeLines, codeBlocks, prose := 0, 0, 0
	lines := strings.Split(got, "\n")
	for _, line := range lines {
		if open != "" {
			if f := fence(line); f != "" && f[0] == open[0] && len(f) >= len(open) && strings.TrimSpace(strings.TrimLeft(line, " ")[len(f):]) == "" {
				open = ""
				continue
			}
			codeLines++
			continue
		}
		if f := fence(line); f != "" {
			open = f
			codeBlocks++
			continue
		}
		prose += len(line) + 1
		if strings.HasPrefix(strings.TrimSpace(line), "|") {
			table = append(table, strings.TrimSpace(line))
			continue
		}
		if len(table) > 0 {
			if !strings.Contains(src, strings.Join(table, "\n")) || len(blocks(strings.Join(table, "\n"))[0].units[0]) != len(tableOf(src, table[0])) {
				t.Errorf("half a table:\n%s", strings.Join(table, "\n"))
			}
			table = nil
		}
	}
	// A sentence that introduces code, a list or a table in the docs comes
	// with what it introduces.
	bs := blocks(src)
	for i, b := range bs {
		last := b.units[len(b.units)-1]
		if b.kind != blockPara || !strings.HasSuffix(last, ":") || i+1 == len(bs) || bs[i+1].kind == blockPara {
			continue
		}
		at := strings.Index(got, plainLinks(last))
		if at < 0 {
			continue
		}
		next := strings.TrimSpace(got[at+len(plainLinks(last)):])
		if !(fence(next) != "" || listItem.MatchString(next) || strings.HasPrefix(next, "|")) {
			t.Errorf("%q introduces nothing that is shown:\n%s", last, got)
		}
	}
	if open != "" {
		t.Errorf("code fence %s left open:\n%s", open, got)
	}
	// Short code blocks after their sentence count as prose; the most
	// relevant one is bounded on its own.
	if prose > extractProse+100 || codeLines > extractCodeLines+1+shortCodeLines*2 {
		t.Errorf("too long: %d bytes of prose, %d lines of code in %d blocks:\n%s", prose, codeLines, codeBlocks, got)
	}
}

// tableOf returns the whole table of src that holds the row first.
func tableOf(src, first string) string {
	for _, b := range blocks(src) {
		if b.kind == blockTable && strings.Contains(b.units[0], first) {
			return b.units[0]
		}
	}
	return ""
}

// TestExtractsStayValidMarkdown extracts, for every dev question of the
// three real docs sets, each part of each section that answers it: what a
// member would be shown is valid Markdown and bounded.
func TestExtractsStayValidMarkdown(t *testing.T) {
	intents := starterIntents(t)
	for _, name := range []string{"task", "requests", "hugo"} {
		t.Run(name, func(t *testing.T) {
			ix := datasetIndex(t, name, intents)
			n := 0
			for _, q := range devQuestions(t, name) {
				for _, id := range q.Want {
					for _, text := range sectionParts(ix, name, id) {
						n++
						checkMarkdown(t, text, extract(text, weightsOf(ix, q.Q)))
					}
				}
			}
			if n == 0 {
				t.Fatal("no sections read")
			}
		})
	}
}

// TestExtractAnswers checks on real docs and questions members asked that
// the extract of the section that answers holds the sentence or code
// that answers, and leaves out what does not.
func TestExtractAnswers(t *testing.T) {
	intents := starterIntents(t)
	tests := []struct {
		name, set, q, section string
		want, notWant         []string
	}{
		{"a sentence and the example it introduces", "task",
			"how do I pass extra args through to the command? like `task yarn -- install` should end up running `yarn install` in the web folder",
			"guide.md#forwarding-cli-arguments-to-commands",
			[]string{"all following parameters are added to a special `.CLI_ARGS` variable", "- yarn {{.CLI_ARGS}}"}, nil},
		{"the code that answers, not an introduction without its code", "task",
			"how do I ask for confirmation before a destructive task like reset that wipes all the data?",
			"guide.md#warning-prompts",
			[]string{"Warning Prompts are used to prompt a user for confirmation before a task is executed.", "    prompt:\n"},
			[]string{"Below is an example using `prompt`"}},
		{"the option in its example", "task",
			"how do I hide helper tasks so people can't call them directly and they dont show in the list",
			"guide.md#internal-tasks",
			[]string{"Internal tasks are tasks that cannot be called directly by the user.", "internal: true"}, nil},
		{"a sentence ending in a colon keeps its code", "task",
			"how to run a task's commands inside the web/ folder without writing cd web && in front of every line",
			"guide.md#task-directory",
			[]string{"you can easily make the task run in another folder, informing `dir`:\n\n```yaml", "dir: public/www"}, nil},
		{"numbered steps kept whole, in order, after their sentence", "task",
			"how do I enable an experiment like remote taskfiles? is it an env var or a flag?",
			"experiments/index.md#enabling-experiments",
			[]string{"Which method you use depends on how you intend to use the experiment:\n\n1. Prefixing your task commands",
				"\n2. Adding the relevant environment variable(s)", "\n3. Creating a `.env` or a `.taskrc.yml` file"}, nil},
		{"an optional include", "task",
			"our dev-only taskfile is missing in prod installs and then task fails with stat ...test.yml no such file. can an include be skipped if the file isn't there?",
			"guide.md#optional-includes",
			[]string{"Includes marked as optional will allow Task to continue execution as normal if the included file is missing.", "optional: true"}, nil},
		{"reStructuredText's literal block as fenced code", "requests",
			"my scraper just hung forever on one requests.get and never came back. is there a default timeout at all?",
			"user/quickstart.rst#timeouts",
			[]string{"```\n>>> requests.get('https://github.com/', timeout=0.001)", "If no timeout is specified explicitly, requests do not time out."}, nil},
		{"reStructuredText's code after a sentence", "requests",
			"the artifactory server replies 401 with a nonce/realm challenge, basic auth doesn't work. how do I do digest auth?",
			"user/authentication.rst#digest-authentication",
			[]string{"Requests supports this out of the box as well:\n\n```", "requests.get(url, auth=HTTPDigestAuth('user', 'pass'))"}, nil},
		{"a one-line command besides the main example", "requests",
			"requests.exceptions.InvalidSchema: Missing dependencies for SOCKS support. all_proxy is socks://... — what do I need to install?",
			"user/advanced.rst#socks",
			[]string{"You can get the dependencies for this feature from `pip`:\n\n```\n$ python -m pip install 'requests[socks]'\n```"}, nil},
		{"the default levels, without the footnote", "hugo",
			"what are the default heading levels for the table of contents? my h4s never show up and the nesting looks off by one",
			"configuration/markup.md#table-of-contents",
			[]string{"`startLevel` : (`int`) Heading levels less than this value", "Default is `3`."},
			[]string{"[^1]", "hugo-goldmark-extensions"}},
		{"a note without its alert mark, links as text", "hugo",
			"how do I open markdown links in a new tab? {:target=\"_blank\"} after the link doesn't work",
			"render-hooks/links.md#examples",
			[]string{"Hugo renders Markdown links according to the CommonMark specification.", "<a href=\"{{ .Destination | safeURL }}\""},
			[]string{"[!NOTE]", "[CommonMark][]"}},
	}
	indexes := map[string]*knowledge.Index{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ix := indexes[tc.set]
			if ix == nil {
				ix = datasetIndex(t, tc.set, intents)
				indexes[tc.set] = ix
			}
			parts := sectionParts(ix, tc.set, tc.section)
			if len(parts) == 0 {
				t.Fatalf("no section %s", tc.section)
			}
			got := extract(parts[0], weightsOf(ix, tc.q))
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("extract lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("extract has %q:\n%s", w, got)
				}
			}
			checkMarkdown(t, parts[0], got)
		})
	}
}

// TestExtractWithoutMatchingProse: when only a code block holds the
// question's words, the extract still says something before it (the
// passage's beginning), and leaves out a sentence whose code is not shown.
func TestExtractWithoutMatchingProse(t *testing.T) {
	src := "Install it with:\n\n```sh\ngo install example.org/tool@latest\ngo version\ngo env GOPATH\nls $(go env GOPATH)/bin\n```\n\n" +
		"An example follows.\n\n```yaml\nname: tool\nlevel: 2\n```"
	q := queryWeights{"yaml": 1, "name": 1}
	got := extract(src, q)
	want := "An example follows.\n\n```yaml\nname: tool\nlevel: 2\n```"
	if got != want {
		t.Errorf("extract:\n%s\nwant:\n%s", got, want)
	}
	checkMarkdown(t, src, got)

	// A long section's part that ends on "… as follows:": what follows is
	// in the next part.
	src = "Task runs the commands of a task in order. The ones it runs are as follows:"
	if got, want := extract(src, q), "Task runs the commands of a task in order."; got != want {
		t.Errorf("extract of a part ending on a colon: %q, want %q", got, want)
	}
}

// BenchmarkExtract times the extract of a real section (Task's
// "Forwarding CLI arguments to commands") for a member's question, the
// work an answer from the docs adds to the search.
func BenchmarkExtract(b *testing.B) {
	intents := starterIntents(b)
	ix := datasetIndex(b, "task", intents)
	parts := sectionParts(ix, "task", "guide.md#forwarding-cli-arguments-to-commands")
	if len(parts) == 0 {
		b.Fatal("no section")
	}
	q := "how do I pass extra args through to the command? like `task yarn -- install` should end up running `yarn install` in the web folder"
	for b.Loop() {
		extract(parts[0], weightsOf(ix, q))
	}
}
