package bot

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/bot/config"
	"github.com/docent-bot/docent/brain"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

const testIntents = `intents:
  - name: greeting
    description: Saying hello
    patterns: [hello, hi, hey there, good morning, hello everyone, 你好, 大家好, hi all]
    responses: ["Hello {{.Member}}!"]
    responses_by_language:
      zh: ["你好，{{.Member}}！"]
  - name: report_bug
    description: How to report a bug
    patterns: [how do I report a bug, I found a bug, where to file bugs, bug report, the app crashes, 怎么报告bug, something is broken, report an issue]
    responses: ["File it at {{.Links.issues}}."]
  - name: install
    description: Installing
    patterns: [how do I install it, installation steps, setup guide, how to set up locally, 怎么安装, install fails, getting started, requirements]
    responses: ["See {{.Links.docs}}."]
`

// writeConfig writes a config and its intents into a fresh folder and
// returns the config's path. extra is appended to the config.
func writeConfig(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "intents"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "intents", "test.yaml"), testIntents)
	cfg := `links:
  issues: https://example.org/issues
  docs: https://example.org/docs
store:
  path: docent.db
brain:
  intents: [intents]
` + extra
	path := filepath.Join(dir, "docent.yaml")
	write(t, path, cfg)
	return path
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func openBot(t *testing.T, path string) *Bot {
	t.Helper()
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	// Tests ask in bursts; TestRateLimit turns the limits on.
	cfg.Bot.RateLimit = RateLimitConfig{}
	b, err := Open(context.Background(), cfg, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// freeOpsPort is ops.listen in the tests that run the bot: the default's
// fixed port would collide with anything else running.
const freeOpsPort = "127.0.0.1:0"

// noSocketsInBubble readies b to Run in a synctest bubble, where a
// goroutine waiting on a socket never lets the fake clock move: the ops
// listener is off (runBot and startBot leave it off), and a file where
// the control socket's folder goes keeps Run from listening there (Run
// warns and goes on without it, as when the folder cannot be made).
func noSocketsInBubble(t *testing.T, b *Bot) {
	t.Helper()
	b.cfg.Ops.Listen = "off"
	dir := controlDir(b.cfg)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "not a folder: no control socket in this test\n")
}

// runBot runs b with the adapters until the test ends; then it stops it,
// checks that Run returned cleanly within 10s, and closes it.
func runBot(t *testing.T, b *Bot, adapters ...Adapter) {
	t.Helper()
	if !b.cfg.Ops.Off() {
		b.cfg.Ops.Listen = freeOpsPort
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, adapters...) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return within 10s of cancel")
		}
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
}

// platformAdapter returns the bot's only platform adapter, checking its name.
func platformAdapter(t *testing.T, b *Bot, name string) Adapter {
	t.Helper()
	adapters, err := b.PlatformAdapters()
	if err != nil {
		t.Fatal(err)
	}
	if len(adapters) != 1 || adapters[0].Name() != name {
		t.Fatalf("platform adapters = %v, want %s only", adapters, name)
	}
	return adapters[0]
}

func closeBot(t *testing.T, b *Bot) {
	t.Helper()
	if err := b.router.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
	if err := b.Close(); err != nil {
		t.Error(err)
	}
}

func TestBotAnswers(t *testing.T) {
	b := openBot(t, writeConfig(t, ""))
	defer closeBot(t, b)
	if !b.Prepared().Trained {
		t.Error("first start did not train")
	}
	conv := chat.Conversation{Platform: "test", Channel: "general"}
	tests := []struct {
		text   string
		source chat.Source
		intent string
		prefix string
	}{
		{"hello", chat.SourceIntent, "greeting", "Hello alice!"},
		{"你好", chat.SourceIntent, "greeting", "你好，alice！"},
		{"how do I report a bug?", chat.SourceIntent, "report_bug", "File it at https://example.org/issues."},
		{"qwerty zxcv", chat.SourceFallback, "", "I'm not sure I understood that, alice."},
		{"!ping", chat.SourceCommand, "", "pong ("},
		{"!help", chat.SourceCommand, "", "Ask me anything in plain words"},
		{"!about", chat.SourceCommand, "", "I'm Docent, an open-source community assistant (Docent test). I know 3 intents, learnt from 24 example questions"},
		{"!pnig", chat.SourceCommand, "", "I don't know the command `!pnig`. Did you mean `!ping`?"},
		{"   ", "", "", ""},
		{strings.Repeat("long ", 4000), chat.SourceError, "", "That message is too long for me (20000 bytes; I read up to 16384)"},
	}
	for _, tc := range tests {
		got := bottest.Ask(t, b.Inbox(), conv, alice, tc.text)
		if tc.prefix == "" {
			if len(got) != 0 {
				t.Errorf("%q: answered %+v, want silence", tc.text, got)
			}
			continue
		}
		if len(got) != 1 {
			t.Errorf("%q: %d answers, want 1", tc.text, len(got))
			continue
		}
		a := got[0]
		if a.Source != tc.source || a.Intent != tc.intent || !strings.HasPrefix(a.Text, tc.prefix) {
			t.Errorf("%q: got %s/%s %q, want %s/%s %q...", tc.text, a.Source, a.Intent, a.Text, tc.source, tc.intent, tc.prefix)
		}
	}
	// Everything said is in the history: 10 messages (the blank one too) and 9 answers.
	recs, err := b.store.Conversation(context.Background(), conv, 0)
	if err != nil {
		t.Fatal(err)
	}
	var msgs, answers int
	for _, r := range recs {
		if r.Kind == store.KindMessage {
			msgs++
		} else {
			answers++
		}
	}
	if msgs != 10 || answers != 9 {
		t.Errorf("stored %d messages and %d answers, want 10 and 9", msgs, answers)
	}
}

func TestRestartLoadsModel(t *testing.T) {
	path := writeConfig(t, "")
	b := openBot(t, path)
	closeBot(t, b)
	b = openBot(t, path)
	if b.Prepared().Trained {
		t.Error("second start retrained; want the saved model loaded")
	}
	closeBot(t, b)

	// Changing the patterns retrains.
	write(t, filepath.Join(filepath.Dir(path), "intents", "test.yaml"), strings.Replace(testIntents, "hi all", "hi folks", 1))
	b = openBot(t, path)
	if p := b.Prepared(); !p.Trained || p.Reason != "intents or classifier settings changed" {
		t.Errorf("after changing a pattern: %+v, want a retrain saying why", p)
	}
	closeBot(t, b)
}

// A second Docent on the same database is refused quickly, with a message
// that says what to do. (store/ tests the same across two processes.)
func TestSecondOpenIsRefused(t *testing.T) {
	path := writeConfig(t, "")
	write(t, path, strings.Replace(mustRead(t, path), "  path: docent.db\n", "  path: docent.db\n  lock_timeout: 200ms\n", 1))
	b := openBot(t, path)
	defer closeBot(t, b)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), cfg, Options{})
	if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), "in use by another process") || !strings.Contains(err.Error(), "stop the Docent using it") {
		t.Fatalf("second Open: %v, want 'in use by another process' and what to do", err)
	}
}

func mustRead(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestConfigErrors(t *testing.T) {
	path := writeConfig(t, `bot:
  nmae: Docent
  timeout: 30 seconds
  max_concurrent: lots
log:
  level: loud
adapters:
  console:
    enabled: false
`)
	// And make the store folder and an intents path missing.
	write(t, path, strings.Replace(strings.Replace(mustRead(t, path), "path: docent.db", "path: nowhere/docent.db", 1), "intents: [intents]", "intents: [intents, missing]", 1))
	_, err := LoadConfig(path)
	var errs config.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("LoadConfig: %v, want config.Errors", err)
	}
	text := err.Error()
	for _, want := range []string{
		`docent.yaml:5:9: store.path: folder ` + filepath.Join(filepath.Dir(path), "nowhere") + ` does not exist`,
		`docent.yaml:7:22: brain.intents[1]: ` + filepath.Join(filepath.Dir(path), "missing") + ` does not exist`,
		`docent.yaml:9:3: bot: unknown field "nmae"; did you mean "name"?`,
		`docent.yaml:10:12: bot.timeout: "30 seconds" is not a duration`,
		`docent.yaml:11:19: bot.max_concurrent: expected a number, got "lots"`,
		`docent.yaml:13:10: log.level: must be debug, info, warn or error, got "loud"`,
		`adapters: no adapter is enabled`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("errors lack %q; got:\n%s", want, text)
		}
	}
	if !strings.HasPrefix(text, filepath.Dir(path)) {
		t.Errorf("errors do not start with the file name:\n%s", text)
	}
}

func TestIntentErrors(t *testing.T) {
	path := writeConfig(t, "")
	write(t, filepath.Join(filepath.Dir(path), "intents", "more.yaml"), `intents:
  - name: greeting
    patterns: [hey]
    responses: [hi]
  - name: Bad Name
    patterns: []
    responses: ["{{.Links.nowhere}}"]
    responses_by_language:
      fr: [salut]
    threshold: 2
    colour: blue
`)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = CheckIntents(cfg)
	if err == nil {
		t.Fatal("CheckIntents: no error")
	}
	text := err.Error()
	more := filepath.Join(filepath.Dir(path), "intents", "more.yaml")
	for _, want := range []string{
		// Files are read in name order: more.yaml defines greeting first.
		filepath.Join(filepath.Dir(path), "intents", "test.yaml") + `:2:11: intents[0].name: intent "greeting" is already defined at ` + more + ":2",
		more + `:5:11: intents[1].name: "Bad Name": use lowercase letters`,
		more + `:6:15: intents[1].patterns: needs at least one example`,
		more + `:9:11: intents[1].responses_by_language.fr: unknown language "fr"`,
		more + `:10:16: intents[1].threshold: must be between 0 and 1, got 2`,
		more + `:11:5: intents[1]: unknown field "colour"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("errors lack %q; got:\n%s", want, text)
		}
	}

	// Template problems are found too, naming the intent and its file.
	write(t, more, "intents:\n  - name: docs\n    patterns: [docs]\n    responses: [\"{{.Nowhere}}\"]\n")
	cfg, _ = LoadConfig(path)
	_, _, err = CheckIntents(cfg)
	if err == nil || !strings.Contains(err.Error(), more+`:2: intent "docs": response 1: can't evaluate field Nowhere`) {
		t.Errorf("template error: %v", err)
	}

	// An intent whose link is not set waits for it: left out, named in
	// one warning with the link to add, not an error.
	write(t, more, "intents:\n  - name: docs\n    patterns: [docs]\n    responses: [\"{{.Links.nowhere}}\"]\n")
	cfg, _ = LoadConfig(path)
	n, leftOut, err := CheckIntents(cfg)
	if err != nil {
		t.Fatalf("CheckIntents: %v", err)
	}
	all, err := cfg.LoadIntents()
	if err != nil {
		t.Fatal(err)
	}
	want := path + ": 1 intent is left out until its links are set (docs): add nowhere under links:"
	if got := leftOut.String(); got != want || n != len(all)-1 {
		t.Errorf("CheckIntents = %d, %q; want %d, %q", n, got, len(all)-1, want)
	}
}

// Only the responses whose links are not set are left out; an intent is
// left out when none of its responses is left, and a language left with
// none answers in the default responses.
func TestResponsesWithoutTheirLinks(t *testing.T) {
	path := writeConfig(t, "")
	more := filepath.Join(filepath.Dir(path), "intents", "more.yaml")
	write(t, more, `intents:
  - name: bug_help
    patterns: [bug help]
    responses: ["{{.Links.nowhere}}", "See <{{.Links.issues}}>.", "{{.Links.issues}} or {{.Links.elsewhere}}"]
    responses_by_language:
      zh: ["{{.Links.nowhere}}"]
  - name: unlinked
    patterns: [unlinked]
    responses: ["{{.Links.nowhere}}"]
`)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := cfg.Intents()
	if err != nil {
		t.Fatal(err)
	}
	want := path + ": 1 intent is left out until its links are set (unlinked), and 3 responses of 1 other intent (bug_help): add elsewhere, nowhere under links:"
	if got := loaded.LeftOut.String(); got != want {
		t.Errorf("LeftOut = %q\nwant %q", got, want)
	}
	i := slices.IndexFunc(loaded.Use, func(in brain.Intent) bool { return in.Name == "bug_help" })
	if i < 0 {
		t.Fatalf("bug_help is not in use")
	}
	if in := loaded.Use[i]; !slices.Equal(in.Responses, []string{"See <{{.Links.issues}}>."}) || len(in.ResponsesByLanguage) != 0 {
		t.Errorf("bug_help in use with %q and %q, want only the response whose links are set", in.Responses, in.ResponsesByLanguage)
	}
	if slices.ContainsFunc(loaded.Use, func(in brain.Intent) bool { return in.Name == "unlinked" }) {
		t.Errorf("unlinked is in use, with no response it can render")
	}
	if _, _, err := CheckIntents(cfg); err != nil {
		t.Errorf("CheckIntents: %v", err)
	}

	// A mistake in a response is reported even when another is left out
	// for want of a link, with its number in the file.
	write(t, more, "intents:\n  - name: bug_help\n    patterns: [bug help]\n    responses: [\"{{.Links.nowhere}}\", \"{{.Nowhere}}\"]\n")
	cfg, _ = LoadConfig(path)
	if _, _, err := CheckIntents(cfg); err == nil || !strings.Contains(err.Error(), `intent "bug_help": response 2: can't evaluate field Nowhere`) {
		t.Errorf("CheckIntents: %v, want the mistake in response 2", err)
	}

	// Only responses left out: the line says so.
	write(t, more, "intents:\n  - name: bug_help\n    patterns: [bug help]\n    responses: [\"{{.Links.nowhere}}\", \"{{.Links.issues}}\"]\n")
	cfg, _ = LoadConfig(path)
	if loaded, err = cfg.Intents(); err != nil {
		t.Fatal(err)
	}
	want = path + ": 1 response of 1 intent is left out until their links are set (bug_help): add nowhere under links:"
	if got := loaded.LeftOut.String(); got != want {
		t.Errorf("LeftOut = %q\nwant %q", got, want)
	}
}

func TestEnvInConfigButNotIntents(t *testing.T) {
	t.Setenv("DOCENT_TEST_DOCS", "https://docs.example.org")
	path := writeConfig(t, "")
	write(t, path, strings.Replace(mustRead(t, path), "docs: https://example.org/docs", "docs: ${DOCENT_TEST_DOCS}", 1))
	write(t, filepath.Join(filepath.Dir(path), "intents", "shell.yaml"),
		"intents:\n  - name: shell\n    patterns: [home dir]\n    responses: [\"echo ${HOME} and ${DOCENT_TEST_DOCS}\"]\n")
	b := openBot(t, path)
	defer closeBot(t, b)
	if got := b.cfg.Links["docs"]; got != "https://docs.example.org" {
		t.Errorf("links.docs = %q, want the environment's value", got)
	}
	for _, in := range b.brain.Load().Intents() {
		if in.Name == "shell" && in.Responses[0] != "echo ${HOME} and ${DOCENT_TEST_DOCS}" {
			t.Errorf("intent response expanded to %q; intents must never see the environment", in.Responses[0])
		}
	}
}

func TestConfigErrorsHideEnvironmentValues(t *testing.T) {
	t.Setenv("DOCENT_TEST_SECRET", "xoxb-very-secret")
	path := writeConfig(t, "bot:\n  command_prefix: ${DOCENT_TEST_SECRET}\nlog:\n  level: ${DOCENT_TEST_SECRET}\n")
	write(t, path, strings.Replace(mustRead(t, path), "docs: https://example.org/docs", "docs: ${DOCENT_TEST_SECRET}", 1))
	_, err := LoadConfig(path)
	if err == nil {
		t.Fatal("want errors")
	}
	if strings.Contains(err.Error(), "very-secret") {
		t.Fatalf("an error prints the secret:\n%v", err)
	}
	for _, want := range []string{
		"links.docs: the value from ${DOCENT_TEST_SECRET} is not an absolute http(s) or mailto link",
		"bot.command_prefix: must be 1 to 8 characters without spaces",
		"log.level: must be debug, info, warn or error, got the value from ${DOCENT_TEST_SECRET}",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, err)
		}
	}
}

func TestSyntaxErrorAlone(t *testing.T) {
	path := writeConfig(t, "")
	write(t, path, "brain:\n  intents: [intents]\n\tbad: tab\n")
	_, err := LoadConfig(path)
	if err == nil || strings.Count(err.Error(), "\n") != 0 || !strings.Contains(err.Error(), ":3") {
		t.Errorf("a syntax error: %v; want that one error, on line 3", err)
	}
}

func TestWhy(t *testing.T) {
	b := openBot(t, writeConfig(t, ""))
	defer closeBot(t, b)
	conv := chat.Conversation{Platform: "test", Channel: "why"}
	ask := func(member chat.Member, text string) string {
		got := bottest.Ask(t, b.Inbox(), conv, member, text)
		if len(got) != 1 {
			t.Fatalf("%q: %d answers", text, len(got))
		}
		return got[0].Text
	}
	if got := ask(alice, "!why"); !strings.Contains(got, "Ask me something first") {
		t.Errorf("!why before any question: %q", got)
	}
	ask(alice, "how do I report a bug?")
	ask(chat.Member{ID: "u2", Name: "bo"}, "hello") // someone else's question is not alice's
	got := ask(alice, "!why")
	if !strings.Contains(got, `I read "how do I report a bug?" as **report_bug**`) || !strings.Contains(got, "Runner-up:") {
		t.Errorf("!why after a question: %q", got)
	}
	if got := ask(alice, "!why how do i instal it"); !strings.Contains(got, "as **install**") {
		t.Errorf("!why with a typo: %q", got)
	}
}

func TestOverlappingKnowledgeFolders(t *testing.T) {
	path := writeConfig(t, "knowledge:\n  folders:\n    - path: docs\n      base_url: https://example.org/a/\n    - path: ./docs/guide/\n      base_url: https://example.org/b/\n")
	os.MkdirAll(filepath.Join(filepath.Dir(path), "docs", "guide"), 0o755)
	_, err := LoadConfig(path)
	if err == nil || !strings.Contains(err.Error(), "docent.yaml:12:13: knowledge.folders[1].path: ") || !strings.Contains(err.Error(), "overlaps knowledge.folders[0]") {
		t.Errorf("overlapping folders: %v", err)
	}
}

func TestDiscordConfig(t *testing.T) {
	path := writeConfig(t, "adapters:\n  discord:\n    enabled: true\n    help_channels: [general]\n")
	_, err := LoadConfig(path)
	if err == nil || !strings.Contains(err.Error(), "adapters.discord.token: is required") || !strings.Contains(err.Error(), "adapters.discord.help_channels: item 1 must be a numeric Discord ID") {
		t.Errorf("discord without a token: %v", err)
	}
	t.Setenv("DOCENT_TEST_DISCORD", "abc.def.ghi")
	write(t, path, strings.Replace(mustRead(t, path), "    help_channels: [general]\n", "    token: ${DOCENT_TEST_DISCORD}\n", 1))
	b := openBot(t, path)
	defer closeBot(t, b)
	adapters, err := b.PlatformAdapters()
	if err != nil || len(adapters) != 1 || adapters[0].Name() != "discord" {
		t.Fatalf("PlatformAdapters: %v, %v", adapters, err)
	}
	names := map[string]bool{}
	for _, c := range b.slashCommands() {
		names[c.Name] = true
	}
	if !names["ask"] || !names["why"] || !names["help"] || names["reload"] || names["usage"] {
		t.Errorf("slash commands %v: want ask and the members' commands, not the admins'", names)
	}
}

func TestSlackConfig(t *testing.T) {
	path := writeConfig(t, "adapters:\n  slack:\n    enabled: true\n    bot_token: nope\n")
	_, err := LoadConfig(path)
	if err == nil || !strings.Contains(err.Error(), "adapters.slack.bot_token") || !strings.Contains(err.Error(), "adapters.slack.app_token") {
		t.Errorf("slack with bad tokens: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "nope") {
		t.Errorf("the error shows the token: %v", err)
	}
}
