package brain

import "github.com/docent-bot/docent/brain/knowledge"

// Calibrated is a Searcher that knows, for each question, the lowest hit
// confidence worth showing: *knowledge.Index learns it from its own docs
// (see knowledge.Index.MinConfidence).
type Calibrated interface {
	MinConfidence(query string) float64
	// Sure says whether the best hit, shown, is presented as the answer;
	// if not, the answer says it is only the closest found.
	Sure(query string, best knowledge.Hit) bool
}

// minConfidence is the lowest hit confidence shown for text: the admin's
// Config.MinConfidence when set, else the Searcher's own cut for this
// question, else knowledge.DefaultMinConfidence.
func (b *Brain) minConfidence(text string) float64 {
	if b.cfg.MinConfidence > 0 {
		return b.cfg.MinConfidence
	}
	if c, ok := b.cfg.Knowledge.(Calibrated); ok {
		return c.MinConfidence(text)
	}
	return knowledge.DefaultMinConfidence
}

// hedged says whether the best hit for text, shown because it passed the
// "not sure" cut, is only the closest found rather than the answer: below
// the Searcher's sure cut, or holding little of the question. With the admin's fixed cut, or a Searcher that
// learns none, what is shown is presented as the answer.
func (b *Brain) hedged(text string, best knowledge.Hit) bool {
	if b.cfg.MinConfidence > 0 {
		return false
	}
	c, ok := b.cfg.Knowledge.(Calibrated)
	return ok && !c.Sure(text, best)
}
