package bot

import (
	"context"
	"net"
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

// One member asks one question after another, so nothing shares a commit
// across questions: an answer from the LLM writes its message, then its
// answer with the LLM request and tokens it cost (and the sent ID, which
// joins the next commit), where it wrote the request and the tokens in
// transactions of their own.
func TestBenchPipelineWritesPerAnswer(t *testing.T) {
	cfg, err := LoadConfig(llmConfig(t, "http://127.0.0.1:9", "  model: unused\n", "deploy.md", deployDoc))
	if err != nil {
		t.Fatal(err)
	}
	for _, share := range []float64{0, 1} {
		o := PipelineOptions{Members: 1, Channels: 1, Questions: 20, Unsure: []string{"how to deploy on kubernetes with helm"}, Seed: 3}
		if share > 0 {
			o.LLMLatency, o.LLMShare = time.Millisecond, share
		}
		r, err := BenchPipeline(context.Background(), *cfg, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		// message, answer, sent ID
		if r.WritesPerAnswer != 3 {
			t.Errorf("LLM share %v: %.2f writes per answer (%d commits), want 3", share, r.WritesPerAnswer, r.Commits)
		}
		// The message and the answer each wait for their commit.
		if r.CommitsPerAnswer < 2 || r.CommitsPerAnswer > 3 {
			t.Errorf("LLM share %v: %.2f commits per answer, want 2 to 3", share, r.CommitsPerAnswer)
		}
	}
}

// The bench serves nobody: it runs beside a Docent (or another test) that
// holds ops.listen's port, where it failed to start.
func TestBenchPipelineLeavesTheOpsPortAlone(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg, err := LoadConfig(writeConfig(t, "ops:\n  listen: "+taken.Addr().String()+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := BenchPipeline(context.Background(), *cfg, PipelineOptions{Members: 2, Channels: 1, Questions: 10, Seed: 3}, nil)
	if err != nil {
		t.Fatalf("with ops.listen's port taken: %v", err)
	}
	if r.Questions != 10 {
		t.Errorf("%d questions answered, want 10", r.Questions)
	}
}
