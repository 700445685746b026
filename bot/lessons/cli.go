package lessons

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"encoding/json"

	"github.com/docent-bot/docent/bot/module"
)

// CommandLine are the lessons' commands of the command line: list and
// remove what admins taught in chat.
func (*Module) CommandLine() []module.CLICommand {
	return []module.CLICommand{
		{Name: "lessons", Group: "Lessons", Args: "[--config FILE] [--json]", Summary: "list what admins taught in chat: ID, intent, pattern or new intent, by whom, when", Run: listLessons},
		{Name: "gaps", Group: "History and analytics", Args: "[--config FILE] [--db FILE] [--json]", Summary: "what members asked that Docent could not answer, grouped, largest first", Run: printGaps},
		{Name: "lessons rm", Group: "Lessons", Args: "[--config FILE] ID...", Summary: "remove lessons taught in chat (an intent created in chat goes with its taught patterns)", Run: removeLessons},
	}
}

// The lessons commands: what admins taught in chat, and taking it back.

func listLessons(cl module.CommandLine, args []string) int {
	fs := cl.Flags()
	jsonOut := fs.Bool("json", false, `print one JSON object: {"lessons": [...]}`)
	cfg, code, done := cl.Setup(fs, args, false)
	if done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(cl.Stderr(), "docent lessons: unexpected argument %q (to remove lessons: docent lessons rm ID...)\n", fs.Arg(0))
		return module.ExitUsage
	}
	st, err := cfg.OpenStore()
	if err != nil {
		fmt.Fprintf(cl.Stderr(), "docent lessons: %v\n", err)
		return module.ExitError
	}
	defer st.Close()
	taught, err := Read(context.Background(), st)
	if err != nil {
		fmt.Fprintf(cl.Stderr(), "docent lessons: %v\n", err)
		return module.ExitError
	}
	if *jsonOut {
		if taught == nil {
			taught = []Taught{}
		}
		return printJSON(cl, map[string]any{"lessons": taught})
	}
	if len(taught) == 0 {
		fmt.Fprintln(cl.Stdout(), "No lessons: nothing was taught in chat yet.")
		return module.ExitOK
	}
	w := tabwriter.NewWriter(cl.Stdout(), 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tINTENT\tLESSON\tBY\tWHEN")
	for _, l := range taught {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", l.ID, l.Intent, lessonText(l), memberText(l), l.Time.Local().Format(time.DateTime))
	}
	w.Flush()
	fmt.Fprintln(cl.Stdout(), "\nRemove one with: docent lessons rm ID (in chat, an admin writes !unteach ID)")
	return module.ExitOK
}

// lessonText is a lesson on one line: the pattern, or the new intent's
// response.
func lessonText(l Taught) string {
	if l.Response != "" {
		return "new intent: " + short(l.Response, 60)
	}
	return strconv.Quote(short(l.Pattern, 70))
}

func memberText(l Taught) string {
	switch {
	case l.By.Name != "" && l.By.ID != "" && l.By.ID != l.By.Name:
		return l.By.Name + " (" + l.By.ID + ")"
	case l.By.Name != "":
		return l.By.Name
	case l.By.ID != "":
		return l.By.ID
	}
	return "unknown"
}

// short puts s on one line of at most n characters.
func short(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func removeLessons(cl module.CommandLine, args []string) int {
	fs := cl.Flags()
	cfg, code, done := cl.Setup(fs, args, false)
	if done {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(cl.Stderr(), "docent lessons rm: give the IDs of the lessons to remove (docent lessons lists them)")
		return module.ExitUsage
	}
	var ids []uint64
	for _, a := range fs.Args() {
		id, err := strconv.ParseUint(strings.TrimPrefix(a, "#"), 10, 64)
		if err != nil || id == 0 {
			fmt.Fprintf(cl.Stderr(), "docent lessons rm: %q is not a lesson ID (a number from docent lessons); nothing removed\n", a)
			return module.ExitUsage
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	st, err := cfg.OpenStore()
	if err != nil {
		fmt.Fprintf(cl.Stderr(), "docent lessons rm: %v\n", err)
		return module.ExitError
	}
	defer st.Close()
	ctx := context.Background()
	taught, err := Read(ctx, st)
	if err != nil {
		fmt.Fprintf(cl.Stderr(), "docent lessons rm: %v\n", err)
		return module.ExitError
	}
	// All or nothing: a mistyped ID removes none of the others.
	var unknown []string
	for _, id := range ids {
		if !slices.ContainsFunc(taught, func(l Taught) bool { return l.ID == id }) {
			unknown = append(unknown, fmt.Sprintf("#%d", id))
		}
	}
	if len(unknown) > 0 {
		fmt.Fprintf(cl.Stderr(), "docent lessons rm: no lesson %s in %s (docent lessons lists them); nothing removed\n", strings.Join(unknown, ", "), st.Path())
		return module.ExitError
	}
	gone := map[uint64]bool{}
	for _, id := range ids {
		if gone[id] {
			continue // went with its intent, removed just before
		}
		removed, err := Unteach(ctx, st, id)
		if err != nil {
			fmt.Fprintf(cl.Stderr(), "docent lessons rm: %v\n", err)
			return module.ExitError
		}
		for _, r := range removed {
			gone[r.ID] = true
		}
		l := removed[0]
		if l.Response == "" {
			fmt.Fprintf(cl.Stdout(), "removed #%d: %q, a pattern of %s\n", l.ID, l.Pattern, l.Intent)
			continue
		}
		line := fmt.Sprintf("removed #%d: the intent %s created in chat", l.ID, l.Intent)
		if len(removed) > 1 {
			var with []string
			for _, r := range removed[1:] {
				with = append(with, fmt.Sprintf("#%d", r.ID))
			}
			line += ", with its taught patterns " + strings.Join(with, ", ")
		}
		fmt.Fprintln(cl.Stdout(), line)
	}
	fmt.Fprintln(cl.Stdout(), "Docent retrains when it next starts (or now: docent train).")
	return module.ExitOK
}

// printGaps prints the gaps as `!gaps` finds them, with Docent opened as
// `docent run` would.
func printGaps(cl module.CommandLine, args []string) int {
	fs := cl.Flags()
	jsonOut := fs.Bool("json", false, "print one JSON object")
	cfg, code, done := cl.Setup(fs, args, true)
	if done {
		return code
	}
	start := time.Now()
	ctx := context.Background()
	m, stop, err := cfg.Start(ctx, "lessons")
	if err != nil {
		fmt.Fprintln(cl.Stderr(), err)
		return module.ExitError
	}
	clusters, err := m.(*Module).Gaps(ctx)
	if err := errors.Join(err, stop()); err != nil {
		fmt.Fprintln(cl.Stderr(), err)
		return module.ExitError
	}
	out := cl.Stdout()
	if *jsonOut {
		return printJSON(cl, map[string]any{"clusters": clusters})
	}
	if len(clusters) == 0 {
		fmt.Fprintln(out, "No gaps: every question Docent was unsure of is answered now, and no answer was voted down.")
		return module.ExitOK
	}
	total := 0
	for _, c := range clusters {
		total += len(c.Questions)
	}
	fmt.Fprintf(out, "%d questions Docent could not answer, in %d groups (%s):\n", total, len(clusters), time.Since(start).Round(time.Millisecond))
	for i, c := range clusters {
		fmt.Fprintf(out, "\n%d. %s (%d)\n", i+1, c.Name, len(c.Questions))
		for _, q := range c.Questions[:min(5, len(c.Questions))] {
			fmt.Fprintf(out, "   #%d %s\n", q.ID, q.Text)
		}
		if len(c.Questions) > 5 {
			fmt.Fprintf(out, "   … and %d more\n", len(c.Questions)-5)
		}
	}
	fmt.Fprintf(out, "\nIn chat, an admin turns a group into an intent with: !teach gap <name> <response>\n")
	return module.ExitOK
}

// printJSON prints v as the command line's --json does: indented, with
// HTML left as it is.
func printJSON(cl module.CommandLine, v any) int {
	enc := json.NewEncoder(cl.Stdout())
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(cl.Stderr(), err)
		return module.ExitError
	}
	return module.ExitOK
}
