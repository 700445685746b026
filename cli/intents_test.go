package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An admin teaches at the console, exports, and runs a fresh Docent on the
// exported files alone: it answers as taught.
func TestIntentsExport(t *testing.T) {
	dir := workdir(t)
	q := "how do I rotate the signing keys"
	teach := "!teach new key_rotation Rotate them with `docent keys rotate`.\n!teach key_rotation " + q + "\n!teach greeting yo docent\n"
	if r := docent(t, dir, teach, "--json"); r.code != 0 {
		t.Fatalf("teaching: exit %d\n%s", r.code, r.stderr)
	}

	r := docent(t, dir, "", "intents", "export")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "# The intents that lessons taught in chat changed") ||
		!strings.Contains(r.stdout, "  # in intents/smalltalk.yaml; patterns taught in chat: lessons #3\n  - name: greeting\n") ||
		!strings.Contains(r.stdout, "  # created in chat: lessons #1, #2\n  - name: key_rotation\n") ||
		!strings.Contains(r.stdout, "docent lessons rm 1 2 3") || strings.Contains(r.stdout, "name: report_bug") {
		t.Fatalf("export to stdout: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	r = docent(t, dir, "", "intents", "export", "--out", "exported")
	if r.code != 0 || !strings.Contains(r.stdout, "wrote exported/taught-in-chat.yaml: 1 intent created in chat, 1 changed in chat\n") ||
		!strings.Contains(r.stdout, "wrote exported/smalltalk.yaml: 8 intents from intents/smalltalk.yaml, 1 changed in chat\n") {
		t.Fatalf("export --out: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"intents", "export", "--out", "exported"}, 1, "already exist; nothing written (--force overwrites them"},
		{[]string{"intents", "export", "--force"}, 2, "--force only applies with --out DIR"},
		{[]string{"intents", "export", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"intents"}, 2, "docent intents: unknown or missing subcommand"},
	} {
		r := docent(t, dir, "", tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, r.code, r.stderr, tc.code, tc.stderr)
		}
	}
	if r := docent(t, dir, "", "intents", "export", "--out", "exported", "--force"); r.code != 0 {
		t.Errorf("--force: exit %d %s", r.code, r.stderr)
	}

	// A fresh database and the exported intents only.
	cfg, _ := os.ReadFile(filepath.Join(dir, "config.example.yaml"))
	fresh := strings.Replace(strings.Replace(string(cfg), "    - intents\n", "    - exported\n", 1), "path: data/docent.db", "path: data/fresh.db", 1)
	if fresh == string(cfg) || !strings.Contains(fresh, "    - exported\n") || !strings.Contains(fresh, "data/fresh.db") {
		t.Fatal("could not point the example config at the export")
	}
	os.WriteFile(filepath.Join(dir, "fresh.yaml"), []byte(fresh), 0o644)
	if r := docent(t, dir, "", "config", "check", "fresh.yaml"); r.code != 0 || r.stdout != "ok\n" {
		t.Fatalf("config check on the export: %d %s", r.code, r.stdout)
	}
	r = docent(t, dir, q+"\nyo docent\n", "--config", "fresh.yaml", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"intent":"key_rotation"`) || !strings.Contains(r.stdout, `"intent":"greeting"`) {
		t.Errorf("Docent on the export: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
