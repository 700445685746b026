package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/docent-bot/docent/bot/lessons"
)

// An admin teaches at the console, lists the lessons on the command line
// and removes some; a mistyped ID removes nothing, and the next start
// retrains without the removed lessons.
func TestLessonsCommand(t *testing.T) {
	dir := workdir(t)
	q := "how do I rotate the signing keys"
	teach := "!teach new key_rotation Rotate them with `docent keys rotate`.\n!teach key_rotation " + q + "\n!teach greeting yo docent\n" + q + "\n"
	if r := docent(t, dir, teach, "--json"); r.code != 0 || !strings.Contains(r.stdout, `"intent":"key_rotation"`) {
		t.Fatalf("teaching: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	r := docent(t, dir, "", "lessons")
	if r.code != 0 {
		t.Fatalf("lessons: exit %d %s", r.code, r.stderr)
	}
	lines := strings.Split(r.stdout, "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("lessons:\n%s", r.stdout)
	}
	for i, want := range [][]string{
		{"1", "key_rotation", "new intent: Rotate them with `docent keys rotate`."},
		{"2", "key_rotation", `"` + q + `"`},
		{"3", "greeting", `"yo docent"`},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i+1], w) {
				t.Errorf("lessons line %d lacks %q: %s", i+1, w, lines[i+1])
			}
		}
	}
	r = docent(t, dir, "", "lessons", "--json")
	var got struct{ Lessons []lessons.Taught }
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != 0 {
		t.Fatalf("lessons --json: exit %d, %v\n%s", r.code, err, r.stdout)
	}
	if len(got.Lessons) != 3 || got.Lessons[1].Pattern != q || got.Lessons[0].Response == "" || got.Lessons[2].By.ID == "" || got.Lessons[2].Time.IsZero() {
		t.Errorf("lessons --json: %+v", got.Lessons)
	}

	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"lessons", "rm"}, 2, "give the IDs of the lessons to remove"},
		{[]string{"lessons", "rm", "3", "three"}, 2, `"three" is not a lesson ID`},
		{[]string{"lessons", "rm", "3", "99", "100"}, 1, "no lesson #99, #100 in "},
		{[]string{"lessons", "extra"}, 2, `unexpected argument "extra"`},
	} {
		r := docent(t, dir, "", tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, r.code, r.stderr, tc.code, tc.stderr)
		}
	}
	if r := docent(t, dir, "", "lessons", "--json"); !strings.Contains(r.stdout, "yo docent") {
		t.Fatalf("a failed rm removed a lesson:\n%s", r.stdout)
	}

	r = docent(t, dir, "", "lessons", "rm", "#1", "2", "3")
	want := "removed #1: the intent key_rotation created in chat, with its taught patterns #2\n" +
		"removed #3: \"yo docent\", a pattern of greeting\n" +
		"Docent retrains when it next starts (or now: docent train).\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("lessons rm: exit %d\n%s\nwant\n%s%s", r.code, r.stdout, want, r.stderr)
	}
	if r := docent(t, dir, "", "lessons"); r.code != 0 || r.stdout != "No lessons: nothing was taught in chat yet.\n" {
		t.Errorf("lessons after rm: exit %d %q", r.code, r.stdout)
	}
	// The docs may quote the guide's example of it; no answer comes from it.
	if r := docent(t, dir, q+"\n", "--json"); r.code != 0 || strings.Contains(r.stdout, `"intent":"key_rotation"`) {
		t.Errorf("after removing the lessons: exit %d %s", r.code, r.stdout)
	}
}

func TestLessonsWithoutDatabase(t *testing.T) {
	dir := workdir(t)
	for _, args := range [][]string{{"lessons"}, {"lessons", "rm", "1"}} {
		r := docent(t, dir, "", args...)
		if r.code != 1 || !strings.Contains(r.stderr, "no database at ") || !strings.Contains(r.stderr, "run Docent first") {
			t.Errorf("%v without a database: exit %d, %q", args, r.code, r.stderr)
		}
	}
}
