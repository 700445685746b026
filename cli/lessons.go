package cli

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docent-bot/docent/store"
)

// lessonsCommands list and remove what admins taught in chat.
func lessonsCommands() []Command {
	return []Command{
		{Name: "lessons", Group: "Lessons", Args: "[--config FILE] [--json]", Summary: "list what admins taught in chat: ID, intent, pattern or new intent, by whom, when", Run: (*Env).lessons},
		{Name: "lessons rm", Group: "Lessons", Args: "[--config FILE] ID...", Summary: "remove lessons taught in chat (an intent created in chat goes with its taught patterns)", Run: (*Env).lessonsRemove},
	}
}

// The lessons commands: what admins taught in chat, and taking it back.

func (c *Env) lessons(args []string) int {
	fs := c.Flags()
	configFile := fs.String("config", "", "configuration `FILE` (for the database path)")
	jsonOut := fs.Bool("json", false, `print one JSON object: {"lessons": [...]}`)
	cfg, code, done := c.Setup(fs, args, configFile)
	if done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(c.Stderr, "docent lessons: unexpected argument %q (to remove lessons: docent lessons rm ID...)\n", fs.Arg(0))
		return exitUsage
	}
	st, ok := c.openExisting("lessons", cfg)
	if !ok {
		return exitError
	}
	defer st.Close()
	lessons, err := st.Lessons(context.Background())
	if err != nil {
		fmt.Fprintf(c.Stderr, "docent lessons: %v\n", err)
		return exitError
	}
	if *jsonOut {
		if lessons == nil {
			lessons = []store.Taught{}
		}
		return c.printJSON(map[string]any{"lessons": lessons})
	}
	if len(lessons) == 0 {
		fmt.Fprintln(c.Stdout, "No lessons: nothing was taught in chat yet.")
		return exitOK
	}
	w := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tINTENT\tLESSON\tBY\tWHEN")
	for _, l := range lessons {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", l.ID, l.Intent, lessonText(l), memberText(l), l.Time.Local().Format(time.DateTime))
	}
	w.Flush()
	fmt.Fprintln(c.Stdout, "\nRemove one with: docent lessons rm ID (in chat, an admin writes !unteach ID)")
	return exitOK
}

// lessonText is a lesson on one line: the pattern, or the new intent's
// response.
func lessonText(l store.Taught) string {
	if l.Response != "" {
		return "new intent: " + short(l.Response, 60)
	}
	return strconv.Quote(short(l.Pattern, 70))
}

func memberText(l store.Taught) string {
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

func (c *Env) lessonsRemove(args []string) int {
	fs := c.Flags()
	configFile := fs.String("config", "", "configuration `FILE` (for the database path)")
	cfg, code, done := c.Setup(fs, args, configFile)
	if done {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(c.Stderr, "docent lessons rm: give the IDs of the lessons to remove (docent lessons lists them)")
		return exitUsage
	}
	var ids []uint64
	for _, a := range fs.Args() {
		id, err := strconv.ParseUint(strings.TrimPrefix(a, "#"), 10, 64)
		if err != nil || id == 0 {
			fmt.Fprintf(c.Stderr, "docent lessons rm: %q is not a lesson ID (a number from docent lessons); nothing removed\n", a)
			return exitUsage
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	st, ok := c.openExisting("lessons rm", cfg)
	if !ok {
		return exitError
	}
	defer st.Close()
	ctx := context.Background()
	lessons, err := st.Lessons(ctx)
	if err != nil {
		fmt.Fprintf(c.Stderr, "docent lessons rm: %v\n", err)
		return exitError
	}
	// All or nothing: a mistyped ID removes none of the others.
	var unknown []string
	for _, id := range ids {
		if !slices.ContainsFunc(lessons, func(l store.Taught) bool { return l.ID == id }) {
			unknown = append(unknown, fmt.Sprintf("#%d", id))
		}
	}
	if len(unknown) > 0 {
		fmt.Fprintf(c.Stderr, "docent lessons rm: no lesson %s in %s (docent lessons lists them); nothing removed\n", strings.Join(unknown, ", "), cfg.StorePath())
		return exitError
	}
	gone := map[uint64]bool{}
	for _, id := range ids {
		if gone[id] {
			continue // went with its intent, removed just before
		}
		removed, err := st.Unteach(ctx, id)
		if err != nil {
			fmt.Fprintf(c.Stderr, "docent lessons rm: %v\n", err)
			return exitError
		}
		for _, r := range removed {
			gone[r.ID] = true
		}
		l := removed[0]
		if l.Response == "" {
			fmt.Fprintf(c.Stdout, "removed #%d: %q, a pattern of %s\n", l.ID, l.Pattern, l.Intent)
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
		fmt.Fprintln(c.Stdout, line)
	}
	fmt.Fprintln(c.Stdout, "Docent retrains when it next starts (or now: docent train).")
	return exitOK
}
