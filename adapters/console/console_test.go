package console

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/docent-bot/docent/chat"
)

// echoInbox answers every message at once with its text, as a bot would
// through the responder, and records what it was given.
type echoInbox struct {
	mu   sync.Mutex // guards msgs
	msgs []chat.Message
	// answer builds the answer to a message; nil echoes.
	answer func(m chat.Message) chat.Answer
}

func (e *echoInbox) Deliver(ctx context.Context, m chat.Message, r chat.Responder) error {
	e.mu.Lock()
	e.msgs = append(e.msgs, m)
	e.mu.Unlock()
	a := chat.Answer{Text: "echo: " + m.Text, Source: chat.SourceIntent, Intent: "echo", Confidence: 0.9}
	if e.answer != nil {
		a = e.answer(m)
	}
	if _, err := r.Reply(ctx, a); err != nil {
		return err
	}
	if f, ok := r.(chat.Finisher); ok {
		f.Finish()
	}
	return nil
}

var me = chat.Member{ID: "console:me", Name: "me"}

// Piped, each line gets one line back, so that a script can pair them: a
// blank line is asked nothing and gets a blank line (before, it got
// nothing, and every later answer was one line off its question).
func TestPiped(t *testing.T) {
	in := &echoInbox{}
	var out strings.Builder
	a := New(strings.NewReader("hello\n\n   \nhow do I\n"), &out, Options{Member: me})
	if err := a.Run(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "echo: hello\n\n\necho: how do I\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
	if len(in.msgs) != 2 {
		t.Fatalf("%d messages delivered, want 2 (blank lines are not asked)", len(in.msgs))
	}
	m := in.msgs[0]
	if m.Conversation != Conversation || m.Author != me || !m.Direct || m.Time.IsZero() {
		t.Errorf("message %+v", m)
	}
}

func TestPipedJoinsLinesOfAnAnswer(t *testing.T) {
	in := &echoInbox{answer: func(chat.Message) chat.Answer {
		return chat.Answer{Text: "first line\n- second\n\n  third"}
	}}
	var out strings.Builder
	New(strings.NewReader("q\n"), &out, Options{}).Run(context.Background(), in)
	if got := out.String(); got != "first line - second third\n" {
		t.Errorf("output %q, want the answer on one line", got)
	}
}

func TestJSON(t *testing.T) {
	in := &echoInbox{answer: func(m chat.Message) chat.Answer {
		return chat.Answer{Text: "see <https://x.org/a?b=1&c=2>", Source: chat.SourceFallback, Confidence: 0.25, ReplyTo: 7,
			Candidates: []chat.Candidate{{Intent: "docs", Confidence: 0.25}}}
	}}
	var out strings.Builder
	New(strings.NewReader("where?\n"), &out, Options{JSON: true}).Run(context.Background(), in)
	if !strings.Contains(out.String(), "<https://x.org/a?b=1&c=2>") {
		t.Errorf("JSON escapes the link: %s", out.String())
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	for k, want := range map[string]any{"source": "fallback", "confidence": 0.25, "reply_to": 7.0} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
	if _, ok := got["text"]; !ok {
		t.Error("no text field")
	}
}

// With --json each line gets one object too, with the number of the line
// it answers; a blank line's has an empty text and source.
func TestJSONOneObjectALine(t *testing.T) {
	in := &echoInbox{}
	var out strings.Builder
	New(strings.NewReader("hello\n\n \t\nhow do I\n"), &out, Options{JSON: true}).Run(context.Background(), in)
	type got struct {
		Line   int    `json:"line"`
		Text   string `json:"text"`
		Source string `json:"source"`
	}
	var answers []got
	for dec := json.NewDecoder(strings.NewReader(out.String())); dec.More(); {
		var a got
		if err := dec.Decode(&a); err != nil {
			t.Fatalf("%v: %s", err, out.String())
		}
		answers = append(answers, a)
	}
	want := []got{{1, "echo: hello", "intent"}, {2, "", ""}, {3, "", ""}, {4, "echo: how do I", "intent"}}
	if !reflect.DeepEqual(answers, want) || strings.Count(out.String(), "\n") != 4 {
		t.Errorf("answers %+v, want %+v, one a line:\n%s", answers, want, out.String())
	}
}

// On a terminal a blank line is asked nothing: the prompt comes again.
func TestInteractiveBlankLine(t *testing.T) {
	in := &echoInbox{}
	var out strings.Builder
	New(strings.NewReader("\nhi\n"), &out, Options{Interactive: true, BotName: "Docent"}).Run(context.Background(), in)
	want := "Docent here. Ask me a question; !help lists my commands; Ctrl-D quits.\n> > Docent: echo: hi\n> \n"
	if out.String() != want || len(in.msgs) != 1 {
		t.Errorf("screen:\n%q\nwant\n%q", out.String(), want)
	}
}

func TestInteractive(t *testing.T) {
	in := &echoInbox{answer: func(chat.Message) chat.Answer { return chat.Answer{Text: "two\nlines"} }}
	var out strings.Builder
	New(strings.NewReader("hi\n"), &out, Options{Interactive: true, BotName: "Docent"}).Run(context.Background(), in)
	want := "Docent here. Ask me a question; !help lists my commands; Ctrl-D quits.\n> Docent: two\n  lines\n> \n"
	if out.String() != want {
		t.Errorf("screen:\n%q\nwant\n%q", out.String(), want)
	}
}

func TestLineTooLong(t *testing.T) {
	var out strings.Builder
	in := "ok\n" + strings.Repeat("x", 100) + "\n" + strings.Repeat("y", 50) + "\r\nlast"
	err := New(strings.NewReader(in), &out, Options{MaxLineBytes: 50}).Run(context.Background(), &echoInbox{})
	// (readLine is also fuzzed with a 16-byte buffer, so lines and "\r\n" cross chunk boundaries.)
	if err != nil {
		t.Fatalf("Run: %v; a long line must not stop the console", err)
	}
	want := "echo: ok\n" +
		"Line 2 is too long for me (100 bytes; the console reads up to 50), so I skipped it.\n" +
		"echo: " + strings.Repeat("y", 50) + "\n" +
		"echo: last\n"
	if out.String() != want {
		t.Errorf("output\n%q\nwant\n%q", out.String(), want)
	}
}

func TestRefusedMessageDoesNotStopReading(t *testing.T) {
	stopped := errors.New("stopped")
	in := &failingInbox{fail: map[string]error{"bad": errors.New("disk on fire"), "stop": stopped}}
	var out strings.Builder
	err := New(strings.NewReader("bad\ngood\nstop\nnever\n"), &out, Options{Stopped: stopped}).Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	want := "Sorry, I could not take line 1: disk on fire\necho: good\n"
	if out.String() != want {
		t.Errorf("output %q, want %q (and nothing after the inbox stopped)", out.String(), want)
	}
}

type failingInbox struct {
	echoInbox
	fail map[string]error
}

func (f *failingInbox) Deliver(ctx context.Context, m chat.Message, r chat.Responder) error {
	if err := f.fail[m.Text]; err != nil {
		return err
	}
	return f.echoInbox.Deliver(ctx, m, r)
}

func FuzzReadLine(f *testing.F) {
	f.Add([]byte("a\nbb\r\n\nccc"), 2)
	f.Add([]byte(strings.Repeat("x", 70000)+"\n"), 10)
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		max = 1 + int(uint(max)%100)
		br := bufio.NewReaderSize(bytes.NewReader(in), 16)
		total := 0
		for {
			l, err := readLine(br, max)
			if err != nil {
				break
			}
			if len(l.text) > max || strings.HasSuffix(l.text, "\n") {
				t.Fatalf("line %q with max %d", l.text, max)
			}
			total += len(l.text) + l.tooLong
		}
		if total > len(in) {
			t.Fatalf("read %d bytes of lines from %d bytes", total, len(in))
		}
	})
}

func TestStopsWhenContextEnds(t *testing.T) { synctest.Test(t, testStopsWhenContextEnds) }

func testStopsWhenContextEnds(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- New(pr, io.Discard, Options{}).Run(ctx, &echoInbox{}) }()
	cancel()
	if err := <-done; err != nil { // a Run that never returns fails the bubble: deadlock
		t.Fatalf("Run: %v, want nil on shutdown", err)
	}
}

// slowInbox answers later, from another goroutine, as the bot does.
type slowInbox struct{ wg sync.WaitGroup }

func (s *slowInbox) Deliver(ctx context.Context, m chat.Message, r chat.Responder) error {
	s.wg.Go(func() {
		time.Sleep(20 * time.Millisecond)
		r.Reply(ctx, chat.Answer{Text: "late: " + m.Text})
		r.(chat.Finisher).Finish()
	})
	return nil
}

func TestConsoleAnswersKeepLineOrder(t *testing.T) { synctest.Test(t, testConsoleAnswersKeepLineOrder) }

func testConsoleAnswersKeepLineOrder(t *testing.T) {
	in := &slowInbox{}
	var out strings.Builder
	var mu sync.Mutex
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) })
	New(strings.NewReader("first\n"+strings.Repeat("x", 80)+"\nthird\n"), w, Options{MaxLineBytes: 50}).Run(context.Background(), in)
	in.wg.Wait()
	want := "late: first\nLine 2 is too long for me (80 bytes; the console reads up to 50), so I skipped it.\nlate: third\n"
	if out.String() != want {
		t.Errorf("output\n%q\nwant\n%q", out.String(), want)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// export is a member's data export, sent privately with a file, as the bot
// answers "export me"; its name tries to leave the files folder.
func export(data string) chat.Answer {
	return chat.Answer{Text: "Here is everything I store about you.", Source: chat.SourceCommand, Private: true,
		File: &chat.File{Name: "../docent-export.json", ContentType: "application/json", Data: []byte(data)}}
}

func TestFileIsSavedAndItsPathShown(t *testing.T) {
	dir := t.TempDir()
	// A file of that name is there already: it must survive.
	if err := os.WriteFile(filepath.Join(dir, "docent-export.json"), []byte("older export"), 0o600); err != nil {
		t.Fatal(err)
	}
	const data = `{"member":"console:me","messages":[{"text":"héllo"}]}`
	for _, tc := range []struct {
		name string
		opts Options
		file string
		want func(path string) string
	}{
		{"piped", Options{}, "docent-export-2.json", func(p string) string {
			return "Here is everything I store about you. (file: " + p + ")\n"
		}},
		{"interactive", Options{Interactive: true, BotName: "Docent"}, "docent-export-3.json", func(p string) string {
			return "Docent here. Ask me a question; !help lists my commands; Ctrl-D quits.\n> " +
				"Docent: Here is everything I store about you.\n  File: " + p + "\n> \n"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.FilesDir = dir
			in := &echoInbox{answer: func(chat.Message) chat.Answer { return export(data) }}
			var out strings.Builder
			if err := New(strings.NewReader("export me\n"), &out, tc.opts).Run(context.Background(), in); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, tc.file)
			if got := out.String(); got != tc.want(path) {
				t.Errorf("output\n%q\nwant\n%q", got, tc.want(path))
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != data {
				t.Errorf("%s holds %q (%v), want %q", path, got, err, data)
			}
			if fi, err := os.Stat(path); err != nil {
				t.Error(err)
			} else if fi.Mode().Perm()&0o077 != 0 {
				t.Errorf("%s: mode %v, want readable by its owner only", path, fi.Mode())
			}
		})
	}
	if old, err := os.ReadFile(filepath.Join(dir, "docent-export.json")); err != nil || string(old) != "older export" {
		t.Errorf("the older file now holds %q (%v)", old, err)
	}
	if names, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), "docent-export*")); len(names) > 0 {
		t.Errorf("a file was written outside the files folder: %v", names)
	}
}

func TestJSONShowsTheSavedFileNotItsBytes(t *testing.T) {
	dir := t.TempDir()
	const data = `{"secret-looking":"bytes"}`
	in := &echoInbox{answer: func(chat.Message) chat.Answer { return export(data) }}
	var out strings.Builder
	if err := New(strings.NewReader("export me\n"), &out, Options{JSON: true, FilesDir: dir}).Run(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Text    string         `json:"text"`
		Private bool           `json:"private"`
		File    map[string]any `json:"file"`
	}
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	path := filepath.Join(dir, "docent-export.json")
	want := map[string]any{"name": "docent-export.json", "content_type": "application/json", "path": path, "bytes": float64(len(data))}
	if !got.Private || got.Text == "" || !reflect.DeepEqual(got.File, want) {
		t.Errorf("printed %s\nwant private, the text and file %v", out.String(), want)
	}
	if strings.Contains(out.String(), "secret-looking") || strings.Contains(out.String(), `"data"`) {
		t.Errorf("the file's bytes are printed: %s", out.String())
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != data {
		t.Errorf("%s holds %q (%v)", path, b, err)
	}
}

func TestFileThatCannotBeSavedFailsTheReply(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-folder")
	var out strings.Builder
	a := New(strings.NewReader(""), &out, Options{FilesDir: missing})
	r := &responder{a: a, done: make(chan struct{})}
	_, err := r.Reply(context.Background(), export("{}"))
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Reply = %v, want an error naming %s", err, missing)
	}
	if out.Len() != 0 {
		t.Errorf("printed %q for an answer whose file was not saved", out.String())
	}
}

func TestFilesDirDefaultsToTheTempFolder(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("os.TempDir reads TMPDIR on Unix only")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var out strings.Builder
	a := New(strings.NewReader(""), &out, Options{})
	r := &responder{a: a, done: make(chan struct{})}
	if _, err := r.Reply(context.Background(), export("{}")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(tmp, "docent-export.json")
	if b, err := os.ReadFile(path); err != nil || string(b) != "{}" {
		t.Errorf("%s holds %q (%v)", path, b, err)
	}
	if !strings.Contains(out.String(), path) {
		t.Errorf("printed %q, want the path %s", out.String(), path)
	}
}
