package config_test

import (
	"fmt"
	"time"

	"github.com/docent-bot/docent/bot/config"
)

type LLM struct {
	BaseURL    string        `yaml:"base_url"`
	Model      string        `yaml:"model"`
	Timeout    time.Duration `yaml:"timeout"`
	MaxHistory int           `yaml:"max_history"`
}

type Config struct {
	LLM LLM `yaml:"llm"`
}

func ExampleDecode() {
	src := []byte(`# Docent
llm:
  base_url: http://localhost:11434/v1
  modle: llama3.1
  timeout: 30s
  max_history: fifty
`)
	cfg := Config{LLM: LLM{Model: "llama3.1", Timeout: time.Minute, MaxHistory: 20}}
	pos, err := config.Decode("docent.yaml", src, &cfg, config.Options{})
	fmt.Println(err)

	// Validation after decoding points at what the admin wrote, or at the
	// nearest section they wrote when the value is a default.
	fmt.Println(pos.Errorf("llm.base_url", "cannot reach %s", cfg.LLM.BaseURL))
	fmt.Println(pos.Errorf("llm.model", "model %s is not installed", cfg.LLM.Model))
	// Output:
	// docent.yaml:4:3: llm: unknown field "modle"; did you mean "model"?
	// docent.yaml:6:16: llm.max_history: expected a number, got "fifty"
	// docent.yaml:3:13: llm.base_url: cannot reach http://localhost:11434/v1
	// docent.yaml:2:1: llm.model: model llama3.1 is not installed
}
