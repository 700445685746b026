package llm

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func benchRequest() Request {
	r := Request{Question: "How do I add an intent and reload it without a restart?", Member: "Ada"}
	for i := range 8 {
		r.Passages = append(r.Passages, Passage{Title: fmt.Sprint("Section ", i+1), Link: "https://docs.example.org/s",
			Text: strings.Repeat("Intents are YAML files with patterns and responses. ", 30)})
	}
	for i := range 10 {
		r.History = append(r.History, Turn{Role: []string{"member", "docent"}[i%2], Name: "Ada", Text: strings.Repeat("earlier words ", 20)})
	}
	return r
}

// benchAnswer is a 2 KB reply with citations, an invalid one and code.
var benchAnswer = strings.Repeat("Write the intent in YAML [1], then run !reload [2][9]. ", 25) +
	"```yaml\nname: greet\npatterns: [hi, hello]\n```\n" + strings.Repeat("Patterns are examples [3]. ", 20)

func BenchmarkBuildPrompt(b *testing.B) {
	r := benchRequest()
	b.ReportAllocs()
	for b.Loop() {
		buildPrompt(DefaultSystemPrompt, 12000, r)
	}
}

func BenchmarkFinish(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchAnswer)))
	for b.Loop() {
		finish(benchAnswer, 8)
	}
}

// BenchmarkStreamChecks is what checking the text so far at every chunk
// (4 bytes here, as servers send) would cost one whole answer: it grows
// with the square of the answer's length, which is why Stream checks only
// each time the text has grown by an eighth (BenchmarkStream).
func BenchmarkStreamChecks(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for n := 4; n <= len(benchAnswer); n += 4 {
			finish(benchAnswer[:n], 8)
		}
	}
}

// BenchmarkStream is one whole streamed answer, 100 KB and 400 KB in the
// 4-byte chunks servers send, read from a loopback server and shown
// through an onDelta that, like the bot's, copies the text it is given.
// Reading, checking and showing must cost in proportion to the answer:
// the 400 KB stream about 4 times the 100 KB one, not 16.
func BenchmarkStream(b *testing.B) {
	for _, size := range []int{25 << 10, 100 << 10, 400 << 10} {
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			var body strings.Builder
			text := strings.Repeat("Write the intent [1]. ", size/22+1)[:size]
			for i := 0; i < len(text); i += 4 {
				fmt.Fprintf(&body, "data: %s\n\n", chunk(text[i:min(i+4, len(text))], ""))
			}
			fmt.Fprintf(&body, "data: %s\n\ndata: [DONE]\n\n", chunk("", "stop"))
			sse := body.String()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, sse)
			}))
			defer srv.Close()
			cfg := DefaultConfig()
			cfg.BaseURL, cfg.Model, cfg.MaxTokens = srv.URL+"/v1", "m", size // room for the whole answer
			cfg.Timeout = 10 * time.Minute
			c, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			shown := 0
			b.SetBytes(int64(size))
			for b.Loop() {
				ans, err := c.Stream(context.Background(), Request{Question: "q", Passages: []Passage{{Text: "p"}}},
					func(text string) { shown += len(strings.Clone(text)) })
				if err != nil || len(ans.Text) < size-8 {
					b.Fatalf("answer of %d bytes, err %v", len(ans.Text), err)
				}
			}
		})
	}
}
