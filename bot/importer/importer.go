package importer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/docent-bot/docent/brain/redact"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// History is where an import stores what it reads: the records (left out
// when their platform ID is known, with the progress mark in the same
// transaction) and the module's own bucket. *store.Store is one.
type History interface {
	ImportNew(ctx context.Context, recs []store.Record, along ...store.Rider) ([]store.Record, int, error)
	View(ctx context.Context, fn func(*store.Tx) error) error
}

var _ History = (*store.Store)(nil)

// bucketProgress holds, per file imported, how far its import went: the
// key is the file's name as given, the value a progress (JSON).
var bucketProgress = store.NewBucket("importer_progress")

// progress is how far the import of one file went: its size, to tell a
// different file under the same name, and the last line committed.
type progress struct {
	Size int64 `json:"size"`
	Line int   `json:"line"`
}

// DefaultBatch is how many lines an import commits at once: one
// transaction (one fsync) each, short enough that a kill loses little.
const DefaultBatch = 5000

// RunningBatch is how many lines an import through a running Docent
// commits at once: a member's message stored meanwhile may wait for one
// batch's transaction, and a smaller one keeps that wait short (on the
// DuraSpace history, the longest such wait was 0.5 s with 5000 lines and
// 0.15 s with 1000, for no slower an import).
const RunningBatch = 1000

// Options say how to import one file.
type Options struct {
	Platform string // the platform the members and channels belong to: "irc"
	Batch    int    // lines per transaction; 0 means DefaultBatch
	// Bad is told about each line that cannot be read, with its number.
	Bad func(line int, err error)
	// Progress is told after each committed batch how many bytes of the
	// file were read.
	Progress func(read int64)
	// Now is the clock a message may not be dated after (by more than a
	// day); nil means time.Now.
	Now func() time.Time
}

// Summary is what an import did.
type Summary struct {
	Messages   int // new messages stored
	Duplicates int // messages stored already (an earlier import)
	Resumed    int // lines skipped as committed by an earlier, interrupted import
	Skipped    int // lines that could not be read
	Other      int // not members' messages (Discord's joins and pins)
	Redacted   int // messages with a secret redacted
	Members    int // distinct authors read
	Channels   int // distinct channels read
	Lines      int // lines (JSONL) or messages (Discord) read
}

// ImportJSONL imports the JSONL history r (plain or gzip), of size bytes,
// under the name name, into h. It resumes after the last batch an earlier
// import of the same file committed, and each record carries a stable
// source ID (channel, minute and its place within the minute, as the
// logs have no seconds), so the same file imported again adds nothing.
//
// When ctx ends, the batches committed stay committed and the error says
// so; importing again resumes.
func ImportJSONL(ctx context.Context, h History, name string, size int64, r io.Reader, opts Options) (Summary, error) {
	b, in, err := startReading(ctx, h, name, size, r, opts)
	if err != nil {
		return b.summary(), err
	}
	failing := &readErr{r: in}
	lines := &lineReader{br: bufio.NewReaderSize(failing, 64<<10), max: maxLine}
	members, channels := map[string]bool{}, map[string]bool{}
	// seq numbers the lines of one channel's minute, in file order.
	type minute struct {
		channel string
		at      time.Time
	}
	seq := map[minute]int{}
	n := 0
	for {
		line, tooLong, err := lines.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// The read failed (the command line stopped sending): the
			// line cut there is not a bad line of the file's.
			return b.sum, fmt.Errorf("importer: %s: read line %d: %w", name, n+1, err)
		}
		n++
		b.sum.Lines = n
		if tooLong {
			b.bad(n, fmt.Errorf("longer than %d bytes; skipped", maxLine))
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		l, err := ParseLine(line)
		if err != nil {
			b.bad(n, err)
			continue
		}
		at := minute{l.Channel, l.Time}
		seq[at]++
		members[l.Author], channels[l.Channel] = true, true
		err = b.add(ctx, n, store.Record{
			Kind:         store.KindMessage,
			Conversation: chat.Conversation{Platform: opts.Platform, Channel: l.Channel},
			Time:         l.Time,
			Author:       chat.Member{ID: l.Author, Name: l.Author, Bot: l.Bot},
			Text:         l.StoredText(),
			// RFC3339Nano: the same ID as RFC3339 for a whole second (what
			// earlier imports stored), and one per sub-second time.
			PlatformID: fmt.Sprintf("%s %s %d", l.Channel, l.Time.Format(time.RFC3339Nano), seq[at]),
		})
		if err != nil {
			return b.sum, err
		}
	}
	b.sum.Members, b.sum.Channels = len(members), len(channels)
	return b.sum, b.finish(ctx, n)
}

// batches commits an import's records in batches, each with the file's
// progress mark, and leaves out what an earlier import committed.
type batches struct {
	h    History
	name string
	size int64
	opts Options
	done progress // how far an earlier import went
	recs []store.Record
	sum  Summary
	read func() int64 // bytes of the file read, for the progress bar
}

// startReading starts the batches of the file name, of size bytes, and
// reads r (plain or gzip) counting its bytes for the progress bar.
func startReading(ctx context.Context, h History, name string, size int64, r io.Reader, opts Options) (*batches, io.Reader, error) {
	b, err := startBatches(ctx, h, name, size, opts)
	if err != nil {
		return nil, nil, err
	}
	counted := &countingReader{r: r}
	b.read = func() int64 { return counted.n }
	in, err := decompressed(counted)
	if err != nil {
		return b, nil, fmt.Errorf("importer: %s: %w", name, err)
	}
	return b, in, nil
}

// summary is what was done so far; none before the batches started.
func (b *batches) summary() Summary {
	if b == nil {
		return Summary{}
	}
	return b.sum
}

// startBatches reads the progress mark of the file name, of size bytes.
func startBatches(ctx context.Context, h History, name string, size int64, opts Options) (*batches, error) {
	if opts.Platform == "" {
		return nil, errors.New("importer: no platform to import into")
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	b := &batches{h: h, name: name, size: size, opts: opts, recs: make([]store.Record, 0, opts.Batch)}
	if err := h.View(ctx, func(tx *store.Tx) error {
		if v := tx.Get(bucketProgress, []byte(name)); v != nil {
			if err := json.Unmarshal(v, &b.done); err != nil {
				return fmt.Errorf("read the progress mark: %w", err)
			}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("importer: %s: %w", name, err)
	}
	if b.done.Size != size {
		// Another file under the same name: read it all; what it shares
		// with the one imported before is left out by its source IDs.
		b.done = progress{}
	}
	return b, nil
}

// bad reports item n, which cannot be read, unless an earlier import
// reported it already.
func (b *batches) bad(n int, err error) {
	if n <= b.done.Line {
		return
	}
	b.sum.Skipped++
	if b.opts.Bad != nil {
		b.opts.Bad(n, err)
	}
}

// add adds item n of the file (a line, a message) to the batch, secrets
// redacted, and commits the batch when it is full; an item an earlier
// import committed is only counted.
func (b *batches) add(ctx context.Context, n int, rec store.Record) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("importer: %s: stopped at %d (those before %d are committed; import again to resume): %w", b.name, n, n-len(b.recs), err)
	}
	if n <= b.done.Line {
		b.sum.Resumed++
		return nil
	}
	if err := b.checkTime(rec.Time); err != nil {
		b.bad(n, err)
		return nil
	}
	// As the router does for live messages: secrets never reach the store.
	// Not only the text: whatever an export holds (an emoji's name, the
	// ID of the message replied to) may carry one.
	secret := false
	for _, f := range []*string{&rec.Text, &rec.RepliesTo, &rec.Author.Name} {
		if text, found := redact.Redact(*f); len(found) > 0 {
			*f, secret = text, true
		}
	}
	for i := range rec.Reactions {
		if text, found := redact.Redact(rec.Reactions[i].Emoji); len(found) > 0 {
			rec.Reactions[i].Emoji, secret = text, true
		}
	}
	if secret {
		b.sum.Redacted++
	}
	b.recs = append(b.recs, rec)
	if len(b.recs) == b.opts.Batch {
		return b.commit(ctx, n)
	}
	return nil
}

// earliest is the first time a chat history can have: Unix time 0 (IRC
// began in 1988).
var earliest = time.Unix(0, 0)

// maxAhead is how far past the clock a message may be dated (a server
// whose clock runs a little fast).
const maxAhead = 24 * time.Hour

// checkTime refuses a message dated before 1970 or in the future: a
// broken clock or conversion. Stored, one message in the year 9999 would
// move every window that ends at the newest message (docent stats --all,
// the dashboard's whole history) to a decade with nothing else in it.
func (b *batches) checkTime(at time.Time) error {
	now := time.Now
	if b.opts.Now != nil {
		now = b.opts.Now
	}
	switch {
	case at.Before(earliest):
		return fmt.Errorf("time %s is before 1970; skipped", at.UTC().Format(time.RFC3339))
	case at.After(now().Add(maxAhead)):
		return fmt.Errorf("time %s is in the future; skipped", at.UTC().Format(time.RFC3339))
	}
	return nil
}

// finish commits what is left, the file read up to item n.
func (b *batches) finish(ctx context.Context, n int) error {
	if len(b.recs) > 0 || n > b.done.Line {
		return b.commit(ctx, n)
	}
	return nil
}

func (b *batches) commit(ctx context.Context, upTo int) error {
	mark := &markWrite{name: b.name, p: progress{Size: b.size, Line: upTo}}
	stored, dups, err := b.h.ImportNew(ctx, b.recs, mark)
	if err != nil {
		return fmt.Errorf("importer: %s: import up to %d (those before are committed; import again to resume): %w", b.name, upTo, err)
	}
	b.sum.Messages += len(stored)
	b.sum.Duplicates += dups
	b.recs = b.recs[:0]
	if b.opts.Progress != nil && b.read != nil {
		b.opts.Progress(b.read())
	}
	return nil
}

// decompressed reads r through gzip when it starts like a gzip stream.
func decompressed(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("read gzip: %w", err)
		}
		return zr, nil
	}
	return br, nil
}

// countingReader counts the bytes read through it, for the progress bar.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// markWrite writes a file's progress mark in the transaction of its
// batch: the mark never runs ahead of the records, nor behind them.
type markWrite struct {
	name string
	p    progress
}

func (m *markWrite) Write(tx *store.Tx) error {
	b, err := json.Marshal(m.p)
	if err != nil {
		return err
	}
	return tx.Put(bucketProgress, []byte(m.name), b)
}

func (m *markWrite) Done() {}

// readErr remembers the error, other than io.EOF, that reading r ended
// with.
type readErr struct {
	r   io.Reader
	err error
}

func (r *readErr) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		r.err = err
	}
	return n, err
}

// lineReader reads a file line by line (without its "\n" or "\r\n"); a
// line longer than max bytes is reported as too long, its bytes dropped
// as they are read rather than held whole in memory.
type lineReader struct {
	br  *bufio.Reader
	max int
	buf []byte // the line being read: valid until the next call
}

// next returns the next line; io.EOF once there is none; another error
// when the read failed (a line cut there is not returned).
func (l *lineReader) next() (line []byte, tooLong bool, err error) {
	l.buf = l.buf[:0]
	for {
		frag, err := l.br.ReadSlice('\n')
		if !tooLong {
			if len(l.buf)+len(frag) > l.max+2 { // room for "\r\n"
				tooLong, l.buf = true, l.buf[:0]
			} else {
				l.buf = append(l.buf, frag...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(l.buf) == 0 && !tooLong:
			return nil, false, io.EOF
		case err != nil && !errors.Is(err, io.EOF):
			return nil, false, err
		}
		line = bytes.TrimSuffix(bytes.TrimSuffix(l.buf, []byte("\n")), []byte("\r"))
		return line, tooLong || len(line) > l.max, nil
	}
}
