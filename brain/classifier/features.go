package classifier

import (
	"unicode/utf8"

	"github.com/docent-bot/docent/brain/tokenize"
)

// Features are 64-bit FNV-1a hashes of their text with a kind byte in front,
// so the model stores eight bytes per feature instead of the string, and a
// text's features can be found without allocating. Distinct texts colliding
// in 64 bits is negligible for vocabularies of this size.
const (
	kindWord   = 'w' // a whole word, or one CJK character
	kindPair   = 'p' // two adjacent words, or two adjacent CJK characters
	kindSubstr = 's' // a character n-gram of "<word>"
)

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvByte(h uint64, b byte) uint64 { return (h ^ uint64(b)) * fnvPrime }

func fnvBytes(h uint64, b []byte) uint64 {
	for _, c := range b {
		h = (h ^ uint64(c)) * fnvPrime
	}
	return h
}

// featurizer turns a text into feature hashes, each with the one or two
// pieces (words) it came from. It reuses its buffers and is not safe for
// concurrent use.
type featurizer struct {
	sp    tokenize.Splitter
	ids   []uint64
	owner [][2]int32 // pieces a feature came from; the second is -1 for one
	kind  []byte     // kindWord, kindPair or kindSubstr
	runes []int      // byte offsets of the runes of the current "<word>"
	word  []byte     // the current "<word>"
}

// extract fills f.ids and f.owner with the features of text: every word,
// every pair of joined words, and the character n-grams of each word with
// minN <= n <= maxN (none when minN is 0).
func (f *featurizer) extract(text string, minN, maxN int) {
	f.sp.Split(text)
	f.ids = f.ids[:0]
	f.owner = f.owner[:0]
	f.kind = f.kind[:0]
	add := func(h uint64, kind byte, a, b int) {
		f.ids = append(f.ids, h)
		f.owner = append(f.owner, [2]int32{int32(a), int32(b)})
		f.kind = append(f.kind, kind)
	}
	for i, p := range f.sp.Pieces {
		w := f.sp.Lower(i)
		add(fnvBytes(fnvByte(fnvOffset, kindWord), w), kindWord, i, -1)
		if p.Joined && i > 0 && f.sp.Pieces[i-1].Kind == p.Kind {
			h := fnvBytes(fnvByte(fnvOffset, kindPair), f.sp.Lower(i-1))
			h = fnvBytes(fnvByte(h, ' '), w)
			add(h, kindPair, i-1, i)
		}
		if p.Kind != tokenize.Word || minN == 0 {
			continue
		}
		f.word = append(append(append(f.word[:0], '<'), w...), '>')
		f.runes = f.runes[:0]
		for j := 0; j < len(f.word); {
			f.runes = append(f.runes, j)
			_, size := utf8.DecodeRune(f.word[j:])
			j += size
		}
		n := len(f.runes)
		f.runes = append(f.runes, len(f.word))
		for s := range n {
			h := fnvByte(fnvOffset, kindSubstr)
			for e := s + 1; e <= min(n, s+maxN); e++ {
				h = fnvBytes(h, f.word[f.runes[e-1]:f.runes[e]])
				// The whole "<word>" duplicates the word feature.
				if e-s >= minN && !(s == 0 && e == n) {
					add(h, kindSubstr, i, -1)
				}
			}
		}
	}
}

// table maps feature hashes to rows of the model: open addressing with
// linear probing, at most half full. Key 0 marks an empty slot, so a hash
// of 0 is stored as 1.
type table struct {
	// slots keeps each key beside its row, so a lookup costs one cache
	// miss, not two: on a cold cache (a message after a quiet minute) the
	// misses are most of a prediction's time.
	slots []slot
	mask  uint64
}

type slot struct {
	key uint64
	row int32
}

func newTable(keys []uint64) table {
	t := sizedTable(len(keys))
	for i, k := range keys {
		t.put(k, int32(i))
	}
	return t
}

// sizedTable is an empty table for n keys.
func sizedTable(n int) table {
	size := 16
	for size < 2*n {
		size *= 2
	}
	return table{slots: make([]slot, size), mask: uint64(size - 1)}
}

func mix(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	return k
}

func (t *table) put(k uint64, row int32) bool {
	if k == 0 {
		k = 1
	}
	for i := mix(k) & t.mask; ; i = (i + 1) & t.mask {
		switch t.slots[i].key {
		case 0:
			t.slots[i] = slot{k, row}
			return true
		case k:
			return false
		}
	}
}

// get returns the row of k, or -1.
func (t *table) get(k uint64) int32 {
	if k == 0 {
		k = 1
	}
	for i := mix(k) & t.mask; ; i = (i + 1) & t.mask {
		switch s := t.slots[i]; s.key {
		case 0:
			return -1
		case k:
			return s.row
		}
	}
}
