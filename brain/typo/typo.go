// Package typo finds words one typing mistake apart: a letter added,
// left out or changed, or two neighbours swapped. The knowledge index
// corrects a question's misspelt words with it, and the brain tells an
// intent's words from their typos.
package typo

import "slices"

// Keys returns word and every way of deleting one of its letters.
// Two words one edit apart (a letter inserted, deleted, replaced, or two
// neighbours swapped) share a key (the symmetric-deletion method of
// SymSpell).
func Keys(word string) []string {
	keys := make([]string, 0, len(word)+1)
	keys = append(keys, word)
	for i := range len(word) {
		if k := word[:i] + word[i+1:]; !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// OneEdit says whether a and b, bytes compared, differ by at most one
// insertion, deletion, substitution or swap of adjacent letters.
func OneEdit(a, b string) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	if len(a)-len(b) > 1 {
		return false
	}
	i := 0
	for i < len(b) && a[i] == b[i] {
		i++
	}
	if i == len(b) {
		return true // equal, or a has one more letter at the end
	}
	if len(a) > len(b) {
		return a[i+1:] == b[i:] // a letter added
	}
	if a[i+1:] == b[i+1:] {
		return true // a letter changed
	}
	return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:] // two swapped
}
