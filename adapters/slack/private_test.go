package slack

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/docent-bot/docent/adapters/slack/slacktest"
	"github.com/docent-bot/docent/chat"
)

// exportData is a member's data export; its bytes must reach the member's
// DM and nowhere else.
const exportData = `{"member":"U1","messages":[{"channel":"C1","text":"how do I deploy?"}],"note":"SENTINEL-EXPORT"}`

func exportAnswer() chat.Answer {
	return chat.Answer{Text: "Here is everything I store about you.", Source: chat.SourceCommand, Private: true,
		File: &chat.File{Name: "docent-export.json", ContentType: "application/json", Data: []byte(exportData)}}
}

// startSocket runs the adapter in socket mode against f, answering each
// message with answer(text); replies receives each Reply's error. It
// returns the socket and stops the adapter when the test ends.
func startSocket(t *testing.T, f *slacktest.Server, answer func(text string) chat.Answer) (*websocket.Conn, <-chan error) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Enabled = true
	cfg.BotToken, cfg.AppToken = slacktest.BotToken, slacktest.AppToken
	cfg.APIURL = f.URL
	cfg.WorkingReaction = ""
	cfg.UsergroupsRefresh = 0
	a, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	replies := make(chan error, 10)
	inbox := newRecordingInbox(func(ctx context.Context, m chat.Message, r chat.Responder) {
		_, err := r.Reply(ctx, answer(m.Text))
		replies <- err
	})
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- a.Run(ctx, inbox) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-runErr:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	return f.Conn(t), replies
}

func nextReply(t *testing.T, replies <-chan error) error {
	t.Helper()
	select {
	case err := <-replies:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("no reply within 10s")
		return nil
	}
}

func mention(ts, user, text string) map[string]any {
	return map[string]any{"type": "app_mention", "user": user, "text": "<@UBOT> " + text, "ts": ts, "channel": "C1", "event_ts": ts}
}

// noExportIn fails if any call but those to the DM channel carries the
// export, or if a file was shared anywhere but there.
func noExportIn(t *testing.T, f *slacktest.Server, dm string) {
	t.Helper()
	for _, method := range []string{"chat.postMessage", "chat.postEphemeral", "chat.update"} {
		for _, c := range f.Calls(method) {
			if c.Get("channel") != dm && (strings.Contains(c.Get("text"), "SENTINEL") || strings.Contains(c.Get("text"), "everything I store")) {
				t.Errorf("%s to %s carries the export: %q", method, c.Get("channel"), c.Get("text"))
			}
		}
	}
	for _, u := range f.Uploads() {
		if u.Completed && u.Channel != dm {
			t.Errorf("file %s shared in %q, want only %s", u.Name, u.Channel, dm)
		}
	}
}

// TestPrivateAnswerGoesToADirectMessage runs the adapter against the fake
// Slack in socket mode: a member asks for their data in a channel and by
// the slash command; the export goes to a DM opened with conversations.open,
// its file uploaded there with the three steps of files.uploadV2, and the
// channel gets only a note the member alone sees.
func TestPrivateAnswerGoesToADirectMessage(t *testing.T) {
	f := slacktest.New(t)
	c, replies := startSocket(t, f, func(string) chat.Answer { return exportAnswer() })
	dm := slacktest.DMChannel("U1")

	if err := c.WriteJSON(slacktest.Envelope("env-1", "Ev1", mention("1700000000.000100", "U1", "export me"))); err != nil {
		t.Fatal(err)
	}
	if err := nextReply(t, replies); err != nil {
		t.Fatalf("Reply: %v", err)
	}
	if open := f.Calls("conversations.open"); len(open) != 1 || open[0].Get("users") != "U1" {
		t.Fatalf("conversations.open calls %v, want one with users=U1", open)
	}
	posts := f.Calls("chat.postMessage")
	if len(posts) != 1 || posts[0].Get("channel") != dm || posts[0].Get("text") != "Here is everything I store about you." ||
		posts[0].Get("thread_ts") != "" {
		t.Fatalf("chat.postMessage calls %v, want the answer's text in %s, not in a thread", posts, dm)
	}
	if gets := f.Calls("files.getUploadURLExternal"); len(gets) != 1 || gets[0].Get("filename") != "docent-export.json" ||
		gets[0].Get("length") != strconv.Itoa(len(exportData)) {
		t.Errorf("files.getUploadURLExternal calls %v, want docent-export.json of %d bytes", gets, len(exportData))
	}
	ups := f.Uploads()
	if len(ups) != 1 {
		t.Fatalf("%d uploads, want 1", len(ups))
	}
	if u := ups[0]; !u.Completed || u.Channel != dm || u.ThreadTS != "" || u.Name != "docent-export.json" || string(u.Data) != exportData {
		t.Errorf("upload %+v (data %q), want docent-export.json with the export's bytes, completed in %s", u, u.Data, dm)
	}
	note := f.Calls("chat.postEphemeral")
	if len(note) != 1 || note[0].Get("channel") != "C1" || note[0].Get("user") != "U1" || note[0].Get("text") != noticeDMSent ||
		note[0].Get("thread_ts") != "1700000000.000100" {
		t.Fatalf("chat.postEphemeral calls %v, want %q to U1 alone in the question's thread", note, noticeDMSent)
	}

	t.Log("the slash command: the same, and the DM channel is reused")
	if err := c.WriteJSON(slashCommand("cmd-1", "export")); err != nil {
		t.Fatal(err)
	}
	if err := nextReply(t, replies); err != nil {
		t.Fatalf("Reply: %v", err)
	}
	if n := len(f.Calls("conversations.open")); n != 1 {
		t.Errorf("conversations.open called %d times, want once (the DM is remembered)", n)
	}
	if ups := f.Uploads(); len(ups) != 2 || ups[1].Channel != dm || string(ups[1].Data) != exportData {
		t.Errorf("uploads %+v, want a second one of the export in %s", ups, dm)
	}
	if note := f.Calls("chat.postEphemeral"); len(note) != 2 || note[1].Get("channel") != "C1" || note[1].Get("thread_ts") != "" {
		t.Errorf("chat.postEphemeral calls %v, want a second note in C1", note)
	}
	noExportIn(t, f, dm)
}

// TestPrivateAnswerFailsWithoutADM: when the DM cannot be opened, the reply
// fails with an error that says why, and nothing goes to the channel.
func TestPrivateAnswerFailsWithoutADM(t *testing.T) {
	f := slacktest.New(t)
	f.Fail("conversations.open", "missing_scope")
	c, replies := startSocket(t, f, func(string) chat.Answer { return exportAnswer() })
	if err := c.WriteJSON(slacktest.Envelope("env-1", "Ev1", mention("1700000000.000100", "U1", "export me"))); err != nil {
		t.Fatal(err)
	}
	err := nextReply(t, replies)
	if err == nil || !strings.Contains(err.Error(), "missing_scope") || !strings.Contains(err.Error(), "im:write") ||
		!strings.Contains(err.Error(), "U1") || strings.Contains(err.Error(), "SENTINEL") {
		t.Fatalf("Reply = %v, want an error naming the member, missing_scope and im:write, without the export", err)
	}
	for _, method := range []string{"chat.postMessage", "chat.postEphemeral", "files.getUploadURLExternal"} {
		if calls := f.Calls(method); len(calls) > 0 {
			t.Errorf("%s called %v after the DM failed", method, calls)
		}
	}

	t.Log("an upload refused in the DM fails the reply too")
	f.Fail("conversations.open", "")
	f.Fail("files.completeUploadExternal", "not_in_channel")
	if err := c.WriteJSON(slacktest.Envelope("env-2", "Ev2", mention("1700000001.000100", "U1", "export me"))); err != nil {
		t.Fatal(err)
	}
	if err := nextReply(t, replies); err == nil || !strings.Contains(err.Error(), "not_in_channel") || !strings.Contains(err.Error(), "docent-export.json") {
		t.Errorf("Reply = %v, want an error naming the file and not_in_channel", err)
	}
	noExportIn(t, f, slacktest.DMChannel("U1"))
}

// TestFileInTheThread: a file that is not private is uploaded into the
// question's thread after the text; one meant only for the member is
// refused, since Slack cannot show a file to one member of a channel.
func TestFileInTheThread(t *testing.T) {
	f := slacktest.New(t)
	file := &chat.File{Name: "../../report.csv", ContentType: "text/csv", Data: []byte("a,b\n1,2\n")}
	c, replies := startSocket(t, f, func(text string) chat.Answer {
		return chat.Answer{Text: "The report.", File: file, Ephemeral: text == "only for me"}
	})
	if err := c.WriteJSON(slacktest.Envelope("env-1", "Ev1", mention("1700000000.000100", "U1", "report"))); err != nil {
		t.Fatal(err)
	}
	if err := nextReply(t, replies); err != nil {
		t.Fatalf("Reply: %v", err)
	}
	if posts := f.Calls("chat.postMessage"); len(posts) != 1 || posts[0].Get("channel") != "C1" || posts[0].Get("thread_ts") != "1700000000.000100" {
		t.Errorf("chat.postMessage calls %v, want the text in the question's thread", posts)
	}
	if ups := f.Uploads(); len(ups) != 1 || ups[0].Channel != "C1" || ups[0].ThreadTS != "1700000000.000100" ||
		ups[0].Name != "report.csv" || string(ups[0].Data) != "a,b\n1,2\n" {
		t.Errorf("uploads %+v, want report.csv with its bytes in the question's thread", ups)
	}
	if err := c.WriteJSON(slacktest.Envelope("env-2", "Ev2", mention("1700000001.000100", "U1", "only for me"))); err != nil {
		t.Fatal(err)
	}
	if err := nextReply(t, replies); !errors.Is(err, errEphemeralFile) {
		t.Errorf("Reply = %v, want errEphemeralFile", err)
	}
	if n := len(f.Uploads()); n != 1 {
		t.Errorf("%d uploads, want still 1", n)
	}
}

// TestPrivateAnswerIsEditedInTheDM: an edit of a private answer changes
// the message in the DM, not one in the channel.
func TestPrivateAnswerIsEditedInTheDM(t *testing.T) {
	f := slacktest.New(t)
	cfg := DefaultConfig()
	cfg.Enabled = true
	cfg.BotToken, cfg.AppToken, cfg.APIURL = slacktest.BotToken, slacktest.AppToken, f.URL
	a, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &responder{a: a, channel: "C1", user: "U1", thread: "1700000000.000100"}
	ctx := context.Background()
	sent, err := r.Reply(ctx, exportAnswer())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Edit(ctx, sent, chat.Answer{Text: "Here it is, again.", Private: true}); err != nil {
		t.Fatal(err)
	}
	upd := f.Calls("chat.update")
	if len(upd) != 1 || upd[0].Get("channel") != slacktest.DMChannel("U1") || upd[0].Get("ts") != sent.ID || upd[0].Get("text") != "Here it is, again." {
		t.Errorf("chat.update calls %v, want the DM's message %s changed", upd, sent.ID)
	}
}
