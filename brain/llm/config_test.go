package llm

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func validConfig() Config {
	c := DefaultConfig()
	c.BaseURL, c.Model, c.APIKey = "http://localhost:11434/v1", "llama3.1:8b", "sk-secret-key-1234567890"
	return c
}

func TestDefaultConfigNeedsOnlyServerAndModel(t *testing.T) {
	c := DefaultConfig()
	var fields []string
	for _, p := range c.Problems() {
		fields = append(fields, p.Field)
	}
	if got := strings.Join(fields, ","); got != "base_url,model" {
		t.Fatalf("problems of the defaults = %s, want base_url,model", got)
	}
	if ps := validConfig().Problems(); len(ps) != 0 {
		t.Fatalf("valid config has problems: %v", ps)
	}
}

func TestConfigProblems(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Config)
		field string
		msg   string
	}{
		{"not a URL scheme", func(c *Config) { c.BaseURL = "localhost:11434/v1" }, "base_url", "http:// or https://"},
		{"full endpoint", func(c *Config) { c.BaseURL = "https://api.example.com/v1/chat/completions" }, "base_url", "https://api.example.com/v1"},
		{"openai without key", func(c *Config) { c.BaseURL, c.APIKey = "https://api.openai.com/v1", "" }, "api_key", "${OPENAI_API_KEY}"},
		{"no model", func(c *Config) { c.Model = " " }, "model", "is required"},
		{"zero timeout", func(c *Config) { c.Timeout = 0 }, "timeout", "above 0"},
		{"huge timeout", func(c *Config) { c.Timeout = time.Hour }, "timeout", "at most 10m0s"},
		{"no tokens", func(c *Config) { c.MaxTokens = 0 }, "max_tokens", "between 1"},
		{"hot", func(c *Config) { c.Temperature = 2.5 }, "temperature", "between 0 and 2"},
		{"small budget", func(c *Config) { c.MaxPromptChars = 10 }, "max_prompt_chars", "between 1000"},
		{"long system prompt", func(c *Config) { c.SystemPrompt = strings.Repeat("x", 7000) }, "system_prompt", "more than half"},
		{"negative retries", func(c *Config) { c.MaxRetries = -1 }, "max_retries", "between 0 and 10"},
		{"no backoff", func(c *Config) { c.RetryBase = 0 }, "retry_base", "above 0"},
		{"no breaker", func(c *Config) { c.BreakerFailures = 0 }, "breaker_failures", "at least 1"},
		{"no cooldown", func(c *Config) { c.BreakerCooldown = 0 }, "breaker_cooldown", "above 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.edit(&c)
			ps := c.Problems()
			if len(ps) != 1 || ps[0].Field != tt.field || !strings.Contains(ps[0].Msg, tt.msg) {
				t.Fatalf("problems = %+v, want one for %s containing %q", ps, tt.field, tt.msg)
			}
			if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), tt.field+" ") {
				t.Fatalf("Validate() = %v", err)
			}
		})
	}
}

func TestConfigNeverShowsTheKey(t *testing.T) {
	c := validConfig()
	c.BaseURL = "https://user:hunter2pass@gateway.example.com/v1"
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "llm", c)
	for name, s := range map[string]string{
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%s": fmt.Sprint(c), "slog": logged.String(),
	} {
		if strings.Contains(s, c.APIKey) || strings.Contains(s, "hunter2pass") {
			t.Errorf("%s shows a secret: %s", name, s)
		}
		if !strings.Contains(s, "llama3.1:8b") {
			t.Errorf("%s does not show the model: %s", name, s)
		}
	}
}
