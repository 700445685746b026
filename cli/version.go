package cli

import (
	"cmp"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strconv"
)

// versionCommands print the version and the help.
func versionCommands() []Command {
	return []Command{
		{Name: "version", Group: "Run", Args: "", Summary: "print the version, the commit it was built from (and whether its tree was modified), when, and with which Go",
			Help: "print the version, the commit it was built from (and whether its tree was modified), when, and with which Go.\n" +
				"A release build's stamped values (go run ./tools/release, or go build -ldflags \"-X " + stampPackage + ".version=v1.2.3 ...\") win over\n" +
				"what Go recorded of the checkout (vcs.revision, vcs.time, vcs.modified), which a build with -buildvcs=false lacks.",
			Run: (*Env).version},
		{Name: "help", Group: "Run", Args: "[COMMAND]", Summary: "list the commands, or show one's usage and options", Run: (*Env).help},
	}
}

// stampPackage is where a release build stamps its values with -ldflags -X.
const stampPackage = "github.com/docent-bot/docent/cli"

// The values a release build stamps (-ldflags "-X
// github.com/docent-bot/docent/cli.version=v1.2.3 ..."): a build with
// -buildvcs=false (as .ci/run does) records no checkout, and a tag is
// known only to whoever builds the release. Empty means not stamped.
var (
	version   string // v1.2.3
	commit    string // the full revision
	modified  string // "true" when built from a tree with uncommitted changes
	buildTime string // RFC 3339, UTC
)

// Build is what a binary knows of how it was built.
type Build struct {
	Version  string // "v1.2.3", a pseudo-version, or "dev"
	Commit   string // "" when unknown
	Modified bool   // the tree had uncommitted changes
	// CommitTime is the commit's time (vcs.time); Built is the stamped
	// build time, which Go does not record (builds are reproducible).
	// "" when unknown.
	CommitTime, Built string
	Go                string // go1.27.3
	Platform          string // linux/amd64
}

// stamp is the values a release build stamped; empty ones were not.
type stamp struct{ version, commit, modified, time string }

// buildOf is this binary's build: the stamped values where there are
// some, else those Go recorded.
func buildOf() Build {
	bi, _ := debug.ReadBuildInfo()
	return describe(bi, stamp{version, commit, modified, buildTime})
}

// describe merges the stamped values s with the build info bi (nil when
// the binary has none): each stamped value wins over the recorded one.
func describe(bi *debug.BuildInfo, s stamp) Build {
	b := Build{Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	var vcsModified string
	if bi != nil {
		b.Go = cmp.Or(bi.GoVersion, b.Go)
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			b.Version = v
		}
		for _, kv := range bi.Settings {
			switch kv.Key {
			case "vcs.revision":
				b.Commit = kv.Value
			case "vcs.time":
				b.CommitTime = kv.Value
			case "vcs.modified":
				vcsModified = kv.Value
			}
		}
	}
	if s.commit != "" && s.commit != b.Commit {
		// What Go recorded is of another checkout than the stamped commit.
		b.CommitTime, vcsModified = "", ""
	}
	b.Version = cmp.Or(s.version, b.Version, "dev")
	b.Commit = cmp.Or(s.commit, b.Commit)
	b.Built = s.time
	b.Modified, _ = strconv.ParseBool(cmp.Or(s.modified, vcsModified))
	return b
}

func (c *Env) version(args []string) int {
	fs := c.Flags()
	if code, done := c.Parse(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(c.Stderr, "docent version: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	buildOf().write(c.Stdout)
	return exitOK
}

// write prints b as docent version shows it.
func (b Build) write(w io.Writer) {
	fmt.Fprintf(w, "docent %s\n", b.Version)
	commit := cmp.Or(b.Commit, "unknown (built with -buildvcs=false or outside a checkout, and not stamped)")
	if b.CommitTime != "" {
		commit += " of " + b.CommitTime
	}
	if b.Modified {
		commit += " (modified: built with uncommitted changes)"
	}
	fmt.Fprintf(w, "commit:  %s\n", commit)
	fmt.Fprintf(w, "built:   %s\n", cmp.Or(b.Built, "unknown (not stamped)"))
	fmt.Fprintf(w, "go:      %s %s\n", b.Go, b.Platform)
}
