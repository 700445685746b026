package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// A release build stamps its version, commit and time with -ldflags -X,
// even with -buildvcs=false (as .ci/run builds): docent version shows
// them, with the Go that built it.
func TestVersionStampedByLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "docent")
	ldflags := "-X " + stampPackage + ".version=v9.8.7" +
		" -X " + stampPackage + ".commit=0123456789abcdef0123456789abcdef01234567" +
		" -X " + stampPackage + ".modified=true" +
		" -X " + stampPackage + ".buildTime=2026-12-04T10:11:12Z"
	cmd := exec.Command("go", "build", "-buildvcs=false", "-trimpath", "-ldflags", ldflags, "-o", bin, repoRoot)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("docent version: %v\n%s", err, out)
	}
	want := "docent v9.8.7\n" +
		"commit:  0123456789abcdef0123456789abcdef01234567 (modified: built with uncommitted changes)\n" +
		"built:   2026-12-04T10:11:12Z\n" +
		"go:      " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	if string(out) != want {
		t.Errorf("docent version:\n%s\nwant:\n%s", out, want)
	}
}

// What Go recorded of the checkout shows when nothing is stamped; a
// stamped value wins over it, and a stamped commit other than the
// recorded one takes the recorded time and modified flag away with it.
func TestVersionFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.27.3", Main: debug.Module{Version: "v0.0.0-20261204133941-e22a8853c263+dirty"},
		Settings: []debug.BuildSetting{
			{Key: "-buildmode", Value: "exe"},
			{Key: "vcs.revision", Value: "e22a8853c26380baeb52356e7298a384ded984e3"},
			{Key: "vcs.time", Value: "2026-12-04T13:39:41Z"},
			{Key: "vcs.modified", Value: "true"},
		}}
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		s    stamp
		want Build
	}{
		{"recorded only", bi, stamp{}, Build{Version: "v0.0.0-20261204133941-e22a8853c263+dirty", Commit: "e22a8853c26380baeb52356e7298a384ded984e3",
			Modified: true, CommitTime: "2026-12-04T13:39:41Z", Go: "go1.27.3"}},
		{"stamped version and time", bi, stamp{version: "v1.2.3", time: "2026-12-05T00:00:00Z"}, Build{Version: "v1.2.3",
			Commit: "e22a8853c26380baeb52356e7298a384ded984e3", Modified: true, CommitTime: "2026-12-04T13:39:41Z", Built: "2026-12-05T00:00:00Z", Go: "go1.27.3"}},
		{"stamped clean", bi, stamp{commit: "e22a8853c26380baeb52356e7298a384ded984e3", modified: "false"}, Build{Version: "v0.0.0-20261204133941-e22a8853c263+dirty",
			Commit: "e22a8853c26380baeb52356e7298a384ded984e3", CommitTime: "2026-12-04T13:39:41Z", Go: "go1.27.3"}},
		{"stamped other commit", bi, stamp{commit: "ffff"}, Build{Version: "v0.0.0-20261204133941-e22a8853c263+dirty", Commit: "ffff", Go: "go1.27.3"}},
		{"no build info, nothing stamped", nil, stamp{}, Build{Version: "dev", Go: runtime.Version()}},
		{"-buildvcs=false", &debug.BuildInfo{GoVersion: "go1.27.3", Main: debug.Module{Version: "(devel)"}}, stamp{}, Build{Version: "dev", Go: "go1.27.3"}},
	} {
		got := describe(tc.bi, tc.s)
		tc.want.Platform = runtime.GOOS + "/" + runtime.GOARCH
		if got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
	var out strings.Builder
	describe(nil, stamp{}).write(&out)
	if !strings.Contains(out.String(), "commit:  unknown (built with -buildvcs=false") || !strings.Contains(out.String(), "built:   unknown (not stamped)") {
		t.Errorf("nothing known:\n%s\nwant the commit and time said unknown, and why", out.String())
	}
}
