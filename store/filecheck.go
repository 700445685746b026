package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// ErrDamaged is returned (wrapped) by Open for a file cut short or with
// both of its meta pages broken: bbolt would crash on it (SIGBUS, or
// "invalid freelist page"), so Open refuses it first.
var ErrDamaged = errors.New("database file is damaged")

// bbolt's file layout (go.etcd.io/bbolt/internal/common): pages 0 and 1
// are meta pages, each a page header then the meta; the meta with the
// higher transaction ID that passes its checksum is the one bbolt uses.
const (
	pageHeaderSize = 16 // id uint64, flags uint16, count uint16, overflow uint32
	// meta: magic, version, pageSize, flags uint32; root {pgid, sequence}
	// uint64; freelist, pgid (the high-water mark), txid, checksum uint64.
	metaSize       = 4*4 + 2*8 + 4*8
	metaSummedSize = metaSize - 8 // the checksum (FNV-64a) covers the rest
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	noFreelist     = ^uint64(0)
	minPageSize    = 1 << 10 // the page sizes bbolt tries for meta page 1
	maxPageSize    = 1 << 24
)

type boltMeta struct {
	magic, version, pageSize uint32
	root, freelist, pgid     uint64
	txid                     uint64
	sumOK                    bool
}

// readMeta decodes the meta of the page at off; ok is false when the file
// ends before it.
func readMeta(r io.ReaderAt, off int64) (m boltMeta, ok bool) {
	var b [pageHeaderSize + metaSize]byte
	if _, err := r.ReadAt(b[:], off); err != nil {
		return m, false
	}
	raw := b[pageHeaderSize:]
	le := binary.NativeEndian // bbolt writes its structs as they are in memory
	m = boltMeta{
		magic:    le.Uint32(raw[0:]),
		version:  le.Uint32(raw[4:]),
		pageSize: le.Uint32(raw[8:]),
		root:     le.Uint64(raw[16:]),
		freelist: le.Uint64(raw[32:]),
		pgid:     le.Uint64(raw[40:]),
		txid:     le.Uint64(raw[48:]),
	}
	h := fnv.New64a()
	h.Write(raw[:metaSummedSize])
	m.sumOK = m.magic == boltMagic && m.version == boltVersion && h.Sum64() == le.Uint64(raw[metaSummedSize:])
	return m, true
}

// openChecked opens the database file for bbolt, checking it first
// (checkBolt) when it already exists: the check looks at the very file
// that bbolt will lock and map.
func openChecked(name string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(name, flag&^os.O_CREATE, perm)
	if errors.Is(err, os.ErrNotExist) && flag&os.O_CREATE != 0 {
		return os.OpenFile(name, flag, perm) // new: bbolt initialises it
	}
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && fi.Size() == 0 {
		// Empty and locked: another Docent is creating it right now; bbolt
		// waits for its lock, then finds it initialised.
		if free, lerr := tryLock(f); lerr == nil && !free {
			return f, nil
		}
	}
	if err == nil {
		err = checkBolt(f, fi.Size())
		if err != nil {
			err = &damagedError{err}
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// damagedError carries checkBolt's finding out of bbolt's Open.
type damagedError struct{ err error }

func (e *damagedError) Error() string { return e.err.Error() }

// errNotBolt is checkBolt's answer for a file with no bbolt meta page at all.
var errNotBolt = errors.New("no bbolt meta page")

// fileError says what to do about a file checkBolt refused.
func fileError(path string, err error) error {
	if errors.Is(err, errNotBolt) {
		return fmt.Errorf("store: open %s: not a Docent database (not a bbolt file, or a damaged one): %w", path, err)
	}
	return fmt.Errorf("store: open %s: %w: %w; Docent will not use it. Restore your last backup with `docent restore BACKUP-FILE` (it keeps this file beside the restored one)", path, ErrDamaged, err)
}

// checkBolt checks what bbolt trusts without checking when it opens a file
// of size bytes: at least one meta page intact, and the file as long as
// the meta bbolt will use says (its high-water mark, in pages). A file cut
// short (a full disk, a copy interrupted) fails here instead of crashing
// the process later.
func checkBolt(r io.ReaderAt, size int64) error {
	if size == 0 {
		return errors.New("the file is empty (0 bytes); if Docent never ran on it, delete it")
	}
	m0, ok0 := readMeta(r, 0)
	if !ok0 {
		var head [pageHeaderSize + 4]byte
		if _, err := r.ReadAt(head[:], 0); err != nil || binary.NativeEndian.Uint32(head[pageHeaderSize:]) != boltMagic {
			return errNotBolt
		}
		return fmt.Errorf("the file is %d bytes, shorter than its first meta page", size)
	}
	// Meta page 1 is one page in; the page size is in meta 0, or, when that
	// is broken, found as bbolt finds it: by trying each size.
	var m1 boltMeta
	ok1 := false
	if m0.sumOK {
		m1, ok1 = readMeta(r, int64(m0.pageSize))
	} else {
		for ps := int64(minPageSize); ps <= maxPageSize && ps < size; ps <<= 1 {
			if m, ok := readMeta(r, ps); ok && m.sumOK && int64(m.pageSize) == ps {
				m1, ok1 = m, true
				break
			}
		}
	}
	if m0.magic != boltMagic && (!ok1 || m1.magic != boltMagic) {
		return errNotBolt
	}
	good0, good1 := m0.sumOK, ok1 && m1.sumOK
	var use boltMeta
	switch {
	case !good0 && !good1:
		return errors.New("both of its meta pages fail their checksum")
	case good0 && good1:
		use = m0
		if m1.txid > m0.txid {
			use = m1
		}
	case good0:
		use = m0
	default:
		use = m1
	}
	ps := uint64(use.pageSize)
	switch {
	case ps < 512 || ps > maxPageSize || ps&(ps-1) != 0:
		return fmt.Errorf("its meta page gives an impossible page size %d", ps)
	case use.pgid < 2 || use.pgid > uint64(1)<<62/ps:
		return fmt.Errorf("its meta page gives an impossible size of %d pages", use.pgid)
	case use.root >= use.pgid, use.freelist >= use.pgid && use.freelist != noFreelist:
		return fmt.Errorf("its meta page points past its own end (root page %d, freelist page %d, %d pages)", use.root, use.freelist, use.pgid)
	}
	if want := int64(use.pgid * ps); size < want {
		return fmt.Errorf("the file is cut short: %d bytes, but its meta page (transaction %d) says %d pages of %d bytes, %d bytes", size, use.txid, use.pgid, ps, want)
	}
	return nil
}
