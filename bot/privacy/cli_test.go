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
	if want := "deleted console:u1: 1 messages, 0 answers to them, 0 votes, 0 days of LLM usage, 1 challenge submissions, 0 routing records; 0 lessons no longer name them;"; code != 0 || !strings.HasPrefix(stdout, want) || !strings.Contains(stdout, "docent compact") {
		t.Errorf("delete: exit %d\n%s%s\nwant it to begin %q", code, stdout, stderr, want)
	}
	if _, stdout, _ := docent("user", "export", "--config", cfgFile, "--platform", "console", "--id", "u1"); strings.Contains(stdout, "zanzibar") || strings.Contains(stdout, "challenge_submissions") {
		t.Errorf("export after the delete:\n%s", stdout)
	}
	if _, stdout, _ := docent("user", "export", "--config", cfgFile, "--platform", "console", "--id", "u2"); !strings.Contains(stdout, "hello") {
		t.Errorf("another member's messages went too:\n%s", stdout)
	}
}
