package knowledge

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/docent-bot/docent/chat"
)

// TestSureCutSeparates checks what the sure cut (SureConfidence) is for:
// on each docs set's dev questions, a best passage presented as the
// answer is right more often than one shown hedged, as the closest found.
func TestSureCutSeparates(t *testing.T) {
	bg := starterPatterns(t)
	for _, s := range docsSets {
		t.Run(s.name, func(t *testing.T) {
			if _, err := os.Stat(s.dir); err != nil {
				t.Skipf("no %s docs: %v", s.name, err)
			}
			ix := New(Options{})
			ix.SetBackground(bg)
			if err := ix.Rebuild(context.Background(), []Folder{{Path: s.dir, BaseURL: "https://x/"}}); err != nil {
				t.Fatal(err)
			}
			var sure, sureRight, hedged, hedgedRight int
			for _, q := range devQuestions(t, s) {
				hits := ix.Search(q.q, 1, chat.Place{})
				if len(hits) == 0 || hits[0].Confidence < ix.MinConfidence(q.q) {
					continue
				}
				right := slices.Contains(q.want, sectionID(strings.TrimPrefix(hits[0].ID, s.dir+"/")))
				if hits[0].Confidence >= ix.SureConfidence(q.q) {
					sure++
					if right {
						sureRight++
					}
				} else {
					hedged++
					if right {
						hedgedRight++
					}
				}
			}
			ps, ph := float64(sureRight)/float64(max(sure, 1)), float64(hedgedRight)/float64(max(hedged, 1))
			t.Logf("presented as the answer: %d, first passage right %.0f%%; hedged: %d, right %.0f%%", sure, 100*ps, hedged, 100*ph)
			if sure == 0 || hedged > 0 && ps <= ph {
				t.Errorf("the sure cut does not separate: sure %d/%d right, hedged %d/%d", sureRight, sure, hedgedRight, hedged)
			}
		})
	}
}
