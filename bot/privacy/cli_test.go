package privacy_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/bot/challenges"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/cli"
	"github.com/docent-bot/docent/store"
)

// docent runs the command line in-process, with the repository's
// defaults, and returns its exit code and streams.
func docent(args ...string) (code int, stdout, stderr string) {
	var out, errb strings.Builder
	env := &cli.Env{Stdout: &out, Stderr: &errb, Defaults: os.DirFS(filepath.Join("..", ".."))}
	code = env.Run(cli.Commands(), args)
	return code, out.String(), errb.String()
}

// With no Docent running, `docent user export` prints everything stored
// about a member (a module's part too) or writes it to --out, and `docent
// user delete` deletes it only with --yes and says what it deleted. (With
// Docent running they go through its control socket: the command line's
// TestPrivacyCommandsWhileRunning.)
func TestUserExportAndDelete(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "docent.yaml")
	if err := os.WriteFile(cfgFile, []byte("store:\n  path: docent.db\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := bot.LoadConfig(cfgFile, bot.WithStarterIntents(os.DirFS(filepath.Join("..", "..")), "intents"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := bot.OpenStore(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ann := chat.Member{ID: "u1", Name: "ann"}
	for i, m := range []chat.Message{
		{ID: "1", Conversation: chat.Conversation{Platform: "console", Channel: "general"}, Author: ann, Text: "how do I report a bug about my zanzibar plugin?", Time: time.Now()},
		{ID: "2", Conversation: chat.Conversation{Platform: "console", Channel: "general"}, Author: chat.Member{ID: "u2", Name: "bo"}, Text: "hello", Time: time.Now()},
	} {
		if _, err := st.AppendMessage(ctx, m); err != nil {
			t.Fatal(i, err)
		}
	}
	if _, err := challenges.NewRecords(st).Submit(ctx, challenges.Submission{Platform: "console", Member: ann, Challenge: "c1", Time: time.Now(), Correct: true, Points: 10},
		challenges.SubmitLimits{}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	if code, _, stderr := docent("user", "export", "--config", cfgFile, "--platform", "console"); code != 2 || !strings.Contains(stderr, "docent user export: give the member with --platform and --id") {
		t.Errorf("export without --id: exit %d, %q", code, stderr)
	}
	code, stdout, stderr := docent("user", "export", "--config", cfgFile, "--platform", "console", "--id", "u1")
	var data struct {
		Member   struct{ Platform, ID string }
		Messages []struct{ Text string }
		Subs     []struct{ Challenge string } `json:"challenge_submissions"`
	}
	if err := json.Unmarshal([]byte(stdout), &data); code != 0 || err != nil || !strings.HasSuffix(stdout, "}\n") || !strings.HasPrefix(stdout, "{\n  \"member\"") {
		t.Fatalf("export: exit %d, %v\n%s%s", code, err, stdout, stderr)
	}
	if data.Member.ID != "u1" || len(data.Messages) != 1 || !strings.Contains(data.Messages[0].Text, "zanzibar") || len(data.Subs) != 1 || data.Subs[0].Challenge != "c1" {
		t.Errorf("export: %+v", data)
	}
	out := filepath.Join(dir, "ann.json")
	if code, _, stderr := docent("user", "export", "--config", cfgFile, "--platform", "console", "--id", "u1", "--out", out); code != 0 || !strings.Contains(stderr, "wrote console:u1's data to "+out) {
		t.Errorf("export --out: exit %d, %q", code, stderr)
	}
	if written, _ := os.ReadFile(out); string(written) != stdout {
		t.Errorf("export --out wrote %q; want what export printed", written)
	}

	if code, _, stderr := docent("user", "delete", "--config", cfgFile, "--platform", "console", "--id", "u1"); code != 2 || !strings.Contains(stderr, "add --yes to do it") {
		t.Errorf("delete without --yes: exit %d, %q", code, stderr)
	}
	code, stdout, stderr = docent("user", "delete", "--config", cfgFile, "--platform", "console", "--id", "u1", "--yes")
	if want := "deleted console:u1: 1 messages, 0 answers to them, 0 votes, 0 days of LLM usage, 3 attention figures, 1 challenge submissions, 1 questions and replies in threads, 1 recommendation records, 0 routing records; 0 lessons no longer name them;"; code != 0 || !strings.HasPrefix(stdout, want) || !strings.Contains(stdout, "docent compact") {
		t.Errorf("delete: exit %d\n%s%s\nwant it to begin %q", code, stdout, stderr, want)
	}
	if _, stdout, _ := docent("user", "export", "--config", cfgFile, "--platform", "console", "--id", "u1"); strings.Contains(stdout, "zanzibar") || strings.Contains(stdout, "challenge_submissions") {
		t.Errorf("export after the delete:\n%s", stdout)
	}
	if _, stdout, _ := docent("user", "export", "--config", cfgFile, "--platform", "console", "--id", "u2"); !strings.Contains(stdout, "hello") {
		t.Errorf("another member's messages went too:\n%s", stdout)
	}
}

// `docent user export` shows a member's reactions on others' imported
// messages (and those on their own), and `docent user delete` takes them
// off, saying how many, while the messages and others' reactions stay.
func TestUserExportAndDeleteReactions(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "docent.yaml")
	if err := os.WriteFile(cfgFile, []byte("store:\n  path: docent.db\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := bot.LoadConfig(cfgFile, bot.WithStarterIntents(os.DirFS(filepath.Join("..", "..")), "intents"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := bot.OpenStore(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := chat.Conversation{Platform: "slack", Channel: "C01", Thread: "1761987660.000200"}
	at := time.Date(2025, 11, 1, 9, 1, 0, 0, time.UTC)
	if _, err := st.Import(ctx, []store.Record{
		{Kind: store.KindMessage, Conversation: c, Time: at, Author: chat.Member{ID: "U01", Name: "Ada"}, Text: "how do I reset the intent model?",
			PlatformID: "1761987660.000200", Reactions: []store.Reaction{{Emoji: "eyes", Count: 1, Members: []string{"U02"}}}},
		{Kind: store.KindMessage, Conversation: c, Time: at.Add(time.Minute), Author: chat.Member{ID: "U02", Name: "Grace"}, Text: "docent train",
			PlatformID: "1761987720.000300", Reactions: []store.Reaction{{Emoji: "+1", Count: 2, Members: []string{"U01", "U03"}}}},
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	code, stdout, stderr := docent("user", "export", "--config", cfgFile, "--platform", "slack", "--id", "U01")
	var data struct {
		Messages []struct {
			Text      string
			Reactions []store.Reaction
		}
		Reactions []struct {
			PlatformID string `json:"platform_id"`
			Emoji      string
		}
	}
	if err := json.Unmarshal([]byte(stdout), &data); code != 0 || err != nil {
		t.Fatalf("export: exit %d, %v\n%s%s", code, err, stdout, stderr)
	}
	if len(data.Messages) != 1 || len(data.Messages[0].Reactions) != 1 || data.Messages[0].Reactions[0].Emoji != "eyes" {
		t.Errorf("export's messages: %+v, want theirs with its reaction", data.Messages)
	}
	if len(data.Reactions) != 1 || data.Reactions[0].PlatformID != "1761987720.000300" || data.Reactions[0].Emoji != "+1" {
		t.Errorf("export's reactions: %+v, want their +1 on Grace's message", data.Reactions)
	}
	code, stdout, stderr = docent("user", "delete", "--config", cfgFile, "--platform", "slack", "--id", "U01", "--yes")
	if want := "deleted slack:U01: 1 messages, 0 answers to them, 0 votes, 1 reactions on others' messages,"; code != 0 || !strings.HasPrefix(stdout, want) {
		t.Errorf("delete: exit %d\n%s%s\nwant it to begin %q", code, stdout, stderr, want)
	}
	code, stdout, _ = docent("user", "export", "--config", cfgFile, "--platform", "slack", "--id", "U02")
	if code != 0 || !strings.Contains(stdout, `"emoji": "+1",
          "count": 1,
          "members": [
            "U03"
          ]`) {
		t.Errorf("Grace's export after Ada's delete, want her message with U03's reaction only:\n%s", stdout)
	}
}
