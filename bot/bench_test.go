package bot

import (
	"context"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

// TestBenchPipeline runs a small load with a slow LLM for some questions:
// every question is answered, both ways, and no goroutine is left behind.
func TestBenchPipeline(t *testing.T) {
	cfg, err := LoadConfig(llmConfig(t, "http://127.0.0.1:9", "  model: unused\n", "deploy.md", deployDoc))
	if err != nil {
		t.Fatal(err)
	}
	r, err := BenchPipeline(context.Background(), *cfg, PipelineOptions{Members: 8, Channels: 3, Questions: 300,
		LLMLatency: 50 * time.Millisecond, LLMShare: 0.2, Unsure: []string{"how to deploy on kubernetes with helm"}, Seed: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, s := range r.Stages {
		counts[s.Stage] = s.Count
		if s.P50 > s.P99 || s.P99 > s.P999 {
			t.Errorf("%s: p50 %v, p99 %v, p99.9 %v out of order", s.Stage, s.P50, s.P99, s.P999)
		}
	}
	if counts["store message"] != 300 || counts["answer stored, local"]+counts["answer stored, LLM"] != 300 {
		t.Errorf("stages %+v: want 300 questions, all answered", r.Stages)
	}
	if counts["answer stored, LLM"] == 0 || counts["answer stored, local"] == 0 {
		t.Errorf("stages %+v: want answers from the LLM and local ones", r.Stages)
	}
	if r.Goroutines[1] > r.Goroutines[0] {
		var stacks strings.Builder
		pprof.Lookup("goroutine").WriteTo(&stacks, 1)
		t.Errorf("goroutines: %d before, %d after:\n%s", r.Goroutines[0], r.Goroutines[1], stacks.String())
	}
}
