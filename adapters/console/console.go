// Package console is the terminal adapter: a member types questions and
// Docent answers in the same terminal. With input that is not a terminal it
// reads one message a line and writes one answer a line (or one JSON object
// a line), so it can be scripted and tested like any Unix filter.
package console

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/docent-bot/docent/chat"
)

// Platform is the platform name of console conversations.
const Platform = "console"

// Conversation is the one conversation the console holds: it continues
// across runs, so `docent history` shows it whole.
var Conversation = chat.Conversation{Platform: Platform, Channel: "local"}

// Options set how the console talks.
type Options struct {
	// Interactive shows a greeting and a prompt and waits for each answer
	// before the next prompt; set it when the input is a terminal.
	Interactive bool
	// JSON writes each answer as one JSON object a line.
	JSON bool
	// Member is who is typing.
	Member chat.Member
	// BotName labels answers in interactive mode.
	BotName string
	// MaxLineBytes bounds one input line; 0 means 4 MiB.
	MaxLineBytes int
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
	n    int
	text string
}

// Run reads until the input ends or ctx is done. At the end of the input
// it returns nil; answers still being written arrive before the bot stops.
func (a *Adapter) Run(ctx context.Context, inbox chat.Inbox) error {
	lines := make(chan line)
	readErr := make(chan error, 1)
	// The reader goroutine may stay blocked in Read after ctx is done (a
	// terminal read cannot be interrupted); it ends at the next line or at
	// the end of the input, and the process exits regardless.
	go func() {
		sc := bufio.NewScanner(a.in)
		sc.Buffer(make([]byte, 0, min(64<<10, a.opts.MaxLineBytes)), a.opts.MaxLineBytes)
		n := 0
		for sc.Scan() {
			n++
			select {
			case lines <- line{n, sc.Text()}:
			case <-ctx.Done():
				return
			}
		}
		err := sc.Err()
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("console: line %d is longer than %d bytes", n+1, a.opts.MaxLineBytes)
		}
		readErr <- err
		close(lines)
	}()

	if a.opts.Interactive {
		a.printf("%s here. Ask me a question; !help lists my commands; Ctrl-D quits.\n", a.opts.BotName)
	}
	for {
		a.prompt()
		var l line
		var ok bool
		select {
		case <-ctx.Done():
			a.printf("\n")
			return nil
		case l, ok = <-lines:
		}
		if !ok {
			if a.opts.Interactive {
				a.printf("\n")
			}
			return <-readErr
		}
		if strings.TrimSpace(l.text) == "" {
			continue
		}
		r := &responder{a: a, done: make(chan struct{})}
		m := chat.Message{
			Conversation: Conversation,
			Author:       a.opts.Member,
			Text:         l.text,
			Time:         time.Now(),
			Direct:       true,
		}
		if err := inbox.Deliver(ctx, m, r); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("console: line %d: %w", l.n, err)
		}
		if a.opts.Interactive {
			select {
			case <-r.done:
			case <-ctx.Done():
				return nil
			}
		}
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

// write prints one answer in the adapter's format.
func (a *Adapter) write(ans chat.Answer) error {
	var out string
	switch {
	case a.opts.JSON:
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // answers hold <links>; keep them readable
		if err := enc.Encode(ans); err != nil {
			return fmt.Errorf("console: encode answer: %w", err)
		}
		out = b.String()
	case a.opts.Interactive:
		out = a.opts.BotName + ": " + strings.ReplaceAll(strings.TrimSpace(ans.Text), "\n", "\n  ") + "\n"
	default:
		// One answer a line: the lines of a long answer are joined.
		out = strings.Join(strings.Fields(ans.Text), " ") + "\n"
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	_, err := io.WriteString(a.out, out)
	return err
}

// responder writes the answers to one message.
type responder struct {
	a    *Adapter
	done chan struct{}
	once sync.Once
}

func (r *responder) Reply(_ context.Context, ans chat.Answer) (chat.Sent, error) {
	if err := r.a.write(ans); err != nil {
		return chat.Sent{}, err
	}
	return chat.Sent{Time: time.Now()}, nil
}

func (r *responder) Finish() { r.once.Do(func() { close(r.done) }) }
