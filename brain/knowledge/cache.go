package knowledge

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
)

// The cache holds the docs passages of an index, analysed, by file, so
// that a restart whose files have not changed need not split and analyse
// them again (analysis is most of the time of a build). Its layout:
//
//	magic, format (uvarint), analyser sum (32 bytes)
//	terms: count, then each (string)
//	files: count, then each: sum (32 bytes), entries: count, then each:
//	  ID, Title, Heading, Text, Link, Source, section (strings), Within: count and
//	  strings, length (float64 bits), terms: count, then each: index in
//	  the terms (uvarint), tf (float32 bits)
//	SHA-256 of all that came before (32 bytes)
//
// Counts and string lengths are uvarints, numbers little-endian. A cache
// is used only when its checksum is right, it decodes to the end, and its
// format and analyser sum are this index's; a file's entries only when the
// file's sum (its text, includes and folder settings) is the same.

// cacheFormat is the cache's layout. Bump it when the layout changes, or
// when analyse or the splitters change in a way the probe of analyserSum
// might not show.
const cacheFormat = 3

const cacheMagic = "docent knowledge cache\n"

// ErrCacheStale is ReadCache's error for a cache written by a Docent
// whose analyser, options or cache format differ: it is not used.
var ErrCacheStale = errors.New("knowledge: the cache was written with other settings or by another version")

// WriteCache writes the docs passages of the index, analysed, for
// ReadCache. It holds no past threads: what members said is kept only in
// the store, where forgetting it reaches it.
func (ix *Index) WriteCache(w io.Writer) error {
	sum, err := ix.analyserSum()
	if err != nil {
		return err
	}
	ix.rebuilding.Lock()
	files := ix.files
	ix.rebuilding.Unlock()
	// An entry's passage, terms and length do not change once analysed:
	// they are read without the lock.
	if err := encodeCache(w, sum, files); err != nil {
		return fmt.Errorf("knowledge: write cache: %w", err)
	}
	return nil
}

// ReadCache reads what WriteCache wrote, for the next Rebuild: the files
// whose text, includes and folder settings are the same take their
// passages from it instead of being split and analysed again. A damaged
// cache, or one written with other settings or by another version
// (ErrCacheStale), is an error and nothing of it is used.
func (ix *Index) ReadCache(data []byte) error {
	sum, err := ix.analyserSum()
	if err != nil {
		return err
	}
	cached, err := decodeCache(sum, data)
	if err != nil {
		return err
	}
	ix.rebuilding.Lock()
	defer ix.rebuilding.Unlock()
	ix.cached = cached
	return nil
}

// encodeCache writes the cache of files to w, as it goes: a cache is
// megabytes, not worth holding whole in memory.
func encodeCache(w io.Writer, analyser fileSum, files []*docFile) error {
	ids := map[string]uint64{}
	var terms []string
	for _, df := range files {
		for _, e := range df.entries {
			for _, t := range e.terms {
				if _, ok := ids[t.term]; !ok {
					ids[t.term] = uint64(len(terms))
					terms = append(terms, t.term)
				}
			}
		}
	}
	check := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(w, check), 64<<10)
	var b []byte // one field or entry at a time
	put := func() {
		bw.Write(b) // its error sticks: Flush returns it
		b = b[:0]
	}
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = append(b, cacheMagic...)
	b = binary.AppendUvarint(b, cacheFormat)
	b = append(b, analyser[:]...)
	b = binary.AppendUvarint(b, uint64(len(terms)))
	put()
	for _, t := range terms {
		str(t)
		put()
	}
	b = binary.AppendUvarint(b, uint64(len(files)))
	for _, df := range files {
		b = append(b, df.sum[:]...)
		b = binary.AppendUvarint(b, uint64(len(df.entries)))
		for _, e := range df.entries {
			for _, s := range []string{e.p.ID, e.p.Title, e.p.Heading, e.p.Text, e.p.Link, e.p.Source, e.section} {
				str(s)
			}
			b = binary.AppendUvarint(b, uint64(len(e.p.Within)))
			for _, s := range e.p.Within {
				str(s)
			}
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(e.length))
			b = binary.AppendUvarint(b, uint64(len(e.terms)))
			for _, t := range e.terms {
				b = binary.AppendUvarint(b, ids[t.term])
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(t.tf))
			}
			put()
		}
		put()
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(check.Sum(nil))
	return err
}

func decodeCache(analyser fileSum, data []byte) (map[fileSum][]*entry, error) {
	if len(data) < len(cacheMagic)+sha256.Size || !bytes.HasPrefix(data, []byte(cacheMagic)) {
		return nil, errors.New("knowledge: read cache: not a cache")
	}
	body := data[:len(data)-sha256.Size]
	if sha256.Sum256(body) != [sha256.Size]byte(data[len(body):]) {
		return nil, errors.New("knowledge: read cache: it is damaged (checksum)")
	}
	r := &cacheReader{b: body[len(cacheMagic):]}
	if r.uvarint() != cacheFormat || fileSum(r.bytes(sha256.Size)) != analyser {
		if r.err != nil {
			return nil, fmt.Errorf("knowledge: read cache: %w", r.err)
		}
		return nil, ErrCacheStale
	}
	terms := make([]string, r.count(1))
	for i := range terms {
		terms[i] = r.str()
	}
	n := r.count(sha256.Size + 1)
	files := make(map[fileSum][]*entry, n)
	for ; n > 0 && r.err == nil; n-- {
		sum := fileSum(r.bytes(sha256.Size))
		entries := make([]*entry, r.count(7+1+8+1))
		for i := range entries {
			e := &entry{}
			e.p.ID, e.p.Title, e.p.Heading, e.p.Text, e.p.Link, e.p.Source = r.str(), r.str(), r.str(), r.str(), r.str(), r.str()
			if e.section = r.str(); e.section == e.p.ID {
				e.section = e.p.ID // one string, not two
			}
			if n := r.count(1); n > 0 {
				e.p.Within = make([]string, n)
				for j := range e.p.Within {
					e.p.Within[j] = r.str()
				}
			}
			e.length = math.Float64frombits(binary.LittleEndian.Uint64(r.bytes(8)))
			e.terms = make([]termFreq, r.count(1+4))
			for j := range e.terms {
				id := r.uvarint()
				if id >= uint64(len(terms)) {
					r.fail("term %d of %d", id, len(terms))
					break
				}
				e.terms[j] = termFreq{terms[id], math.Float32frombits(binary.LittleEndian.Uint32(r.bytes(4)))}
			}
			entries[i] = e
		}
		files[sum] = entries
	}
	if r.err == nil && len(r.b) > 0 {
		r.fail("%d bytes after the end", len(r.b))
	}
	if r.err != nil {
		return nil, fmt.Errorf("knowledge: read cache: %w", r.err)
	}
	return files, nil
}

// cacheReader reads a cache's fields; the first error sticks, and every
// read after it returns zero values.
type cacheReader struct {
	b   []byte
	err error
}

func (r *cacheReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("damaged: "+format, args...)
		r.b = nil
	}
}

func (r *cacheReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("bad number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// bytes returns the next n bytes, zeros when there are fewer.
func (r *cacheReader) bytes(n int) []byte {
	if len(r.b) < n {
		r.fail("truncated")
		return make([]byte, n)
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *cacheReader) str() string {
	return string(r.bytes(r.count(1)))
}

// count reads a count of things each at least size bytes long, so that a
// damaged count cannot ask for more than the bytes left could hold.
func (r *cacheReader) count(size int) int {
	n := r.uvarint()
	if n > uint64(len(r.b)/size) {
		r.fail("count %d", n)
		return 0
	}
	return int(n)
}

// analyserSum identifies how this index makes entries: the cache format,
// the options, and what the splitters and analyse make of a probe of
// Markdown, reStructuredText and plain text, so that a cache written by a
// Docent that analyses differently is not used. It also checks that the
// cache keeps all of an entry: a field added to entries that the cache
// does not write is an error here, not a silently wrong index.
func (ix *Index) analyserSum() (fileSum, error) {
	ix.probe.Do(func() {
		h := sha256.New()
		opts := ix.opts
		opts.Log = nil
		fmt.Fprintf(h, "format %d\noptions %+v\n", cacheFormat, opts)
		f := Folder{Path: "probe", BaseURL: "https://example.org/docs/", Links: LinksPretty}
		var probe []*docFile
		for _, p := range analyserProbe {
			var entries []*entry
			for _, ps := range ix.filePassages(f, p.name, p.text) {
				e := ix.analyse(ps)
				fmt.Fprintf(h, "%#v\n", *e)
				entries = append(entries, e)
			}
			probe = append(probe, &docFile{key: p.name, sum: sumFile(f, p.name, p.text), entries: entries})
		}
		h.Sum(ix.probeSum[:0])
		var buf bytes.Buffer
		err := encodeCache(&buf, ix.probeSum, probe)
		var back map[fileSum][]*entry
		if err == nil {
			back, err = decodeCache(ix.probeSum, buf.Bytes())
		}
		if err != nil {
			ix.probeErr = fmt.Errorf("knowledge: cache: the probe does not read back: %w", err)
			return
		}
		for _, df := range probe {
			if got := back[df.sum]; !reflect.DeepEqual(got, df.entries) {
				ix.probeErr = fmt.Errorf("knowledge: cache: an entry does not read back as analysed (%s): the cache needs the new fields", df.key)
				return
			}
		}
	})
	return ix.probeSum, ix.probeErr
}

// analyserProbe is what analyserSum analyses: some of everything the
// splitters and the tokeniser handle.
var analyserProbe = []struct{ name, text string }{
	{"guide/setup.md", "---\ntitle: Setting up\nweight: 10\n---\n\nIntro with `code`, v1.2.3 and don't.\n\n" +
		"## Installing the bot {#install}\n\nRun `go install` and configure the tokens; it's running.\n\n" +
		"```yaml\nbot:\n  name: docent\n```\n\n### Déjà vu 数据库备份\n\n停止 Docent 后复制数据库文件。 日本語のテキスト。\n\n" +
		"## Long\n\n" + strings.Repeat("A paragraph says that reloading the intents retrains the classifier.\n\n", 40)},
	{"ref/api.rst", "API\n===\n\n.. _cli:\n\nCommand line\n------------\n\nThe ``--verbose`` flag prints every step.\n"},
	{"notes.txt", "Backups: copy the database file while Docent is stopped.\n\nRestore by copying it back.\n"},
}
