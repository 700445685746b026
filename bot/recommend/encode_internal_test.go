package recommend

import (
	"reflect"
	"testing"
	"time"
)

// TestProfileEncoding: a profile reads back as it was written, and every
// cut or damaged copy is an error, never a panic or a wrong profile.
func TestProfileEncoding(t *testing.T) {
	at := time.Date(2026, 3, 4, 10, 0, 0, 123, time.UTC)
	p := Profile{Terms: map[string]float64{"ldap": 2.5, "solr": 0.125, "日本": 1}, At: at,
		Questions: []Asked{{ID: 7, Text: "How do I set up LDAP?", At: at.Add(-time.Hour), Channel: "help"}},
		Channels:  map[string]int{"discord:help": 3}, Wrote: []uint64{7}, Voted: []uint64{9, 1 << 40}}
	raw := encodeProfile(&p)
	got, err := decodeProfile(raw)
	if err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("decode = %+v, %v; want %+v", got, err, p)
	}
	if empty, err := decodeProfile(encodeProfile(&Profile{})); err != nil || !reflect.DeepEqual(empty, Profile{}) {
		t.Errorf("empty profile: %+v, %v", empty, err)
	}
	for n := range len(raw) {
		if _, err := decodeProfile(raw[:n]); err == nil {
			t.Errorf("cut to %d of %d bytes: no error", n, len(raw))
		}
	}
	if _, err := decodeProfile(append(raw, 0)); err == nil {
		t.Error("a byte too many: no error")
	}
}
