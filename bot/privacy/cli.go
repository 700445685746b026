package privacy

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/store"
)

// CommandLine are the admins' privacy commands: export or delete
// everything stored about a member, from the database or through the
// Docent running on it.
func (mod *Module) CommandLine() []module.CLICommand {
	return []module.CLICommand{
		{Name: "user export", Group: "Data and privacy", Args: "--platform P --id ID [--out FILE] [--config FILE]", Summary: "everything stored about a member, as JSON", Run: userExport},
		{Name: "user delete", Group: "Data and privacy", Args: "--platform P --id ID --yes [--config FILE]", Summary: "delete everything stored about a member", Run: userDelete},
	}
}

// userFlags are what `docent user export` and `docent user delete` are
// given.
type userFlags struct {
	member store.MemberRef
	out    string
	yes    bool
}

// userCommand reads the command line of `docent user NAME`: done is true
// when the command should stop with code (the problem already reported).
func userCommand(cl module.CommandLine, name string, args []string) (cfg module.Configuration, f userFlags, code int, done bool) {
	fs := cl.Flags()
	fs.String("config", "", "configuration `FILE` (for the database path)")
	platform := fs.String("platform", "", "the member's `platform`: discord, slack, console")
	id := fs.String("id", "", "the member's platform user `ID`")
	out := fs.String("out", "", "export: write to `FILE` instead of stdout")
	yes := fs.Bool("yes", false, "delete: do it (without it, nothing is deleted)")
	cfg, code, done = cl.Setup(fs, args, false)
	if done {
		return nil, f, code, true
	}
	if *platform == "" || *id == "" {
		fmt.Fprintf(cl.Stderr(), "docent user %s: give the member with --platform and --id, like --platform discord --id 80351110224678912\n", name)
		return nil, f, module.ExitUsage, true
	}
	return cfg, userFlags{member: store.MemberRef{Platform: *platform, ID: *id}, out: *out, yes: *yes}, 0, false
}

func userExport(cl module.CommandLine, args []string) int {
	cfg, f, code, done := userCommand(cl, "export", args)
	if done {
		return code
	}
	ctx, stop := cl.Context()
	defer stop()
	var buf bytes.Buffer
	if err := cfg.ExportMember(ctx, f.member, &buf); err != nil {
		fmt.Fprintln(cl.Stderr(), "docent user export:", err)
		return module.ExitError
	}
	if f.out == "" {
		cl.Stdout().Write(buf.Bytes())
		return module.ExitOK
	}
	if err := os.WriteFile(f.out, buf.Bytes(), 0o600); err != nil {
		fmt.Fprintln(cl.Stderr(), "docent user export:", err)
		return module.ExitError
	}
	fmt.Fprintf(cl.Stderr(), "wrote %s's data to %s (%d bytes)\n", f.member, f.out, buf.Len())
	return module.ExitOK
}

func userDelete(cl module.CommandLine, args []string) int {
	cfg, f, code, done := userCommand(cl, "delete", args)
	if done {
		return code
	}
	if !f.yes {
		fmt.Fprintf(cl.Stderr(), "docent user delete: this deletes everything stored about %s and cannot be undone; add --yes to do it (docent user export first keeps a copy)\n", f.member)
		return module.ExitUsage
	}
	ctx, stop := cl.Context()
	defer stop()
	forgotten, err := cfg.ForgetMember(ctx, f.member)
	if err != nil {
		fmt.Fprintln(cl.Stderr(), "docent user delete:", err)
		return module.ExitError
	}
	var parts strings.Builder
	for _, k := range slices.Sorted(maps.Keys(forgotten.Parts)) {
		if slices.Contains(saidApart, k) {
			continue // said below, as before they were modules' parts
		}
		fmt.Fprintf(&parts, ", %d %s", forgotten.Parts[k], strings.ReplaceAll(k, "_", " "))
	}
	votes := fmt.Sprintf("%d votes", forgotten.Votes)
	if forgotten.Reactions > 0 { // only imported history has them
		votes += fmt.Sprintf(", %d reactions on others' messages", forgotten.Reactions)
	}
	fmt.Fprintf(cl.Stdout(), "deleted %s: %d messages, %d answers to them, %s, %d days of LLM usage%s; %d lessons no longer name them; out of %d days of activity counters\n",
		f.member, forgotten.Messages, forgotten.Answers, votes, forgotten.Parts[usagePart], parts.String(), forgotten.Parts[lessonsPart], forgotten.Parts[activityPart])
	fmt.Fprintln(cl.Stdout(), "Freed pages can still hold the deleted bytes until they are reused; `docent compact` (with Docent stopped) rewrites the file without them.")
	return module.ExitOK
}

// The counts of the modules' parts that the line says in words of their
// own, where it said them before they were modules' (the budgets', lessons'
// and analytics' CountKeys); any other part is listed by its name.
const (
	usagePart    = "usage_days"
	lessonsPart  = "lessons_anonymised"
	activityPart = "activity_days"
)

var saidApart = []string{usagePart, lessonsPart, activityPart}
