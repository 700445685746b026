package bot

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/bot/importer"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// runImportBot runs a bot with its control socket, and returns it and the
// dialer `docent import` uses to reach it (module.Configuration.Control).
func runImportBot(t *testing.T) (*Bot, module.Dialer) {
	t.Helper()
	b := openBot(t, writeConfig(t, ""))
	b.cfg.Ops.Listen = "off"
	runBot(t, b, idle{})
	// Run listens on the socket in its own goroutine: wait until it does.
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := os.Stat(ControlPath(b.cfg)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the running bot's control socket never appeared")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return b, func(ctx context.Context, op string, args any) (module.ControlConn, error) {
		return DialControl(ctx, b.cfg, op, args)
	}
}

// historyLines is a JSONL history of n lines in three channels, one a
// minute from start, and its messages' texts by channel, in order.
func historyLines(n int) ([]byte, map[string][]string) {
	start := time.Date(2019, 3, 1, 9, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	texts := map[string][]string{}
	for i := range n {
		ch := fmt.Sprintf("#chan%d", i%3)
		text := fmt.Sprintf("line %d: how do I reindex collection %d?", i+1, i)
		fmt.Fprintf(&buf, `{"time": %q, "channel": %q, "author": "member%d", "text": %q}`+"\n",
			start.Add(time.Duration(i)*time.Minute).Format(time.RFC3339), ch, i%17, text)
		texts[ch] = append(texts[ch], text)
	}
	return buf.Bytes(), texts
}

// heldReader reads r, stopping after hold bytes until release is closed
// (or ctx ends: then it fails, as a read interrupted would); held is
// closed when it stops there.
type heldReader struct {
	ctx     context.Context
	r       io.Reader
	hold, n int64
	held    chan struct{}
	release chan struct{}
	once    sync.Once
}

func (h *heldReader) Read(p []byte) (int, error) {
	if h.n == h.hold {
		h.once.Do(func() { close(h.held) })
		select {
		case <-h.release:
		case <-h.ctx.Done():
			return 0, h.ctx.Err()
		}
	}
	if h.n < h.hold && int64(len(p)) > h.hold-h.n {
		p = p[:h.hold-h.n]
	}
	n, err := h.r.Read(p)
	h.n += int64(n)
	return n, err
}

// storedTexts are the texts stored in the history's channels, oldest
// first.
func storedTexts(t *testing.T, st *store.Store, channels []string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, ch := range channels {
		recs, err := st.Conversation(context.Background(), chat.Conversation{Platform: "irc", Channel: ch}, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range slices.Backward(recs) {
			out[ch] = append(out[ch], r.Text)
		}
	}
	return out
}

// TestImportThroughRunningDocent: `docent import` with Docent running
// sends the file through the control socket, and the running Docent
// imports it in batches while it goes on storing and answering members'
// messages: a member is answered while the import is held halfway, the
// import is then complete and exact, and importing it again adds
// nothing. The longest wait of a member's message to be stored while the
// import ran is logged (not asserted: it depends on the machine).
func TestImportThroughRunningDocent(t *testing.T) {
	b, dial := runImportBot(t)
	const n = 3000
	data, want := historyLines(n)
	ctx := context.Background()
	r := &heldReader{ctx: ctx, r: bytes.NewReader(data), hold: int64(len(data) / 2), held: make(chan struct{}), release: make(chan struct{})}
	progress := make(chan int64, 100)
	file := importer.File{Key: "/somewhere/history.jsonl", Size: int64(len(data)), Format: importer.FormatJSONL}
	type result struct {
		sum importer.Summary
		err error
	}
	done := make(chan result, 1)
	began := time.Now()
	go func() {
		sum, err := importer.ImportRunning(ctx, dial, file, r, importer.Options{Platform: "irc", Batch: 200,
			Bad:      func(line int, err error) { t.Errorf("line %d skipped: %v", line, err) },
			Progress: func(read int64) { progress <- read }})
		done <- result{sum, err}
	}()

	// Members keep writing while the import runs: each message's wait to
	// be stored is measured.
	stopWriting := make(chan struct{})
	var waits []time.Duration
	writing := make(chan struct{})
	go func() {
		defer close(writing)
		conv := chat.Conversation{Platform: "discord", Channel: "live"}
		for i := 0; ; i++ {
			select {
			case <-stopWriting:
				return
			default:
			}
			m := chat.Message{Conversation: conv, Author: chat.Member{ID: "9", Name: "bea"}, Text: fmt.Sprintf("note %d", i), Time: time.Now()}
			start := time.Now()
			if err := b.Inbox().Deliver(ctx, m, bottest.NewRecorder()); err != nil && !errors.Is(err, chat.ErrBusy) {
				t.Errorf("deliver a message during the import: %v", err)
				return
			}
			waits = append(waits, time.Since(start))
			time.Sleep(2 * time.Millisecond) // a busy channel, not a flood
		}
	}()

	<-r.held
	select {
	case read := <-progress:
		t.Logf("a batch is committed (%d bytes read); the import waits for the rest of the file", read)
	case res := <-done:
		t.Fatalf("the import ended before the second half of the file was sent: %+v, %v", res.sum, res.err)
	}
	conv := chat.Conversation{Platform: "discord", Channel: "c1"}
	if got := bottest.Ask(t, b.Inbox(), conv, chat.Member{ID: "7", Name: "ann"}, "hello"); len(got) != 1 || got[0].Text != "Hello ann!" {
		t.Errorf("answer during the import: %+v, want Hello ann!", got)
	}
	select {
	case res := <-done:
		t.Fatalf("the import ended before the second half of the file was sent: %+v, %v", res.sum, res.err)
	default:
	}
	close(r.release)
	released := time.Now()
	res := <-done
	took, afterHold := time.Since(began), time.Since(released)
	close(stopWriting)
	<-writing
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.sum.Messages != n || res.sum.Lines != n || res.sum.Channels != 3 || res.sum.Members != 17 || res.sum.Duplicates != 0 || res.sum.Skipped != 0 {
		t.Errorf("summary %+v, want %d messages in 3 channels from 17 members", res.sum, n)
	}
	got := storedTexts(t, b.store, []string{"#chan0", "#chan1", "#chan2"})
	for ch, texts := range want {
		if !slices.Equal(got[ch], texts) {
			t.Errorf("%s: stored %d messages, want the file's %d in order", ch, len(got[ch]), len(texts))
		}
	}
	longest := slices.Max(append(waits, 0))
	t.Logf("longest wait of a member's message to be stored during the import: %v (%d messages stored while it ran); the import took %v, %v of it after the hold, for %d lines in batches of 200",
		longest, len(waits), took, afterHold, n)

	again, err := importer.ImportRunning(ctx, dial, file, bytes.NewReader(data), importer.Options{Platform: "irc", Batch: 200})
	if err != nil || again.Messages != 0 || again.Resumed != n {
		t.Errorf("the same file again: %+v, %v; want nothing new, every line resumed", again, err)
	}
}

// slackExport is a small Slack export: a channel, a member, a day with a
// message, a join, and a broken day.
func slackExport(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"channels.json":            `[{"id": "C01", "name": "general"}]`,
		"users.json":               `[{"id": "U01", "name": "ann", "profile": {"display_name": "Ann"}}]`,
		"general/2021-05-04.json":  `[{"type": "message", "user": "U01", "text": "how do I deploy?", "ts": "1620115200.000100"}, {"type": "message", "subtype": "channel_join", "user": "U01", "ts": "1620115201.000100"}]`,
		"general/2021-05-05.json":  `[{"type": "message", "user": "U01", "text": "never mind", "ts": "1620201600.000100"}]`,
		"general/2021-05-06.json":  `[{"type": "message", "user": "U01", "te`,
		"random/2021-05-04.json":   `[]`,
		"__MACOSX/._whatever.json": `x`,
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestImportThroughRunningDocentAsOffline: each format through the socket
// gives what offline gives: the same lines skipped with the same numbers
// and reasons (garbled input), the same error for a broken export, the
// same summary.
func TestImportThroughRunningDocentAsOffline(t *testing.T) {
	_, dial := runImportBot(t)
	offline, err := store.Open(t.TempDir()+"/offline.db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer offline.Close()
	ctx := context.Background()
	type skipped struct {
		line int
		err  string
	}
	for _, tc := range []struct {
		name, format string
		data         string
	}{
		{"garbled.jsonl", importer.FormatJSONL, `{"time": "2019-03-01T09:00:00Z", "channel": "#c", "author": "ann", "text": "fine"}` + "\n" +
			`{"time": "never"}` + "\n" + "\x00\xff not json\n" + `{"time": "2019-03-01T09:01:00Z", "channel": "#c", "author": "bob", "text": "\ud800 decoded as U+FFFD"}` + "\n" +
			`{"time": "2019-03-01T09:02:00Z", "channel": "#c", "author": "", "text": "who?"}` + "\n" + `{"time": "2019-03-01T09:03:00Z", "channel": "#c", "author": "cy", "text": "also fine"}`},
		{"broken.json", importer.FormatDiscord, `{"guild": {"id": "1"}, "channel": {"id": "2", "type": "GuildTextChat"}, "messages": [{"id": "3", "type": "Default", "timestamp": "2020-01-01T00:00:00Z", "author": {"id": "4", "name": "ann"}, "content": "hi"}, {"id": `},
		{"not-a.zip", importer.FormatSlack, "PK\x03\x04 this is no zip"},
		{"discord-channel.json", importer.FormatDiscord, mustRead(t, "importer/testdata/discord-channel.json")},
		{"workspace.zip", importer.FormatSlack, slackExport(t)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := importer.File{Key: "/elsewhere/" + tc.name, Size: int64(len(tc.data)), Format: tc.format}
			run := func(imp func(importer.Options) (importer.Summary, error)) ([]skipped, importer.Summary, error) {
				var bad []skipped
				sum, err := imp(importer.Options{Platform: "irc", Bad: func(line int, err error) { bad = append(bad, skipped{line, err.Error()}) }})
				return bad, sum, err
			}
			wantBad, wantSum, wantErr := run(func(o importer.Options) (importer.Summary, error) {
				switch tc.format {
				case importer.FormatDiscord:
					return importer.ImportDiscord(ctx, offline, file.Key, file.Size, strings.NewReader(tc.data), o)
				case importer.FormatSlack:
					return importer.ImportSlack(ctx, offline, file.Key, file.Size, strings.NewReader(tc.data), o)
				}
				return importer.ImportJSONL(ctx, offline, file.Key, file.Size, strings.NewReader(tc.data), o)
			})
			gotBad, gotSum, gotErr := run(func(o importer.Options) (importer.Summary, error) {
				return importer.ImportRunning(ctx, dial, file, strings.NewReader(tc.data), o)
			})
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Errorf("error through the socket:\n%v\nwant, as offline:\n%v", gotErr, wantErr)
			}
			if !slices.Equal(gotBad, wantBad) {
				t.Errorf("skipped through the socket %v, want, as offline, %v", gotBad, wantBad)
			}
			if gotSum != wantSum {
				t.Errorf("summary through the socket %+v, want, as offline, %+v", gotSum, wantSum)
			}
			if tc.format == importer.FormatJSONL && (len(gotBad) != 3 || gotBad[0].line != 2 || gotBad[1].line != 3 || gotBad[2].line != 5 || gotSum.Messages != 3) {
				t.Errorf("skipped %v, summary %+v: want lines 2, 3 and 5 skipped, 3 messages", gotBad, gotSum)
			}
			switch tc.name {
			case "broken.json", "not-a.zip":
				if gotErr == nil || !strings.Contains(gotErr.Error(), file.Key) {
					t.Errorf("error %v, want one naming %s", gotErr, file.Key)
				}
			case "discord-channel.json":
				if gotErr != nil || gotSum.Messages != 4 || gotSum.Skipped != 1 {
					t.Errorf("summary %+v, %v: want 4 messages, 1 skipped (as TestImportDiscordExport)", gotSum, gotErr)
				}
			case "workspace.zip":
				if gotErr != nil || gotSum.Messages != 2 || gotSum.Other != 1 || len(gotBad) != 1 {
					t.Errorf("summary %+v, skipped %v, %v: want 2 messages, the join, the broken day", gotSum, gotBad, gotErr)
				}
			}
		})
	}
}

// TestImportThroughRunningDocentStopped: when the command line stops
// (Ctrl-C) halfway, the running Docent stops after its batch, says so,
// keeps what it committed, and the next import resumes there: every line
// once, none twice.
func TestImportThroughRunningDocentStopped(t *testing.T) {
	b, dial := runImportBot(t)
	const n = 2000
	data, want := historyLines(n)
	file := importer.File{Key: "/somewhere/stopped.jsonl", Size: int64(len(data)), Format: importer.FormatJSONL}
	ctx, interrupt := context.WithCancel(context.Background())
	r := &heldReader{ctx: ctx, r: bytes.NewReader(data), hold: int64(len(data) / 2), held: make(chan struct{}), release: make(chan struct{})}
	progress := make(chan int64, 100)
	type result struct {
		sum importer.Summary
		err error
	}
	done := make(chan result, 1)
	go func() {
		sum, err := importer.ImportRunning(ctx, dial, file, r, importer.Options{Platform: "irc", Batch: 300,
			// The line cut where the command line stopped is not a bad one.
			Bad:      func(line int, err error) { t.Errorf("line %d reported skipped: %v", line, err) },
			Progress: func(read int64) { progress <- read }})
		done <- result{sum, err}
	}()
	<-r.held
	<-progress // a batch is in
	interrupt()
	res := <-done
	if res.err == nil || !strings.Contains(res.err.Error(), "stopped by the command line") {
		t.Fatalf("interrupted import: %v, want it stopped by the command line", res.err)
	}
	if res.sum.Messages == 0 || res.sum.Messages >= n || res.sum.Messages%300 != 0 {
		t.Errorf("interrupted import stored %d messages, want whole batches of 300, fewer than %d", res.sum.Messages, n)
	}
	stored := 0
	for _, texts := range storedTexts(t, b.store, []string{"#chan0", "#chan1", "#chan2"}) {
		stored += len(texts)
	}
	if stored != res.sum.Messages {
		t.Errorf("%d messages stored, the summary says %d", stored, res.sum.Messages)
	}

	rest, err := importer.ImportRunning(context.Background(), dial, file, bytes.NewReader(data), importer.Options{Platform: "irc", Batch: 300})
	if err != nil || rest.Resumed != res.sum.Messages || rest.Messages != n-res.sum.Messages || rest.Duplicates != 0 {
		t.Errorf("resumed import: %+v, %v; want %d resumed and %d new", rest, err, res.sum.Messages, n-res.sum.Messages)
	}
	got := storedTexts(t, b.store, []string{"#chan0", "#chan1", "#chan2"})
	for ch, texts := range want {
		if !slices.Equal(got[ch], texts) {
			t.Errorf("%s: stored %d messages, want the file's %d in order", ch, len(got[ch]), len(texts))
		}
	}
}

// opsModule is a module with control ops of the given names.
type opsModule struct{ names []string }

func (opsModule) Name() string { return "ops" }
func (m opsModule) ControlOps() []module.ControlOp {
	var ops []module.ControlOp
	for _, n := range m.names {
		ops = append(ops, module.ControlOp{Name: n, Serve: func(context.Context, json.RawMessage, io.ReadWriter) error { return nil }})
	}
	return ops
}

// TestControlOpNames: a module's op may not take a name of Docent's own
// or another module's.
func TestControlOpNames(t *testing.T) {
	for _, tc := range []struct {
		names []string
		bad   string
	}{
		{[]string{"reindex"}, ""},
		{[]string{"backup"}, `control op "backup": the name is taken`},
		{[]string{importer.ControlOp}, `control op "import": the name is taken`},
		{[]string{""}, "a control op needs a name"},
	} {
		ops, err := controlOps([]module.Module{importer.New(), opsModule{tc.names}})
		switch {
		case tc.bad == "" && (err != nil || ops[tc.names[0]].Serve == nil || ops[importer.ControlOp].Serve == nil):
			t.Errorf("%v: %v, %v; want both modules' ops", tc.names, ops, err)
		case tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)):
			t.Errorf("%v: %v, want %q", tc.names, err, tc.bad)
		}
	}
}
