package bounded

import (
	"slices"
	"strconv"
	"sync"
	"testing"
)

func TestMap(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
		puts []string
		want []string // keys held afterwards
		gone []string // keys forgotten
		news []bool   // Put's answer for each put
	}{
		{name: "under the size", size: 3, puts: []string{"a", "b"}, want: []string{"a", "b"}, news: []bool{true, true}},
		{name: "oldest forgotten first", size: 2, puts: []string{"a", "b", "c"}, want: []string{"b", "c"}, gone: []string{"a"}, news: []bool{true, true, true}},
		{name: "put again keeps its place", size: 2, puts: []string{"a", "b", "a", "c"}, want: []string{"b", "c"}, gone: []string{"a"}, news: []bool{true, true, false, true}},
		{name: "the ring wraps", size: 2, puts: []string{"a", "b", "c", "d", "e"}, want: []string{"d", "e"}, gone: []string{"a", "b", "c"}, news: []bool{true, true, true, true, true}},
		{name: "a forgotten key is new again", size: 1, puts: []string{"a", "b", "a"}, want: []string{"a"}, gone: []string{"b"}, news: []bool{true, true, true}},
		{name: "the empty key is never held", size: 2, puts: []string{"a", "", "b"}, want: []string{"a", "b"}, gone: []string{""}, news: []bool{true, false, true}},
		{name: "size 0 holds one", size: 0, puts: []string{"a", "b"}, want: []string{"b"}, gone: []string{"a"}, news: []bool{true, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := New[string, string](tc.size)
			for i, k := range tc.puts {
				if got := m.Put(k, "v"+strconv.Itoa(i)); got != tc.news[i] {
					t.Errorf("Put(%q) = %v, want %v", k, got, tc.news[i])
				}
			}
			for _, k := range tc.want {
				if _, ok := m.Get(k); !ok {
					t.Errorf("Get(%q): forgotten, want held", k)
				}
			}
			for _, k := range tc.gone {
				if v, ok := m.Get(k); ok {
					t.Errorf("Get(%q) = %q, want forgotten", k, v)
				}
			}
			if m.Len() != len(tc.want) {
				t.Errorf("Len() = %d, want %d", m.Len(), len(tc.want))
			}
		})
	}
}

func TestMapValues(t *testing.T) {
	m := New[string, int](2)
	m.Put("a", 1)
	m.Put("a", 2)
	if v, _ := m.Get("a"); v != 2 {
		t.Errorf("after Put(a, 2): Get(a) = %d, want 2", v)
	}
	add := func(old int, ok bool) int {
		if !ok {
			return -1
		}
		return old + 10
	}
	if v := m.Update("a", add); v != 12 {
		t.Errorf("Update(a) = %d, want 12", v)
	}
	if v := m.Update("b", add); v != -1 {
		t.Errorf("Update(b), absent = %d, want -1", v)
	}
	if v, ok := m.Get("b"); !ok || v != -1 {
		t.Errorf("Get(b) = %d, %v; want -1, true", v, ok)
	}
	m.Update("c", add) // forgets a, the oldest
	if _, ok := m.Get("a"); ok {
		t.Error("Update of a third key kept the oldest")
	}
}

// TestMapConcurrent: updates of one key from many goroutines are not lost
// (run with -race).
func TestMapConcurrent(t *testing.T) {
	m := New[string, int](4)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				m.Update("k", func(old int, _ bool) int { return old + 1 })
			}
		})
	}
	wg.Wait()
	if v, _ := m.Get("k"); v != 800 {
		t.Errorf("after 800 concurrent increments: %d", v)
	}
}

// FuzzMap compares the map with the plainest model of it: a list of keys,
// oldest first, cut to the size.
func FuzzMap(f *testing.F) {
	f.Add(uint8(3), []byte("abcabdde\x00f"))
	f.Add(uint8(1), []byte("aab"))
	f.Fuzz(func(t *testing.T, size uint8, keys []byte) {
		n := int(size%8) + 1
		m := New[byte, int](n)
		var model []byte
		vals := map[byte]int{}
		for i, k := range keys {
			isNew := k != 0 && !slices.Contains(model, k)
			if got := m.Put(k, i); got != isNew {
				t.Fatalf("Put(%d) = %v, want %v (model %v)", k, got, isNew, model)
			}
			if k == 0 {
				continue
			}
			if isNew {
				model = append(model, k)
				if len(model) > n {
					delete(vals, model[0])
					model = model[1:]
				}
			}
			vals[k] = i
		}
		for k := range 256 {
			v, ok := m.Get(byte(k))
			want, held := vals[byte(k)]
			if ok != held || v != want {
				t.Fatalf("Get(%d) = %d, %v; want %d, %v (model %v)", k, v, ok, want, held, model)
			}
		}
	})
}
