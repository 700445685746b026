package knowledge

import "testing"

// TestRankingAblation compares ranking variants on the eval set, with and
// without the starter intents' patterns as background, and checks that the
// defaults do at least as well as plain BM25. Run with -v for the table.
func TestRankingAblation(t *testing.T) {
	set := loadEval(t)
	bg := starterPatterns(t)
	plain := Options{TitleWeight: 1, HeadingWeight: 1, PairWeight: -1, idf: "lucene", typoWeight: -1}
	variants := []struct {
		name string
		opts Options
	}{
		{"plain BM25 (Lucene idf)", plain},
		{"+ title/heading x2", Options{TitleWeight: 2, HeadingWeight: 2, PairWeight: -1, idf: "lucene", typoWeight: -1, noBurstiness: true, everyPart: true}},
		{"+ title/heading x3", Options{TitleWeight: 3, HeadingWeight: 3, PairWeight: -1, idf: "lucene", typoWeight: -1, noBurstiness: true, everyPart: true}},
		{"classic idf", Options{TitleWeight: 1, HeadingWeight: 1, PairWeight: -1, idf: "classic", typoWeight: -1, noBurstiness: true, everyPart: true}},
		{"squared idf", Options{TitleWeight: 1, HeadingWeight: 1, PairWeight: -1, typoWeight: -1, noBurstiness: true, everyPart: true}},
		{"squared + title/heading x2", Options{TitleWeight: 2, HeadingWeight: 2, PairWeight: -1, typoWeight: -1, noBurstiness: true, everyPart: true}},
		{"... + pairs 0.5 confidence only", Options{TitleWeight: 2, HeadingWeight: 2, pairsConfidenceOnly: true, typoWeight: -1, noBurstiness: true, everyPart: true}},
		{"... + pairs 0.5 ranked", Options{TitleWeight: 2, HeadingWeight: 2, typoWeight: -1, noBurstiness: true, everyPart: true}},
		{"... + typos x0.3", Options{TitleWeight: 2, HeadingWeight: 2, typoWeight: 0.3, noBurstiness: true, everyPart: true}},
		{"... + typos x1", Options{TitleWeight: 2, HeadingWeight: 2, typoWeight: 1, noBurstiness: true, everyPart: true}},
		{"... + typos x0.5", Options{TitleWeight: 2, HeadingWeight: 2, noBurstiness: true, everyPart: true}},
		{"... + burstiness", Options{TitleWeight: 2, HeadingWeight: 2, everyPart: true}},
		{"... + one part per section", Options{TitleWeight: 2, HeadingWeight: 2}},
		{"... + title/heading x3 (defaults)", Options{}},
		{"defaults without burstiness", Options{noBurstiness: true}},
		{"typos x0.5, pairs conf. only", Options{pairsConfidenceOnly: true}},
		{"k1 0.9 b 0.5", Options{K1: 0.9, B: 0.5}},
		{"k1 1.6", Options{K1: 1.6}},
		{"title/heading x2", Options{TitleWeight: 2, HeadingWeight: 2}},
		{"title/heading x4", Options{TitleWeight: 4, HeadingWeight: 4}},
		{"defaults", Options{}},
	}
	var base, def evalResult
	for _, v := range variants {
		for _, background := range [][]string{nil, bg} {
			r := evaluate(guideIndex(t, v.opts, background), set)
			b, a := separation(r.relevant, r.unanswered, DefaultMinConfidence)
			label := "no background"
			if background != nil {
				label = "background"
			}
			t.Logf("%-32s %-14s recall@1 %.3f  recall@3 %.3f  MRR@3 %.3f  at %.2f: %2d answered below, %2d unanswered above",
				v.name, label, r.at1, r.at3, r.mrr, DefaultMinConfidence, b, a)
			switch {
			case v.name == "plain BM25 (Lucene idf)" && background == nil:
				base = r
			case v.name == "defaults" && background != nil:
				def = r
			}
		}
	}
	if def.at3 < base.at3 || def.mrr < base.mrr {
		t.Errorf("the defaults (recall@3 %.3f, MRR %.3f) do worse than plain BM25 (%.3f, %.3f)", def.at3, def.mrr, base.at3, base.mrr)
	}
}
