package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
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
