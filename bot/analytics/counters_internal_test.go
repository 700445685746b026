package analytics

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/docent-bot/docent/chat"
)

// busyDay is a day's counters of a busy channel: 400 members, 1,000 words.
func busyDay() *dayCounts {
	c := &dayCounts{Messages: 550}
	for i := range 400 {
		m := c.member(chat.Member{ID: fmt.Sprintf("1%017d", i*7919), Name: fmt.Sprintf("member%d", i)})
		m.Messages, m.Questions, m.Helped = 1+i%5, i%3, i%7/6
	}
	for i := range 1000 {
		bump(&c.Terms, fmt.Sprintf("term%d", i), 1+i%9)
	}
	for i, src := range []chat.Source{chat.SourceIntent, chat.SourceKnowledge, chat.SourceLLM, chat.SourceFallback} {
		bump(&c.Answers, src, 100*(i+1))
		bump(&c.Up, src, 5+i)
		bump(&c.Down, src, i)
	}
	for i := range 30 {
		bump(&c.Intents, fmt.Sprintf("intent_%d", i), i+1)
		bump(&c.Latency, 40+i, i+1)
	}
	for h := range c.Hours {
		c.Hours[h] = h * 3
	}
	return c
}

func TestCountsRoundTrip(t *testing.T) {
	c := busyDay()
	got, err := decodeCounts(encodeCounts(c))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Error("counters changed through encoding")
	}
	if _, err := decodeCounts(encodeCounts(c)[:100]); err == nil {
		t.Error("a truncated value decoded")
	}
}

// viewCounts is what a countsView read of b holds, as a dayCounts, or
// the read's error.
func viewCounts(v *countsView, b []byte) (*dayCounts, error) {
	if err := v.read(b); err != nil {
		return nil, err
	}
	c := &dayCounts{Messages: v.messages, Hours: v.hours}
	for _, m := range v.members {
		mc := c.member(chat.Member{ID: string(m.id)})
		mc.Name, mc.Messages, mc.Questions, mc.Helped = string(m.name), m.messages, m.questions, m.helped
	}
	for _, p := range []struct {
		dst  *map[chat.Source]int
		from []countView
	}{{&c.Answers, v.answers}, {&c.Up, v.up}, {&c.Down, v.down}} {
		for _, sc := range p.from {
			bump(p.dst, source(sc.key), sc.n)
		}
	}
	for _, in := range v.intents {
		bump(&c.Intents, string(in.key), in.n)
	}
	for _, l := range v.latency {
		bump(&c.Latency, l[0], l[1])
	}
	for _, t := range v.terms {
		bump(&c.Terms, string(t.key), t.n)
	}
	return c, nil
}

// The in-place reader that ReadActivity adds up with reads what
// decodeCounts decodes, reused from a bigger value to a smaller one, and
// refuses what it refuses.
func TestCountsViewReadsAsDecode(t *testing.T) {
	var v countsView
	small := &dayCounts{Messages: 2, Terms: map[string]int{"ldap": 2}}
	small.member(chat.Member{ID: "u1", Name: "ann"}).Messages = 2
	for _, c := range []*dayCounts{busyDay(), small} {
		got, err := viewCounts(&v, encodeCounts(c))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Errorf("read in place: %d members, %d terms; want %d, %d", len(got.Members), len(got.Terms), len(c.Members), len(c.Terms))
		}
	}
	bin := encodeCounts(busyDay())
	for _, bad := range [][]byte{nil, {2}, bin[:100], append(bin[:len(bin):len(bin)], 0)} {
		_, err1 := decodeCounts(bad)
		_, err2 := viewCounts(&v, bad)
		if err1 == nil || err2 == nil {
			t.Errorf("%.20x…: decodeCounts %v, read in place %v; want both refused", bad, err1, err2)
		}
	}
}

// BenchmarkDayCountsDecode is why the counters are not JSON: a month's
// window decodes about a thousand such values.
//
//	go test ./store -run '^$' -bench DayCountsDecode
func BenchmarkDayCountsDecode(b *testing.B) {
	c := busyDay()
	bin := encodeCounts(c)
	js, err := json.Marshal(c)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("binary", func(b *testing.B) {
		b.SetBytes(int64(len(bin)))
		for b.Loop() {
			if _, err := decodeCounts(bin); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.SetBytes(int64(len(js)))
		for b.Loop() {
			var d dayCounts
			if err := json.Unmarshal(js, &d); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// decodeCountsRoundTrip decodes a counters value and encodes it again:
// decoding never panics, and what it encodes decodes to the same value.
func decodeCountsRoundTrip(b []byte) (ok bool, again []byte) {
	c, err := decodeCounts(b)
	if err != nil {
		return false, nil
	}
	return true, encodeCounts(c)
}

func FuzzDayCounts(f *testing.F) {
	f.Add([]byte{1})
	f.Add([]byte{1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte("\x01garbage"))
	var v countsView
	f.Fuzz(func(t *testing.T, b []byte) {
		ok, again := decodeCountsRoundTrip(b)
		if _, err := viewCounts(&v, b); (err == nil) != ok {
			t.Fatalf("%x: decodeCounts ok %v, but read in place: %v", b, ok, err)
		}
		if !ok {
			return
		}
		ok2, again2 := decodeCountsRoundTrip(again)
		if !ok2 || !bytes.Equal(again, again2) {
			t.Fatalf("%x decodes, but its encoding %x does not round-trip (%v, %x)", b, again, ok2, again2)
		}
	})
}

// shortest agrees with what encoding writes: a length is read only in
// the form AppendUvarint gives it.
func TestShortestUvarint(t *testing.T) {
	for _, n := range []uint64{0, 1, 127, 128, 300, 16383, 16384, 1 << 32, 1<<64 - 1} {
		b := binary.AppendUvarint(nil, n)
		if !shortest(b, len(b)) {
			t.Errorf("%d as %x: not the shortest form", n, b)
		}
		if len(b) == binary.MaxVarintLen64 {
			continue // no room to pad
		}
		// The same number padded with a byte that carries nothing.
		long := append(bytes.Clone(b), 0)
		long[len(b)-1] |= 0x80
		if v, w := binary.Uvarint(long); v != n || w != len(long) || shortest(long, w) {
			t.Errorf("%d as %x (%d, %d bytes): taken as the shortest form", n, long, v, w)
		}
	}
}
