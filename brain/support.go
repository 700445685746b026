package brain

import (
	"github.com/docent-bot/docent/brain/knowledge"
	"github.com/docent-bot/docent/brain/tokenize"
	"github.com/docent-bot/docent/brain/typo"
)

// An intent's verdict needs support from the question's own words. The
// classifier gives every known word a say, and with few intents the
// softmax is confident on words every question uses: after `docent init`
// on Requests, "How do I send the same query param several times…" was
// the capabilities intent at 61%, on "do", "How" and "I" alone, shared
// with "how do I use this bot". So the words that tell a question apart
// (those not common in everyday questions) must be the intent's: at
// least supportShare of them must be words of its patterns. A question of
// common words only ("what can you do", "who are you") is held to the
// same share of all its words.

// supportShare is the least share of a question's telling words that
// must be words of the intent's patterns: "hi, how do I set a timeout"
// (one of hi, set, timeout) is not small talk; "I found a bug in the
// export" (found, bug of found, bug, export) is a bug report, unless the
// docs answer it. On the starter intents, 494 of their 558 English
// patterns keep this share when left out of their intent's words.
const supportShare = 1.0 / 3

// commonShare: a word in at least this share of the off-topic questions
// (knowledge.OffTopic, 200 everyday questions) is one every question
// uses: the, what, is, how, in, of, are, to, i, do, a, does, my, can, me,
// you, who…
const commonShare = 0.05

// commonWords returns the words of at least commonShare of the off-topic
// questions.
func commonWords() map[string]bool {
	questions := knowledge.OffTopic()
	df := map[string]int{}
	for _, q := range questions {
		seen := map[string]bool{}
		for _, t := range tokenize.Tokens(nil, q) {
			if !seen[t.Text] {
				seen[t.Text] = true
				df[t.Text]++
			}
		}
	}
	out := map[string]bool{}
	for w, n := range df {
		if float64(n) >= commonShare*float64(len(questions)) {
			out[w] = true
		}
	}
	return out
}

// patternWords returns, for each intent, the words of its patterns.
func patternWords(intents map[string]*compiledIntent) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for name, in := range intents {
		words := map[string]bool{}
		for _, p := range in.Patterns {
			for _, t := range tokenize.Tokens(nil, p) {
				words[t.Text] = true
			}
		}
		out[name] = words
	}
	return out
}

// support is the share of text's telling words (all its words when
// none is telling) that are words of intent's patterns or typos of them
// ("contribte"); 1 for a text without words, which is left to the
// classifier. Words are compared as tokenize.Tokens gives them, stemmed:
// "installing" is "install".
func (b *Brain) support(intent, text string) float64 {
	own := b.words[intent]
	var telling, all []string
	seen := map[string]bool{}
	for _, t := range tokenize.Tokens(nil, text) {
		if seen[t.Text] {
			continue
		}
		seen[t.Text] = true
		all = append(all, t.Text)
		if !b.common[t.Text] {
			telling = append(telling, t.Text)
		}
	}
	if len(telling) == 0 {
		telling = all
	}
	if len(telling) == 0 {
		return 1
	}
	n := 0
	for _, w := range telling {
		if own[w] || typoOf(w, own, b.near) {
			n++
		}
	}
	return float64(n) / float64(len(telling))
}

// typoOf says whether word, of at least four letters, is one edit (a
// letter added, left out, changed, or two swapped) from a word of words
// ("helo", "chnagelog"), as the classifier's character n-grams allow.
// near holds every pattern word under itself and its one-letter deletions
// (typoIndex), so only the few candidates that share one are compared.
func typoOf(word string, words map[string]bool, near map[string][]string) bool {
	if len(word) < 4 {
		return false
	}
	for _, key := range typo.Keys(word) {
		for _, w := range near[key] {
			if words[w] && typo.OneEdit(word, w) {
				return true
			}
		}
	}
	return false
}

// typoIndex files each word of at least four letters of the intents'
// patterns under itself and each of its one-letter deletions: two words
// one edit apart share a key.
func typoIndex(words map[string]map[string]bool) map[string][]string {
	out := map[string][]string{}
	seen := map[string]bool{}
	for _, ws := range words {
		for w := range ws {
			if len(w) < 4 || seen[w] {
				continue
			}
			seen[w] = true
			for _, key := range typo.Keys(w) {
				out[key] = append(out[key], w)
			}
		}
	}
	return out
}
