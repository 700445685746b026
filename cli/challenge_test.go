package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docent-bot/docent/adapters/console"
	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/bot/challenges"
	"github.com/docent-bot/docent/bot/dashboard"
	"github.com/docent-bot/docent/chat"
)

// memberConfig writes a copy of the example config for a console member,
// without the cooldown so that a piped session can answer again at once.
func memberConfig(t *testing.T, dir, member string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(b)
	for old, repl := range map[string]string{"  cooldown: 30s": "  cooldown: 0s", `    member: ""`: `    member: "` + member + `"`} {
		if !strings.Contains(cfg, old) {
			t.Fatalf("the example config has no %q", old)
		}
		cfg = strings.Replace(cfg, old, repl, 1)
	}
	name := member + ".yaml"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

func answersOf(t *testing.T, stdout string) []chat.Answer {
	t.Helper()
	var out []chat.Answer
	dec := json.NewDecoder(strings.NewReader(stdout))
	for dec.More() {
		var a chat.Answer
		if err := dec.Decode(&a); err != nil {
			t.Fatalf("decode %q: %v", stdout, err)
		}
		out = append(out, a)
	}
	return out
}

// TestChallengeInAPipedSession: a member answers the example warm-up
// wrong, then right, and leads the leaderboard; a second member sees the
// board but never the answer: not in the replies, not in `docent
// history`, not in the database file.
func TestChallengeInAPipedSession(t *testing.T) {
	const answer = "233168" // the example warm-up's
	dir := workdir(t)
	alice, bo := memberConfig(t, dir, "alice"), memberConfig(t, dir, "bo")

	r := docent(t, dir, "!challenges\n!submit warm-up 1000\n!submit warm-up "+answer+"\n!leaderboard\n", "--config", alice, "--json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	got := answersOf(t, r.stdout)
	if len(got) != 4 {
		t.Fatalf("%d answers, want 4:\n%s", len(got), r.stdout)
	}
	for i, want := range []string{"**Multiples of 3 or 5** (`warm-up`): easy, 100 points", "❌ Not right: 1 attempt, 9 left.",
		"✅ Right! **Multiples of 3 or 5**: +100 points. You have 100 points in all, rank 1.", "Leaderboard, all time:\n🥇 alice: 100 points, 1 part solved"} {
		if !strings.Contains(got[i].Text, want) {
			t.Errorf("answer %d lacks %q: %q", i+1, want, got[i].Text)
		}
	}
	if !got[1].Ephemeral || !got[2].Ephemeral {
		t.Errorf("the verdicts are not for the member alone: %+v %+v", got[1], got[2])
	}

	r = docent(t, dir, "!leaderboard\n!challenge warm-up\n!mystats\n!submit warm-up 1\n!challenges\n", "--config", bo, "--json")
	got = answersOf(t, r.stdout)
	if r.code != 0 || len(got) != 5 || !strings.Contains(got[0].Text, "🥇 alice: 100 points") || !strings.Contains(got[3].Text, "Not right") {
		t.Fatalf("bo's session: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	h := docent(t, dir, "", "history", "--config", bo)
	hj := docent(t, dir, "", "history", "--config", bo, "--json")
	if h.code != 0 || !strings.Contains(h.stdout, "alice: !submit warm-up [answer hidden]") || !strings.Contains(h.stdout, "bo: !submit warm-up [answer hidden]") {
		t.Errorf("history: exit %d\n%s", h.code, h.stdout)
	}
	db, err := os.ReadFile(filepath.Join(dir, "data", "docent.db"))
	if err != nil {
		t.Fatal(err)
	}
	for what, text := range map[string]string{"bo's replies": r.stdout, "history": h.stdout, "history --json": hj.stdout, "the log": r.stderr, "the database file": string(db)} {
		if strings.Contains(text, answer) {
			t.Errorf("%s holds the answer", what)
		}
	}
	if !bytes.Contains(db, []byte("!submit warm-up [answer hidden]")) {
		t.Error("the database lacks the hidden submission: wrong file?")
	}

	// The same board on the command line, as a table and as CSV.
	lb := docent(t, dir, "", "leaderboard", "--config", bo)
	if lb.code != 0 || !strings.Contains(lb.stdout, "Leaderboard, all time: 1 member") || !strings.Contains(strings.Join(strings.Fields(lb.stdout), " "), "1 alice console 100 1 2 ") {
		t.Errorf("leaderboard: exit %d\n%s%s", lb.code, lb.stdout, lb.stderr)
	}
	csv := docent(t, dir, "", "leaderboard", "--config", bo, "--challenge", "warm-up", "--csv")
	lines := strings.Split(strings.TrimSpace(csv.stdout), "\n")
	if csv.code != 0 || len(lines) != 2 || lines[0] != "rank,platform,member_id,name,points,solved,attempts,last_correct" ||
		!strings.HasPrefix(lines[1], "1,console,console:alice,alice,100,1,2,") {
		t.Errorf("leaderboard --csv: exit %d\n%s%s", csv.code, csv.stdout, csv.stderr)
	}
	if r := docent(t, dir, "", "leaderboard", "--config", bo, "--challenge", "binary-search"); r.code != 0 || !strings.Contains(r.stdout, "Nobody has solved anything yet.") {
		t.Errorf("an unsolved challenge: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, args := range [][]string{{"--season", "spring"}, {"--challenge", "nope"}, {"--challenge", "warm-up", "--season", "x"}, {"extra"}} {
		r := docent(t, dir, "", append([]string{"leaderboard", "--config", bo}, args...)...)
		if r.code != 2 || r.stderr == "" {
			t.Errorf("leaderboard %v: exit %d, stderr %q; want 2 and why", args, r.code, r.stderr)
		}
	}
}

func TestChallengeHashAndTry(t *testing.T) {
	dir := workdir(t)
	r := docent(t, dir, "", "challenge", "hash", "  Forty  TWO ")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "$argon2id$v=19$m=65536,t=3,p=4$") || !strings.Contains(r.stderr, `is compared as "forty two"`) ||
		!strings.Contains(r.stderr, "New salt ") || !strings.Contains(r.stderr, "took") {
		t.Fatalf("challenge hash: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	salt := strings.Split(strings.TrimSpace(r.stdout), "$")[4]
	again := docent(t, dir, "", "challenge", "hash", "--salt", salt, "forty two", "43")
	if lines := strings.Split(strings.TrimSpace(again.stdout), "\n"); again.code != 0 || len(lines) != 2 || lines[0] != strings.TrimSpace(r.stdout) || strings.Contains(again.stderr, "New salt") {
		t.Errorf("the same answer with the same salt: exit %d\n%s%s", again.code, again.stdout, again.stderr)
	}
	tol := docent(t, dir, "", "challenge", "hash", "--tolerance", "0.01", "3.145")
	if tol.code != 0 || !strings.Contains(tol.stderr, "3.145: grid point 315; answers from 3.145 to 3.155 are right") || !strings.Contains(tol.stderr, "warning: 3.145 lies near the edge") {
		t.Errorf("--tolerance: exit %d\n%s", tol.code, tol.stderr)
	}
	for _, args := range [][]string{{"challenge", "hash"}, {"challenge", "hash", "--salt", "short", "x"}, {"challenge", "hash", "--tolerance", "0", "1"},
		{"challenge", "hash", "--tolerance", "0.1", "pi"}, {"challenge"}, {"challenge", "hsah"}} {
		if r := docent(t, dir, "", args...); r.code != 2 || r.stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and why", args, r.code, r.stderr)
		}
	}

	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"warm-up", "233168"}, 0, "right"},
		{[]string{"warm-up", "` 233168 `"}, 0, "right"},
		{[]string{"warm-up", "23"}, 1, "wrong"},
		{[]string{"binary-search", "a", "20.0"}, 0, "right"},
		{[]string{"binary-search", "b", "1.41421"}, 0, "right"},
		{[]string{"binary-search", "b", "1.4143"}, 1, "wrong"},
		{[]string{"binary-search", "b", "one"}, 1, "cannot be checked"},
	} {
		r := docent(t, dir, "", append([]string{"challenge", "try"}, tc.args...)...)
		if r.code != tc.code || !strings.HasPrefix(r.stdout, tc.out) {
			t.Errorf("challenge try %v: exit %d %q %s, want %d %q", tc.args, r.code, r.stdout, r.stderr, tc.code, tc.out)
		}
	}
	for _, args := range [][]string{{"nope", "1"}, {"binary-search", "20"}, {"warm-up"}} {
		if r := docent(t, dir, "", append([]string{"challenge", "try"}, args...)...); r.code != 2 {
			t.Errorf("challenge try %v: exit %d, want 2\n%s", args, r.code, r.stderr)
		}
	}
	for _, args := range [][]string{{"challenge", "hash", "--help"}, {"challenge", "try", "-h"}, {"leaderboard", "--help"}} {
		if r := docent(t, dir, "", args...); r.code != 0 || !strings.Contains(r.stdout, "Usage: docent "+strings.Join(args[:len(args)-1], " ")) {
			t.Errorf("%v: exit %d, %q", args, r.code, r.stdout)
		}
	}
}

// The binary runs the example challenges with no files beside it.
func TestBuiltInChallenges(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	r := docent(t, dir, "!challenges\n!challenge binary-search\n", "--json")
	got := answersOf(t, r.stdout)
	if r.code != 0 || len(got) != 2 || !strings.Contains(got[0].Text, "`warm-up`") || !strings.Contains(got[1].Text, "**Part b** (50 points): Newton's method") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if c := docent(t, dir, "", "config", "check"); c.code != 0 || c.stdout != "ok\n" {
		t.Errorf("config check of the built-in config: exit %d %q", c.code, c.stdout)
	}
}

// The dashboard's challenges page shows the leaderboards.
func TestDashboardShowsTheLeaderboards(t *testing.T) {
	dir := workdir(t)
	// A challenge hashed at the cheapest cost allowed: the examples' cost
	// takes seconds under the race detector.
	quick := "id: quick\ntitle: Quick\ndifficulty: easy\nstart: 2026-01-01\nend: 2099-01-01\nstatement: Say hi.\nanswers:\n  - " +
		challenges.Hash("hi", []byte("quick-salt"), challenges.MinParams()) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "challenges", "quick.yaml"), []byte(quick), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := bot.LoadConfig(filepath.Join(dir, memberConfig(t, dir, "alice")))
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.Open(context.Background(), cfg, bot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	alice := chat.Member{ID: "console:alice", Name: "alice"}
	if got := bottest.Ask(t, b.Inbox(), console.Conversation, alice, "!submit quick hi"); len(got) != 1 || !strings.Contains(got[0].Text, "Right!") {
		t.Fatalf("submit: %+v", got)
	}
	dash, err := dashboard.New(b, dashboard.Options{Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	dash.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/admin/challenges", nil))
	body := rec.Body.String()
	for _, want := range []string{"All time", "Quick (quick)", "Multiples of 3 or 5 (warm-up)", "easy, 100 points, open until", "alice (console)", "rank 1, 1 solved, 1 attempt, last right"} {
		if !strings.Contains(body, want) {
			t.Errorf("the challenges page lacks %q (status %d):\n%s", want, rec.Code, body)
		}
	}
	if strings.Contains(body, ">hi<") {
		t.Error("the challenges page shows the answer")
	}
}
