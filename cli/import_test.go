package cli

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestImportCommand: `docent import` stores a JSONL history in the
// configured database, once however often it runs; `docent stats` counts
// it; an imported member is forgotten with `docent user delete --platform
// irc`; and with a Docent running on the database, the import goes
// through it, with the same progress marks as offline.
func TestImportCommand(t *testing.T) {
	dir := workdir(t)
	at := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Minute).Format(time.RFC3339)
	line := func(author, text string) string {
		return fmt.Sprintf(`{"time": %q, "channel": "#duraspace", "author": %q, "text": %q, "kind": "message"}`, at, author, text)
	}
	history := filepath.Join(t.TempDir(), "history.jsonl")
	lines := []string{
		line("tdonohue", "how do I reindex zanzibar?"),
		line("mwood", "tdonohue: run the zanzibar indexer"),
		`{"time": "never"}`,
		line("mwood", "and restart tomcat"),
	}
	if err := os.WriteFile(history, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := docent(t, dir, "", "import", history)
	if r.code != 0 || !strings.Contains(r.stdout, "3 messages, 2 members, 1 channels; 1 skipped, 0 duplicates") ||
		!strings.Contains(r.stderr, "history.jsonl:3: skipped") {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = docent(t, dir, "", "import", history); r.code != 0 || !strings.Contains(r.stdout, ": 0 messages") {
		t.Fatalf("import again: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = docent(t, dir, "", "stats", "--days", "7"); !strings.Contains(r.stdout, "messages              3\n") || !strings.Contains(r.stdout, "#duraspace") {
		t.Errorf("stats after the import (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}
	// An old history's window ends on its last day (--to), not today.
	last := time.Now().UTC().Add(-48 * time.Hour).Format(time.DateOnly)
	if r = docent(t, dir, "", "stats", "--days", "1", "--to", last); !strings.Contains(r.stdout, "messages              3\n") || !strings.Contains(r.stdout, "to "+last) {
		t.Errorf("stats --to %s (exit %d):\n%s%s", last, r.code, r.stdout, r.stderr)
	}
	// A window that misses the history says where it is; --all shows it.
	span := "The stored history spans " + last + " to " + last + " (1 day); --all shows all of it"
	if r = docent(t, dir, "", "stats", "--days", "1"); !strings.Contains(r.stdout, "messages              0\n") || !strings.Contains(r.stdout, span) {
		t.Errorf("stats of today alone (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = docent(t, dir, "", "stats", "--all"); !strings.Contains(r.stdout, "messages              3\n") || !strings.Contains(r.stdout, "Activity "+last+" to "+last+" (1 day,") ||
		strings.Contains(r.stdout, "stored history spans") {
		t.Errorf("stats --all (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = docent(t, dir, "", "stats", "--all", "--days", "7"); r.code != 2 || !strings.Contains(r.stderr, "--all is the whole history; it takes no --days") {
		t.Errorf("stats --all --days 7: exit %d\n%s", r.code, r.stderr)
	}
	if r = docent(t, dir, "", "stats", "--to", "25/07/2018"); r.code != 2 || !strings.Contains(r.stderr, `--to "25/07/2018" is not a date`) {
		t.Errorf("stats --to 25/07/2018: exit %d\n%s", r.code, r.stderr)
	}
	if r = docent(t, dir, "", "user", "delete", "--platform", "irc", "--id", "mwood", "--yes"); r.code != 0 || !strings.Contains(r.stdout, "2 messages") {
		t.Fatalf("user delete: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = docent(t, dir, "", "history", "--platform", "irc", "--channel", "#duraspace"); strings.Contains(r.stdout, "tomcat") || !strings.Contains(r.stdout, "how do I reindex zanzibar?") {
		t.Errorf("history after forgetting mwood (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}

	// A running Docent holds the database: the import says so.
	cmd := exec.Command(binary, "run", "--json")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DOCENT_CONFIG=", "DOCENT_OPS_LISTEN=127.0.0.1:0")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	fmt.Fprintln(stdin, "hello")
	if !bufio.NewScanner(stdout).Scan() { // answered: it has the database open
		t.Fatal("no answer from the running Docent")
	}
	other := filepath.Join(t.TempDir(), "other.jsonl")
	later := strings.Replace(line("newcomer", "anyone here?"), at, time.Now().UTC().Add(-24*time.Hour).Truncate(time.Minute).Format(time.RFC3339), 1)
	os.WriteFile(other, []byte(later+"\n"+`{"time": "never"}`+"\n"), 0o644)
	if r = docent(t, dir, "", "import", other); r.code != 0 || !strings.Contains(r.stderr, "a running Docent has the database open; importing through it") ||
		!strings.Contains(r.stdout, "other.jsonl: 1 messages, 1 members, 1 channels; 1 skipped") || !strings.Contains(r.stderr, "other.jsonl:2: skipped: time:") {
		t.Errorf("import through a running Docent: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The same progress mark as offline: again, nothing new.
	if r = docent(t, dir, "", "import", other); r.code != 0 || !strings.Contains(r.stdout, "other.jsonl: 0 messages") {
		t.Errorf("import through a running Docent again: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if r = docent(t, dir, "", "history", "--platform", "irc", "--channel", "#duraspace"); strings.Count(r.stdout, "anyone here") != 1 {
		t.Errorf("the history lacks the message imported through the running Docent, or has it twice:\n%s", r.stdout)
	}
	if r = docent(t, dir, "", "import", other); r.code != 0 || !strings.Contains(r.stdout, "other.jsonl: 0 messages") {
		t.Errorf("import offline after the import through Docent: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestImportDiscordExport: a .json file is read as a DiscordChatExporter
// export, its messages stored under platform discord.
func TestImportDiscordExport(t *testing.T) {
	dir := workdir(t)
	export := filepath.Join(t.TempDir(), "help.json")
	copyFile(t, filepath.Join(repoRoot, "bot", "importer", "testdata", "discord-channel.json"), export)
	r := docent(t, dir, "", "import", export)
	if r.code != 0 || !strings.Contains(r.stdout, "5 messages, 4 members, 1 channels; 1 skipped") || !strings.Contains(r.stdout, "1 not members' messages") {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = docent(t, dir, "", "history", "--platform", "discord", "--channel", "810000000000000100")
	if !strings.Contains(r.stdout, "how do I reset the intent model?") || !strings.Contains(r.stdout, "Release 2.1 is out.") {
		t.Errorf("history of the imported channel (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestImportSlackExport: a .zip file is read as a Slack workspace export.
func TestImportSlackExport(t *testing.T) {
	dir := workdir(t)
	export := filepath.Join(t.TempDir(), "workspace.zip")
	writeSlackExport(t, export)
	r := docent(t, dir, "", "import", export)
	if r.code != 0 || !strings.Contains(r.stdout, "1 messages, 1 members, 1 channels; 0 skipped") {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = docent(t, dir, "", "history", "--platform", "slack", "--channel", "C01", "--thread", "1761987660.000200")
	if !strings.Contains(r.stdout, "zanzibar model") {
		t.Errorf("history of the imported thread (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestImportKilledMidwayResumes: `docent import` killed with SIGKILL in
// the middle of a file (no chance to clean up: the kernel ends it between
// any two instructions) leaves a database that opens, holding whole
// batches only; importing the same file again says how many lines it
// found committed and stores the rest: every message exactly once.
func TestImportKilledMidwayResumes(t *testing.T) {
	dir := workdir(t)
	const lines = 100_000
	history := filepath.Join(t.TempDir(), "big.jsonl")
	var b strings.Builder
	start := time.Now().UTC().Add(-90 * 24 * time.Hour).Truncate(time.Second)
	for i := range lines {
		fmt.Fprintf(&b, `{"time": %q, "channel": "#c%d", "author": "m%d", "text": "message %d about the zanzibar indexer"}`+"\n",
			start.Add(time.Duration(i)*time.Second).Format(time.RFC3339), i%7, i%311, i)
	}
	if err := os.WriteFile(history, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "data", "docent.db")

	cmd := exec.Command(binary, "import", "--batch", "500", history)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DOCENT_CONFIG=", "DOCENT_OPS_LISTEN=127.0.0.1:0")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Midway: once the file holds a few megabytes, several batches were
	// committed, and many lines are still to read.
	const midway = 4 << 20
	for killed := false; !killed; {
		select {
		case err := <-exited:
			t.Fatalf("the import ended (%v) before the file reached %d bytes, with %d lines to import:\n%s", err, midway, lines, out.String())
		case <-time.After(5 * time.Millisecond):
		}
		if fi, err := os.Stat(db); err == nil && fi.Size() >= midway {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
			killed = true
		}
	}
	if err := <-exited; err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("the import was not killed (%v):\n%s", err, out.String())
	}

	r := docent(t, dir, "", "import", "--batch", "500", history)
	var stored, dups, resumed int
	if _, err := fmt.Sscanf(r.stdout[strings.Index(r.stdout, ": ")+2:], "%d messages, 311 members, 7 channels; 0 skipped, %d duplicates, %d resumed", &stored, &dups, &resumed); err != nil || r.code != 0 {
		t.Fatalf("import again: %v; exit %d\n%s%s", err, r.code, r.stdout, r.stderr)
	}
	t.Logf("killed at %d bytes; the import again: %d lines committed before the kill, %d stored now", midway, resumed, stored)
	if resumed == 0 || resumed%500 != 0 || resumed >= lines || dups != 0 || stored+resumed != lines {
		t.Errorf("import again: %d stored, %d resumed, %d duplicates; want whole batches of 500 resumed, some but not all of %d lines, the rest stored, none twice", stored, resumed, dups, lines)
	}
	if r = docent(t, dir, "", "stats", "--all"); !strings.Contains(r.stdout, fmt.Sprintf("messages              %d\n", lines)) {
		t.Errorf("stats --all after the resumed import, want %d messages (exit %d):\n%s%s", lines, r.code, r.stdout, r.stderr)
	}
	if r = docent(t, dir, "", "import", history); !strings.Contains(r.stdout, ": 0 messages") {
		t.Errorf("a third import (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}
}
