package knowledge

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// cacheOf writes ix's cache.
func cacheOf(t testing.TB, ix *Index) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := ix.WriteCache(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// restarted is a new index with opts that reads cache, then folders, as
// a restarted bot does.
func restarted(t testing.TB, opts Options, cache []byte, folders []Folder) (*Index, error) {
	t.Helper()
	ix := New(opts)
	err := ix.ReadCache(cache)
	if rerr := ix.Rebuild(context.Background(), folders); rerr != nil {
		t.Fatal(rerr)
	}
	return ix, err
}

// TestCacheRestart indexes the guide from the cache of an index built from
// its files: no file is analysed again, and the index holds the same
// entries in the same slots, so it answers every question the same.
func TestCacheRestart(t *testing.T) {
	folders := []Folder{{Path: guideDir, BaseURL: guideBase}}
	ix, err := Build(context.Background(), folders)
	if err != nil {
		t.Fatal(err)
	}
	again, err := restarted(t, Options{}, cacheOf(t, ix), folders)
	if err != nil {
		t.Fatal(err)
	}
	st := again.LastRebuild()
	if st.Analysed != 0 || st.Cached != ix.LastRebuild().Files || st.Files != st.Cached || st.Passages != ix.Len() {
		t.Errorf("LastRebuild() = %+v after a restart from the cache of %+v: want every file from the cache", st, ix.LastRebuild())
	}
	if len(again.entries) != len(ix.entries) {
		t.Fatalf("%d entries from the cache, %d from the files", len(again.entries), len(ix.entries))
	}
	for i := range ix.entries {
		if !reflect.DeepEqual(again.entries[i], ix.entries[i]) {
			t.Fatalf("slot %d: from the cache %+v\nfrom the files %+v", i, again.entries[i], ix.entries[i])
		}
	}
	var queries []string
	for _, q := range loadEval(t).Questions {
		queries = append(queries, q.Q)
	}
	sameSearches(t, again, ix, queries)
}

// TestCacheStaleFile changes a file, removes one and adds one after the
// cache was written: the changed and new files are analysed, the others
// come from the cache, and the index is the one the files make.
func TestCacheStaleFile(t *testing.T) {
	dir := t.TempDir()
	writeDocs(t, dir, map[string]string{
		"alpha.md": "# Alpha\n\nThe alpha page explains caching.\n",
		"bravo.md": "# Bravo\n\nBravo covers the deploy command.\n",
		"gone.md":  "# Gone\n\nThis page is removed.\n",
	})
	folders := []Folder{{Path: dir, BaseURL: "https://x/"}}
	ix, err := Build(context.Background(), folders)
	if err != nil {
		t.Fatal(err)
	}
	cache := cacheOf(t, ix)
	writeDocs(t, dir, map[string]string{
		"bravo.md":   "# Bravo\n\nBravo covers the rollback command.\n",
		"charlie.md": "# Charlie\n\nCharlie sets up the webhook.\n",
	})
	if err := os.Remove(filepath.Join(dir, "gone.md")); err != nil {
		t.Fatal(err)
	}
	again, err := restarted(t, Options{}, cache, folders)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := again.LastRebuild(), (RebuildStats{Files: 3, Analysed: 2, Cached: 1, CacheFiles: 3, Passages: 3}); got != want {
		t.Errorf("LastRebuild() = %+v, want %+v", got, want)
	}
	fresh, err := Build(context.Background(), folders)
	if err != nil {
		t.Fatal(err)
	}
	sameSearches(t, again, fresh, []string{"deploy", "rollback", "webhook", "removed page", "caching"})
}

// TestCacheNotTrusted gives ReadCache damaged caches and caches of other
// settings: each is refused, whole, and Rebuild analyses every file.
func TestCacheNotTrusted(t *testing.T) {
	folders := []Folder{{FS: craftedFS, Path: "guide", BaseURL: "https://example.org/docs"}}
	ix := craftedIndex(t, Options{})
	good := cacheOf(t, ix)
	files := ix.LastRebuild().Files
	// resum writes a cache's checksum again, as if it had been written so.
	resum := func(b []byte) []byte {
		b = bytes.Clone(b[:len(b)-sha256.Size])
		s := sha256.Sum256(b)
		return append(b, s[:]...)
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 1
	otherFormat := bytes.Clone(good)
	otherFormat[len(cacheMagic)]++ // the format, one byte as a uvarint
	for _, c := range []struct {
		name  string
		cache []byte
		opts  Options
		stale bool
	}{
		{"empty", nil, Options{}, false},
		{"not a cache", []byte("# Intents\n\nIntents are what members ask for.\n"), Options{}, false},
		{"a flipped bit", flipped, Options{}, false},
		{"truncated", good[:len(good)-100], Options{}, false},
		{"truncated, checksum written again", resum(good[:len(good)-100]), Options{}, false},
		{"bytes after the end", resum(append(bytes.Clone(good), 0, 0, 0, 0)), Options{}, false},
		{"another format", resum(otherFormat), Options{}, true},
		{"other options", good, Options{TitleWeight: 5}, true},
		{"other passage size", good, Options{MaxPassageBytes: 500}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			again, err := restarted(t, c.opts, c.cache, folders)
			if err == nil {
				t.Fatal("ReadCache took it")
			}
			if errors.Is(err, ErrCacheStale) != c.stale {
				t.Errorf("ReadCache: %v; want stale %v", err, c.stale)
			}
			if st := again.LastRebuild(); st.Analysed != files || st.Cached != 0 {
				t.Errorf("LastRebuild() = %+v, want all %d files analysed", st, files)
			}
		})
	}
	// Whatever the bytes, as long as the checksum holds, decoding fails
	// cleanly or reads a cache: it never panics nor asks for more memory
	// than the cache's size allows.
	fuzzed := New(Options{})
	for i := len(cacheMagic) + 1 + sha256.Size; i < len(good)-sha256.Size; i += 7 {
		for _, v := range []byte{0, 0x7f, 0xff} {
			b := bytes.Clone(good)
			b[i] = v
			fuzzed.ReadCache(resum(b))
		}
	}
}
