package importer_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/docent-bot/docent/bot/importer"
	"github.com/docent-bot/docent/chat"
)

// slackExport is a small Slack workspace export, as the zip Slack admins
// download lays it out.
func slackExport(t *testing.T) []byte {
	t.Helper()
	files := []struct{ name, body string }{
		{"channels.json", `[{"id": "C01", "name": "general", "created": 1700000000, "creator": "U01", "members": ["U01", "U02"]},
			{"id": "C02", "name": "help", "created": 1700000000, "creator": "U01", "members": ["U01"]}]`},
		{"users.json", `[{"id": "U01", "team_id": "T01", "name": "ada", "real_name": "Ada Lovelace", "is_bot": false, "profile": {"display_name": "Ada", "real_name": "Ada Lovelace"}},
			{"id": "U02", "team_id": "T01", "name": "grace", "is_bot": false, "profile": {"display_name": "", "real_name": "Grace Hopper"}}]`},
		{"general/", ""},
		{"general/2026-11-01.json", `[
			{"type": "message", "subtype": "channel_join", "user": "U02", "text": "<@U02> has joined the channel", "ts": "1761987600.000100"},
			{"type": "message", "user": "U01", "text": "how do I reset the intent model?", "ts": "1761987660.000200", "thread_ts": "1761987660.000200", "reply_count": 1, "team": "T01",
			 "reactions": [{"name": "eyes", "users": ["U02"], "count": 1}]},
			{"type": "message", "user": "U02", "text": "<@U01> run &lt;docent train&gt; &amp; keep this out of chat: TOKEN", "ts": "1761987720.000300", "thread_ts": "1761987660.000200", "parent_user_id": "U01", "team": "T01",
			 "reactions": [{"name": "+1", "users": ["U01", "U03"], "count": 3}, {"name": "pray::skin-tone-3", "users": ["U01"], "count": 1}]},
			{"type": "message", "text": "no author", "ts": "1761987780.000400"}
		]`},
		{"help/2026-11-02.json", `[{"type": "message", "subtype": "bot_message", "bot_id": "B01", "username": "announcer", "text": "Release 2.1 is out.", "ts": "1762074000.000100"}]`},
		{"help/2026-11-03.json", `not json`},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(strings.Replace(f.body, "TOKEN", token, 1)))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestImportSlack: a Slack export's messages are stored as the Slack
// adapter stores live ones (platform slack, the channel's ID, the thread
// a message starts or replies in, its ts), mentions named, Slack's
// escapes undone, the secret redacted, the join left out, the message
// with no author and the broken day reported, reactions kept; the same
// export again adds nothing.
func TestImportSlack(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	zipped := slackExport(t)
	var bad []string
	opts := importer.Options{Bad: func(n int, err error) { bad = append(bad, fmt.Sprint(n, ": ", err)) }}
	sum, err := importer.ImportSlack(ctx, st, "export.zip", int64(len(zipped)), bytes.NewReader(zipped), opts)
	if err != nil {
		t.Fatal(err)
	}
	want := importer.Summary{Messages: 3, Skipped: 2, Other: 1, Redacted: 1, Members: 3, Channels: 2, Lines: 5}
	if sum != want {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
	if len(bad) != 2 || !strings.Contains(bad[0], "no ts or author") || strings.Count(bad[1], "help/2026-11-03.json") != 1 {
		t.Errorf("bad: %q", bad)
	}
	var got []string
	for _, c := range []chat.Conversation{
		{Platform: "slack", Channel: "C01", Thread: "1761987660.000200"},
		{Platform: "slack", Channel: "C02", Thread: "1762074000.000100"},
	} {
		recs, err := st.Conversation(ctx, c, 0)
		if err != nil {
			t.Fatal(err)
		}
		slices.Reverse(recs)
		for _, r := range recs {
			got = append(got, fmt.Sprintf("%s %s %s %s(%s,bot=%v): %s", r.Space, r.Time.Format("2006-01-02T15:04:05.000000"), r.PlatformID, r.Author.Name, r.Author.ID, r.Author.Bot, r.Text))
		}
	}
	wantRecs := []string{
		"T01 2025-11-01T09:01:00.000200 1761987660.000200 Ada(U01,bot=false): how do I reset the intent model?",
		"T01 2025-11-01T09:02:00.000300 1761987720.000300 Grace Hopper(U02,bot=false): @Ada run <docent train> & keep this out of chat: [redacted github-token]",
		" 2025-11-02T09:00:00.000100 1762074000.000100 announcer(B01,bot=true): Release 2.1 is out.",
	}
	if !slices.Equal(got, wantRecs) {
		t.Errorf("stored:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantRecs, "\n"))
	}
	// Reactions keep Slack's emoji names, counts and the members named
	// (Slack may name fewer than it counts); a thread reply needs no
	// RepliesTo, its thread says what it replies to.
	var reactions []string
	for _, c := range []chat.Conversation{
		{Platform: "slack", Channel: "C01", Thread: "1761987660.000200"},
		{Platform: "slack", Channel: "C02", Thread: "1762074000.000100"},
	} {
		recs, err := st.Conversation(ctx, c, 0)
		if err != nil {
			t.Fatal(err)
		}
		slices.Reverse(recs)
		for _, r := range recs {
			reactions = append(reactions, fmt.Sprintf("%s ↩%q %+v", r.PlatformID, r.RepliesTo, r.Reactions))
		}
	}
	wantReactions := []string{
		`1761987660.000200 ↩"" [{Emoji:eyes Count:1 Members:[U02]}]`,
		`1761987720.000300 ↩"" [{Emoji:+1 Count:3 Members:[U01 U03]} {Emoji:pray::skin-tone-3 Count:1 Members:[U01]}]`,
		`1762074000.000100 ↩"" []`,
	}
	if !slices.Equal(reactions, wantReactions) {
		t.Errorf("reactions:\n%s\nwant:\n%s", strings.Join(reactions, "\n"), strings.Join(wantReactions, "\n"))
	}
	again, err := importer.ImportSlack(ctx, st, "export.zip", int64(len(zipped)), bytes.NewReader(zipped), importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Messages != 0 || again.Resumed != 3 {
		t.Errorf("the same export again: %+v, want nothing new", again)
	}
	if _, err := importer.ImportSlack(ctx, st, "x.zip", 8, bytes.NewReader([]byte("not zip!")), importer.Options{}); err == nil || !strings.Contains(err.Error(), "not a Slack export") {
		t.Errorf("a file that is not a zip: %v", err)
	}
}

// TestImportSlackReportsFoldersOfNoChannel: a folder of days that is no
// channel of channels.json (a private channel's or a DM's, which an
// export lists in groups.json and dms.json, a renamed channel, a name
// with "../") is reported by name, never left out in silence.
func TestImportSlackReportsFoldersOfNoChannel(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct{ name, body string }{
		{"channels.json", `[{"id": "C01", "name": "general"}]`},
		{"general/2026-11-01.json", `[{"type": "message", "user": "U01", "text": "hello", "ts": "1761987660.000200"}]`},
		{"../general/2026-11-01.json", `[{"type": "message", "user": "U01", "text": "dot dot", "ts": "1761987660.000300"}]`},
		{"staff/2026-11-01.json", `[{"type": "message", "user": "U01", "text": "private", "ts": "1761987660.000400"}]`},
		{"staff/2026-11-02.json", `[{"type": "message", "user": "U01", "text": "private", "ts": "1761987660.000500"}]`},
	} {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	var bad []string
	opts := importer.Options{Bad: func(n int, err error) { bad = append(bad, fmt.Sprint(n, ": ", err)) }}
	sum, err := importer.ImportSlack(ctx, st, "export.zip", int64(buf.Len()), bytes.NewReader(buf.Bytes()), opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Messages != 1 || sum.Skipped != 2 {
		t.Errorf("summary %+v, want 1 message and the 2 folders skipped", sum)
	}
	if len(bad) != 2 || !strings.Contains(bad[0], `"../general"`) || !strings.Contains(bad[1], `"staff"`) || !strings.Contains(bad[1], "2 files") {
		t.Errorf("bad: %q, want the folders ../general and staff (2 files) reported", bad)
	}
}
