// Package llm is Docent's client for any OpenAI-compatible chat completions
// server: OpenAI, Azure-compatible gateways, Ollama, vLLM and the llama.cpp
// server. It builds a grounded prompt from the passages retrieval found,
// asks the server (whole or streamed), checks the answer's citations and
// makes mass mentions harmless. Failures are retried with backoff, bounded
// by a per-request deadline, and a circuit breaker stops asking a server
// that keeps failing.
package llm

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Config holds the settings found under `llm:` in the YAML configuration.
// The yaml tags are the names admins write; Problems uses
// the same names.
type Config struct {
	// BaseURL is the API root, the part before /chat/completions:
	// https://api.openai.com/v1, http://localhost:11434/v1 (Ollama),
	// http://localhost:8000/v1 (vLLM), http://localhost:8080/v1 (llama.cpp).
	BaseURL string `yaml:"base_url"`
	// APIKey is sent as "Authorization: Bearer <key>"; empty sends none
	// (local servers). Write it as ${NAME} so it comes from the environment.
	// It is never logged, and errors never contain it.
	APIKey string `yaml:"api_key"`
	// Model is the server's name for the model: "gpt-4o-mini", "llama3.1:8b".
	Model string `yaml:"model"`
	// Timeout bounds one question from start to the end of the answer:
	// every attempt, the waits between them and a whole stream.
	Timeout time.Duration `yaml:"timeout"`
	// MaxTokens bounds the answer's length.
	MaxTokens int `yaml:"max_tokens"`
	// Temperature: 0 is the most literal, 2 the most inventive.
	Temperature float64 `yaml:"temperature"`
	// SystemPrompt replaces DefaultSystemPrompt when set.
	SystemPrompt string `yaml:"system_prompt"`
	// MaxPromptChars bounds the prompt's size in characters: passages and
	// history are cut to fit, the oldest history first.
	MaxPromptChars int `yaml:"max_prompt_chars"`
	// MaxRetries is how many times a failed request is tried again on a
	// 429, a 5xx or a network error; 0 never retries.
	MaxRetries int `yaml:"max_retries"`
	// RetryBase is the first backoff; each retry doubles it (with full
	// jitter) unless the server says how long to wait.
	RetryBase time.Duration `yaml:"retry_base"`
	// BreakerFailures consecutive failed questions open the circuit: the
	// client then fails fast with ErrUnavailable for BreakerCooldown,
	// after which one trial question decides whether it closes again.
	BreakerFailures int           `yaml:"breaker_failures"`
	BreakerCooldown time.Duration `yaml:"breaker_cooldown"`
}

// DefaultConfig returns the settings used for every field the YAML leaves
// out. BaseURL and Model have no default: the admin names the server.
//
//	timeout:          20s   (keep it below bot.timeout so the fallback answer still fits)
//	max_tokens:       600
//	temperature:      0.2
//	system_prompt:    DefaultSystemPrompt
//	max_prompt_chars: 12000 (about 3000 tokens: fits a 4096-token context with the answer)
//	max_retries:      2
//	retry_base:       500ms
//	breaker_failures: 5
//	breaker_cooldown: 30s
func DefaultConfig() Config {
	return Config{
		Timeout:         20 * time.Second,
		MaxTokens:       600,
		Temperature:     0.2,
		MaxPromptChars:  12000,
		MaxRetries:      2,
		RetryBase:       500 * time.Millisecond,
		BreakerFailures: 5,
		BreakerCooldown: 30 * time.Second,
	}
}

// Limits that catch typos (a timeout in hours, a million retries).
const (
	maxTimeout        = 10 * time.Minute
	maxMaxTokens      = 1 << 20
	maxRetries        = 10
	minPromptChars    = 1000
	maxPromptChars    = 4 << 20
	maxBreakerTimeout = 24 * time.Hour
)

// Problem is one unusable setting: the field's name as written under
// `llm:` ("max_tokens") and what is wrong with it.
type Problem struct {
	Field, Msg string
}

// Problems lists every setting the client cannot work with. Messages never
// contain the API key.
func (c Config) Problems() []Problem {
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{field, fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(c.BaseURL) == "" {
		add("base_url", "is required: the API root, such as https://api.openai.com/v1 or http://localhost:11434/v1")
	} else if u, err := url.Parse(c.BaseURL); err != nil {
		add("base_url", "is not a URL: write it like http://localhost:11434/v1")
	} else if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("base_url", "must be an http:// or https:// URL such as http://localhost:11434/v1, got %q", redactURL(c.BaseURL))
	} else if strings.HasSuffix(strings.TrimRight(u.Path, "/"), "/chat/completions") {
		add("base_url", "must be the API root without /chat/completions, such as %s", strings.TrimSuffix(strings.TrimRight(redactURL(c.BaseURL), "/"), "/chat/completions"))
	} else if u.Hostname() == "api.openai.com" && c.APIKey == "" {
		add("api_key", "is required by api.openai.com; write api_key: ${OPENAI_API_KEY} and set that variable")
	}
	if strings.TrimSpace(c.Model) == "" {
		add("model", "is required: the server's name for the model, such as gpt-4o-mini or llama3.1:8b")
	}
	if c.Timeout <= 0 || c.Timeout > maxTimeout {
		add("timeout", "must be above 0 and at most %s, got %s", maxTimeout, c.Timeout)
	}
	if c.MaxTokens < 1 || c.MaxTokens > maxMaxTokens {
		add("max_tokens", "must be between 1 and %d, got %d", maxMaxTokens, c.MaxTokens)
	}
	if !(c.Temperature >= 0 && c.Temperature <= 2) {
		add("temperature", "must be between 0 and 2, got %g", c.Temperature)
	}
	if c.MaxPromptChars < minPromptChars || c.MaxPromptChars > maxPromptChars {
		add("max_prompt_chars", "must be between %d and %d, got %d", minPromptChars, maxPromptChars, c.MaxPromptChars)
	}
	if n := runes(c.SystemPrompt); n > c.MaxPromptChars/2 && c.MaxPromptChars >= minPromptChars {
		add("system_prompt", "is %d characters, more than half of max_prompt_chars (%d): no room would be left for passages", n, c.MaxPromptChars)
	}
	if c.MaxRetries < 0 || c.MaxRetries > maxRetries {
		add("max_retries", "must be between 0 and %d, got %d", maxRetries, c.MaxRetries)
	}
	if c.MaxRetries > 0 && (c.RetryBase <= 0 || c.RetryBase > c.Timeout && c.Timeout > 0) {
		add("retry_base", "must be above 0 and at most the timeout (%s), got %s", c.Timeout, c.RetryBase)
	}
	if c.BreakerFailures < 1 {
		add("breaker_failures", "must be at least 1, got %d", c.BreakerFailures)
	}
	if c.BreakerCooldown <= 0 || c.BreakerCooldown > maxBreakerTimeout {
		add("breaker_cooldown", "must be above 0 and at most %s, got %s", maxBreakerTimeout, c.BreakerCooldown)
	}
	return ps
}

// Validate reports every unusable setting at once.
func (c Config) Validate() error {
	var errs []error
	for _, p := range c.Problems() {
		errs = append(errs, fmt.Errorf("%s %s", p.Field, p.Msg))
	}
	return errors.Join(errs...)
}

// String shows the settings without the API key, so that printing a
// Config by mistake leaks nothing.
func (c Config) String() string {
	return fmt.Sprintf("llm{base_url: %s, api_key: %s, model: %q, timeout: %s, max_tokens: %d, temperature: %g, "+
		"max_prompt_chars: %d, max_retries: %d, retry_base: %s, breaker_failures: %d, breaker_cooldown: %s}",
		redactURL(c.BaseURL), keyShown(c.APIKey), c.Model, c.Timeout, c.MaxTokens, c.Temperature,
		c.MaxPromptChars, c.MaxRetries, c.RetryBase, c.BreakerFailures, c.BreakerCooldown)
}

// LogValue logs the settings without the API key.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("base_url", redactURL(c.BaseURL)),
		slog.String("api_key", keyShown(c.APIKey)),
		slog.String("model", c.Model),
		slog.Duration("timeout", c.Timeout),
		slog.Int("max_tokens", c.MaxTokens),
		slog.Float64("temperature", c.Temperature),
		slog.Int("max_retries", c.MaxRetries),
	)
}

func keyShown(key string) string {
	if key == "" {
		return "(none)"
	}
	return "(set)"
}

// redactURL hides a password written into the URL's user part.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}
