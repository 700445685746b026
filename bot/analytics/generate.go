package analytics

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// Known is a question Docent answers with an intent.
type Known struct {
	Intent, Text string
}

// Generation describes a synthetic community history, for benchmarks of
// the analytics and the gaps report on a realistic amount of data.
type Generation struct {
	Messages int       // members' messages; Docent's answers come on top
	Days     int       // spread over the Days UTC days up to End
	End      time.Time // zero: now
	Channels int       // 0: 12, two thirds on Discord, a third on Slack
	Members  int       // 0: one per 40 messages, at least 50
	Seed     uint64
	// Known are the questions members ask that intents answer (the
	// intents' patterns); the rest are made up from templates, as are the
	// questions Docent cannot answer (the coverage gaps).
	Known []Known
}

// Generated is what Generate wrote.
type Generated struct {
	Messages, Answers, Votes int
	Took                     time.Duration
}

// chunk is how many records Generate imports in one transaction.
const chunk = 20_000

// Generate writes a synthetic history into st: questions and answers of
// every source with realistic delays, members helping each other in
// threads and being thanked, busy and quiet hours, channels and members of
// very different activity, topics that trend in the last days, and votes.
// The same Generation writes the same history.
func Generate(ctx context.Context, st *store.Store, g Generation) (Generated, error) {
	start := time.Now()
	if g.Messages < 1 || g.Days < 1 || g.Days > MaxDays {
		return Generated{}, fmt.Errorf("analytics: generate: need at least one message over 1 to %d days", MaxDays)
	}
	if len(g.Known) == 0 {
		return Generated{}, fmt.Errorf("analytics: generate: no known questions to ask")
	}
	if g.End.IsZero() {
		g.End = time.Now()
	}
	g.Channels = cmp.Or(g.Channels, 12)
	g.Members = cmp.Or(g.Members, max(50, g.Messages/40))
	if g.Members < 2 || g.Channels < 1 {
		return Generated{}, fmt.Errorf("analytics: generate: need two members and a channel at least")
	}
	gen := &generator{g: g, rng: rand.New(rand.NewPCG(g.Seed, 0x0d0c)), st: st}
	gen.setup()

	// First how many messages each episode has (a question; another
	// member's reply; the asker's thanks), so that the episodes are
	// counted; then their start times, oldest first, so that IDs grow with
	// time as in a real history.
	var shapes []uint8
	for n := 0; n < g.Messages; {
		shape := uint8(1)
		if left := g.Messages - n; left >= 2 && gen.rng.IntN(4) == 0 {
			shape = 2
			if left >= 3 && gen.rng.IntN(10) < 4 {
				shape = 3
			}
		}
		shapes = append(shapes, shape)
		n += int(shape)
	}
	times := make([]time.Time, len(shapes))
	for i := range times {
		times[i] = gen.when()
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	var out Generated
	for i, shape := range shapes {
		gen.episode(times[i], int(shape))
		if len(gen.batch) >= chunk || i == len(shapes)-1 {
			m, a, err := gen.flush(ctx)
			if err != nil {
				return out, err
			}
			out.Messages += m
			out.Answers += a
		}
	}
	votes, err := gen.vote(ctx)
	out.Votes = votes
	out.Took = time.Since(start)
	return out, err
}

type generator struct {
	g     Generation
	rng   *rand.Rand
	st    *store.Store
	batch []store.Record
	msgs  int // messages in batch
	next  uint64
	seq   int // platform message IDs
	// votable are platform IDs of stored answers and helpers' replies,
	// with the voter and the vote to cast.
	votable []pendingVote

	channels   []channel
	chanCDF    []float64
	memberCDF  []float64
	dayCDF     []float64
	hourCDF    []float64
	dayStart   time.Time
	trendStart time.Time
}

type channel struct {
	conv  chat.Conversation
	space string
}

type pendingVote struct {
	conv  chat.Conversation
	id    string
	voter chat.Member
	vote  chat.Vote
}

func cdf(weights []float64) []float64 {
	out := make([]float64, len(weights))
	sum := 0.0
	for i, w := range weights {
		sum += w
		out[i] = sum
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

func (gen *generator) pick(c []float64) int {
	i, _ := slices.BinarySearch(c, gen.rng.Float64())
	return min(i, len(c)-1)
}

func (gen *generator) setup() {
	g := gen.g
	names := []string{"help", "general", "install", "deploy", "dev", "showcase", "questions", "announcements", "plugins", "docs", "random", "jobs"}
	w := make([]float64, g.Channels)
	for i := range g.Channels {
		name := names[i%len(names)]
		if i >= len(names) {
			name += strconv.Itoa(i / len(names))
		}
		ch := channel{conv: chat.Conversation{Platform: "discord", Channel: "c-" + name}, space: "guild-1"}
		if i%3 == 2 {
			ch = channel{conv: chat.Conversation{Platform: "slack", Channel: "C" + name}, space: "T01"}
		}
		gen.channels = append(gen.channels, ch)
		w[i] = 1 / math.Pow(float64(i+1), 0.9)
	}
	gen.chanCDF = cdf(w)
	w = make([]float64, g.Members)
	for i := range w {
		w[i] = 1 / math.Pow(float64(i+1), 1.05)
	}
	gen.memberCDF = cdf(w)
	end := g.End.UTC()
	gen.dayStart = time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1-g.Days)
	gen.trendStart = gen.dayStart.AddDate(0, 0, g.Days-min(g.Days, 14))
	// The community grows: the last day is twice as busy as the first;
	// weekends are quieter.
	w = make([]float64, g.Days)
	for i := range w {
		w[i] = 1 + float64(i)/float64(g.Days)
		if d := gen.dayStart.AddDate(0, 0, i).Weekday(); d == time.Saturday || d == time.Sunday {
			w[i] *= 0.6
		}
	}
	gen.dayCDF = cdf(w)
	w = make([]float64, 24)
	for h := range w {
		w[h] = 1.2 + math.Sin(float64(h-9)*math.Pi/12) // busiest mid-afternoon UTC
	}
	gen.hourCDF = cdf(w)
}

// when picks an episode's start. An episode lasts up to 35 minutes, so
// none starts in the last hour of the window: everything it writes stays
// inside.
func (gen *generator) when() time.Time {
	day := gen.dayStart.AddDate(0, 0, gen.pick(gen.dayCDF))
	at := day.Add(time.Duration(gen.pick(gen.hourCDF))*time.Hour + time.Duration(gen.rng.Int64N(int64(time.Hour))))
	if last := gen.dayStart.AddDate(0, 0, gen.g.Days).Add(-time.Hour); at.After(last) {
		at = at.Add(-time.Hour)
	}
	return at
}

func (gen *generator) member() chat.Member {
	i := gen.pick(gen.memberCDF)
	return chat.Member{ID: fmt.Sprintf("u%06d", i), Name: fmt.Sprintf("member%d", i)}
}

var (
	docent = chat.Member{ID: "docent", Name: "Docent", Bot: true}
	// Questions Docent has no intent for: the coverage gaps.
	unknownTemplates = []string{
		"how do I deploy docent on %s",
		"does docent run on %s",
		"docent crashes on %s at startup",
		"can I use %s as the database",
		"is there a guide for %s",
	}
	unknownThings = []string{"kubernetes", "nomad", "a raspberry pi", "windows server", "freebsd", "postgres", "redis", "fly.io", "openshift", "heroku"}
	// Topics that trend in the last two weeks.
	trendTemplates = []string{"the %s build fails", "any news on %s support?", "%s binary is missing", "how do I cross compile for %s"}
	trendThings    = []string{"arm64", "wasm", "riscv"}
	steadyThings   = []string{"linux", "macos", "amd64", "docker", "windows", "debian"}
	replies        = []string{"I had the same problem, upgrading fixed it", "try restarting with the new config", "see the install guide, the section on proxies", "that was fixed in the last release"}
	thanks         = []string{"thanks!", "thank you, that worked", "ty", "cheers, fixed"}
)

// episode appends one question with Docent's answer, and with shape 2
// another member's reply (which the asker may 👍), with shape 3 also the
// asker's thanks.
func (gen *generator) episode(at time.Time, shape int) {
	ch := gen.channels[gen.pick(gen.chanCDF)]
	conv := ch.conv
	if gen.rng.IntN(2) == 0 {
		gen.seq++
		conv.Thread = "t" + strconv.Itoa(gen.seq)
	}
	asker := gen.member()
	var text, intent string
	src := chat.SourceIntent
	delay := time.Duration(5+gen.rng.IntN(60)) * time.Millisecond
	switch r := gen.rng.Float64(); {
	case at.After(gen.trendStart) && r < 0.08*float64(at.Sub(gen.trendStart))/float64(14*24*time.Hour):
		text = fmt.Sprintf(trendTemplates[gen.rng.IntN(len(trendTemplates))], trendThings[gen.rng.IntN(len(trendThings))])
		src = chat.SourceKnowledge
	case r < 0.06:
		// The same kind of question about steady platforms, all along.
		text = fmt.Sprintf(trendTemplates[gen.rng.IntN(len(trendTemplates))], steadyThings[gen.rng.IntN(len(steadyThings))])
		src = chat.SourceKnowledge
	case r < 0.70:
		k := gen.g.Known[gen.rng.IntN(len(gen.g.Known))]
		text, intent = k.Text, k.Intent
	case r < 0.85:
		text = fmt.Sprintf(unknownTemplates[gen.rng.IntN(len(unknownTemplates))], unknownThings[gen.rng.IntN(len(unknownThings))])
		src = chat.SourceFallback
		if gen.rng.IntN(3) == 0 {
			src = chat.SourceKnowledge
		}
	case r < 0.90:
		text = fmt.Sprintf("how do I configure %s with %s", unknownThings[gen.rng.IntN(len(unknownThings))], trendThings[gen.rng.IntN(len(trendThings))])
		src, delay = chat.SourceLLM, time.Duration(800+gen.rng.IntN(3000))*time.Millisecond
	case shape == 1:
		text, src, delay = "!ping", chat.SourceCommand, time.Millisecond
	default: // nobody replies to a command
		k := gen.g.Known[gen.rng.IntN(len(gen.g.Known))]
		text, intent = k.Text, k.Intent
	}
	q := gen.add(store.Record{Kind: store.KindMessage, Conversation: conv, Space: ch.space, Time: at, Author: asker, Text: text})
	a := gen.add(store.Record{Kind: store.KindAnswer, Conversation: conv, Space: ch.space, Time: at.Add(delay), Author: docent,
		ReplyTo: q.ID, Source: src, Intent: intent, Confidence: 0.5 + gen.rng.Float64()/2, Text: "answer to " + text})
	if gen.rng.IntN(50) == 0 {
		v := chat.VoteUp
		if src != chat.SourceIntent && gen.rng.IntN(3) == 0 || gen.rng.IntN(8) == 0 {
			v = chat.VoteDown
		}
		gen.votable = append(gen.votable, pendingVote{conv, a.PlatformID, asker, v})
	}
	if shape == 1 {
		return
	}
	helper := gen.member()
	for helper.ID == asker.ID {
		helper = gen.member()
	}
	at = at.Add(time.Duration(1+gen.rng.IntN(30)) * time.Minute)
	r := gen.add(store.Record{Kind: store.KindMessage, Conversation: conv, Space: ch.space, Time: at, Author: helper,
		Text: replies[gen.rng.IntN(len(replies))]})
	if shape == 3 {
		gen.add(store.Record{Kind: store.KindMessage, Conversation: conv, Space: ch.space, Time: at.Add(2 * time.Minute),
			Author: asker, Text: thanks[gen.rng.IntN(len(thanks))]})
	} else if gen.rng.IntN(3) == 0 {
		gen.votable = append(gen.votable, pendingVote{conv, r.PlatformID, asker, chat.VoteUp})
	}
}

func (gen *generator) add(rec store.Record) store.Record {
	gen.next++
	gen.seq++
	rec.ID = gen.next
	rec.PlatformID = "g" + strconv.Itoa(gen.seq)
	gen.batch = append(gen.batch, rec)
	if rec.Kind == store.KindMessage {
		gen.msgs++
	}
	return rec
}

func (gen *generator) flush(ctx context.Context) (msgs, answers int, err error) {
	if _, err := gen.st.Import(ctx, gen.batch); err != nil {
		return 0, 0, err
	}
	msgs = gen.msgs
	answers = len(gen.batch) - msgs
	gen.batch, gen.msgs = gen.batch[:0], 0
	return msgs, answers, nil
}

// vote casts the votes, from a few goroutines as members would, so that
// they share commits.
func (gen *generator) vote(ctx context.Context) (int, error) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	work := make(chan pendingVote)
	for range 16 {
		wg.Go(func() {
			for v := range work {
				_, err := gen.st.RecordFeedback(ctx, chat.Feedback{Conversation: v.conv, AnswerID: v.id, Member: v.voter, Vote: v.vote})
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	n := 0
	for _, v := range gen.votable {
		if ctx.Err() != nil {
			break
		}
		work <- v
		n++
	}
	close(work)
	wg.Wait()
	if len(errs) > 0 {
		return n - len(errs), fmt.Errorf("analytics: generate: %d of %d votes failed, first: %w", len(errs), n, errs[0])
	}
	return n, ctx.Err()
}
