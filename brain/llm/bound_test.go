package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// floods stands for a server that ignores max_tokens: it writes up to total
// bytes of answer (in pieces of size bytes) and counts what it managed to
// send before the client hung up.
type flood struct {
	total, size int
	sent        atomic.Int64
	stopped     atomic.Bool // a write failed: the client closed the connection
}

func (f *flood) stream(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	piece := strings.Repeat("words ", f.size/6+1)[:f.size]
	for f.sent.Load() < int64(f.total) {
		if _, err := fmt.Fprintf(w, "data: %s\n\n", chunk(piece, "")); err != nil {
			f.stopped.Store(true)
			return
		}
		w.(http.Flusher).Flush()
		f.sent.Add(int64(f.size))
	}
	fmt.Fprintf(w, "data: %s\n\ndata: [DONE]\n\n", chunk("", "stop"))
}

func (f *flood) whole(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	text := strings.Repeat("Run !reload [1] after ✓ editing \"intents\".\n", f.total/45+1)
	b, _ := json.Marshal(map[string]any{"id": "c1", "object": "chat.completion", "model": fakeModel,
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": text}}}})
	for len(b) > 0 {
		n, err := w.Write(b[:min(len(b), 32<<10)])
		if err != nil {
			f.stopped.Store(true)
			return
		}
		f.sent.Add(int64(n))
		b = b[n:]
	}
}

// checkCut asserts that an answer kept at most what max_tokens allows
// and says that it was cut.
func checkCut(t *testing.T, ans Answer, maxTokens int) {
	t.Helper()
	limit := answerLimit(maxTokens)
	note := "(answer cut: it was longer than the 4 KB Docent keeps of an answer)"
	if !ans.Cut || !strings.HasSuffix(ans.Text, "\n\n"+note) {
		t.Errorf("answer of %d bytes, cut %v, ends %q; want it to end with %q", len(ans.Text), ans.Cut, ans.Text[max(0, len(ans.Text)-80):], note)
	}
	if len(ans.Text) > limit+len(note)+8 {
		t.Errorf("answer of %d bytes, want at most %d and the note", len(ans.Text), limit)
	}
}

// A server that ignores max_tokens cannot make an answer of megabytes:
// Docent keeps the first answerLimit bytes, says so, and hangs up rather
// than read the rest.
func TestAnswerIsBounded(t *testing.T) {
	for _, tc := range []struct {
		name   string
		serve  func(*flood) http.HandlerFunc
		size   int
		stream bool
	}{
		{"stream in small chunks", func(f *flood) http.HandlerFunc { return f.stream }, 64, true},
		{"stream in chunks of 1 KB", func(f *flood) http.HandlerFunc { return f.stream }, 1 << 10, true},
		{"whole reply", func(f *flood) http.HandlerFunc { return f.whole }, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fl := &flood{total: 8 << 20, size: tc.size}
			f := newFake(t, tc.serve(fl))
			c, _ := newClient(t, f, func(c *Config) { c.MaxTokens = 100; c.MaxRetries = 0 })
			var (
				ans Answer
				err error
			)
			if tc.stream {
				ans, err = c.Stream(context.Background(), question(), func(text string) {
					if len(text) > answerLimit(100) {
						t.Errorf("a draft of %d bytes", len(text))
					}
				})
			} else {
				ans, err = c.Answer(context.Background(), question())
			}
			if err != nil {
				t.Fatal(err)
			}
			checkCut(t, ans, 100)
			f.srv.Close() // waits for the handler: it stopped or sent everything
			if !fl.stopped.Load() || fl.sent.Load() >= int64(fl.total) {
				t.Errorf("the server sent %d of %d bytes; want Docent to hang up early", fl.sent.Load(), fl.total)
			}
		})
	}
}

// An answer within the bound is not cut, however many chunks it takes.
func TestAnswerWithinTheBoundIsWhole(t *testing.T) {
	text := strings.Repeat("ab", answerLimit(100)/2)
	var events []string
	for i := 0; i < len(text); i += 4 {
		events = append(events, chunk(text[i:i+4], ""))
	}
	events = append(events, chunk("", "stop"), "[DONE]")
	f := newFake(t, stream(events...))
	c, _ := newClient(t, f, func(c *Config) { c.MaxTokens = 100 })
	ans, err := c.Stream(context.Background(), question(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if ans.Cut || ans.Text != text || ans.FinishReason != "stop" {
		t.Errorf("answer of %d bytes, cut %v, finish %q; want the whole %d bytes", len(ans.Text), ans.Cut, ans.FinishReason, len(text))
	}
}

// A cut inside a code block closes it, so the note reads as prose; a cut
// never splits a character.
func TestCutNote(t *testing.T) {
	if got, ok := capText("añb", 2); got != "a" || !ok {
		t.Errorf("capText = %q, %v; want the ñ whole or not at all", got, ok)
	}
	got := cutNote("Try:\n```yaml\nname: greet", 4096)
	if want := "Try:\n```yaml\nname: greet\n```\n\n(answer cut: it was longer than the 4 KB Docent keeps of an answer)"; got != want {
		t.Errorf("cutNote = %q, want %q", got, want)
	}
	// A longer fence is closed by its own marker: "```" inside it is text.
	got = cutNote("Try:\n````md\n```yaml\nname: greet\n```", 4096)
	if want := "Try:\n````md\n```yaml\nname: greet\n```\n````\n\n(answer cut: it was longer than the 4 KB Docent keeps of an answer)"; got != want {
		t.Errorf("cutNote = %q, want %q", got, want)
	}
}

// A reply longer than Docent reads that holds no answer it can find (no
// content in the first bytes, or a stream's first chunk of megabytes) is
// a clear error, not an endless read.
func TestHugeReplyWithoutAnswer(t *testing.T) {
	huge := &flood{total: 64 << 20, size: 3 << 20}
	for name, h := range map[string]http.HandlerFunc{
		"whole": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"id":"c1","padding":"%s"}`, strings.Repeat("x", 1<<20))
		},
		"stream": huge.stream,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, h)
			c, _ := newClient(t, f, func(c *Config) { c.MaxTokens = 100; c.MaxRetries = 0 })
			var err error
			if name == "stream" {
				_, err = c.Stream(context.Background(), question(), nil)
			} else {
				_, err = c.Answer(context.Background(), question())
			}
			if !errors.Is(err, errTooLong) || !strings.Contains(err.Error(), "ignores max_tokens") {
				t.Errorf("err = %v, want one saying the server ignores max_tokens", err)
			}
		})
	}
}
