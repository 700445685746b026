package bot

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/brain/knowledge"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// deployGuide has two sections about deploying on Kubernetes: the first
// answers "deploy on kubernetes with helm" best, the second nearly as well.
const deployGuide = "# Deploying\n\n" +
	"## Kubernetes\n\nDeploy Docent on Kubernetes with the helm chart: `helm install docent ./chart`.\n\n" +
	"## Docker\n\nDeploy Docent with Docker: `docker run docent`. On Kubernetes, the helm chart is easier.\n"

const (
	kubernetesLink = "https://example.org/docs/deploy.md#kubernetes"
	dockerLink     = "https://example.org/docs/deploy.md#docker"
)

// A 👎 on an answer from the docs makes the passages it showed rank lower
// for the next member, also after a restart; taking the vote back lifts it.
// (With results: 1 the answer shows only the best passage, so the runner-up,
// which it did not show, comes first once it is voted down.)
func TestDownvotedPassagesRankLower(t *testing.T) {
	path := writeConfig(t, "knowledge:\n  results: 1\n  folders:\n    - path: docs\n      base_url: https://example.org/docs/\n")
	dir := filepath.Join(filepath.Dir(path), "docs")
	os.MkdirAll(dir, 0o755)
	write(t, filepath.Join(dir, "deploy.md"), deployGuide)
	b := openBot(t, path)
	const q = "how do I deploy on kubernetes with helm"
	ask := func(conv chat.Conversation) (chat.Answer, chat.Sent) {
		t.Helper()
		r := bottest.NewRecorder()
		if err := b.Inbox().Deliver(context.Background(), chat.Message{Conversation: conv, Author: alice, Text: q}, r); err != nil {
			t.Fatal(err)
		}
		got := r.Wait(t)
		if len(got) != 1 || got[0].Source != chat.SourceKnowledge {
			t.Fatalf("answers %+v, want one from the docs", got)
		}
		return got[0], r.Sent()[0]
	}
	vote := func(conv chat.Conversation, sent chat.Sent, member string, v chat.Vote) {
		t.Helper()
		if err := b.Inbox().(chat.FeedbackInbox).Feedback(context.Background(), chat.Feedback{Conversation: conv, AnswerID: sent.ID, Member: chat.Member{ID: member}, Vote: v}); err != nil {
			t.Fatal(err)
		}
	}
	// first is the link of the passage an answer lists first.
	first := func(when string) string {
		t.Helper()
		a, _ := ask(chat.Conversation{Platform: "test", Channel: "check"})
		for _, l := range []string{kubernetesLink, dockerLink} {
			if strings.Contains(a.Text, "("+l+")") {
				return l
			}
		}
		t.Fatalf("%s: neither section in %q", when, a.Text)
		return ""
	}
	penalty := func(link string) float64 {
		t.Helper()
		ps := b.knowledge.Passages(func(p knowledge.Passage) bool { return p.Link == link })
		if len(ps) != 1 {
			t.Fatalf("passages linked %s: %+v", link, ps)
		}
		return b.knowledge.Penalty(ps[0].ID)
	}

	conv := chat.Conversation{Platform: "test", Channel: "help"}
	_, sent := ask(conv)
	if got := first("before any vote"); got != kubernetesLink {
		t.Fatalf("before any vote %s comes first; the test needs the Kubernetes section", got)
	}
	vote(conv, sent, "u2", chat.VoteDown)
	if got := first("after a 👎"); got != dockerLink {
		t.Errorf("after a 👎 on the Kubernetes answer, %s comes first", got)
	}
	if p, q := penalty(kubernetesLink), penalty(dockerLink); p != knowledge.DownvotePenalty(1) || q != 1 {
		t.Errorf("penalties %v and %v, want %v for the section shown and none for the other", p, q, knowledge.DownvotePenalty(1))
	}

	closeBot(t, b)
	b = openBot(t, path)
	defer func() { closeBot(t, b) }()
	if got := first("after a restart"); got != dockerLink {
		t.Errorf("after a restart, %s comes first", got)
	}

	// More 👎 on the same answer count once; taking them all back lifts it.
	vote(conv, sent, "u3", chat.VoteDown)
	vote(conv, sent, "u2", chat.VoteNone)
	if p := penalty(kubernetesLink); p != knowledge.DownvotePenalty(1) {
		t.Errorf("with another member's 👎 instead: penalty %v, want %v", p, knowledge.DownvotePenalty(1))
	}
	vote(conv, sent, "u3", chat.VoteUp)
	if got, p := first("with the 👎 taken back"), penalty(kubernetesLink); got != kubernetesLink || p != 1 {
		t.Errorf("with the 👎 taken back, %s comes first, penalty %v", got, p)
	}
	// A 👎 that goes with a forgotten member goes from the ranking too.
	_, sent2 := ask(conv)
	vote(conv, sent2, "leaver", chat.VoteDown)
	if p := penalty(kubernetesLink); p != knowledge.DownvotePenalty(1) {
		t.Fatalf("after the leaver's 👎: penalty %v", p)
	}
	if _, err := b.Forget(context.Background(), store.MemberRef{Platform: "test", ID: "leaver"}); err != nil {
		t.Fatal(err)
	}
	if got, p := first("with the leaver forgotten"), penalty(kubernetesLink); got != kubernetesLink || p != 1 {
		t.Errorf("with the leaver forgotten, %s comes first, penalty %v", got, p)
	}
	// A 👎 on an answer that showed no docs (a greeting) changes nothing.
	r := bottest.NewRecorder()
	b.Inbox().Deliver(context.Background(), chat.Message{Conversation: conv, Author: alice, Text: "hello"}, r)
	if a := r.Wait(t); a[0].Source != chat.SourceIntent {
		t.Fatalf("hello: %+v", a)
	}
	vote(conv, r.Sent()[0], "u2", chat.VoteDown)
	if counts, err := b.store.PassageDownvotes(context.Background()); err != nil || len(counts) != 0 {
		t.Errorf("after a 👎 on a greeting: %v, %v", counts, err)
	}
}

// A 👎 on an LLM answer penalises the passages it cited, not those it was
// sent and left out.
func TestDownvotedLLMSources(t *testing.T) {
	fake := &fakeLLM{reply: "Use the helm chart [1]."}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	b := openBot(t, llmConfig(t, srv.URL, "  model: test-model\n  timeout: 3s\n", "deploy.md", deployGuide))
	defer closeBot(t, b)
	conv := chat.Conversation{Platform: "test", Channel: "llm"}
	r := bottest.NewRecorder()
	if err := b.Inbox().Deliver(context.Background(), chat.Message{Conversation: conv, Author: alice, Text: "how do I deploy on kubernetes with helm"}, r); err != nil {
		t.Fatal(err)
	}
	a := r.Wait(t)
	if len(a) != 1 || a[0].Source != chat.SourceLLM || !strings.Contains(a[0].Text, "<"+kubernetesLink+">") || strings.Contains(a[0].Text, dockerLink) {
		t.Fatalf("answer %+v, want the LLM citing the Kubernetes section only", a)
	}
	fake.mu.Lock()
	sentBoth := strings.Contains(fake.requests[0], "docker run docent")
	fake.mu.Unlock()
	if !sentBoth {
		t.Fatal("the LLM was not sent the Docker section; the test needs it sent and not cited")
	}
	if err := b.Inbox().(chat.FeedbackInbox).Feedback(context.Background(), chat.Feedback{Conversation: conv, AnswerID: r.Sent()[0].ID, Member: chat.Member{ID: "u2"}, Vote: chat.VoteDown}); err != nil {
		t.Fatal(err)
	}
	penalties := map[string]float64{}
	for _, p := range b.knowledge.Passages(func(p knowledge.Passage) bool { return p.Source == knowledge.SourceDocs }) {
		penalties[p.Link] = b.knowledge.Penalty(p.ID)
	}
	if penalties[kubernetesLink] != knowledge.DownvotePenalty(1) || penalties[dockerLink] != 1 {
		t.Errorf("penalties %v, want the cited section's only", penalties)
	}
}
