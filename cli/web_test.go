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
// console's input is open, and exits when the input ends.
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
	cmd.Env = append(os.Environ(), "DOCENT_CONFIG=")
	stdin, _ := cmd.StdinPipe()
	stderr, pw := io.Pipe()
	defer pw.Close() // ends the log reader below
	cmd.Stderr = pw
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	url := make(chan string, 1)
	logs := make(chan string, 1)
	go func() {
		var all strings.Builder
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`msg="web chat listening".* url=(\S+)`)
		for sc.Scan() {
			all.WriteString(sc.Text() + "\n")
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				url <- m[1]
			}
		}
		logs <- all.String()
	}()
	var base string
	select {
	case base = <-url:
	case <-time.After(30 * time.Second):
		t.Fatal("no \"web chat listening\" line within 30s")
	}
	for _, p := range []string{"healthz", "readyz", "", "admin/"} {
		res, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET /%s: %s", p, res.Status)
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
	if _, err := http.Get(base + "healthz"); err == nil {
		t.Error("the web chat still answers after Docent stopped")
	}
}
