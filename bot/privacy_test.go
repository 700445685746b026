package bot

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/docent-bot/docent/bot/analytics"
	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/bot/privacy"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// TestForgetMeConfirmWindow: `forget me confirm` is taken within the
// window after `forget me`, and refused after it, on synctest's clock; the
// window starts over when the member asks again.
func TestForgetMeConfirmWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := openBot(t, writeConfig(t, ""))
		defer closeBot(t, b)
		conv := chat.Conversation{Platform: "discord", Channel: "general"}
		ask := func(text string) string {
			t.Helper()
			got := bottest.Ask(t, b.Inbox(), conv, alice, text)
			if len(got) != 1 {
				t.Fatalf("%q: %d answers, want 1", text, len(got))
			}
			return got[0].Text
		}
		ask("!forget me")
		time.Sleep(privacy.ConfirmWindow + time.Second)
		if a := ask("!forget me confirm"); !strings.Contains(a, "Write `!forget me` first") {
			t.Errorf("confirmed after the window: %q", a)
		}
		ask("!forget me")
		time.Sleep(privacy.ConfirmWindow - time.Minute)
		ask("!forget me") // asked again: the window starts over
		time.Sleep(2 * time.Minute)
		if a := ask("!forget me confirm"); !strings.HasPrefix(a, "Done: I deleted") {
			t.Errorf("confirmed within the window of the second ask: %q", a)
		}
	})
}

// TestExportAndForgetMe: a member exports their data (privately, as a JSON
// file), asks to be forgotten, confirms, and nothing of theirs is left,
// while another member's messages stay.
func TestExportAndForgetMe(t *testing.T) {
	b := openBot(t, writeConfig(t, ""))
	defer closeBot(t, b)
	conv := chat.Conversation{Platform: "discord", Channel: "general"}
	dora := chat.Member{ID: "dora-77", Name: "Dora"}
	ask := func(m chat.Member, text string) chat.Answer {
		t.Helper()
		got := bottest.Ask(t, b.Inbox(), conv, m, text)
		if len(got) != 1 {
			t.Fatalf("%q: %d answers, want 1", text, len(got))
		}
		return got[0]
	}
	ask(dora, "hello")
	ask(dora, "how do I install it")
	ask(alice, "hello")

	exp := ask(dora, "!export me")
	if !exp.Private || exp.File == nil || exp.File.ContentType != "application/json" || !strings.HasSuffix(exp.File.Name, ".json") {
		t.Fatalf("export: %+v, want a private answer with a JSON file", exp)
	}
	var data store.MemberData
	if err := json.Unmarshal(exp.File.Data, &data); err != nil {
		t.Fatal(err)
	}
	if len(data.Messages) != 3 || data.Messages[1].Text != "how do I install it" || len(data.Answers) != 2 {
		t.Errorf("export holds %d messages, %d answers: %+v", len(data.Messages), len(data.Answers), data.Messages)
	}
	if !strings.Contains(exp.Text, "3 messages, 2 answers") {
		t.Errorf("export says %q", exp.Text)
	}

	if a := ask(dora, "!forget me confirm"); !strings.Contains(a.Text, "Write `!forget me` first") {
		t.Errorf("a confirmation without the ask: %q", a.Text)
	}
	if a := ask(dora, "!forget me"); !strings.Contains(a.Text, "`!forget me confirm` within 5 minutes") || !a.Ephemeral {
		t.Errorf("forget me: %+v", a)
	}
	if a := ask(alice, "!forget me confirm"); !strings.Contains(a.Text, "first") {
		t.Errorf("another member confirmed dora's request: %q", a.Text)
	}
	a := ask(dora, "!forget me confirm")
	if !strings.Contains(a.Text, "Done: I deleted 6 messages, 5 answers to them") {
		t.Errorf("forget me confirm: %q", a.Text)
	}
	ctx := context.Background()
	left, err := b.store.ExportMember(ctx, store.MemberRef{Platform: "discord", ID: "dora-77"})
	activity, _ := left.Parts["activity"].([]analytics.MemberDay)
	if err != nil || len(left.Messages)+len(left.Answers)+len(activity) != 0 {
		t.Errorf("after forgetting: %+v, %v", left, err)
	}
	recs, err := b.store.Conversation(ctx, conv, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Author.ID == dora.ID || strings.Contains(r.Text, "Dora") {
			t.Errorf("left in the history: %+v", r)
		}
	}
	if len(recs) < 2 { // alice's hello and its answer (and the confirmation)
		t.Errorf("alice's messages went too: %+v", recs)
	}
}

// TestRetention deletes history older than store.retention_days when the
// bot starts, and keeps the rest; on synctest's clock, exactly when the
// start's pass is over.
func TestRetention(t *testing.T) { synctest.Test(t, testRetention) }

func testRetention(t *testing.T) {
	path := writeConfig(t, "")
	write(t, path, strings.Replace(mustRead(t, path), "  path: docent.db\n", "  path: docent.db\n  retention_days: 30\n", 1))
	b := openBot(t, path)
	noSocketsInBubble(t, b)
	ctx := context.Background()
	conv := chat.Conversation{Platform: "discord", Channel: "general"}
	old := time.Now().AddDate(0, 0, -45)
	recs, err := b.store.Import(ctx, []store.Record{
		{ID: 1, Kind: store.KindMessage, Conversation: conv, Time: old, Author: alice, Text: "an old question"},
		{ID: 2, Kind: store.KindAnswer, Conversation: conv, Time: old, Author: chat.Member{ID: "docent", Bot: true}, ReplyTo: 1, Text: "an old answer", Source: chat.SourceFallback},
		{ID: 3, Kind: store.KindMessage, Conversation: conv, Time: time.Now().AddDate(0, 0, -2), Author: alice, Text: "a recent question"},
	})
	if err != nil {
		t.Fatal(err)
	}
	runBot(t, b, idle{})
	synctest.Wait()
	for i, want := range []error{store.ErrNotFound, store.ErrNotFound, nil} {
		if _, err := b.store.Record(ctx, recs[i].ID); !errors.Is(err, want) {
			t.Errorf("%q after the start's pass: %v, want %v", recs[i].Text, err, want)
		}
	}
}

// TestFullDatabase: at store.max_size_mb (as on a full disk) Docent goes on
// answering, says once per conversation that the history is not saved,
// and saves again once deletions free space.
func TestFullDatabase(t *testing.T) {
	path := writeConfig(t, "")
	b := openBot(t, path) // trains and saves the model: the file's size is known after
	closeBot(t, b)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(cfg.StorePath())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store.MaxSizeMB = fi.Size()>>20 + 2
	cfg.Bot.RateLimit = RateLimitConfig{}
	b, err = Open(context.Background(), cfg, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer closeBot(t, b)
	conv := chat.Conversation{Platform: "test", Channel: "full"}
	big := strings.Repeat("padding ", 1500) // 12 KB a message
	notes := 0
	var i int
	for i = 0; i < 2000 && notes == 0; i++ {
		got := bottest.Ask(t, b.Inbox(), conv, alice, "hello "+big)
		if len(got) != 1 {
			t.Fatalf("message %d: %d answers, want 1 even when full", i, len(got))
		}
		if strings.Contains(got[0].Text, "not in my history") {
			notes++
		}
	}
	if notes == 0 {
		t.Fatalf("no note after %d messages of 12 KB into a file capped at %d MB", i, cfg.Store.MaxSizeMB)
	}
	// Still answering, without repeating the note in this conversation.
	for range 3 {
		got := bottest.Ask(t, b.Inbox(), conv, alice, "hello "+big)
		if len(got) != 1 || got[0].Source == chat.SourceError || strings.Contains(got[0].Text, "not in my history") {
			t.Fatalf("while full: %+v", got)
		}
	}
	// Space comes back: everything before now is deleted.
	if _, err := b.store.DeleteBefore(context.Background(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got := bottest.Ask(t, b.Inbox(), conv, alice, "hello")
	if len(got) != 1 || strings.Contains(got[0].Text, "not in my history") {
		t.Fatalf("after freeing space: %+v", got)
	}
	recs, err := b.store.Conversation(context.Background(), conv, 0)
	saved := false
	for _, r := range recs {
		saved = saved || r.Kind == store.KindMessage && r.Text == "hello"
	}
	if err != nil || !saved {
		t.Errorf("after freeing space, the history lacks the new message: %d records, %v", len(recs), err)
	}
}

// The control socket's folder must be the user's own and closed to others:
// the server closes it, the client refuses one that is open.
func TestControlDirIsPrivate(t *testing.T) {
	dir := t.TempDir() + "/ctl"
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	if err := privateDir(dir, false); err == nil || !strings.Contains(err.Error(), "open to other users") {
		t.Errorf("client on a 0755 folder: %v, want a refusal", err)
	}
	if err := privateDir(dir, true); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("server left the folder %v, want 0700", fi.Mode().Perm())
	}
	if err := privateDir(dir, false); err != nil {
		t.Errorf("client on the 0700 folder: %v", err)
	}
	link := t.TempDir() + "/link"
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if err := privateDir(link, false); err == nil {
		t.Error("a link to a folder was accepted")
	}
}

// TestExportAndForgetMeReactions: a member whose reactions came in with
// imported history finds them in `!export me` and the answer counts
// them; `!forget me` takes them off the others' messages, which stay.
func TestExportAndForgetMeReactions(t *testing.T) {
	b := openBot(t, writeConfig(t, ""))
	defer closeBot(t, b)
	ctx := context.Background()
	imported := chat.Conversation{Platform: "discord", Channel: "help"}
	if _, err := b.store.Import(ctx, []store.Record{
		{Kind: store.KindMessage, Conversation: imported, Time: time.Now().Add(-time.Hour), Author: chat.Member{ID: "grace-1", Name: "Grace"},
			Text: "run docent train", PlatformID: "1003", RepliesTo: "1002",
			Reactions: []store.Reaction{{Emoji: "👍", Count: 3, Members: []string{"dora-77", "ada-2"}}, {Emoji: "🎉", Count: 1, Members: []string{"dora-77"}}}},
	}); err != nil {
		t.Fatal(err)
	}
	conv := chat.Conversation{Platform: "discord", Channel: "general"}
	dora := chat.Member{ID: "dora-77", Name: "Dora"}
	ask := func(text string) chat.Answer {
		t.Helper()
		got := bottest.Ask(t, b.Inbox(), conv, dora, text)
		if len(got) != 1 {
			t.Fatalf("%q: %d answers, want 1", text, len(got))
		}
		return got[0]
	}
	exp := ask("!export me")
	var data store.MemberData
	if err := json.Unmarshal(exp.File.Data, &data); err != nil {
		t.Fatal(err)
	}
	if len(data.Reactions) != 2 || data.Reactions[0].PlatformID != "1003" || data.Reactions[0].Emoji != "👍" || data.Reactions[1].Emoji != "🎉" {
		t.Errorf("export's reactions: %+v", data.Reactions)
	}
	if !strings.Contains(exp.Text, "0 votes, 2 reactions, as JSON") {
		t.Errorf("export says %q", exp.Text)
	}
	ask("!forget me")
	if a := ask("!forget me confirm"); !strings.Contains(a.Text, "0 votes and 2 reactions of yours") {
		t.Errorf("forget me confirm: %q", a.Text)
	}
	recs, err := b.store.Conversation(ctx, imported, 0)
	if err != nil || len(recs) != 1 {
		t.Fatalf("the imported conversation: %+v, %v", recs, err)
	}
	if want := []store.Reaction{{Emoji: "👍", Count: 2, Members: []string{"ada-2"}}}; recs[0].RepliesTo != "1002" || !reflect.DeepEqual(recs[0].Reactions, want) {
		t.Errorf("Grace's message after Dora is forgotten: replies to %q, reactions %+v; want %+v", recs[0].RepliesTo, recs[0].Reactions, want)
	}
}
