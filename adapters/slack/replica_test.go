package slack

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/docent-bot/docent/adapters/slack/slacktest"
	"github.com/docent-bot/docent/chat"
)

// socketAdapter runs an adapter in Socket Mode against f until the test
// ends, and returns its connection.
func socketAdapter(t *testing.T, f *slacktest.Server, opts Options, inbox chat.Inbox) (*Adapter, *websocket.Conn) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Enabled = true
	cfg.BotToken, cfg.AppToken, cfg.APIURL = slacktest.BotToken, slacktest.AppToken, f.URL
	cfg.WorkingReaction = ""
	a, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- a.Run(ctx, inbox) }()
	t.Cleanup(func() {
		cancel()
		<-runErr
	})
	return a, f.Conn(t)
}

func mentionEvent(channel, ts, text string) map[string]any {
	return map[string]any{"type": "app_mention", "user": "U1", "text": "<@UBOT> " + text, "ts": ts, "channel": channel, "event_ts": ts}
}

// noAck fails the test when an acknowledgement arrives within d.
func noAck(t *testing.T, f *slacktest.Server, d time.Duration, why string) {
	t.Helper()
	select {
	case id := <-f.Acks:
		t.Fatalf("envelope %s acknowledged %s", id, why)
	case <-time.After(d):
	}
}

func nextAck(t *testing.T, f *slacktest.Server) string {
	t.Helper()
	select {
	case id := <-f.Acks:
		return id
	case <-time.After(5 * time.Second):
		t.Fatal("no acknowledgement")
		return ""
	}
}

// TestSocketModeAcksOnceDelivered: an envelope is acknowledged once its
// event is delivered (the bot stored the message), never before, so that
// a Docent killed in between leaves it to Slack to send again. Events
// Docent ignores are acknowledged too.
func TestSocketModeAcksOnceDelivered(t *testing.T) {
	f := slacktest.New(t)
	release := make(chan struct{})
	inbox := newRecordingInbox(func(ctx context.Context, m chat.Message, r chat.Responder) {
		if m.Text == "slow" {
			<-release // as a store slow to commit
		}
	})
	_, c := socketAdapter(t, f, Options{}, inbox)
	var once sync.Once
	done := func() { once.Do(func() { close(release) }) }
	t.Cleanup(done) // before the adapter's: it waits for the delivery
	if err := c.WriteJSON(slacktest.Envelope("env-slow", "Ev1", mentionEvent("C1", "1700000000.000100", "slow"))); err != nil {
		t.Fatal(err)
	}
	if m := inbox.next(t); m.Text != "slow" {
		t.Fatalf("delivered %q", m.Text)
	}
	noAck(t, f, 300*time.Millisecond, "before its delivery returned")
	botMsg := map[string]any{"type": "message", "subtype": "bot_message", "bot_id": "B1", "channel": "C1", "ts": "1700000000.000300", "text": "beep"}
	if err := c.WriteJSON(slacktest.Envelope("env-bot", "Ev3", botMsg)); err != nil {
		t.Fatal(err)
	}
	done()
	got := map[string]bool{nextAck(t, f): true, nextAck(t, f): true}
	if !got["env-slow"] || !got["env-bot"] {
		t.Fatalf("acknowledged %v, want env-slow and env-bot", got)
	}
	noAck(t, f, 100*time.Millisecond, "twice")
}

// answeredThreads is the replicas' shared record of the threads Docent
// answered in, as the store keeps it.
type answeredThreads map[string]bool

func (a answeredThreads) AnsweredIn(_ context.Context, c chat.Conversation) (bool, error) {
	return a[c.Channel+"/"+c.Thread], nil
}

// TestFollowUpInThreadAnsweredOnAnotherReplica: a follow-up in a thread
// that Docent answered on another replica is delivered, as one in a
// thread it answered itself; one in a thread Docent never answered is
// not.
func TestFollowUpInThreadAnsweredOnAnotherReplica(t *testing.T) {
	f := slacktest.New(t)
	inbox := newRecordingInbox(nil)
	threads := answeredThreads{"C1/1700000000.000100": true}
	_, c := socketAdapter(t, f, Options{Threads: threads}, inbox)
	send := func(env, ts, thread, text string) {
		t.Helper()
		if err := c.WriteJSON(slacktest.Envelope(env, "Ev"+env, message("C1", "channel", "U2", ts, thread, text))); err != nil {
			t.Fatal(err)
		}
		nextAck(t, f)
	}
	send("1", "1700000000.000900", "1700000000.000200", "not a thread of Docent's")
	send("2", "1700000000.000901", "1700000000.000100", "and how do I undo it?")
	m := inbox.next(t)
	if m.Text != "and how do I undo it?" || m.Conversation.Thread != "1700000000.000100" {
		t.Fatalf("delivered %q in thread %q, want the follow-up in 1700000000.000100", m.Text, m.Conversation.Thread)
	}
	select {
	case m := <-inbox.got:
		t.Fatalf("also delivered %q", m.Text)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestResumeAnswersInTheThread: the responder made for a message another
// replica stored and did not answer posts in that message's thread; its
// answer is then found there (Posted), by the question in its metadata.
func TestResumeAnswersInTheThread(t *testing.T) {
	f := slacktest.New(t)
	a, _ := socketAdapter(t, f, Options{}, newRecordingInbox(nil))
	ctx := context.Background()
	r, err := a.Resume(ctx, chat.Message{ID: "1700000000.000100", Author: chat.Member{ID: "U1"},
		Conversation: chat.Conversation{Platform: Platform, Channel: "C1", Thread: "1700000000.000100"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reply(ctx, chat.Answer{Text: "taken over"}); err != nil {
		t.Fatal(err)
	}
	post := f.WaitCalls(t, "chat.postMessage", 1)[0]
	if post.Get("channel") != "C1" || post.Get("thread_ts") != "1700000000.000100" || post.Get("text") != "taken over" {
		t.Errorf("posted %q to %s thread %q, want it in C1 thread 1700000000.000100", post.Get("text"), post.Get("channel"), post.Get("thread_ts"))
	}
	// The answer carries its question, so that a replica taking over
	// finds it posted.
	m := chat.Message{ID: "1700000000.000100", Conversation: chat.Conversation{Platform: Platform, Channel: "C1", Thread: "1700000000.000100"}}
	if sent, ok, err := a.Posted(ctx, m); err != nil || !ok || sent.ID != post.TS {
		t.Errorf("Posted: %+v, %v, %v; want the answer %s", sent, ok, err, post.TS)
	}
	m.ID = "1700000000.000200" // a later question in the thread, not answered
	if sent, ok, err := a.Posted(ctx, m); err != nil || ok {
		t.Errorf("Posted for a question not answered: %+v, %v, %v", sent, ok, err)
	}
	if _, err := a.Resume(ctx, chat.Message{Conversation: chat.Conversation{Platform: "discord", Channel: "1"}}); err == nil {
		t.Error("resumed a Discord message on Slack")
	}
}
