package store

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/docent-bot/docent/chat"
)

// sampleRecords are n records of every shape: messages and answers (each
// answering the message before it), bots, spaces, threads, platform IDs,
// replies, reactions, text in several scripts.
func sampleRecords(n int) []Record {
	at := time.Date(2024, 2, 29, 23, 59, 58, 123456789, time.UTC)
	recs := make([]Record, 0, n)
	for i := range n {
		c := chat.Conversation{Platform: "discord", Channel: fmt.Sprintf("c%d", i%7)}
		if i%5 == 0 {
			c.Thread = fmt.Sprintf("t%d", i%3)
		}
		r := Record{ID: uint64(i + 1), Kind: KindMessage, Conversation: c, Time: at.Add(time.Duration(i) * 1500 * time.Millisecond),
			Author: chat.Member{ID: fmt.Sprintf("u%d", i%13), Name: fmt.Sprintf("u%d", i%13)},
			Text:   fmt.Sprintf("message %d: how do I deploy? 部署 ✨", i), PlatformID: fmt.Sprintf("p%d", i)}
		switch i % 4 {
		case 1:
			r.Author.Name = "Ada Lovelace"
			r.Space = "g1"
			r.RepliesTo = fmt.Sprintf("p%d", i-1)
			r.Reactions = []Reaction{{Emoji: "👍", Count: 3, Members: []string{"u1", "u2"}}, {Emoji: "eyes", Count: 1}}
		case 2:
			r.Kind, r.ReplyTo = KindAnswer, uint64(i)
			r.Author = chat.Member{ID: "docent", Name: "Docent", Bot: true}
			r.Source, r.Intent, r.Confidence = chat.SourceIntent, "deploy", 0.875
			r.PlatformID = ""
		case 3:
			r.Author.Name = ""
			r.Time = time.Unix(int64(i), 0).UTC()
		}
		switch i % 6 {
		case 4: // as bot/importer names a line's message: only "2" is stored
			r.PlatformID = fmt.Sprintf("%s %s %d", r.Conversation.Channel, r.Time.Format(time.RFC3339Nano), i%3)
		case 5: // almost that: the time to the second, stored whole
			r.PlatformID = fmt.Sprintf("%s %s %d", r.Conversation.Channel, r.Time.Format(time.RFC3339), i%3)
		}
		recs = append(recs, r)
	}
	return recs
}

// TestPlatformIDAtStoredOnce: a platform ID that begins with the channel
// and the time, as an imported line's does, is stored without them, and
// reads back whole.
func TestPlatformIDAtStoredOnce(t *testing.T) {
	at := time.Date(2018, 7, 25, 15, 55, 0, 0, time.UTC)
	rec := Record{ID: 7, Kind: KindMessage, Conversation: chat.Conversation{Platform: "irc", Channel: "#duraspace"}, Time: at,
		Author: chat.Member{ID: "pbecker", Name: "pbecker"}, Text: "thank you for the PRs!", PlatformID: "#duraspace 2018-07-25T15:55:00Z 1"}
	other := rec
	other.PlatformID = "#dspace 2018-07-25T15:55:00Z 1" // another channel's: stored whole
	b, _ := encodeRecord(rec)
	o, _ := encodeRecord(other)
	if len(o)-len(b) < len(other.PlatformID)-4 {
		t.Errorf("the imported ID took %d bytes, another of its length %d", len(b), len(o))
	}
	for _, r := range []Record{rec, other} {
		v, _ := encodeRecord(r)
		got, err := decodeRecord(recordKey(appendConversation(nil, r.Conversation), r.ID), v)
		if err != nil || got.PlatformID != r.PlatformID || !reflect.DeepEqual(got, r) {
			t.Errorf("read back %+v, %v; want %+v", got, err, r)
		}
	}
}

// TestRecordFormatV2RoundTrip: every shape of record reads back as it was
// written, in a value far smaller than format 1's; every damaged value
// (each cut short, each byte changed) is an error or a record, never a
// panic.
func TestRecordFormatV2RoundTrip(t *testing.T) {
	boltOnly(t, "record encoding, no database")
	var v1, v2 int
	for _, rec := range sampleRecords(40) {
		key := recordKey(appendConversation(nil, rec.Conversation), rec.ID)
		b, err := encodeRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		if b[0] != formatV2 {
			t.Fatalf("value starts with %d, want format %d", b[0], formatV2)
		}
		got, err := decodeRecord(key, b)
		if err != nil {
			t.Fatalf("decode %+v: %v", rec, err)
		}
		if !reflect.DeepEqual(got, rec) {
			t.Errorf("read back\n %+v\nwant\n %+v", got, rec)
		}
		if at, err := recordTime(b); err != nil || !at.Equal(rec.Time) {
			t.Errorf("recordTime = %v, %v; want %v", at, err, rec.Time)
		}
		j, _ := encodeRecordJSON(rec)
		v1, v2 = v1+len(j), v2+len(b)
		for n := range len(b) {
			if _, err := decodeRecord(key, b[:n]); err == nil && n > 0 {
				t.Errorf("a value cut to %d of %d bytes decoded without an error", n, len(b))
			}
		}
		for i := range b {
			d := bytes.Clone(b)
			d[i] ^= 0xff
			_, _ = decodeRecord(key, d)
		}
	}
	if v2*2 > v1 {
		t.Errorf("format 2 takes %d bytes for what format 1 took in %d; want at most half", v2, v1)
	}
}

// schema1File writes recs into a new database at path and turns it into
// the file schema 1 made: JSON values, "schema" 1 in meta.
func schema1File(t *testing.T, path string, recs []Record) []Record {
	t.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(recs); i += 1000 {
		if _, err := s.Import(context.Background(), recs[i:min(i+1000, len(recs))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var stored []Record
	err = db.Update(func(tx *bolt.Tx) error {
		msgs := tx.Bucket(bucketMessages)
		var keys, vals [][]byte
		err := msgs.ForEach(func(k, v []byte) error {
			rec, err := decodeRecord(k, v)
			if err != nil {
				return err
			}
			j, err := encodeRecordJSON(rec)
			stored = append(stored, rec)
			keys, vals = append(keys, bytes.Clone(k)), append(vals, j)
			return err
		})
		if err != nil {
			return err
		}
		for i, k := range keys {
			if err := msgs.Put(k, vals[i]); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchema, []byte("1"))
	})
	if err != nil {
		t.Fatal(err)
	}
	return stored
}

// rawState is what the file holds: its core schema, its conversion mark,
// and its record values by format.
func rawState(t *testing.T, path string) (schema string, mark []byte, v1, v2 int) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.View(func(tx *bolt.Tx) error {
		schema = string(tx.Bucket(bucketMeta).Get(keySchema))
		mark = bytes.Clone(tx.Bucket(bucketMeta).Get(keyConverting))
		return tx.Bucket(bucketMessages).ForEach(func(_, v []byte) error {
			if isV2(v) {
				v2++
			} else {
				v1++
			}
			return nil
		})
	})
	return schema, mark, v1, v2
}

// TestConvertChild is the child of TestConversionKilledResumes: it opens
// the file it is given, which converts it, slowly.
func TestConvertChild(t *testing.T) {
	boltOnly(t, "a child process converting a file")
	path := os.Getenv("DOCENT_CONVERT_CHILD")
	if path == "" {
		t.Skip("run by TestConversionKilledResumes")
	}
	convertChunk = 300
	s, err := Open(path, Options{Converting: func(p Converting) {
		fmt.Printf("converted %d of %d\n", p.Done, p.Total)
		time.Sleep(30 * time.Millisecond)
	}})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// TestConversionKilledResumes: a schema 1 file whose conversion is
// SIGKILLed midway is left with some records converted, some not, and the
// mark between; opening it again goes on from the mark, and then every
// record reads as it was, once, in format 2, the file at schema 2.
func TestConversionKilledResumes(t *testing.T) {
	boltOnly(t, "converts a schema 1 file")
	path := filepath.Join(t.TempDir(), "docent.db")
	want := schema1File(t, path, sampleRecords(6000))
	if schema, mark, v1, v2 := rawState(t, path); schema != "1" || mark != nil || v1 != 6000 || v2 != 0 {
		t.Fatalf("the schema 1 file: schema %q, mark %q, %d JSON and %d binary values", schema, mark, v1, v2)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestConvertChild$", "-test.v")
	cmd.Env = append(os.Environ(), "DOCENT_CONVERT_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	seen := 0
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "converted ") {
			if seen++; seen == 4 {
				break
			}
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if seen < 4 {
		t.Fatalf("the child reported %d chunks before it ended", seen)
	}
	schema, mark, v1, v2 := rawState(t, path)
	t.Logf("killed after %d chunks: %d JSON and %d binary values", seen, v1, v2)
	if schema != "3" || mark == nil || v1 == 0 || v2 < 4*300 {
		t.Fatalf("after the kill: schema %q, mark %q, %d JSON and %d binary values; want schema 3 (the steps recorded before the conversion), a mark, both formats", schema, mark, v1, v2)
	}

	var log bytes.Buffer
	var last Converting
	s, err := Open(path, Options{Logger: slog.New(slog.NewTextHandler(&log, nil)), Converting: func(p Converting) { last = p }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if last.Resumed != v2 || last.Done != 6000 || last.Total != 6000 {
		t.Errorf("resumed conversion: %+v; want %d converted before, 6000 of 6000 done", last, v2)
	}
	if !strings.Contains(log.String(), "converted_before="+fmt.Sprint(v2)) || !strings.Contains(log.String(), `msg="store: records converted"`) {
		t.Errorf("the log does not say the conversion went on and ended:\n%s", log.String())
	}
	for _, w := range want {
		got, err := s.Record(context.Background(), w.ID)
		if err != nil || !reflect.DeepEqual(got, w) {
			t.Fatalf("record %d after the conversion: %+v, %v\nwant %+v", w.ID, got, err, w)
		}
	}
	convs, err := s.Conversations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, c := range convs {
		got, err := s.Conversation(context.Background(), c.Conversation, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		total += len(got)
	}
	if total != len(want) {
		t.Errorf("the conversations hold %d records, want %d", total, len(want))
	}
	// The platform IDs moved to platform_keys: an import run again
	// finds every message it stored.
	again := sampleRecords(1000)
	withPID := 0
	for _, r := range again {
		if r.PlatformID != "" {
			withPID++
		}
	}
	if _, dups, err := s.ImportNew(context.Background(), again); err != nil || dups != withPID {
		t.Errorf("imported again after the conversion: %d duplicates, %v; want %d", dups, err, withPID)
	}
	s.Close()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketPlatformIDs) != nil {
			t.Error("schema 1's platform_ids bucket is still there")
		}
		return nil
	})
	db.Close()
	if schema, mark, v1, v2 := rawState(t, path); schema != "3" || mark != nil || v1 != 0 || v2 != 6000+1000-withPID {
		t.Errorf("after the conversion: schema %q, mark %q, %d JSON and %d binary values; want schema 3, no mark, %d binary", schema, mark, v1, v2, 6000+1000-withPID)
	}
}

// BenchmarkRecordFormat encodes and decodes the sample records in format 2
// beside format 1's JSON.
func BenchmarkRecordFormat(b *testing.B) {
	recs := sampleRecords(64)
	keys := make([][]byte, len(recs))
	v1, v2 := make([][]byte, len(recs)), make([][]byte, len(recs))
	for i, r := range recs {
		keys[i] = recordKey(appendConversation(nil, r.Conversation), r.ID)
		v1[i], _ = encodeRecordJSON(r)
		v2[i], _ = encodeRecord(r)
	}
	for _, f := range []struct {
		name   string
		encode func(Record) ([]byte, error)
		vals   [][]byte
	}{{"json", encodeRecordJSON, v1}, {"binary", encodeRecord, v2}} {
		b.Run("encode/"+f.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, err := f.encode(recs[i%len(recs)]); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("decode/"+f.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, err := decodeRecord(keys[i%len(keys)], f.vals[i%len(keys)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestPlatformIDsCollide: with every platform ID hashed alike, an import
// run again still finds each message it stored (and stores none twice),
// and a vote still finds the answer sent under its ID.
func TestPlatformIDsCollide(t *testing.T) {
	defer func(h func(string, string) uint32) { platformHash = h }(platformHash)
	platformHash = func(string, string) uint32 { return 7 }
	s, err := openForTest(t, filepath.Join(t.TempDir(), "docent.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	recs := sampleRecords(60)
	stored, err := s.Import(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	withPID := 0
	for _, r := range recs {
		if r.PlatformID != "" {
			withPID++
		}
	}
	_, dups, err := s.ImportNew(ctx, recs)
	if err != nil || dups != withPID {
		t.Fatalf("imported again: %d duplicates, %v; want %d", dups, err, withPID)
	}
	for _, i := range []int{2, 6, 10} {
		if err := s.AnswerSent(ctx, stored[i].ID, fmt.Sprintf("sent-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s, err = openForTest(t, s.Path(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{10, 2, 6} {
		got, err := s.RecordFeedback(ctx, chat.Feedback{Conversation: stored[i].Conversation, AnswerID: fmt.Sprintf("sent-%d", i),
			Member: chat.Member{ID: "u1"}, Vote: chat.VoteUp})
		if err != nil || got != stored[i].ID {
			t.Errorf("a vote on sent-%d found answer %d, %v; want %d", i, got, err, stored[i].ID)
		}
	}
}

// TestMessageKey: an ids entry leads to its record's key whether it holds
// schema 2's conversation or schema 1's whole key, for conversations whose
// bytes look like IDs too.
func TestMessageKey(t *testing.T) {
	boltOnly(t, "keys, no database")
	for _, c := range []chat.Conversation{
		{Platform: "irc", Channel: "#duraspace"},
		{Platform: "d", Channel: "\x01", Thread: "\x01\x02\x03\x04\x05\x06\x07"},
		{Platform: "slack", Channel: "C1", Thread: "1700000000.000100"},
	} {
		for _, id := range []uint64{1, 0x0f3e35, 1 << 56} {
			conv := appendConversation(nil, c)
			want := recordKey(conv, id)
			idKey := appendID(nil, id)
			if got := messageKey(idKey, conv); !bytes.Equal(got, want) {
				t.Errorf("%s, %d: from the conversation %x, want %x", c, id, got, want)
			}
			if got := messageKey(idKey, want); !bytes.Equal(got, want) {
				t.Errorf("%s, %d: from schema 1's key %x, want %x", c, id, got, want)
			}
		}
	}
	if messageKey(appendID(nil, 1), nil) != nil {
		t.Error("no entry led to a key")
	}
}
