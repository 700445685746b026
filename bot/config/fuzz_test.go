package config

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// fuzzSecret is what every environment variable holds in FuzzDecode, so the
// fuzzer can check that no message ever shows a variable's value.
const fuzzSecret = "Zq7-SECRET-Wx3"

func fuzzEnv(name string) (string, bool) {
	switch name {
	case "UNSET":
		return "", false
	case "EMPTY":
		return "", true
	}
	return fuzzSecret, true
}

func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		"",
		"---\n",
		"name: x\n",
		"llm:\n  modle: m\n  max_history: fifty\n  timeout: 30 seconds\n",
		"llm: {model: ${MODEL:-x}, timeout: ${T}, max_history: ${UNSET}}\n",
		"adapters:\n  discord:\n    token: ${TOKEN}\n    guilds: [a, $$b, ${EMPTY}]\n  slack: ~\n",
		"brain:\n  threshold: .5\n  intents:\n    - &i {tag: a, patterns: [x]}\n    - <<: *i\n      tag: b\n    - <<: [*i, {answer: c}]\n",
		"store:\n  max_bytes: -1\n  level: 0x7f\n  retention: 1h\n  listen: ${IP}\n  log: ${LOG}\n  extra: {a: [1, *x]}\n",
		"links:\n  docs: a\n  docs: b\n  \"a.b\": [1]\n",
		"a: &a [*a]\nstore: {extra: *a}\n",
		"x: &x {<<: *x}\nllm: *x\n",
		"a: b: c\n",
		"name: \"\\x01\"\n---\nname: y\n",
		"llm:\n  max_history: 1e400\n  temperature: .inf\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := defaultTestConfig()
		pos, err := Decode("fuzz.yaml", data, &cfg, Options{Getenv: fuzzEnv})
		if p, ok := pos[""]; !ok || p.File != "fuzz.yaml" {
			t.Errorf(`Positions[""] = %v, %v; want an entry for the file`, p, ok)
		}
		for path, p := range pos {
			if p.File != "fuzz.yaml" || p.Line < 0 || p.Column < 0 {
				t.Errorf("Positions[%q] = %+v", path, p)
			}
			if got := pos.At(path + ".child"); !pos.Has(path+".child") && got != p {
				t.Errorf("At(%q.child) = %v, want the parent's %v", path, got, p)
			}
		}
		if err == nil {
			return
		}
		var errs Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("error %T is not a non-empty Errors: %v", err, err)
		}
		lines := 1 // YAML breaks lines at \r too, and at NEL, LS and PS
		for _, sep := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
			lines += strings.Count(string(data), sep)
		}
		for _, e := range errs {
			if e.Msg == "" || e.Pos.File != "fuzz.yaml" || e.Pos.Line < 0 || e.Pos.Line > lines {
				t.Errorf("bad error %+v (file has %d lines)", e, lines)
			}
			if strings.Contains(e.Msg, "internal error") {
				t.Errorf("panic inside Decode: %v", e)
			}
		}
		if !bytes.Contains(data, []byte(fuzzSecret)) && strings.Contains(err.Error(), fuzzSecret) {
			t.Errorf("an error shows an environment value:\n%v", err)
		}
	})
}
