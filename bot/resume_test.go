package bot

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/chat"
)

// TestRouterDropsMessageDeliveredAgain: a message delivered again (Slack
// resending an event, maybe to another replica) is found stored and is
// neither stored again nor answered; the adapter is told the bot is done
// with it.
func TestRouterDropsMessageDeliveredAgain(t *testing.T) {
	st := openStore(t)
	var mu sync.Mutex
	var handled []string
	h := HandlerFunc(func(ctx context.Context, r chat.Responder, m *Message) {
		mu.Lock()
		handled = append(handled, m.Text)
		mu.Unlock()
		r.Reply(ctx, chat.Answer{Text: "answer to " + m.Text})
	})
	rt := NewRouter(st, h, slog.New(slog.DiscardHandler), RouterOptions{})
	m := chat.Message{ID: "1700000000.000100", Conversation: convA, Author: alice, Text: "how do I deploy?"}
	first, again := bottest.NewRecorder(), bottest.NewRecorder()
	if err := rt.Deliver(context.Background(), m, first); err != nil {
		t.Fatal(err)
	}
	first.Wait(t)
	if err := rt.Deliver(context.Background(), m, again); err != nil {
		t.Fatalf("the same message again: %v; want it dropped quietly", err)
	}
	if got := again.Wait(t); len(got) != 0 {
		t.Errorf("answered the message delivered again: %v", got)
	}
	if err := rt.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(handled, []string{"how do I deploy?"}) {
		t.Errorf("handled %q, want the message once", handled)
	}
	recs, err := st.Conversation(context.Background(), convA, 0)
	if err != nil || len(recs) != 2 {
		t.Fatalf("%d records (%v), want the message and its answer", len(recs), err)
	}
}

// TestRouterResumesAndSettles: a message another replica stored and left
// is answered through the responder the adapter made for it, without
// being stored again; the router tells (Settled) of every stored message
// it is done with whose answer's platform ID it did not note (AnswerSent
// settles a message itself): here one it does not answer.
func TestRouterResumesAndSettles(t *testing.T) {
	st := openStore(t)
	var mu sync.Mutex
	var settled []uint64
	var seen []Message
	h := HandlerFunc(func(ctx context.Context, r chat.Responder, m *Message) {
		mu.Lock()
		seen = append(seen, *m)
		mu.Unlock()
		if m.Text != "not for me" {
			r.Reply(ctx, chat.Answer{Text: "answer to " + m.Text})
		}
	})
	rt := NewRouter(st, h, slog.New(slog.DiscardHandler), RouterOptions{Settled: func(_ context.Context, id uint64) {
		mu.Lock()
		settled = append(settled, id)
		mu.Unlock()
	}})
	ctx := context.Background()
	left, err := st.AppendMessage(ctx, chat.Message{ID: "1700000000.000100", Conversation: convA, Author: alice, Text: "left behind"})
	if err != nil {
		t.Fatal(err)
	}
	resumed := bottest.NewRecorder()
	if err := rt.Resume(left, resumed); err != nil {
		t.Fatal(err)
	}
	if got := resumed.Wait(t); len(got) != 1 || got[0].Text != "answer to left behind" || got[0].ReplyTo != left.ID {
		t.Fatalf("the resumed message was answered %+v", got)
	}
	bottest.Ask(t, rt, convA, alice, "a new one")
	bottest.Ask(t, rt, convA, alice, "not for me")
	if err := rt.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 || seen[0].ID != left.ID || seen[0].Text != "left behind" || seen[0].Author != alice || !seen[0].Mentioned {
		t.Fatalf("handled %+v, want the resumed message as stored, then the new ones", seen)
	}
	if len(settled) != 1 || settled[0] != seen[2].ID {
		t.Errorf("settled %v, want %d, the message not answered", settled, seen[2].ID)
	}
	recs, err := st.Conversation(ctx, convA, 0)
	if err != nil || len(recs) != 5 {
		t.Fatalf("%d records (%v), want three messages and two answers", len(recs), err)
	}
	if err := rt.Resume(left, bottest.NewRecorder()); err == nil {
		t.Error("resumed a message after Shutdown")
	}
}
