package knowledge

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/docent-bot/docent/chat"
)

// burstFS is a docs folder where a chat question holds the word its
// answer is about ("parallel", which the answer comes back to) and an
// everyday word ("inside") that one other section happens to use once.
var burstFS = fstest.MapFS{
	"cli.md": {Data: []byte("# Command line\n\n" +
		"## Parallel\n\nWith --parallel the tasks given run in parallel, not one after the other. " +
		"Parallel tasks share the terminal, so their output is prefixed.\n\n" +
		"## Watch\n\nWatch mode runs a task again when its sources change.\n\n" +
		"## Dry run\n\nPrints the commands without running them.\n\n" +
		"## Silent\n\nDoes not print the commands before running them.\n\n" +
		"## Verbose\n\nPrints what the task runner does.\n")},
	"guide.md": {Data: []byte("# Guide\n\n" +
		"## Directory\n\nA task runs in the directory of its Taskfile unless dir says otherwise.\n\n" +
		"## Templates\n\nA variable is written inside the command as {{.NAME}}.\n\n" +
		"## Variables\n\nVariables are set in vars and read in commands.\n\n" +
		"## Dependencies\n\nA task's deps run before it, in parallel.\n\n" +
		"## Output\n\nThe output of the commands goes to the terminal.\n")},
}

func burstIndex(t *testing.T, opts Options) *Index {
	t.Helper()
	ix := New(opts)
	if err := ix.Rebuild(context.Background(), []Folder{{FS: burstFS, Path: ".", BaseURL: "https://x/"}}); err != nil {
		t.Fatal(err)
	}
	return ix
}

// TestBurstiness: the section about what the question is about comes
// first, not the one that happens to share an everyday word with it; and
// the confidence, which leaves burstiness out, is the same with and
// without it.
func TestBurstiness(t *testing.T) {
	const q = "can I run two tasks in parallel inside the command?"
	ix := burstIndex(t, Options{})
	hits := ix.Search(q, 3, chat.Place{})
	if len(hits) == 0 || hits[0].ID != "cli.md#parallel" {
		t.Fatalf("Search(%q) = %v, want cli.md#parallel first", q, ids(hits))
	}
	plain := burstIndex(t, Options{noBurstiness: true})
	for _, h := range plain.Search(q, 5, chat.Place{}) {
		if h.ID != "cli.md#parallel" {
			continue
		}
		if d := h.Confidence - hits[0].Confidence; d > 1e-9 || d < -1e-9 {
			t.Errorf("confidence %v with burstiness, %v without", hits[0].Confidence, h.Confidence)
		}
	}
}

// TestOnePartPerSection: the parts of a long section count as one hit,
// the best part, so that the other hits are other sections.
func TestOnePartPerSection(t *testing.T) {
	body := strings.Repeat("alpha beta gamma delta. ", 10) + "\n\n" + strings.Repeat("alpha epsilon zeta eta. ", 10)
	fsys := fstest.MapFS{
		"long.md":  {Data: []byte("# Long\n" + body)},
		"short.md": {Data: []byte("# Short\n\nalpha and omega.\n")},
	}
	ix := New(Options{MaxPassageBytes: 300})
	if err := ix.Rebuild(context.Background(), []Folder{{FS: fsys, Path: ".", BaseURL: "https://x/"}}); err != nil {
		t.Fatal(err)
	}
	got := ids(ix.Search("alpha epsilon", 3, chat.Place{}))
	if want := "long.md#long~2 short.md#short"; strings.Join(got, " ") != want {
		t.Errorf("Search = %v, want %s", got, want)
	}
}

func ids(hits []Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}
