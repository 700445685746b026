package console

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/docent-bot/docent/chat"
)

func TestAnnounce(t *testing.T) {
	var _ chat.Announcer = (*Adapter)(nil)
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"plain", Options{}, "New challenge: **Two sum**, open until Sunday.\n"},
		{"interactive", Options{Interactive: true}, "Docent: 📣 New challenge: **Two sum**,\n  open until Sunday.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			a := New(strings.NewReader(""), &out, tc.opts)
			if err := a.Announce(context.Background(), "local", "New challenge: **Two sum**,\nopen until Sunday."); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("printed %q, want %q", out.String(), tc.want)
			}
		})
	}
	var out strings.Builder
	a := New(strings.NewReader(""), &out, Options{JSON: true})
	if err := a.Announce(context.Background(), "local", "Closed."); err != nil {
		t.Fatal(err)
	}
	var ans chat.Answer
	if err := json.Unmarshal([]byte(out.String()), &ans); err != nil || ans.Source != chat.SourceAnnouncement || ans.Text != "Closed." {
		t.Errorf("JSON line %q: %+v, %v", out.String(), ans, err)
	}
	if err := a.Announce(context.Background(), "general", "x"); err == nil || !strings.Contains(err.Error(), `the console has one channel, "local"`) {
		t.Errorf("another channel: %v", err)
	}
}

// TestDirectMessage: a direct message to the member at the terminal is
// printed like an announcement, marked private in JSON; to anyone else it
// is refused.
func TestDirectMessage(t *testing.T) {
	var _ chat.DirectMessenger = (*Adapter)(nil)
	me := chat.Member{ID: "local-user", Name: "you"}
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"plain", Options{Member: me}, "Someone asked about **deploys**; you answered this before.\n"},
		{"interactive", Options{Member: me, Interactive: true, BotName: "Docent"}, "Docent: ✉ Someone asked about **deploys**;\n  you answered this before.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			a := New(strings.NewReader(""), &out, tc.opts)
			if err := a.DirectMessage(context.Background(), "local-user", "Someone asked about **deploys**;\nyou answered this before."); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("printed %q, want %q", out.String(), tc.want)
			}
		})
	}
	var out strings.Builder
	a := New(strings.NewReader(""), &out, Options{Member: me, JSON: true})
	if err := a.DirectMessage(context.Background(), "local-user", "Psst."); err != nil {
		t.Fatal(err)
	}
	var ans chat.Answer
	if err := json.Unmarshal([]byte(out.String()), &ans); err != nil || ans.Source != chat.SourceAnnouncement || !ans.Private || ans.Text != "Psst." {
		t.Errorf("JSON line %q: %+v, %v", out.String(), ans, err)
	}
	if err := a.DirectMessage(context.Background(), "someone-else", "x"); err == nil || !strings.Contains(err.Error(), `the console has one member, "local-user"`) {
		t.Errorf("another member: %v", err)
	}
}
