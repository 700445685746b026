package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMembersCommand: after `docent import` of a small IRC history,
// `docent members --at DATE` lists the newcomer nobody answered, the open
// question and the helper; --first-questions prints the year's table alone,
// --json one object; a day that is no date is a usage error.
func TestMembersCommand(t *testing.T) {
	dir := workdir(t)
	line := func(at, author, text string) string {
		return fmt.Sprintf(`{"time": "2017-03-%s:00Z", "channel": "#duraspace", "author": %q, "text": %q}`, at, author, text)
	}
	history := filepath.Join(t.TempDir(), "history.jsonl")
	lines := []string{
		line("01T10:00", "tdonohue", "morning all"),
		line("01T10:05", "newa", "how do I reindex the discovery core?"),
		line("01T10:07", "tdonohue", "newa: run dspace index-discovery -b"),
		line("01T10:09", "newa", "tdonohue: thanks!"),
		line("02T16:00", "newb", "does anyone know why mvn package fails on java 8?"),
	}
	if err := os.WriteFile(history, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := docent(t, dir, "", "import", history); r.code != 0 {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := docent(t, dir, "", "members", "--at", "2017-03-04")
	for _, want := range []string{
		"Who needs attention, as of 2017-03-04 23:59 UTC",
		"Newcomers whose first question had no reply within 1d (1)\n  2017-03-02 16:00  newb  #duraspace  no reply  does anyone know why mvn package fails on java 8?\n",
		"Questions still open (1)\n  2017-03-02 16:00  newb  #duraspace  waiting 2d7h  does anyone know why mvn package fails on java 8?\n",
		"Most helpful in the last 30 days (1)\n  tdonohue  1 answers  1 thanks  1 members helped\n",
		"2017                 2         1           1               50%",
	} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("members --at 2017-03-04 (exit %d) lacks %q:\n%s%s", r.code, want, r.stdout, r.stderr)
		}
	}
	// The day before newb asked: newa was answered, nothing is open.
	if r = docent(t, dir, "", "members", "--at", "2017-03-01"); !strings.Contains(r.stdout, "Questions still open (0)") || strings.Contains(r.stdout, "newb") {
		t.Errorf("members --at 2017-03-01 (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = docent(t, dir, "", "members", "--first-questions", "--at", "2017-03-04")
	if r.code != 0 || strings.Contains(r.stdout, "Questions still open") || !strings.Contains(r.stdout, "year  newcomers asking  answered  unanswered  unanswered share") {
		t.Errorf("members --first-questions (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = docent(t, dir, "", "members", "--json", "--at", "2017-03-04")
	var got struct {
		Newcomers []struct {
			Member struct{ Name string }
			Text   string
		}
		FirstQuestions []struct{ Year, Asked, Answered, Unanswered int } `json:"first_questions"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got.Newcomers) != 1 || got.Newcomers[0].Member.Name != "newb" ||
		len(got.FirstQuestions) != 1 || got.FirstQuestions[0].Answered != 1 {
		t.Errorf("members --json (exit %d, %v): %+v\n%s%s", r.code, err, got, r.stdout, r.stderr)
	}
	if r = docent(t, dir, "", "members", "--at", "04/03/2017"); r.code != 2 || !strings.Contains(r.stderr, `--at "04/03/2017" is not a date`) {
		t.Errorf("members --at 04/03/2017: exit %d\n%s", r.code, r.stderr)
	}
}
