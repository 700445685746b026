package importer_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/importer"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// token is a GitHub token as a member might paste one by mistake.
var token = "ghp_" + "R8vXk2LmQ9wZ4tNp7sYc1dHf6gJb3eUa5iOq"

// fixture is a small JSONL history: two channels, a bot, an action, two
// messages in the same minute, a secret, a blank line and a bad line
// (line 6).
var fixture = strings.Join([]string{
	`{"time": "2015-01-28T15:02:00Z", "channel": "#duraspace", "author": "tdonohue", "text": "morning all", "kind": "message"}`,
	`{"time": "2015-01-28T15:02:00Z", "channel": "#duraspace", "author": "mwood", "text": "mwood: morning", "kind": "message"}`,
	`{"time": "2015-01-28T15:02:00Z", "channel": "#duraspace", "author": "mwood", "text": "morning", "kind": "message"}`,
	`{"time": "2015-01-28T15:03:00Z", "channel": "#duraspace", "author": "kompewter", "text": "[ DS-882 ] - JIRA", "kind": "message", "bot": true}`,
	`{"time": "2015-01-28T15:04:00Z", "channel": "#duraspace", "author": "cwilper", "text": "grins", "kind": "action"}`,
	`{"time": "2015-01-28T15:05:00Z", "channel": "#duraspace", "author": "", "text": "no author"}`,
	``,
	`{"time": "2015-01-28T15:06:00Z", "channel": "#fedora", "author": "awoods", "text": "my token is ` + token + `, oops", "kind": "message"}`,
	`{"time": "2015-01-28T15:07:00Z", "channel": "#fedora", "author": "tdonohue", "text": "revoke it now", "kind": "message", "via": "slack"}`,
	`{"time": "2015-01-28T15:08:00Z", "channel": "#duraspace", "author": "mwood", "text": "how do I reindex solr?", "kind": "message"}`,
}, "\n") + "\n"

// fixtureMessages is how many of fixture's lines are messages.
const fixtureMessages = 8

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "docent.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// importText imports text under name, collecting the bad lines.
func importText(t *testing.T, ctx context.Context, st *store.Store, name, text string, opts importer.Options) (importer.Summary, []string, error) {
	t.Helper()
	var bad []string
	if opts.Platform == "" {
		opts.Platform = "irc"
	}
	opts.Bad = func(line int, err error) { bad = append(bad, fmt.Sprintf("%d: %v", line, err)) }
	sum, err := importer.ImportJSONL(ctx, st, name, int64(len(text)), strings.NewReader(text), opts)
	return sum, bad, err
}

// stored is every record on platform irc, oldest first, as "channel author: text".
func stored(t *testing.T, st *store.Store) []string {
	t.Helper()
	var out []string
	for _, ch := range []string{"#duraspace", "#fedora"} {
		recs, err := st.Conversation(context.Background(), chat.Conversation{Platform: "irc", Channel: ch}, 0)
		if err != nil {
			t.Fatal(err)
		}
		slices.Reverse(recs)
		for _, r := range recs {
			out = append(out, fmt.Sprintf("%s %s: %s", ch, r.Author.ID, r.Text))
		}
	}
	return out
}

// TestImportJSONL: the fixture's messages are stored under platform irc,
// the secret redacted, the action as /me, the bad line reported with its
// number and skipped; importing the same file again adds nothing.
func TestImportJSONL(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	sum, bad, err := importText(t, ctx, st, "fixture.jsonl", fixture, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := importer.Summary{Messages: fixtureMessages, Skipped: 1, Redacted: 1, Members: 5, Channels: 2, Lines: 10}
	if sum != want {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
	if len(bad) != 1 || !strings.HasPrefix(bad[0], "6: no author") {
		t.Errorf("bad lines %q, want line 6: no author", bad)
	}
	got := stored(t, st)
	wantRecs := []string{
		"#duraspace tdonohue: morning all",
		"#duraspace mwood: mwood: morning",
		"#duraspace mwood: morning",
		"#duraspace kompewter: [ DS-882 ] - JIRA",
		"#duraspace cwilper: /me grins",
		"#duraspace mwood: how do I reindex solr?",
		"#fedora awoods: my token is [redacted github-token], oops",
		"#fedora tdonohue: revoke it now",
	}
	if !slices.Equal(got, wantRecs) {
		t.Errorf("stored:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantRecs, "\n"))
	}
	recs, _ := st.Conversation(ctx, chat.Conversation{Platform: "irc", Channel: "#duraspace"}, 0)
	for _, r := range recs {
		if r.Author.Bot != (r.Author.ID == "kompewter") {
			t.Errorf("%s: bot %v", r.Author.ID, r.Author.Bot)
		}
	}

	again, _, err := importText(t, ctx, st, "fixture.jsonl", fixture, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Messages != 0 || again.Resumed != fixtureMessages {
		t.Errorf("the same file again: %+v, want nothing new, all resumed", again)
	}
	if n := len(stored(t, st)); n != fixtureMessages {
		t.Errorf("after the second import: %d records, want %d", n, fixtureMessages)
	}
}

// TestImportJSONLLeavesOutWhatIsStored: a file that is not the one
// imported before (here: the same lines and one more, under another name,
// gzipped) adds only what is new: the records' source IDs, not the progress
// mark, keep out the duplicates.
func TestImportJSONLLeavesOutWhatIsStored(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	if _, _, err := importText(t, ctx, st, "a.jsonl", fixture, importer.Options{}); err != nil {
		t.Fatal(err)
	}
	more := fixture + `{"time": "2015-01-28T15:08:00Z", "channel": "#duraspace", "author": "tdonohue", "text": "mwood: dspace index-discovery -b", "kind": "message"}` + "\n"
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(more))
	zw.Close()
	sum, _, err := importText(t, ctx, st, "b.jsonl.gz", gz.String(), importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Messages != 1 || sum.Duplicates != fixtureMessages {
		t.Errorf("summary %+v, want 1 message and %d duplicates", sum, fixtureMessages)
	}
	got := stored(t, st)
	if len(got) != fixtureMessages+1 || got[fixtureMessages-2] != "#duraspace tdonohue: mwood: dspace index-discovery -b" {
		t.Errorf("stored:\n%s", strings.Join(got, "\n"))
	}
}

// TestImportJSONLResumesAfterAStop: an import stopped after two batches
// (its context cancelled, as a kill between two commits) keeps exactly
// those batches, and importing again stores the rest: every message once.
func TestImportJSONLResumesAfterAStop(t *testing.T) {
	st := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	batches := 0
	sum, _, err := importText(t, ctx, st, "fixture.jsonl", fixture, importer.Options{Batch: 3, Progress: func(int64) {
		if batches++; batches == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped import: %v, want context.Canceled", err)
	}
	if sum.Messages != 6 || len(stored(t, st)) != 6 {
		t.Fatalf("after two batches of 3: summary %+v, %d stored; want 6", sum, len(stored(t, st)))
	}
	sum, bad, err := importText(t, context.Background(), st, "fixture.jsonl", fixture, importer.Options{Batch: 3})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Messages != fixtureMessages-6 || sum.Resumed != 6 || sum.Duplicates != 0 {
		t.Errorf("resumed: %+v, want %d new, 6 resumed, no duplicates", sum, fixtureMessages-6)
	}
	if len(bad) != 0 {
		t.Errorf("the resumed import reported lines read before: %q", bad)
	}
	if got := stored(t, st); len(got) != fixtureMessages || len(slices.Compact(slices.Sorted(slices.Values(got)))) != fixtureMessages {
		t.Errorf("after resuming: %d records (%d distinct), want %d:\n%s", len(got), len(slices.Compact(slices.Sorted(slices.Values(got)))), fixtureMessages, strings.Join(got, "\n"))
	}
}

// TestParseLine: what a line must have.
func TestParseLine(t *testing.T) {
	for _, tc := range []struct{ line, err string }{
		{`{"time": "2015-01-28T15:02:00Z", "channel": "#d", "author": "a", "text": "hi"}`, ""},
		{`{"time": "2015-01-28T15:02:00Z", "channel": "#d", "author": "a", "text": ""}`, ""},
		{`not json`, "not a JSON object"},
		{`{"channel": "#d", "author": "a", "text": "hi"}`, "no time"},
		{`{"time": "yesterday", "channel": "#d", "author": "a"}`, "time"},
		{`{"time": "2015-01-28T15:02:00Z", "author": "a", "text": "hi"}`, "no channel"},
		{`{"time": "2015-01-28T15:02:00Z", "channel": "#d", "author": "a", "kind": "join"}`, "kind"},
		{`{"time": "2015-01-28T15:02:00Z", "channel": "#d", "author": "a\u0000b"}`, "NUL"},
	} {
		_, err := importer.ParseLine([]byte(tc.line))
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %v, want %q", tc.line, err, tc.err)
		}
	}
}

// FuzzParseLine: no line makes the parser panic, and a line it accepts
// has what a record needs: a time in UTC, a channel, an author.
func FuzzParseLine(f *testing.F) {
	for _, l := range strings.Split(fixture, "\n") {
		f.Add([]byte(l))
	}
	f.Add([]byte(`{"time": "0000-01-01T00:00:00Z", "channel": "#d", "author": "a"}`))
	f.Add([]byte(`{"time": "2015-01-28T15:02:00+14:00", "channel": "#d", "author": "a", "text": "\xff"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		l, err := importer.ParseLine(line)
		if err != nil {
			return
		}
		if l.Time.IsZero() || l.Channel == "" || l.Author == "" || l.Time.Location().String() != "UTC" {
			t.Errorf("accepted %q as %+v", line, l)
		}
	})
}

// TestImportJSONLRefusesNoPlatform: there is always a platform to import into.
func TestImportJSONLRefusesNoPlatform(t *testing.T) {
	st := openStore(t)
	if _, err := importer.ImportJSONL(context.Background(), st, "x", 0, strings.NewReader(""), importer.Options{}); err == nil {
		t.Error("no error without a platform")
	}
}

// TestImportJSONLSkipsAnOverlongLine: a 10 MB line is reported as a bad
// line, by its number, and the lines after it are imported: one huge
// line does not stop the import and lose the rest of the history.
func TestImportJSONLSkipsAnOverlongLine(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	huge := `{"time": "2015-01-28T15:02:30Z", "channel": "#duraspace", "author": "spammer", "text": "` + strings.Repeat("a", 10<<20) + `"}`
	lines := strings.Split(strings.TrimSuffix(fixture, "\n"), "\n")
	text := strings.Join(slices.Insert(slices.Clone(lines), 2, huge), "\n") + "\n"
	sum, bad, err := importText(t, ctx, st, "huge.jsonl", text, importer.Options{})
	if err != nil {
		t.Fatalf("import stopped at the long line: %v (summary %+v)", err, sum)
	}
	if len(bad) != 2 || !strings.HasPrefix(bad[0], "3: ") || !strings.Contains(bad[0], "longer than") || !strings.HasPrefix(bad[1], "7: no author") {
		t.Errorf("bad lines %q, want line 3 too long and line 7 no author", bad)
	}
	if sum.Messages != fixtureMessages || sum.Lines != 11 {
		t.Errorf("summary %+v, want the fixture's %d messages of 11 lines", sum, fixtureMessages)
	}
	if got := len(stored(t, st)); got != fixtureMessages {
		t.Errorf("stored %d records, want %d", got, fixtureMessages)
	}
}

// TestImportRefusesTimesOutsideChat: a line dated before 1970 or in the
// future (a broken clock, a bad conversion) is a bad line, named by its
// number: stored, one message in the year 9999 would move every window
// that ends at the newest message (docent stats --all, the dashboard's
// whole history) to a decade with nothing else in it.
func TestImportRefusesTimesOutsideChat(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	text := strings.Join([]string{
		`{"time": "1900-01-01T10:00:00Z", "channel": "#duraspace", "author": "a", "text": "before computers"}`,
		`{"time": "1969-12-31T23:59:00Z", "channel": "#duraspace", "author": "a", "text": "before 1970"}`,
		`{"time": "2015-01-28T15:02:00Z", "channel": "#duraspace", "author": "a", "text": "fine"}`,
		`{"time": "9999-12-31T23:59:00Z", "channel": "#duraspace", "author": "a", "text": "far future"}`,
		`{"time": "` + time.Now().AddDate(1, 0, 0).UTC().Format(time.RFC3339) + `", "channel": "#duraspace", "author": "a", "text": "next year"}`,
	}, "\n") + "\n"
	sum, bad, err := importText(t, ctx, st, "times.jsonl", text, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1: time 1900-01-01", "2: time 1969-12-31", "4: time 9999-12-31", "5: time "}
	if len(bad) != len(want) {
		t.Fatalf("bad lines %q, want %q", bad, want)
	}
	for i, w := range want {
		if !strings.HasPrefix(bad[i], w) {
			t.Errorf("bad line %q, want %q…", bad[i], w)
		}
	}
	if got := stored(t, st); sum.Messages != 1 || !slices.Equal(got, []string{"#duraspace a: fine"}) {
		t.Errorf("stored %q (summary %+v), want only the 2015 line", got, sum)
	}
}

// TestImportJSONLKeepsSubsecondMessages: two messages of one channel in
// the same second (a history with sub-second times, as `docent bench
// history --jsonl` writes) are two messages, not one and a duplicate.
func TestImportJSONLKeepsSubsecondMessages(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	text := `{"time": "2015-01-28T15:02:00.100Z", "channel": "#duraspace", "author": "a", "text": "first"}
{"time": "2015-01-28T15:02:00.600Z", "channel": "#duraspace", "author": "b", "text": "second"}
`
	sum, bad, err := importText(t, ctx, st, "subsecond.jsonl", text, importer.Options{})
	if err != nil || len(bad) != 0 {
		t.Fatal(err, bad)
	}
	if got := stored(t, st); sum.Messages != 2 || sum.Duplicates != 0 || !slices.Equal(got, []string{"#duraspace a: first", "#duraspace b: second"}) {
		t.Errorf("stored %q (summary %+v), want both messages", got, sum)
	}
}
