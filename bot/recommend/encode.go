package recommend

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// A profile is written at every message its member sends, in the
// message's transaction: it is stored in a compact binary form of its own
// (JSON took a quarter of `docent bench pipeline`'s time). Version 1:
//
//	1 ‖ at ‖ n ‖ n × (word ‖ weight) ‖ n ‖ n × (id ‖ at ‖ channel ‖ text)
//	  ‖ n ‖ n × (channel ‖ count) ‖ n ‖ n × wrote id ‖ n ‖ n × voted id
//
// where numbers are uvarints, times Unix nanoseconds (varint, 0 for
// none), weights float64 bits (8 bytes, big-endian) and strings a uvarint
// length and their bytes.
const profileFormat = 1

func encodeProfile(p *Profile) []byte {
	b := make([]byte, 0, 64+len(p.Terms)*20)
	b = append(b, profileFormat)
	b = appendTime(b, p.At)
	b = binary.AppendUvarint(b, uint64(len(p.Terms)))
	for t, w := range p.Terms {
		b = appendString(b, t)
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(w))
	}
	b = binary.AppendUvarint(b, uint64(len(p.Questions)))
	for _, q := range p.Questions {
		b = binary.AppendUvarint(b, q.ID)
		b = appendTime(b, q.At)
		b = appendString(b, q.Channel)
		b = appendString(b, q.Text)
	}
	b = binary.AppendUvarint(b, uint64(len(p.Channels)))
	for c, n := range p.Channels {
		b = appendString(b, c)
		b = binary.AppendUvarint(b, uint64(max(n, 0)))
	}
	for _, ids := range [][]uint64{p.Wrote, p.Voted} {
		b = binary.AppendUvarint(b, uint64(len(ids)))
		for _, id := range ids {
			b = binary.AppendUvarint(b, id)
		}
	}
	return b
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.AppendVarint(b, 0)
	}
	return binary.AppendVarint(b, t.UnixNano())
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

var errShort = errors.New("cut short")

// reader reads what encodeProfile wrote; the first problem sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a length, which cannot be more than the bytes left.
func (r *reader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.err = errShort
		return 0
	}
	return int(n)
}

func (r *reader) time() time.Time {
	if r.err != nil {
		return time.Time{}
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errShort
		return time.Time{}
	}
	r.b = r.b[n:]
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(0, v).UTC()
}

func (r *reader) string() string {
	n := r.count()
	if r.err != nil {
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) float() float64 {
	if r.err == nil && len(r.b) < 8 {
		r.err = errShort
	}
	if r.err != nil {
		return 0
	}
	v := math.Float64frombits(binary.BigEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

func decodeProfile(b []byte) (Profile, error) {
	if len(b) == 0 || b[0] != profileFormat {
		return Profile{}, fmt.Errorf("profile: unknown format")
	}
	r := &reader{b: b[1:]}
	var p Profile
	p.At = r.time()
	if n := r.count(); n > 0 {
		p.Terms = make(map[string]float64, n)
		for range n {
			t := r.string()
			p.Terms[t] = r.float()
		}
	}
	for range r.count() {
		p.Questions = append(p.Questions, Asked{ID: r.uvarint(), At: r.time(), Channel: r.string(), Text: r.string()})
	}
	if n := r.count(); n > 0 {
		p.Channels = make(map[string]int, n)
		for range n {
			c := r.string()
			p.Channels[c] = int(r.uvarint())
		}
	}
	for _, ids := range []*[]uint64{&p.Wrote, &p.Voted} {
		for range r.count() {
			*ids = append(*ids, r.uvarint())
		}
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%d bytes too many", len(r.b))
	}
	if r.err != nil {
		return Profile{}, fmt.Errorf("profile: %w", r.err)
	}
	return p, nil
}
