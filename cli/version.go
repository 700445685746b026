package cli

import (
	"fmt"
	"runtime/debug"
)

// versionCommands print the version and the help.
func versionCommands() []Command {
	return []Command{
		{Name: "version", Group: "Run", Args: "", Summary: "print the version", Run: (*Env).version},
		{Name: "help", Group: "Run", Args: "[COMMAND]", Summary: "list the commands, or show one's usage and options", Run: (*Env).help},
	}
}

func (c *Env) version(args []string) int {
	fs := c.Flags()
	if code, done := c.Parse(fs, args); done {
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
