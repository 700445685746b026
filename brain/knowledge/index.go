// Package knowledge searches the community's docs and past threads: the
// passages Docent offers, or hands to an LLM, when no intent fits a
// question.
//
// Docs are folders of Markdown (.md, .markdown) and plain text (.txt)
// files. Markdown is split at its headings into passages that keep the
// document's title, the heading path and a link to the heading's anchor;
// plain text is split into groups of paragraphs. Past threads (a question
// and the answer it got) are added and removed while Docent runs.
//
// Ranking is BM25 over brain/tokenize's tokens, so that stems match
// ("installing" finds "install") and Chinese works (characters and
// character pairs). Titles and headings count three times, the IDF is squared,
// and a background of example questions (SetBackground: the intents'
// patterns) makes the words every question uses weigh little. In the
// ranking, a word's weight is also multiplied by its burstiness: how many
// times, on average, the passages that use it use it (title and headings
// counting three times). The words a section is about come back in it
// ("parallel", "dotenv"); the everyday words of a long chat question
// ("inside", "couple", "big") turn up once here and there, and without
// this one of them, rare in the docs, outweighs the rest of the question.
// Search shows one passage per section: its best part. Each hit has
// a Confidence in [0, 1], comparable between queries, in which adjacent
// word pairs of the question ("add intent") found side by side count too,
// and a word the docs do not use counts as its nearest indexed word one
// edit away ("relaod": "reload"), damped.
// Whether the best hit is worth showing at all is Index.MinConfidence's
// to say, a cut each index learns from its own docs (decide.go).
// The choices are measured on docs/guide/eval.yaml (TestRetrievalQuality,
// TestRankingAblation) and on the docs sets of testdata/docs-questions
// (TestDocsSetsAblation).
//
// Passages that members voted down can be penalised (SetPenalty): their
// scores, and so their rank and Confidence, are scaled down by a factor.
//
// An Index is safe for concurrent use: Search holds a read lock while it
// scores; AddThread, RemoveThread, SetPenalty and the final update of
// Rebuild hold the write lock briefly (files are read and tokenised before
// it is taken). Rebuild analyses only the files that changed since the
// last one (or since the cache ReadCache read), and replaces only their
// passages.
package knowledge

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/docent-bot/docent/brain/tokenize"
	"github.com/docent-bot/docent/brain/typo"
	"github.com/docent-bot/docent/chat"
)

// Sources of passages.
const (
	SourceDocs   = "docs"
	SourceThread = "thread"
)

// Passage is one searchable piece of knowledge.
type Passage struct {
	// ID is unique in the index: a doc passage's folder (its Path), its
	// file's path in the folder and its section's anchor
	// ("docs/guide/intents.md#format", "…#format~2" for a long section's
	// second part); a thread's "thread:" and its ID. The part after the
	// folder's Path and "/" is what question sets name
	// ("intents.md#format"): the anchor is the GitHub one of the heading
	// (or its "{#id}"), whatever the site's anchor style, and the page's
	// front matter title is its top heading when it starts without one.
	// It does not change with the folder's link settings.
	ID string
	// Title is the document's title (its first heading, else its file
	// name); for a thread, the question.
	Title string
	// Heading is the heading path, outermost first, joined by " › "
	// ("Intents › Format"); empty for text before any heading and threads.
	Heading string
	// Text is the passage's Markdown or plain text; for a thread, the answer.
	Text string
	// Within is the IDs of the sections that hold a doc passage's,
	// outermost first ("docs/guide/intents.md#intents"). A heading with no
	// text of its own before its subsections has no passage, but is
	// named here: what asks for it finds its subsections.
	Within []string
	// Link is where a member reads it: the folder's base URL, the file's
	// path and the heading's anchor; for a thread, the caller's link.
	Link   string
	Source string // SourceDocs or SourceThread
	// Place is where a thread was said; Search shows it only where
	// chat.Visible allows. Zero for docs, which every member may read.
	Place chat.Place
}

// Hit is a passage found by Search.
type Hit struct {
	Passage
	// Score is the ranking's score (BM25, its words' weights multiplied
	// by their burstiness): comparable between hits of one query.
	Score float64
	// Confidence is Score divided by the most any passage could score for
	// this query (every query term, including those no passage contains,
	// matched as strongly as BM25 allows), so it lies in [0, 1] and is
	// comparable between queries: a question whose words the docs do not
	// use gets a low confidence even when a common word matched.
	Confidence float64
}

// Thread is a past question and the answer it got.
type Thread struct {
	ID       string // the caller's: a record or conversation ID
	Question string
	Answer   string
	Link     string // a link to the thread, or a conversation reference
	// Place is where it was said: Search shows it only where chat.Visible
	// allows. A thread without one is never shown.
	Place chat.Place
}

// Folder is a folder of docs. Files are read from FS when it is set (for
// docs built into the binary with embed), Path being the folder inside it;
// else from the operating system, Path being a path there.
type Folder struct {
	Path    string
	BaseURL string // e.g. https://github.com/org/repo/blob/main/docs/; "/" is added when missing
	FS      fs.FS
	// Links is how a file's path becomes its link: LinksFile ("" too)
	// or LinksPretty.
	Links string
	// TrailingSlash ends pretty links with "/"; an index page's always
	// does.
	TrailingSlash bool
	// Lowercase lowercases the path of pretty links, as Hugo does.
	Lowercase bool
	// Anchors is the site's anchor style, an Anchors constant; ""
	// is AnchorsGitHub for Markdown and AnchorsSphinx for
	// reStructuredText.
	Anchors string
	// Exclude is glob patterns (see Excluded) of files and folders left
	// out of the index: a changelog, a blog.
	Exclude []string
}

func (f Folder) fsys() (fs.FS, string) {
	if f.FS != nil {
		root := path.Clean(f.Path)
		if root == "" || root == "/" {
			root = "."
		}
		return f.FS, root
	}
	return os.DirFS(f.Path), "."
}

// Options tune the index. The zero value means the defaults.
type Options struct {
	// K1 and B are BM25's term-frequency saturation and length
	// normalisation (default 1.2 and 0.75).
	K1, B float64
	// TitleWeight and HeadingWeight are how many times a word of the
	// title or of the heading path counts, against once in the text
	// (defaults 3 and 3, measured with burstiness on docs/guide/eval.yaml
	// and the docs sets of testdata/docs-questions: 2 did as well on
	// the guide and worse on the others; 1 turns the boost off).
	TitleWeight, HeadingWeight float64
	// PairWeight is how much a pair of adjacent query words found side by
	// side in a passage counts, relative to one word, in the score and the
	// Confidence (default 0.5; negative: pairs are not indexed).
	PairWeight float64
	// MaxPassageBytes bounds a passage's text (default 1500); longer
	// sections are cut at paragraph boundaries.
	MaxPassageBytes int
	// MaxFileBytes skips larger files, with a warning (default 4 MiB).
	MaxFileBytes int64
	// Log receives warnings about skipped files; nil discards them.
	Log *slog.Logger

	// idf picks the IDF formula, for the ablation in the tests: "" is
	// Lucene's log(1 + (N-df+0.5)/(df+0.5)) squared, so that rare words
	// count more and common ones less; "lucene" is it unsquared, and
	// "classic" Robertson-Spärck Jones's log((N-df+0.5)/(df+0.5)) floored
	// at 0.
	idf string
	// pairsConfidenceOnly makes pairs count in the confidence only, not
	// in the ranking, for the ablation.
	pairsConfidenceOnly bool
	// typoWeight is how much the nearest known word of a misspelt query
	// word counts (default defaultTypoWeight; negative: typos are not
	// corrected), for the ablation.
	typoWeight float64
	// notSureQuantile is the "not sure" decision's quantile (default
	// DefaultNotSureQuantile), for the measures in the tests.
	notSureQuantile float64
	// noBurstiness ranks without the words' burstiness, and everyPart
	// lets several parts of one section be hits, for the ablation.
	noBurstiness, everyPart bool
}

// Defaults.
const (
	DefaultK1              = 1.2
	DefaultB               = 0.75
	DefaultTitleWeight     = 3
	DefaultHeadingWeight   = 3
	DefaultPairWeight      = 0.5
	DefaultMaxPassageBytes = 1500
	DefaultMaxFileBytes    = 4 << 20

	defaultTypoWeight = 0.5
)

func (o Options) withDefaults() Options {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.K1, DefaultK1)
	if o.B == 0 {
		o.B = DefaultB
	}
	o.B = min(max(o.B, 0), 1)
	def(&o.TitleWeight, DefaultTitleWeight)
	def(&o.HeadingWeight, DefaultHeadingWeight)
	def(&o.PairWeight, DefaultPairWeight)
	o.PairWeight = max(o.PairWeight, 0)
	def(&o.typoWeight, defaultTypoWeight)
	def(&o.notSureQuantile, DefaultNotSureQuantile)
	o.typoWeight = max(o.typoWeight, 0)
	if o.MaxPassageBytes <= 0 {
		o.MaxPassageBytes = DefaultMaxPassageBytes
	}
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = DefaultMaxFileBytes
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// Index is a searchable set of passages. It is safe for concurrent use.
type Index struct {
	opts Options

	mu sync.RWMutex // guards everything below
	// entries holds every passage by slot; a removed thread leaves a nil
	// slot that the next AddThread reuses (free).
	entries  []*entry
	free     []int32
	byID     map[string]int32
	postings map[string][]posting
	live     int     // non-nil entries
	threads  int     // live entries that are past threads
	totalLen float64 // sum of live entries' lengths
	// threadDF and threadLen are the past threads' share of postings and
	// totalLen: the ranking's statistics leave them out, so that years of
	// imported threads do not change how the docs rank (see docStats).
	threadDF  map[string]int32
	threadCF  map[string]float64 // the threads' sum of each term's tf
	threadLen float64
	// bgDF and bgN are the document frequencies and number of the
	// background texts (see SetBackground).
	bgDF map[string]int32
	bgN  int
	// near maps each indexed word that typos are corrected to (see
	// typoKeys), and each of its one-letter deletions, to the words: the
	// words one edit from a query word share a key with it.
	near map[string][]string
	// penalties scale the scores of passages members voted down, by
	// passage ID (see SetPenalty); kept across Rebuild. penalised holds
	// the slots of the indexed ones, so that Search costs nothing more
	// without penalties and one step per penalised passage with them.
	penalties map[string]float64
	penalised []int32
	// files are the indexed docs files with their entries, in the order
	// Rebuild read them (see update.go).
	files []*docFile

	rebuilding sync.Mutex // one Rebuild at a time; guards cached and rebuilt
	// cached are the entries ReadCache read, by file sum, for the next
	// Rebuild; rebuilt says what the last one did.
	cached  map[fileSum][]*entry
	rebuilt RebuildStats
	// probe computes probeSum and probeErr once (see analyserSum).
	probe    sync.Once
	probeSum fileSum
	probeErr error
	// docsGen counts the changes of docs and background, after which the
	// "not sure" decision is calibrated again (see decide.go).
	docsGen uint64

	accumulators sync.Pool // of *accumulator
	cal          calibration
}

// entry is an analysed passage.
type entry struct {
	p       Passage
	section string     // p.ID without its part number: hits are one per section
	terms   []termFreq // distinct terms, for postings and removal
	length  float64    // weighted number of terms
	// penalty scales the passage's score: penalties[p.ID], or 1. Set when
	// the entry is inserted and by SetPenalty, under the write lock.
	penalty float64
}

type termFreq struct {
	term string
	tf   float32
}

type posting struct {
	slot int32
	tf   float32
}

// New returns an empty index.
func New(opts Options) *Index {
	return &Index{
		opts: opts.withDefaults(), byID: map[string]int32{}, postings: map[string][]posting{}, near: map[string][]string{},
		accumulators: sync.Pool{New: func() any { return new(accumulator) }},
	}
}

// Build indexes the folders with the default options.
func Build(ctx context.Context, folders []Folder) (*Index, error) {
	ix := New(Options{})
	if err := ix.Rebuild(ctx, folders); err != nil {
		return nil, err
	}
	return ix, nil
}

// AddThread adds a past thread, replacing one with the same ID.
func (ix *Index) AddThread(t Thread) error {
	if t.ID == "" {
		return errors.New("knowledge: add thread: empty ID")
	}
	if strings.TrimSpace(t.Question) == "" && strings.TrimSpace(t.Answer) == "" {
		return fmt.Errorf("knowledge: add thread %s: no question and no answer", t.ID)
	}
	e := ix.analyse(Passage{
		ID: "thread:" + t.ID, Title: strings.TrimSpace(normalise(t.Question)), Text: strings.TrimSpace(normalise(t.Answer)),
		Link: t.Link, Source: SourceThread, Place: t.Place,
	})
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.remove(e.p.ID)
	ix.insert(e)
	return nil
}

// RemoveThread removes the thread with this ID; it reports whether there was one.
func (ix *Index) RemoveThread(id string) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.remove("thread:" + id)
}

// SetPenalty makes the passage with this ID score factor times as much as
// it otherwise would, in the ranking and in the Confidence: members voted
// down answers that showed it. factor must be in (0, 1]; 1 removes the
// penalty. The penalty is kept when the docs are re-indexed, and applies to
// a passage added later under the same ID.
func (ix *Index) SetPenalty(id string, factor float64) error {
	if !(factor > 0 && factor <= 1) {
		return fmt.Errorf("knowledge: penalty for passage %q: %v is not a factor in (0, 1]", id, factor)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if slot, ok := ix.byID[id]; ok {
		ix.entries[slot].penalty = factor
		ix.penalised = slices.DeleteFunc(ix.penalised, func(s int32) bool { return s == slot })
		if factor != 1 {
			ix.penalised = append(ix.penalised, slot)
		}
	}
	if factor == 1 {
		delete(ix.penalties, id)
		return nil
	}
	if ix.penalties == nil {
		ix.penalties = map[string]float64{}
	}
	ix.penalties[id] = factor
	return nil
}

// Passages returns the passages keep accepts, in no particular order. It
// reads every passage: for occasional work, not for each question.
func (ix *Index) Passages(keep func(Passage) bool) []Passage {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var out []Passage
	for _, e := range ix.entries {
		if e != nil && keep(e.p) {
			out = append(out, e.p)
		}
	}
	return out
}

// Parts returns the parts of the section that the passage id is part of,
// in the section's order: a long section is cut in parts, and a part
// may start inside a code block that an earlier one opens. Nil when no
// passage has that ID.
func (ix *Index) Parts(id string) []Passage {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if _, ok := ix.byID[id]; !ok {
		return nil
	}
	var out []Passage
	section := sectionID(id)
	for i := 0; ; i++ {
		slot, ok := ix.byID[partID(section, i)]
		if !ok || ix.entries[slot] == nil {
			return out
		}
		out = append(out, ix.entries[slot].p)
	}
}

// Penalty returns the passage's penalty factor, 1 when it has none.
func (ix *Index) Penalty(id string) float64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if f, ok := ix.penalties[id]; ok {
		return f
	}
	return 1
}

// Downvote penalties: a passage shown in n answers that members voted down
// scores 1/(1 + DownvoteWeight·n) of what it would, and never less than
// MinDownvotePenalty of it, so that a few votes cannot bury a passage for
// good: an only answer still shows, lower.
const (
	DownvoteWeight     = 0.5
	MinDownvotePenalty = 0.25
)

// DownvotePenalty is the factor for a passage shown in n downvoted answers.
func DownvotePenalty(n int) float64 {
	if n <= 0 {
		return 1
	}
	return max(1/(1+DownvoteWeight*float64(n)), MinDownvotePenalty)
}

// Threads returns the number of past threads indexed.
func (ix *Index) Threads() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.threads
}

// Len is how many passages the index holds.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.live
}

// SetBackground sets texts that count towards how common each word is,
// but are never returned: typically the intents' example questions. Docs
// are written in statements, so the words every question uses ("how do
// I", "what", "怎么") are rare in them and would weigh as much as the
// words that matter; among questions they are common, and weigh little.
// It replaces the previous background.
func (ix *Index) SetBackground(texts []string) {
	df := map[string]int32{}
	seen := map[string]bool{}
	for _, text := range texts {
		clear(seen)
		for _, q := range ix.queryTerms(text) {
			if !seen[q.term] {
				seen[q.term] = true
				df[q.term]++
			}
		}
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.bgDF, ix.bgN = df, len(texts)
	ix.docsGen++
}

// insert adds e; the caller holds the write lock and has removed any entry
// with e's ID.
func (ix *Index) insert(e *entry) {
	var slot int32
	if n := len(ix.free); n > 0 {
		slot = ix.free[n-1]
		ix.free = ix.free[:n-1]
		ix.entries[slot] = e
	} else {
		slot = int32(len(ix.entries))
		ix.entries = append(ix.entries, e)
	}
	ix.byID[e.p.ID] = slot
	e.penalty = 1
	if f, ok := ix.penalties[e.p.ID]; ok {
		e.penalty = f
		ix.penalised = append(ix.penalised, slot)
	}
	for _, t := range e.terms {
		ps := ix.postings[t.term]
		if len(ps) == 0 && ix.opts.typoWeight > 0 && correctable(t.term) {
			for _, k := range typo.Keys(t.term) {
				ix.near[k] = append(ix.near[k], t.term)
			}
		}
		ix.postings[t.term] = append(ps, posting{slot: slot, tf: t.tf})
	}
	ix.live++
	if e.p.Source == SourceThread {
		ix.threads++
		ix.threadLen += e.length
		if ix.threadDF == nil {
			ix.threadDF, ix.threadCF = map[string]int32{}, map[string]float64{}
		}
		for _, t := range e.terms {
			ix.threadDF[t.term]++
			ix.threadCF[t.term] += float64(t.tf)
		}
	}
	ix.totalLen += e.length
}

// remove deletes the entry with this ID; the caller holds the write lock.
func (ix *Index) remove(id string) bool {
	slot, ok := ix.byID[id]
	if !ok {
		return false
	}
	e := ix.entries[slot]
	for _, t := range e.terms {
		ps := ix.postings[t.term]
		if i := slices.IndexFunc(ps, func(p posting) bool { return p.slot == slot }); i >= 0 {
			ps[i] = ps[len(ps)-1]
			ps = ps[:len(ps)-1]
		}
		if len(ps) == 0 {
			delete(ix.postings, t.term)
			if ix.opts.typoWeight > 0 && correctable(t.term) {
				for _, k := range typo.Keys(t.term) {
					ws := slices.DeleteFunc(ix.near[k], func(w string) bool { return w == t.term })
					if len(ws) == 0 {
						delete(ix.near, k)
					} else {
						ix.near[k] = ws
					}
				}
			}
		} else {
			ix.postings[t.term] = ps
		}
	}
	delete(ix.byID, id)
	if e.penalty != 1 {
		ix.penalised = slices.DeleteFunc(ix.penalised, func(s int32) bool { return s == slot })
	}
	ix.entries[slot] = nil
	ix.free = append(ix.free, slot)
	ix.live--
	if e.p.Source == SourceThread {
		ix.threads--
		ix.threadLen -= e.length
		for _, t := range e.terms {
			ix.threadCF[t.term] -= float64(t.tf)
			if ix.threadDF[t.term]--; ix.threadDF[t.term] <= 0 {
				delete(ix.threadDF, t.term)
				delete(ix.threadCF, t.term)
			}
		}
	}
	ix.totalLen -= e.length
	if ix.live == 0 {
		ix.totalLen = 0 // no drift from float sums
	}
	if ix.threads == 0 {
		ix.threadLen = 0
	}
	return true
}

// pairSep joins the two words of a pair term; words never contain it.
const pairSep = "\x00"

// terms appends the distinct terms of text to tf, each occurrence adding
// weight: the tokens, and pairs of adjacent words.
func (ix *Index) terms(tf map[string]float32, toks []tokenize.Token, text string, weight float64) (float64, []tokenize.Token) {
	toks = tokenize.Tokens(toks[:0], text)
	n := 0.0
	prev := ""
	for _, t := range toks {
		tf[t.Text] += float32(weight)
		n += weight
		if t.Kind != tokenize.Word {
			prev = ""
			continue
		}
		if prev != "" && ix.opts.PairWeight > 0 {
			tf[prev+pairSep+t.Text] += float32(weight)
		}
		prev = t.Text
	}
	return n, toks
}

// analyse tokenises a passage's fields into weighted term frequencies.
func (ix *Index) analyse(p Passage) *entry {
	tf := map[string]float32{}
	var toks []tokenize.Token
	var n, length float64
	n, toks = ix.terms(tf, toks, p.Title, ix.opts.TitleWeight)
	length += n
	// The heading path repeats the title first: count only what is below it.
	heading := p.Heading
	if p.Title != "" {
		if rest, ok := strings.CutPrefix(heading, p.Title); ok {
			heading = strings.TrimPrefix(rest, headingSep)
		}
	}
	n, toks = ix.terms(tf, toks, heading, ix.opts.HeadingWeight)
	length += n
	n, _ = ix.terms(tf, toks, p.Text, 1)
	length += n
	e := &entry{p: p, section: p.ID, length: length, terms: make([]termFreq, 0, len(tf))}
	if p.Source == SourceDocs {
		e.section = sectionID(p.ID)
	}
	for t, f := range tf {
		e.terms = append(e.terms, termFreq{t, f})
	}
	slices.SortFunc(e.terms, func(a, b termFreq) int { return strings.Compare(a.term, b.term) })
	return e
}

// queryTerm is a distinct term of a query with its weight.
type queryTerm struct {
	term   string
	weight float64
}

// queryTerms returns the distinct terms of a query.
func (ix *Index) queryTerms(query string) []queryTerm {
	toks := tokenize.Tokens(nil, query)
	var out []queryTerm
	seen := map[string]bool{}
	add := func(t string, w float64) {
		if !seen[t] {
			seen[t] = true
			out = append(out, queryTerm{t, w})
		}
	}
	prev := ""
	for _, t := range toks {
		add(t.Text, 1)
		if t.Kind != tokenize.Word {
			prev = ""
			continue
		}
		if prev != "" && ix.opts.PairWeight > 0 {
			add(prev+pairSep+t.Text, ix.opts.PairWeight)
		}
		prev = t.Text
	}
	return out
}

// Search returns up to k passages for query, best first, as seen from the
// place at: docs passages, and the past threads that chat.Visible lets a
// member there see (none for a zero place), one per section: the best of
// a long section's parts. Passages sharing no term with the query are never
// returned.
func (ix *Index) Search(query string, k int, at chat.Place) []Hit {
	if k <= 0 {
		return nil
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.live == 0 {
		return nil
	}
	qs := ix.queryTerms(query)
	if len(qs) == 0 {
		return nil
	}
	k1, b := ix.opts.K1, ix.opts.B
	avg, n := ix.docStats()
	acc := ix.accumulators.Get().(*accumulator)
	defer ix.accumulators.Put(acc)
	acc.reset(len(ix.entries))
	// Pairs of words side by side count towards the order and the
	// confidence: measured on the eval set, with typo correction they put
	// more answers first and separate answered questions from others better.
	var best, bestPairs float64 // the most any passage could score
	for _, q := range qs {
		ps := ix.postings[q.term]
		idf := ix.idf(n, ix.docDF(q.term, ps))
		w := q.weight * idf
		pair := strings.Contains(q.term, pairSep)
		if pair {
			bestPairs += w * (k1 + 1)
		} else {
			best += w * (k1 + 1)
		}
		burst := 1.0
		if !pair {
			burst = ix.burstiness(q.term, ps)
		}
		for _, p := range ps {
			tf := float64(p.tf)
			norm := k1 * (1 - b + b*ix.entries[p.slot].length/avg)
			s := w * tf * (k1 + 1) / (tf + norm)
			if pair && ix.opts.pairsConfidenceOnly {
				acc.pairs[p.slot] += s
				continue
			}
			if acc.scores[p.slot] == 0 {
				acc.touched = append(acc.touched, p.slot)
			}
			acc.scores[p.slot] += s * burst
			acc.plain[p.slot] += s
		}
		// A word the docs do not use may be misspelt: its nearest
		// indexed word counts instead, damped. The
		// most it could score (best) stays that of the unknown word.
		if ix.docCount(q.term, ps) == 0 && !pair && ix.opts.typoWeight > 0 {
			if c := ix.correction(q.term, qs); c != "" {
				ps := ix.postings[c]
				w := q.weight * ix.opts.typoWeight * ix.idf(n, ix.docDF(c, ps))
				burst := ix.burstiness(c, ps)
				for _, p := range ps {
					tf := float64(p.tf)
					norm := k1 * (1 - b + b*ix.entries[p.slot].length/avg)
					if acc.scores[p.slot] == 0 {
						acc.touched = append(acc.touched, p.slot)
					}
					s := w * tf * (k1 + 1) / (tf + norm)
					acc.scores[p.slot] += s * burst
					acc.plain[p.slot] += s
				}
			}
		}
	}
	for _, slot := range ix.penalised {
		f := ix.entries[slot].penalty
		acc.scores[slot] *= f
		acc.plain[slot] *= f
		acc.pairs[slot] *= f
	}
	top := make([]scored, 0, k+1)
	for _, slot := range acc.touched {
		// Filtered before ranking, so that the k hits are the best of what
		// this member may see, not what is left of the best of all.
		if p := &ix.entries[slot].p; p.Source == SourceThread && !chat.Visible(p.Place, at) {
			continue
		}
		top = ix.insertTop(top, scored{slot, acc.scores[slot]}, k)
	}
	hits := make([]Hit, len(top))
	for i, s := range top {
		// The confidence leaves burstiness out: it says how much of the
		// question a passage matches, whatever the words' ranking weights.
		conf := (acc.plain[s.slot] + acc.pairs[s.slot]) / (best + bestPairs)
		hits[i] = Hit{Passage: ix.entries[s.slot].p, Score: s.score, Confidence: min(conf, 1)}
	}
	return hits
}

// Similarity says how alike two texts are, from 0 (no word in common) to
// 1 (the same words): the cosine of their terms, words and pairs of
// adjacent words (at PairWeight), each weighted by its IDF over the
// passages and the background, so that the words that tell questions apart
// count and those every question uses ("how do I") hardly. It tells a
// question asked again in other words from a different one, and is
// measured on question pairs in TestSimilarity (DefaultDuplicateSimilarity).
// Being a bag of words, it cannot tell "upgrade the chart" from "install
// the chart" as well as it tells either from "backup the database".
func (ix *Index) Similarity(a, b string) float64 {
	qa, qb := ix.queryTerms(a), ix.queryTerms(b)
	if len(qa) == 0 || len(qb) == 0 {
		return 0
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n := float64(ix.live + ix.bgN)
	weight := func(q queryTerm) float64 {
		df := float64(len(ix.postings[q.term])) + float64(ix.bgDF[q.term])
		// Lucene's IDF, not squared: squaring (right for ranking) lets one
		// rare word outweigh the rest of the question.
		return q.weight * math.Log(1+(n-df+0.5)/(df+0.5))
	}
	wa := make(map[string]float64, len(qa))
	var na, nb, dot float64
	for _, q := range qa {
		w := weight(q)
		wa[q.term] = w
		na += w * w
	}
	for _, q := range qb {
		w := weight(q)
		nb += w * w
		dot += w * wa[q.term]
	}
	if na == 0 || nb == 0 {
		return 0
	}
	c := dot / math.Sqrt(na*nb)
	if c > 1-1e-9 { // the same terms: exactly 1, whatever the rounding
		return 1
	}
	return max(c, 0)
}

// IDF is how much a term (the Text of a tokenize.Token) tells passages
// apart: Lucene's IDF over the passages and the background, unsquared as
// in Similarity, so that words every question uses ("how", "do") weigh
// little and a word no passage uses weighs the most. Answers use it to
// pick a passage's sentences that answer a question.
func (ix *Index) IDF(term string) float64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.idfOf(term)
}

// idfOf is IDF for a caller that holds the read lock.
func (ix *Index) idfOf(term string) float64 {
	n := float64(ix.live + ix.bgN)
	df := float64(len(ix.postings[term])) + float64(ix.bgDF[term])
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// DefaultDuplicateSimilarity is a suggested lowest Similarity at which a
// question counts as asked before. Measured on the 25 hand-written
// question pairs of TestSimilarity over the guide, with the starter
// intents' patterns as background: 12 of 14 rewordings score at or above
// it, and 3 of 11 different questions do, each one word away from the
// other (another verb, channel or tool).
const DefaultDuplicateSimilarity = 0.7

// correctable reports whether typos of word are corrected: English words
// (lowercase ASCII letters) of at least 4 letters. Shorter words have too
// many neighbours one edit away ("ad": "add", "and", "an", "at", …).
func correctable(word string) bool {
	if len(word) < 4 {
		return false
	}
	for i := 0; i < len(word); i++ {
		if c := word[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// correction returns the indexed word one edit from word that shares the
// longest beginning with it ("wher": "where" before "when"), then is in the
// most passages; "" when there is none or word is not correctable. The
// correction must be in two passages or more (a word of one passage is
// often a name: "alic" for "alive") and far more common than word (the
// background may hold word). Words already in the query (qs) count
// already and are skipped. The caller holds the read lock.
func (ix *Index) correction(word string, qs []queryTerm) string {
	if !correctable(word) {
		return ""
	}
	wordDF := int(ix.bgDF[word])
	best, bestPrefix, bestDF := "", 0, 0
	for _, k := range typo.Keys(word) {
		for _, c := range ix.near[k] {
			df := ix.docCount(c, ix.postings[c])
			if df < 2 || df+int(ix.bgDF[c]) < 5*(wordDF+1) || !typo.OneEdit(word, c) ||
				slices.ContainsFunc(qs, func(q queryTerm) bool { return q.term == c }) {
				continue
			}
			prefix := commonPrefix(word, c)
			if prefix > bestPrefix || prefix == bestPrefix && (df > bestDF || df == bestDF && c < best) {
				best, bestPrefix, bestDF = c, prefix, df
			}
		}
	}
	return best
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// docStats are the ranking's average passage length and number of
// texts: the docs' and the background's, without the past threads (but
// all passages when there are only threads). The caller holds the read
// lock.
func (ix *Index) docStats() (avg, n float64) {
	live, total := ix.live-ix.threads, ix.totalLen-ix.threadLen
	if live <= 0 {
		live, total = ix.live, ix.totalLen
	}
	avg = total / float64(live)
	if avg <= 0 {
		avg = 1
	}
	return avg, float64(live + ix.bgN)
}

// docDF is term's document frequency for the ranking, ps being its
// postings: without the past threads, as docStats. The caller holds the
// read lock.
func (ix *Index) docDF(term string, ps []posting) float64 {
	return float64(ix.docCount(term, ps)) + float64(ix.bgDF[term])
}

// docCount is how many of term's postings ps are not past threads' (all
// of them when there are only threads).
func (ix *Index) docCount(term string, ps []posting) int {
	if ix.threads < ix.live {
		return len(ps) - int(ix.threadDF[term])
	}
	return len(ps)
}

func (ix *Index) idf(n, df float64) float64 {
	switch ix.opts.idf {
	case "classic":
		return max(0, math.Log((n-df+0.5)/(df+0.5)))
	case "lucene":
		return math.Log(1 + (n-df+0.5)/(df+0.5))
	}
	v := math.Log(1 + (n-df+0.5)/(df+0.5))
	return v * v
}

// accumulator holds one search's scores by slot; Search reuses them.
type accumulator struct {
	scores, pairs []float64
	// plain is the score without burstiness, for the confidence.
	plain   []float64
	touched []int32 // slots with a score, in the order first scored
}

func (a *accumulator) reset(n int) {
	if cap(a.scores) < n {
		a.scores, a.pairs, a.plain = make([]float64, n), make([]float64, n), make([]float64, n)
	}
	a.scores, a.pairs, a.plain = a.scores[:n], a.pairs[:n], a.plain[:n]
	clear(a.scores)
	clear(a.pairs)
	clear(a.plain)
	a.touched = a.touched[:0]
}

type scored struct {
	slot  int32
	score float64
}

// insertTop keeps top sorted best first (ties: the earlier slot), at
// most k long and with one passage per section, the best. The caller holds
// the read lock.
func (ix *Index) insertTop(top []scored, s scored, k int) []scored {
	better := func(a, b scored) bool { return a.score > b.score || a.score == b.score && a.slot < b.slot }
	if len(top) == k && !better(s, top[k-1]) {
		return top
	}
	if !ix.opts.everyPart {
		// A part of a section already in top: keep the better of the two.
		// (A part that left top for k better sections needs no
		// remembering: the better ones stay.)
		sec := ix.entries[s.slot].section
		if j := slices.IndexFunc(top, func(t scored) bool { return ix.entries[t.slot].section == sec }); j >= 0 {
			if !better(s, top[j]) {
				return top
			}
			top = slices.Delete(top, j, j+1)
		}
	}
	i := len(top)
	for i > 0 && better(s, top[i-1]) {
		i--
	}
	top = slices.Insert(top, i, s)
	if len(top) > k {
		top = top[:k]
	}
	return top
}

// DefaultMinConfidence is a fixed lowest Hit.Confidence worth offering,
// for a searcher that does not learn its own cut as Index.MinConfidence
// does (it was knowledge.min_confidence's default). On docs/guide/eval.yaml
// with the starter intents' patterns as background, 3 of 62 answered
// questions score below it and 6 of 12 unanswered ones at or above; on
// other docs it hides most answers, long questions' first (decide.go).
const DefaultMinConfidence = 0.08

// burstiness is how many times, on average, the passages that use a word
// use it: its weighted term frequencies' mean over its postings (1 when
// there are none, or for the ablation). The caller holds the read lock.
func (ix *Index) burstiness(term string, ps []posting) float64 {
	n := ix.docCount(term, ps)
	if n == 0 || ix.opts.noBurstiness {
		return 1
	}
	var cf float64
	for _, p := range ps {
		cf += float64(p.tf)
	}
	if ix.threads < ix.live {
		cf -= ix.threadCF[term]
	}
	return cf / float64(n)
}

// sectionID is a doc passage's ID without its part number (see partID):
// "a.md#b~2" is "a.md#b".
func sectionID(id string) string {
	i := strings.LastIndexByte(id, '~')
	if i < 0 || i == len(id)-1 || i < strings.LastIndexByte(id, '#') || i < strings.LastIndexByte(id, '/') {
		return id
	}
	for _, c := range id[i+1:] {
		if c < '0' || c > '9' {
			return id
		}
	}
	return id[:i]
}
