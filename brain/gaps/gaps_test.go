package gaps

import (
	"reflect"
	"testing"
)

func TestFind(t *testing.T) {
	qs := []Question{
		{1, "how do I rotate the signing keys"},
		{2, "what is the weather like"},
		{3, "rotate signing keys how"},
		{4, "signing key rotation please"},
		{5, "how do I export metrics to prometheus"},
		{6, "prometheus metrics export"},
		{7, "!!!"},
	}
	background := []string{"how do I install it", "how do I report a bug", "what is the license", "how do I contribute"}
	got := Find(qs, background)
	if len(got) != 3 {
		t.Fatalf("%d clusters: %+v", len(got), got)
	}
	ids := func(c Cluster) []uint64 {
		var out []uint64
		for _, q := range c.Questions {
			out = append(out, q.ID)
		}
		return out
	}
	if !reflect.DeepEqual(ids(got[0]), []uint64{1, 3, 4}) || !reflect.DeepEqual(ids(got[1]), []uint64{5, 6}) || !reflect.DeepEqual(ids(got[2]), []uint64{2}) {
		t.Errorf("clusters %v %v %v", ids(got[0]), ids(got[1]), ids(got[2]))
	}
	if got[0].Name != "signing_keys" || got[1].Name != "export_metrics" {
		t.Errorf("names %q and %q, want signing_keys and export_metrics", got[0].Name, got[1].Name)
	}
	if again := Find(qs, background); !reflect.DeepEqual(again, got) {
		t.Error("not deterministic")
	}
}
