package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// A mistyped command, or a mistyped subcommand, names the nearest command
// and exits 2, whatever was typed; it never panics.
func TestMistypedCommandSuggestsTheNearest(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"chalenge", "try", "warm-up", "42"}, `did you mean "docent challenge try"?`},
		{[]string{"challenge", "hsah", "x"}, `did you mean "docent challenge hash"?`},
		{[]string{"stat", "--days", "3"}, `did you mean "docent stats"?`},
		{[]string{"leaderbord"}, `did you mean "docent leaderboard"?`},
		{[]string{"user", "exprot", "--platform", "console", "--id", "x"}, `did you mean "docent user export"?`},
		{[]string{"confg", "check"}, `did you mean "docent config check"?`},
		{[]string{"intents", "exports"}, `did you mean "docent intents export"?`},
		{[]string{"help", "histroy"}, `did you mean "docent history"?`},
	} {
		r := docent(t, dir, "", tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || r.stdout != "" || strings.Contains(r.stderr, "panic") {
			t.Errorf("docent %s: exit %d, stdout %q, stderr:\n%s\nwant exit 2 and %q", strings.Join(tc.args, " "), r.code, r.stdout, r.stderr, tc.want)
		}
	}
	// A subcommand nothing like one: no guess, but the group's commands.
	r := docent(t, dir, "", "challenge", "lst")
	if r.code != 2 || strings.Contains(r.stderr, "did you mean") || !strings.Contains(r.stderr, `docent challenge: unknown or missing subcommand "lst"`) ||
		!strings.Contains(r.stderr, "\n  docent challenge hash [--salt S]") || !strings.Contains(r.stderr, "\n  docent challenge try [--config FILE]") {
		t.Errorf("docent challenge lst: exit %d, stderr:\n%s\nwant exit 2, no guess, and the challenge commands", r.code, r.stderr)
	}
	// Nothing near: no guess, but where the commands are listed.
	r = docent(t, dir, "", "frobnicate")
	if r.code != 2 || strings.Contains(r.stderr, "did you mean") || !strings.Contains(r.stderr, "docent help") {
		t.Errorf("docent frobnicate: exit %d, stderr:\n%s\nwant exit 2, no guess, and docent help", r.code, r.stderr)
	}
}

// `docent help CMD` shows one command's usage and options, as `docent CMD
// -h` does; `docent help GROUP` lists that group's commands.
func TestHelpForOneCommand(t *testing.T) {
	dir := t.TempDir()
	r := docent(t, dir, "", "help", "challenge", "try")
	h := docent(t, dir, "", "challenge", "try", "-h")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Usage: docent challenge try [--config FILE] ID [PART] ANSWER\n") ||
		!strings.Contains(r.stdout, "Options:\n  -config FILE") || r.stdout != h.stdout {
		t.Errorf("docent help challenge try: exit %d, stdout:\n%s\nwant the usage and options, as -h gives:\n%s", r.code, r.stdout, h.stdout)
	}
	r = docent(t, dir, "", "help", "challenge")
	if r.code != 0 || !strings.Contains(r.stdout, "docent challenge hash [--salt S]") || !strings.Contains(r.stdout, "docent challenge try [--config FILE]") ||
		strings.Contains(r.stdout, "docent history") {
		t.Errorf("docent help challenge: exit %d, stdout:\n%s\nwant challenge hash and try, and no other command", r.code, r.stdout)
	}
}

// Every command is declared once, reached by its name, and shows its
// declared usage for -h and in docent help; none panics.
func TestCommandsDeclaredOnce(t *testing.T) {
	commands := Commands()
	if err := checkCommands(commands); err != nil {
		t.Fatal(err)
	}
	var help strings.Builder
	if code := testEnv(nil, &help, io.Discard).Run(commands, []string{"help"}); code != 0 {
		t.Fatalf("docent help: exit %d", code)
	}
	for _, cmd := range commands {
		usage := strings.TrimSpace("docent " + cmd.Name + " " + cmd.Args)
		if n := strings.Count(help.String(), "\n  "+usage+"\n"); n != 1 {
			t.Errorf("docent help lists %q %d times, want once", usage, n)
		}
		var out, errb strings.Builder
		code := testEnv(strings.NewReader(""), &out, &errb).Run(commands, append(strings.Fields(cmd.Name), "-h"))
		if want := "Usage: " + usage + "\n\n"; code != 0 || !strings.HasPrefix(out.String(), want) {
			t.Errorf("docent %s -h: exit %d, stdout %q, stderr %q; want exit 0 and %q", cmd.Name, code, out.String(), errb.String(), want)
		}
	}
}

// A caller's table may add commands, as a feature module will declare
// its own; they are run and listed like Docent's. A table that declares a
// command twice is refused, without a panic.
func TestCommandsFromTheCaller(t *testing.T) {
	var got []string
	extra := Command{Name: "zebra herd", Group: "Zebras", Args: "[--fast] N", Summary: "herd N zebras",
		Run: func(env *Env, args []string) int {
			fs := env.Flags()
			fast := fs.Bool("fast", false, "herd them fast")
			if code, done := env.Parse(fs, args); done {
				return code
			}
			got = append(got, fmt.Sprint(*fast, fs.Args()))
			return 0
		}}
	commands := append(Commands(), extra)
	var out, errb strings.Builder
	env := testEnv(nil, &out, &errb)
	if code := env.Run(commands, []string{"zebra", "herd", "--fast", "3"}); code != 0 || !slices.Equal(got, []string{"true [3]"}) {
		t.Errorf("docent zebra herd --fast 3: exit %d, ran %q", code, got)
	}
	if code := env.Run(commands, []string{"help", "zebra", "herd"}); code != 0 || !strings.HasPrefix(out.String(), "Usage: docent zebra herd [--fast] N\n\nherd N zebras\n\nOptions:\n  -fast") {
		t.Errorf("docent help zebra herd: exit %d, stdout:\n%s", code, out.String())
	}
	out.Reset()
	if code := env.Run(commands, []string{"help"}); code != 0 || !strings.Contains(out.String(), "\nZebras:\n  docent zebra herd [--fast] N\n        herd N zebras\n") {
		t.Errorf("docent help: exit %d, no Zebras group:\n%s", code, out.String())
	}
	if code := env.Run(commands, []string{"zebra", "hred", "3"}); code != 2 || !strings.Contains(errb.String(), `did you mean "docent zebra herd"?`) {
		t.Errorf("docent zebra hred: exit %d, stderr:\n%s", code, errb.String())
	}
	errb.Reset()
	if code := env.Run(append(commands, extra), []string{"zebra", "herd", "3"}); code != 1 || !strings.Contains(errb.String(), `command "zebra herd" is declared twice`) || len(got) != 1 {
		t.Errorf("a table with zebra herd twice: exit %d, stderr %q, ran %d times", code, errb.String(), len(got))
	}
}

// Odd command lines end with a usage message, never a panic.
func TestOddCommandLines(t *testing.T) {
	for _, args := range [][]string{{""}, {" "}, {"help", ""}, {"help", "challenge", "try", "x"}, {"challenge", ""},
		{"user", "export", "-h"}, {"lessons", "rm", "-x"}, {"-", "x"}, {"eval", "docs", "--split"}} {
		var out, errb strings.Builder
		code := testEnv(strings.NewReader(""), &out, &errb).Run(Commands(), args)
		if code != 0 && code != 2 || code == 2 && errb.Len() == 0 {
			t.Errorf("docent %q: exit %d, stderr %q; want 0, or 2 and a message", args, code, errb.String())
		}
	}
	if code := Main(nil, testEnv(nil, io.Discard, io.Discard), nil); code != 2 {
		t.Errorf("Main with no arguments and no commands: exit %d, want 2", code)
	}
}

// TestOptionAfterArguments: Go's flags end at the first argument, so an
// option typed after one would be read as an argument ("docent import
// FILE --db X" would import a file named --db): it is a usage error that
// says to put the options first. After "--", or when the word names no
// option of the command (a negative answer), it stays an argument.
func TestOptionAfterArguments(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in stderr; "" for no usage error about it
	}{
		{[]string{"history", "extra", "--limit", "3"}, "docent history: the option --limit comes after the arguments"},
		{[]string{"history", "extra", "-json"}, "the option -json comes after"},
		{[]string{"history", "extra", "--limit=3"}, "the option --limit=3 comes after"},
		{[]string{"history", "--", "extra", "--limit"}, ""},
		{[]string{"history", "extra", "-5"}, ""},
	} {
		var out, errb strings.Builder
		code := testEnv(strings.NewReader(""), &out, &errb).Run(Commands(), tc.args)
		got := strings.Contains(errb.String(), "comes after the arguments")
		switch {
		case tc.want != "" && (code != 2 || !strings.Contains(errb.String(), tc.want)):
			t.Errorf("docent %q: exit %d, stderr %q; want 2 and %q", tc.args, code, errb.String(), tc.want)
		case tc.want == "" && got:
			t.Errorf("docent %q: %q; an argument after -- or naming no option is an argument", tc.args, errb.String())
		}
	}
}

// A command that reaches no platform and no LLM runs with the config of
// the service whose secrets the environment does not hold (an admin's
// shell, a cron job's backup); `docent run` and `docent config check`
// still say which one is missing, and a secret set wrongly is an error
// for every command.
func TestOfflineCommandsNeedNoSecrets(t *testing.T) {
	t.Setenv("DISCORD_TOKEN", "")
	dir := workdir(t)
	cfg := filepath.Join(dir, "config.example.yaml")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	on := strings.Replace(string(b), "  discord:\n    enabled: false", "  discord:\n    enabled: true ", 1)
	if on == string(b) {
		t.Fatal("config.example.yaml has no adapters.discord.enabled: false to turn on")
	}
	if err := os.WriteFile(cfg, []byte(on), 0o644); err != nil {
		t.Fatal(err)
	}
	const missing = "adapters.discord.token: is required"
	history := filepath.Join(t.TempDir(), "history.jsonl")
	line := fmt.Sprintf(`{"time": %q, "channel": "#general", "author": "ann", "text": "hello"}`, time.Now().UTC().Add(-time.Hour).Format(time.RFC3339))
	if err := os.WriteFile(history, []byte(line+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"import", history}, {"stats", "--days", "1"}, {"backup", filepath.Join(t.TempDir(), "copy.db")}, {"history", "--list"}} {
		if r := docent(t, dir, "", args...); r.code != 0 || strings.Contains(r.stderr, missing) {
			t.Errorf("docent %s without DISCORD_TOKEN: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	for _, args := range [][]string{{"config", "check", "config.example.yaml"}, {"run"}} {
		if r := docent(t, dir, "", args...); r.code != 2 || !strings.Contains(r.stdout+r.stderr, missing) {
			t.Errorf("docent %s without DISCORD_TOKEN: exit %d, want 2 and %q\n%s", strings.Join(args, " "), r.code, missing, r.stderr)
		}
	}
	t.Setenv("DISCORD_TOKEN", "Bot abc")
	if r := docent(t, dir, "", "stats", "--days", "1"); r.code != 2 || !strings.Contains(r.stderr, "without the \"Bot \" prefix") {
		t.Errorf("docent stats with DISCORD_TOKEN set wrongly: exit %d\n%s", r.code, r.stderr)
	}
}
