package main

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The release of this machine's platform is a static binary whose
// docent version shows the stamped version and time, listed with its
// true sum in SHA256SUMS.
func TestReleaseStampsAndSums(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	if runtime.GOOS != "linux" {
		t.Skip("runs the linux binary")
	}
	out := t.TempDir()
	t.Setenv("SOURCE_DATE_EPOCH", "1764806400") // 2025-12-04T00:00:00Z
	target := runtime.GOOS + "/" + runtime.GOARCH
	var log strings.Builder
	if err := run([]string{"-version", "v9.9.9-rc1", "-targets", target, "-out", out, "-pkg", "../.."}, &log, &log); err != nil {
		t.Fatalf("release: %v\n%s", err, log.String())
	}
	name := "docent_v9.9.9-rc1_" + runtime.GOOS + "_" + runtime.GOARCH
	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, name))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if want := hex.EncodeToString(sum[:]) + "  " + name + "\n"; string(sums) != want {
		t.Errorf("SHA256SUMS:\n%s\nwant:\n%s", sums, want)
	}
	// Static: no interpreter (PT_INTERP) to load it, so it runs FROM scratch.
	if strings.Contains(string(b[:min(len(b), 4096)]), "ld-linux") {
		t.Errorf("%s asks for the dynamic loader: not a static binary", name)
	}
	v, err := exec.Command(filepath.Join(out, name), "version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s version: %v\n%s", name, err, v)
	}
	for _, want := range []string{"docent v9.9.9-rc1\n", "built:   2025-12-04T00:00:00Z\n", "go:      " + runtime.Version() + " " + target + "\n"} {
		if !strings.Contains(string(v), want) {
			t.Errorf("%s version:\n%s\nwant %q", name, v, want)
		}
	}
}

// Bad options are refused with what is wrong, before anything is built.
func TestReleaseRefusesBadOptions(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-version", "v1 2", "-out", t.TempDir()}, `-version "v1 2": a version is one word`},
		{[]string{"-version", "v1", "-targets", "linux", "-out", t.TempDir()}, `-targets: "linux" is not GOOS/GOARCH`},
		{[]string{"-version", "v1", "-targets", "plan9/amd64", "-out", t.TempDir()}, `-targets: "plan9/amd64": Docent is released for linux, darwin, windows`},
		{[]string{"-version", "v1", "extra"}, `unexpected argument "extra"`},
	} {
		err := run(tc.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("release %s: %v, want %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}
