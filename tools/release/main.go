// Command release cross-builds Docent's release binaries: static
// (CGO_ENABLED=0), without the build machine's paths (-trimpath), for
// linux, darwin and windows on amd64 and arm64, with the version, the
// commit and the build time stamped into `docent version`, into a folder
// with their SHA256SUMS. It needs only Go (and git for the commit), so it
// runs wherever Docent builds:
//
//	go run ./tools/release -version v1.2.3
//	go run ./tools/release -version v1.2.3 -targets linux/amd64,linux/arm64 -out dist
//
// The time stamped is $SOURCE_DATE_EPOCH when set (a reproducible build),
// else now.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// stampPackage is where `docent version` reads its stamped values.
const stampPackage = "github.com/docent-bot/docent/cli"

// defaultTargets are the platforms a release is built for.
const defaultTargets = "linux/amd64,linux/arm64,darwin/amd64,darwin/arm64,windows/amd64,windows/arm64"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	fs.SetOutput(stderr)
	version := fs.String("version", "", "the version to stamp, such as v1.2.3 (default: git describe --tags --always --dirty)")
	out := fs.String("out", "dist", "the `folder` to write the binaries and SHA256SUMS into")
	targets := fs.String("targets", defaultTargets, "the `GOOS/GOARCH,...` to build for")
	pkg := fs.String("pkg", ".", "the main package to build (the repository's root)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; the options are -version, -out, -targets, -pkg", fs.Arg(0))
	}
	if *version == "" {
		v, err := git(*pkg, "describe", "--tags", "--always", "--dirty")
		if err != nil {
			return fmt.Errorf("no -version given and git cannot describe the checkout: %w", err)
		}
		*version = v
	}
	if strings.ContainsAny(*version, " \t\n'\"/\\") {
		return fmt.Errorf("-version %q: a version is one word, such as v1.2.3", *version)
	}
	platforms, err := parseTargets(*targets)
	if err != nil {
		return err
	}
	built, err := buildTime()
	if err != nil {
		return err
	}
	// The commit and whether the tree was modified, when git knows.
	commit, _ := git(*pkg, "rev-parse", "HEAD")
	modified := ""
	if commit != "" {
		status, err := git(*pkg, "status", "--porcelain", "--untracked-files=no")
		if err == nil {
			modified = strconv.FormatBool(status != "")
		}
	}
	ldflags := fmt.Sprintf("-s -w -X %[1]s.version=%[2]s -X %[1]s.buildTime=%[3]s", stampPackage, *version, built.Format(time.RFC3339))
	if commit != "" {
		ldflags += fmt.Sprintf(" -X %s.commit=%s", stampPackage, commit)
	}
	if modified != "" {
		ldflags += fmt.Sprintf(" -X %s.modified=%s", stampPackage, modified)
	}

	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	var sums bytes.Buffer
	for _, p := range platforms {
		name := fmt.Sprintf("docent_%s_%s_%s", *version, p.os, p.arch)
		if p.os == "windows" {
			name += ".exe"
		}
		start := time.Now()
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", filepath.Join(*out, name), *pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.os, "GOARCH="+p.arch)
		cmd.Stdout, cmd.Stderr = stderr, stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build %s/%s: %w", p.os, p.arch, err)
		}
		sum, size, err := sha256File(filepath.Join(*out, name))
		if err != nil {
			return err
		}
		fmt.Fprintf(&sums, "%s  %s\n", sum, name)
		fmt.Fprintf(stdout, "%-40s %5.1f MB  %s\n", name, float64(size)/(1<<20), time.Since(start).Round(100*time.Millisecond))
	}
	if err := os.WriteFile(filepath.Join(*out, "SHA256SUMS"), sums.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d binaries of docent %s and their SHA256SUMS\n", *out, len(platforms), *version)
	return nil
}

type platform struct{ os, arch string }

// supported are the systems Docent is released for.
var supported = []string{"linux", "darwin", "windows"}

func parseTargets(s string) ([]platform, error) {
	var out []platform
	for t := range strings.SplitSeq(s, ",") {
		t = strings.TrimSpace(t)
		goos, goarch, ok := strings.Cut(t, "/")
		if !ok || goos == "" || goarch == "" {
			return nil, fmt.Errorf("-targets: %q is not GOOS/GOARCH, such as linux/amd64", t)
		}
		if !slices.Contains(supported, goos) {
			return nil, fmt.Errorf("-targets: %q: Docent is released for %s", t, strings.Join(supported, ", "))
		}
		out = append(out, platform{goos, goarch})
	}
	return out, nil
}

// buildTime is $SOURCE_DATE_EPOCH when set, else now, in UTC.
func buildTime() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Now().UTC().Truncate(time.Second), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("$SOURCE_DATE_EPOCH %q: want seconds since 1970", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		return "", errors.Join(err, errors.New(strings.TrimSpace(errb.String())))
	}
	return strings.TrimSpace(string(out)), nil
}

func sha256File(path string) (sum string, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	size, err = io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}
