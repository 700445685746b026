// Package exchange finds who helped whom in a community's chat: the
// questions members ask, the replies other members give them, and the
// thanks that follow. It reads a time-ordered stream of stored records,
// oldest first, as a store.Recorder is given them, and knows no store:
// what routes questions to helpers, and what shows admins the newcomers
// nobody answered, both read the same events from it.
//
// # The events
//
//   - Asked: a member's message reads as a question (IsQuestion). Its To
//     is the member it was addressed to, if any: "tdonohue: does ... ?"
//     asks one person, "does anyone ... ?" asks everyone (an open
//     question).
//   - Replied: another member answered a question asked in the same
//     conversation within the window: addressed to the asker ("nick:
//     ...", "nick, ...", "nick -- ...", "@nick ...", a platform mention "<@U123> ..."),
//     How Addressed; or in the same Slack or Discord thread, How
//     Threaded. A reply is tied to the asker's newest question that the
//     replier may answer (an open one, or one addressed to them: a
//     question to one member is answered by that member only), and
//     counted once per question and replier. A platform reply
//     (Record.RepliesTo, a Discord reply) to another member's message in
//     the window is addressed to its author, and ties a reply to that very
//     question, How Referenced: a reply to the question, or to a message
//     of its exchange (a reply to it, the asker's answer to a reply), is a
//     reply to it by anyone but the asker; a reply to another message
//     counts as addressed to its author.
//   - Thanked: a thanks or 👍 (topics.Text.Thanks) addressed to a member
//     (by name, mention or platform reply), or following a reply to the
//     thanker's question, with no address; and, How Reacted, an emoji
//     that says thanks (chat.Appreciates: 👍, ❤️, ✅, 🙏, 🎉, ...) by a
//     member named on the message (Record.Reactions) of another. A
//     reaction is addressed to the message's author as an addressed
//     thanks is, so it counts on any message; its Question is the
//     reactor's question the message replied to, if any, and its After is
//     zero (exports do not say when). Reactors counted but not named
//     cannot be attributed, and count for nothing.
//
// After says how long after the question a reply came (after the reply,
// for a thanks that follows one): consumers decide what is soon enough
// (routing counts replies within ten minutes).
//
// # Names
//
// Addressing is matched against the members seen in that conversation
// within the window, never the whole community: "yes, ..." is an address
// only when someone called "yes" spoke lately. Names are compared by
// NickKey: case-insensitively, with IRC's decorations cut (a trailing
// "|away" or "|afk", trailing '_', '`', '^', '-' and digits), so that
// "kstamatis_" addresses "kstamatis__". When several members share a key,
// the one whose name is that exactly (in any case) wins, then the one who
// spoke last. Platform mentions are matched by member ID.
//
// Bots (Author.Bot) and Docent's own answers are neither askers nor
// answerers, and addressing a bot makes nothing.
//
// # Memory
//
// A Detector keeps, per conversation, only the last Window of it (the
// members who spoke, the questions still open, the platform IDs of the
// messages a reply may reference), and at most maxMembers members,
// maxQuestions questions and maxSaid messages; a conversation quiet for a
// Window is dropped. Years of history pass through it in little memory.
package exchange

import (
	"strings"
	"time"
	"unicode"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/chat/topics"
	"github.com/docent-bot/docent/store"
)

// Kind is what an Event says happened.
type Kind int

const (
	// Asked: a member asked a question.
	Asked Kind = iota + 1
	// Replied: a member replied to another's question.
	Replied
	// Thanked: a member thanked another.
	Thanked
)

func (k Kind) String() string {
	switch k {
	case Asked:
		return "asked"
	case Replied:
		return "replied"
	case Thanked:
		return "thanked"
	}
	return "unknown"
}

// How is what ties a reply to its question, or a thanks to its helper.
type How string

const (
	// Addressed: the message names the member ("nick: ...", "@nick").
	Addressed How = "addressed"
	// Threaded: the reply is in the question's thread.
	Threaded How = "thread"
	// Following: an unaddressed thanks after a reply to the thanker.
	Following How = "following"
	// Referenced: the message is a platform reply (Record.RepliesTo) to
	// the question, or to a message of its exchange.
	Referenced How = "referenced"
	// Reacted: an emoji that says thanks (chat.Appreciates) on the
	// helper's message.
	Reacted How = "reacted"
)

// Event is one thing the Detector saw happen.
type Event struct {
	Kind Kind
	// Record is the message that made the event: the question, the
	// reply, the thanks.
	Record store.Record
	// Question is the question replied to (Replied), or the thanker's
	// question the helper replied to (Thanked, when there is one).
	Question store.Record
	// From is who asked, replied or thanked: Record.Author.
	From chat.Member
	// To is, for Asked, the member the question was addressed to (zero
	// for an open question); for Replied, the asker; for Thanked, the
	// member thanked.
	To  chat.Member
	How How // Replied and Thanked
	// After is, for Replied, the time since the question; for Thanked,
	// since the helper's reply when it follows one.
	After time.Duration
}

// Open reports whether an Asked event is a question to everyone, not to
// one member.
func (e Event) Open() bool { return e.Kind == Asked && e.To.ID == "" }

// DefaultWindow is how much of each conversation a Detector remembers
// when its Window is zero.
const DefaultWindow = 60 * time.Minute

// Bounds on what a Detector keeps per conversation; sweepEvery is how
// many records pass between two sweeps of quiet conversations.
const (
	maxMembers   = 256
	maxQuestions = 32
	maxRepliers  = 16
	maxSaid      = 512
	sweepEvery   = 4096
)

// Detector turns records, fed oldest first, into Events. It is not safe
// for concurrent use: a recorder runs in one write transaction at a time.
type Detector struct {
	// Window is how long a question stays open to replies, and a member
	// counts as present to be addressed (DefaultWindow when zero).
	Window time.Duration
	// Text reads thanks (and its CommandPrefix keeps commands from
	// being questions).
	Text topics.Text

	convs map[chat.Conversation]*conversation
	now   time.Time // the newest record time fed
	fed   int
}

// conversation is the last Window of one conversation.
type conversation struct {
	last      time.Time
	members   []seen     // oldest first
	questions []question // oldest first
	said      []said     // messages with a platform ID, oldest first
}

// said is a message a platform reply may reference.
type said struct {
	id       string // Record.PlatformID
	author   chat.Member
	at       time.Time
	question string // the PlatformID of the question it asked or replied to, if any
}

type seen struct {
	member chat.Member
	key    string // NickKey of its name
	at     time.Time
}

type question struct {
	rec      store.Record
	to       chat.Member
	repliers []reply // oldest first
}

type reply struct {
	member chat.Member
	at     time.Time
}

func (d *Detector) window() time.Duration {
	if d.Window > 0 {
		return d.Window
	}
	return DefaultWindow
}

// Reset forgets every conversation, as a restart would: each is then new
// to it, and primed again by its caller.
func (d *Detector) Reset() {
	d.convs, d.now, d.fed = nil, time.Time{}, 0
}

// Forget forgets conv: it is new to the Detector again, and primed again
// by its caller (another Docent stored records in it).
func (d *Detector) Forget(conv chat.Conversation) { delete(d.convs, conv) }

// Knows reports whether the Detector remembers anything of conv: a
// recorder that restarted primes a conversation it does not know with its
// last records, discarding their events, which it counted before.
func (d *Detector) Knows(conv chat.Conversation) bool {
	_, ok := d.convs[conv]
	return ok
}

// Feed reads rec, the next record in time order, and returns what it
// makes happen (nil for most records).
func (d *Detector) Feed(rec store.Record) []Event {
	if d.convs == nil {
		d.convs = map[chat.Conversation]*conversation{}
	}
	if rec.Time.After(d.now) {
		d.now = rec.Time
	}
	if d.fed++; d.fed%sweepEvery == 0 {
		d.sweep()
	}
	if rec.Kind != store.KindMessage || rec.Author.Bot || rec.Author.ID == "" {
		return nil
	}
	c := d.convs[rec.Conversation]
	if c == nil {
		c = &conversation{}
		d.convs[rec.Conversation] = c
	}
	c.forget(rec.Time.Add(-d.window()))
	c.last = rec.Time

	var events []Event
	to, addressed := c.addressee(rec)
	how := Addressed
	ref := c.referenced(rec)
	if ref != nil {
		// A platform reply names its message: it is addressed to that
		// message's author, whatever its text says.
		to, addressed, how = ref.author, true, Referenced
	}
	thanks := d.Text.Thanks(rec.Text) || strings.Contains(rec.Text, "👍")
	joined := "" // the PlatformID of the question rec replied to
	switch {
	case thanks && addressed:
		e := Event{Kind: Thanked, Record: rec, From: rec.Author, To: to, How: how}
		if q, r, ok := c.repliedBy(rec.Author.ID, to.ID); ok {
			e.Question, e.After = q.rec, since(r.at, rec.Time)
		}
		events = append(events, e)
	case ref != nil && ref.question != "":
		// A reply to the question, or to a message of its exchange, is a
		// reply to that very question, by anyone but its asker.
		if q := c.questionByID(ref.question); q != nil && q.rec.Author.ID != rec.Author.ID && (q.to.ID == "" || q.to.ID == rec.Author.ID) {
			joined = ref.question
			if q.add(rec.Author, rec.Time) {
				events = append(events, Event{Kind: Replied, Record: rec, Question: q.rec, From: rec.Author, To: q.rec.Author, How: Referenced, After: since(q.rec.Time, rec.Time)})
			}
		}
	case thanks:
		if q, r, ok := c.lastReplyTo(rec.Author.ID); ok {
			events = append(events, Event{Kind: Thanked, Record: rec, Question: q.rec, From: rec.Author, To: r.member, How: Following, After: since(r.at, rec.Time)})
		}
	case addressed:
		if q := c.openQuestionOf(to.ID, rec.Author.ID); q != nil && q.add(rec.Author, rec.Time) {
			joined = q.rec.PlatformID
			events = append(events, Event{Kind: Replied, Record: rec, Question: q.rec, From: rec.Author, To: q.rec.Author, How: how, After: since(q.rec.Time, rec.Time)})
		}
	case rec.Conversation.Thread != "":
		if q := c.threadQuestion(rec.Author.ID); q != nil && q.add(rec.Author, rec.Time) {
			joined = q.rec.PlatformID
			events = append(events, Event{Kind: Replied, Record: rec, Question: q.rec, From: rec.Author, To: q.rec.Author, How: Threaded, After: since(q.rec.Time, rec.Time)})
		}
	}
	if joined == "" && ref != nil && ref.question != "" {
		// The asker answering a reply stays in their question's exchange.
		if q := c.questionByID(ref.question); q != nil && q.rec.Author.ID == rec.Author.ID {
			joined = ref.question
		}
	}
	if !thanks && d.IsQuestion(rec.Text) {
		q := question{rec: rec}
		if addressed {
			q.to = to
		}
		if len(c.questions) == maxQuestions {
			c.questions = c.questions[1:]
		}
		c.questions = append(c.questions, q)
		events = append(events, Event{Kind: Asked, Record: rec, From: rec.Author, To: q.to})
		if joined == "" {
			joined = rec.PlatformID
		}
	}
	events = c.reactions(rec, events)
	c.saw(rec.Author, rec.Time)
	if rec.PlatformID != "" {
		if len(c.said) == maxSaid {
			c.said = c.said[1:]
		}
		c.said = append(c.said, said{id: rec.PlatformID, author: rec.Author, at: rec.Time, question: joined})
	}
	return events
}

// referenced is the message rec is a platform reply to, if it is one
// another member wrote in this conversation within the window.
func (c *conversation) referenced(rec store.Record) *said {
	if rec.RepliesTo == "" {
		return nil
	}
	for i := len(c.said) - 1; i >= 0; i-- {
		if s := &c.said[i]; s.id == rec.RepliesTo {
			if s.author.ID == rec.Author.ID {
				return nil
			}
			return s
		}
	}
	return nil
}

// questionByID is the question in the window whose PlatformID is id.
func (c *conversation) questionByID(id string) *question {
	for i := len(c.questions) - 1; i >= 0; i-- {
		if c.questions[i].rec.PlatformID == id {
			return &c.questions[i]
		}
	}
	return nil
}

// reactions adds to events a thanks from each member named on an emoji
// that says thanks on rec (chat.Appreciates), other than its author: a
// reaction is addressed to the message's author, as an addressed thanks
// is, so it counts on any message; it is tied to the reactor's question
// that rec replied to, or that its author replied to lately. Reactors an
// export counts but does not name cannot be told apart, and count for
// nothing; a member counts once per message, whatever the emoji.
func (c *conversation) reactions(rec store.Record, events []Event) []Event {
	var thanked []string
	for _, r := range rec.Reactions {
		if !chat.Appreciates(r.Emoji) {
			continue
		}
	members:
		for _, id := range r.Members {
			if id == "" || id == rec.Author.ID {
				continue
			}
			for _, t := range thanked {
				if t == id {
					continue members
				}
			}
			thanked = append(thanked, id)
			e := Event{Kind: Thanked, Record: rec, From: c.member(id), To: rec.Author, How: Reacted}
			for _, r := range events {
				if r.Kind == Replied && r.To.ID == id {
					e.Question = r.Question
				}
			}
			if e.Question.ID == 0 {
				if q, _, ok := c.repliedBy(id, rec.Author.ID); ok {
					e.Question = q.rec
				}
			}
			events = append(events, e)
		}
	}
	return events
}

// member is the member seen lately with platform ID id, or one known by
// that ID only.
func (c *conversation) member(id string) chat.Member {
	for _, s := range c.members {
		if s.member.ID == id {
			return s.member
		}
	}
	return chat.Member{ID: id}
}

func since(from, to time.Time) time.Duration { return max(0, to.Sub(from)) }

// sweep drops the conversations quiet for a window.
func (d *Detector) sweep() {
	before := d.now.Add(-d.window())
	for k, c := range d.convs {
		if c.last.Before(before) {
			delete(d.convs, k)
		}
	}
}

// forget drops what happened before t.
func (c *conversation) forget(t time.Time) {
	i := 0
	for i < len(c.members) && c.members[i].at.Before(t) {
		i++
	}
	c.members = c.members[i:]
	i = 0
	for i < len(c.questions) && c.questions[i].rec.Time.Before(t) {
		i++
	}
	c.questions = c.questions[i:]
	i = 0
	for i < len(c.said) && c.said[i].at.Before(t) {
		i++
	}
	c.said = c.said[i:]
}

// saw notes that m spoke at t: m moves to the end of members.
func (c *conversation) saw(m chat.Member, t time.Time) {
	for i, s := range c.members {
		if s.member.ID == m.ID {
			c.members = append(c.members[:i], c.members[i+1:]...)
			break
		}
	}
	if len(c.members) == maxMembers {
		c.members = c.members[1:]
	}
	c.members = append(c.members, seen{member: m, key: NickKey(nameOf(m)), at: t})
}

func nameOf(m chat.Member) string {
	if m.Name != "" {
		return m.Name
	}
	return m.ID
}

// addressee is the member seen lately whom rec is addressed to, other
// than its author.
func (c *conversation) addressee(rec store.Record) (chat.Member, bool) {
	name, id, ok := Address(rec.Text)
	if !ok {
		return chat.Member{}, false
	}
	if id != "" {
		for _, s := range c.members {
			if s.member.ID == id && id != rec.Author.ID {
				return s.member, true
			}
		}
		return chat.Member{}, false
	}
	key := NickKey(name)
	var found *seen
	for i := len(c.members) - 1; i >= 0; i-- { // newest first
		s := &c.members[i]
		if s.key != key || s.member.ID == rec.Author.ID {
			continue
		}
		if strings.EqualFold(nameOf(s.member), name) {
			return s.member, true
		}
		if found == nil {
			found = s
		}
	}
	if found == nil {
		return chat.Member{}, false
	}
	return found.member, true
}

// openQuestionOf is the newest question asker asked in the window that by
// may answer: an open one, or one addressed to by.
func (c *conversation) openQuestionOf(asker, by string) *question {
	for i := len(c.questions) - 1; i >= 0; i-- {
		if q := c.questions[i]; q.rec.Author.ID == asker && (q.to.ID == "" || q.to.ID == by) {
			return &c.questions[i]
		}
	}
	return nil
}

// threadQuestion is the oldest question in the window, in a thread, that
// someone other than by asked and that was not addressed to a third
// member.
func (c *conversation) threadQuestion(by string) *question {
	for i := range c.questions {
		q := &c.questions[i]
		if q.rec.Author.ID != by && (q.to.ID == "" || q.to.ID == by) {
			return q
		}
	}
	return nil
}

// add notes m's reply at t to q; false if m replied to it already (or
// too many did).
func (q *question) add(m chat.Member, t time.Time) bool {
	for _, r := range q.repliers {
		if r.member.ID == m.ID {
			return false
		}
	}
	if len(q.repliers) == maxRepliers {
		return false
	}
	q.repliers = append(q.repliers, reply{member: m, at: t})
	return true
}

// repliedBy is asker's newest question that helper replied to.
func (c *conversation) repliedBy(asker, helper string) (question, reply, bool) {
	for i := len(c.questions) - 1; i >= 0; i-- {
		q := c.questions[i]
		if q.rec.Author.ID != asker {
			continue
		}
		for _, r := range q.repliers {
			if r.member.ID == helper {
				return q, r, true
			}
		}
	}
	return question{}, reply{}, false
}

// lastReplyTo is the newest reply to one of asker's questions.
func (c *conversation) lastReplyTo(asker string) (question, reply, bool) {
	var (
		bestQ question
		bestR reply
		ok    bool
	)
	for _, q := range c.questions {
		if q.rec.Author.ID != asker {
			continue
		}
		for _, r := range q.repliers {
			if !ok || !r.at.Before(bestR.at) {
				bestQ, bestR, ok = q, r, true
			}
		}
	}
	return bestQ, bestR, ok
}

// IsQuestion is what the Detector takes for a question to route: a
// message of at least three words once an address is cut, that is
// neither a command (d.Text.CommandPrefix, "!", "/", so "/me" actions
// too) nor an IRC correction ("s/a/b/"), and that either has a sentence
// ending in a question mark (ASCII or full-width), or starts with a word
// that asks for help (how, why, where, does, do, can, could, anyone,
// anybody, someone, somebody, is there) and has four words or more.
// chat.IsQuestion's wider first words ("what", "is", "will", ...) start
// too many statements in a real channel ("what PeterDietz meant is ...");
// "bup?" and "tdonohue: ready?" are too short to route.
func (d *Detector) IsQuestion(text string) bool {
	t := strings.TrimSpace(text)
	if name, id, ok := Address(t); ok {
		cut := name
		if id != "" {
			cut = "<@" + id + ">"
		}
		if i := strings.Index(t, cut); i >= 0 {
			t = strings.TrimLeft(t[i+len(cut):], ":, \t")
		}
	}
	switch {
	case d.Text.CommandPrefix != "" && strings.HasPrefix(t, d.Text.CommandPrefix),
		strings.HasPrefix(t, "!"), strings.HasPrefix(t, "/"), strings.HasPrefix(t, "s/"):
		return false
	}
	var words []string
	for _, w := range strings.Fields(t) {
		if !strings.Contains(w, "://") {
			words = append(words, w)
		}
	}
	if len(words) < 3 {
		return false
	}
	for _, w := range words {
		if strings.HasSuffix(strings.TrimRight(w, `)"'.`), "?") || strings.HasSuffix(w, "？") {
			return true
		}
	}
	first := strings.ToLower(strings.TrimRightFunc(words[0], func(r rune) bool { return !unicode.IsLetter(r) }))
	if first == "is" && len(words) > 1 && strings.EqualFold(words[1], "there") {
		first = "is there"
	}
	return len(words) >= 4 && askingWords[first]
}

// askingWords start a question with no question mark.
var askingWords = map[string]bool{
	"how": true, "why": true, "where": true, "does": true, "do": true, "can": true, "could": true,
	"anyone": true, "anybody": true, "someone": true, "somebody": true, "is there": true,
}
