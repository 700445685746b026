package dataset

import (
	"testing"

	"github.com/docent-bot/docent/brain/classifier"
)

func TestSimilarPatterns(t *testing.T) {
	ex := []classifier.Example{
		{Text: "how do I report a bug", Label: "report_bug"},
		{Text: "how do I report a security bug", Label: "security"},
		{Text: "how do I report a bug?", Label: "report_bug"}, // same intent: not a problem
		{Text: "where are the docs", Label: "docs"},
	}
	got := SimilarPatterns(ex, 0.7, 10)
	if len(got) != 2 {
		t.Fatalf("got %+v, want the two report_bug patterns paired with the security one", got)
	}
	for _, s := range got {
		if s.B.Label != "security" && s.A.Label != "security" {
			t.Errorf("pair %+v does not cross intents", s)
		}
		if s.Overlap < 0.7 || s.Overlap > 1 {
			t.Errorf("overlap %v", s.Overlap)
		}
	}
}
