package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/store"
)

// An import through a running Docent (`docent import` while Docent has
// the database open): the command line sends the file's bytes over the
// control socket, never a name for Docent to open, and the running Docent
// imports them as an offline import does, in batches, each one transaction
// through its store's writer, so that members' messages are stored and
// answered between batches. Its progress, the lines it skips and its
// summary come back as JSON lines (remoteEvent). The command line stops
// sending when it is interrupted; Docent then stops after the batch it is
// committing.

// ControlOp is the import's op on the control socket.
const ControlOp = "import"

// File is one file to import through a running Docent, as the command
// line reads it.
type File struct {
	// Key is the name its progress mark is kept under: the file's
	// absolute name, as an offline import keeps it, so either resumes the
	// other.
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	Format string `json:"format"` // FormatJSONL, FormatDiscord or FormatSlack
}

// The formats an import reads.
const (
	FormatJSONL   = "jsonl"
	FormatDiscord = "discord"
	FormatSlack   = "slack"
)

// FormatOf is the format of the file name: a .zip is a Slack export, a
// .json (or .json.gz) a DiscordChatExporter export, anything else JSONL.
func FormatOf(name string) string {
	switch {
	case strings.HasSuffix(name, ".zip"):
		return FormatSlack
	case discordExport(name):
		return FormatDiscord
	default:
		return FormatJSONL
	}
}

// remoteArgs are the import op's request.
type remoteArgs struct {
	File
	Platform string `json:"platform"`
	Batch    int    `json:"batch,omitempty"`
}

// remoteEvent is one line the running Docent sends back: progress, a line
// skipped, or the end.
type remoteEvent struct {
	Kind    string   `json:"kind"`           // "progress", "bad", "done"
	Read    int64    `json:"read,omitempty"` // progress: bytes of the file read
	Line    int      `json:"line,omitempty"` // bad: the line (or message) skipped
	Error   string   `json:"error,omitempty"`
	Summary *Summary `json:"summary,omitempty"` // done
}

// maxKey bounds a progress mark's name: a path.
const maxKey = 4096

// errStopped is what Docent reads when the command line stopped sending
// before the end of the file.
var errStopped = errors.New("the command line stopped sending the file")

// ImportRunning imports r, the file f, through the Docent running on the
// database (dial is module.Configuration.Control), as the import
// functions do offline: opts.Bad and opts.Progress are told as Docent goes,
// and the summary is Docent's. When ctx ends, it stops sending; Docent
// stops after the batch it is committing, and the error says so.
func ImportRunning(ctx context.Context, dial module.Dialer, f File, r io.Reader, opts Options) (Summary, error) {
	conn, err := dial(ctx, ControlOp, remoteArgs{File: f, Platform: opts.Platform, Batch: opts.Batch})
	if err != nil {
		return Summary{}, fmt.Errorf("importer: %s: import through the running Docent: %w", f.Key, err)
	}
	defer conn.Close()
	sent := make(chan error, 1)
	go func() {
		_, err := io.CopyN(conn, r, f.Size)
		sent <- errors.Join(err, conn.CloseWrite())
	}()
	// Interrupted: stop sending at once (the write under way fails); what
	// Docent read so far it finishes with, and says so.
	stop := context.AfterFunc(ctx, func() { conn.SetWriteDeadline(time.Now()) })
	defer stop()
	dec := json.NewDecoder(conn)
	for {
		var e remoteEvent
		if err := dec.Decode(&e); err != nil {
			conn.Close()
			<-sent
			return Summary{}, fmt.Errorf("importer: %s: the running Docent stopped answering (what it committed stays; import again to resume): %w", f.Key, err)
		}
		switch e.Kind {
		case "progress":
			if opts.Progress != nil {
				opts.Progress(e.Read)
			}
		case "bad":
			if opts.Bad != nil {
				opts.Bad(e.Line, errors.New(e.Error))
			}
		case "done":
			var sum Summary
			if e.Summary != nil {
				sum = *e.Summary
			}
			if e.Error != "" {
				// Docent may have stopped reading before the end: what
				// is still being sent goes nowhere.
				conn.Close()
				<-sent
				return sum, errors.New(e.Error)
			}
			// Docent read it all: everything was sent.
			if err := <-sent; err != nil {
				return sum, fmt.Errorf("importer: %s: send: %w", f.Key, err)
			}
			return sum, nil
		}
	}
}

// ControlOps is the import's op on the control socket.
func (mod *Module) ControlOps() []module.ControlOp {
	return []module.ControlOp{{Name: ControlOp, Serve: mod.serveImport}}
}

// serveImport imports what the command line sends (ImportRunning), into
// the running Docent's store.
func (mod *Module) serveImport(ctx context.Context, raw json.RawMessage, conn io.ReadWriter) error {
	enc := json.NewEncoder(conn)
	// A client gone away stops sending too: the import stops when it
	// reads that, so an event that cannot be sent is dropped.
	send := func(e remoteEvent) { _ = enc.Encode(e) }
	var a remoteArgs
	err := json.Unmarshal(raw, &a)
	switch {
	case err != nil:
		err = fmt.Errorf("importer: read the request: %w", err)
	case a.Key == "" || len(a.Key) > maxKey || strings.ContainsRune(a.Key, 0):
		err = fmt.Errorf("importer: the file's name must be 1 to %d bytes, with no NUL", maxKey)
	case a.Size < 0:
		err = fmt.Errorf("importer: %s: a size of %d bytes", a.Key, a.Size)
	case a.Format != FormatJSONL && a.Format != FormatDiscord && a.Format != FormatSlack:
		err = fmt.Errorf("importer: %s: format %q is none of %s, %s, %s", a.Key, a.Format, FormatJSONL, FormatDiscord, FormatSlack)
	case a.Platform == "" || strings.ContainsRune(a.Platform, 0):
		err = fmt.Errorf("importer: %s: no platform to import into", a.Key)
	case mod.history == nil:
		err = errors.New("importer: this Docent has no store to import into")
	}
	if err != nil {
		send(remoteEvent{Kind: "done", Error: err.Error()})
		return err
	}
	opts := Options{
		Platform: a.Platform, Batch: a.Batch,
		Bad:      func(line int, err error) { send(remoteEvent{Kind: "bad", Line: line, Error: err.Error()}) },
		Progress: func(read int64) { send(remoteEvent{Kind: "progress", Read: read}) },
	}
	body := &streamed{r: conn, left: a.Size}
	sum, err := importStream(ctx, mod.history, a.File, body, opts, mod.dataDir)
	if errors.Is(err, errStopped) {
		err = fmt.Errorf("importer: %s: stopped by the command line; the batches committed stay (import again to resume)", a.Key)
	}
	done := remoteEvent{Kind: "done", Summary: &sum}
	if err != nil {
		done.Error = err.Error()
	}
	send(done)
	return err
}

// importStream imports r, the file f, into h. A Slack export is a zip,
// read from its end: it is kept in a temporary file (the owner's alone)
// first, removed after, in the temporary folder or, on a system without
// one (a container FROM scratch), in dataDir, beside the database.
func importStream(ctx context.Context, h History, f File, r io.Reader, opts Options, dataDir string) (Summary, error) {
	switch f.Format {
	case FormatDiscord:
		return ImportDiscord(ctx, h, f.Key, f.Size, r, opts)
	case FormatSlack:
		dir := os.TempDir()
		if fi, err := os.Stat(dir); (err != nil || !fi.IsDir()) && dataDir != "" {
			dir = dataDir
		}
		tmp, err := os.CreateTemp(dir, ".docent-import-*.zip")
		if err != nil {
			return Summary{}, fmt.Errorf("importer: %s: keep the export while it is read: %w", f.Key, err)
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		if _, err := io.Copy(tmp, r); err != nil {
			return Summary{}, fmt.Errorf("importer: %s: receive the export: %w", f.Key, err)
		}
		return ImportSlack(ctx, h, f.Key, f.Size, tmp, opts)
	default:
		return ImportJSONL(ctx, h, f.Key, f.Size, r, opts)
	}
}

// streamed reads the left bytes of the file the command line sends, and
// errStopped when it stops before their end.
type streamed struct {
	r    io.Reader
	left int64
}

func (s *streamed) Read(p []byte) (int, error) {
	if s.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	n, err := s.r.Read(p)
	s.left -= int64(n)
	if errors.Is(err, io.EOF) && s.left > 0 {
		err = errStopped
	}
	return n, err
}

// hostHistory is the running Docent's store as an import's History: the
// module's buckets (the progress marks) and the core's records.
type hostHistory struct {
	store.Buckets
	module.History
}
