package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// notesModule is a feature module as a new capability would be written:
// a section of the config, a command, a record per member kept with the
// store's primitives, something hidden before messages are stored, a
// background loop and something to release at the end. It lives in this
// test; a real one has a folder of its own and one line in NewModules.
type notesModule struct {
	cfg notesConfig

	st  store.Buckets
	log func(string)

	mu      sync.Mutex // guards events
	events  []string
	started chan struct{}
}

type notesConfig struct {
	// Max is how many notes a member may keep.
	Max    int           `yaml:"max"`
	Every  time.Duration `yaml:"every"`
	Secret string        `yaml:"secret"` // a word hidden from the history
}

var bucketTestNotes = store.NewBucket("test_notes")

func newNotes() *notesModule {
	return &notesModule{cfg: notesConfig{Max: 2, Every: time.Hour}, started: make(chan struct{})}
}

func (n *notesModule) Name() string { return "notes" }
func (n *notesModule) Config() any  { return &n.cfg }

func (n *notesModule) Validate(c *module.Check) {
	if n.cfg.Max < 1 {
		c.Errorf("max", "must be at least 1, got %d", n.cfg.Max)
	}
}

func (n *notesModule) event(e string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.events = append(n.events, e)
}

func (n *notesModule) Events() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.events...)
}

func (n *notesModule) Provision(_ context.Context, h *module.Host) error {
	n.st = h.Store
	n.event("provision")
	return nil
}

func (n *notesModule) Commands() []module.Command {
	return []module.Command{{Name: "note", Args: "<text>", Summary: "keep a note", Run: n.note}}
}

func (n *notesModule) note(ctx context.Context, m *module.Message, args string) (chat.Answer, error) {
	prefix := store.Key(m.Conversation.Platform, m.Author.ID)
	kept := 0
	err := n.st.Update(ctx, func(tx *store.Tx) error {
		kept = 0
		if err := tx.Scan(bucketTestNotes, prefix, func(_, _ []byte) error { kept++; return nil }); err != nil {
			return err
		}
		if kept >= n.cfg.Max {
			return nil
		}
		id, err := tx.NextID(bucketTestNotes)
		if err != nil {
			return err
		}
		kept++
		return tx.Put(bucketTestNotes, store.AppendID(prefix, id), []byte(args))
	})
	if err != nil {
		return chat.Answer{}, err
	}
	return chat.Answer{Text: fmt.Sprintf("You keep %d of %d notes.", kept, n.cfg.Max)}, nil
}

func (n *notesModule) Scrub(text string) string {
	if n.cfg.Secret == "" {
		return text
	}
	return strings.ReplaceAll(text, n.cfg.Secret, "[hidden]")
}

func (n *notesModule) MemberParts() []store.MemberPart { return []store.MemberPart{notesPart{}} }

func (n *notesModule) Run(ctx context.Context, env module.RunEnv) error {
	n.event("run")
	close(n.started)
	<-ctx.Done()
	n.event("stop")
	return nil
}

func (n *notesModule) Cleanup() error {
	n.event("cleanup")
	return nil
}

type notesPart struct{}

func (notesPart) Key() string { return "notes" }

func (notesPart) Export(tx *store.Tx, m store.MemberRef) (any, error) {
	var out []string
	err := tx.Scan(bucketTestNotes, store.Key(m.Platform, m.ID), func(_, v []byte) error {
		out = append(out, string(v))
		return nil
	})
	return out, err
}

func (notesPart) Forget(tx *store.Tx, m store.MemberRef) (int, error) {
	return tx.DeletePrefix(bucketTestNotes, store.Key(m.Platform, m.ID))
}

func (notesPart) Expire(*store.Tx, time.Time) (int, error) { return 0, nil }

// TestModuleLifecycle wires a module from outside the bot and follows it
// through its whole life: its section decoded strictly and validated with
// lines, its command answering members, its record exported and forgotten
// with the member's data, its scrub applied before storing, its loop run
// and stopped with the bot, and its cleanup at Close.
func TestModuleLifecycle(t *testing.T) {
	path := writeConfig(t, "notes:\n  max: 0\n  evry: 1h\n")
	_, err := LoadConfig(path, WithModules(func() module.Module { return newNotes() }))
	for _, want := range []string{`docent.yaml:9:8: notes.max: must be at least 1, got 0`, `docent.yaml:10:3: notes: unknown field "evry"; did you mean "every"?`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("config errors lack %q:\n%v", want, err)
		}
	}
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), `unknown field "notes"`) {
		t.Errorf("a section of a module that is not wired: %v", err)
	}
	if _, err := LoadConfig(path, WithModules(func() module.Module { return newNotes() }, func() module.Module { return newNotes() })); err == nil || !strings.Contains(err.Error(), `module "notes"`) {
		t.Errorf("two modules of one name: %v", err)
	}

	write(t, path, strings.Replace(mustRead(t, path), "notes:\n  max: 0\n  evry: 1h\n", "notes:\n  max: 2\n  secret: hunter2\n", 1))
	notes := newNotes()
	cfg, err := LoadConfig(path, WithModules(func() module.Module { return notes }))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Bot.RateLimit = RateLimitConfig{}
	cfg.Ops.Listen = freeOpsPort
	b, err := Open(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := notes.Events(); strings.Join(got, ",") != "provision" {
		t.Fatalf("after Open the module saw %v, want provision", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, idle{}) }()
	<-notes.started

	conv := chat.Conversation{Platform: "discord", Channel: "c1"}
	ann := chat.Member{ID: "7", Name: "ann"}
	for i, want := range []string{"You keep 1 of 2 notes.", "You keep 2 of 2 notes.", "You keep 2 of 2 notes."} {
		got := bottest.Ask(t, b.Inbox(), conv, ann, fmt.Sprintf("!note number %d, hunter2", i))
		if len(got) != 1 || got[0].Text != want {
			t.Errorf("note %d: %+v, want %q", i, got, want)
		}
	}
	if help := bottest.Ask(t, b.Inbox(), conv, ann, "!help"); len(help) != 1 || !strings.Contains(help[0].Text, "`!note <text>` — keep a note") {
		t.Errorf("!help does not list the module's command: %+v", help)
	}
	recs, err := b.store.Conversation(context.Background(), conv, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if strings.Contains(r.Text, "hunter2") {
			t.Errorf("stored unscrubbed: %q", r.Text)
		}
	}

	me := store.MemberRef{Platform: "discord", ID: "7"}
	d, err := b.store.ExportMember(context.Background(), me)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(d)
	if !strings.Contains(string(out), `"notes":["number 0, hunter2","number 1, hunter2"]`) {
		t.Errorf("export lacks the module's notes: %s", out)
	}
	f, err := b.Forget(context.Background(), me)
	if err != nil || f.Parts["notes"] != 2 {
		t.Errorf("forget: %+v, %v; want 2 notes deleted", f, err)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := notes.Events(); strings.Join(got, ",") != "provision,run,stop" {
		t.Errorf("after Run the module saw %v, want provision, run, stop", got)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if got := notes.Events(); got[len(got)-1] != "cleanup" {
		t.Errorf("after Close the module saw %v, want cleanup last", got)
	}
}
