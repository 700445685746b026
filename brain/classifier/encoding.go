package classifier

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// formatVersion changes whenever the encoding or the meaning of the weights
// changes; it is part of the fingerprint, so old stored models retrain.
const formatVersion = 2

var magic = [8]byte{'D', 'O', 'C', 'E', 'N', 'T', 'C', 'L'}

// limits on a decoded model, so that a corrupt or hostile file cannot make
// Docent allocate without bound.
const (
	maxLabels   = 1 << 16
	maxFeatures = 1 << 24
	maxString   = 1 << 16
)

// MarshalBinary encodes the model: magic, version, sizes, n-gram lengths,
// labels, feature hashes, then the weights as little-endian float32.
func (m *Model) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.Grow(40 + 4*(len(m.w1)+len(m.w2)+len(m.b1)+len(m.b2)) + 8*len(m.keys))
	b.Write(magic[:])
	u32 := func(v uint32) { b.Write(binary.LittleEndian.AppendUint32(nil, v)) }
	str := func(s string) { u32(uint32(len(s))); b.WriteString(s) }
	floats := func(fs []float32) {
		buf := make([]byte, 4*len(fs))
		for i, f := range fs {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(f))
		}
		b.Write(buf)
	}
	u32(formatVersion)
	u32(uint32(len(m.labels)))
	u32(uint32(len(m.keys)))
	u32(uint32(m.hidden))
	u32(uint32(m.minN))
	u32(uint32(m.maxN))
	for _, l := range m.labels {
		str(l)
	}
	keys := make([]byte, 8*len(m.keys))
	for i, k := range m.keys {
		binary.LittleEndian.PutUint64(keys[8*i:], k)
	}
	b.Write(keys)
	floats(m.w1)
	floats(m.b1)
	floats(m.w2)
	floats(m.b2)
	return b.Bytes(), nil
}

// Decode reads a model written by MarshalBinary. Any damage is an error,
// never a panic.
func Decode(data []byte) (*Model, error) {
	d := decoder{data: data}
	var got [8]byte
	copy(got[:], d.bytes(8))
	if d.err != nil || got != magic {
		return nil, errors.New("classifier: not a Docent classifier model")
	}
	if v := d.u32(); d.err == nil && v != formatVersion {
		return nil, fmt.Errorf("classifier: model format %d, this version reads %d", v, formatVersion)
	}
	nl, nf, h, minN, maxN := d.u32(), d.u32(), d.u32(), d.u32(), d.u32()
	if d.err != nil {
		return nil, fmt.Errorf("classifier: decode model: %w", d.err)
	}
	if nl < 2 || nl > maxLabels || nf > maxFeatures || h < 1 || h > maxHidden {
		return nil, fmt.Errorf("classifier: decode model: implausible sizes (%d intents, %d features, %d hidden)", nl, nf, h)
	}
	if minN > maxN || maxN > maxNGram || (minN == 0) != (maxN == 0) {
		return nil, fmt.Errorf("classifier: decode model: implausible n-gram lengths %d to %d", minN, maxN)
	}
	// Every weight takes 4 bytes and every key 8: refuse before allocating
	// if they can't be there.
	need := 4*(uint64(nf)*uint64(h)+uint64(h)+uint64(nl)*uint64(h)+uint64(nl)) + 8*uint64(nf)
	if need > uint64(len(data)) {
		return nil, fmt.Errorf("classifier: decode model: truncated (%d bytes, need at least %d)", len(data), need)
	}
	m := &Model{hidden: int(h), minN: int(minN), maxN: int(maxN), labels: make([]string, nl), keys: make([]uint64, nf)}
	seen := make(map[string]bool, nl)
	for i := range m.labels {
		m.labels[i] = d.str()
		if seen[m.labels[i]] || m.labels[i] == "" {
			d.fail("empty or duplicate intent %q", m.labels[i])
		}
		seen[m.labels[i]] = true
	}
	if kb := d.bytes(8 * int(nf)); kb != nil {
		for i := range m.keys {
			m.keys[i] = binary.LittleEndian.Uint64(kb[8*i:])
		}
	}
	m.w1 = d.floats(int(nf) * int(h))
	m.b1 = d.floats(int(h))
	m.w2 = d.floats(int(nl) * int(h))
	m.b2 = d.floats(int(nl))
	if d.err != nil {
		return nil, fmt.Errorf("classifier: decode model: %w", d.err)
	}
	if len(d.data) != 0 {
		return nil, fmt.Errorf("classifier: decode model: %d unexpected bytes at the end", len(d.data))
	}
	m.tab = sizedTable(len(m.keys))
	for i, k := range m.keys {
		if !m.tab.put(k, int32(i)) {
			return nil, errors.New("classifier: decode model: duplicate features")
		}
	}
	return m, nil
}

type decoder struct {
	data []byte
	err  error
}

func (d *decoder) bytes(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.data) {
		d.err = errors.New("truncated")
		return nil
	}
	b := d.data[:n]
	d.data = d.data[n:]
	return b
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
}

func (d *decoder) u32() uint32 {
	b := d.bytes(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (d *decoder) str() string {
	n := d.u32()
	if n > maxString {
		d.err = fmt.Errorf("string of %d bytes", n)
		return ""
	}
	return string(d.bytes(int(n)))
}

func (d *decoder) floats(n int) []float32 {
	b := d.bytes(4 * n)
	if b == nil {
		return nil
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		// Training never writes these: a NaN or infinite weight is damage,
		// and would make every probability NaN.
		if f := float64(out[i]); math.IsNaN(f) || math.IsInf(f, 0) {
			d.err = fmt.Errorf("weight %d is %v", i, f)
			return nil
		}
	}
	return out
}
