package docseval

import (
	"context"
	"slices"
	"testing"

	"github.com/docent-bot/docent/brain/knowledge"
)

func same(id string) string { return id }

// TestFTS5RanksByBM25 checks that the baseline is really FTS5's bm25():
// a rare word outranks a common one, more occurrences outrank fewer in
// passages of the same length, the Porter stemmer matches "installing"
// with "installed", and a passage with none of the words is not returned.
func TestFTS5RanksByBM25(t *testing.T) {
	ctx := context.Background()
	passages := []knowledge.Passage{
		{ID: "common1", Title: "One", Text: "deploy the server with the config file"},
		{ID: "common2", Title: "Two", Text: "deploy the server and restart the service"},
		{ID: "common3", Title: "Three", Text: "deploy the server once in a while today"},
		{ID: "rare", Title: "Four", Text: "the zeppelin server starts at dawn each day"},
		{ID: "twice", Title: "Five", Text: "zeppelin zeppelin hangar at the field now"},
		{ID: "none", Title: "Six", Text: "nothing to see here at all, move along"},
		{ID: "stem", Title: "Seven", Heading: "Setup", Text: "the package is installed with the tool"},
	}
	f, err := NewFTS5(ctx, passages, same)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	var on int
	if err := f.db.QueryRowContext(ctx, "SELECT sqlite_compileoption_used('ENABLE_FTS5')").Scan(&on); err != nil || on != 1 {
		t.Fatalf("ENABLE_FTS5 compiled in: %d, %v", on, err)
	}
	for _, c := range []struct {
		q    string
		want []string
	}{
		// "zeppelin" is in 2 passages of 7, "deploy" in 3: the rare word
		// wins, and the passage with it twice comes first.
		{"deploy zeppelin", []string{"twice", "rare"}},
		{"installing", []string{"stem"}},
		{"unheard-of words", nil},
	} {
		got, err := f.Search(ctx, c.q)
		if err != nil {
			t.Fatalf("%q: %v", c.q, err)
		}
		if len(c.want) > 0 {
			got = got[:min(len(got), len(c.want))]
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%q: got %v, want %v first", c.q, got, c.want)
		}
	}

	// What FTS5 itself says about the order: bm25() ascending.
	rows, err := f.db.QueryContext(ctx, "SELECT id, bm25(passages) FROM passages WHERE passages MATCH ? ORDER BY bm25(passages)", MatchQuery("deploy zeppelin"))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var order []string
	last := -1e9
	for rows.Next() {
		var id string
		var score float64
		if err := rows.Scan(&id, &score); err != nil {
			t.Fatal(err)
		}
		if score < last || score >= 0 {
			t.Errorf("bm25 of %s = %v after %v: want negative and ascending", id, score, last)
		}
		last = score
		order = append(order, id)
	}
	if len(order) != 5 || order[0] != "twice" || order[1] != "rare" {
		t.Errorf("bm25 order %v: want twice, rare, then the three deploy passages", order)
	}
}

// TestMatchQuery checks that any question is a valid FTS5 query matching
// any of its words: FTS5 syntax in a question is read as words.
func TestMatchQuery(t *testing.T) {
	for q, want := range map[string]string{
		"How do I deploy?":         `"how" OR "do" OR "i" OR "deploy"`,
		`NEAR(a b) AND "x" OR -y*`: `"near" OR "a" OR "b" OR "and" OR "x" OR "or" OR "y"`,
		"CLI_ARGS set, set again":  `"cli" OR "args" OR "set" OR "again"`,
		"怎么 安装":                    `"怎么" OR "安装"`,
		"?!":                       "",
	} {
		if got := MatchQuery(q); got != want {
			t.Errorf("MatchQuery(%q) = %s, want %s", q, got, want)
		}
	}
	f, err := NewFTS5(context.Background(), []knowledge.Passage{{ID: "a", Text: "near and or not"}}, same)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, q := range []string{`NEAR(a b) AND "x" OR -y* ^z :c {d}`, `"unclosed`, "AND", "?!"} {
		if _, err := f.Search(context.Background(), q); err != nil {
			t.Errorf("Search(%q): %v", q, err)
		}
	}
}
