// Package brain answers a member's question. It knows no platform and no
// database: the question comes in as a value, the trained model is loaded
// and saved through the narrow ModelStore interface, and the answer goes
// out as a chat.Answer that records which part of the brain produced it.
package brain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"text/template"
	"time"

	"github.com/docent-bot/docent/brain/classifier"
	"github.com/docent-bot/docent/brain/knowledge"
	"github.com/docent-bot/docent/brain/llm"
	"github.com/docent-bot/docent/brain/redact"
	"github.com/docent-bot/docent/brain/tokenize"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/chat/markdown"
)

// Intent is something members ask for, with example patterns to learn from
// and responses to give.
type Intent struct {
	Name        string
	Description string // shown in "did you mean" lists; the name is used when empty
	Patterns    []string
	Responses   []string
	// ResponsesByLanguage holds responses for questions written in a
	// language whose script tokenize.Script recognises ("zh", "ja", "ko").
	ResponsesByLanguage map[string][]string
	// Threshold and Margin override the brain's for this intent when set.
	Threshold, Margin *float64
	// Where names the file and line the intent came from, for messages.
	Where string
}

// Config holds the brain's settings from the YAML configuration.
type Config struct {
	// Threshold is the lowest top probability that counts as sure.
	Threshold float64
	// Margin is how far the top intent must be ahead of the runner-up.
	Margin     float64
	Classifier classifier.Settings
	// BotName, Community and Links are available to response templates.
	BotName   string
	Community string
	Links     map[string]string
	// Knowledge, when set, is searched when no intent is sure; at most
	// Results hits are shown, and none below MinConfidence when it is set
	// (above 0), else below the Searcher's own cut for the question when
	// it is Calibrated, else below knowledge.DefaultMinConfidence.
	Knowledge     Searcher
	MinConfidence float64
	Results       int
	// Related is how many related passages are listed under an intent's
	// answer, at least RelatedConfidence each (0: none).
	Related           int
	RelatedConfidence float64
	// LLM, when set, writes answers grounded on the passages found.
	LLM LLM
	// Budget, when set, limits who may use the LLM and records its cost.
	Budget Budget
	// OnClassify, when set, hears how long each classification took (metrics).
	OnClassify func(time.Duration)
}

// Budget limits the LLM's use.
type Budget interface {
	// Allow says whether q may use the LLM; when not, the reason is a
	// sentence for the member.
	Allow(ctx context.Context, q Question) (ok bool, reason string)
	// Spend records what an answer to q cost.
	Spend(ctx context.Context, q Question, u llm.Usage)
}

// LLM answers a question from passages; *llm.Client implements it.
type LLM interface {
	Answer(ctx context.Context, r llm.Request) (llm.Answer, error)
	Stream(ctx context.Context, r llm.Request, onDelta func(textSoFar string)) (llm.Answer, error)
}

// Searcher finds passages of the community's docs and past threads: the
// threads that chat.Visible lets a member at the place see, and no others.
type Searcher interface {
	Search(query string, k int, at chat.Place) []knowledge.Hit
}

// Question is what a member asked, with what the brain may use to answer.
type Question struct {
	Text         string
	Member       chat.Member
	Conversation chat.Conversation
	// Space is the conversation's guild or workspace ("" if none): with
	// the conversation it decides which past threads may be searched.
	Space string
	// History gives the conversation's recent messages, oldest first, for
	// the LLM; it is only called when the LLM is asked.
	History func() []llm.Turn
	// OnDelta, when set, receives the LLM's answer as it is written, for
	// adapters that can edit a sent message.
	OnDelta func(textSoFar string)
}

// place is where the question was asked, for what past threads it may see.
func (q Question) place() chat.Place { return chat.PlaceOf(q.Conversation, q.Space) }

// Saved is a model as kept by a ModelStore.
type Saved struct {
	Hash string
	Data []byte
}

// ErrNoModel is returned by a ModelStore that has no model of that name.
var ErrNoModel = errors.New("no saved model")

// ModelStore keeps trained models between runs.
type ModelStore interface {
	LoadModel(ctx context.Context, name string) (Saved, error)
	SaveModel(ctx context.Context, name string, m Saved) error
}

// modelName is the name the intent classifier is saved under.
const modelName = "intents"

// ModelName is the name the intent classifier is saved under in a
// ModelStore: what replicas watch for a model another one trained.
const ModelName = modelName

// Brain answers questions. It is safe for concurrent use; the model can be
// replaced while questions are being answered.
type Brain struct {
	cfg      Config
	log      *slog.Logger
	intents  map[string]*compiledIntent
	order    []string // intent names in definition order
	examples []classifier.Example
	// distinct holds the words that tell each intent apart (distinctWords).
	distinct map[string]map[string]bool
	// words holds each intent's pattern words and common the words every
	// question uses, for the support a sure intent needs (supported).
	words  map[string]map[string]bool
	near   map[string][]string // typoIndex of words
	common map[string]bool
	hash   string
	model  atomic.Pointer[classifier.Model]
}

type compiledIntent struct {
	Intent
	responses map[string][]*template.Template // by language; "" is the default
}

// templateData is what response templates can refer to.
type templateData struct {
	Member    string
	Bot       string
	Community string
	Channel   string
	Links     map[string]string
}

// New checks the intents and compiles their responses. Every problem is
// reported, each naming the intent and where it is defined.
func New(cfg Config, intents []Intent, log *slog.Logger) (*Brain, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Brain{cfg: cfg, log: log, intents: map[string]*compiledIntent{}}
	var errs []error
	fail := func(in Intent, format string, args ...any) {
		where := in.Where
		if where != "" {
			where += ": "
		}
		errs = append(errs, fmt.Errorf("%sintent %q: %s", where, in.Name, fmt.Sprintf(format, args...)))
	}
	sample := templateData{Member: "member", Bot: cfg.BotName, Community: cfg.Community, Channel: "channel", Links: cfg.Links}
	for _, in := range intents {
		if in.Name == "" {
			fail(in, "has no name")
			continue
		}
		if prev, dup := b.intents[in.Name]; dup {
			if prev.Where != "" {
				fail(in, "is defined twice (first at %s)", prev.Where)
			} else {
				fail(in, "is defined twice")
			}
			continue
		}
		if len(in.Patterns) == 0 {
			fail(in, "has no patterns: the classifier needs examples to learn it from")
		}
		if len(in.Responses) == 0 {
			fail(in, "has no responses")
		}
		ci := &compiledIntent{Intent: in, responses: map[string][]*template.Template{}}
		compile := func(lang string, texts []string) {
			for i, text := range texts {
				name := fmt.Sprintf("%s response %d", in.Name, i+1)
				if lang != "" {
					name = fmt.Sprintf("%s response %d (%s)", in.Name, i+1, lang)
				}
				tpl, err := parseResponse(name, text)
				if err == nil {
					_, err = render(tpl, sample)
				}
				if err != nil {
					fail(in, "response %d%s: %v", i+1, langSuffix(lang), templateError(err))
					continue
				}
				ci.responses[lang] = append(ci.responses[lang], tpl)
			}
		}
		compile("", in.Responses)
		for lang, texts := range in.ResponsesByLanguage {
			compile(lang, texts)
		}
		b.intents[in.Name] = ci
		b.order = append(b.order, in.Name)
		for _, p := range in.Patterns {
			b.examples = append(b.examples, classifier.Example{Text: p, Label: in.Name})
		}
	}
	if len(b.intents) < 2 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("need at least 2 intents, got %d", len(b.intents)))
	}
	if err := cfg.Classifier.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	b.hash = classifier.Fingerprint(b.examples, cfg.Classifier)
	b.distinct = distinctWords(b.intents)
	b.words, b.common = patternWords(b.intents), commonWords()
	b.near = typoIndex(b.words)
	return b, nil
}

func langSuffix(lang string) string {
	if lang == "" {
		return ""
	}
	return " (" + lang + ")"
}

// templateError shortens text/template's messages, which repeat the
// template name the caller already gave.
func templateError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "executing "); i >= 0 {
		if j := strings.Index(msg[i:], ": "); j >= 0 {
			msg = msg[i+j+2:]
		}
	}
	if strings.Contains(msg, "map has no entry for key") {
		key := msg[strings.LastIndex(msg, " ")+1:]
		return fmt.Sprintf("uses link %s, which is not in the config's links section", key)
	}
	return msg
}

// Intents returns the intents in definition order.
func (b *Brain) Intents() []Intent {
	out := make([]Intent, len(b.order))
	for i, name := range b.order {
		out[i] = b.intents[name].Intent
	}
	return out
}

// Fingerprint identifies the intents and settings the model must be trained on.
func (b *Brain) Fingerprint() string { return b.hash }

// ErrModelNotSaved is returned (wrapped) by Train and Prepare when the
// model they trained is in use but could not be saved (a full disk, say):
// the brain answers, and trains again at the next start. Prepared.SaveErr
// says why.
var ErrModelNotSaved = errors.New("the retrained model is in use but could not be saved")

// Prepared says how the brain got its model.
type Prepared struct {
	Trained  bool   // false: loaded from the store
	Reason   string // why it was trained
	Took     time.Duration
	Examples int
	Intents  int
	// SaveErr is why the trained model could not be saved; nil when it
	// was, or was loaded.
	SaveErr error
}

// NotSaved is what an admin is told after a retraining whose model could
// not be saved; "" when it was.
func (p Prepared) NotSaved() string {
	if p.SaveErr == nil {
		return ""
	}
	return fmt.Sprintf(" But the retrained model could not be saved (%v): it answers now, and is retrained at the next start.", p.SaveErr)
}

// Prepare loads the saved model when it was trained on the current intents
// and settings, and trains (and saves) a new one when not.
func (b *Brain) Prepare(ctx context.Context, models ModelStore) (Prepared, error) {
	start := time.Now()
	saved, err := models.LoadModel(ctx, modelName)
	reason := ""
	switch {
	case errors.Is(err, ErrNoModel):
		reason = "no saved model"
	case err != nil:
		return Prepared{}, fmt.Errorf("brain: load model: %w", err)
	case saved.Hash != b.hash:
		reason = "intents or classifier settings changed"
	default:
		m, derr := classifier.Decode(saved.Data)
		if derr == nil {
			b.model.Store(m)
			p := Prepared{Took: time.Since(start), Examples: len(b.examples), Intents: len(b.order)}
			b.log.Info("classifier loaded from store", "intents", p.Intents, "features", m.Vocabulary(), "took", p.Took.Round(time.Microsecond))
			return p, nil
		}
		reason = "saved model unreadable: " + derr.Error()
	}
	p, err := b.Train(ctx, models)
	p.Reason = reason
	if err == nil || errors.Is(err, ErrModelNotSaved) {
		b.log.Info("classifier trained", "reason", reason, "intents", p.Intents, "examples", p.Examples, "took", p.Took.Round(time.Millisecond))
	}
	return p, err
}

// Train trains a new model, swaps it in and saves it. When only the save
// fails, the model is in use: the error wraps ErrModelNotSaved and the
// Prepared returned is filled in, with SaveErr set.
func (b *Brain) Train(ctx context.Context, models ModelStore) (Prepared, error) {
	start := time.Now()
	m, err := classifier.Train(ctx, b.examples, b.cfg.Classifier)
	if err != nil {
		return Prepared{}, fmt.Errorf("brain: %w", err)
	}
	data, err := m.MarshalBinary()
	if err != nil {
		return Prepared{}, fmt.Errorf("brain: encode model: %w", err)
	}
	b.model.Store(m)
	p := Prepared{Trained: true, Examples: len(b.examples), Intents: len(b.order)}
	err = models.SaveModel(ctx, modelName, Saved{Hash: b.hash, Data: data})
	p.Took = time.Since(start)
	if err != nil {
		p.SaveErr = err
		return p, fmt.Errorf("brain: %w: %w", ErrModelNotSaved, err)
	}
	return p, nil
}

// Answer answers a question: the intent's response when the classifier is
// sure, else an honest "not sure" that offers the likeliest intents.
func (b *Brain) Answer(ctx context.Context, q Question) (chat.Answer, error) {
	m := b.model.Load()
	if m == nil {
		return chat.Answer{}, errors.New("brain: no model: Prepare was not called")
	}
	if err := ctx.Err(); err != nil {
		return chat.Answer{}, err
	}
	// A redacted secret's placeholder says nothing about the question.
	words := placeholder.ReplaceAllString(q.Text, " ")
	start := time.Now()
	res := m.Classify(words, 3)
	if b.cfg.OnClassify != nil {
		b.cfg.OnClassify(time.Since(start))
	}
	lang := tokenize.Script(q.Text)
	top := res.Top[0]
	in := b.intents[top.Label]
	// The passages are searched once, when the intent's support or the
	// answer needs them.
	passages := sync.OnceValue(func() []knowledge.Hit { return b.Passages(words, q.place()) })
	if b.sureWith(res, words, passages) {
		text, err := b.respond(in, lang, q)
		if err != nil {
			return chat.Answer{}, err
		}
		text += b.related(words, lang, q.place())
		return chat.Answer{Text: text, Source: chat.SourceIntent, Intent: top.Label, Confidence: top.P}, nil
	}

	var candidates []chat.Candidate
	for _, s := range res.Top {
		candidates = append(candidates, chat.Candidate{Intent: s.Label, Confidence: s.P})
	}
	// Not sure of an intent: the docs and past threads may know, and the
	// LLM, when there is one, can answer from what they say.
	qw := b.weights(words)
	if hits := passages(); len(hits) > 0 {
		note := ""
		allowed, why := b.cfg.LLM != nil, ""
		if allowed && b.cfg.Budget != nil {
			allowed, why = b.cfg.Budget.Allow(ctx, q)
			if !allowed {
				note = why + "\n"
			}
		}
		if allowed {
			a, err := b.askLLM(ctx, q, hits)
			if err == nil {
				a.Candidates = candidates
				return a, nil
			}
			if ctx.Err() != nil {
				return chat.Answer{}, ctx.Err()
			}
			b.log.Warn("llm failed; answering with the passages found", "err", err)
			note = unavailable(lang, err)
		}
		return chat.Answer{Source: chat.SourceKnowledge, Confidence: hits[0].Confidence, Candidates: candidates,
			Text: note + fromDocs(lang, qw, hits, shownText(b.cfg.Knowledge, hits[0]), b.hedged(words, hits[0]))}, nil
	}

	// Nothing passed: say so, with the sections closest to the question
	// and the intents its words relate to, never a mere top three.
	a := chat.Answer{Source: chat.SourceFallback, Confidence: top.P, Candidates: candidates}
	var offers []string
	for _, name := range b.relatedIntents(words, res) {
		offers = append(offers, b.describe(name, lang))
	}
	a.Text = b.doNotKnow(lang, q.Member.Name, res.Known > 0, b.closest(words, qw, q.place()), offers)
	return a, nil
}

// askLLM has the LLM answer from the passages found, citing them.
func (b *Brain) askLLM(ctx context.Context, q Question, hits []knowledge.Hit) (chat.Answer, error) {
	req := llm.Request{Question: q.Text, Member: q.Member.Name}
	if q.History != nil {
		req.History = q.History()
	}
	// The sections a member would be shown without the LLM, best first,
	// whole: a passage is at most knowledge.Options.MaxPassageBytes (a
	// code block twice that), and the client fits them to its prompt.
	for _, h := range hits {
		// Docs can hold secrets too (a sample config with a real key):
		// nothing goes to the LLM unredacted.
		text, _ := redact.Redact(h.Text)
		req.Passages = append(req.Passages, llm.Passage{Title: sectionTitle(h), Link: h.Link, Text: text})
	}
	var (
		ans llm.Answer
		err error
	)
	// The LLM takes seconds: the router may hand this message's share of
	// the work to another one meanwhile.
	chat.Wait(ctx, func() {
		if q.OnDelta != nil {
			// The drafts are shown too: a secret the model repeats must
			// not appear in them before the final answer hides it.
			onDelta := func(text string) {
				text, _ = redact.Redact(text)
				q.OnDelta(text)
			}
			ans, err = b.cfg.LLM.Stream(ctx, req, onDelta)
		} else {
			ans, err = b.cfg.LLM.Answer(ctx, req)
		}
	})
	if err != nil {
		return chat.Answer{}, err
	}
	if b.cfg.Budget != nil {
		b.cfg.Budget.Spend(ctx, q, ans.Usage)
	}
	if strings.TrimSpace(ans.Text) == "" {
		return chat.Answer{}, fmt.Errorf("llm: empty answer (finish reason %q)", ans.FinishReason)
	}
	// The model may repeat a secret it saw; the answer is stored and shown.
	text, _ := redact.Redact(strings.TrimSpace(ans.Text))
	if src := llm.Sources(req.Passages, ans.Cited); src != "" {
		text += "\n\n" + src
	}
	return chat.Answer{Text: text, Source: chat.SourceLLM, Confidence: hits[0].Confidence}, nil
}

// unavailable is the line that tells a member the LLM could not answer.
func unavailable(lang string, err error) string {
	if lang == "zh" {
		return "AI 助手暂时不可用，以下是文档中最接近的内容。\n"
	}
	if errors.Is(err, llm.ErrUnavailable) {
		return "The AI assistant is unavailable right now, so here is what the docs say.\n"
	}
	return "The AI assistant could not answer just now, so here is what the docs say.\n"
}

// placeholder matches what redact puts in place of a secret.
var placeholder = regexp.MustCompile(`\[redacted [a-z0-9-]+\]`)

// related lists, after an intent's answer, the passages of the docs and
// past threads most like the question, when they are close enough.
func (b *Brain) related(text, lang string, at chat.Place) string {
	if b.cfg.Knowledge == nil || b.cfg.Related <= 0 {
		return ""
	}
	var links []string
	for _, h := range b.cfg.Knowledge.Search(text, b.cfg.Related, at) {
		if h.Confidence < b.cfg.RelatedConfidence {
			continue
		}
		if h.Source == knowledge.SourceThread {
			links = append(links, fmt.Sprintf("asked before in %s: “%s”", h.Link, snippet(h.Title, 80)))
			continue
		}
		title := h.Title
		if h.Heading != "" {
			title = h.Heading
		}
		links = append(links, fmt.Sprintf("[%s](%s)", title, h.Link))
	}
	if len(links) == 0 {
		return ""
	}
	lead := "\n\nRelated: "
	if lang == "zh" {
		lead = "\n\n相关内容："
	}
	return lead + strings.Join(links, " · ")
}

// Related returns the passages most like text, for the related command:
// docs sections and the earlier threads a member at the place may see,
// those the "not sure" cut (minConfidence) keeps.
func (b *Brain) Related(text string, k int, at chat.Place) []knowledge.Hit {
	if b.cfg.Knowledge == nil {
		return nil
	}
	var out []knowledge.Hit
	text = placeholder.ReplaceAllString(text, " ")
	least := b.minConfidence(text)
	for _, h := range b.cfg.Knowledge.Search(text, k, at) {
		if h.Confidence >= least {
			out = append(out, h)
		}
	}
	return out
}

// Passages returns the knowledge hits worth showing for text at a place:
// the decision Answer makes when no intent is sure, none meaning "not
// sure". `docent eval docs` measures it.
func (b *Brain) Passages(text string, at chat.Place) []knowledge.Hit {
	if b.cfg.Knowledge == nil {
		return nil
	}
	hits := b.cfg.Knowledge.Search(text, max(b.cfg.Results, 1), at)
	least := b.minConfidence(text)
	n := 0
	for _, h := range hits {
		if h.Confidence >= least {
			hits[n] = h
			n++
		}
	}
	return hits[:n]
}

// snippet is the start of a passage as plain words: headings, code blocks
// and Markdown marks left out, cut at a word boundary.
func snippet(text string, limit int) string {
	var words []string
	size, at := 0, 0 // at: where line starts in text
	var doc *markdown.Doc
	if markdown.HasFence(text) {
		doc = markdown.Parse(text)
	}
	for line := range strings.Lines(text) {
		start := at
		at += len(line)
		if doc != nil && doc.CodeAt(start) != nil {
			continue
		}
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "|") {
			continue
		}
		// A quote's marker goes; "<intent> <text>" inside a line stays.
		for line != strings.TrimPrefix(line, ">") {
			line = strings.TrimSpace(strings.TrimPrefix(line, ">"))
		}
		for _, w := range strings.Fields(strings.NewReplacer("**", "", "`", "").Replace(line)) {
			if size+len(w) > limit {
				return strings.Join(words, " ") + " …"
			}
			words = append(words, w)
			size += len(w) + 1
		}
	}
	return strings.Join(words, " ")
}

// sure says whether a classification of text, asked at a place, is sure
// enough to answer with the top intent's response: its threshold and
// margin (the intent's own, or the brain's) are met, some words of the
// text were known, and the text's telling words support the intent: at
// least supportShare of them are its, and when not all are, the docs do
// not answer the text (see support.go).
func (b *Brain) sure(res classifier.Result, text string, at chat.Place) bool {
	return b.sureWith(res, text, func() []knowledge.Hit { return b.Passages(text, at) })
}

// sureWith is sure with the passages for text given by passages, called
// only when they decide: Answer shares them with what it shows next.
func (b *Brain) sureWith(res classifier.Result, text string, passages func() []knowledge.Hit) bool {
	if !b.confident(res) {
		return false
	}
	s := b.support(res.Top[0].Label, text)
	return s >= supportShare && (s == 1 || len(passages()) == 0)
}

// confident says whether the top intent meets its threshold and margin
// and some words of the text were known.
func (b *Brain) confident(res classifier.Result) bool {
	top := res.Top[0]
	threshold, margin := b.limits(top.Label)
	runnerUp := 0.0
	if len(res.Top) > 1 {
		runnerUp = res.Top[1].P
	}
	return res.Known > 0 && top.P >= threshold && top.P-runnerUp >= margin
}

// limits are the threshold and margin that apply to an intent: its own,
// else the brain's.
func (b *Brain) limits(intent string) (threshold, margin float64) {
	threshold, margin = b.cfg.Threshold, b.cfg.Margin
	if in := b.intents[intent]; in != nil {
		if in.Threshold != nil {
			threshold = *in.Threshold
		}
		if in.Margin != nil {
			margin = *in.Margin
		}
	}
	return threshold, margin
}

// Sure says whether the brain would answer text with an intent's
// response, asked where only the docs (no past thread) can be searched.
func (b *Brain) Sure(text string) bool {
	m := b.model.Load()
	text = placeholder.ReplaceAllString(text, " ")
	return m != nil && b.sure(m.Classify(text, 2), text, chat.Place{})
}

// describe names an intent for members: its description, or for a
// question in another script, its first pattern in that script (so a
// Chinese question is offered Chinese choices).
func (b *Brain) describe(name, lang string) string {
	in := b.intents[name]
	if lang != "" {
		for _, p := range in.Patterns {
			if tokenize.Script(p) == lang {
				return p
			}
		}
	}
	if in.Description != "" {
		return in.Description
	}
	return strings.ReplaceAll(name, "_", " ")
}

func (b *Brain) respond(in *compiledIntent, lang string, q Question) (string, error) {
	choices := in.responses[lang]
	if len(choices) == 0 {
		choices = in.responses[""]
	}
	tpl := choices[rand.IntN(len(choices))]
	out, err := render(tpl, templateData{
		Member:    memberName(q.Member),
		Bot:       b.cfg.BotName,
		Community: b.cfg.Community,
		Channel:   q.Conversation.Channel,
		Links:     b.cfg.Links,
	})
	if err != nil {
		return "", fmt.Errorf("brain: intent %s: %w", in.Name, err)
	}
	return strings.TrimSpace(out), nil
}

func memberName(m chat.Member) string {
	if m.Name != "" {
		return m.Name
	}
	return "there"
}

// unsure holds the phrases of the answer to a question none of whose
// words Docent knows, per language.
var unsure = map[string]struct{ lead, named, unknown string }{
	"":   {lead: "I'm not sure I understood that", named: ", %s", unknown: ". I don't know those words yet."},
	"zh": {lead: "抱歉，我不太确定你的意思", unknown: "。这些词我还不认识。"},
}
