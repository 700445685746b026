package importer

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// TestStoredReactions: what an export holds becomes what the store
// accepts, so that odd reactions never cost a batch its messages.
func TestStoredReactions(t *testing.T) {
	crowd := make([]string, store.MaxReactionMembers+5)
	for i := range crowd {
		crowd[i] = fmt.Sprintf("U%03d", i)
	}
	many := make([]reaction, store.MaxReactions+3)
	for i := range many {
		many[i] = reaction{emoji: fmt.Sprintf("e%d", i), count: 1}
	}
	tests := []struct {
		name string
		in   []reaction
		want []store.Reaction
	}{
		{"none", nil, nil},
		{"empty", []reaction{}, nil},
		{"as they are", []reaction{{emoji: "+1", count: 2, members: []string{"U1", "U2"}}, {emoji: "eyes", count: 4}},
			[]store.Reaction{{Emoji: "+1", Count: 2, Members: []string{"U1", "U2"}}, {Emoji: "eyes", Count: 4}}},
		{"no or overlong emoji left out", []reaction{{emoji: "", count: 1}, {emoji: strings.Repeat("x", store.MaxEmojiLen+1), count: 1}, {emoji: "ok", count: 1}},
			[]store.Reaction{{Emoji: "ok", Count: 1}}},
		{"the same emoji merged", []reaction{{emoji: "+1", count: 1, members: []string{"U1"}}, {emoji: "+1", count: 2, members: []string{"U1", "U2"}}},
			[]store.Reaction{{Emoji: "+1", Count: 3, Members: []string{"U1", "U2"}}}},
		{"members once, none empty or overlong", []reaction{{emoji: "+1", count: 2, members: []string{"U1", "", "U1", strings.Repeat("U", 2000), "U2"}}},
			[]store.Reaction{{Emoji: "+1", Count: 2, Members: []string{"U1", "U2"}}}},
		{"counts below the members raised", []reaction{{emoji: "+1", count: 0}, {emoji: "-1", count: -3, members: []string{"U1", "U2"}}},
			[]store.Reaction{{Emoji: "+1", Count: 1}, {Emoji: "-1", Count: 2, Members: []string{"U1", "U2"}}}},
		{"at most MaxReactionMembers named, all counted", []reaction{{emoji: "tada", count: len(crowd), members: crowd}},
			[]store.Reaction{{Emoji: "tada", Count: len(crowd), Members: crowd[:store.MaxReactionMembers]}}},
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "docent.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The store takes what storedReactions makes.
	accepted := func(t *testing.T, rs []store.Reaction) {
		t.Helper()
		rec := store.Record{Kind: store.KindMessage, Conversation: chat.Conversation{Platform: "slack", Channel: "C1"}, Time: time.Now(),
			Author: chat.Member{ID: "U1"}, Text: "x", Reactions: rs}
		if _, _, err := st.ImportNew(context.Background(), []store.Record{rec}); err != nil {
			t.Errorf("the store refuses them: %v", err)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := storedReactions(tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("storedReactions =\n %+v\nwant\n %+v", got, tt.want)
			}
			accepted(t, got)
		})
	}
	got := storedReactions(many)
	if len(got) != store.MaxReactions || got[len(got)-1].Emoji != fmt.Sprintf("e%d", store.MaxReactions-1) {
		t.Errorf("of %d emoji, kept %d ending with %+v; want the first %d", len(many), len(got), got[len(got)-1], store.MaxReactions)
	}
	accepted(t, got)
}
