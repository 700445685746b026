package cli

import (
	"bufio"
	"context"
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

// `docent run` with the example config (console and web chat on) and
// /dev/null for input, as systemd and `docker run` without -i start it,
// leaves the console off instead of stopping at once with status 0: the
// web chat serves until Docent is told to stop.
func TestRunAsAServiceWithNoInput(t *testing.T) {
	dir := workdir(t)
	cfg := filepath.Join(dir, "config.example.yaml")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(b), "listen: 127.0.0.1:8080", "listen: 127.0.0.1:0", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "run") // no Stdin: the null device
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DOCENT_CONFIG=", "DOCENT_OPS_LISTEN=127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var log strings.Builder
	web := regexp.MustCompile(`msg="web chat listening".* url=(\S+)`)
	var base string
	for base == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("docent ended before the web chat listened:\n%s", log.String())
			}
			log.WriteString(l + "\n")
			if m := web.FindStringSubmatch(l); m != nil {
				base = m[1]
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no web chat within 30s:\n%s", log.String())
		}
	}
	if !strings.Contains(log.String(), "console off: standard input is "+os.DevNull) {
		t.Errorf("the log does not say why the console is off:\n%s", log.String())
	}
	// Well after the null input ended, the chat still answers.
	time.Sleep(500 * time.Millisecond)
	res, err := http.Get(base)
	if err != nil {
		t.Fatalf("the web chat stopped with the null input: %v\n%s", err, log.String())
	}
	res.Body.Close()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	for l := range lines {
		log.WriteString(l + "\n")
	}
	if err := cmd.Wait(); err != nil || !strings.Contains(log.String(), "docent stopped") {
		t.Errorf("stop: %v\n%s", err, log.String())
	}
}

// TestWebKey: the visitors' cookie key is ${DOCENT_WEB_KEY} when set (the
// same on every replica behind a load balancer), refused when too short,
// and the database's kept key without it.
func TestWebKey(t *testing.T) {
	kept := []byte("kept in the database, 32 bytes..")
	secret := func(_ context.Context, name string) ([]byte, error) {
		if name != "web visitors" {
			t.Errorf("secret %q, want \"web visitors\"", name)
		}
		return kept, nil
	}
	env := func(v string, set bool) func(string) (string, bool) {
		return func(name string) (string, bool) {
			if name != "DOCENT_WEB_KEY" {
				return "", false
			}
			return v, set
		}
	}
	const fromEnv = "3f6c1e0a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e"
	if key, err := webKey(context.Background(), env(fromEnv, true), secret); err != nil || string(key) != fromEnv {
		t.Errorf("with DOCENT_WEB_KEY set: %q, %v; want its value", key, err)
	}
	if key, err := webKey(context.Background(), env("", false), secret); err != nil || string(key) != string(kept) {
		t.Errorf("without DOCENT_WEB_KEY: %q, %v; want the database's key", key, err)
	}
	// Set but empty, as compose's env_file sets "DOCENT_WEB_KEY=": unset.
	if key, err := webKey(context.Background(), env(" ", true), secret); err != nil || string(key) != string(kept) {
		t.Errorf("with DOCENT_WEB_KEY empty: %q, %v; want the database's key", key, err)
	}
	_, err := webKey(context.Background(), env("tooshort", true), secret)
	if err == nil || !strings.Contains(err.Error(), "DOCENT_WEB_KEY is 8 characters long; give it 32 or more") || strings.Contains(err.Error(), "tooshort") {
		t.Errorf("a short DOCENT_WEB_KEY: %v; want an error naming it, not showing it", err)
	}
}
