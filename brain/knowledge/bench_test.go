package knowledge

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
)

// datasetsDir holds real projects' docs (Task, Requests, Hugo), outside
// the repository; tests and benchmarks that read them skip without them.
const datasetsDir = "../../../shared/datasets/docs"

func BenchmarkSearchGuide(b *testing.B) {
	ix := guideIndex(b, Options{}, starterPatterns(b))
	set := loadEval(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ix.Search(set.Questions[i%len(set.Questions)].Q, 3, chat.Place{})
	}
}

// syntheticIndex holds n passages of 60 to 200 words drawn from a
// Zipf-distributed vocabulary of 20,000 words, like real prose.
func syntheticIndex(b *testing.B, n int) (*Index, []string) {
	b.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(r, 1.1, 1, 19999)
	word := func() string { return fmt.Sprintf("w%d", zipf.Uint64()) }
	text := func(words int) string {
		var sb strings.Builder
		for range words {
			sb.WriteString(word())
			sb.WriteByte(' ')
		}
		return sb.String()
	}
	ix := New(Options{})
	for i := range n {
		if err := ix.AddThread(Thread{ID: fmt.Sprint(i), Question: text(8), Answer: text(60 + r.IntN(140))}); err != nil {
			b.Fatal(err)
		}
	}
	queries := make([]string, 100)
	for i := range queries {
		queries[i] = text(3 + r.IntN(8))
	}
	return ix, queries
}

func BenchmarkSearch10k(b *testing.B) {
	ix, queries := syntheticIndex(b, 10_000)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ix.Search(queries[i%len(queries)], 5, chat.Place{})
	}
}

func BenchmarkSearch10kParallel(b *testing.B) {
	ix, queries := syntheticIndex(b, 10_000)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			ix.Search(queries[i%len(queries)], 5, chat.Place{})
		}
	})
}

func BenchmarkBuildGuide(b *testing.B) {
	folders := []Folder{{Path: guideDir, BaseURL: guideBase}}
	for b.Loop() {
		if _, err := Build(context.Background(), folders); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAddThread10k(b *testing.B) {
	ix, _ := syntheticIndex(b, 10_000)
	t := Thread{ID: "x", Question: "how do I rotate the token", Answer: strings.Repeat("set the new token and restart ", 10)}
	b.ResetTimer()
	for b.Loop() {
		if err := ix.AddThread(t); err != nil { // replaces: remove + insert
			b.Fatal(err)
		}
	}
}

// BenchmarkSearch10kPenalised is BenchmarkSearch10k with 500 passages
// voted down: the cost of the penalty lookup.
func BenchmarkSearch10kPenalised(b *testing.B) {
	ix, queries := syntheticIndex(b, 10_000)
	for i := range 500 {
		if err := ix.SetPenalty(fmt.Sprintf("thread:%d", i*20), DownvotePenalty(1+i%5)); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ix.Search(queries[i%len(queries)], 5, chat.Place{})
	}
}

// hugoFolders are Hugo's 992 pages of docs (see
// ../shared/datasets/docs/README.md); benchmarks skip without them.
func hugoFolders(b *testing.B) []Folder {
	f := datasetFolders(datasetsDir)["hugo"]
	if _, err := os.Stat(f.Path); err != nil {
		b.Skipf("no Hugo docs at %s (the datasets folder is not beside the repository): %v", f.Path, err)
	}
	return []Folder{f}
}

// timeBuild is how long building folders from their files takes: the
// fastest of three, the baseline of the benchmarks below.
func timeBuild(b *testing.B, folders []Folder) (time.Duration, *Index) {
	b.Helper()
	best := time.Duration(math.MaxInt64)
	var ix *Index
	for range 3 {
		start := time.Now()
		var err error
		if ix, err = Build(context.Background(), folders); err != nil {
			b.Fatal(err)
		}
		best = min(best, time.Since(start))
	}
	return best, ix
}

// BenchmarkBuildHugo indexes Hugo's docs from their files: what a first
// start, or one without a usable cache, does.
func BenchmarkBuildHugo(b *testing.B) {
	folders := hugoFolders(b)
	var ix *Index
	for b.Loop() {
		var err error
		if ix, err = Build(context.Background(), folders); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(ix.Len()), "passages")
}

// BenchmarkRestartHugo indexes Hugo's docs as a restart whose files did
// not change does: the cache read, every file read and summed, nothing
// analysed. "faster" is how many times faster than a build from the files
// timed in the same run.
func BenchmarkRestartHugo(b *testing.B) {
	folders := hugoFolders(b)
	base, ix := timeBuild(b, folders)
	var buf bytes.Buffer
	if err := ix.WriteCache(&buf); err != nil {
		b.Fatal(err)
	}
	cache := buf.Bytes()
	b.ResetTimer()
	for b.Loop() {
		again := New(Options{})
		if err := again.ReadCache(cache); err != nil {
			b.Fatal(err)
		}
		if err := again.Rebuild(context.Background(), folders); err != nil {
			b.Fatal(err)
		}
		if st := again.LastRebuild(); st.Analysed != 0 {
			b.Fatalf("%+v: files analysed again", st)
		}
	}
	b.ReportMetric(float64(base)/(float64(b.Elapsed())/float64(b.N)), "faster")
	b.ReportMetric(float64(len(cache))/(1<<20), "cache-MB")
}

// BenchmarkReindexHugoOneFile changes one of Hugo's pages and rebuilds, as
// the watcher does on a save. "faster" is against a build from the files.
func BenchmarkReindexHugoOneFile(b *testing.B) {
	f := hugoFolders(b)[0]
	dir := b.TempDir()
	if err := os.CopyFS(dir, os.DirFS(f.Path)); err != nil {
		b.Fatal(err)
	}
	f.Path = dir
	folders := []Folder{f}
	base, ix := timeBuild(b, folders)
	page := filepath.Join(dir, "content-management", "shortcodes.md")
	text, err := os.ReadFile(page)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		if err := os.WriteFile(page, fmt.Appendf(bytes.Clone(text), "\nEdit %d.\n", i), 0o644); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := ix.Rebuild(context.Background(), folders); err != nil {
			b.Fatal(err)
		}
		if st := ix.LastRebuild(); st.Analysed != 1 {
			b.Fatalf("%+v: want one file analysed", st)
		}
	}
	b.ReportMetric(float64(base)/(float64(b.Elapsed())/float64(b.N)), "faster")
}

// BenchmarkSearchHugo searches Hugo's docs with questions made of their
// headings, reporting the 50th and 99th percentiles of one search.
func BenchmarkSearchHugo(b *testing.B) {
	folders := hugoFolders(b)
	ix, err := Build(context.Background(), folders)
	if err != nil {
		b.Fatal(err)
	}
	var queries []string
	for i, p := range ix.Passages(func(p Passage) bool { return p.Heading != "" }) {
		if i%7 == 0 {
			queries = append(queries, "how do I use "+strings.ToLower(p.Heading[strings.LastIndex(p.Heading, headingSep)+1:]))
		}
	}
	slices.Sort(queries) // Passages' order is not fixed
	var took []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		ix.Search(queries[i%len(queries)], 5, chat.Place{})
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2])/1e3, "p50-µs")
	b.ReportMetric(float64(took[len(took)*99/100])/1e3, "p99-µs")
}

// BenchmarkSplitHugo splits every Markdown page of Hugo's docs into
// sections and passages, as an index build does, without the analysis.
func BenchmarkSplitHugo(b *testing.B) {
	folder := hugoFolders(b)[0]
	var pages []string
	err := filepath.WalkDir(folder.Path, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".md") {
			return err
		}
		data, err := os.ReadFile(path)
		pages = append(pages, string(data))
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	size, parts := 0, 0
	for _, p := range pages {
		size += len(p)
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		parts = 0
		for _, p := range pages {
			for _, s := range splitMarkdown(p, DefaultMaxPassageBytes, AnchorsGitHub).sections {
				parts += len(s.parts)
			}
		}
	}
	b.ReportMetric(float64(parts), "passages")
}
