// Package metrics counts what Docent does, for Prometheus: messages in and
// out per adapter, answers by source, classifier and LLM latency, LLM
// tokens, errors and store write latency. It hooks in by wrapping what the
// bot already uses (the store's History, the LLM client) rather than by
// calls spread through the code. A nil *Metrics counts nothing, so the bot
// runs the same without it.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/docent-bot/docent/brain/llm"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// Metrics holds Docent's collectors in their own registry (no global
// state: two bots in one test binary count apart).
type Metrics struct {
	reg         *prometheus.Registry
	messagesIn  *prometheus.CounterVec
	messagesOut *prometheus.CounterVec
	answers     *prometheus.CounterVec
	votes       *prometheus.CounterVec
	classify    prometheus.Histogram
	llmLatency  *prometheus.HistogramVec
	llmTokens   *prometheus.CounterVec
	errors      *prometheus.CounterVec
	storeWrite  *prometheus.HistogramVec
}

// New makes the collectors, with Go runtime and process metrics beside them.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		messagesIn: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "docent_messages_in_total",
			Help: "Members' messages received and stored, by adapter (platform)."}, []string{"adapter"}),
		messagesOut: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "docent_messages_out_total",
			Help: "Answers sent and stored, by adapter (platform)."}, []string{"adapter"}),
		answers: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "docent_answers_total",
			Help: "Answers sent, by the part of Docent that produced them (intent, knowledge, llm, fallback, command, error)."}, []string{"source"}),
		votes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "docent_votes_total",
			Help: "Votes stored on answers and messages (up, down, none for a vote taken back)."}, []string{"vote"}),
		classify: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "docent_classifier_seconds",
			Help: "Time the intent classifier took to read one question.", Buckets: prometheus.ExponentialBuckets(0.00001, 2, 16)}),
		llmLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "docent_llm_seconds",
			Help: "Time of one LLM answer, retries included, by outcome (ok or error).", Buckets: prometheus.ExponentialBuckets(0.1, 2, 10)}, []string{"outcome"}),
		llmTokens: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "docent_llm_tokens_total",
			Help: "LLM tokens used, by kind (prompt or completion)."}, []string{"kind"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "docent_errors_total",
			Help: "Failures, by where they happened (store, llm, answer: an apology sent to a member, adapter)."}, []string{"where"}),
		storeWrite: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "docent_store_write_seconds",
			Help: "Time of one store write until it is on disk, by operation.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, []string{"op"}),
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.messagesIn, m.messagesOut, m.answers, m.votes, m.classify, m.llmLatency, m.llmTokens, m.errors, m.storeWrite)
	// Series that exist from the start, so that dashboards and alerts see
	// zeros rather than nothing.
	for _, s := range []chat.Source{chat.SourceIntent, chat.SourceKnowledge, chat.SourceLLM, chat.SourceFallback, chat.SourceCommand, chat.SourceError} {
		m.answers.WithLabelValues(string(s))
	}
	for _, w := range []string{"store", "llm", "answer", "adapter"} {
		m.errors.WithLabelValues(w)
	}
	for _, o := range []string{"ok", "error"} {
		m.llmLatency.WithLabelValues(o)
	}
	for _, k := range []string{"prompt", "completion"} {
		m.llmTokens.WithLabelValues(k)
	}
	for _, v := range []string{"up", "down", "none"} {
		m.votes.WithLabelValues(v)
	}
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Registry is where the collectors are registered (tests read it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveClassify records one classification's time.
func (m *Metrics) ObserveClassify(d time.Duration) {
	if m != nil {
		m.classify.Observe(d.Seconds())
	}
}

// Error counts a failure at where.
func (m *Metrics) Error(where string) {
	if m != nil {
		m.errors.WithLabelValues(where).Inc()
	}
}

// History is the part of the store the bot's router writes to (the same
// methods as bot.History).
type History interface {
	AppendMessage(ctx context.Context, m chat.Message) (store.Record, error)
	AppendAnswer(ctx context.Context, a store.AnswerRecord) (store.Record, error)
	AnswerSent(ctx context.Context, id uint64, platformID string) error
	RecordFeedback(ctx context.Context, f chat.Feedback) (uint64, error)
	// Update writes what the modules held for a message whose answer did
	// not carry it (module.Settle).
	Update(ctx context.Context, fn func(*store.Tx) error) error
}

// History wraps h so that every message, answer and vote written through
// it is counted and its write timed. With a nil m it returns h.
func (m *Metrics) History(h History) History {
	if m == nil {
		return h
	}
	return &history{h, m}
}

type history struct {
	History
	m *Metrics
}

func (h *history) timed(op string, start time.Time, err error) {
	h.m.storeWrite.WithLabelValues(op).Observe(time.Since(start).Seconds())
	if err != nil {
		h.m.errors.WithLabelValues("store").Inc()
	}
}

func (h *history) AppendMessage(ctx context.Context, msg chat.Message) (store.Record, error) {
	start := time.Now()
	rec, err := h.History.AppendMessage(ctx, msg)
	h.timed("message", start, err)
	if err == nil {
		h.m.messagesIn.WithLabelValues(msg.Conversation.Platform).Inc()
	}
	return rec, err
}

func (h *history) AppendAnswer(ctx context.Context, a store.AnswerRecord) (store.Record, error) {
	start := time.Now()
	rec, err := h.History.AppendAnswer(ctx, a)
	h.timed("answer", start, err)
	// The answer is sent whether or not it was stored (it is stored
	// first).
	h.m.messagesOut.WithLabelValues(a.Conversation.Platform).Inc()
	h.m.answers.WithLabelValues(string(a.Answer.Source)).Inc()
	if a.Answer.Source == chat.SourceError {
		h.m.errors.WithLabelValues("answer").Inc()
	}
	return rec, err
}

func (h *history) RecordFeedback(ctx context.Context, f chat.Feedback) (uint64, error) {
	start := time.Now()
	id, err := h.History.RecordFeedback(ctx, f)
	h.timed("vote", start, err)
	if err == nil {
		vote := "none"
		switch f.Vote {
		case chat.VoteUp:
			vote = "up"
		case chat.VoteDown:
			vote = "down"
		}
		h.m.votes.WithLabelValues(vote).Inc()
	}
	return id, err
}

// LLM is the LLM client as the brain uses it (brain.LLM).
type LLM interface {
	Answer(ctx context.Context, r llm.Request) (llm.Answer, error)
	Stream(ctx context.Context, r llm.Request, onDelta func(textSoFar string)) (llm.Answer, error)
}

// LLM wraps c so that every call is timed and its tokens counted. With a
// nil m it returns c.
func (m *Metrics) LLM(c LLM) LLM {
	if m == nil {
		return c
	}
	return &timedLLM{c, m}
}

type timedLLM struct {
	LLM
	m *Metrics
}

func (t *timedLLM) done(start time.Time, a llm.Answer, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
		t.m.errors.WithLabelValues("llm").Inc()
	}
	t.m.llmLatency.WithLabelValues(outcome).Observe(time.Since(start).Seconds())
	t.m.llmTokens.WithLabelValues("prompt").Add(float64(max(a.Usage.PromptTokens, 0)))
	t.m.llmTokens.WithLabelValues("completion").Add(float64(max(a.Usage.CompletionTokens, 0)))
}

func (t *timedLLM) Answer(ctx context.Context, r llm.Request) (llm.Answer, error) {
	start := time.Now()
	a, err := t.LLM.Answer(ctx, r)
	t.done(start, a, err)
	return a, err
}

func (t *timedLLM) Stream(ctx context.Context, r llm.Request, onDelta func(string)) (llm.Answer, error) {
	start := time.Now()
	a, err := t.LLM.Stream(ctx, r, onDelta)
	t.done(start, a, err)
	return a, err
}
