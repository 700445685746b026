package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/bot/importer"
	"github.com/docent-bot/docent/bot/lessons"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// importHistory imports JSONL lines ({time, channel, author, text}) into
// b's store under the platform "test", as `docent import` does.
func importHistory(t *testing.T, b *Bot, lines ...string) {
	t.Helper()
	in := strings.Join(lines, "\n") + "\n"
	sum, err := importer.ImportJSONL(context.Background(), b.store, "history.jsonl", int64(len(in)), strings.NewReader(in), importer.Options{Platform: "test"})
	if err != nil || sum.Messages != len(lines) {
		t.Fatalf("import: %+v, %v", sum, err)
	}
}

func historyLine(at time.Time, author, text string) string {
	return fmt.Sprintf(`{"time":%q,"channel":"help","author":%q,"text":%q}`, at.Format(time.RFC3339), author, text)
}

// An imported history's threads, answered by members ("nick: …"), are
// past threads like Docent's own answers: after a restart, a nearly
// identical question in the channel gets "Asked before" pointing to the
// imported one, !related lists it, the gaps list the imported question
// nobody answered, and a forgotten replier's thread leaves the index.
func TestImportedHistoryThreads(t *testing.T) {
	path := docsConfig(t, map[string]string{"deploy.md": deployDoc})
	b := openBot(t, path)
	day := time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Minute)
	const (
		question   = "how do I upgrade the helm chart on kubernetes?"
		reply      = "ana: pin the chart version with --version, then run helm upgrade"
		unanswered = "why does the search indexer crash with an OutOfMemoryError at startup?"
	)
	importHistory(t, b,
		historyLine(day, "ana", question),
		historyLine(day.Add(2*time.Minute), "ben", reply),
		historyLine(day.Add(30*time.Minute), "cy", unanswered),
	)
	closeBot(t, b)
	b = openBot(t, path)
	defer func() { closeBot(t, b) }()

	lead := "Asked before in test/help: “" + question + "”"
	asker := chat.Member{ID: "u9", Name: "dee"}
	ask := func(thread, text string) string {
		t.Helper()
		got := bottest.Ask(t, b.Inbox(), chat.Conversation{Platform: "test", Channel: "help", Thread: thread}, asker, text)
		if len(got) != 1 {
			t.Fatalf("%q: %+v", text, got)
		}
		return got[0].Text
	}
	if a := ask("t1", "How do I upgrade the Helm chart on Kubernetes?"); !strings.HasPrefix(a, lead) {
		t.Errorf("the imported question asked again: %q; want it to start with %q", a, lead)
	}
	if a := ask("t2", "!related upgrade the helm chart"); !strings.Contains(a, lead) {
		t.Errorf("!related: %q; want it to list %q", a, lead)
	}
	// Found only in its own place.
	other := bottest.Ask(t, b.Inbox(), chat.Conversation{Platform: "test", Channel: "other"}, asker, "How do I upgrade the Helm chart on Kubernetes?")
	if len(other) != 1 || strings.Contains(other[0].Text, "Asked before") {
		t.Errorf("in another channel: %+v", other)
	}

	clusters, err := b.Module("lessons").(*lessons.Module).Gaps(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var inGaps []string
	for _, c := range clusters {
		for _, q := range c.Questions {
			inGaps = append(inGaps, q.Text)
		}
	}
	if !strings.Contains(strings.Join(inGaps, "\n"), unanswered) || strings.Contains(strings.Join(inGaps, "\n"), question) {
		t.Errorf("gaps %q; want the unanswered imported question, and not the answered one", inGaps)
	}

	if _, err := b.Forget(context.Background(), store.MemberRef{Platform: "test", ID: "ben"}); err != nil {
		t.Fatal(err)
	}
	if a := ask("t3", "How do I upgrade the Helm chart on Kubernetes?"); strings.Contains(a, "Asked before") {
		t.Errorf("after the replier was forgotten: %q", a)
	}
	if a := ask("t4", "!related upgrade the helm chart"); strings.Contains(a, lead) {
		t.Errorf("!related after the replier was forgotten: %q", a)
	}
}
