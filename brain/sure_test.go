package brain

import (
	"testing"

	"github.com/docent-bot/docent/brain/classifier"
)

// The brain is sure when the top intent reaches the threshold (at it
// counts) and leads the runner-up by at least the margin. The values are
// exact in binary, so the boundaries are the boundaries.
func TestSureAtTheBoundaries(t *testing.T) {
	cfg := testConfig()
	cfg.Threshold, cfg.Margin = 0.5, 0.25
	in := testIntents()
	strict := 0.875
	in[1].Threshold = &strict // report_bug has its own threshold
	b, err := New(cfg, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	result := func(label string, top, runnerUp float64, known int) classifier.Result {
		return classifier.Result{Top: []classifier.Score{{Label: label, P: top}, {Label: "install", P: runnerUp}}, Known: known}
	}
	for _, tc := range []struct {
		name string
		res  classifier.Result
		want bool
	}{
		{"exactly at the threshold", result("greeting", 0.5, 0.125, 2), true},
		{"just below the threshold", result("greeting", 0.5-1.0/1024, 0.125, 2), false},
		{"above the threshold, within the margin", result("greeting", 0.75, 0.625, 2), false},
		{"exactly the margin ahead", result("greeting", 0.75, 0.5, 2), true},
		{"just short of the margin", result("greeting", 0.75, 0.5+1.0/1024, 2), false},
		{"no runner-up", classifier.Result{Top: []classifier.Score{{Label: "greeting", P: 0.5}}, Known: 1}, true},
		{"no known words", result("greeting", 0.99, 0, 0), false},
		{"below the intent's own threshold", result("report_bug", 0.75, 0, 2), false},
		{"at the intent's own threshold", result("report_bug", 0.875, 0, 2), true},
	} {
		if got := b.confident(tc.res); got != tc.want {
			t.Errorf("%s: sure = %v, want %v (%+v)", tc.name, got, tc.want, tc.res)
		}
	}
}
