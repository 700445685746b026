package knowledge

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/docent-bot/docent/chat"
)

// TestSureCutSeparates checks what the sure decision (Sure: the sure cut
// and MinCoverage) is for: over the docs sets' dev questions, a best
// passage presented as the answer is right more often than one shown
// hedged, as the closest found. Pooled over the sets, as a set may have
// only one or two hedged answers.
func TestSureCutSeparates(t *testing.T) {
	bg := starterPatterns(t)
	var sure, sureRight, hedged, hedgedRight int
	for _, s := range docsSets {
		if _, err := os.Stat(s.dir); err != nil {
			t.Logf("no %s docs: %v", s.name, err)
			continue
		}
		ix := New(Options{})
		ix.SetBackground(bg)
		if err := ix.Rebuild(context.Background(), []Folder{{Path: s.dir, BaseURL: "https://x/"}}); err != nil {
			t.Fatal(err)
		}
		var n, nRight, h, hRight int
		for _, q := range devQuestions(t, s) {
			hits := ix.Search(q.q, 1, chat.Place{})
			if len(hits) == 0 || hits[0].Confidence < ix.MinConfidence(q.q) {
				continue
			}
			right := slices.Contains(q.want, sectionID(strings.TrimPrefix(hits[0].ID, s.dir+"/")))
			if ix.Sure(q.q, hits[0]) {
				n++
				if right {
					nRight++
				}
			} else {
				h++
				if right {
					hRight++
				}
			}
		}
		t.Logf("%s: presented as the answer %d, first passage right %d; hedged %d, right %d", s.name, n, nRight, h, hRight)
		sure, sureRight, hedged, hedgedRight = sure+n, sureRight+nRight, hedged+h, hedgedRight+hRight
	}
	ps, ph := float64(sureRight)/float64(max(sure, 1)), float64(hedgedRight)/float64(max(hedged, 1))
	t.Logf("all sets: presented as the answer %d, right %.0f%%; hedged %d, right %.0f%%", sure, 100*ps, hedged, 100*ph)
	if sure == 0 || hedged == 0 || ps <= ph {
		t.Errorf("the sure decision does not separate: sure %d/%d right, hedged %d/%d", sureRight, sure, hedgedRight, hedged)
	}
}
