package brain

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/docent-bot/docent/brain/knowledge"
	"github.com/docent-bot/docent/brain/knowledge/docseval"
	"github.com/docent-bot/docent/chat"
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
// as the docs do (see markdownProblems).
func checkMarkdown(t *testing.T, src, got string) {
	t.Helper()
	for _, p := range markdownProblems(src, got) {
		t.Error(p)
	}
}

// flattened is a table's delimiter row (":--|:--") inside a line of prose.
var flattened = regexp.MustCompile(`:?-{2,}:?\s*\|\s*:?-{2,}`)

// markdownProblems says what makes an extract of src not Markdown a chat
// shows as the docs do: a code fence left open, half a table or one
// flattened into prose, a sentence ending in a colon before nothing, or
// too much length.
func markdownProblems(src, got string) []string {
	var out []string
	var open string
	var table []string
	codeLines, codeBlocks, prose := 0, 0, 0
	endTable := func() {
		if len(table) > 0 && !wholeTable(src, table) {
			out = append(out, fmt.Sprintf("half a table:\n%s", strings.Join(table, "\n")))
		}
		table = nil
	}
	lines := strings.Split(got, "\n")
	for i, line := range lines {
		if open != "" {
			if closes(line, open) {
				open = ""
				continue
			}
			codeLines++
			continue
		}
		if f := fence(line); f != "" {
			endTable()
			open = f
			codeBlocks++
			continue
		}
		prose += len(line) + 1
		t := strings.TrimSpace(line)
		if t == "" && i > 0 && strings.TrimSpace(lines[i-1]) == "" {
			out = append(out, fmt.Sprintf("an empty paragraph (an image left out?):\n%s", got))
		}
		if strings.HasPrefix(t, "|") || delimiterRow.MatchString(t) && strings.Contains(t, "|") ||
			len(table) > 0 && strings.Contains(t, "|") ||
			i+1 < len(lines) && strings.Contains(t, "|") && delimiterRow.MatchString(strings.TrimSpace(lines[i+1])) {
			table = append(table, t)
			continue
		}
		endTable()
		if flattened.MatchString(line) {
			out = append(out, fmt.Sprintf("a table flattened into prose: %q", line))
		}
	}
	endTable()
	// A sentence that introduces code, a list or a table in the docs (ends
	// with a colon, says "the following") comes with what it introduces.
	bs := blocks(src)
	for i, b := range bs {
		last := b.units[len(b.units)-1]
		if b.kind != blockPara || !introduces(last) || i+1 == len(bs) || bs[i+1].kind == blockPara {
			continue
		}
		at := strings.Index(got, plainLinks(last))
		if at < 0 || strings.Count(src, last) > 1 { // which one is shown, this test cannot tell
			continue
		}
		next := strings.TrimSpace(got[at+len(plainLinks(last)):])
		if !(fence(next) != "" || listItem.MatchString(next) || strings.Contains(strings.SplitN(next, "\n", 2)[0], "|")) {
			out = append(out, fmt.Sprintf("%q introduces nothing that is shown:\n%s", last, got))
		}
	}
	// A sentence that points at an example, table or list above or below
	// it comes with one, and one pointing at another section is left out;
	// unless it introduces what is shown after it.
	for i, b := range bs {
		for j, u := range b.units {
			dir, section := pointsAt(u)
			if b.kind != blockPara || dir == 0 || strings.Count(src, u) > 1 || !strings.Contains(got, plainLinks(u)) {
				continue
			}
			if !section && j == len(b.units)-1 && introduces(u) && i+1 < len(bs) && bs[i+1].kind != blockPara && blockShown(bs[i+1], got) {
				continue
			}
			if strings.TrimSpace(got) == plainLinks(u) {
				continue // all the passage has to say
			}
			found := false
			for k := i + dir; !section && !found && k >= 0 && k < len(bs); k += dir {
				found = bs[k].kind != blockPara && blockShown(bs[k], got)
			}
			if !found {
				out = append(out, fmt.Sprintf("%q points at what is not shown:\n%s", u, got))
			}
		}
	}
	if open != "" {
		out = append(out, fmt.Sprintf("code fence %s left open:\n%s", open, got))
	}

	// Short code blocks after their sentence count as prose; the most
	// relevant one is bounded on its own.
	if prose > extractProse+100 || codeLines > extractCodeLines+1+shortCodeLines*2 {
		out = append(out, fmt.Sprintf("too long: %d bytes of prose, %d lines of code in %d blocks:\n%s", prose, codeLines, codeBlocks, got))
	}
	return out
}

// blockShown says whether got shows some of b: the first line of one of
// its units (a code block's first line of code).
func blockShown(b block, got string) bool {
	for _, u := range b.units {
		for _, line := range strings.Split(plainLinks(u), "\n") {
			if line = strings.TrimSpace(line); line != "" && fence(line) == "" {
				if strings.Contains(got, line) {
					return true
				}
				break
			}
		}
	}
	return false
}

// wholeTable says whether rows are a whole table of src.
func wholeTable(src string, rows []string) bool {
	for _, b := range blocks(src) {
		if b.kind != blockTable {
			continue
		}
		whole := strings.Split(plainLinks(b.units[0]), "\n")
		for i := range whole {
			whole[i] = strings.TrimSpace(whole[i])
		}
		if strings.Join(whole, "\n") == strings.Join(rows, "\n") {
			return true
		}
	}
	return false
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
		{"a sentence announcing the following commands comes with them", "hugo",
			"why are my draft posts not showing up",
			"getting-started/quick-start.md#add-content",
			[]string{"You can run either of the following commands to include draft content.\n\n```sh\nhugo server --buildDrafts\nhugo server -D\n```"}, nil},
		{"a sentence pointing at another section below is left out", "hugo",
			"we moved the principles page to /docs/principles/ and the old /principles link is now a 404. how do I redirect the old url?",
			"configuration/server.md#default-settings",
			[]string{"The development server defaults to redirecting to `/404.html` for any requests to URLs that don't exist."},
			[]string{"section below"}},
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

// TestEveryPassageExtractsAsMarkdown extracts every passage of the three
// real docs sets, as an answer shows it (shownText: a part that starts
// inside a code block another part opens is shown from where it opens),
// for several questions each (its heading, the words of its code, a dev
// question): fences balanced, the answer ending outside any fence, no
// line of code shown as prose, tables whole or left out.
func TestEveryPassageExtractsAsMarkdown(t *testing.T) {
	intents := starterIntents(t)
	for _, name := range []string{"task", "requests", "hugo"} {
		t.Run(name, func(t *testing.T) {
			ix := datasetIndex(t, name, intents)
			dev := devQuestions(t, name)
			passages := ix.Passages(func(p knowledge.Passage) bool { return p.Source == knowledge.SourceDocs })
			if len(passages) == 0 || len(dev) == 0 {
				t.Fatal("no passages or no questions")
			}
			failed := 0
			for i, p := range passages {
				shown := shownText(ix, knowledge.Hit{Passage: p})
				code, prose := codeAndProse(ix.Parts(p.ID))
				for _, q := range []string{p.Heading + " " + p.Title, strings.Join(code, " "), dev[i%len(dev)].Q} {
					got := extract(shown, weightsOf(ix, q))
					problems := markdownProblems(shown, got)
					for _, line := range strings.Split(outsideFences(got), "\n") {
						for _, c := range code {
							if len(c) >= 12 && strings.Contains(line, c) && !strings.Contains(prose, c) {
								problems = append(problems, fmt.Sprintf("code shown as prose: %q in %q", c, line))
								break
							}
						}
					}
					if len(problems) > 0 {
						if failed++; failed <= 10 {
							t.Errorf("%s, asked %q:\n%s", p.ID, q, strings.Join(problems, "\n"))
						}
					}
				}
			}
			if failed > 0 {
				t.Errorf("%d extracts of %d passages are not valid Markdown", failed, len(passages))
			}
		})
	}
}

// TestAnswerFromACodeBlockCutInParts asks, as a member, a question whose
// best section is a long workflow file cut in parts: the answer is the
// step that introduces the file and the file from its beginning, in a
// code block, not its tail read as prose with a fence left open.
func TestAnswerFromACodeBlockCutInParts(t *testing.T) {
	intents := starterIntents(t)
	b := docsBrain(t, intents, datasetIndex(t, "hugo", intents), knowledge.DefaultMinConfidence)
	a, err := b.Answer(context.Background(), Question{Text: "how do i deploy to github pages", Member: chat.Member{Name: "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	answer, _, _ := strings.Cut(a.Text, "\n\nMore in ")
	for _, w := range []string{"Create a `hugo.yaml` file in the `.github/workflows` directory", "```yaml", "\nname: Build and deploy\non:\n  push:\n"} {
		if !strings.Contains(answer, w) {
			t.Errorf("answer lacks %q:\n%s", w, a.Text)
		}
	}
	if !strings.HasSuffix(answer, "\n```") {
		t.Errorf("answer does not end with its code block closed:\n%s", a.Text)
	}
	checkMarkdown(t, answer, answer)
}

// fence returns the fence a line opens or closes ("```", "~~~~"), or "":
// the tests' own line-by-line reading of what they check, apart from
// chat/markdown's, which the code under test uses.
func fence(line string) string {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 && !strings.HasPrefix(strings.TrimSpace(line), "```") {
		return ""
	}
	for _, c := range []byte{'`', '~'} {
		n := 0
		for n < len(t) && t[n] == c {
			n++
		}
		if n >= 3 {
			return t[:n]
		}
	}
	return ""
}

// closes says whether line closes the code block that open opened: a
// fence of the same character, at least as long, and nothing after it.
func closes(line, open string) bool {
	f := fence(line)
	return f != "" && f[0] == open[0] && len(f) >= len(open) && strings.TrimSpace(strings.TrimLeft(line, " ")[len(f):]) == ""
}

// codeAndProse returns the lines of code of a section's parts (in its
// fenced blocks, across parts), trimmed, and the rest of its text.
func codeAndProse(parts []knowledge.Passage) ([]string, string) {
	var code []string
	var prose strings.Builder
	open := ""
	for _, p := range parts {
		for _, line := range strings.Split(p.Text, "\n") {
			switch {
			case open != "" && closes(line, open):
				open = ""
			case open != "":
				if c := strings.TrimSpace(line); c != "" {
					code = append(code, c)
				}
			case fence(line) != "":
				open = fence(line)
			default:
				prose.WriteString(line + "\n")
			}
		}
	}
	return code, prose.String()
}

// outsideFences returns the lines of md outside its code blocks.
func outsideFences(md string) string {
	var out []string
	open := ""
	for _, line := range strings.Split(md, "\n") {
		switch {
		case open != "" && closes(line, open):
			open = ""
		case open != "":
		case fence(line) != "":
			open = fence(line)
		default:
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// TestCodeFenceKeepsOnlyTheLanguage: a fence's attributes, as Hugo's docs
// write them, are left out of an answer, where a chat would show them as
// a line of code; the language stays.
func TestCodeFenceKeepsOnlyTheLanguage(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"```yaml {file=\"hugo.yaml\" copy=true}\nbaseURL: x\n```", "```yaml\nbaseURL: x\n```"},
		{"~~~go{linenos=true}\nfunc f() {}\n~~~", "~~~go\nfunc f() {}\n~~~"},
		{"  ```sh\nhugo server -D\n  ```", "  ```sh\nhugo server -D\n  ```"},
		{"```\nplain\n```", "```\nplain\n```"},
	} {
		if got := boundCode(tc.in); got != tc.want {
			t.Errorf("boundCode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	long := "```toml {file=\"hugo.toml\"}\n" + strings.Repeat("a = 1\n", 40) + "```"
	if got := boundCode(long); !strings.HasPrefix(got, "```toml\n") || !strings.HasSuffix(got, "…\n```") {
		t.Errorf("a long block cut keeps its attributes or loses its end:\n%s", got)
	}
}

// TestCodeOpenerIsAFence: only a line that opens a code block, as
// chat/markdown reads it, loses its info string's attributes; a first
// line that is code (indented four spaces, or backticks with a backtick
// after them) is shown as written.
func TestCodeOpenerIsAFence(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"    ```yaml {file=\"x\"}\n    a: 1", "    ```yaml {file=\"x\"}\n    a: 1"},
		{"``` a`b {c}\nx", "``` a`b {c}\nx"},
		{"   ~~~~ toml {file=\"x\"}\na = 1\n   ~~~~", "   ~~~~toml\na = 1\n   ~~~~"},
	} {
		if got := boundCode(tc.in); got != tc.want {
			t.Errorf("boundCode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A list item's code block ends with its own fence: a shorter fence inside
// it is code, and one left open ends with the item, not the list.
func TestBlocksReadListCodeAsMarkdown(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		units      []string
	}{
		{"shorter fence inside", "1. Write:\n   ````md\n   ```\n   ````\n2. Run it.",
			[]string{"1. Write:\n   ````md\n   ```\n   ````", "2. Run it."}},
		{"left open", "- Write:\n  ```sh\n  make\n- Run it.",
			[]string{"- Write:\n  ```sh\n  make\n  ```", "- Run it."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bs := blocks(tc.text)
			if len(bs) != 1 || bs[0].kind != blockList {
				t.Fatalf("blocks = %+v, want one list", bs)
			}
			if strings.Join(bs[0].units, "\x00") != strings.Join(tc.units, "\x00") {
				t.Errorf("items\n got %q\nwant %q", bs[0].units, tc.units)
			}
		})
	}
}
