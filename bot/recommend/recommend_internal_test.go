package recommend

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/brain/knowledge"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// TestNeverTheirOwn: of the earlier threads the brain finds, one the
// member asked (found by the question's author, even when the profile
// no longer lists it) or voted on is never a candidate; another member's
// is, and so is a doc section.
func TestNeverTheirOwn(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(filepath.Join(t.TempDir(), "docent.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conv := chat.Conversation{Platform: "discord", Channel: "help"}
	ask := func(who, text string) uint64 {
		rec, err := s.AppendMessage(ctx, chat.Message{Conversation: conv, Author: chat.Member{ID: who}, Text: text, Time: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return rec.ID
	}
	own, bobs, voted := ask("ada", "how do I set up ldap?"), ask("bob", "ldap bind fails?"), ask("carl", "ldap over tls?")
	mod := New()
	if err := mod.Provision(ctx, &module.Host{Store: s, Records: s, Prefix: "!"}); err != nil {
		t.Fatal(err)
	}
	p := &Profile{Voted: []uint64{voted}}
	thread := func(id uint64) knowledge.Hit {
		return knowledge.Hit{Passage: knowledge.Passage{ID: "thread:" + itoa(id), Source: knowledge.SourceThread, Title: "q"}}
	}
	for _, tc := range []struct {
		hit  knowledge.Hit
		want bool
	}{
		{thread(own), false}, {thread(voted), false}, {thread(bobs), true},
		{knowledge.Hit{Passage: knowledge.Passage{ID: "docs/ldap.md#setup", Source: knowledge.SourceDocs, Title: "LDAP"}}, true},
	} {
		_, ok, err := mod.fromHit(ctx, store.MemberRef{Platform: "discord", ID: "ada"}, p, tc.hit)
		if err != nil || ok != tc.want {
			t.Errorf("%s: candidate %v (%v), want %v", tc.hit.ID, ok, err, tc.want)
		}
	}
}

func itoa(n uint64) string { return fmt.Sprint(n) }
