package brain

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/docent-bot/docent/brain/classifier"
	"github.com/docent-bot/docent/chat"
)

// Why explains how the brain reads a text: the intent it would choose, its
// probability, the runner-up, and the words that pushed most toward each.
type Why struct {
	Text string
	// Sure is whether the brain would answer with the intent's response.
	Sure              bool
	Threshold, Margin float64 // the ones that applied to the top intent
	// Unsupported is whether the top intent met its threshold and margin
	// but the text's telling words do not support it (see support.go),
	// so the brain is not sure; DocsAnswer whether the docs answer it.
	Unsupported, DocsAnswer bool
	classifier.Explanation
}

// Explain explains text with the current model.
func (b *Brain) Explain(text string) (Why, error) {
	m := b.model.Load()
	if m == nil {
		return Why{}, errors.New("brain: no model: Prepare was not called")
	}
	ex := m.Explain(text)
	w := Why{Text: text, Explanation: ex, Threshold: b.cfg.Threshold, Margin: b.cfg.Margin}
	if len(ex.Labels) == 0 {
		return w, nil
	}
	// The same verdict Answer would reach, from the same probabilities.
	res := classifier.Result{Known: ex.Known}
	for _, l := range ex.Labels {
		res.Top = append(res.Top, classifier.Score{Label: l.Label, P: l.P})
	}
	w.Threshold, w.Margin = b.limits(ex.Labels[0].Label)
	words := placeholder.ReplaceAllString(text, " ")
	w.Sure = b.sure(res, words, chat.Place{})
	if b.confident(res) && !w.Sure {
		w.Unsupported = true
		w.DocsAnswer = len(b.Passages(words, chat.Place{})) > 0
	}
	return w, nil
}

// shorten cuts text to about n bytes at a word boundary.
func shorten(text string, n int) string {
	if len(text) <= n {
		return text
	}
	cut := strings.LastIndexByte(text[:n], ' ')
	if cut < n/2 {
		cut = n
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
	}
	return text[:cut] + "…"
}

// whyWords is how many words are shown for and against an intent.
const whyWords = 3

// String renders the explanation for members, in Markdown.
func (w Why) String() string {
	var b strings.Builder
	if len(w.Labels) == 0 {
		return "I have no intents to compare that with."
	}
	top := w.Labels[0]
	verdict := "I would answer with it"
	switch {
	case w.Known == 0:
		verdict = "but I know none of those words, so I would say I'm not sure"
	case w.Unsupported && w.DocsAnswer:
		verdict = "but some of its telling words are not this intent's and the docs answer it, so I would answer from the docs"
	case w.Unsupported:
		verdict = "but too few of its telling words are this intent's (the others are words every question uses), so I would say I'm not sure"
	case !w.Sure && top.P < w.Threshold:
		verdict = fmt.Sprintf("below my threshold of %.0f%%, so I would say I'm not sure", 100*w.Threshold)
	case !w.Sure:
		verdict = fmt.Sprintf("but less than %.0f points ahead of the runner-up, so I would say I'm not sure", 100*w.Margin)
	}
	fmt.Fprintf(&b, "I read %q as **%s** (%.0f%%), %s.", shorten(w.Text, 80), top.Label, 100*top.P, verdict)
	for i, l := range w.Labels {
		if i > 0 {
			fmt.Fprintf(&b, "\nRunner-up: **%s** (%.0f%%).", l.Label, 100*l.P)
		}
		if toward := words(l.Words, true); toward != "" {
			fmt.Fprintf(&b, " Words for %s: %s.", l.Label, toward)
		}
		if against := words(l.Words, false); against != "" {
			fmt.Fprintf(&b, " Against: %s.", against)
		}
	}
	return b.String()
}

// words lists the strongest words pushing toward (or against) an intent,
// with their weights in log-probability.
func words(ws []classifier.WordWeight, toward bool) string {
	var out []string
	for i := range ws {
		w := ws[i]
		if !toward {
			w = ws[len(ws)-1-i]
		}
		if len(out) == whyWords || (toward && w.Weight <= 0.01) || (!toward && w.Weight >= -0.01) {
			break
		}
		out = append(out, fmt.Sprintf("%q (%+.2f)", w.Word, w.Weight))
	}
	return strings.Join(out, ", ")
}
