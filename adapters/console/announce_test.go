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
