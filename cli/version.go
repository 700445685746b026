package cli

import (
	"fmt"
	"runtime/debug"
)

func (c *Env) version(args []string) int {
	fs := c.newFlags("version")
	if code, done := c.parse(fs, args); done {
		return code
	}
	fmt.Fprintln(c.Stdout, "docent", version())
	return exitOK
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
