package cli

import (
	"errors"
	"fmt"

	"github.com/docent-bot/docent/bot"
)

// configCommands checks a configuration without starting Docent.
func configCommands() []Command {
	return []Command{
		{Name: "config check", Group: "Set up", Args: "[FILE]", Summary: "check a configuration file and its intents; print every problem or ok", Run: (*Env).configCheck, Secrets: true},
	}
}

func (c *Env) configCheck(args []string) int {
	fs := c.Flags()
	if code, done := c.Parse(fs, args); done {
		return code
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(c.Stderr, "docent config check: give at most one FILE\n")
		return exitUsage
	}
	cfg, err := c.LoadConfig(fs.Arg(0))
	var warning string
	if err == nil {
		warning, err = checkConfig(cfg)
	}
	if warning != "" {
		fmt.Fprintln(c.Stdout, "warning: "+warning)
	}
	if err != nil {
		fmt.Fprintln(c.Stdout, err)
		return exitUsage
	}
	fmt.Fprintln(c.Stdout, "ok")
	return exitOK
}

// checkConfig checks what a loaded config names: the intents in use and
// the challenges. The warning names the intents left out for want of
// their links ("" when none is).
func checkConfig(cfg *bot.Config) (warning string, err error) {
	_, leftOut, ierr := bot.CheckIntents(cfg)
	return leftOut.String(), errors.Join(ierr, bot.CheckModules(cfg))
}
