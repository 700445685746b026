package importer_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/docent-bot/docent/bot/importer"
	"github.com/docent-bot/docent/chat"
)

// TestImportDiscord: a DiscordChatExporter export of a channel is stored
// as the Discord adapter stores live messages (platform discord, the
// guild as space, the channel's ID, the message IDs), the member's
// nickname as their name, the secret redacted, the join left out, the
// message with an unreadable time reported, replies and reactions kept;
// the same file again adds nothing.
func TestImportDiscord(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	file, err := os.ReadFile("testdata/discord-channel.json")
	if err != nil {
		t.Fatal(err)
	}
	// The token is put in here, so that no file holds one that a secret
	// scanner would flag.
	raw := strings.Replace(string(file), "TOKEN", token, 1)
	var bad []string
	opts := importer.Options{Bad: func(n int, err error) { bad = append(bad, fmt.Sprint(n, ": ", err)) }}
	sum, err := importer.ImportDiscord(ctx, st, "discord-channel.json", int64(len(raw)), strings.NewReader(raw), opts)
	if err != nil {
		t.Fatal(err)
	}
	want := importer.Summary{Messages: 5, Skipped: 1, Other: 1, Redacted: 1, Members: 4, Channels: 1, Lines: 7}
	if sum != want {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
	if len(bad) != 1 || !strings.HasPrefix(bad[0], "4: ") {
		t.Errorf("bad messages %q, want message 4", bad)
	}
	recs, err := st.Conversation(ctx, chat.Conversation{Platform: "discord", Channel: "810000000000000100"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(recs)
	var got []string
	for _, r := range recs {
		got = append(got, fmt.Sprintf("%s %s %s %s(%s,bot=%v): %s", r.Space, r.Time.Format("15:04:05.000"), r.PlatformID, r.Author.Name, r.Author.ID, r.Author.Bot, r.Text))
	}
	wantRecs := []string{
		"810000000000000001 09:01:12.345 810000000000001002 Ada(810000000000000201,bot=false): how do I reset the intent model?",
		"810000000000000001 09:03:00.000 810000000000001003 grace(810000000000000202,bot=false): @Ada run docent train, and keep your token out of chat: [redacted github-token]",
		"810000000000000001 09:05:00.000 810000000000001005 Ada(810000000000000201,bot=false): Thanks for the answer!",
		"810000000000000001 09:05:30.000 810000000000001007 linus(810000000000000204,bot=false): the release notes say the same",
		"810000000000000001 09:06:00.000 810000000000001006 announcer(810000000000000299,bot=true): Release 2.1 is out.",
	}
	if !slices.Equal(got, wantRecs) {
		t.Errorf("stored:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantRecs, "\n"))
	}
	// The reply names the message it replies to (a forward, whose
	// reference is not a reply, names none); reactions keep their emoji
	// (a custom one by name), count and, where the export has them, who.
	var replies []string
	for _, r := range recs {
		replies = append(replies, fmt.Sprintf("%s ↩%q %+v", r.PlatformID, r.RepliesTo, r.Reactions))
	}
	wantReplies := []string{
		`810000000000001002 ↩"" [{Emoji:👀 Count:1 Members:[]}]`,
		`810000000000001003 ↩"810000000000001002" [{Emoji:👍 Count:2 Members:[810000000000000201 810000000000000204]}]`,
		`810000000000001005 ↩"" [{Emoji:docent_heart Count:1 Members:[810000000000000202]}]`,
		`810000000000001007 ↩"" []`,
		`810000000000001006 ↩"" []`,
	}
	if !slices.Equal(replies, wantReplies) {
		t.Errorf("replies and reactions:\n%s\nwant:\n%s", strings.Join(replies, "\n"), strings.Join(wantReplies, "\n"))
	}
	// Another copy of the export (as a new download would be): the IDs
	// leave every message out.
	again, err := importer.ImportDiscord(ctx, st, "copy.json", int64(len(raw)), strings.NewReader(raw), importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Messages != 0 || again.Duplicates != 5 {
		t.Errorf("a copy of the export: %+v, want no message and 5 duplicates", again)
	}
}

// TestImportDiscordThread: a thread's export is stored under its parent
// channel, as the adapter stores a thread; a file that is not an export
// is refused with a reason.
func TestImportDiscordThread(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	thread := `{"guild": {"id": "1", "name": "g"}, "channel": {"id": "300", "type": "GuildPublicThread", "categoryId": "200", "category": "help", "name": "reset?"},
		"messages": [{"id": "9", "type": "Default", "timestamp": "2026-11-01T09:00:00+00:00", "content": "in a thread", "author": {"id": "5", "name": "ada", "isBot": false}}]}`
	if _, err := importer.ImportDiscord(ctx, st, "t.json", int64(len(thread)), strings.NewReader(thread), importer.Options{}); err != nil {
		t.Fatal(err)
	}
	recs, err := st.Conversation(ctx, chat.Conversation{Platform: "discord", Channel: "200", Thread: "300"}, 0)
	if err != nil || len(recs) != 1 || recs[0].Text != "in a thread" {
		t.Errorf("the thread: %v, %v", recs, err)
	}
	for _, notExport := range []string{`[1, 2]`, `{"messages": []}`, `{"channel": {"id": "1"}, "messages": [{"id": "1"`} {
		if _, err := importer.ImportDiscord(ctx, st, "x.json", int64(len(notExport)), strings.NewReader(notExport), importer.Options{}); err == nil || !strings.Contains(err.Error(), "not a DiscordChatExporter") {
			t.Errorf("%s: %v", notExport, err)
		}
	}
}

// TestImportDiscordKeepsWhatCameBeforeABreak: an export cut short (a
// download that stopped) is an error naming the file and the message
// where it breaks, and the messages before the break are stored: the
// same file, whole, imported later adds only the rest.
func TestImportDiscordKeepsWhatCameBeforeABreak(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	file, err := os.ReadFile("testdata/discord-channel.json")
	if err != nil {
		t.Fatal(err)
	}
	whole := strings.Replace(string(file), "TOKEN", token, 1)
	cut := whole[:strings.Index(whole, `"810000000000001006"`)] // inside message 7
	sum, err := importer.ImportDiscord(ctx, st, "cut.json", int64(len(cut)), strings.NewReader(cut), importer.Options{})
	if err == nil || !strings.Contains(err.Error(), "cut.json") || !strings.Contains(err.Error(), "message 7") {
		t.Errorf("a cut export: %v, want an error naming cut.json and message 7", err)
	}
	recs, err := st.Conversation(ctx, chat.Conversation{Platform: "discord", Channel: "810000000000000100"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || sum.Messages != 4 {
		t.Errorf("stored %d messages (summary %+v), want the 4 before the break", len(recs), sum)
	}
	again, err := importer.ImportDiscord(ctx, st, "whole.json", int64(len(whole)), strings.NewReader(whole), importer.Options{})
	if err != nil || again.Messages != 1 || again.Duplicates != 4 {
		t.Errorf("the whole export after the cut one: %+v, %v; want 1 new, 4 duplicates", again, err)
	}
}

// TestImportRedactsEveryField: a secret is redacted wherever an export
// puts it, not only in the text: a reaction's emoji name, the ID of the
// message replied to.
func TestImportRedactsEveryField(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	raw := `{"guild": {"id": "G1"}, "channel": {"id": "C1", "type": "GuildTextChat"}, "messages": [
		{"id": "1", "type": "Reply", "timestamp": "2024-01-01T10:00:00Z", "content": "hi", "author": {"id": "U1", "name": "a"},
		 "reference": {"messageId": "TOKEN"}, "reactions": [{"emoji": {"id": "", "name": "TOKEN"}, "count": 1, "users": [{"id": "U2"}]}]}]}`
	raw = strings.ReplaceAll(raw, "TOKEN", token)
	if _, err := importer.ImportDiscord(ctx, st, "d.json", int64(len(raw)), strings.NewReader(raw), importer.Options{}); err != nil {
		t.Fatal(err)
	}
	recs, err := st.Conversation(ctx, chat.Conversation{Platform: "discord", Channel: "C1"}, 0)
	if err != nil || len(recs) != 1 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	if got := fmt.Sprintf("%+v", recs[0]); strings.Contains(got, token) {
		t.Errorf("the secret is stored: %s", got)
	}
}
