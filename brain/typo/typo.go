// Package typo finds words one typing mistake apart: a letter added,
// left out or changed, or two neighbours swapped. The knowledge index
// corrects a question's misspelt words with it, the brain tells an
// intent's words from their typos, and the configuration suggests the
// field or command a misspelt name meant.
package typo

import "slices"

// Distance is the optimal string alignment distance between a and b,
// letters compared: insertions, deletions, substitutions and swaps of
// neighbours each cost 1, so the commonest typo (modle for model) is
// distance 1.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rows suffice: the swap looks two rows back.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

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
// insertion, deletion, substitution or swap of adjacent letters: for
// ASCII words it is Distance(a, b) <= 1 without the table, for the
// indexes that call it for every candidate. Bytes, like Keys: e and é are two
// bytes apart, and share no key either.
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
