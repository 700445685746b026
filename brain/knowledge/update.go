package knowledge

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"path"
	"strconv"
)

// docFile is one indexed file's passages, analysed.
type docFile struct {
	key     string  // the file's path after its folder's Path, as passage IDs start
	sum     fileSum // what the entries were made from (see sumFile)
	entries []*entry
}

// fileSum identifies what a file's passages are made from: its folder's
// settings, its path and its text with what it includes.
type fileSum [sha256.Size]byte

func sumFile(f Folder, rel, text string) fileSum {
	h := sha256.New()
	for _, s := range []string{f.Path, f.BaseURL, f.Links, strconv.FormatBool(f.TrailingSlash),
		strconv.FormatBool(f.Lowercase), f.Anchors, rel, text} {
		fmt.Fprintf(h, "%d:", len(s))
		io.WriteString(h, s)
	}
	var sum fileSum
	h.Sum(sum[:0])
	return sum
}

// RebuildStats says what a Rebuild did with the docs files.
type RebuildStats struct {
	Files    int // files indexed
	Analysed int // files split and analysed: new or changed, and not in the cache
	Cached   int // files taken from the cache that ReadCache read
	// CacheFiles is how many files that cache held, used or not.
	CacheFiles int
	Removed    int // files indexed before and gone now
	Passages   int // docs passages
}

// Rebuild indexes the docs of folders in place of the current ones,
// keeping the threads. Every file is read, but only those that are new or
// changed since the last Rebuild (and not in the cache ReadCache read)
// are split and analysed, and only their passages, and those of the files
// that are gone, are replaced or removed. On error the index is unchanged.
// Searches go on meanwhile, on the old passages until the new ones are in.
func (ix *Index) Rebuild(ctx context.Context, folders []Folder) error {
	ix.rebuilding.Lock()
	defer ix.rebuilding.Unlock()
	// ix.files changes only here, under ix.rebuilding: it may be read
	// without ix.mu.
	old := make(map[string]*docFile, len(ix.files))
	for _, df := range ix.files {
		old[df.key] = df
	}
	st := RebuildStats{CacheFiles: len(ix.cached)}
	var files []*docFile
	for _, f := range folders {
		err := ix.readFolder(ctx, f, func(rel, text string) {
			key, sum := path.Join(f.Path, rel), sumFile(f, rel, text)
			if df := old[key]; df != nil && df.sum == sum {
				files = append(files, df)
				return
			}
			if entries, ok := ix.cached[sum]; ok {
				files = append(files, &docFile{key: key, sum: sum, entries: entries})
				st.Cached++
				return
			}
			ps := ix.filePassages(f, rel, text)
			entries := make([]*entry, len(ps))
			for i, p := range ps {
				entries[i] = ix.analyse(p)
			}
			files = append(files, &docFile{key: key, sum: sum, entries: entries})
			st.Analysed++
		})
		if err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	keep := make(map[*docFile]bool, len(files))
	keys := make(map[string]bool, len(files))
	for _, df := range files {
		keep[df], keys[df.key] = true, true
		for _, e := range df.entries {
			if seen[e.p.ID] {
				return fmt.Errorf("knowledge: passage %s appears twice: are two folders the same?", e.p.ID)
			}
			seen[e.p.ID] = true
		}
	}
	st.Files, st.Passages = len(files), len(seen)

	ix.mu.Lock()
	defer ix.mu.Unlock()
	// The passages of a changed file are removed last first, so that its
	// new ones, inserted first first, take the same slots when there are
	// as many: the order of ties stays that of a fresh index.
	was := make(map[*docFile]bool, len(ix.files))
	for i := len(ix.files) - 1; i >= 0; i-- {
		df := ix.files[i]
		was[df] = true
		if keep[df] {
			continue
		}
		for j := len(df.entries) - 1; j >= 0; j-- {
			ix.remove(df.entries[j].p.ID)
		}
		if !keys[df.key] {
			st.Removed++
		}
	}
	changed := st.Removed > 0
	for _, df := range files {
		if was[df] {
			continue
		}
		changed = true
		for _, e := range df.entries {
			// A thread under a doc's ID gives way, as the doc is the
			// folder's.
			ix.remove(e.p.ID)
			ix.insert(e)
		}
	}
	// Summed again in slot order, so that removals leave no rounding
	// behind: the lengths' average is the one a fresh index has.
	ix.totalLen, ix.threadLen = 0, 0
	for _, e := range ix.entries {
		if e != nil {
			ix.totalLen += e.length
			if e.p.Source == SourceThread {
				ix.threadLen += e.length
			}
		}
	}
	if changed {
		ix.docsGen++ // the "not sure" decision is calibrated again
	}
	ix.files, ix.cached, ix.rebuilt = files, nil, st
	return nil
}

// LastRebuild says what the last successful Rebuild did.
func (ix *Index) LastRebuild() RebuildStats {
	ix.rebuilding.Lock()
	defer ix.rebuilding.Unlock()
	return ix.rebuilt
}
