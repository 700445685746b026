package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/docent-bot/docent/bot/analytics"
	"github.com/docent-bot/docent/bot/budgets"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// PipelineOptions describe a load for BenchPipeline.
type PipelineOptions struct {
	Members   int // each asks, waits for the answer, and asks again
	Channels  int // members are spread over them
	Questions int // in all
	// LLMLatency > 0 puts a fake OpenAI-compatible server on loopback that
	// answers after that long, and turns the LLM on; LLMShare of the
	// questions are ones the classifier is unsure of (they go to it).
	LLMLatency time.Duration
	LLMShare   float64
	// Unsure replaces the built-in questions about Docent's guide that the
	// classifier is unsure of (for other docs).
	Unsure []string
	Seed   uint64
	// Postgres, when set, is the URL of an empty PostgreSQL database to
	// run on instead of a bbolt file in a temporary folder. The
	// configuration's own database, bbolt or PostgreSQL, is never used.
	Postgres string
	// Replicas > 1 runs that many Docents on the PostgreSQL database, as
	// replicas (store.postgres.replicas), in this process: member m asks
	// replica m % Replicas, as Slack spreads events over the replicas'
	// connections. Each has its own store, connections and brain, and its
	// own configuration, from Reload (a Config opens one Bot).
	Replicas int
	Reload   func() (*Config, error)
}

// Latency is a stage's distribution.
type Latency struct {
	Stage string             `json:"stage"`
	Count int                `json:"count"`
	P50   analytics.Duration `json:"p50_ms"` // written in JSON as milliseconds
	P99   analytics.Duration `json:"p99_ms"`
	P999  analytics.Duration `json:"p999_ms"`
}

// PipelineReport is what BenchPipeline measured.
type PipelineReport struct {
	Questions  int                `json:"questions"`
	Replicas   int                `json:"replicas"`
	Took       analytics.Duration `json:"took_ms"`
	PerSecond  float64            `json:"answered_per_second"`
	Stages     []Latency          `json:"stages"`
	Goroutines [2]int             `json:"goroutines_before_after"`
	// Commits are the store's fsynced transactions during the run, Writes
	// the writes they carried; per answered question, both. Concurrent
	// members share commits (group commit); one member alone shows what
	// one answer costs.
	Commits          uint64  `json:"commits"`
	Writes           uint64  `json:"writes"`
	CommitsPerAnswer float64 `json:"commits_per_answer"`
	WritesPerAnswer  float64 `json:"writes_per_answer"`
}

// benchSamples holds each stage's durations.
type benchSamples struct {
	mu     sync.Mutex
	stages map[string][]time.Duration
}

func (s *benchSamples) add(stage string, d time.Duration) {
	s.mu.Lock()
	s.stages[stage] = append(s.stages[stage], d)
	s.mu.Unlock()
}

// BenchPipeline opens a Docent on cfg with a fresh database in a temporary
// folder and drives the load through the real router, brain and store,
// in this process: every message and answer is stored, fsynced, as in
// production. It reports answers per second and each stage's latency:
// storing the message (Deliver), waiting, answering and storing the answer
// (until Reply: the answer is stored before it is sent), recording the
// sent message's platform ID (until the router has finished); and in all,
// until the member sees the answer (the adapter's Reply) and until the
// router is done with it, for answers given locally and by the LLM apart.
func BenchPipeline(ctx context.Context, cfg Config, o PipelineOptions, log *slog.Logger) (PipelineReport, error) {
	if o.Members < 1 || o.Channels < 1 || o.Questions < 1 || o.LLMShare < 0 || o.LLMShare > 1 {
		return PipelineReport{}, errors.New("bench pipeline: members, channels and questions must be at least 1, the LLM share 0 to 1")
	}
	o.Replicas = max(o.Replicas, 1)
	if o.Replicas > 1 && o.Postgres == "" {
		return PipelineReport{}, errors.New("bench pipeline: replicas share a PostgreSQL database: give its URL (--postgres) with --replicas")
	}
	if o.Replicas > 1 && o.Reload == nil {
		return PipelineReport{}, errors.New("bench pipeline: replicas need PipelineOptions.Reload, for a configuration each")
	}
	if o.Replicas > o.Members {
		return PipelineReport{}, fmt.Errorf("bench pipeline: %d replicas for %d members: some would get no one", o.Replicas, o.Members)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir, err := os.MkdirTemp("", "docent-bench-*")
	if err != nil {
		return PipelineReport{}, err
	}
	defer os.RemoveAll(dir)
	llmURL := ""
	stopLLM := func() {}
	if o.LLMLatency > 0 {
		stop, url, err := slowLLM(o.LLMLatency)
		if err != nil {
			return PipelineReport{}, err
		}
		var once sync.Once
		stopLLM = func() { once.Do(stop) }
		defer stopLLM()
		llmURL = url
	}
	// benchSettings are the bench's own settings, on every replica's
	// configuration alike.
	benchSettings := func(c *Config) {
		c.Store.Path = filepath.Join(dir, "docent.db")
		c.Store.Postgres = PostgresConfig{URL: o.Postgres, Replicas: o.Replicas > 1}
		c.Brain.WatchInterval = 0
		c.Bot.RateLimit = RateLimitConfig{} // the members are synthetic and fast on purpose
		c.Adapters.Console.Enabled = false
		c.Ops.Listen = "off" // it serves nobody, and a Docent running here keeps its port
		c.LLM.Enabled = llmURL != ""
		if !c.LLM.Enabled {
			return
		}
		c.LLM.BaseURL = llmURL + "/v1"
		c.LLM.Model = "bench"
		c.LLM.APIKey = ""
		c.LLM.Timeout = max(c.LLM.Timeout, 3*o.LLMLatency)
		c.Bot.Timeout = max(c.Bot.Timeout, 4*o.LLMLatency)
		// The members are synthetic: no budget stops them, and their
		// requests are still counted, with their answers.
		c.modules = slices.Clone(c.modules)
		for i, m := range c.modules {
			if m.Name() == budgets.Name {
				c.modules[i] = budgets.New()
			}
		}
	}
	benchSettings(&cfg)
	before := runtime.NumGoroutine()
	var bots []*Bot
	closeAll := func() error {
		var errs []error
		for _, b := range bots {
			errs = append(errs, b.Close())
		}
		return errors.Join(errs...)
	}
	for i := range o.Replicas {
		c := &cfg
		if i > 0 {
			again, err := o.Reload()
			if err != nil {
				closeAll()
				return PipelineReport{}, fmt.Errorf("bench pipeline: load the configuration again for replica %d: %w", i, err)
			}
			c = again
			benchSettings(c)
		}
		b, err := Open(ctx, c, Options{Log: log.With("replica", i), Version: "bench"})
		if err != nil {
			closeAll()
			return PipelineReport{}, err
		}
		bots = append(bots, b)
	}
	sure, unsure := bots[0].benchQuestions(o.Unsure)
	if len(sure) == 0 || (o.LLMShare > 0 && len(unsure) == 0) {
		closeAll()
		return PipelineReport{}, errors.New("bench pipeline: the intents give no questions to ask")
	}
	samples := &benchSamples{stages: map[string][]time.Duration{}}
	next := make(chan int)
	loads := make([]*benchLoad, len(bots))
	for i := range bots {
		loads[i] = &benchLoad{o: o, replica: i, next: next, sure: sure, unsure: unsure, samples: samples}
	}
	var wrote writeTotals
	for _, b := range bots {
		wrote.add(b.store.WriteStats())
	}
	start := time.Now()
	errs := make([]error, len(bots))
	var running sync.WaitGroup
	for i, b := range bots {
		running.Go(func() { errs[i] = b.Run(ctx, loads[i]) })
	}
	for i := range o.Questions {
		select {
		case next <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	running.Wait()
	took := time.Since(start)
	err = errors.Join(errs...)
	if cerr := closeAll(); err == nil {
		err = cerr
	}
	// Close commits what was queued without waiting (the sent IDs): part
	// of the answers' cost.
	var after writeTotals
	for _, b := range bots {
		after.add(b.store.WriteStats())
	}
	for _, l := range loads {
		if err == nil {
			err = l.err
		}
	}
	if err != nil {
		return PipelineReport{}, err
	}
	r := PipelineReport{Questions: o.Questions, Replicas: o.Replicas, Took: analytics.Duration(took), PerSecond: float64(o.Questions) / took.Seconds(),
		Commits: after.Commits - wrote.Commits, Writes: after.Writes - wrote.Writes}
	r.CommitsPerAnswer = float64(r.Commits) / float64(o.Questions)
	r.WritesPerAnswer = float64(r.Writes) / float64(o.Questions)
	for _, stage := range []string{"store message", "answer (queue + brain + store)", "store sent ID",
		"member sees the answer, local", "member sees the answer, LLM", "answer stored, local", "answer stored, LLM"} {
		ds := samples.stages[stage]
		if len(ds) == 0 {
			continue
		}
		slices.Sort(ds)
		at := func(q float64) analytics.Duration {
			return analytics.Duration(ds[min(len(ds)-1, int(q*float64(len(ds))))])
		}
		r.Stages = append(r.Stages, Latency{Stage: stage, Count: len(ds), P50: at(0.5), P99: at(0.99), P999: at(0.999)})
	}
	// Goroutines return to where they were once the fake LLM is gone (its
	// connections' goroutines, client and server, end with it).
	stopLLM()
	deadline := time.Now().Add(10 * time.Second) // connections notice their peer is gone
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	r.Goroutines = [2]int{before, runtime.NumGoroutine()}
	return r, nil
}

// benchQuestions are the intents' patterns the classifier is sure of, and
// questions it is unsure of that the docs answer (the LLM's).
func (b *Bot) benchQuestions(asked []string) (sure, unsure []string) {
	br := b.brain.Load()
	for _, in := range br.Intents() {
		for _, p := range in.Patterns {
			if br.Sure(p) {
				sure = append(sure, p)
			}
		}
	}
	if asked == nil {
		asked = []string{
			"how do I point the knowledge folders at my own docs",
			"what does min_confidence change in the search",
			"where does docent keep its database file",
			"how are secrets kept out of the history",
			"can I run two docents on one database",
			"how do I back up the database while it runs",
			"what happens to old messages with retention",
			"how does the llm budget work per member",
		}
	}
	for _, q := range asked {
		if !br.Sure(q) && len(br.Related(q, 1, chat.Place{})) > 0 {
			unsure = append(unsure, q)
		}
	}
	return sure, unsure
}

// writeTotals add up the store's write figures of several replicas.
type writeTotals struct{ Commits, Writes uint64 }

func (t *writeTotals) add(s store.WriteStats) {
	t.Commits += s.Commits
	t.Writes += s.Writes
}

// benchLoad is an adapter that plays the members of one replica: member m
// asks replica m % Replicas. The replicas' loads take the questions from
// one channel, next, which BenchPipeline feeds and closes.
type benchLoad struct {
	o            PipelineOptions
	replica      int
	next         <-chan int
	sure, unsure []string
	samples      *benchSamples
	err          error
}

func (*benchLoad) Name() string { return "bench" }

func (l *benchLoad) Run(ctx context.Context, inbox chat.Inbox) error {
	var (
		wg    sync.WaitGroup
		errMu sync.Mutex
	)
	for m := l.replica; m < l.o.Members; m += l.o.Replicas {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(l.o.Seed, uint64(m)))
			member := chat.Member{ID: fmt.Sprintf("m%d", m), Name: fmt.Sprintf("member%d", m)}
			conv := chat.Conversation{Platform: "bench", Channel: fmt.Sprintf("c%d", m%l.o.Channels)}
			// A member asks again once they see the answer, as people do;
			// the answer is stored meanwhile, and the run waits for every
			// one of them at the end.
			var asked []*benchResponder
			for range l.next {
				q := l.sure[rng.IntN(len(l.sure))]
				if l.o.LLMShare > 0 && rng.Float64() < l.o.LLMShare {
					q = l.unsure[rng.IntN(len(l.unsure))]
				}
				r := &benchResponder{seen: make(chan struct{}), done: make(chan struct{})}
				r.t0 = time.Now()
				err := inbox.Deliver(ctx, chat.Message{Conversation: conv, Author: member, Text: q, Time: r.t0}, r)
				r.t1 = time.Now()
				if err == nil {
					select {
					case <-r.seen:
					case <-r.done: // finished without a reply
					case <-ctx.Done():
						err = ctx.Err()
					}
				}
				if err != nil {
					errMu.Lock()
					l.err = cmp.Or(l.err, err)
					errMu.Unlock()
					continue
				}
				asked = append(asked, r)
			}
			for _, r := range asked {
				select {
				case <-r.done:
				case <-ctx.Done():
					return
				}
				l.samples.add("store message", r.t1.Sub(r.t0))
				l.samples.add("answer (queue + brain + store)", r.replied.Sub(r.t1))
				l.samples.add("store sent ID", r.finished.Sub(r.replied))
				by := "local"
				if r.source == chat.SourceLLM {
					by = "LLM"
				}
				l.samples.add("member sees the answer, "+by, r.replied.Sub(r.t0))
				l.samples.add("answer stored, "+by, r.finished.Sub(r.t0))
			}
		})
	}
	wg.Wait()
	return nil
}

// benchResponder notes when the answer came and when the router finished.
type benchResponder struct {
	t0, t1            time.Time // asked; stored and queued
	replied, finished time.Time
	source            chat.Source
	seen, done        chan struct{}
}

func (r *benchResponder) Reply(_ context.Context, a chat.Answer) (chat.Sent, error) {
	if r.replied.IsZero() {
		r.replied, r.source = time.Now(), a.Source
		close(r.seen)
	}
	// A platform's ID for the sent message, as Discord and Slack give.
	return chat.Sent{ID: fmt.Sprintf("bench-%p", r), Time: r.replied}, nil
}

func (r *benchResponder) Finish() {
	r.finished = time.Now()
	close(r.done)
}

// slowLLM serves an OpenAI-compatible chat completion on loopback after
// latency; stop closes it.
func slowLLM(latency time.Duration) (stop func(), url string, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "b", "object": "chat.completion", "model": "bench",
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": "From the docs [1]."}}},
			"usage": map[string]any{"prompt_tokens": 100, "completion_tokens": 5, "total_tokens": 105},
		})
	})}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	return func() {
		// Every answer has been given: close every connection, including
		// ones just opened and not yet used (Shutdown would wait for those).
		srv.Close()
		<-done
	}, "http://" + ln.Addr().String(), nil
}
