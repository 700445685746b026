package discord

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/docent-bot/docent/adapters/discord/discordtest"
	"github.com/docent-bot/docent/chat"
)

// exportData is a member's data export; its bytes must reach the member's
// DM and nowhere else.
const exportData = `{"member":"7","messages":[{"channel":"200","text":"how do I deploy?"}],"note":"SENTINEL-EXPORT"}`

func exportAnswer() chat.Answer {
	return chat.Answer{Text: "Here is everything I store about you.", Source: chat.SourceCommand, Private: true,
		File: &chat.File{Name: "docent-export.json", ContentType: "application/json", Data: []byte(exportData)}}
}

// checkExport fails unless r is the export in a message of the member's DM
// channel: the text, and the file's exact bytes, name and type.
func checkExport(t *testing.T, r discordtest.Request) {
	t.Helper()
	discordtest.CheckAllowed(t, r, "7")
	if r.Body["content"] != "Here is everything I store about you." {
		t.Errorf("%s content = %q", r, r.Body["content"])
	}
	if _, ok := r.Body["message_reference"]; ok {
		t.Errorf("%s replies to a message of another channel: %v", r, r.Body["message_reference"])
	}
	if len(r.Files) != 1 {
		t.Fatalf("%s carries %d files, want 1", r, len(r.Files))
	}
	f := r.Files[0]
	if f.Field != "files[0]" || f.Name != "docent-export.json" || f.ContentType != "application/json" || !bytes.Equal(f.Data, []byte(exportData)) {
		t.Errorf("%s file %s %q %s %q, want files[0] docent-export.json application/json %q", r, f.Field, f.Name, f.ContentType, f.Data, exportData)
	}
}

// checkNotice fails unless r is a short notice with none of the export.
func checkNotice(t *testing.T, r discordtest.Request, want string) {
	t.Helper()
	if r.Body["content"] != want {
		t.Errorf("%s content = %q, want %q", r, r.Body["content"], want)
	}
	if len(r.Files) > 0 || strings.Contains(fmt.Sprint(r.Body), "SENTINEL") {
		t.Errorf("%s carries the export: %v, files %v", r, r.Body, r.Files)
	}
	discordtest.CheckAllowed(t, r, "7")
}

// TestPrivateAnswerGoesToADirectMessage runs the adapter against the fake
// Discord: a member asks for their data in a channel; the export goes to a
// direct message with the file, and the channel sees only a pointer to it.
// Then the member closes their DMs: the channel gets the explanation.
func TestPrivateAnswerGoesToADirectMessage(t *testing.T) {
	f := discordtest.New(t)
	cfg := DefaultConfig()
	cfg.Enabled, cfg.Token, cfg.APIBase = true, "tok", f.URL // threads on, as by default
	a, err := New(cfg, Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	in := &inbox{msgs: make(chan delivery, 10), votes: make(chan chat.Feedback, 10)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, in) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not return within 5s of cancel")
		}
	}()
	select {
	case <-f.Identify:
	case <-time.After(5 * time.Second):
		t.Fatal("no IDENTIFY")
	}
	f.Next(t, "PUT /api/v9/applications/42/commands")

	t.Log("the export goes to a new DM with the member, the file attached")
	f.Send("MESSAGE_CREATE", message("1004", "200", "100", "<@42> export me", true))
	d := in.next(t)
	sent, err := d.r.Reply(ctx, exportAnswer())
	if err != nil {
		t.Fatal(err)
	}
	if open := f.Next(t, "POST /api/v9/users/@me/channels"); open.Body["recipient_id"] != "7" {
		t.Errorf("opened a DM with %v, want member 7", open.Body["recipient_id"])
	}
	dm := f.Next(t, "POST /api/v9/channels/"+discordtest.DMChannel("7")+"/messages")
	checkExport(t, dm)
	if sent.ID != dm.ID {
		t.Errorf("Sent.ID = %q, want the DM's message %q", sent.ID, dm.ID)
	}

	t.Log("the channel gets a pointer as a reply, no thread and none of the export")
	pointer := f.Next(t, "POST /api/v9/channels/200/messages")
	checkNotice(t, pointer, noticeDMSent)
	if ref, _ := pointer.Body["message_reference"].(map[string]any); ref["message_id"] != "1004" {
		t.Errorf("the pointer is not a reply to the member's message: %v", pointer.Body)
	}

	t.Log("the member closes their DMs: the DM is reused, Discord refuses, the channel is told why")
	f.CloseDMs("7")
	f.Send("MESSAGE_CREATE", message("1005", "200", "100", "<@42> export me again", true))
	d = in.next(t)
	_, err = d.r.Reply(ctx, exportAnswer())
	if !errors.Is(err, ErrDMsClosed) {
		t.Fatalf("Reply with DMs closed = %v, want ErrDMsClosed", err)
	}
	var re *discordgo.RESTError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "member 7") || strings.Contains(err.Error(), "SENTINEL") {
		t.Errorf("error %q: want Discord's error, the member, and none of the export", err)
	}
	checkExport(t, f.Next(t, "403 POST /api/v9/channels/"+discordtest.DMChannel("7")+"/messages"))
	checkNotice(t, f.Next(t, "POST /api/v9/channels/200/messages"), noticeDMClosed)
	f.NoMore(t)
}

func TestPrivateAnswerInADirectMessageHasNoPointer(t *testing.T) {
	f := discordtest.New(t)
	a, s := restAdapter(t, f)
	dm := discordtest.DMChannel("7")
	r := &responder{a: a, s: s, asker: "7", channel: dm, msgID: "1006", sent: map[string]sentParts{}}
	sent, err := r.Reply(context.Background(), exportAnswer())
	if err != nil {
		t.Fatal(err)
	}
	f.Next(t, "POST /api/v9/users/@me/channels")
	checkExport(t, f.Next(t, "POST /api/v9/channels/"+dm+"/messages"))
	// An edit of the private answer stays in the DM.
	if err := r.Edit(context.Background(), sent, chat.Answer{Text: "Here it is.", Private: true}); err != nil {
		t.Fatal(err)
	}
	discordtest.CheckAllowed(t, f.Next(t, "PATCH /api/v9/channels/"+dm+"/messages/"+sent.ID), "7")
	f.NoMore(t)
}

// TestSlashCommandPrivateAnswer: /export's answer goes to a DM too; the
// public "thinking" response is deleted and an ephemeral followup points to
// the DM, or says why there is none.
func TestSlashCommandPrivateAnswer(t *testing.T) {
	f := discordtest.New(t)
	a, s := restAdapter(t, f)
	ctx := context.Background()
	i := &discordgo.Interaction{ID: "600", AppID: "42", Token: "itok", Type: discordgo.InteractionApplicationCommand, ChannelID: "200", GuildID: "100"}
	r := &interactionResponder{a: a, s: s, i: i, asker: "7", parts: map[string]sentParts{}}
	sent, err := r.Reply(ctx, exportAnswer())
	if err != nil {
		t.Fatal(err)
	}
	f.Next(t, "DELETE /api/v9/webhooks/42/itok/messages/@original")
	f.Next(t, "POST /api/v9/users/@me/channels")
	dm := f.Next(t, "POST /api/v9/channels/"+discordtest.DMChannel("7")+"/messages")
	checkExport(t, dm)
	note := f.Next(t, "POST /api/v9/webhooks/42/itok")
	checkNotice(t, note, noticeDMSent)
	if note.Body["flags"] != float64(discordgo.MessageFlagsEphemeral) {
		t.Errorf("the pointer's flags = %v, want 64 (ephemeral)", note.Body["flags"])
	}
	if err := r.Edit(ctx, sent, chat.Answer{Text: "Here it is.", Private: true}); err != nil {
		t.Fatal(err)
	}
	f.Next(t, "PATCH /api/v9/channels/"+discordtest.DMChannel("7")+"/messages/"+dm.ID)

	f.CloseDMs("7")
	i2 := &discordgo.Interaction{ID: "601", AppID: "42", Token: "itok2", Type: discordgo.InteractionApplicationCommand, ChannelID: "200", GuildID: "100"}
	r2 := &interactionResponder{a: a, s: s, i: i2, asker: "7", parts: map[string]sentParts{}}
	if _, err := r2.Reply(ctx, exportAnswer()); !errors.Is(err, ErrDMsClosed) {
		t.Fatalf("Reply with DMs closed = %v, want ErrDMsClosed", err)
	}
	f.Next(t, "DELETE /api/v9/webhooks/42/itok2/messages/@original")
	f.Next(t, "403 POST /api/v9/channels/"+discordtest.DMChannel("7")+"/messages") // the DM channel is reused
	note = f.Next(t, "POST /api/v9/webhooks/42/itok2")
	checkNotice(t, note, noticeDMClosed)
	if note.Body["flags"] != float64(discordgo.MessageFlagsEphemeral) {
		t.Errorf("the explanation's flags = %v, want 64 (ephemeral)", note.Body["flags"])
	}
	f.NoMore(t)
}

// TestFileInTheConversation: a file that is not private is attached to the
// last part of the answer, in the thread, or alone when there is no text;
// an interaction's answer carries it too.
func TestFileInTheConversation(t *testing.T) {
	f := discordtest.New(t)
	a, s := restAdapter(t, f)
	ctx := context.Background()
	file := &chat.File{Name: "../notes/report.csv", ContentType: "text/csv", Data: []byte("a,b\n1,2\n")}
	r := &responder{a: a, s: s, asker: "7", channel: "200", msgID: "1007", question: "report", thread: true, sent: map[string]sentParts{}}
	if _, err := r.Reply(ctx, chat.Answer{Text: strings.Repeat("word ", 500), File: file}); err != nil {
		t.Fatal(err)
	}
	f.Next(t, "POST /api/v9/channels/200/messages/1007/threads")
	p1 := f.Next(t, "POST /api/v9/channels/10079/messages")
	p2 := f.Next(t, "POST /api/v9/channels/10079/messages")
	if len(p1.Files) != 0 || len(p2.Files) != 1 {
		t.Fatalf("files on the parts: %d and %d, want the file on the last part only", len(p1.Files), len(p2.Files))
	}
	if got := p2.Files[0]; got.Name != "report.csv" || got.ContentType != "text/csv" || string(got.Data) != "a,b\n1,2\n" {
		t.Errorf("file %q %s %q, want report.csv text/csv with its bytes", got.Name, got.ContentType, got.Data)
	}
	discordtest.CheckAllowed(t, p2, "7")
	if _, err := r.Reply(ctx, chat.Answer{File: file}); err != nil {
		t.Fatal(err)
	}
	if alone := f.Next(t, "POST /api/v9/channels/10079/messages"); len(alone.Files) != 1 || alone.Body["content"] != nil && alone.Body["content"] != "" {
		t.Errorf("a file-only answer sent as %v with %d files", alone.Body, len(alone.Files))
	}

	i := &discordgo.Interaction{ID: "602", AppID: "42", Token: "itok3", Type: discordgo.InteractionApplicationCommand}
	ir := &interactionResponder{a: a, s: s, i: i, asker: "7", parts: map[string]sentParts{}}
	if _, err := ir.Reply(ctx, chat.Answer{Text: "The report.", File: file}); err != nil {
		t.Fatal(err)
	}
	if orig := f.Next(t, "PATCH /api/v9/webhooks/42/itok3/messages/@original"); len(orig.Files) != 1 || string(orig.Files[0].Data) != "a,b\n1,2\n" {
		t.Errorf("the interaction's answer carries %d files: %v", len(orig.Files), orig.Files)
	}
	if _, err := ir.Reply(ctx, chat.Answer{Text: "Only for you.", File: file, Ephemeral: true}); err != nil {
		t.Fatal(err)
	}
	if fu := f.Next(t, "POST /api/v9/webhooks/42/itok3"); len(fu.Files) != 1 || fu.Body["flags"] != float64(discordgo.MessageFlagsEphemeral) {
		t.Errorf("an ephemeral followup with a file: flags %v, %d files", fu.Body["flags"], len(fu.Files))
	}
	f.NoMore(t)
}

// TestFilesRefusedWithoutACall: a file meant only for the member cannot go
// in a channel message, and a file too large for Discord is refused before
// anything (a thread included) is created.
func TestFilesRefusedWithoutACall(t *testing.T) {
	f := discordtest.New(t)
	a, s := restAdapter(t, f)
	r := &responder{a: a, s: s, asker: "7", channel: "200", msgID: "1008", question: "q", thread: true, sent: map[string]sentParts{}}
	file := &chat.File{Name: "x.json", Data: []byte("{}")}
	if _, err := r.Reply(context.Background(), chat.Answer{Text: "only for you", Ephemeral: true, File: file}); !errors.Is(err, errEphemeralFile) {
		t.Errorf("an ephemeral file in a channel: %v, want errEphemeralFile", err)
	}
	big := &chat.File{Name: "big.json", Data: make([]byte, MaxFile+1)}
	if _, err := r.Reply(context.Background(), chat.Answer{Text: "big", File: big}); err == nil || !strings.Contains(err.Error(), "big.json") {
		t.Errorf("a file over %d bytes: %v, want an error naming it", MaxFile, err)
	}
	if _, err := r.Reply(context.Background(), chat.Answer{Text: "big", File: big, Private: true}); err == nil {
		t.Error("a private file over the limit was accepted")
	}
	f.NoMore(t)
}
