package knowledge

import (
	"context"
	"fmt"
	"github.com/docent-bot/docent/chat"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
)

// craftedFS is a small docs folder with known answers.
var craftedFS = fstest.MapFS{
	"guide/intents.md": {Data: []byte("# Intents\n\nIntents are what members ask for.\n\n" +
		"## Format\n\nAn intent has a name, patterns and responses.\n\n" +
		"## Adding an intent\n\nAdd an entry to a YAML file under intents/ and reload.\n\n" +
		"## Languages\n\nResponses by language: zh, ja, ko.\n")},
	"guide/commands.md": {Data: []byte("# Commands\n\n## Ping\n\n`!ping` checks that Docent answers.\n\n" +
		"## Reload\n\n`!reload` re-reads the intents files.\n")},
	"guide/中文.md":       {Data: []byte("# 数据库\n\n## 备份\n\n停止 Docent 后复制数据库文件。\n")},
	"guide/notes.txt":   {Data: []byte("Backups: copy the database file while Docent is stopped.\n\nRestore by copying it back.\n")},
	"guide/.hidden.md":  {Data: []byte("# Hidden\nsecret\n")},
	"guide/.git/x.md":   {Data: []byte("# Git\nobject\n")},
	"guide/image.png":   {Data: []byte("\x89PNG")},
	"guide/sub/deep.md": {Data: []byte("Deep text without a heading.\n")},
	"other/readme.md":   {Data: []byte("# Elsewhere\nnot indexed\n")},
}

func craftedIndex(t testing.TB, opts Options) *Index {
	t.Helper()
	ix := New(opts)
	err := ix.Rebuild(context.Background(), []Folder{{FS: craftedFS, Path: "guide", BaseURL: "https://example.org/docs"}})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestBuildPassages(t *testing.T) {
	ix := craftedIndex(t, Options{})
	var got []Passage
	for _, e := range ix.entries {
		got = append(got, e.p)
	}
	doc := func(id, title, heading, text, link string, within ...string) Passage {
		return Passage{ID: id, Title: title, Heading: heading, Text: text, Within: within, Link: link, Source: SourceDocs}
	}
	want := []Passage{
		doc("guide/commands.md#ping", "Commands", "Commands › Ping", "`!ping` checks that Docent answers.", "https://example.org/docs/commands.md#ping", "guide/commands.md#commands"),
		doc("guide/commands.md#reload", "Commands", "Commands › Reload", "`!reload` re-reads the intents files.", "https://example.org/docs/commands.md#reload", "guide/commands.md#commands"),
		doc("guide/intents.md#intents", "Intents", "Intents", "Intents are what members ask for.", "https://example.org/docs/intents.md#intents"),
		doc("guide/intents.md#format", "Intents", "Intents › Format", "An intent has a name, patterns and responses.", "https://example.org/docs/intents.md#format", "guide/intents.md#intents"),
		doc("guide/intents.md#adding-an-intent", "Intents", "Intents › Adding an intent", "Add an entry to a YAML file under intents/ and reload.", "https://example.org/docs/intents.md#adding-an-intent", "guide/intents.md#intents"),
		doc("guide/intents.md#languages", "Intents", "Intents › Languages", "Responses by language: zh, ja, ko.", "https://example.org/docs/intents.md#languages", "guide/intents.md#intents"),
		doc("guide/notes.txt", "notes", "", "Backups: copy the database file while Docent is stopped.\n\nRestore by copying it back.", "https://example.org/docs/notes.txt"),
		doc("guide/sub/deep.md", "deep", "", "Deep text without a heading.", "https://example.org/docs/sub/deep.md"),
		doc("guide/中文.md#备份", "数据库", "数据库 › 备份", "停止 Docent 后复制数据库文件。", "https://example.org/docs/%E4%B8%AD%E6%96%87.md#备份", "guide/中文.md#数据库"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("passages:\n got %+v\nwant %+v", got, want)
	}
}

func TestSearchRanking(t *testing.T) {
	ix := craftedIndex(t, Options{})
	tests := []struct {
		query string
		want  []string // IDs, best first
	}{
		{"how do I add an intent?", []string{"guide/intents.md#adding-an-intent", "guide/intents.md#format", "guide/intents.md#intents"}},
		{"reload", []string{"guide/commands.md#reload", "guide/intents.md#adding-an-intent"}},
		{"!ping", []string{"guide/commands.md#ping"}},
		// "the" is in the reload passage; 备份 is not the English word.
		{"backup the database", []string{"guide/notes.txt", "guide/commands.md#reload"}},
		{"怎么备份数据库", []string{"guide/中文.md#备份"}},
		{"responses in other languages", []string{"guide/intents.md#languages", "guide/intents.md#format"}},
		{"", nil},
		{"?!", nil},
		{"kubernetes", nil},
	}
	for _, tc := range tests {
		hits := ix.Search(tc.query, 3, chat.Place{})
		var got []string
		for _, h := range hits {
			got = append(got, h.ID)
			if h.Confidence <= 0 || h.Confidence > 1 || h.Score <= 0 {
				t.Errorf("%q: %s has score %g, confidence %g", tc.query, h.ID, h.Score, h.Confidence)
			}
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Search(%q) = %q, want %q", tc.query, got, tc.want)
		}
	}
}

// TestTitleBoost: the same words in a heading outrank them in the text.
func TestTitleBoost(t *testing.T) {
	fsys := fstest.MapFS{
		"a.md": {Data: []byte("# Misc\n## Notes\nSomething about rate limits and other things here.\n")},
		"b.md": {Data: []byte("# Misc\n## Rate limits\nSomething about other things here, at length.\n")},
	}
	ix := New(Options{})
	if err := ix.Rebuild(context.Background(), []Folder{{FS: fsys, Path: "."}}); err != nil {
		t.Fatal(err)
	}
	hits := ix.Search("rate limits", 2, chat.Place{})
	if len(hits) != 2 || hits[0].ID != "b.md#rate-limits" {
		t.Fatalf("Search = %+v, want b.md#rate-limits first", hits)
	}
	ix = New(Options{TitleWeight: 1, HeadingWeight: 1, PairWeight: -1})
	if err := ix.Rebuild(context.Background(), []Folder{{FS: fsys, Path: "."}}); err != nil {
		t.Fatal(err)
	}
	// Without the boost, the shorter passage wins on length alone.
	if hits := ix.Search("rate limits", 2, chat.Place{}); hits[0].ID != "a.md#notes" {
		t.Errorf("unboosted Search = %+v, want a.md#notes first", hits)
	}
}

func TestConfidence(t *testing.T) {
	ix := craftedIndex(t, Options{})
	sure := ix.Search("reload the intents files", 1, chat.Place{})
	vague := ix.Search("reload my kubernetes cluster nodes", 1, chat.Place{})
	if len(sure) != 1 || len(vague) != 1 {
		t.Fatalf("hits: %v, %v", sure, vague)
	}
	// Same best passage; the question whose other words the docs never
	// use is less likely to be answered by it.
	if sure[0].ID != vague[0].ID || !(sure[0].Confidence > 2*vague[0].Confidence) {
		t.Errorf("confidence: %s %.3f vs %s %.3f", sure[0].ID, sure[0].Confidence, vague[0].ID, vague[0].Confidence)
	}
}

// IDF weighs a word by how few passages and background questions use it:
// a word of one passage more than one of many, a word no passage uses the
// most, and a word every question uses ("how") less once the background
// says so.
func TestIDF(t *testing.T) {
	ix := craftedIndex(t, Options{})
	rare, common, unknown := ix.IDF("yaml"), ix.IDF("intent"), ix.IDF("kubernet")
	if !(unknown > rare && rare > common && common > 0) {
		t.Errorf("IDF: unknown %.3f, rare %.3f, common %.3f; want unknown > rare > common > 0", unknown, rare, common)
	}
	before := ix.IDF("how")
	ix.SetBackground([]string{"how do I reload", "how to add an intent", "how can I ping it"})
	if after := ix.IDF("how"); !(after < before) {
		t.Errorf("IDF of a word every question uses: %.3f with the background, %.3f without", after, before)
	}
}

// A past thread is found only from its own place (chat.Visible): never
// from another channel, another guild with a channel of the same ID, a
// DM, another platform, or a search made outside any conversation. And
// the k hits are the best of what may be seen: threads that may not be
// seen do not crowd out one that may, however much better they match.
func TestThreadsOnlyWhereVisible(t *testing.T) {
	ix := craftedIndex(t, Options{})
	here := chat.Place{Platform: "discord", Space: "g1", Channel: "help"}
	if err := ix.AddThread(Thread{ID: "1", Question: "how do I rotate the webhook signing secret", Answer: "Run the rotate command.", Place: here}); err != nil {
		t.Fatal(err)
	}
	// Better matches, said elsewhere.
	elsewhere := []chat.Place{
		{Platform: "discord", Space: "g1", Channel: "staff"},
		{Platform: "discord", Space: "g2", Channel: "help"},
		{Platform: "discord", Channel: "dm-7"},
		{Platform: "slack", Space: "g1", Channel: "help"},
		{Platform: "web", Channel: "visitor-a"},
		{},
	}
	for i, p := range elsewhere {
		q := "rotate the webhook signing secret webhook signing secret rotate"
		if err := ix.AddThread(Thread{ID: fmt.Sprint(100 + i), Question: q, Answer: "secret " + p.Channel, Place: p}); err != nil {
			t.Fatal(err)
		}
	}
	hits := ix.Search("rotate the webhook signing secret", 1, here)
	if len(hits) != 1 || hits[0].ID != "thread:1" {
		t.Fatalf("from its own channel: %+v, want only thread:1", hits)
	}
	for _, at := range elsewhere {
		for _, h := range ix.Search("rotate the webhook signing secret", 10, at) {
			if h.Source == SourceThread && h.Place != at {
				t.Errorf("searched from %+v, found the thread of %+v: %q", at, h.Place, h.Title)
			}
			if h.Source == SourceThread && at == (chat.Place{}) {
				t.Errorf("searched from nowhere, found a thread: %+v", h)
			}
		}
	}
	// Any thread of the channel is the same place.
	if hits := ix.Search("rotate the webhook signing secret", 1, chat.PlaceOf(chat.Conversation{Platform: "discord", Channel: "help", Thread: "t9"}, "g1")); len(hits) != 1 || hits[0].ID != "thread:1" {
		t.Errorf("from another thread of the channel: %+v", hits)
	}
}

func TestThreads(t *testing.T) {
	ix := craftedIndex(t, Options{})
	docs := ix.Len()
	here := chat.Place{Platform: "discord", Space: "guild", Channel: "chan"}
	if err := ix.AddThread(Thread{ID: "42", Question: "How do I rotate the Discord token?", Answer: "Set DISCORD_TOKEN in the environment and restart.", Link: "discord:guild/chan/42", Place: here}); err != nil {
		t.Fatal(err)
	}
	hits := ix.Search("rotate discord token", 1, here)
	want := Passage{ID: "thread:42", Title: "How do I rotate the Discord token?", Text: "Set DISCORD_TOKEN in the environment and restart.", Link: "discord:guild/chan/42", Source: SourceThread, Place: here}
	if len(hits) != 1 || !reflect.DeepEqual(hits[0].Passage, want) {
		t.Fatalf("Search = %+v, want %+v", hits, want)
	}
	// Replacing keeps one passage.
	if err := ix.AddThread(Thread{ID: "42", Question: "token rotation?", Answer: "Restart with the new token.", Place: here}); err != nil {
		t.Fatal(err)
	}
	if ix.Len() != docs+1 {
		t.Errorf("Len = %d, want %d", ix.Len(), docs+1)
	}
	if hits := ix.Search("discord", 3, here); len(hits) != 0 {
		t.Errorf("the old thread's words still match: %+v", hits)
	}
	// Threads survive a rebuild of the docs.
	if err := ix.Rebuild(context.Background(), []Folder{{FS: craftedFS, Path: "guide"}}); err != nil {
		t.Fatal(err)
	}
	if hits := ix.Search("token rotation", 1, here); len(hits) != 1 || hits[0].ID != "thread:42" {
		t.Errorf("after Rebuild: %+v", hits)
	}
	if !ix.RemoveThread("42") || ix.RemoveThread("42") {
		t.Error("RemoveThread: want true, then false")
	}
	if hits := ix.Search("token rotation", 3, here); len(hits) != 0 || ix.Len() != docs {
		t.Errorf("after RemoveThread: %+v, Len %d", hits, ix.Len())
	}
	for _, bad := range []Thread{{Question: "q", Answer: "a"}, {ID: "x", Question: " ", Answer: ""}} {
		if err := ix.AddThread(bad); err == nil {
			t.Errorf("AddThread(%+v): no error", bad)
		}
	}
}

func TestRebuildErrors(t *testing.T) {
	ix := craftedIndex(t, Options{})
	n := ix.Len()
	err := ix.Rebuild(context.Background(), []Folder{{Path: filepath.Join(t.TempDir(), "missing")}})
	if err == nil || !strings.Contains(err.Error(), "knowledge: index ") {
		t.Errorf("missing folder: err = %v", err)
	}
	err = ix.Rebuild(context.Background(), []Folder{{FS: craftedFS, Path: "guide"}, {FS: craftedFS, Path: "guide"}})
	if err == nil || !strings.Contains(err.Error(), "appears twice") {
		t.Errorf("same folder twice: err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ix.Rebuild(ctx, []Folder{{FS: craftedFS, Path: "guide"}}); err == nil {
		t.Error("cancelled: no error")
	}
	if ix.Len() != n {
		t.Errorf("a failed Rebuild changed the index: %d passages, want %d", ix.Len(), n)
	}
}

func TestLargeFileSkipped(t *testing.T) {
	fsys := fstest.MapFS{"big.md": {Data: []byte("# Big\n" + strings.Repeat("word ", 100))}, "small.md": {Data: []byte("# Small\nword\n")}}
	ix := New(Options{MaxFileBytes: 100})
	if err := ix.Rebuild(context.Background(), []Folder{{FS: fsys, Path: "."}}); err != nil {
		t.Fatal(err)
	}
	if hits := ix.Search("word", 5, chat.Place{}); len(hits) != 1 || hits[0].ID != "small.md#small" {
		t.Errorf("Search = %+v, want only small.md", hits)
	}
}

func TestLongSectionParts(t *testing.T) {
	body := strings.Repeat("alpha beta gamma delta. ", 10) + "\n\n" + strings.Repeat("epsilon zeta eta theta. ", 10)
	fsys := fstest.MapFS{"long.md": {Data: []byte("# Long\n" + body)}}
	ix := New(Options{MaxPassageBytes: 300})
	if err := ix.Rebuild(context.Background(), []Folder{{FS: fsys, Path: ".", BaseURL: "https://x/"}}); err != nil {
		t.Fatal(err)
	}
	hits := ix.Search("epsilon", 5, chat.Place{})
	if len(hits) != 1 || hits[0].ID != "long.md#long~2" || hits[0].Link != "https://x/long.md#long" || hits[0].Heading != "Long" {
		t.Errorf("Search = %+v", hits)
	}
	// Every part of the section, in order, from any of them.
	for _, id := range []string{"long.md#long", "long.md#long~2"} {
		parts := ix.Parts(id)
		if len(parts) != 2 || parts[0].ID != "long.md#long" || !strings.HasPrefix(parts[0].Text, "alpha") ||
			parts[1].ID != "long.md#long~2" || !strings.HasPrefix(parts[1].Text, "epsilon") {
			t.Errorf("Parts(%s) = %+v", id, parts)
		}
	}
	if parts := ix.Parts("long.md#long~3"); parts != nil {
		t.Errorf("Parts of no passage = %+v", parts)
	}
}

func TestStateOnDisk(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.md", "# A\nalpha\n")
	write("ignored.yaml", "x: 1\n")
	folders := []Folder{{Path: dir, BaseURL: "https://x/"}}
	s1 := State(folders)
	if !strings.Contains(s1, "a.md") || strings.Contains(s1, "ignored.yaml") {
		t.Errorf("State = %q", s1)
	}
	write("ignored.yaml", "x: 2\n")
	if s := State(folders); s != s1 {
		t.Errorf("State changed for a file that is not indexed")
	}
	write("a.md", "# A\nalpha beta\n")
	s2 := State(folders)
	if s2 == s1 {
		t.Errorf("State did not change when a.md grew")
	}
	write("b.txt", "bravo\n")
	if s := State(folders); s == s2 {
		t.Errorf("State did not change when b.txt appeared")
	}
	ix, err := Build(context.Background(), folders)
	if err != nil {
		t.Fatal(err)
	}
	if hits := ix.Search("bravo", 1, chat.Place{}); len(hits) != 1 || hits[0].Link != "https://x/b.txt" {
		t.Errorf("Search(bravo) = %+v", hits)
	}
	if s := State([]Folder{{Path: filepath.Join(dir, "missing")}}); !strings.Contains(s, "missing") {
		t.Errorf("State of a missing folder = %q, want it named", s)
	}
}

// TestConcurrent searches while threads come and go and the docs are
// rebuilt; run with -race.
func TestConcurrent(t *testing.T) {
	ix := craftedIndex(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if hits := ix.Search("how do I add an intent", 3, chat.Place{}); len(hits) == 0 {
					t.Error("no hits")
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			id := fmt.Sprint(i % 10)
			if err := ix.AddThread(Thread{ID: id, Question: "intent question " + id, Answer: "answer"}); err != nil {
				t.Error(err)
			}
			if i%3 == 0 {
				ix.RemoveThread(fmt.Sprint((i + 5) % 10))
			}
		}
	})
	wg.Go(func() {
		for ctx.Err() == nil {
			if err := ix.Rebuild(context.Background(), []Folder{{FS: craftedFS, Path: "guide"}}); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
}

// Past threads do not change how the docs rank: years of imported
// threads, however many and whatever words they use (misspelt ones too),
// leave the docs' scores and confidences as they were for a search made
// where those threads cannot be seen.
func TestThreadsLeaveDocsRanking(t *testing.T) {
	queries := []string{"how do I add an intent", "reload the intents files", "backup the database", "add an intnet to yaml", "responses by language"}
	ix := craftedIndex(t, Options{})
	before := map[string][]Hit{}
	for _, q := range queries {
		before[q] = ix.Search(q, 3, chat.Place{})
	}
	elsewhere := chat.Place{Platform: "irc", Channel: "#other"}
	for i := range 300 {
		q := fmt.Sprintf("how do I add an intnet %d to the database?", i)
		a := "nick: reload the intents, add it to yaml, the database backup intnet " + strings.Repeat("intent ", i%7)
		if err := ix.AddThread(Thread{ID: fmt.Sprint(i), Question: q, Answer: a, Place: elsewhere}); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range queries {
		if got := ix.Search(q, 3, chat.Place{}); !reflect.DeepEqual(got, before[q]) {
			t.Errorf("%q with 300 threads elsewhere:\n got %+v\nwant %+v", q, got, before[q])
		}
	}
	if hits := ix.Search("add an intnet", 1, elsewhere); len(hits) != 1 || hits[0].Source != SourceThread {
		t.Errorf("from the threads' own place: %+v, want a thread first", hits)
	}
}
