package cli

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// `docent run` with the example config serves the web chat while the
// console's input is open, and exits when the input ends. Health,
// readiness and the dashboard are on the ops listener, not the chat's.
func TestRunServesWebUntilConsoleEnds(t *testing.T) {
	dir := workdir(t)
	cfg := filepath.Join(dir, "config.example.yaml")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// A free port instead of 8080, so that the test runs beside anything.
	patched := strings.Replace(string(b), "listen: 127.0.0.1:8080", "listen: 127.0.0.1:0", 1)
	if patched == string(b) {
		t.Fatal("config.example.yaml does not set adapters.web.listen: 127.0.0.1:8080")
	}
	if err := os.WriteFile(cfg, []byte(patched), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "run", "--json")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DOCENT_CONFIG=", "DOCENT_OPS_LISTEN=127.0.0.1:0")
	stdin, _ := cmd.StdinPipe()
	stderr, pw := io.Pipe()
	defer pw.Close() // ends the log reader below
	cmd.Stderr = pw
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	url, opsURL := make(chan string, 1), make(chan string, 1)
	logs := make(chan string, 1)
	go func() {
		var all strings.Builder
		sc := bufio.NewScanner(stderr)
		web := regexp.MustCompile(`msg="web chat listening".* url=(\S+)`)
		ops := regexp.MustCompile(`msg="ops listening".* url=(\S+)`)
		for sc.Scan() {
			all.WriteString(sc.Text() + "\n")
			if m := web.FindStringSubmatch(sc.Text()); m != nil {
				url <- m[1]
			}
			if m := ops.FindStringSubmatch(sc.Text()); m != nil {
				opsURL <- m[1]
			}
		}
		logs <- all.String()
	}()
	var base, opsBase string
	for _, l := range []struct {
		msg string
		to  *string
		c   chan string
	}{{"ops listening", &opsBase, opsURL}, {"web chat listening", &base, url}} {
		select {
		case *l.to = <-l.c:
		case <-time.After(30 * time.Second):
			t.Fatalf("no %q line within 30s", l.msg)
		}
	}
	for u, want := range map[string]int{
		base: http.StatusOK, base + "admin/": http.StatusNotFound, base + "metrics": http.StatusNotFound,
		opsBase + "healthz": http.StatusOK, opsBase + "readyz": http.StatusOK, opsBase + "admin/": http.StatusOK, opsBase + "metrics": http.StatusOK,
	} {
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s: %s, want %d", u, res.Status, want)
		}
	}
	stdin.Close() // the console's input ends: Docent stops, web chat and all
	done := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		pw.Close()
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, <-logs)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("still running 20s after the console's input ended")
	}
	if l := <-logs; !strings.Contains(l, "docent stopped") {
		t.Errorf("no clean stop in the log:\n%s", l)
	}
	for _, u := range []string{base, opsBase + "healthz"} {
		if _, err := http.Get(u); err == nil {
			t.Errorf("%s still answers after Docent stopped", u)
		}
	}
}
