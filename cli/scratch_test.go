package cli

import (
	"archive/zip"
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestStaticBinaryAsInAContainerFromScratch: the static binary that the
// container image holds runs with an empty environment (no HOME, no USER,
// no PATH), in an empty folder, with a temporary folder that does not
// exist (FROM scratch has no /tmp) and, when the test can, as a user with
// no name (USER 65532, which /etc/passwd lacks): it answers, a Slack
// export goes into it through the control socket, docent backup copies
// its database, and it writes nothing outside the volume's folder.
func TestStaticBinaryAsInAContainerFromScratch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	// Folders another user can reach (t.TempDir's are 0700 and root's).
	base, err := os.MkdirTemp("", "docent-scratch-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	bin := filepath.Join(base, "docent")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, repoRoot)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	vol, cwd := filepath.Join(base, "data"), filepath.Join(base, "work")
	config := filepath.Join(vol, "config.yaml")
	export := filepath.Join(base, "workspace.zip")
	writeSlackExport(t, export)
	for _, d := range []string{vol, cwd} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(config, []byte("store:\n  path: "+filepath.Join(vol, "docent.db")+"\nops:\n  listen: 127.0.0.1:0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	var cred *syscall.Credential
	if os.Getuid() == 0 {
		cred = &syscall.Credential{Uid: 65532, Gid: 65532}
		for _, d := range []string{vol, cwd} {
			if err := os.Chown(d, 65532, 65532); err != nil {
				t.Fatal(err)
			}
		}
	}
	env := []string{"TMPDIR=" + filepath.Join(base, "no-tmp")}
	command := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = cwd, env
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		return cmd
	}
	run := func(args ...string) (string, error) {
		out, err := command(args...).CombinedOutput()
		return string(out), err
	}

	docentRun := command("run", "--json", "--config", config)
	stdin, _ := docentRun.StdinPipe()
	stdout, _ := docentRun.StdoutPipe()
	var log strings.Builder
	docentRun.Stderr = &log
	if err := docentRun.Start(); err != nil {
		t.Fatal(err)
	}
	defer docentRun.Process.Kill()
	stdin.Write([]byte("hello\n"))
	answers := bufio.NewScanner(stdout)
	if !answers.Scan() || !strings.Contains(answers.Text(), `"intent":"greeting"`) {
		stdin.Close()
		docentRun.Wait()
		t.Fatalf("no greeting from docent run: %q\n%s", answers.Text(), log.String())
	}
	if out, err := run("import", "--config", config, export); err != nil || !strings.Contains(out, "importing through it") || !strings.Contains(out, "1 messages, 1 members, 1 channels") {
		t.Errorf("docent import of a Slack export through the running Docent: %v\n%s", err, out)
	}
	backup := filepath.Join(vol, "backup.db")
	if out, err := run("backup", "--config", config, backup); err != nil {
		t.Errorf("docent backup while Docent runs: %v\n%s", err, out)
	}
	if out, err := run("version"); err != nil || !strings.HasPrefix(out, "docent ") {
		t.Errorf("docent version: %v\n%s", err, out)
	}
	stdin.Close()
	if err := docentRun.Wait(); err != nil {
		t.Fatalf("docent run: %v\n%s", err, log.String())
	}
	if out, err := run("history", "--config", config, "--db", backup, "--platform", "slack", "--channel", "C01", "--thread", "1761987660.000200"); err != nil || !strings.Contains(out, "zanzibar model") {
		t.Errorf("the backup's history lacks the imported thread: %v\n%s", err, out)
	}
	if entries, _ := os.ReadDir(cwd); len(entries) > 0 {
		t.Errorf("docent wrote %s into the folder it was started in, outside its volume", entries[0].Name())
	}
	var left []string
	if entries, err := os.ReadDir(vol); err == nil {
		for _, e := range entries {
			left = append(left, e.Name())
		}
	}
	if want := []string{"backup.db", "config.yaml", "docent.db"}; !slices.Equal(left, want) {
		t.Errorf("the volume holds %v, want %v (no leftover)", left, want)
	}
}

// writeSlackExport writes a Slack export of one message as a zip.
func writeSlackExport(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, body := range map[string]string{
		"channels.json":           `[{"id": "C01", "name": "general"}]`,
		"users.json":              `[{"id": "U01", "name": "ada", "profile": {"display_name": "Ada"}}]`,
		"general/2026-11-01.json": `[{"type": "message", "user": "U01", "text": "how do I reset the zanzibar model?", "ts": "1761987660.000200"}]`,
	} {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	if err := errors.Join(zw.Close(), f.Close()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
}
