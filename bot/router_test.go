package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "docent.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var (
	alice = chat.Member{ID: "u1", Name: "alice"}
	convA = chat.Conversation{Platform: "test", Channel: "a"}
	convB = chat.Conversation{Platform: "test", Channel: "b"}
)

func echo() Handler {
	return HandlerFunc(func(ctx context.Context, r chat.Responder, m *Message) {
		r.Reply(ctx, chat.Answer{Text: "echo: " + m.Text, Source: chat.SourceCommand})
	})
}

func TestRouterStoresMessageAndAnswer(t *testing.T) {
	st := openStore(t)
	rt := NewRouter(st, echo(), slog.New(slog.DiscardHandler), RouterOptions{MaxConcurrent: 4, QueuePerConversation: 4, Self: chat.Member{ID: "docent", Name: "Docent", Bot: true}})
	got := bottest.Ask(t, rt, convA, alice, "hi")
	if len(got) != 1 || got[0].Text != "echo: hi" || got[0].ReplyTo == 0 {
		t.Fatalf("answers %+v, want one echo that names the stored question", got)
	}
	if err := rt.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The answer was stored before it was sent; its sent ID is queued
	// after, without waiting: a write queued later is committed after it.
	if _, err := st.AppendMessage(context.Background(), chat.Message{Conversation: convB, Author: alice, Text: "later", Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	recs, err := st.Conversation(context.Background(), convA, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("stored %d records, want the question and the answer", len(recs))
	}
	ans, q := recs[0], recs[1]
	if q.Kind != store.KindMessage || q.Text != "hi" || q.Author != alice || q.ID != got[0].ReplyTo {
		t.Errorf("stored question %+v", q)
	}
	if ans.Kind != store.KindAnswer || ans.Text != "echo: hi" || ans.ReplyTo != q.ID || !strings.HasPrefix(ans.PlatformID, "sent-") || ans.Source != chat.SourceCommand || ans.Author.Name != "Docent" {
		t.Errorf("stored answer %+v", ans)
	}
}

// Messages of one conversation are answered in order; a slow conversation
// does not hold up another.
func TestRouterOrderAndConcurrency(t *testing.T) {
	st := openStore(t)
	release := make(chan struct{})
	var mu sync.Mutex
	seen := map[string][]string{}
	h := HandlerFunc(func(ctx context.Context, r chat.Responder, m *Message) {
		if m.Conversation == convA && m.Text == "0" {
			<-release // A's first message waits until B is done
		}
		mu.Lock()
		seen[m.Conversation.Channel] = append(seen[m.Conversation.Channel], m.Text)
		mu.Unlock()
		r.Reply(ctx, chat.Answer{Text: m.Text})
	})
	rt := NewRouter(st, h, slog.New(slog.DiscardHandler), RouterOptions{MaxConcurrent: 4, QueuePerConversation: 64})
	var recsA []*bottest.Recorder
	for i := range 20 {
		r := bottest.NewRecorder()
		recsA = append(recsA, r)
		if err := rt.Deliver(context.Background(), chat.Message{Conversation: convA, Author: alice, Text: fmt.Sprint(i)}, r); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 20 {
		bottest.Ask(t, rt, convB, alice, fmt.Sprint(i)) // all of B answered while A waits
	}
	close(release)
	for _, r := range recsA {
		r.Wait(t)
	}
	for _, ch := range []string{"a", "b"} {
		got := strings.Join(seen[ch], ",")
		want := "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19"
		if got != want {
			t.Errorf("conversation %s answered in order %s, want %s", ch, got, want)
		}
	}
}

func TestRouterBoundsConcurrency(t *testing.T) { synctest.Test(t, testRouterBoundsConcurrency) }

func testRouterBoundsConcurrency(t *testing.T) {
	st := openStore(t)
	var now, peak atomic.Int32
	h := HandlerFunc(func(ctx context.Context, r chat.Responder, m *Message) {
		n := now.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		now.Add(-1)
	})
	rt := NewRouter(st, h, slog.New(slog.DiscardHandler), RouterOptions{MaxConcurrent: 3, QueuePerConversation: 8})
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			bottest.Ask(t, rt, chat.Conversation{Platform: "test", Channel: fmt.Sprint(i)}, alice, "x")
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 3 || p < 2 {
		t.Errorf("peak concurrency %d, want at most 3 (and more than 1: conversations run concurrently)", p)
	}
}

func TestRouterShutdownDrains(t *testing.T) { synctest.Test(t, testRouterShutdownDrains) }

func testRouterShutdownDrains(t *testing.T) {
	st := openStore(t)
	before := runtime.NumGoroutine()
	var handled atomic.Int32
	h := HandlerFunc(func(ctx context.Context, r chat.Responder, m *Message) {
		time.Sleep(time.Millisecond)
		handled.Add(1)
	})
	rt := NewRouter(st, h, slog.New(slog.DiscardHandler), RouterOptions{MaxConcurrent: 2, QueuePerConversation: 100})
	for i := range 50 {
		conv := chat.Conversation{Platform: "test", Channel: fmt.Sprint(i % 5)}
		if err := rt.Deliver(context.Background(), chat.Message{Conversation: conv, Author: alice, Text: "x"}, bottest.NewRecorder()); err != nil {
			t.Fatal(err)
		}
	}
	if err := rt.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := handled.Load(); n != 50 {
		t.Errorf("handled %d of 50 accepted messages before Shutdown returned", n)
	}
	err := rt.Deliver(context.Background(), chat.Message{Conversation: convA, Author: alice, Text: "late"}, bottest.NewRecorder())
	if !errors.Is(err, ErrStopped) {
		t.Errorf("Deliver after Shutdown: %v, want ErrStopped", err)
	}
	waitGoroutines(t, before)
}

func TestRouterShutdownTimeout(t *testing.T) { synctest.Test(t, testRouterShutdownTimeout) }

func testRouterShutdownTimeout(t *testing.T) {
	st := openStore(t)
	block := make(chan struct{})
	defer close(block)
	rt := NewRouter(st, HandlerFunc(func(context.Context, chat.Responder, *Message) { <-block }), slog.New(slog.DiscardHandler), RouterOptions{})
	rt.Deliver(context.Background(), chat.Message{Conversation: convA, Author: alice, Text: "x"}, bottest.NewRecorder())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := rt.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "1 messages still being answered") {
		t.Errorf("Shutdown with a stuck handler: %v", err)
	}
}

// waitGoroutines waits for the goroutine count to come back to before.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, want %d:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMiddleware(t *testing.T) { synctest.Test(t, testMiddleware) }

func testMiddleware(t *testing.T) {
	st := openStore(t)
	log := slog.New(slog.DiscardHandler)
	h := HandlerFunc(func(ctx context.Context, r chat.Responder, m *Message) {
		switch m.Text {
		case "panic":
			panic("boom")
		case "slow":
			<-ctx.Done()
		default:
			r.Reply(ctx, chat.Answer{Text: "ok"})
		}
	})
	rt := NewRouter(st, Chain(h, Recover(log), IgnoreBots(), Timeout(50*time.Millisecond, log)), log, RouterOptions{MaxConcurrent: 4, QueuePerConversation: 4})
	tests := []struct {
		text   string
		author chat.Member
		want   string
	}{
		{"panic", alice, "Sorry, something went wrong on my side"},
		{"hello", alice, "ok"}, // the panic did not break the conversation
		{"slow", alice, "Sorry, that took me too long"},
		{"hello", chat.Member{ID: "b", Name: "otherbot", Bot: true}, ""},
	}
	for _, tc := range tests {
		got := bottest.Ask(t, rt, convA, tc.author, tc.text)
		switch {
		case tc.want == "" && len(got) != 0:
			t.Errorf("%q from %s: answered %+v, want silence", tc.text, tc.author.Name, got)
		case tc.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0].Text, tc.want)):
			t.Errorf("%q: answers %+v, want one starting %q", tc.text, got, tc.want)
		}
	}
	// Docent's own messages are neither answered nor stored again.
	r := bottest.NewRecorder()
	rt.Deliver(context.Background(), chat.Message{Conversation: convB, Author: chat.Member{ID: "docent", Bot: true}, Text: "my answer", FromSelf: true}, r)
	if got := r.Wait(t); len(got) != 0 {
		t.Errorf("own message answered: %+v", got)
	}
	if recs, _ := st.Conversation(context.Background(), convB, 0); len(recs) != 0 {
		t.Errorf("own message stored: %+v", recs)
	}
}

// Deliver calls whose context ends at any moment never lose a stored
// message: whatever Deliver accepted is handled before Shutdown returns,
// and what it refused as busy is finished, the member told.
func TestDeliverWithCancelledContexts(t *testing.T) {
	st := openStore(t)
	before := runtime.NumGoroutine()
	var handled atomic.Int32
	h := HandlerFunc(func(ctx context.Context, r chat.Responder, m *Message) {
		time.Sleep(2 * time.Millisecond)
		handled.Add(1)
	})
	rt := NewRouter(st, h, slog.New(slog.DiscardHandler), RouterOptions{MaxConcurrent: 2, QueuePerConversation: 1})
	var accepted, busy atomic.Int32
	var mu sync.Mutex
	var refused []*bottest.Recorder
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 20 {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(1+(g+i)%10)*time.Millisecond)
				conv := chat.Conversation{Platform: "test", Channel: fmt.Sprint((g + i) % 3)}
				r := bottest.NewRecorder()
				switch err := rt.Deliver(ctx, chat.Message{Conversation: conv, Author: alice, Text: "x"}, r); {
				case err == nil:
					accepted.Add(1)
				case errors.Is(err, chat.ErrBusy):
					busy.Add(1)
					mu.Lock()
					refused = append(refused, r)
					mu.Unlock()
				default:
					t.Errorf("Deliver: %v", err)
				}
				cancel()
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := rt.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	recs, _ := st.Conversations(context.Background())
	stored := 0
	for _, c := range recs {
		stored += c.Records
	}
	told := 0
	for _, r := range refused {
		told += len(r.Wait(t)) // finished, with or without the notice
	}
	// Each busy notice is stored as an answer too.
	if a, h, b := accepted.Load(), handled.Load(), busy.Load(); a != h || int(a+b)+told != stored {
		t.Errorf("accepted %d, handled %d, busy %d (%d told), stored %d: every stored message must be handled or refused as busy", a, h, b, told, stored)
	}
	if busy.Load() > 0 && told == 0 {
		t.Error("no member was told their queue was full")
	}
	waitGoroutines(t, before)
}

func TestDeliverRepairsInvalidUTF8(t *testing.T) {
	st := openStore(t)
	rt := NewRouter(st, echo(), slog.New(slog.DiscardHandler), RouterOptions{})
	got := bottest.Ask(t, rt, convA, chat.Member{ID: "u\xff", Name: "bad\xfe"}, "hello \xff\xfe there")
	if len(got) != 1 || got[0].Text != "echo: hello \uFFFD there" {
		t.Fatalf("answers %+v, want the text answered with the bad bytes replaced", got)
	}
	recs, _ := st.Conversation(context.Background(), convA, 0)
	if len(recs) != 2 || recs[1].Text != "hello \uFFFD there" || recs[1].Author.Name != "bad\uFFFD" {
		t.Errorf("stored %+v", recs)
	}
}

// One member's slow message holds up neither another member in the same
// channel nor, while it waits on the network (chat.Wait), the router's
// only slot.
func TestRouterSlowMemberBlocksNobody(t *testing.T) {
	st := openStore(t)
	release := make(chan struct{})
	waiting := make(chan struct{})
	h := HandlerFunc(func(ctx context.Context, r chat.Responder, m *Message) {
		if m.Text == "slow" {
			chat.Wait(ctx, func() {
				close(waiting)
				<-release
			})
		}
		r.Reply(ctx, chat.Answer{Text: m.Text})
	})
	rt := NewRouter(st, h, slog.New(slog.DiscardHandler), RouterOptions{MaxConcurrent: 1, QueuePerConversation: 8})
	slow := bottest.NewRecorder()
	if err := rt.Deliver(context.Background(), chat.Message{Conversation: convA, Author: alice, Text: "slow"}, slow); err != nil {
		t.Fatal(err)
	}
	<-waiting
	bob := chat.Member{ID: "bob", Name: "bob"}
	if got := bottest.Ask(t, rt, convA, bob, "quick"); len(got) != 1 || got[0].Text != "quick" {
		t.Errorf("bob's answer while alice's waits: %+v", got)
	}
	// Alice's own next message waits for her first: her order holds.
	next := bottest.NewRecorder()
	if err := rt.Deliver(context.Background(), chat.Message{Conversation: convA, Author: alice, Text: "next"}, next); err != nil {
		t.Fatal(err)
	}
	if len(next.Answers()) != 0 {
		t.Error("alice's second message was answered before her first")
	}
	close(release)
	if got := slow.Wait(t); len(got) != 1 || got[0].Text != "slow" {
		t.Errorf("slow: %+v", got)
	}
	if got := next.Wait(t); len(got) != 1 || got[0].Text != "next" {
		t.Errorf("next: %+v", got)
	}
	if err := rt.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestRateLimit: a member flooding a channel gets one notice and then
// silence, while another member in another channel is answered; an admin
// is never limited; the flooder's messages are all stored; once a token
// has come back (10s at 6 a minute), the flooder is answered once more.
// On synctest's clock, which stands still while the test runs: no token
// comes back before that, however slow the machine.
func TestRateLimit(t *testing.T) { synctest.Test(t, testRateLimit) }

func testRateLimit(t *testing.T) {
	cfg, err := LoadConfig(writeConfig(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Bot.Admins = []string{"test:boss"}
	cfg.Bot.RateLimit = RateLimitConfig{MemberPerMinute: 6, MemberBurst: 3, ChannelPerMinute: 600, ChannelBurst: 100}
	b, err := Open(context.Background(), cfg, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer closeBot(t, b)
	flood := chat.Conversation{Platform: "test", Channel: "flood"}
	var notices, answers int
	for range 10 {
		for _, a := range bottest.Ask(t, b.Inbox(), flood, alice, "hello") {
			if strings.Contains(a.Text, "faster than I can answer") {
				notices++
			} else {
				answers++
			}
		}
	}
	if answers != 3 || notices != 1 {
		t.Errorf("a flood of 10: %d answers and %d notices, want 3 (the burst) and 1", answers, notices)
	}
	quiet := chat.Conversation{Platform: "test", Channel: "quiet"}
	if got := bottest.Ask(t, b.Inbox(), quiet, chat.Member{ID: "bob", Name: "bob"}, "hello"); len(got) != 1 || got[0].Source != chat.SourceIntent {
		t.Errorf("another member during the flood: %+v", got)
	}
	for i := range 10 {
		if got := bottest.Ask(t, b.Inbox(), flood, chat.Member{ID: "boss", Name: "boss"}, "hello"); len(got) != 1 || got[0].Source != chat.SourceIntent {
			t.Fatalf("admin's message %d: %+v", i, got)
		}
	}
	recs, err := b.store.Conversation(context.Background(), flood, 0)
	if err != nil {
		t.Fatal(err)
	}
	stored := 0
	for _, r := range recs {
		if r.Kind == store.KindMessage && r.Author.ID == alice.ID {
			stored++
		}
	}
	if stored != 10 {
		t.Errorf("%d of the flooder's 10 messages stored", stored)
	}
	time.Sleep(10*time.Second - time.Millisecond)
	if got := bottest.Ask(t, b.Inbox(), flood, alice, "hello"); len(got) != 0 {
		t.Errorf("the flooder just before a token came back: %+v, want silence", got)
	}
	time.Sleep(time.Millisecond)
	if got := bottest.Ask(t, b.Inbox(), flood, alice, "hello"); len(got) != 1 || got[0].Source != chat.SourceIntent {
		t.Errorf("the flooder once a token came back: %+v, want an answer", got)
	}
}

// A nested chat.Wait gives back nothing twice: with one slot, it neither
// deadlocks nor lets a second message in beyond the limit.
func TestRouterNestedWait(t *testing.T) {
	st := openStore(t)
	h := HandlerFunc(func(ctx context.Context, r chat.Responder, m *Message) {
		chat.Wait(ctx, func() {
			chat.Wait(ctx, func() {})
		})
		r.Reply(ctx, chat.Answer{Text: m.Text})
	})
	rt := NewRouter(st, h, slog.New(slog.DiscardHandler), RouterOptions{MaxConcurrent: 1, QueuePerConversation: 8})
	for i := range 3 {
		if got := bottest.Ask(t, rt, convA, alice, fmt.Sprint(i)); len(got) != 1 {
			t.Fatalf("message %d: %+v", i, got)
		}
	}
	if n := len(rt.slots); n != 0 {
		t.Errorf("%d slots held after every message was answered", n)
	}
	if err := rt.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestDeliverFullQueueDoesNotWait: with a member's queue full, Deliver
// returns at once, even on a cancelled context, with chat.ErrBusy; the
// message is stored, the member told once per full queue, and once there
// is room again their messages are taken as before. Nothing leaks.
func TestDeliverFullQueueDoesNotWait(t *testing.T) { synctest.Test(t, testDeliverFullQueueDoesNotWait) }

func testDeliverFullQueueDoesNotWait(t *testing.T) {
	st := openStore(t)
	before := runtime.NumGoroutine()
	started := make(chan struct{}, 8)
	release := make(chan struct{})
	h := HandlerFunc(func(ctx context.Context, r chat.Responder, m *Message) {
		started <- struct{}{}
		if m.Text == "first" {
			<-release
		}
		r.Reply(ctx, chat.Answer{Text: "re: " + m.Text})
	})
	rt := NewRouter(st, h, slog.New(slog.DiscardHandler), RouterOptions{MaxConcurrent: 4, QueuePerConversation: 1})
	deliver := func(ctx context.Context, text string) (*bottest.Recorder, error) {
		t.Helper()
		r := bottest.NewRecorder()
		done := make(chan error, 1)
		go func() { done <- rt.Deliver(ctx, chat.Message{Conversation: convA, Author: alice, Text: text}, r) }()
		select {
		case err := <-done:
			return r, err
		case <-time.After(10 * time.Second):
			close(release)
			t.Fatalf("Deliver(%q) still waiting after 10s with the member's queue full", text)
			return nil, nil
		}
	}
	first, err := deliver(context.Background(), "first")
	if err != nil {
		t.Fatal(err)
	}
	<-started // taken from the queue: one more fits
	second, err := deliver(context.Background(), "second")
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	third, err := deliver(cancelled, "third")
	if !errors.Is(err, chat.ErrBusy) {
		t.Fatalf("Deliver with the queue full: %v, want chat.ErrBusy", err)
	}
	if got := third.Wait(t); len(got) != 1 || got[0].Text != busyNotice || !got[0].Ephemeral {
		t.Errorf("busy message's answers %+v, want the busy notice alone", got)
	}
	fourth, err := deliver(context.Background(), "fourth")
	if !errors.Is(err, chat.ErrBusy) {
		t.Fatalf("Deliver with the queue still full: %v, want chat.ErrBusy", err)
	}
	if got := fourth.Wait(t); len(got) != 0 {
		t.Errorf("told twice while the queue stayed full: %+v", got)
	}
	close(release)
	if got := first.Wait(t); len(got) != 1 || got[0].Text != "re: first" {
		t.Errorf("first: %+v", got)
	}
	if got := second.Wait(t); len(got) != 1 || got[0].Text != "re: second" {
		t.Errorf("second: %+v", got)
	}
	if got := bottest.Ask(t, rt, convA, alice, "fifth"); len(got) != 1 || got[0].Text != "re: fifth" {
		t.Errorf("once there is room again: %+v", got)
	}
	recs, _ := st.Conversation(context.Background(), convA, 0)
	var texts []string
	for _, r := range recs {
		if r.Kind == store.KindMessage {
			texts = append(texts, r.Text)
		}
	}
	if len(texts) != 5 {
		t.Errorf("stored messages %q, want all five", texts)
	}
	if err := rt.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitGoroutines(t, before)
}

// stiffEditor edits drafts but refuses to edit one into a final answer,
// as a platform can (the message was deleted meanwhile).
type stiffEditor struct{ *bottest.EditingRecorder }

func (s stiffEditor) Edit(ctx context.Context, sent chat.Sent, a chat.Answer) error {
	if !a.Draft {
		return errors.New("unknown message")
	}
	return s.EditingRecorder.Edit(ctx, sent, a)
}

// Drafts replied to a message that the platform can edit become one
// message, edited; the final answer is stored once, and where the draft
// cannot become it, it is sent anew and votes on the new message find it.
func TestRouterTurnsDraftsIntoEdits(t *testing.T) {
	streamed := HandlerFunc(func(ctx context.Context, r chat.Responder, m *Message) {
		if !m.Streams {
			t.Error("Message.Streams is not set for a platform that edits")
		}
		for _, d := range []string{"one …", "one two …"} {
			if _, err := r.Reply(ctx, chat.Answer{Text: d, Source: chat.SourceLLM, Draft: true}); err != nil {
				t.Error(err)
			}
		}
		r.Reply(ctx, chat.Answer{Text: "one two three", Source: chat.SourceLLM})
	})
	for _, stiff := range []bool{false, true} {
		st := openStore(t)
		rt := NewRouter(st, streamed, slog.New(slog.DiscardHandler), RouterOptions{Self: chat.Member{ID: "docent", Bot: true}})
		ed := bottest.NewEditingRecorder()
		var r chat.Responder = ed
		if stiff {
			r = stiffEditor{ed}
		}
		if err := rt.Deliver(context.Background(), chat.Message{Conversation: convA, Author: alice, Text: "q"}, r); err != nil {
			t.Fatal(err)
		}
		if err := rt.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		sent, edits := ed.Answers(), ed.Edits()
		wantSent, wantEdits := 1, 2 // the first draft; the second and the final answer
		if stiff {
			wantSent, wantEdits = 2, 1 // the final answer anew
		}
		if len(sent) != wantSent || len(edits) != wantEdits || !sent[0].Draft {
			t.Fatalf("stiff %v: sent %+v, edits %+v: want %d sent, the first a draft, and %d edits", stiff, sent, edits, wantSent, wantEdits)
		}
		// The sent ID is queued without waiting: a write queued later is
		// committed after it.
		if _, err := st.AppendMessage(context.Background(), chat.Message{Conversation: convB, Author: alice, Text: "later"}); err != nil {
			t.Fatal(err)
		}
		final := ed.Sent()[0].ID
		if stiff {
			final = ed.Sent()[1].ID
		} else if last := edits[len(edits)-1]; last.Answer.Text != "one two three" || last.Sent.ID != final {
			t.Errorf("final edit %+v, want the answer in the draft's place", last)
		}
		recs, err := st.Conversation(context.Background(), convA, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 2 || recs[0].Text != "one two three" || recs[0].PlatformID != final {
			t.Errorf("stiff %v: stored %+v, want the question and the final answer once, under the message that shows it (%s)", stiff, recs, final)
		}
	}
}
