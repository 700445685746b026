package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
)

// damagedDB writes a database of a few hundred pages, with deleted records
// so that its freelist is not empty, and returns its bytes.
func damagedDB(t testing.TB) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "docent.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 300 {
		m := chat.Message{ID: fmt.Sprint("m", i), Conversation: chat.Conversation{Platform: "p", Channel: "c"},
			Author: chat.Member{ID: "u"}, Text: strings.Repeat("words ", 200), Time: at.Add(time.Duration(i) * time.Minute)}
		if _, err := s.AppendMessage(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.DeleteBefore(context.Background(), at.Add(100*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// corruptMeta breaks the checksum of meta page n.
func corruptMeta(b []byte, n int) {
	m, _ := readMeta(bytes.NewReader(b), 0)
	b[n*int(m.pageSize)+pageHeaderSize+48] ^= 0xff // a byte of txid
}

// TestOpenRefusesDamagedFiles: a file cut short, or with both meta pages
// broken, is refused with an error that names it and `docent restore`;
// before, bbolt crashed the process (SIGBUS, "invalid freelist page").
func TestOpenRefusesDamagedFiles(t *testing.T) {
	boltOnly(t, "damaged bbolt files")
	good := damagedDB(t)
	m, _ := readMeta(bytes.NewReader(good), 0)
	ps := int(m.pageSize)
	if len(good) < 8*ps || m.pgid < 8 {
		t.Fatalf("the test database is only %d bytes", len(good))
	}
	if other, _ := readMeta(bytes.NewReader(good), int64(ps)); other.txid > m.txid {
		m = other
	}
	end := int(m.pgid) * ps // where the pages in use end; the file may go on
	cut := func(n int) func([]byte) []byte { return func(b []byte) []byte { return b[:n] } }
	tests := []struct {
		name   string
		damage func([]byte) []byte
		want   string
	}{
		{"half", cut(len(good) / 2), "cut short"},
		{"one page short", cut(end - ps), "cut short"},
		{"one byte short", cut(end - 1), "cut short"},
		{"only meta pages", cut(2 * ps), "cut short"},
		{"one meta page", cut(ps), "cut short"},
		{"half a meta page", cut(40), "shorter than its first meta page"},
		{"0 bytes", cut(0), "empty (0 bytes)"},
		{"both metas corrupted", func(b []byte) []byte { corruptMeta(b, 0); corruptMeta(b, 1); return b }, "both of its meta pages"},
		// Metas intact, the freelist page overwritten: bbolt panics
		// reading it, and Open turns the panic into the error.
		{"freelist overwritten", func(b []byte) []byte {
			use, _ := readMeta(bytes.NewReader(b), 0)
			if other, _ := readMeta(bytes.NewReader(b), int64(ps)); other.txid > use.txid {
				use = other
			}
			off := int(use.freelist) * ps
			copy(b[off:off+ps], bytes.Repeat([]byte{0xA5}, ps))
			return b
		}, "bbolt failed reading it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "docent.db")
			if err := os.WriteFile(path, tt.damage(bytes.Clone(good)), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(path, Options{LockTimeout: 200 * time.Millisecond})
			if err == nil {
				s.Close()
				t.Fatal("Open of a damaged file succeeded")
			}
			if !errors.Is(err, ErrDamaged) {
				t.Errorf("Open: %v; want ErrDamaged", err)
			}
			for _, want := range []string{path, "docent restore", tt.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Open: %q; want it to say %q", err, want)
				}
			}
		})
	}
}

// TestOpenFallsBackToTheOtherMeta: one broken meta page is what a crash
// while writing it leaves; bbolt uses the other, and so must the check.
func TestOpenFallsBackToTheOtherMeta(t *testing.T) {
	boltOnly(t, "bbolt's meta pages")
	for n := range 2 {
		t.Run(fmt.Sprint("meta ", n), func(t *testing.T) {
			b := damagedDB(t)
			corruptMeta(b, n)
			path := filepath.Join(t.TempDir(), "docent.db")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(path, Options{})
			if err != nil {
				t.Fatalf("Open with meta %d broken: %v", n, err)
			}
			if err := s.Check(); err != nil {
				t.Error(err)
			}
			s.Close()
		})
	}
}

// FuzzCheckBolt: any prefix of a real database, with any byte changed,
// is either refused by checkBolt or long enough for what its meta says;
// checkBolt itself never panics.
func FuzzCheckBolt(f *testing.F) {
	boltOnly(f, "bbolt's pages")
	good := damagedDB(f)
	f.Add(uint32(len(good)), uint32(0), byte(0))
	f.Add(uint32(len(good)/2), uint32(20), byte(1))
	f.Add(uint32(8192), uint32(4096+60), byte(0x80))
	f.Fuzz(func(t *testing.T, n, at uint32, flip byte) {
		b := bytes.Clone(good[:int(n)%(len(good)+1)])
		if len(b) > 0 {
			b[int(at)%len(b)] ^= flip
		}
		if err := checkBolt(bytes.NewReader(b), int64(len(b))); err != nil {
			return
		}
		m0, _ := readMeta(bytes.NewReader(b), 0)
		if !m0.sumOK || uint64(len(b)) >= m0.pgid*uint64(m0.pageSize) {
			return
		}
		if m1, ok1 := readMeta(bytes.NewReader(b), int64(m0.pageSize)); !ok1 || !m1.sumOK || m1.txid <= m0.txid {
			t.Fatalf("checkBolt passed %d bytes whose meta 0, the one bbolt uses, needs %d pages of %d", len(b), m0.pgid, m0.pageSize)
		}
	})
}

// TestOpenWaitsForAFileBeingCreated: an empty file that another process
// holds locked is one being created, not a damaged one: Open waits for the
// lock (here: gives up with ErrLocked) instead of calling it damaged.
func TestOpenWaitsForAFileBeingCreated(t *testing.T) {
	boltOnly(t, "a file being created")
	if runtime.GOOS == "windows" {
		t.Skip("lockFile locks nothing on Windows")
	}
	path := filepath.Join(t.TempDir(), "docent.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := lockFile(f, time.Now()); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, Options{LockTimeout: 200 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatal("Open of a locked file succeeded")
	}
	if !errors.Is(err, ErrLocked) || errors.Is(err, ErrDamaged) {
		t.Errorf("Open of an empty file being created: %v; want ErrLocked", err)
	}
}
