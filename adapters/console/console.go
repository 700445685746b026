// Package console is the terminal adapter: a member types questions and
// Docent answers in the same terminal. With input that is not a terminal it
// reads one message a line and writes one answer a line (or one JSON object
// a line, with the number of the line it answers), so it can be scripted
// and tested like any Unix filter: a blank line is asked nothing and gets a
// blank line (an object with an empty text), keeping the answers in step.
package console

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/docent-bot/docent/adapters/internal/filename"
	"github.com/docent-bot/docent/chat"
)

// Platform is the platform name of console conversations.
const Platform = "console"

// Conversation is the one conversation the console holds: it continues
// across runs, so `docent history` shows it whole.
var Conversation = chat.Conversation{Platform: Platform, Channel: "local"}

// Options set how the console talks.
type Options struct {
	// Interactive shows a greeting and a prompt before each line; set it
	// when the input is a terminal. Either way each line waits for the
	// answer to the one before.
	Interactive bool
	// JSON writes each answer as one JSON object a line.
	JSON bool
	// Member is who is typing.
	Member chat.Member
	// BotName labels answers in interactive mode.
	BotName string
	// MaxLineBytes bounds one input line; 0 means 4 MiB. Longer lines are
	// skipped with an error answer.
	MaxLineBytes int
	// Stopped is the error the inbox returns once it takes no more
	// messages; the console then stops reading.
	Stopped error
	// FilesDir is the folder where a file sent with an answer (a member's
	// data export) is written, next to the database when the bot sets it.
	// Empty means the system's temporary folder (os.TempDir): always
	// writable, and it never litters the folder Docent was started in.
	// Files are readable by their owner only and never replace another.
	FilesDir string
}

// Adapter reads messages from in and writes answers to out.
type Adapter struct {
	in   io.Reader
	opts Options

	mu  sync.Mutex // guards out: answers arrive from the bot's goroutines
	out io.Writer
}

// New returns a console adapter.
func New(in io.Reader, out io.Writer, opts Options) *Adapter {
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = 4 << 20
	}
	if opts.BotName == "" {
		opts.BotName = "Docent"
	}
	return &Adapter{in: in, out: out, opts: opts}
}

// Name is the adapter's name in logs.
func (a *Adapter) Name() string { return Platform }

type line struct {
	n       int
	text    string
	tooLong int // the line's length when it was over MaxLineBytes (text is then empty)
}

// Run reads until the input ends or ctx is done. At the end of the input
// it returns nil; answers still being written arrive before the bot stops.
// A line the bot cannot take (too long, or refused by the inbox) gets an
// error answer in its place, so that piped output keeps one answer a line,
// and reading goes on.
func (a *Adapter) Run(ctx context.Context, inbox chat.Inbox) error {
	lines := make(chan line)
	readErr := make(chan error, 1)
	// The reader goroutine may stay blocked in Read after ctx is done (a
	// terminal read cannot be interrupted); it ends at the next line or at
	// the end of the input, and the process exits regardless.
	go func() {
		defer close(lines)
		br := bufio.NewReaderSize(a.in, 64<<10)
		for n := 1; ; n++ {
			l, err := readLine(br, a.opts.MaxLineBytes)
			if err != nil {
				if err == io.EOF {
					err = nil
				}
				readErr <- err
				return
			}
			l.n = n
			select {
			case lines <- l:
			case <-ctx.Done():
				readErr <- nil
				return
			}
		}
	}()

	if a.opts.Interactive {
		a.printf("%s here. Ask me a question; !help lists my commands; Ctrl-D quits.\n", a.opts.BotName)
	}
	// last is the newest message handed to the bot. The bot answers a
	// conversation in order, so once last is finished every earlier one
	// is too: the console waits for it before writing an answer of its
	// own, so that answers keep the order of the lines.
	var last *responder
	inOrder := func(ans chat.Answer, n int) bool {
		if last != nil {
			select {
			case <-last.done:
			case <-ctx.Done():
				return false
			}
		}
		a.write(ans, "", n)
		return true
	}
	for {
		a.prompt()
		var l line
		var ok bool
		select {
		case <-ctx.Done():
			a.newline()
			return nil
		case l, ok = <-lines:
		}
		if !ok {
			a.newline()
			if err := <-readErr; err != nil {
				return fmt.Errorf("read line %d: %w", l.n, err)
			}
			return nil
		}
		if l.tooLong > 0 {
			if !inOrder(chat.Answer{Source: chat.SourceError, Text: fmt.Sprintf(
				"Line %d is too long for me (%d bytes; the console reads up to %d), so I skipped it.", l.n, l.tooLong, a.opts.MaxLineBytes)}, l.n) {
				return nil
			}
			continue
		}
		if strings.TrimSpace(l.text) == "" {
			// A blank line asks nothing. Piped, it gets a blank line (an
			// empty answer with --json), so that a script pairing the
			// output's lines with the input's stays in step.
			if !a.opts.Interactive && !inOrder(chat.Answer{}, l.n) {
				return nil
			}
			continue
		}
		r := &responder{a: a, line: l.n, done: make(chan struct{})}
		m := chat.Message{
			Conversation: Conversation,
			Author:       a.opts.Member,
			Text:         l.text,
			Time:         time.Now(),
			Direct:       true,
		}
		if err := inbox.Deliver(ctx, m, r); err != nil {
			if ctx.Err() != nil || a.opts.Stopped != nil && errors.Is(err, a.opts.Stopped) {
				return nil
			}
			// Nothing was stored: say so in the answer's place and go on.
			if !inOrder(chat.Answer{Source: chat.SourceError, Text: fmt.Sprintf("Sorry, I could not take line %d: %v", l.n, err)}, l.n) {
				return nil
			}
			continue
		}
		last = r
		// The next line waits for this one's answer, piped or not: the
		// bot answers one member's messages one at a time anyway, and it
		// takes no more of them than fit its queue.
		select {
		case <-r.done:
		case <-ctx.Done():
			return nil
		}
	}
}

// readLine reads one line without its line ending. A line longer than max
// is read to its end and dropped, reporting its length instead.
func readLine(br *bufio.Reader, max int) (line, error) {
	var (
		buf  []byte
		size int  // the whole line's bytes, line ending included
		over bool // buf stopped growing: the line is too long
		prev byte // the byte before the current chunk, for a "\r\n" split across chunks
		last []byte
	)
	for {
		chunk, err := br.ReadSlice('\n')
		size += len(chunk)
		if len(last) > 0 {
			prev = last[len(last)-1]
		}
		last = chunk
		if !over && len(buf)+len(chunk) <= max+2 { // +2: room for "\r\n"
			buf = append(buf, chunk...)
		} else {
			over = true
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil && (err != io.EOF || size == 0) {
			return line{}, err // io.EOF at the start of a line: the input ended
		}
		break
	}
	ending := 0
	switch {
	case bytes.HasSuffix(last, []byte("\r\n")) || string(last) == "\n" && prev == '\r':
		ending = 2
	case bytes.HasSuffix(last, []byte("\n")):
		ending = 1
	}
	if over || size-ending > max {
		return line{tooLong: size - ending}, nil
	}
	return line{text: string(buf[:len(buf)-ending])}, nil
}

func (a *Adapter) newline() {
	if a.opts.Interactive {
		a.printf("\n")
	}
}

func (a *Adapter) prompt() {
	if a.opts.Interactive {
		a.printf("> ")
	}
}

func (a *Adapter) printf(format string, args ...any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fmt.Fprintf(a.out, format, args...)
}

// jsonAnswer is an answer as --json prints it: a file is shown by where
// it was saved, not by its bytes, and the answer by the input line it
// answers (none for an announcement).
type jsonAnswer struct {
	chat.Answer
	File *savedFile `json:"file,omitempty"` // shadows Answer.File
	Line int        `json:"line,omitempty"`
}

type savedFile struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type,omitempty"`
	Path        string `json:"path"`
	Bytes       int    `json:"bytes"`
}

// write prints one answer in the adapter's format; path is where its file
// was saved ("" without one), line the input line it answers (0: none).
func (a *Adapter) write(ans chat.Answer, path string, line int) error {
	var out string
	switch {
	case a.opts.JSON:
		ja := jsonAnswer{Answer: ans, Line: line}
		if ans.File != nil {
			ja.File = &savedFile{Name: filepath.Base(path), ContentType: ans.File.ContentType, Path: path, Bytes: len(ans.File.Data)}
		}
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // answers hold <links>; keep them readable
		if err := enc.Encode(ja); err != nil {
			return fmt.Errorf("console: encode answer: %w", err)
		}
		out = b.String()
	case a.opts.Interactive:
		text := strings.TrimSpace(ans.Text)
		if path != "" {
			text = strings.TrimSpace(text + "\nFile: " + path)
		}
		out = a.opts.BotName + ": " + strings.ReplaceAll(text, "\n", "\n  ") + "\n"
	default:
		// One answer a line: the lines of a long answer are joined.
		out = strings.Join(strings.Fields(ans.Text), " ")
		if path != "" {
			out = strings.TrimSpace(out + " (file: " + path + ")")
		}
		out += "\n"
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	_, err := io.WriteString(a.out, out)
	return err
}

// responder writes the answers to one message.
type responder struct {
	a    *Adapter
	line int // the input line of the message
	done chan struct{}
	once sync.Once
}

// Reply prints the answer. The console has one member, at the terminal, so
// a private answer is printed like any other; a file is saved first, in
// Options.FilesDir, and the answer shows where.
func (r *responder) Reply(_ context.Context, ans chat.Answer) (chat.Sent, error) {
	var path string
	if ans.File != nil {
		var err error
		if path, err = r.a.save(ans.File); err != nil {
			return chat.Sent{}, err
		}
	}
	if err := r.a.write(ans, path, r.line); err != nil {
		return chat.Sent{}, err
	}
	return chat.Sent{Time: time.Now()}, nil
}

// maxSameName bounds the search for a free name ("export-2.json", …).
const maxSameName = 1000

// save writes f into the files folder under its (made safe) name, or the
// first free "name-N.ext", and returns the file's absolute path. Creating
// with O_EXCL never replaces a file, even one created at the same moment,
// and never follows a symbolic link planted under that name.
func (a *Adapter) save(f *chat.File) (string, error) {
	dir := a.opts.FilesDir
	if dir == "" {
		dir = os.TempDir()
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	name := filename.Safe(f.Name)
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for n := 1; n <= maxSameName; n++ {
		try := name
		if n > 1 {
			try = fmt.Sprintf("%s-%d%s", stem, n, ext)
		}
		path := filepath.Join(dir, try)
		fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("console: save the file %s: %w", path, err)
		}
		_, err = fh.Write(f.Data)
		if err == nil {
			err = fh.Sync()
		}
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path) // a partial file is worse than none
			return "", fmt.Errorf("console: save the file %s: %w", path, err)
		}
		return path, nil
	}
	return "", fmt.Errorf("console: save the file %s in %s: %d files of that name are there already", name, dir, maxSameName)
}

func (r *responder) Finish() { r.once.Do(func() { close(r.done) }) }
