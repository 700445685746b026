package console

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/chat/chattest"
)

// TestConformance runs the adapter conformance suite on the console over
// pipes, with --json output: one member types lines and reads the answers.
func TestConformance(t *testing.T) {
	chattest.TestAdapter(t, &harness{})
}

// harness types lines into the console through a pipe and reads the JSON
// lines it writes.
type harness struct {
	w   *io.PipeWriter
	out *output
}

// output is the console's output, written by the bot's goroutines.
type output struct {
	mu   sync.Mutex // guards buf and read
	buf  bytes.Buffer
	read int // bytes already taken as posts
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (h *harness) Start(t *testing.T, in chat.Inbox) chattest.Adapter {
	r, w := io.Pipe()
	h.w, h.out = w, &output{}
	a := New(r, h.out, Options{JSON: true, Member: me})
	done := make(chan error, 1)
	go func() { done <- a.Run(context.Background(), in) }()
	t.Cleanup(func() {
		w.Close() // the end of the input ends Run
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return within 10s of the end of its input")
		}
	})
	return a
}

func (h *harness) Ask(t *testing.T, text string) string {
	if _, err := io.WriteString(h.w, text+"\n"); err != nil {
		t.Fatalf("type a line: %v", err)
	}
	return Conversation.String()
}

func (h *harness) AnnounceChannel() string { return Conversation.Channel }

// Received reads the JSON lines written so far: the console writes an
// answer before Reply returns. Everything it writes is for the one member
// at the terminal, and nothing in a terminal notifies anyone.
func (h *harness) Received(t *testing.T) []chattest.Post {
	h.out.mu.Lock()
	text := h.out.buf.String()[h.out.read:]
	if i := strings.LastIndexByte(text, '\n'); i >= 0 {
		text = text[:i+1]
	} else {
		text = ""
	}
	h.out.read += len(text)
	h.out.mu.Unlock()
	var out []chattest.Post
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if l == "" {
			continue
		}
		var ja jsonAnswer
		if err := json.Unmarshal([]byte(l), &ja); err != nil {
			t.Fatalf("console wrote %q, not a JSON answer: %v", l, err)
		}
		out = append(out, chattest.Post{Op: chattest.Sent, Text: ja.Text, In: Conversation.String(), Only: me.ID})
	}
	return out
}
