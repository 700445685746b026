package llm

import (
	"fmt"
	"strings"
	"testing"
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

// BenchmarkStreamChecks is the checking one whole streamed answer costs:
// the text so far is checked again at every chunk (4 bytes here, as
// servers send), so this grows with the square of the answer's length.
func BenchmarkStreamChecks(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for n := 4; n <= len(benchAnswer); n += 4 {
			finish(benchAnswer[:n], 8)
		}
	}
}
