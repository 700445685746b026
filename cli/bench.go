package cli

import (
	"fmt"
	"os"
	"runtime/pprof"
	"text/tabwriter"
	"time"

	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/bot/analytics"
)

// benchCommands time the classifier, the whole pipeline, and the
// figures on a large history.
func benchCommands() []Command {
	return []Command{
		{Name: "bench classifier", Group: "Benchmarks", Args: "[--config FILE] [--dataset FILE] [--runs N]", Summary: "time training and single-sentence prediction", Run: (*Env).benchClassifier},
		{Name: "bench pipeline", Group: "Benchmarks", Args: "[--config FILE] [--members N] [--channels M] [--questions Q] [--llm-latency D] [--llm-share F] [--postgres URL [--replicas N]] [--json]", Summary: "drive synthetic members through the router, brain and store and time each stage", Run: (*Env).benchPipeline},
		{Name: "bench history", Group: "Benchmarks", Args: "[--config FILE] [--messages N] [--days D] [--db FILE] [--seed S] [--jsonl FILE]", Summary: "generate a synthetic community history and time stats and gaps on it, or write it as a JSONL history to import", Run: (*Env).benchHistory},
	}
}

func (c *Env) benchPipeline(args []string) int {
	fs := c.Flags()
	configFile := fs.String("config", "", "configuration `FILE` (its intents, docs and limits; its database is not touched)")
	members := fs.Int("members", 256, "synthetic members, each asking, waiting for the answer and asking again")
	channels := fs.Int("channels", 64, "channels the members are spread over")
	questions := fs.Int("questions", 50000, "questions in all")
	llmLatency := fs.Duration("llm-latency", 0, "answer the questions the classifier is unsure of with a fake LLM on loopback that takes this long (0: no LLM)")
	llmShare := fs.Float64("llm-share", 0.1, "with --llm-latency, the share of questions the classifier is unsure of")
	jsonOut := fs.Bool("json", false, "print one JSON object")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to `FILE` (go tool pprof reads it)")
	postgres := fs.String("postgres", "", "run on this PostgreSQL database (`URL`, postgres://user:password@host/db; an empty one: what the run writes stays there) instead of a bbolt file in a temporary folder")
	replicas := fs.Int("replicas", 1, "with --postgres, run `N` Docents on the database as replicas (store.postgres.replicas), in this process, each member asking one of them")
	cfg, code, done := c.Setup(fs, args, configFile)
	if done {
		return code
	}
	if *replicas < 1 {
		fmt.Fprintf(c.Stderr, "docent bench pipeline: --replicas %d: must be 1 or more\n", *replicas)
		return exitUsage
	}
	if *replicas > 1 && *postgres == "" {
		fmt.Fprintln(c.Stderr, "docent bench pipeline: --replicas needs --postgres URL: replicas share a PostgreSQL database (a bbolt file is one process's)")
		return exitUsage
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(c.Stderr, "docent bench pipeline:", err)
			return exitUsage
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(c.Stderr, "docent bench pipeline:", err)
			return exitError
		}
		defer pprof.StopCPUProfile()
	}
	share := *llmShare
	if *llmLatency == 0 {
		share = 0
	}
	ctx, stop := signalCtx()
	defer stop()
	r, err := bot.BenchPipeline(ctx, *cfg, bot.PipelineOptions{Members: *members, Channels: *channels, Questions: *questions,
		LLMLatency: *llmLatency, LLMShare: share, Seed: 1, Postgres: *postgres, Replicas: *replicas,
		Reload: func() (*bot.Config, error) { return c.LoadConfig(*configFile) }}, c.Logger(cfg).With("bench", true))
	if err != nil {
		fmt.Fprintln(c.Stderr, "docent bench pipeline:", err)
		return exitError
	}
	if *jsonOut {
		return c.printJSON(r)
	}
	on := "a bbolt file"
	switch {
	case r.Replicas > 1:
		on = fmt.Sprintf("PostgreSQL, %d replicas", r.Replicas)
	case *postgres != "":
		on = "PostgreSQL"
	}
	fmt.Fprintf(c.Stdout, "%d questions from %d members in %d channels in %s on %s: %.0f answered per second, every message and answer stored (committed)\n",
		r.Questions, *members, *channels, time.Duration(r.Took).Round(time.Millisecond), on, r.PerSecond)
	if *llmLatency > 0 {
		fmt.Fprintf(c.Stdout, "LLM: a fake on loopback taking %s, for %.0f%% of the questions\n", *llmLatency, share*100)
	}
	w := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "stage\tcount\tp50 ms\tp99 ms\tp99.9 ms\t\n")
	for _, s := range r.Stages {
		fmt.Fprintf(w, "%s\t%d\t%.2f\t%.2f\t%.2f\t\n", s.Stage, s.Count, ms(s.P50), ms(s.P99), ms(s.P999))
	}
	w.Flush()
	fmt.Fprintf(c.Stdout, "store: %.2f commits (fsyncs) and %.2f writes per answered question (%d and %d in all)\n",
		r.CommitsPerAnswer, r.WritesPerAnswer, r.Commits, r.Writes)
	fmt.Fprintf(c.Stdout, "goroutines: %d before, %d after\n", r.Goroutines[0], r.Goroutines[1])
	return exitOK
}

// ms is a latency in milliseconds, for the table.
func ms(d analytics.Duration) float64 { return float64(d) / float64(time.Millisecond) }
