package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// fakeServer is an OpenAI-compatible chat completions server on loopback.
// The i-th request is answered by the i-th handler (the last one repeats);
// every request is recorded as sent.
type fakeServer struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex // guards the fields below
	handlers []http.HandlerFunc
	seen     []seenRequest
}

type seenRequest struct {
	header http.Header
	body   string
	chat   chatBody
}

// chatBody is the part of a chat completions request the tests check;
// pointers tell a missing field from a zero.
type chatBody struct {
	Model               string   `json:"model"`
	MaxTokens           *int     `json:"max_tokens"`
	MaxCompletionTokens *int     `json:"max_completion_tokens"`
	Temperature         *float64 `json:"temperature"`
	Stream              bool     `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
}

func newFake(t *testing.T, handlers ...http.HandlerFunc) *fakeServer {
	f := &fakeServer{t: t, handlers: handlers}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.Error(w, `{"error":{"message":"no such route","type":"invalid_request_error"}}`, http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("fake: read body: %v", err)
		return
	}
	var chat chatBody
	if err := json.Unmarshal(body, &chat); err != nil {
		f.t.Errorf("fake: request body is not JSON: %v", err)
	}
	f.mu.Lock()
	i := len(f.seen)
	f.seen = append(f.seen, seenRequest{header: r.Header.Clone(), body: string(body), chat: chat})
	h := f.handlers[min(i, len(f.handlers)-1)]
	f.mu.Unlock()
	h(w, r)
}

func (f *fakeServer) hits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.seen)
}

func (f *fakeServer) request(i int) seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i >= len(f.seen) {
		f.t.Fatalf("fake: request %d never came (%d came)", i, len(f.seen))
	}
	return f.seen[i]
}

func (f *fakeServer) baseURL() string { return f.srv.URL + "/v1" }

const fakeModel = "fake-model-2"

// reply answers with a whole completion.
func reply(text string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": fakeModel,
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": text}}},
			"usage": map[string]any{"prompt_tokens": 321, "completion_tokens": 45, "total_tokens": 366},
		})
	}
}

// status answers with an HTTP error, an optional Retry-After and a body.
func status(code int, retryAfter, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

func apiError(message, typ string) string {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": message, "type": typ}})
	return string(b)
}

// chunk is one SSE chunk of a streamed completion.
func chunk(content, finishReason string) string {
	var fr any
	if finishReason != "" {
		fr = finishReason
	}
	b, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": fakeModel,
		"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": content}, "finish_reason": fr}},
	})
	return string(b)
}

const usageChunk = `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"fake-model-2","choices":[],` +
	`"usage":{"prompt_tokens":321,"completion_tokens":45,"total_tokens":366}}`

// sse writes each event as "data: …\n\n", flushing after each one.
func sse(w http.ResponseWriter, events ...string) {
	w.Header().Set("Content-Type", "text/event-stream")
	for _, ev := range events {
		fmt.Fprintf(w, "data: %s\n\n", ev)
		w.(http.Flusher).Flush()
	}
}

func stream(events ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { sse(w, events...) }
}

// blockUntilGone answers only when the client gives up.
func blockUntilGone(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

// fakeTime is the client's clock and sleeper in tests: sleeping records
// the wait and returns at once.
type fakeTime struct {
	mu     sync.Mutex // guards the fields below
	now    time.Time
	sleeps []time.Duration
}

func (ft *fakeTime) Now() time.Time {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return ft.now
}

func (ft *fakeTime) advance(d time.Duration) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	ft.now = ft.now.Add(d)
}

func (ft *fakeTime) sleep(ctx context.Context, d time.Duration) error {
	ft.mu.Lock()
	ft.sleeps = append(ft.sleeps, d)
	ft.mu.Unlock()
	return ctx.Err()
}

func (ft *fakeTime) slept() []time.Duration {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return append([]time.Duration(nil), ft.sleeps...)
}

const testKey = "sk-test-9f8e7d6c5b4a3210"

// newClient returns a client of f with fake time and the largest jitter,
// so backoffs are exact.
func newClient(t *testing.T, f *fakeServer, edit func(*Config)) (*Client, *fakeTime) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.BaseURL, cfg.Model, cfg.APIKey = f.baseURL(), "llama3.1:8b", testKey
	cfg.Timeout = 10 * time.Second // generous: only the deadline tests rely on it
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ft := &fakeTime{now: time.Unix(1_700_000_000, 0)}
	c.now, c.sleep = ft.Now, ft.sleep
	c.jitter = func(n int64) int64 { return n - 1 }
	return c, ft
}
