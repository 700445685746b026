package bot

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// sectionModule is a module whose name and Config are whatever a test
// needs.
type sectionModule struct {
	name   string
	config func() any
}

func (s *sectionModule) Name() string           { return s.name }
func (s *sectionModule) Config() any            { return s.config() }
func (s *sectionModule) Validate(*module.Check) {}

type sectionConfig struct {
	Max int `yaml:"max"`
}

// A module whose name or Config cannot hold a section is refused with an
// error that names it, never a panic, and never a section decoded into
// nothing.
func TestModuleSectionMistakes(t *testing.T) {
	shared := sectionConfig{}
	n := 3
	for _, tt := range []struct {
		what, name string
		config     func() any
		want       string
	}{
		{"a struct, not a pointer", "p", func() any { return shared }, "pointer"},
		{"nil", "p", func() any { return nil }, "pointer"},
		{"a pointer to an int", "p", func() any { return &n }, "pointer"},
		{"a new pointer each call", "p", func() any { return &sectionConfig{} }, "the same each time"},
		{"a name with a tag option", "a,inline", func() any { return &shared }, "not a section name"},
		{"the name -", "-", func() any { return &shared }, "not a section name"},
		{"an upper-case name", "Notes", func() any { return &shared }, "not a section name"},
	} {
		t.Run(tt.what, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panic: %v", r)
				}
			}()
			_, err := LoadConfig(writeConfig(t, "max: 5\n"), WithModules(func() module.Module { return &sectionModule{name: tt.name, config: tt.config} }))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%v, want an error saying %q", err, tt.want)
			}
		})
	}
}

// provisioned records what a module went through.
type provisioned struct {
	name   string
	fail   bool
	events *[]string
}

func (p *provisioned) Name() string { return p.name }

func (p *provisioned) Provision(context.Context, *module.Host) error {
	*p.events = append(*p.events, "provision "+p.name)
	if p.fail {
		return errors.New("no licence key")
	}
	return nil
}

func (p *provisioned) Cleanup() error {
	*p.events = append(*p.events, "cleanup "+p.name)
	return nil
}

// When a module fails to provision, Open fails naming it, and the modules
// provisioned before it are cleaned up: nobody calls Close on a bot that
// did not open.
func TestProvisionFailureCleansUp(t *testing.T) {
	var events []string
	cfg, err := LoadConfig(writeConfig(t, ""), WithModules(
		func() module.Module { return &provisioned{name: "first", events: &events} },
		func() module.Module { return &provisioned{name: "second", fail: true, events: &events} },
		func() module.Module { return &provisioned{name: "third", events: &events} }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), cfg, Options{}); err == nil || !strings.Contains(err.Error(), "module second: no licence key") {
		t.Errorf("Open: %v, want the module's error with its name", err)
	}
	if want := []string{"provision first", "provision second", "cleanup first"}; !slices.Equal(events, want) {
		t.Errorf("modules saw %v, want %v", events, want)
	}
}

// When Options.Ops fails, the last step of Open, the modules already
// provisioned are cleaned up too, as for any other failure after they were.
func TestOpsFailureCleansUpModules(t *testing.T) {
	var events []string
	cfg, err := LoadConfig(writeConfig(t, ""), WithModules(
		func() module.Module { return &provisioned{name: "first", events: &events} }))
	if err != nil {
		t.Fatal(err)
	}
	ops := func(*Bot) (http.Handler, error) { return nil, errors.New("no dashboard") }
	if _, err := Open(context.Background(), cfg, Options{Ops: ops}); err == nil || !strings.Contains(err.Error(), "no dashboard") {
		t.Errorf("Open: %v, want the ops handler's error", err)
	}
	if want := []string{"provision first", "cleanup first"}; !slices.Equal(events, want) {
		t.Errorf("modules saw %v, want %v", events, want)
	}
}

// commander is a module with whatever commands a test gives it.
type commander struct{ cmds []module.Command }

func (c *commander) Name() string               { return "cmds" }
func (c *commander) Commands() []module.Command { return c.cmds }

// A module's command that cannot be typed, takes a name already in use
// or has nothing to run stops the start with an error naming it, never a
// panic; a good one is added.
func TestModuleCommandNames(t *testing.T) {
	run := func(context.Context, *module.Message, string) (chat.Answer, error) {
		return chat.Answer{Text: "ok"}, nil
	}
	cmds := []module.Command{{Name: "help", Run: run}, {Name: "Note", Run: run}, {Name: "ask", Run: run}, {Name: "norun"}, {Name: "fine", Run: run}}
	cfg, err := LoadConfig(writeConfig(t, ""), WithModules(func() module.Module { return &commander{cmds} }))
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("Open panicked: %v", r)
			}
		}()
		_, err = Open(context.Background(), cfg, Options{})
	}()
	for _, want := range []string{`command "help": the name is taken`, `command "Note": a name is 1 to 32 lowercase`, `command "ask": the name is taken`, `command "norun" has nothing to run`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open's error lacks %q:\n%v", want, err)
		}
	}
	if err != nil && strings.Contains(err.Error(), `"fine"`) {
		t.Errorf("a good command refused: %v", err)
	}
	// The failed Open let go of the database and of the config.
	cfg.modules = cfg.modules[:len(cfg.modules)-1]
	b, err := Open(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatalf("Open after a failed one: %v", err)
	}
	b.Close()
}

// A config's modules serve one bot at a time: a second Open is refused
// until the first bot closes.
func TestConfigOpenOnce(t *testing.T) {
	cfg, err := LoadConfig(writeConfig(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), cfg, Options{}); err == nil || !strings.Contains(err.Error(), "open in another Bot") {
		t.Errorf("a second Open of one config: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b, err = Open(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	b.Close()
}

// faulty is a module whose loop and scrub panic.
type faulty struct{}

func (faulty) Name() string { return "faulty" }
func (faulty) Run(context.Context, module.RunEnv) error {
	var m map[string]int
	m["x"]++ // a nil map: the kind of mistake a module makes
	return nil
}
func (faulty) Scrub(text string) string {
	if strings.Contains(text, "boom") {
		panic("cannot read " + text)
	}
	return text
}

// A module that panics in its loop or in reading a message stops neither
// Docent nor the message: its loop shows as stopped in /readyz, and the
// message is stored as a placeholder (never as the text the module was
// to hide) and answered.
func TestModulePanicsAreContained(t *testing.T) { synctest.Test(t, testModulePanicsAreContained) }

func testModulePanicsAreContained(t *testing.T) {
	cfg, err := LoadConfig(writeConfig(t, ""), WithModules(func() module.Module { return faulty{} }))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Bot.RateLimit = RateLimitConfig{}
	b, err := Open(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	noSocketsInBubble(t, b)
	runBot(t, b, idle{})
	synctest.Wait() // the module's loop has panicked
	var check Check
	for _, c := range b.Readiness(context.Background()) {
		if c.Name == "module faulty" {
			check = c
		}
	}
	if check.OK || !strings.Contains(check.Detail, "panic: assignment to entry in nil map") {
		t.Errorf("readiness of the module whose loop panicked: %+v", check)
	}
	conv := chat.Conversation{Platform: "console", Channel: "local"}
	if got := bottest.Ask(t, b.Inbox(), conv, chat.Member{ID: "u1", Name: "ann"}, "boom, my token is hunter2"); len(got) == 0 {
		t.Error("a message the module could not read was not answered")
	}
	recs, err := b.store.Conversation(context.Background(), conv, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if strings.Contains(r.Text, "hunter2") {
			t.Errorf("stored the text a module failed to read: %q", r.Text)
		}
	}
}

// shelved is a module whose records changed layout: at version 1 its
// value is a word, at 2 the word in capitals.
type shelved struct{ version int }

var bucketShelved = store.NewBucket("test_shelved")

func (s shelved) Name() string { return "shelved" }

func (s shelved) Schema() store.Schema {
	sc := store.Schema{Version: s.version}
	if s.version >= 2 {
		sc.Migrations = append(sc.Migrations, store.Migration{From: 1, To: 2, Run: func(tx *store.Tx) error {
			return tx.Put(bucketShelved, []byte("word"), bytes.ToUpper(tx.Get(bucketShelved, []byte("word"))))
		}})
	}
	return sc
}

// Opening the bot brings a module's records to the layout it reads, and
// logs it; an older Docent then refuses the file with an error that names
// the module and both versions.
func TestModuleSchema(t *testing.T) {
	path := writeConfig(t, "")
	load := func(version int) *Config {
		t.Helper()
		cfg, err := LoadConfig(path, WithModules(func() module.Module { return shelved{version} }))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	ctx := context.Background()
	st, err := OpenStore(load(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx, func(tx *store.Tx) error { return tx.Put(bucketShelved, []byte("word"), []byte("dune")) }); err != nil {
		t.Fatal(err)
	}
	st.Close()

	var logs bytes.Buffer
	b, err := Open(ctx, load(2), Options{Version: "test", Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	var word []byte
	b.store.View(ctx, func(tx *store.Tx) error { word = tx.Get(bucketShelved, []byte("word")); return nil })
	versions, err := b.store.SchemaVersions(ctx)
	if err != nil || string(word) != "DUNE" || versions["shelved"] != 2 {
		t.Errorf("after Open: word %q, versions %v (%v); want DUNE at version 2", word, versions, err)
	}
	if !strings.Contains(logs.String(), `msg="store: schema migrated" owner=shelved from=1 to=2`) {
		t.Errorf("the log does not tell of the migration:\n%s", logs.String())
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	b, err = Open(ctx, load(1), Options{Version: "test"})
	if err == nil {
		b.Close()
		t.Fatal("an older module's Docent opened the file")
	}
	if want := "was written by a newer Docent (module shelved, schema 2); this version reads module shelved up to schema 1"; !strings.Contains(err.Error(), want) {
		t.Errorf("Open error = %q; want it to say %q", err, want)
	}
}

// TestModulesRecordTheirSchemas: every built-in module that keeps records
// of its own records the version of their layout when the store opens, so
// that a later layout knows what it migrates from.
func TestModulesRecordTheirSchemas(t *testing.T) {
	b := openBot(t, writeConfig(t, ""))
	defer closeBot(t, b)
	got, err := b.store.SchemaVersions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"analytics": 1, "attention": 1, "budgets": 1, "challenges": 1, "importer": 1, "lessons": 1, "recommend": 1, "routing": 1, "threads": 1}
	if !maps.Equal(got, want) {
		t.Errorf("schema versions %v, want %v", got, want)
	}
}
