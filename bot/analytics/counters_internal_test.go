package analytics

import (
	"bytes"
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
	f.Fuzz(func(t *testing.T, b []byte) {
		ok, again := decodeCountsRoundTrip(b)
		if !ok {
			return
		}
		ok2, again2 := decodeCountsRoundTrip(again)
		if !ok2 || !bytes.Equal(again, again2) {
			t.Fatalf("%x decodes, but its encoding %x does not round-trip (%v, %x)", b, again, ok2, again2)
		}
	})
}
