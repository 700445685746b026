package bot

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/brain/knowledge"
	"github.com/docent-bot/docent/chat"
)

const (
	upgradeQuestion = "how do I upgrade the helm chart on kubernetes"
	upgradeReply    = "Pin the chart version with --version and run helm upgrade [1]."
)

func thread(name string) chat.Conversation {
	return chat.Conversation{Platform: "test", Channel: "help", Thread: name}
}

// The same question asked again in another thread of the channel gets
// "Asked before in <thread>" ahead of its answer, pointing to where it was
// first answered; a reworded one does too, a different one, one asked in
// the same thread or in another channel does not. After a restart too.
func TestAskedBefore(t *testing.T) {
	fake := &fakeLLM{reply: upgradeReply}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	path := llmConfig(t, srv.URL, "  model: test-model\n  timeout: 3s\n  max_retries: 0\n", "deploy.md", deployDoc)
	b := openBot(t, path)
	bo := chat.Member{ID: "u2", Name: "bo"}
	ask := func(conv chat.Conversation, text string) chat.Answer {
		t.Helper()
		got := bottest.Ask(t, b.Inbox(), conv, bo, text)
		if len(got) != 1 {
			t.Fatalf("%q in %s: %+v", text, conv, got)
		}
		return got[0]
	}
	if a := ask(thread("t1"), upgradeQuestion); a.Source != chat.SourceLLM || strings.Contains(a.Text, "Asked before") {
		t.Fatalf("first answer %s %q", a.Source, a.Text)
	}
	lead := "Asked before in test/help/t1: “" + upgradeQuestion + "”\n\n"
	if a := ask(thread("t2"), upgradeQuestion); a.Source != chat.SourceLLM || !strings.HasPrefix(a.Text, lead+upgradeReply) {
		t.Errorf("the same question in another thread: %s %q", a.Source, a.Text)
	}
	for _, tc := range []struct {
		conv chat.Conversation
		text string
		lead bool
	}{
		{thread("t3"), "How do I upgrade the Helm chart on Kubernetes?", true},
		{thread("t4"), "how can I upgrade the helm chart on kubernetes", true},
		{thread("t5"), "how do I uninstall docent from kubernetes", false},
		{thread("t1"), upgradeQuestion, false}, // the thread it was asked in
		{chat.Conversation{Platform: "test", Channel: "other"}, upgradeQuestion, false},
		{chat.Conversation{Platform: "discord", Channel: "help", Thread: "t1"}, upgradeQuestion, false},
	} {
		a := ask(tc.conv, tc.text)
		if got := strings.HasPrefix(a.Text, lead); got != tc.lead {
			t.Errorf("%q in %s: %q; want the lead pointing to t1: %v", tc.text, tc.conv, a.Text, tc.lead)
		}
		if !tc.lead && strings.HasPrefix(a.Text, "Asked before") {
			t.Errorf("%q in %s points to another thread: %q", tc.text, tc.conv, a.Text)
		}
	}
	// The answers kept for the search do not repeat the lead.
	for _, h := range b.knowledge.Search(upgradeQuestion, 10, chat.Place{Platform: "test", Channel: "help"}) {
		if h.Source == knowledge.SourceThread && strings.Contains(h.Text, "Asked before") {
			t.Errorf("thread %s indexed with the lead: %q", h.ID, h.Text)
		}
	}

	closeBot(t, b)
	b = openBot(t, path)
	defer func() { closeBot(t, b) }()
	if a := ask(thread("t6"), upgradeQuestion); !strings.HasPrefix(a.Text, lead) {
		t.Errorf("after a restart: %q", a.Text)
	}
	for _, h := range b.knowledge.Search(upgradeQuestion, 10, chat.Place{Platform: "test", Channel: "help"}) {
		if h.Source == knowledge.SourceThread && strings.Contains(h.Text, "Asked before") {
			t.Errorf("after a restart, thread %s indexed with the lead: %q", h.ID, h.Text)
		}
	}

	// With the LLM down the docs answer lists the thread: the lead does not
	// repeat it.
	fake.mu.Lock()
	fake.status = 503
	fake.mu.Unlock()
	a := ask(thread("t7"), upgradeQuestion)
	if a.Source != chat.SourceKnowledge || strings.Count(a.Text, "Asked before in test/help/t1") != 1 {
		t.Errorf("docs answer: %s %q; want the thread listed once", a.Source, a.Text)
	}
}

// A question in Chinese is told in Chinese.
func TestAskedBeforeInChinese(t *testing.T) {
	fake := &fakeLLM{reply: "用 helm upgrade [1]。"}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	path := llmConfig(t, srv.URL, "  model: test-model\n  timeout: 3s\n", "升级.md", "# 部署\n\n## 升级\n\n用 `helm upgrade` 升级 Kubernetes 上的 chart。\n")
	b := openBot(t, path)
	defer closeBot(t, b)
	zh := "怎么升级 kubernetes 上的 helm chart"
	if a := bottest.Ask(t, b.Inbox(), thread("zh1"), alice, zh); len(a) != 1 || a[0].Source != chat.SourceLLM {
		t.Fatalf("%q: %+v", zh, a)
	}
	if a := bottest.Ask(t, b.Inbox(), thread("zh2"), alice, zh); len(a) != 1 || !strings.HasPrefix(a[0].Text, "之前在 test/help/zh1 问过：“"+zh+"”\n\n用 helm upgrade [1]。") {
		t.Errorf("%q asked again: %+v", zh, a)
	}
}

// knowledge.duplicate_similarity: 0 turns it off; 1 leaves only the very
// same words.
func TestAskedBeforeSetting(t *testing.T) {
	for _, tc := range []struct {
		setting        string
		same, reworded bool
	}{
		{"0", false, false},
		{"1", true, false},
	} {
		t.Run(tc.setting, func(t *testing.T) {
			fake := &fakeLLM{reply: upgradeReply}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			path := llmConfig(t, srv.URL, "  model: test-model\n  timeout: 3s\n", "deploy.md", deployDoc)
			write(t, path, strings.Replace(mustRead(t, path), "knowledge:\n", "knowledge:\n  duplicate_similarity: "+tc.setting+"\n", 1))
			b := openBot(t, path)
			defer closeBot(t, b)
			bottest.Ask(t, b.Inbox(), thread("t1"), alice, upgradeQuestion)
			for text, want := range map[string]bool{upgradeQuestion + "?": tc.same, "how can I upgrade the helm chart on kubernetes": tc.reworded} {
				a := bottest.Ask(t, b.Inbox(), thread(text), alice, text)
				if got := strings.HasPrefix(a[0].Text, "Asked before in test/help/t1"); got != want {
					t.Errorf("%q: %q; lead %v, want %v", text, a[0].Text, got, want)
				}
			}
		})
	}
	path := writeConfig(t, "knowledge:\n  duplicate_similarity: 1.5\n")
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), "knowledge.duplicate_similarity: must be between 0 and 1, got 1.5") {
		t.Errorf("duplicate_similarity 1.5: %v", err)
	}
}

// Where the answer is streamed, the drafts carry the lead too, so the
// final edit does not make the text jump.
func TestAskedBeforeStreamed(t *testing.T) {
	srv := httptest.NewServer(streamingLLM([]string{"Pin the chart ", "version [1]."}, 150*time.Millisecond))
	defer srv.Close()
	b := openBot(t, llmConfig(t, srv.URL, "  model: test-model\n  timeout: 5s\n  stream_interval: 100ms\n", "deploy.md", deployDoc))
	defer closeBot(t, b)
	first := bottest.NewEditingRecorder()
	if err := b.Inbox().Deliver(context.Background(), chat.Message{Conversation: thread("t1"), Author: alice, Text: upgradeQuestion}, first); err != nil {
		t.Fatal(err)
	}
	first.Wait(t)
	r := bottest.NewEditingRecorder()
	if err := b.Inbox().Deliver(context.Background(), chat.Message{Conversation: thread("t2"), Author: alice, Text: upgradeQuestion}, r); err != nil {
		t.Fatal(err)
	}
	replies, edits := r.Wait(t), r.Edits()
	lead := "Asked before in test/help/t1: “" + upgradeQuestion + "”\n\n"
	if len(replies) != 1 || !replies[0].Draft || !strings.HasPrefix(replies[0].Text, lead) || len(edits) == 0 {
		t.Fatalf("replies %+v, edits %+v; want a draft with the lead", replies, edits)
	}
	for _, e := range edits {
		if !strings.HasPrefix(e.Answer.Text, lead) {
			t.Errorf("an edit without the lead: %q", e.Answer.Text)
		}
	}
	if final := edits[len(edits)-1].Answer; final.Draft || !strings.HasPrefix(final.Text, lead+"Pin the chart version [1].") {
		t.Errorf("final %+v", final)
	}
}

// !related lists earlier threads of the same channel, from any of its
// threads, and none from another channel.
func TestRelatedThreads(t *testing.T) {
	fake := &fakeLLM{reply: upgradeReply}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	b := openBot(t, llmConfig(t, srv.URL, "  model: test-model\n  timeout: 3s\n", "deploy.md", deployDoc))
	defer closeBot(t, b)
	bottest.Ask(t, b.Inbox(), thread("t1"), alice, upgradeQuestion)
	want := "Asked before in test/help/t1: “" + upgradeQuestion + "”"
	for conv, listed := range map[chat.Conversation]bool{
		thread("t1"):                                       true,
		thread("t2"):                                       true,
		{Platform: "test", Channel: "help"}:                true,
		{Platform: "test", Channel: "other"}:               false,
		{Platform: "slack", Channel: "help", Thread: "t1"}: false,
	} {
		a := bottest.Ask(t, b.Inbox(), conv, alice, "!related upgrade the helm chart")
		if len(a) != 1 || !strings.HasPrefix(a[0].Text, "Related:") {
			t.Fatalf("!related in %s: %+v", conv, a)
		}
		if got := strings.Contains(a[0].Text, want); got != listed {
			t.Errorf("!related in %s: %q; earlier thread listed %v, want %v", conv, a[0].Text, got, listed)
		}
	}
}

func TestWithoutLead(t *testing.T) {
	for in, want := range map[string]string{
		"Asked before in test/help/t1: “q”\n\nThe answer.\n\nMore.": "The answer.\n\nMore.",
		"之前在 test/help/t1 问过：“q”\n\n答案。":                            "答案。",
		"The answer.\n\nAsked before in x: “q”":                     "The answer.\n\nAsked before in x: “q”",
		"Asked before in x, without a paragraph after":              "Asked before in x, without a paragraph after",
	} {
		if got := chat.WithoutLead(in); got != want {
			t.Errorf("chat.WithoutLead(%q) = %q, want %q", in, got, want)
		}
	}
}

// The example config documents the setting with its default.
func TestExampleConfigDuplicateSimilarity(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Knowledge.DuplicateSimilarity != knowledge.DefaultDuplicateSimilarity || Defaults().Knowledge.DuplicateSimilarity != knowledge.DefaultDuplicateSimilarity {
		t.Errorf("duplicate_similarity %v in the example, %v by default; want %v", cfg.Knowledge.DuplicateSimilarity, Defaults().Knowledge.DuplicateSimilarity, knowledge.DefaultDuplicateSimilarity)
	}
	if !strings.Contains(mustRead(t, filepath.Join("..", "config.example.yaml")), "  duplicate_similarity: 0.7         # default: 0.7\n") {
		t.Error("config.example.yaml does not show duplicate_similarity's default")
	}
}
