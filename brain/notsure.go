package brain

import "github.com/docent-bot/docent/brain/knowledge"

// Calibrated is a Searcher that knows, for each question, the lowest hit
// confidence worth showing: *knowledge.Index learns it from its own docs
// (see knowledge.Index.MinConfidence).
type Calibrated interface {
	MinConfidence(query string) float64
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
