// Command docent runs Docent, the chat bot for developer communities, and
// its tools: config check, history, train. The commands live in package
// cli; this file only builds in the default assets.
package main

import (
	"embed"
	"os"

	"github.com/docent-bot/docent/cli"
)

// defaults is the example configuration with the starter intents, the
// guide and the example challenges, built in so that the binary runs
// anywhere with no files beside it.
//
//go:embed config.example.yaml intents docs/guide challenges
var defaults embed.FS

func main() {
	os.Exit(cli.Main(os.Args, &cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Defaults: defaults}, cli.Commands()))
}
