package config

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// The test config is shaped like Docent's: sections, an optional adapter
// (pointer), lists of sections, a map, durations and custom value types.
type testConfig struct {
	Name     string            `yaml:"name"`
	Adapters testAdapters      `yaml:"adapters"`
	LLM      testLLM           `yaml:"llm"`
	Brain    testBrain         `yaml:"brain"`
	Store    testStore         `yaml:"store"`
	Links    map[string]string `yaml:"links"`
	Internal string            `yaml:"-"`
}

type testAdapters struct {
	Discord *testDiscord `yaml:"discord"`
	Slack   *testSlack   `yaml:"slack"`
}

type testDiscord struct {
	Token  string   `yaml:"token"`
	Prefix string   `yaml:"prefix"`
	Guilds []string `yaml:"guilds"`
}

type testSlack struct {
	BotToken string `yaml:"bot_token"`
	AppToken string `yaml:"app_token"`
}

type testLLM struct {
	BaseURL     string        `yaml:"base_url"`
	Model       string        `yaml:"model"`
	Timeout     time.Duration `yaml:"timeout"`
	MaxHistory  int           `yaml:"max_history"`
	Temperature float64       `yaml:"temperature"`
	Stream      bool          `yaml:"stream"`
}

type testBrain struct {
	Threshold float64      `yaml:"threshold"`
	Intents   []testIntent `yaml:"intents"`
}

type testIntent struct {
	Tag      string   `yaml:"tag"`
	Patterns []string `yaml:"patterns"`
	Answer   string   `yaml:"answer"`
}

type testStore struct {
	Path      string         `yaml:"path"`
	MaxBytes  uint32         `yaml:"max_bytes"`
	Level     int8           `yaml:"level"`
	Retention *time.Duration `yaml:"retention"`
	Listen    netip.Addr     `yaml:"listen"` // encoding.TextUnmarshaler
	Log       logLevel       `yaml:"log"`    // yaml.Unmarshaler
	Extra     any            `yaml:"extra"`
}

// logLevel implements yaml.Unmarshaler with an error that quotes the value,
// as many real types do.
type logLevel int

func (l *logLevel) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	switch s {
	case "debug":
		*l = -4
	case "info":
		*l = 0
	case "warn":
		*l = 4
	default:
		return fmt.Errorf("unknown log level %q (use debug, info or warn)", s)
	}
	return nil
}

func defaultTestConfig() testConfig {
	return testConfig{
		Name: "docent",
		LLM: testLLM{
			BaseURL:     "http://localhost:11434/v1",
			Model:       "llama3.1",
			Timeout:     30 * time.Second,
			MaxHistory:  20,
			Temperature: 0.2,
		},
		Brain:    testBrain{Threshold: 0.7},
		Store:    testStore{Path: "docent.db", MaxBytes: 1 << 20},
		Adapters: testAdapters{Slack: &testSlack{AppToken: "default"}},
		Links:    map[string]string{"home": "https://example.org"},
		Internal: "kept",
	}
}

func mapEnv(env map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
}

func decodeTest(t *testing.T, src string, env map[string]string) (testConfig, Positions, []string) {
	t.Helper()
	cfg := defaultTestConfig()
	pos, err := Decode("docent.yaml", []byte(src), &cfg, Options{Getenv: mapEnv(env)})
	return cfg, pos, errorLines(t, err)
}

func errorLines(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error is %T, not Errors: %v", err, err)
	}
	if err.Error() != strings.Join(linesOf(errs), "\n") {
		t.Errorf("Errors.Error() = %q, want one error per line", err.Error())
	}
	return linesOf(errs)
}

func linesOf(errs Errors) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		env  map[string]string
		want []string
	}{
		{
			name: "misspelt field with suggestion",
			src:  "llm:\n  modle: mistral\n",
			want: []string{`docent.yaml:2:3: llm: unknown field "modle"; did you mean "model"?`},
		},
		{
			name: "unknown field lists known ones",
			src:  "llm:\n  colour: red\n",
			want: []string{`docent.yaml:2:3: llm: unknown field "colour"; known fields: base_url, model, timeout, max_history, temperature, stream`},
		},
		{
			name: "unknown top-level field",
			src:  "name: x\nbrian:\n  threshold: 1\n",
			want: []string{`docent.yaml:2:1: unknown field "brian"; did you mean "brain"?`},
		},
		{
			name: "ignored field is unknown",
			src:  "internal: x\n",
			want: []string{`docent.yaml:1:1: unknown field "internal"; known fields: name, adapters, llm, brain, store, links`},
		},
		{
			name: "wrong type: number",
			src:  "llm:\n  max_history: fifty\n",
			want: []string{`docent.yaml:2:16: llm.max_history: expected a number, got "fifty"`},
		},
		{
			name: "wrong type: bool",
			src:  "llm:\n  stream: yes please\n",
			want: []string{`docent.yaml:2:11: llm.stream: expected true or false, got "yes please"`},
		},
		{
			name: "wrong type: mapping for list",
			src:  "brain:\n  intents:\n    greet: hi\n",
			want: []string{`docent.yaml:2:3: brain.intents: expected a list, got a mapping`},
		},
		{
			name: "wrong type: list for section",
			src:  "brain:\n  - threshold: 1\n",
			want: []string{`docent.yaml:1:1: brain: expected a section (mapping), got a list`},
		},
		{
			name: "wrong type: list for text",
			src:  "name: [a, b]\n",
			want: []string{`docent.yaml:1:7: name: expected text, got a list`},
		},
		{
			name: "whole file is not a mapping",
			src:  "hello\n",
			want: []string{`docent.yaml:1:1: expected a section (mapping), got "hello"`},
		},
		{
			name: "misspelt field and wrong type, both in file order",
			src:  "llm:\n  modle: mistral\n  max_history: fifty\nstore:\n  path: x\n  level: loud\n",
			want: []string{
				`docent.yaml:2:3: llm: unknown field "modle"; did you mean "model"?`,
				`docent.yaml:3:16: llm.max_history: expected a number, got "fifty"`,
				`docent.yaml:6:10: store.level: expected a number, got "loud"`,
			},
		},
		{
			// Keys written next to << are decoded before merged ones, which
			// here come earlier in the file: the report must still be in
			// file order.
			name: "errors from merged keys are sorted into file order",
			src:  "brain:\n  intents:\n    - <<: {tag: x, answr: y}\n      patterns: 5\n",
			want: []string{
				`docent.yaml:3:20: brain.intents[0]: unknown field "answr"; did you mean "answer"?`,
				`docent.yaml:4:17: brain.intents[0].patterns: expected a list, got "5"`,
			},
		},
		{
			name: "integer too large",
			src:  "store:\n  level: 300\n",
			want: []string{`docent.yaml:2:10: store.level: "300" is too large (at most 127)`},
		},
		{
			name: "integer too small",
			src:  "store:\n  level: -129\n",
			want: []string{`docent.yaml:2:10: store.level: "-129" is too small (at least -128)`},
		},
		{
			name: "negative into unsigned",
			src:  "store:\n  max_bytes: -1\n",
			want: []string{`docent.yaml:2:14: store.max_bytes: "-1" is negative; expected 0 or more`},
		},
		{
			name: "fraction into integer",
			src:  "llm:\n  max_history: 2.5\n",
			want: []string{`docent.yaml:2:16: llm.max_history: expected a whole number, got "2.5"`},
		},
		{
			name: "bad duration",
			src:  "llm:\n  timeout: 30 seconds\n",
			want: []string{`docent.yaml:2:12: llm.timeout: "30 seconds" is not a duration; write e.g. 30s, 1m30s, 2h`},
		},
		{
			name: "bare number is not a duration",
			src:  "llm:\n  timeout: 30\n",
			want: []string{`docent.yaml:2:12: llm.timeout: "30" is not a duration; write e.g. 30s, 1m30s, 2h`},
		},
		{
			name: "bad duration behind a pointer",
			src:  "store:\n  retention: 1 week\n",
			want: []string{`docent.yaml:2:14: store.retention: "1 week" is not a duration; write e.g. 30s, 1m30s, 2h`},
		},
		{
			name: "nested path",
			src:  "adapters:\n  discord:\n    token: [a, b]\n",
			want: []string{`docent.yaml:3:12: adapters.discord.token: expected text, got a list`},
		},
		{
			name: "slice element path",
			src: "brain:\n  intents:\n    - tag: greet\n    - tag: bye\n" +
				"      patterns: bye\n    - hello\n",
			want: []string{
				`docent.yaml:5:17: brain.intents[1].patterns: expected a list, got "bye"`,
				`docent.yaml:6:7: brain.intents[2]: expected a section (mapping), got "hello"`,
			},
		},
		{
			name: "map value path",
			src:  "links:\n  docs: [1]\n  \"a.b\": {x: 1}\n",
			want: []string{
				`docent.yaml:2:9: links.docs: expected text, got a list`,
				`docent.yaml:3:10: links["a.b"]: expected text, got a mapping`,
			},
		},
		{
			name: "duplicate key",
			src:  "llm:\n  model: a\n  timeout: 1s\n  model: b\n",
			want: []string{`docent.yaml:4:3: llm: duplicate key "model" (first written at line 2)`},
		},
		{
			name: "duplicate map key",
			src:  "links:\n  docs: a\n  docs: b\n",
			want: []string{`docent.yaml:3:3: links: duplicate key "docs" (first written at line 2)`},
		},
		{
			name: "syntax error on a later line",
			src:  "llm:\n  model: a\n timeout: 3s\n",
			want: []string{`docent.yaml:3: invalid YAML: did not find expected key`},
		},
		{
			name: "syntax error on line 1",
			src:  "llm: model: a\n",
			want: []string{`docent.yaml:1: invalid YAML: mapping values are not allowed in this context`},
		},
		{
			name: "syntax error in a flow list names its start",
			src:  "llm:\n  model: [a\nbrain: {}\n",
			want: []string{`docent.yaml:2: invalid YAML: did not find expected ',' or ']'`},
		},
		{
			name: "control character",
			src:  "llm:\n  model: a\x01b\n",
			want: []string{`docent.yaml:2:11: invalid YAML: control characters are not allowed`},
		},
		{
			name: "UTF-16",
			src:  "\xfe\xff\x00n\x00a\x00m\x00e\x00:\x00 \x00a\x00\n",
			want: []string{`docent.yaml:1: the file is UTF-16 (it starts with a byte order mark); save it as UTF-8`},
		},
		{
			name: "unknown alias",
			src:  "llm:\n  model: *nope\n",
			want: []string{`docent.yaml:2:10: invalid YAML: alias *nope refers to no anchor &nope written before it`},
		},
		{
			name: "two documents",
			src:  "name: a\n---\nname: b\n",
			want: []string{`docent.yaml:2:1: the file holds a second YAML document (a line with --- starts a new one); put the whole config in one document`},
		},
		{
			name: "env unset",
			src:  "adapters:\n  discord:\n    token: ${DISCORD_TOKEN}\n",
			want: []string{`docent.yaml:3:12: adapters.discord.token: environment variable DISCORD_TOKEN is not set`},
		},
		{
			name: "env: every missing variable of a value",
			src:  "llm:\n  base_url: http://${HOST}:${PORT}/${VERSION}\n",
			env:  map[string]string{"VERSION": "v1"},
			want: []string{
				`docent.yaml:2:13: llm.base_url: environment variable HOST is not set`,
				`docent.yaml:2:13: llm.base_url: environment variable PORT is not set`,
			},
		},
		{
			name: "env unterminated",
			src:  "name: ${NAME\n",
			want: []string{`docent.yaml:1:7: name: unterminated "${": add the closing "}" (write $$ for a literal $)`},
		},
		{
			name: "env bad name",
			src:  "name: ${NAME-x}\n",
			want: []string{`docent.yaml:1:7: name: invalid environment variable name "NAME-x" in ${NAME-x}: use letters, digits and _ (and ${NAME:-default} for a default)`},
		},
		{
			name: "env value that is not a number does not show the value",
			src:  "llm:\n  max_history: ${HISTORY}\n  timeout: ${TIMEOUT}\n  stream: ${STREAM}\nstore:\n  level: ${LEVEL}\n",
			env:  map[string]string{"HISTORY": "s3cret-a", "TIMEOUT": "s3cret-b", "STREAM": "s3cret-c", "LEVEL": "999"},
			want: []string{
				`docent.yaml:2:16: llm.max_history: value from ${HISTORY} is not a number`,
				`docent.yaml:3:12: llm.timeout: value from ${TIMEOUT} is not a duration; write e.g. 30s, 1m30s, 2h`,
				`docent.yaml:4:11: llm.stream: value from ${STREAM} is not true or false`,
				`docent.yaml:6:10: store.level: value from ${LEVEL} is too large (at most 127)`,
			},
		},
		{
			name: "env value rejected by a custom type does not show the value",
			src:  "store:\n  listen: ${LISTEN}\n  log: ${LOG}\n",
			env:  map[string]string{"LISTEN": "s3cret-d", "LOG": "s3cret-e"},
			want: []string{
				`docent.yaml:2:11: store.listen: value from ${LISTEN} is not valid here (details hidden, as they could show the value)`,
				`docent.yaml:3:8: store.log: value from ${LOG} is not valid here (details hidden, as they could show the value)`,
			},
		},
		{
			name: "env value mixed with text does not show the value",
			src:  "llm:\n  max_history: 1${N}\n",
			env:  map[string]string{"N": "x"},
			want: []string{`docent.yaml:2:16: llm.max_history: value from ${N} is not a number`},
		},
		{
			name: "custom types report their own errors for written values",
			src:  "store:\n  listen: not-an-ip\n  log: loud\n",
			want: []string{
				`docent.yaml:2:11: store.listen: ParseAddr("not-an-ip"): unable to parse IP`,
				`docent.yaml:3:8: store.log: unknown log level "loud" (use debug, info or warn)`,
			},
		},
		{
			name: "alias used inside its own anchor",
			src:  "brain:\n  intents: &a\n    - tag: x\n      patterns: *a\n",
			want: []string{`docent.yaml:4:17: brain.intents[0].patterns: alias *a is used inside its own anchor &a, so the value would contain itself`},
		},
		{
			name: "merge of a mapping into itself",
			src:  "llm: &a\n  <<: *a\n",
			want: []string{`docent.yaml:1:6: llm: << merges a mapping into itself`},
		},
		{
			name: "merge of a scalar",
			src:  "llm:\n  <<: plain\n",
			want: []string{`docent.yaml:2:7: llm: << (merge) needs a mapping, an alias to one, or a list of them`},
		},
		{
			name: "billion laughs",
			src: "a: &a [x, x, x, x, x, x, x, x, x, x]\n" +
				"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" +
				"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
				"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n" +
				"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n" +
				"store:\n  extra: *e\n",
			want: []string{
				`docent.yaml:1:1: unknown field "a"; known fields: name, adapters, llm, brain, store, links`,
				`docent.yaml:2:1: unknown field "b"; known fields: name, adapters, llm, brain, store, links`,
				`docent.yaml:3:1: unknown field "c"; known fields: name, adapters, llm, brain, store, links`,
				`docent.yaml:4:1: unknown field "d"; known fields: name, adapters, llm, brain, store, links`,
				`docent.yaml:5:1: unknown field "e"; known fields: name, adapters, llm, brain, store, links`,
				`docent.yaml:7:10: store.extra: aliases (*name) here expand to far more data than the file holds; nest fewer aliases`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, got := decodeTest(t, tt.src, tt.env)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for _, line := range got {
				if strings.Contains(line, "s3cret") {
					t.Errorf("error shows an environment value: %s", line)
				}
			}
		})
	}
}

func TestDecodeValues(t *testing.T) {
	week := 7 * 24 * time.Hour
	tests := []struct {
		name  string
		src   string
		env   map[string]string
		check func(t *testing.T, cfg testConfig)
	}{
		{
			name: "empty file keeps every default",
			src:  "",
			check: func(t *testing.T, cfg testConfig) {
				if want := defaultTestConfig(); !reflect.DeepEqual(cfg, want) {
					t.Errorf("got %+v, want defaults %+v", cfg, want)
				}
			},
		},
		{
			name: "comments only and a lone --- keep every default",
			src:  "# nothing yet\n---\n# still nothing\n",
			check: func(t *testing.T, cfg testConfig) {
				if want := defaultTestConfig(); !reflect.DeepEqual(cfg, want) {
					t.Errorf("got %+v, want defaults %+v", cfg, want)
				}
			},
		},
		{
			name: "a trailing --- with nothing after it is not a second document",
			src:  "name: helper\n---\n",
			check: func(t *testing.T, cfg testConfig) {
				if cfg.Name != "helper" {
					t.Errorf("name = %q, want helper", cfg.Name)
				}
			},
		},
		{
			name: "absent fields keep their defaults",
			src:  "llm:\n  model: mistral\nbrain:\n",
			check: func(t *testing.T, cfg testConfig) {
				want := defaultTestConfig()
				want.LLM.Model = "mistral"
				if !reflect.DeepEqual(cfg, want) {
					t.Errorf("got %+v, want %+v", cfg, want)
				}
			},
		},
		{
			name: "all kinds of values",
			src: `name: helper
adapters:
  discord:
    token: abc
    guilds: [g1, g2]
llm:
  timeout: 1m30s
  max_history: 1_000
  temperature: 0.5
  stream: true
brain:
  threshold: .9
  intents:
    - tag: greet
      patterns: [hi, hello]
      answer: Hello!
store:
  max_bytes: 0x10
  level: 010
  retention: 168h
  listen: 127.0.0.1
  log: debug
  extra: {a: [1, two]}
links:
  docs: https://docs.example.org
`,
			check: func(t *testing.T, cfg testConfig) {
				want := defaultTestConfig()
				want.Name = "helper"
				want.Adapters.Discord = &testDiscord{Token: "abc", Guilds: []string{"g1", "g2"}}
				want.LLM.Timeout = 90 * time.Second
				want.LLM.MaxHistory = 1000
				want.LLM.Temperature = 0.5
				want.LLM.Stream = true
				want.Brain = testBrain{Threshold: 0.9, Intents: []testIntent{{Tag: "greet", Patterns: []string{"hi", "hello"}, Answer: "Hello!"}}}
				want.Store.MaxBytes = 16
				want.Store.Level = 10 // not octal
				want.Store.Retention = &week
				want.Store.Listen = netip.MustParseAddr("127.0.0.1")
				want.Store.Log = -4
				want.Store.Extra = map[string]any{"a": []any{1, "two"}}
				want.Links = map[string]string{"docs": "https://docs.example.org"} // replaced, not merged
				if !reflect.DeepEqual(cfg, want) {
					t.Errorf("got\n%+v\nwant\n%+v", cfg, want)
				}
			},
		},
		{
			name: "duration 0 and yes/no booleans",
			src:  "llm:\n  timeout: 0\n  stream: yes\n",
			check: func(t *testing.T, cfg testConfig) {
				if cfg.LLM.Timeout != 0 || !cfg.LLM.Stream {
					t.Errorf("timeout %v stream %v, want 0 true", cfg.LLM.Timeout, cfg.LLM.Stream)
				}
			},
		},
		{
			name: "empty values: section keeps defaults, value and map become empty, pointer unset",
			src:  "llm:\nname:\nlinks:\nadapters:\n  slack: ~\n",
			check: func(t *testing.T, cfg testConfig) {
				want := defaultTestConfig()
				want.Name = ""
				want.Links = map[string]string{}
				want.Adapters.Slack = nil
				if !reflect.DeepEqual(cfg, want) {
					t.Errorf("got %+v, want %+v", cfg, want)
				}
			},
		},
		{
			name: "env set, default, $$ and a lone $",
			src: "adapters:\n  discord:\n    token: ${DISCORD_TOKEN}\n    prefix: $$ask $x\n" +
				"llm:\n  model: ${MODEL:-llama3.2}\n  base_url: ${URL:-http://x}\n  max_history: ${HISTORY}\n" +
				"  timeout: ${TIMEOUT}\n" +
				"links:\n  ${KEY}: ${EMPTY}\n",
			env: map[string]string{"DISCORD_TOKEN": "tok-123", "URL": "", "HISTORY": "42", "TIMEOUT": "2m", "KEY": "no", "EMPTY": ""},
			check: func(t *testing.T, cfg testConfig) {
				d := cfg.Adapters.Discord
				if d == nil || d.Token != "tok-123" || d.Prefix != "$ask $x" {
					t.Errorf("discord = %+v, want token tok-123 and prefix %q", d, "$ask $x")
				}
				if cfg.LLM.Model != "llama3.2" || cfg.LLM.BaseURL != "http://x" {
					t.Errorf("model %q base_url %q, want the defaults from ${...:-...}", cfg.LLM.Model, cfg.LLM.BaseURL)
				}
				if cfg.LLM.MaxHistory != 42 || cfg.LLM.Timeout != 2*time.Minute {
					t.Errorf("max_history %d timeout %v, want 42 2m", cfg.LLM.MaxHistory, cfg.LLM.Timeout)
				}
				if want := map[string]string{"${KEY}": ""}; !reflect.DeepEqual(cfg.Links, want) {
					t.Errorf("links = %v, want %v (keys are never expanded)", cfg.Links, want)
				}
			},
		},
		{
			name: "env in a custom type's value",
			src:  "store:\n  extra:\n    port: ${PORT}\n    name: '${PORT}'\n  log: ${LOG}\n",
			env:  map[string]string{"PORT": "8080", "LOG": "warn"},
			check: func(t *testing.T, cfg testConfig) {
				// Plain ${PORT} is resolved again after expansion; quoted stays text.
				if want := map[string]any{"port": 8080, "name": "8080"}; !reflect.DeepEqual(cfg.Store.Extra, want) {
					t.Errorf("extra = %#v, want %#v", cfg.Store.Extra, want)
				}
				if cfg.Store.Log != 4 {
					t.Errorf("log = %d, want 4", cfg.Store.Log)
				}
			},
		},
		{
			name: "anchors and merge keys",
			src: `adapters:
  discord: &common
    token: shared
    prefix: "!"
  slack: {bot_token: b}
brain:
  intents:
    - &greet {tag: greet, answer: hi}
    - <<: *greet
      tag: hello
    - <<: [{tag: first}, {tag: second, answer: second}]
`,
			check: func(t *testing.T, cfg testConfig) {
				want := []testIntent{
					{Tag: "greet", Answer: "hi"},
					{Tag: "hello", Answer: "hi"},     // written key wins over merged
					{Tag: "first", Answer: "second"}, // first merged mapping wins
				}
				if !reflect.DeepEqual(cfg.Brain.Intents, want) {
					t.Errorf("intents = %+v, want %+v", cfg.Brain.Intents, want)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, errs := decodeTest(t, tt.src, tt.env)
			if errs != nil {
				t.Fatalf("unexpected errors:\n%s", strings.Join(errs, "\n"))
			}
			tt.check(t, cfg)
		})
	}
}

// A pointer default must not be written through: it may be shared.
func TestDecodeDoesNotWriteThroughDefaultPointers(t *testing.T) {
	shared := &testDiscord{Token: "default", Prefix: "!"}
	cfg := defaultTestConfig()
	cfg.Adapters.Discord = shared
	if _, err := Decode("docent.yaml", []byte("adapters:\n  discord:\n    token: mine\n"), &cfg, Options{Getenv: mapEnv(nil)}); err != nil {
		t.Fatal(err)
	}
	if shared.Token != "default" {
		t.Errorf("shared default changed to %q", shared.Token)
	}
	if got := *cfg.Adapters.Discord; got.Token != "mine" || got.Prefix != "!" {
		t.Errorf("discord = %+v, want token mine and the default prefix", got)
	}
}

func TestPositions(t *testing.T) {
	src := "llm:\n  model: mistral\n  timeout: 5s\nbrain:\n  intents:\n    - tag: a\n    - tag: b\nlinks:\n  docs: https://x\n"
	_, pos, errs := decodeTest(t, src, nil)
	if errs != nil {
		t.Fatalf("unexpected errors: %v", errs)
	}
	at := func(line, col int) Pos { return Pos{File: "docent.yaml", Line: line, Column: col} }
	for path, want := range map[string]Pos{
		"":                     at(1, 1),
		"llm":                  at(1, 1),
		"llm.model":            at(2, 10),
		"llm.timeout":          at(3, 12),
		"brain.intents":        at(5, 3),
		"brain.intents[1]":     at(7, 7),
		"brain.intents[1].tag": at(7, 12),
		"links.docs":           at(9, 9),
	} {
		if got, ok := pos[path]; !ok || got != want {
			t.Errorf("pos[%q] = %v, %v; want %v", path, got, ok, want)
		}
	}
	if !pos.Has("llm.model") || pos.Has("llm.base_url") || pos.Has("store") {
		t.Errorf("Has: llm.model %v, llm.base_url %v, store %v; want true false false",
			pos.Has("llm.model"), pos.Has("llm.base_url"), pos.Has("store"))
	}

	for _, tt := range []struct{ path, want string }{
		{"llm.model", "docent.yaml:2:10: llm.model: mistral is not installed"},
		{"llm.base_url", "docent.yaml:1:1: llm.base_url: mistral is not installed"},                       // falls back to llm
		{"brain.intents[1].answer", "docent.yaml:7:7: brain.intents[1].answer: mistral is not installed"}, // to the element
		{"store.path", "docent.yaml:1:1: store.path: mistral is not installed"},                           // to the root
	} {
		if got := pos.Errorf(tt.path, "%s is not installed", "mistral").Error(); got != tt.want {
			t.Errorf("Errorf(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}

	_, empty, _ := decodeTest(t, "", nil)
	if got, want := empty.Errorf("store.path", "missing").Error(), "docent.yaml: store.path: missing"; got != want {
		t.Errorf("Errorf on an empty file = %q, want %q", got, want)
	}
}

func TestParentPath(t *testing.T) {
	for path, want := range map[string]string{
		"":                 "",
		"a":                "",
		"a.b":              "a",
		"a.b[2]":           "a.b",
		"a[2].c":           "a[2]",
		`links["a.b"]`:     "links",
		`links["x\"].y["]`: "links",
		`links["a.b"].c`:   `links["a.b"]`,
		`broken["unclosed`: "broken",
	} {
		if got := parentPath(path); got != want {
			t.Errorf("parentPath(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestErrorsFormat(t *testing.T) {
	errs := Errors{
		{Pos: Pos{File: "b.yaml", Line: 2, Column: 3}, Path: "llm.model", Msg: "second"},
		{Pos: Pos{File: "b.yaml", Line: 1}, Msg: "first"},
		{Pos: Pos{File: "b.yaml"}, Path: "x", Msg: "whole file"},
		{Path: "y", Msg: "no file"},
	}
	err := errs.Err()
	want := strings.Join([]string{"y: no file", "b.yaml: x: whole file", "b.yaml:1: first", "b.yaml:2:3: llm.model: second"}, "\n")
	if err.Error() != want {
		t.Errorf("Err().Error() =\n%s\nwant\n%s", err, want)
	}
	if errs[0].Msg != "second" {
		t.Error("Err sorted the receiver instead of a copy")
	}
	var target *Error
	if !errors.As(err, &target) || target.Msg != "no file" {
		t.Errorf("errors.As found %v, want the first error", target)
	}
	if Errors(nil).Err() != nil {
		t.Error("Err of no errors is not nil")
	}
}

func TestDecodeRejectsNonStruct(t *testing.T) {
	var s string
	if _, err := Decode("x.yaml", nil, &s, Options{}); err == nil {
		t.Error("Decode into *string: no error")
	}
	if _, err := Decode("x.yaml", nil, testConfig{}, Options{}); err == nil {
		t.Error("Decode into a struct value: no error")
	}
}

func TestProgrammerErrorsAreReported(t *testing.T) {
	type bad struct {
		A int `yaml:"x"`
		B int `yaml:"x"`
	}
	type holder struct {
		Bad bad          `yaml:"bad"`
		Ch  chan int     `yaml:"ch"`
		M   map[int]bool `yaml:"m"`
	}
	var h holder
	_, err := Decode("x.yaml", []byte("bad: {x: 1}\nch: 1\nm: {}\n"), &h, Options{})
	got := errorLines(t, err)
	want := []string{
		`x.yaml:1:6: bad: cannot decode into Go type config.bad: two fields are named "x" (a bug in the program, not in the config)`,
		`x.yaml:2:5: ch: cannot decode into Go type chan int (a bug in the program, not in the config)`,
		`x.yaml:3:4: m: cannot decode into Go type map[int]bool (a bug in the program, not in the config)`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestInline(t *testing.T) {
	type common struct {
		Name string `yaml:"name"`
	}
	type plugin struct {
		common  `yaml:",inline"`
		Enabled bool           `yaml:"enabled"`
		Options map[string]int `yaml:",inline"`
	}
	var p plugin
	if _, err := Decode("p.yaml", []byte("name: x\nenabled: true\nlimit: 3\n"), &p, Options{}); err != nil {
		t.Fatal(err)
	}
	if p.Name != "x" || !p.Enabled || p.Options["limit"] != 3 {
		t.Errorf("got %+v", p)
	}
}

func TestRawNode(t *testing.T) {
	var c struct {
		Plugin yaml.Node `yaml:"plugin"`
	}
	src := "plugin:\n  limit: ${LIMIT}\n  name: x\n"
	if _, err := Decode("p.yaml", []byte(src), &c, Options{Getenv: mapEnv(map[string]string{"LIMIT": "3"})}); err != nil {
		t.Fatal(err)
	}
	var opts struct {
		Limit int    `yaml:"limit"`
		Name  string `yaml:"name"`
	}
	if err := c.Plugin.Decode(&opts); err != nil {
		t.Fatal(err)
	}
	if opts.Limit != 3 || opts.Name != "x" || c.Plugin.Line != 2 {
		t.Errorf("got %+v at line %d, want limit 3, name x at line 2", opts, c.Plugin.Line)
	}
}

func TestClosest(t *testing.T) {
	known := []string{"model", "base_url", "timeout", "max_history", "url"}
	for name, want := range map[string]string{
		"modle":      "model",
		"Model":      "model",
		"baseurl":    "base_url",
		"base-url":   "base_url",
		"timout":     "timeout",
		"maxhistory": "max_history",
		"ulr":        "url",
		"colour":     "",
		"xy":         "",
	} {
		if got := Closest(name, known); got != want {
			t.Errorf("Closest(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestNoEnv(t *testing.T) {
	var dst struct {
		Text string `yaml:"text"`
	}
	_, err := Decode("f.yaml", []byte("text: echo ${HOME} $$ ${NOPE}\n"), &dst, Options{NoEnv: true,
		Getenv: func(string) (string, bool) { t.Fatal("Getenv called with NoEnv"); return "", false }})
	if err != nil || dst.Text != "echo ${HOME} $$ ${NOPE}" {
		t.Fatalf("NoEnv: %q, %v; want the text as written", dst.Text, err)
	}
}

// A value placed at a path where the struct has no field (a feature
// module's section inside one of the core's) is decoded there as strictly
// as a field, with its positions; a misspelt name is suggested among the
// struct's fields and the placed ones.
func TestPlaced(t *testing.T) {
	type budget struct {
		DailyTokens int `yaml:"daily_tokens"`
		Members     int `yaml:"members"`
	}
	var c struct {
		LLM struct {
			Model string `yaml:"model"`
		} `yaml:"llm"`
	}
	b := budget{Members: 5}
	src := "llm:\n  model: m\n  budget:\n    daily_tokens: 100\n"
	pos, err := Decode("p.yaml", []byte(src), &c, Options{Placed: map[string]any{"llm.budget": &b}})
	if err != nil {
		t.Fatal(err)
	}
	if c.LLM.Model != "m" || b != (budget{DailyTokens: 100, Members: 5}) {
		t.Errorf("decoded %+v and %+v", c, b)
	}
	if at := pos.At("llm.budget.daily_tokens"); at.Line != 4 || at.Column != 19 {
		t.Errorf("llm.budget.daily_tokens at %+v, want line 4, column 19", at)
	}

	for src, want := range map[string]string{
		"llm:\n  budget:\n    daily_tokns: 1\n":  `p.yaml:3:5: llm.budget: unknown field "daily_tokns"; did you mean "daily_tokens"?`,
		"llm:\n  budgte:\n    daily_tokens: 1\n": `p.yaml:2:3: llm: unknown field "budgte"; did you mean "budget"?`,
		"llm:\n  budget:\n    daily_tokens: x\n": `p.yaml:3:19: llm.budget.daily_tokens:`,
		"llm:\n  cost: 1\n":                      `known fields: model, budget`,
	} {
		_, err := Decode("p.yaml", []byte(src), &c, Options{Placed: map[string]any{"llm.budget": &budget{}}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", src, err, want)
		}
	}
	if _, err := Decode("p.yaml", []byte(src), &c, Options{Placed: map[string]any{"llm.budget": budget{}}}); err == nil {
		t.Error("a placed value that is not a pointer to a struct: no error")
	}
}
