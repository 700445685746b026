package docseval

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode"

	"github.com/docent-bot/docent/brain/knowledge"

	_ "modernc.org/sqlite" // pure Go, FTS5 compiled in: no cgo in CI
)

// FTS5Tokenizer is the FTS5 table's tokenizer: Unicode words, lowercased,
// Porter-stemmed, as Docent stems. Without stemming FTS5 does worse.
const FTS5Tokenizer = "porter unicode61"

// FTS5 is the baseline: SQLite FTS5 over the same passages (title,
// heading and text, each a column), ranked by bm25(). It has no "not
// sure": it shows nothing only when no passage has any word of the
// question.
type FTS5 struct {
	db     *sql.DB
	search *sql.Stmt
}

// NewFTS5 puts passages into an in-memory FTS5 table, each under id(its
// ID).
func NewFTS5(ctx context.Context, passages []knowledge.Passage, id func(string) string) (*FTS5, error) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		return nil, fmt.Errorf("fts5: open sqlite: %w", err)
	}
	// Each connection to :memory: is a database of its own: keep one.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	f := &FTS5{db: db}
	if err := f.load(ctx, passages, id); err != nil {
		db.Close()
		return nil, err
	}
	return f, nil
}

func (f *FTS5) load(ctx context.Context, passages []knowledge.Passage, id func(string) string) error {
	create := "CREATE VIRTUAL TABLE passages USING fts5(id UNINDEXED, title, heading, text, tokenize='" + FTS5Tokenizer + "')"
	if _, err := f.db.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("fts5: create table (is FTS5 compiled in?): %w", err)
	}
	tx, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("fts5: begin: %w", err)
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, "INSERT INTO passages (id, title, heading, text) VALUES (?, ?, ?, ?)")
	if err != nil {
		return fmt.Errorf("fts5: prepare insert: %w", err)
	}
	for _, p := range passages {
		if _, err := ins.ExecContext(ctx, id(p.ID), p.Title, p.Heading, p.Text); err != nil {
			return fmt.Errorf("fts5: insert %s: %w", p.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("fts5: commit passages: %w", err)
	}
	// bm25() is lower for better matches.
	f.search, err = f.db.PrepareContext(ctx, "SELECT id FROM passages WHERE passages MATCH ? ORDER BY bm25(passages) LIMIT ?")
	if err != nil {
		return fmt.Errorf("fts5: prepare search: %w", err)
	}
	return nil
}

// Search returns the IDs of the Depth passages bm25() ranks first for q's
// words, any of which may match.
func (f *FTS5) Search(ctx context.Context, q string) ([]string, error) {
	match := MatchQuery(q)
	if match == "" {
		return nil, nil
	}
	rows, err := f.search.QueryContext(ctx, match, Depth)
	if err != nil {
		return nil, fmt.Errorf("fts5: search: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("fts5: read result: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("fts5: search: %w", err)
	}
	return ids, nil
}

// Close frees the table.
func (f *FTS5) Close() error {
	return f.db.Close()
}

// MatchQuery is an FTS5 query matching any word of q: each word (a run
// of letters and digits, as FTS5's unicode61 tokenizer reads them) as a
// quoted string, so that no word is read as an operator (AND, NEAR) or
// syntax, joined by OR. It is empty when q has no word.
func MatchQuery(q string) string {
	words := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
	seen := map[string]bool{}
	var terms []string
	for _, w := range words {
		w = strings.ToLower(w)
		if seen[w] {
			continue
		}
		seen[w] = true
		terms = append(terms, `"`+strings.ReplaceAll(w, `"`, `""`)+`"`)
	}
	return strings.Join(terms, " OR ")
}

// Hits makes a System of a search that returns knowledge hits, naming
// them by id(their ID).
func Hits(name string, search func(q string) []knowledge.Hit, id func(string) string) System {
	return System{Name: name, Search: func(_ context.Context, q string) ([]string, error) {
		hits := search(q)
		ids := make([]string, len(hits))
		for i, h := range hits {
			ids[i] = id(h.ID)
		}
		return ids, nil
	}}
}
