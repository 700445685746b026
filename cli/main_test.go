package cli

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docent-bot/docent/adapters/console"
	"github.com/docent-bot/docent/brain/tokenize"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/internal/pgtest"
	"github.com/docent-bot/docent/store"
)

// repoRoot is the repository's root: the main package, and the default
// assets it embeds.
const repoRoot = ".."

// binary is the docent command built once for these tests.
var binary string

// testEnv is the environment the binary gives a command, with the
// default assets read from the repository.
func testEnv(stdin io.Reader, stdout, stderr io.Writer) *Env {
	return &Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, Defaults: os.DirFS(repoRoot)}
}

// testCommand is env running the command name, for a test that calls the
// command's function itself.
func testCommand(t *testing.T, env *Env, name string) *Env {
	t.Helper()
	cmd, n, ok := match(Commands(), strings.Fields(name))
	if !ok || n != len(strings.Fields(name)) {
		t.Fatalf("no command %q", name)
	}
	return env.with(Commands(), &cmd)
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "docent-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "docent")
	if out, err := exec.Command("go", "build", "-o", binary, repoRoot).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := pgtest.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// workdir makes a folder holding a copy of the example config, the
// intents, the guide and the example challenges, as a fresh checkout has
// them.
func workdir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	copyFile(t, filepath.Join(repoRoot, "config.example.yaml"), filepath.Join(dir, "config.example.yaml"))
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	for _, folder := range []string{"intents", filepath.Join("docs", "guide"), "challenges"} {
		entries, err := os.ReadDir(filepath.Join(repoRoot, folder))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(dir, folder), 0o755)
		for _, e := range entries {
			copyFile(t, filepath.Join(repoRoot, folder, e.Name()), filepath.Join(dir, folder, e.Name()))
		}
	}
	return dir
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

type result struct {
	stdout, stderr string
	code           int
}

func docent(t *testing.T, dir, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	// A free port for the ops listener, so that the test runs beside anything.
	cmd.Env = append(os.Environ(), "DOCENT_CONFIG=", "DOCENT_OPS_LISTEN=127.0.0.1:0")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

func TestPipedSessionAndHistory(t *testing.T) {
	dir := workdir(t)
	r := docent(t, dir, "hello\nhow do I report a bug?\n你好\nqwerty zxcv\n", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var answers []chat.Answer
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	for dec.More() {
		var a chat.Answer
		if err := dec.Decode(&a); err != nil {
			t.Fatalf("decode %q: %v", r.stdout, err)
		}
		answers = append(answers, a)
	}
	want := []struct {
		source chat.Source
		intent string
	}{{chat.SourceIntent, "greeting"}, {chat.SourceIntent, "report_bug"}, {chat.SourceIntent, "greeting"}, {chat.SourceFallback, ""}}
	if len(answers) != len(want) {
		t.Fatalf("%d answers, want %d:\n%s", len(answers), len(want), r.stdout)
	}
	for i, w := range want {
		if answers[i].Source != w.source || answers[i].Intent != w.intent {
			t.Errorf("answer %d: %s/%s %q, want %s/%s", i+1, answers[i].Source, answers[i].Intent, answers[i].Text, w.source, w.intent)
		}
	}
	if tokenize.Script(answers[2].Text) != "zh" {
		t.Errorf("a Chinese greeting got %q, want a Chinese response", answers[2].Text)
	}
	if !strings.Contains(answers[3].Text, "not sure") {
		t.Errorf("gibberish got %q, want an honest not-sure", answers[3].Text)
	}
	if !strings.Contains(r.stderr, "classifier trained") {
		t.Errorf("first start did not log training:\n%s", r.stderr)
	}

	// A restart loads the model instead of training, and the history has it all.
	r = docent(t, dir, "thanks\n")
	if r.code != 0 || !strings.Contains(r.stderr, "classifier loaded from store") {
		t.Fatalf("second start: exit %d\n%s", r.code, r.stderr)
	}
	h := docent(t, dir, "", "history")
	if h.code != 0 {
		t.Fatalf("history: exit %d\n%s", h.code, h.stderr)
	}
	for _, w := range []string{": hello\n", "[intent greeting", ": how do I report a bug?\n", "[intent report_bug", ": 你好\n", ": qwerty zxcv\n", "[fallback", ": thanks\n", "[intent thanks"} {
		if !strings.Contains(h.stdout, w) {
			t.Errorf("history lacks %q:\n%s", w, h.stdout)
		}
	}
	// From another folder, --config names the database to read.
	if other := docent(t, t.TempDir(), "", "history", "--config", filepath.Join(dir, "config.example.yaml")); other.code != 0 || other.stdout != h.stdout {
		t.Errorf("history --config from elsewhere: exit %d\n%s\n%s", other.code, other.stdout, other.stderr)
	}
	h = docent(t, dir, "", "history", "--json")
	var got []string
	dec = json.NewDecoder(strings.NewReader(h.stdout))
	for dec.More() {
		var rec store.Record
		if err := dec.Decode(&rec); err != nil {
			t.Fatal(err)
		}
		if rec.Kind == store.KindMessage {
			got = append(got, rec.Text)
		} else {
			got = append(got, string(rec.Source)+" "+rec.Intent)
		}
	}
	want2 := "hello|intent greeting|how do I report a bug?|intent report_bug|你好|intent greeting|qwerty zxcv|fallback |thanks|intent thanks"
	if strings.Join(got, "|") != want2 {
		t.Errorf("history --json in chat order:\n%s\nwant\n%s", strings.Join(got, "|"), want2)
	}
}

func TestConfigCheck(t *testing.T) {
	dir := workdir(t)
	if r := docent(t, dir, "", "config", "check", "config.example.yaml"); r.code != 0 || r.stdout != "ok\n" {
		t.Fatalf("example config: exit %d, %q %s", r.code, r.stdout, r.stderr)
	}
	example, _ := os.ReadFile(filepath.Join(dir, "config.example.yaml"))
	bad := strings.Replace(string(example), "  command_prefix:", "  comand_prefix:", 1)
	bad = strings.Replace(bad, "  max_concurrent: 64", "  max_concurrent: lots", 1)
	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o644)
	r := docent(t, dir, "", "config", "check", "bad.yaml")
	if r.code == 0 {
		t.Fatal("a bad config passed the check")
	}
	lineOf := func(s string) int {
		for i, l := range strings.Split(bad, "\n") {
			if strings.HasPrefix(l, s) {
				return i + 1
			}
		}
		t.Fatalf("no line %q", s)
		return 0
	}
	for _, want := range []string{
		fmt.Sprintf("bad.yaml:%d:3: bot: unknown field \"comand_prefix\"; did you mean \"command_prefix\"?", lineOf("  comand_prefix:")),
		fmt.Sprintf("bad.yaml:%d:19: bot.max_concurrent: expected a number, got \"lots\"", lineOf("  max_concurrent:")),
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("check output lacks %q:\n%s", want, r.stdout)
		}
	}
	// docent run refuses it too, before anything starts.
	r = docent(t, dir, "hello\n", "run", "--config", "bad.yaml")
	if r.code != 2 || !strings.Contains(r.stderr, "unknown field") || r.stdout != "" {
		t.Errorf("run with a bad config: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "docent.db")); err == nil {
		t.Error("run with a bad config created the database")
	}
}

// A response template that would loop for minutes is refused by config
// check at once, naming the intent, its file and line and why.
func TestConfigCheckRefusesEndlessTemplates(t *testing.T) {
	dir := workdir(t)
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("intents/spin.yaml", "intents:\n  - name: spin\n    patterns: [spin around]\n    responses:\n      - \"{{range 3000000000}}{{end}}\"\n")
	r := docent(t, dir, "", "config", "check", "config.example.yaml")
	want := `intents/spin.yaml:2: intent "spin": response 1: line 1:8: {{range 3000000000}}: a response may range only over a field of its data, such as .Links`
	if r.code == 0 || !strings.Contains(r.stdout+r.stderr, want) {
		t.Errorf("config check: exit %d, %s%s\nwant it to contain %q", r.code, r.stdout, r.stderr, want)
	}
}

func TestHelp(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"--help"}, {"help"}, {"run", "--help"}, {"history", "-h"}, {"config", "check", "--help"}, {"train", "--help"}, {"version", "--help"}} {
		r := docent(t, dir, "", args...)
		if r.code != 0 || !strings.Contains(r.stdout, "docent") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
	r := docent(t, dir, "", "frobnicate")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, %q", r.code, r.stderr)
	}
}

// The binary runs anywhere: with no config beside it, it uses the built-in
// one, which keeps its database in the user's data folder.
func TestBuiltInDefault(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	r := docent(t, dir, "hello\nhow do I add an intent?\n", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"intent":"greeting"`) {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	// The guide is built in too: the docs answer with its link.
	if !strings.Contains(r.stdout, `"source":"knowledge"`) || !strings.Contains(r.stdout, "docs/guide/intents.md#how-to-add-an-intent") {
		t.Errorf("built-in default did not answer from the built-in guide:\n%s", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(data, "docent", "docent.db")); err != nil {
		t.Errorf("built-in default did not create its database in the data folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
		t.Error("built-in default wrote into the working directory")
	}
	// From another folder, the history is the same.
	if h := docent(t, t.TempDir(), "", "history"); h.code != 0 || !strings.Contains(h.stdout, ": hello") {
		t.Errorf("history from elsewhere: exit %d, %q %s", h.code, h.stdout, h.stderr)
	}
}

// A write that returned survives SIGKILL: start the bot, pipe a burst of
// questions, kill it while answers are still coming, and find every
// question it had answered in the reopened database. (An answer is printed
// only after its question's store write returned, so the answered ones are
// a subset of the acknowledged writes: the ones the test can see.)
func TestSIGKILLKeepsAcknowledgedWrites(t *testing.T) {
	dir := workdir(t)
	cmd := exec.Command(binary, "run", "--json")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DOCENT_CONFIG=", "DOCENT_OPS_LISTEN=127.0.0.1:0")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const burst = 100000
	go func() { // the writer keeps going until the process dies
		defer stdin.Close()
		w := bufio.NewWriter(stdin)
		for i := range burst {
			if ctx.Err() != nil {
				return
			}
			if _, err := fmt.Fprintf(w, "burst question %d how do I report a bug\n", i); err != nil {
				return
			}
			if i%16 == 0 {
				w.Flush()
			}
		}
		w.Flush()
	}()

	acked := map[uint64]string{} // stored ID → the text that was asked
	sc := bufio.NewScanner(stdout)
	n := 0
	killAt := 300
	for sc.Scan() {
		var a chat.Answer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("answer %d: %v: %s", n, err, sc.Text())
		}
		acked[a.ReplyTo] = fmt.Sprintf("burst question %d how do I report a bug", n)
		n++
		if n == killAt {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
	}
	cmd.Wait()
	cancel()
	if n < killAt {
		t.Fatalf("only %d answers before the process ended", n)
	}

	st, err := store.Open(filepath.Join(dir, "data", "docent.db"), store.Options{LockTimeout: 2 * time.Second})
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Fatalf("database inconsistent after SIGKILL: %v", err)
	}
	for id, text := range acked {
		rec, err := st.Record(context.Background(), id)
		if err != nil {
			t.Fatalf("acknowledged message %d (%q) lost: %v", id, text, err)
		}
		if rec.Text != text || rec.Conversation != console.Conversation {
			t.Fatalf("record %d is %q in %s, want %q", id, rec.Text, rec.Conversation, text)
		}
	}
	recs, _ := st.Conversation(context.Background(), console.Conversation, 0)
	t.Logf("%d answers read before and after the kill; %d records in the database", n, len(recs))
}

// SIGTERM in the middle of a burst stops taking messages, answers every
// message it had stored, and exits 0.
func TestSIGTERMDrains(t *testing.T) {
	dir := workdir(t)
	cmd := exec.Command(binary, "run", "--json")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DOCENT_CONFIG=", "DOCENT_OPS_LISTEN=127.0.0.1:0")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		defer stdin.Close()
		w := bufio.NewWriter(stdin)
		for i := 0; ctx.Err() == nil; i++ {
			if _, err := fmt.Fprintf(w, "question %d: how do I install it?\n", i); err != nil {
				return
			}
			if i%8 == 0 {
				w.Flush()
			}
		}
	}()
	sc := bufio.NewScanner(stdout)
	answered := map[uint64]bool{}
	for sc.Scan() {
		var a chat.Answer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("answer line %q: %v", sc.Text(), err)
		}
		answered[a.ReplyTo] = true
		if len(answered) == 50 {
			cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("still running 20s after SIGTERM")
	}
	cancel()
	if !strings.Contains(stderr.String(), "docent stopped") || !strings.Contains(stderr.String(), "store: closed") {
		t.Errorf("no clean stop in the log:\n%s", stderr.String())
	}
	// Every message stored has its answer, stored and printed.
	st, err := store.Open(filepath.Join(dir, "data", "docent.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, _ := st.Conversation(context.Background(), console.Conversation, 0)
	questions, answers := 0, map[uint64]bool{}
	for _, r := range recs {
		if r.Kind == store.KindAnswer {
			answers[r.ReplyTo] = true
		}
	}
	for _, r := range recs {
		if r.Kind != store.KindMessage {
			continue
		}
		questions++
		if !answers[r.ID] || !answered[r.ID] {
			t.Errorf("message %d (%q) stored but its answer stored=%v printed=%v", r.ID, r.Text, answers[r.ID], answered[r.ID])
		}
	}
	t.Logf("%d questions stored, all answered", questions)
}

// Bad input never stops the console: a line of invalid UTF-8 is answered
// (with the bad bytes replaced) and a line over the limit is skipped with
// an error answer, and the lines after them are answered.
func TestBadLinesDoNotStopTheSession(t *testing.T) {
	dir := workdir(t)
	in := "hello\n\xff\xfe how do I report a bug\n" + strings.Repeat("a", 5<<20) + "\nthanks\n"
	r := docent(t, dir, in, "--json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d answers, want 4:\n%s", len(lines), r.stdout)
	}
	for i, want := range []string{`"intent":"greeting"`, `"intent":"report_bug"`, `"source":"error"`, `"intent":"thanks"`} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("answer %d: %s, want %s", i+1, lines[i], want)
		}
	}
	if !strings.Contains(lines[2], "Line 3 is too long") {
		t.Errorf("the long line's answer does not say which line: %s", lines[2])
	}
}

// An admin at the console teaches Docent a question it was unsure of, in
// one piped session; the same question then gets the new intent's answer.
func TestTeachInAPipedSession(t *testing.T) {
	dir := workdir(t)
	q := "how do I rotate the signing keys"
	in := q + "\n!teach new key_rotation Rotate them with `docent keys rotate`.\n!teach key_rotation " + q + "\n" + q + "\n"
	r := docent(t, dir, in, "--json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d answers, want 4:\n%s", len(lines), r.stdout)
	}
	if strings.Contains(lines[0], `"source":"intent"`) {
		t.Errorf("sure before it was taught: %s", lines[0])
	}
	if !strings.Contains(lines[2], "is now a pattern of key_rotation") {
		t.Errorf("teach answered %s", lines[2])
	}
	if !strings.Contains(lines[3], `"intent":"key_rotation"`) || !strings.Contains(lines[3], "docent keys rotate") {
		t.Errorf("after teaching: %s", lines[3])
	}
}

// TestStatsOnGeneratedHistory generates a small history with the bench
// command, then reads it with `docent stats` as a table and as JSON, and
// with `docent gaps`; mistakes get clear errors.
func TestStatsOnGeneratedHistory(t *testing.T) {
	dir := workdir(t)
	db := filepath.Join(t.TempDir(), "history.db")
	r := docent(t, dir, "", "bench", "history", "--messages", "3000", "--days", "20", "--db", db)
	if r.code != 0 || !strings.Contains(r.stdout, "generated 3000 messages") || !strings.Contains(r.stdout, "stats --days 30") {
		t.Fatalf("bench history: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = docent(t, dir, "", "stats", "--db", db, "--days", "30")
	for _, want := range []string{"messages              3000", "Busiest channels", "c-help", "Top helpers", "Answers by source", "Trending", "(read in "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stats lacks %q (exit %d):\n%s%s", want, r.code, r.stdout, r.stderr)
		}
	}
	r = docent(t, dir, "", "stats", "--db", db, "--days", "30", "--platform", "slack", "--json")
	var rep struct {
		Messages int `json:"messages"`
		Channels []struct {
			Platform string `json:"platform"`
		} `json:"busiest_channels"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
		t.Fatalf("stats --json: exit %d, %v\n%s", r.code, err, r.stdout)
	}
	if rep.Messages == 0 || rep.Messages >= 3000 || len(rep.Channels) == 0 || rep.Channels[0].Platform != "slack" {
		t.Errorf("slack only: %+v", rep)
	}
	if r = docent(t, dir, "", "gaps", "--db", db); r.code != 0 || !strings.Contains(r.stdout, "questions Docent could not answer") {
		t.Errorf("gaps: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = docent(t, dir, "", "stats", "--db", filepath.Join(dir, "nope.db")); r.code != 2 || !strings.Contains(r.stderr, "--db") {
		t.Errorf("a missing --db: exit %d, %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "nope.db")); err == nil {
		t.Error("stats created the missing database")
	}
	if r = docent(t, dir, "", "stats", "--days", "0"); r.code != 2 || !strings.Contains(r.stderr, "--days must be") {
		t.Errorf("--days 0: exit %d, %q", r.code, r.stderr)
	}
	if r = docent(t, dir, "", "bench", "history", "--messages", "10", "--db", db); r.code != 2 || !strings.Contains(r.stderr, "exists") {
		t.Errorf("bench history onto an existing file: exit %d, %q", r.code, r.stderr)
	}
}

// TestGeneratedHistoryAsJSONL: bench history --jsonl writes the members'
// messages as a gzipped JSONL history, oldest first, that docent import
// takes whole; it never overwrites a file.
func TestGeneratedHistoryAsJSONL(t *testing.T) {
	dir := workdir(t)
	file := filepath.Join(t.TempDir(), "history.jsonl.gz")
	r := docent(t, dir, "", "bench", "history", "--messages", "500", "--days", "20", "--jsonl", file)
	if r.code != 0 || !strings.Contains(r.stdout, "wrote 500 messages to "+file) {
		t.Fatalf("bench history --jsonl: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var last time.Time
	sc := bufio.NewScanner(zr)
	for n := 1; sc.Scan(); n++ {
		var l struct {
			Time                  time.Time
			Channel, Author, Text string
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Channel == "" || l.Author == "" || l.Text == "" || l.Time.Before(last) {
			t.Fatalf("line %d: %s (%v), after %s", n, sc.Text(), err, last)
		}
		last = l.Time
	}
	db := filepath.Join(t.TempDir(), "imported.db")
	if r = docent(t, dir, "", "import", "--db", db, file); r.code != 0 || !strings.Contains(r.stdout, ": 500 messages") || !strings.Contains(r.stdout, "0 skipped, 0 duplicates") {
		t.Errorf("import of the generated file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = docent(t, dir, "", "bench", "history", "--messages", "10", "--jsonl", file); r.code != 2 || !strings.Contains(r.stderr, file+" exists") {
		t.Errorf("bench history --jsonl onto an existing file: exit %d, %q", r.code, r.stderr)
	}
}

// TestPrivacyCommandsWhileRunning: with Docent running on the console, the
// command line backs the database up and exports and deletes a member
// through the control socket; then, with Docent stopped, the database is
// compacted and the backup restored.
func TestPrivacyCommandsWhileRunning(t *testing.T) {
	dir := workdir(t)
	cmd := exec.Command(binary, "run", "--json")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DOCENT_CONFIG=", "DOCENT_OPS_LISTEN=127.0.0.1:0", "USER=privacytester")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	answers := bufio.NewScanner(stdout)
	ask := func(q string) string {
		t.Helper()
		if _, err := fmt.Fprintln(stdin, q); err != nil {
			t.Fatal(err)
		}
		if !answers.Scan() {
			t.Fatalf("no answer to %q\n%s", q, stderr.String())
		}
		return answers.Text()
	}
	ask("how do I report a bug about my zanzibar plugin?")
	member := consoleMember("").ID

	backup := filepath.Join(t.TempDir(), "backup.db")
	r := docent(t, dir, "", "backup", backup)
	if r.code != 0 || !strings.Contains(r.stdout, "from the running Docent") {
		t.Fatalf("backup while running: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = docent(t, dir, "", "user", "export", "--platform", "console", "--id", member)
	if r.code != 0 || !strings.Contains(r.stdout, "zanzibar plugin") || !strings.Contains(r.stdout, `"answers": [`) {
		t.Fatalf("export while running: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = docent(t, dir, "", "user", "delete", "--platform", "console", "--id", member); r.code != 2 || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("delete without --yes: exit %d, %q", r.code, r.stderr)
	}
	r = docent(t, dir, "", "user", "delete", "--platform", "console", "--id", member, "--yes")
	if r.code != 0 || !strings.Contains(r.stdout, "1 messages, 1 answers") {
		t.Fatalf("delete while running: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Docent goes on answering; then it stops.
	if a := ask("hello"); !strings.Contains(a, `"intent":"greeting"`) {
		t.Errorf("after the delete: %s", a)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, stderr.String())
	}
	if h := docent(t, dir, "", "history"); strings.Contains(h.stdout, "zanzibar") || !strings.Contains(h.stdout, "hello") {
		t.Errorf("history after the delete:\n%s", h.stdout)
	}
	if r = docent(t, dir, "", "compact"); r.code != 0 || !strings.Contains(r.stdout, "compacted") {
		t.Errorf("compact: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "data", "docent.db"))
	if bytes.Contains(raw, []byte("zanzibar")) {
		t.Error("the compacted file still holds the deleted question")
	}
	r = docent(t, dir, "", "restore", backup)
	if r.code != 0 || !strings.Contains(r.stdout, "kept as") {
		t.Fatalf("restore: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if h := docent(t, dir, "", "history"); !strings.Contains(h.stdout, "zanzibar") {
		t.Errorf("history after restoring the backup lacks the question:\n%s", h.stdout)
	}
	if r = docent(t, dir, "", "backup", backup); r.code != 2 || !strings.Contains(r.stderr, "exists") {
		t.Errorf("backup onto an existing file: exit %d, %q", r.code, r.stderr)
	}
}

// TestSIGKILLKeepsSeenAnswers: every answer a member saw is in the
// database after a SIGKILL, the last one included (answers are stored
// before they are sent). Before, the answers were stored after being
// sent, and the last ones seen were missing in most trials.
func TestSIGKILLKeepsSeenAnswers(t *testing.T) {
	for trial := range 3 {
		dir := workdir(t)
		cmd := exec.Command(binary, "run", "--json")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "DOCENT_CONFIG=", "DOCENT_OPS_LISTEN=127.0.0.1:0")
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			defer stdin.Close()
			w := bufio.NewWriter(stdin)
			for i := 0; ctx.Err() == nil; i++ {
				if _, err := fmt.Fprintf(w, "question %d: how do I report a bug\n", i); err != nil {
					return
				}
				if i%8 == 0 {
					w.Flush()
				}
			}
		}()
		var seen []chat.Answer
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var a chat.Answer
			if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
				t.Fatalf("answer %d: %v: %s", len(seen), err, sc.Text())
			}
			seen = append(seen, a)
			if len(seen) == 50+trial*37 {
				cmd.Process.Signal(syscall.SIGKILL)
			}
		}
		cmd.Wait()
		cancel()

		st, err := store.Open(filepath.Join(dir, "data", "docent.db"), store.Options{LockTimeout: 2 * time.Second})
		if err != nil {
			t.Fatalf("trial %d: reopen after SIGKILL: %v", trial, err)
		}
		recs, err := st.Conversation(context.Background(), console.Conversation, 0)
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		stored := map[uint64]string{} // question ID → the answer stored for it
		for _, r := range recs {
			if r.Kind == store.KindAnswer {
				stored[r.ReplyTo] = r.Text
			}
		}
		missing := 0
		for i, a := range seen {
			if text, ok := stored[a.ReplyTo]; !ok || text != a.Text {
				missing++
				t.Errorf("trial %d: answer %d of %d seen (to message %d) is not in the database", trial, i+1, len(seen), a.ReplyTo)
			}
		}
		t.Logf("trial %d: %d answers seen, %d missing", trial, len(seen), missing)
	}
}

// A config with no intents of its own and only some links answers with
// the built-in starter intents it has links for, leaving out the others
// and the responses that need a missing link in one warning line (config
// check and run alike), not a wall of errors.
func TestStarterIntentsWithoutTheirLinks(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	os.MkdirAll(filepath.Join(dir, "docs"), 0o755)
	os.WriteFile(filepath.Join(dir, "docs", "install.md"), []byte("# Install\n\n## Homebrew\n\nRun brew install zebractl to install the zebra controller on macOS.\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "docent.yaml"), []byte(`links:
  issues: https://example.org/issues
  security: https://example.org/security
  docs: https://example.org/docs/
  help_channel: https://example.org/forum
knowledge:
  folders:
    - path: docs
      base_url: https://example.org/docs/
      links: pretty
`), 0o644)
	const warning = "warning: docent.yaml: 10 intents are left out until their links are set (code_of_conduct, events, challenges, sponsor, become_maintainer, contribute, license, roadmap, changelog, release_schedule), and 22 responses of 9 other intents (where_to_ask, good_first_issue, pr_review, ci_failure, request_feature, human_help, install_setup, docs, supported_versions): add changelog, code_of_conduct, contributing, discussions, events, roadmap, source under links:\n"
	r := docent(t, dir, "", "config", "check", "docent.yaml")
	if r.code != 0 || r.stdout != warning+"ok\n" {
		t.Fatalf("config check: exit %d\n%s%s\nwant\n%sok", r.code, r.stdout, r.stderr, warning)
	}

	r = docent(t, dir, "how do I report a bug?\nhow do I install zebractl with homebrew\n", "--config", "docent.yaml", "--json")
	if r.code != 0 {
		t.Fatalf("run: exit %d\n%s", r.code, r.stderr)
	}
	var answers []chat.Answer
	for dec := json.NewDecoder(strings.NewReader(r.stdout)); dec.More(); {
		var a chat.Answer
		if err := dec.Decode(&a); err != nil {
			t.Fatalf("decode %q: %v", r.stdout, err)
		}
		answers = append(answers, a)
	}
	if len(answers) != 2 || answers[0].Intent != "report_bug" || !strings.Contains(answers[0].Text, "https://example.org/issues") ||
		answers[1].Source != chat.SourceKnowledge || !strings.Contains(answers[1].Text, "https://example.org/docs/install#homebrew") {
		t.Errorf("answers:\n%s", r.stdout)
	}
	if n := strings.Count(r.stderr, "left out"); n != 1 || !strings.Contains(r.stderr, `links=changelog,code_of_conduct,contributing,discussions,events,roadmap,source`) {
		t.Errorf("run logged %d lines about intents left out, want one naming the links:\n%s", n, r.stderr)
	}
}
