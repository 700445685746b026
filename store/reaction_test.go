package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// TestRepliesAndReactionsRoundTrip: a message's reply and reactions are
// stored and read back as they were, by Record, Conversation and an old
// database opened again; in the file they take only their own fields.
func TestRepliesAndReactionsRoundTrip(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openStore(t, path)
	c := conv("discord", "help", "")
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	recs := []store.Record{
		{Kind: store.KindMessage, Conversation: c, Time: at, Author: chat.Member{ID: "201", Name: "Ada"}, Text: "how do I reset it?", PlatformID: "1002",
			Reactions: []store.Reaction{{Emoji: "👀", Count: 1}}},
		{Kind: store.KindMessage, Conversation: c, Time: at.Add(time.Minute), Author: chat.Member{ID: "202", Name: "Grace"}, Text: "docent train", PlatformID: "1003",
			RepliesTo: "1002", Reactions: []store.Reaction{{Emoji: "👍", Count: 3, Members: []string{"201", "203"}}, {Emoji: "pepe_thanks", Count: 1, Members: []string{"201"}}}},
	}
	stored, err := s.Import(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range recs {
		want.ID = stored[i].ID
		got, err := s.Record(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("record %d read back\n %+v\nwant\n %+v", i, got, want)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, path)
	got, err := s.Conversation(ctx, c, 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("Conversation: %v, %v", got, err)
	}
	if got[0].RepliesTo != "1002" || len(got[0].Reactions) != 2 || got[0].Reactions[0].Count != 3 || strings.Join(got[0].Reactions[0].Members, ",") != "201,203" {
		t.Errorf("after reopening: replies to %q, reactions %+v", got[0].RepliesTo, got[0].Reactions)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	vals := recordValues(t, path)
	// Format 2 (binary): the fields are there, as they were in format 1's
	// JSON, without its names.
	want := [][]string{{"👀"}, {"1002", "👍", "201", "203", "pepe_thanks"}}
	for i, v := range vals {
		if v == "" || v[0] != 2 {
			t.Errorf("stored value %d is %q, want format 2", i, v)
			continue
		}
		for _, w := range want[min(i, len(want)-1)] {
			if !strings.Contains(v, w) {
				t.Errorf("stored value %d is %q, want it to hold %q", i, v, w)
			}
		}
	}
}

// TestImportRefusesBadReactions: reactions out of bounds, not UTF-8 or
// counted below their members are refused with the reason, and nothing
// of the import is stored.
func TestImportRefusesBadReactions(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t))
	c := conv("slack", "C1", "1.1")
	many := make([]store.Reaction, store.MaxReactions+1)
	for i := range many {
		many[i] = store.Reaction{Emoji: strings.Repeat("x", i+1), Count: 1}
	}
	crowd := make([]string, store.MaxReactionMembers+1)
	for i := range crowd {
		crowd[i] = "U" + strings.Repeat("1", i+1)
	}
	tests := []struct {
		name      string
		repliesTo string
		reactions []store.Reaction
		wantErr   string
	}{
		{"too many emoji", "", many, "65 reactions, the most is 64"},
		{"no emoji", "", []store.Reaction{{Count: 1}}, "has no emoji"},
		{"long emoji", "", []store.Reaction{{Emoji: strings.Repeat("e", 300), Count: 1}}, "300 bytes long"},
		{"bad UTF-8 emoji", "", []store.Reaction{{Emoji: "\xff", Count: 1}}, "emoji is not valid UTF-8"},
		{"an emoji twice", "", []store.Reaction{{Emoji: "+1", Count: 1}, {Emoji: "+1", Count: 2}}, `"+1" is there twice`},
		{"too many members", "", []store.Reaction{{Emoji: "+1", Count: len(crowd), Members: crowd}}, "names 101 members, the most is 100"},
		{"count below members", "", []store.Reaction{{Emoji: "+1", Count: 1, Members: []string{"U1", "U2"}}}, "counts 1 with 2 members"},
		{"zero count", "", []store.Reaction{{Emoji: "+1"}}, "counts 0 with 0 members"},
		{"empty member", "", []store.Reaction{{Emoji: "+1", Count: 1, Members: []string{""}}}, "member with no ID"},
		{"bad UTF-8 member", "", []store.Reaction{{Emoji: "+1", Count: 1, Members: []string{"U\xfe"}}}, "not valid UTF-8"},
		{"a member twice", "", []store.Reaction{{Emoji: "+1", Count: 2, Members: []string{"U1", "U1"}}}, "names member U1 twice"},
		{"long reply ID", strings.Repeat("9", 2000), nil, "replied to is 2000 bytes long"},
		{"bad UTF-8 reply ID", "1\xff", nil, "replied to is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok := store.Record{Kind: store.KindMessage, Conversation: c, Time: base, Author: chat.Member{ID: "U1"}, Text: "fine", PlatformID: "1.1"}
			bad := store.Record{Kind: store.KindMessage, Conversation: c, Time: base, Author: chat.Member{ID: "U2"}, Text: "x", PlatformID: "1.2",
				RepliesTo: tt.repliesTo, Reactions: tt.reactions}
			_, _, err := s.ImportNew(ctx, []store.Record{ok, bad})
			if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v; want ErrInvalid saying %q", err, tt.wantErr)
			}
		})
	}
	if sums, err := s.Conversations(ctx); err != nil || len(sums) != 0 {
		t.Errorf("after refused imports, Conversations = %v, %v; want none", sums, err)
	}
}

// TestForgetMemberReactions: a member's reactions on others' messages
// are in their export, and forgetting them takes them off those messages
// (with their share of the counts; an emoji only they put goes), leaving
// the messages and everyone else's reactions, and the same ID on another
// platform, which is someone else.
func TestForgetMemberReactions(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openStore(t, path)
	const zed = "U0ZED4711"
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	help := conv("slack", "C1", "1.1")
	msg := func(c chat.Conversation, pid, author, text string, reactions ...store.Reaction) store.Record {
		return store.Record{Kind: store.KindMessage, Conversation: c, Time: at, Author: chat.Member{ID: author}, Text: text, PlatformID: pid, Reactions: reactions}
	}
	if _, err := s.Import(ctx, []store.Record{
		msg(help, "1.1", "U0OLGA", "how do I deploy?",
			store.Reaction{Emoji: "eyes", Count: 1, Members: []string{zed}},
			store.Reaction{Emoji: "+1", Count: 4, Members: []string{"U0ANA", zed, "U0BOB"}}),
		msg(help, "1.2", zed, "use the deploy script", store.Reaction{Emoji: "pray", Count: 1, Members: []string{"U0OLGA"}}),
		msg(help, "1.3", "U0OLGA", "thanks!", store.Reaction{Emoji: "heart", Count: 1, Members: []string{"U0ANA"}}),
		// The same ID on Discord is another person.
		msg(conv("discord", "help", ""), "d1", "olga", "discord stays", store.Reaction{Emoji: "👍", Count: 1, Members: []string{zed}}),
	}); err != nil {
		t.Fatal(err)
	}
	me := store.MemberRef{Platform: "slack", ID: zed}
	d, err := s.ExportMember(ctx, me)
	if err != nil {
		t.Fatal(err)
	}
	var reacted []string
	for _, r := range d.Reactions {
		reacted = append(reacted, r.Conversation.String()+" "+r.PlatformID+" "+r.Emoji)
	}
	if want := []string{help.String() + " 1.1 eyes", help.String() + " 1.1 +1"}; !reflect.DeepEqual(reacted, want) {
		t.Errorf("exported reactions %q, want %q", reacted, want)
	}
	if len(d.Messages) != 1 || len(d.Messages[0].Reactions) != 1 || d.Messages[0].Reactions[0].Emoji != "pray" {
		t.Errorf("exported messages %+v, want theirs with its reaction", d.Messages)
	}

	f, err := s.ForgetMember(ctx, me)
	if err != nil {
		t.Fatal(err)
	}
	if f.Messages != 1 || f.Reactions != 2 {
		t.Errorf("forgotten %+v, want 1 message and 2 reactions", f)
	}
	recs, err := s.Conversation(ctx, help, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, fmt.Sprintf("%s %+v", r.Text, r.Reactions))
	}
	want := []string{
		"thanks! [{Emoji:heart Count:1 Members:[U0ANA]}]",
		"how do I deploy? [{Emoji:+1 Count:3 Members:[U0ANA U0BOB]}]",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after forgetting:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if d, err := s.ExportMember(ctx, me); err != nil || len(d.Messages)+len(d.Reactions) != 0 {
		t.Errorf("export after forgetting: %+v, %v", d, err)
	}
	other, err := s.ExportMember(ctx, store.MemberRef{Platform: "discord", ID: zed})
	if err != nil || len(other.Reactions) != 1 {
		t.Errorf("the Discord member with the same ID: %+v, %v; want their reaction kept", other.Reactions, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var naming []string
	for _, v := range recordValues(t, path) {
		if strings.Contains(v, zed) {
			naming = append(naming, v)
		}
	}
	if len(naming) != 1 || !strings.Contains(naming[0], "discord stays") {
		t.Errorf("after forgetting, records naming the ID: %q; want only the Discord one", naming)
	}
}

// recordValues reads the record values of the closed database at path,
// as stored.
func recordValues(t *testing.T, path string) []string {
	t.Helper()
	if store.OnPostgresPass {
		var vals []string
		eachStored(t, path, func(bucket string, _, v []byte) {
			if bucket == "messages" && v != nil {
				vals = append(vals, string(v))
			}
		})
		return vals
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var vals []string
	if err := db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("messages")).ForEach(func(_, v []byte) error { vals = append(vals, string(v)); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return vals
}
