package brain

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Response templates whose cost their data does not bound are refused
// when the intents are loaded, naming the intent, its file and line and
// the construct; the ordinary ones still work.
func TestResponseTemplatesAreBounded(t *testing.T) {
	for _, tc := range []struct{ response, want string }{
		{"{{range 3000000000}}{{end}}", "line 1:8: {{range 3000000000}}: a response may range only over a field"},
		{"hi\n{{range $i := 3000000000}}x{{end}}", "line 2:8: {{range $i := 3000000000}}"},
		{"{{$n := 3000000000}}{{range $n}}{{end}}", "line 1:28: {{range $n}}: a response may range only over a field"},
		{`{{range len (printf "%s" .Member)}}{{end}}`, "a response may range only over a field"},
		{"{{range .Links}}{{range $.Links}}{{range $.Links}}{{end}}{{end}}{{end}}", "range inside range inside range"},
		{`{{define "a"}}{{template "a" .}}{{end}}{{template "a" .}}`, "response 1: defines templates"},
		{`{{template "a"}}`, `{{template "a"}}: a response cannot call templates`},
		{`{{$s := "a"}}{{range .Links}}{{$s = print $s $s}}{{end}}`, "cannot assign to a variable"},
		{`{{printf "%0999999999d" 1}}`, "printf with a width or precision"},
		{`{{printf "%.999999999s" .Member}}`, "printf with a width or precision"},
		{`{{printf .Member 1}}`, "printf's format must be written out"},
		{`{{call .Member}}`, "the function call is not allowed"},
	} {
		in := testIntents()
		in[0].Responses = []string{tc.response}
		in[0].Where = "intents/greet.yaml:7"
		_, err := New(testConfig(), in, nil)
		where := `intents/greet.yaml:7: intent "greeting": response 1: `
		if err == nil || !strings.Contains(err.Error(), where) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v\nwant it to contain %q and %q", tc.response, err, where, tc.want)
		}
	}
	for _, ok := range []string{
		"Hello {{.Member}}, see <{{.Links.docs}}> or ask in {{.Channel}}.",
		"{{range $name, $link := .Links}}{{$name}}: {{$link}}\n{{end}}",
		"{{range .Links}}{{range $.Links}}.{{end}}{{end}}",
		`{{if .Links.issues}}{{printf "%s at %q, 100%%" .Bot .Links.issues}}{{else}}none{{end}}`,
		"{{with .Member}}{{. | html}}{{end}} {{len .Links}} {{index .Links \"docs\"}} {{slice .Member 0 1}}",
		"{{`{{literal}}`}}{{\"`\"}} kept", // what !promote writes
	} {
		in := testIntents()
		in[0].Responses = []string{ok}
		if _, err := New(testConfig(), in, nil); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// A template that would write megabytes stops at maxResponseBytes with
// an error that says so, however its size was reached.
func TestRenderIsCut(t *testing.T) {
	links := map[string]string{}
	for i := range 1000 {
		links[fmt.Sprint("l", i)] = "https://example.org/"
	}
	tpl, err := parseResponse("big", "{{range .Links}}"+strings.Repeat("x", 10<<10)+"{{end}}") // 10 MB
	if err != nil {
		t.Fatal(err)
	}
	out, err := render(tpl, templateData{Links: links})
	if !errors.Is(err, errResponseTooLong) || out != "" {
		t.Fatalf("render = %d bytes, %v; want nothing and errResponseTooLong", len(out), err)
	}
	in := testIntents()
	in[0].Responses = []string{"{{range .Links}}" + strings.Repeat("x", 10<<10) + "{{end}}"}
	cfg := testConfig()
	cfg.Links = links
	if _, err := New(cfg, in, nil); err == nil || !strings.Contains(err.Error(), `intent "greeting": response 1: it writes more than 64 KB`) {
		t.Errorf("New: %v, want the response refused for its size", err)
	}
	// Just within the bound is whole.
	tpl, _ = parseResponse("fits", strings.Repeat("y", maxResponseBytes))
	if out, err := render(tpl, templateData{}); err != nil || len(out) != maxResponseBytes {
		t.Errorf("render of %d bytes: %d bytes, %v", maxResponseBytes, len(out), err)
	}
}

func TestIntentLinksUsed(t *testing.T) {
	in := Intent{
		Responses: []string{
			"Open an issue at <{{.Links.issues}}>, {{.Member}}.",
			"{{if .Links.security}}See {{$.Links.security}}{{end}}",
			// Inside with, the dot is the links: not seen here; New still says
			// when .docs is missing.
			"{{with .Links}}{{.docs}}{{end}}",
			"{{.Links.issues}} and {{printf \"%s\" .Links.help_channel}}",
			"{{.Links.broken", // does not parse: New reports it
		},
		ResponsesByLanguage: map[string][]string{"zh": {"请在 <{{.Links.changelog}}> 看"}},
	}
	got := in.LinksUsed()
	want := []string{"changelog", "help_channel", "issues", "security"}
	if !slices.Equal(got, want) {
		t.Errorf("LinksUsed() = %v, want %v", got, want)
	}
}
