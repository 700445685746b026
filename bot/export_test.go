package bot

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/brain"
	"github.com/docent-bot/docent/chat"
)

// comparable strips what differs between an intent and its exported copy
// (where it was read) and sorts by name.
func comparable(intents []brain.Intent) []brain.Intent {
	out := make([]brain.Intent, len(intents))
	for i, in := range intents {
		in.Where = ""
		if len(in.ResponsesByLanguage) == 0 {
			in.ResponsesByLanguage = nil
		}
		out[i] = in
	}
	slices.SortFunc(out, func(a, b brain.Intent) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// exportConfig writes a config beside path's whose intents are at intents.
func exportConfig(t *testing.T, intents string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "docent.yaml")
	write(t, path, "links:\n  issues: https://example.org/issues\n  docs: https://example.org/docs\nstore:\n  path: fresh.db\nbrain:\n  intents: ["+intents+"]\n")
	return path
}

// What admins taught in chat is exported as intents files that load back
// with the intents loader and give Docent the same intents, patterns and
// answers, with nothing else in the database.
func TestExportIntents(t *testing.T) {
	path := writeConfig(t, "")
	b := openBot(t, path)
	console := chat.Conversation{Platform: "console", Channel: "local"}
	q := "how do I rotate the signing keys"
	// Patterns and a response that YAML would misread if written plainly.
	tricky := []string{"yes", "null", "- dash: {{x}}", "# not a comment", "'quoted' and \"double\"", "3.14", "你好 docent，在吗"}
	for _, text := range append([]string{
		"!teach new key_rotation Rotate them with `docent keys rotate`: {{`{{literal}}`}} ok",
		"!teach key_rotation " + q,
		"!teach greeting hello", // its file has it: no change
		"!teach new pending Nothing to say yet.",
	}, prefixAll("!teach greeting ", tricky)...) {
		if a := bottest.Ask(t, b.Inbox(), console, alice, text); len(a) != 1 || strings.Contains(a[0].Text, "Usage") || strings.Contains(a[0].Text, "does not work") {
			t.Fatalf("%s: %+v", text, a)
		}
	}
	want := comparable(b.brain.Load().Intents())
	closeBot(t, b)

	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	x, err := ExportIntents(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Files) != 2 || x.Files[0].Name != "test.yaml" || x.Files[1].Name != "taught-in-chat.yaml" || x.Files[1].Source != "" {
		t.Fatalf("files %+v", x.Files)
	}
	if len(x.LeftOut) != 1 || x.LeftOut[0] != "lesson #4: the intent pending created in chat: no pattern was taught to it yet" {
		t.Errorf("left out %q", x.LeftOut)
	}
	var changed []string
	for _, in := range x.Changed() {
		changed = append(changed, in.Name)
	}
	if !slices.Equal(changed, []string{"greeting", "key_rotation"}) {
		t.Errorf("changed intents %v, want greeting and key_rotation", changed)
	}
	if g := x.Changed()[0]; !slices.Equal(g.Lessons, []uint64{5, 6, 7, 8, 9, 10, 11}) {
		t.Errorf("greeting's lessons %v, want the tricky patterns' (5-11), not hello's (3)", g.Lessons)
	}

	// --out: every file, loaded back, is what Docent used; a bot on them
	// alone answers as the taught one did.
	dir := filepath.Join(t.TempDir(), "exported")
	os.MkdirAll(dir, 0o755)
	for _, f := range x.Files {
		data, err := f.YAML()
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, f.Name), string(data))
	}
	xpath := exportConfig(t, dir)
	xcfg, err := LoadConfig(xpath)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := xcfg.LoadIntents()
	if err != nil {
		t.Fatalf("the exported files do not load: %v", err)
	}
	if got := comparable(loaded); !reflect.DeepEqual(got, want) {
		t.Errorf("exported intents differ from those Docent used:\n got %+v\nwant %+v", got, want)
	}
	xb := openBot(t, xpath)
	defer closeBot(t, xb)
	if got := comparable(xb.brain.Load().Intents()); !reflect.DeepEqual(got, want) {
		t.Errorf("trained on the export: %+v", got)
	}
	for text, intent := range map[string]string{q: "key_rotation", "你好 docent，在吗": "greeting", "how do I report a bug": "report_bug"} {
		if a := bottest.Ask(t, xb.Inbox(), console, alice, text); len(a) != 1 || a[0].Intent != intent {
			t.Errorf("%q on the export: %+v, want %s", text, a, intent)
		}
	}
	if a := bottest.Ask(t, xb.Inbox(), console, alice, q)[0]; a.Text != "Rotate them with `docent keys rotate`: {{literal}} ok" {
		t.Errorf("the exported response renders %q", a.Text)
	}

	// Without --out: the changed intents alone, each complete, with where
	// it belongs and the lessons to remove.
	data, err := x.ChangedYAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"docent lessons rm 1 2 5 6 7 8 9 10 11\n", "# in " + filepath.Join(filepath.Dir(path), "intents", "test.yaml") + "; patterns taught in chat: lessons #5, #6",
		"# created in chat: lessons #1, #2\n"} {
		if !strings.Contains(string(data), s) {
			t.Errorf("the changed intents lack %q:\n%s", s, data)
		}
	}
	one := filepath.Join(t.TempDir(), "changed.yaml")
	write(t, one, string(data))
	ocfg, err := LoadConfig(exportConfig(t, one))
	if err != nil {
		t.Fatal(err)
	}
	loaded, err = ocfg.LoadIntents()
	if err != nil {
		t.Fatalf("the changed intents do not load: %v", err)
	}
	var wantChanged []brain.Intent
	for _, in := range want {
		if in.Name == "greeting" || in.Name == "key_rotation" {
			wantChanged = append(wantChanged, in)
		}
	}
	if got := comparable(loaded); !reflect.DeepEqual(got, wantChanged) {
		t.Errorf("changed intents loaded back:\n got %+v\nwant %+v", got, wantChanged)
	}
}

func prefixAll(prefix string, texts []string) []string {
	out := make([]string, len(texts))
	for i, s := range texts {
		out[i] = prefix + s
	}
	return out
}

// With nothing taught, there is nothing to export without --out, and the
// files are written as they are.
func TestExportNothingTaught(t *testing.T) {
	path := writeConfig(t, "")
	closeBot(t, openBot(t, path))
	cfg, _ := LoadConfig(path)
	x, err := ExportIntents(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if data, err := x.ChangedYAML(); data != nil || err != nil {
		t.Errorf("ChangedYAML = %q, %v; want nothing", data, err)
	}
	if len(x.Files) != 1 || len(x.Files[0].Intents) != 3 || len(x.LeftOut) != 0 {
		t.Errorf("export %+v", x)
	}
}

func TestUniqueName(t *testing.T) {
	taken := map[string]bool{}
	var got []string
	for _, n := range []string{"a.yaml", "a.yaml", "b.yml", "a.yaml", "taught-in-chat.yaml", "taught-in-chat.yaml"} {
		got = append(got, uniqueName(n, taken))
	}
	if want := []string{"a.yaml", "a-2.yaml", "b.yml", "a-3.yaml", "taught-in-chat.yaml", "taught-in-chat-2.yaml"}; !slices.Equal(got, want) {
		t.Errorf("uniqueName: %v, want %v", got, want)
	}
}
