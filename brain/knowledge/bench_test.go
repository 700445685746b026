package knowledge

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

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

// BenchmarkBuildHugo indexes Hugo's 992 pages of docs (see
// ../shared/datasets/docs/README.md), when they are there.
func BenchmarkBuildHugo(b *testing.B) {
	dir := filepath.Join(datasetsDir, "hugo", "docs")
	if _, err := os.Stat(dir); err != nil {
		b.Skipf("no Hugo docs at %s: %v", dir, err)
	}
	folders := []Folder{{Path: dir, BaseURL: "https://gohugo.io/"}}
	var ix *Index
	for b.Loop() {
		var err error
		if ix, err = Build(context.Background(), folders); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(ix.Len()), "passages")
}
