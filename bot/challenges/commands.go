package challenges

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/docent-bot/docent/bot/config"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/brain/llm"
	"github.com/docent-bot/docent/chat"
)

// Commands are the members' challenge commands; none when challenges are
// off.
func (mod *Module) Commands() []module.Command {
	if !mod.On() {
		return nil
	}
	review := module.Command{Name: "review", Args: "<id> <code>", Summary: "feedback from the AI on your code for a challenge: correctness, complexity, style (the code is never run)",
		Run: mod.review}
	if mod.llm == nil {
		review.Unavailable = "Feedback on code needs the AI assistant, which is not set up here (llm.enabled is false in the configuration). Your code was not sent anywhere."
	}
	return []module.Command{
		{Name: "challenges", Summary: "the coding challenges open now, with the time left, and those coming up", Run: mod.listChallenges},
		{Name: "challenge", Args: "<id>", Summary: "a coding challenge's statement, its points and your progress", Run: mod.showChallenge},
		{Name: "submit", Args: "<id> [part] <answer>", Summary: "answer a coding challenge; I reply to you alone and never repeat or store your answer", Run: mod.submit},
		{Name: "leaderboard", Args: "[challenge|season]", Summary: "the challenge points of the community: all time, for one challenge or for a season", Run: mod.leaderboard},
		{Name: "mystats", Summary: "your challenge points, rank and progress", Run: mod.myStats},
		review,
	}
}

// answerHidden replaces the answer of a submission in the history.
const answerHidden = "[answer hidden]"

// Scrub hides the answer in a submit command before the message is
// stored: the history keeps the challenge and the part, never the answer.
// Anything after an unknown challenge is hidden too: the member may have
// left out the challenge's ID.
func (mod *Module) Scrub(text string) string {
	if !mod.On() {
		return text
	}
	rest, ok := strings.CutPrefix(strings.TrimSpace(text), mod.prefix)
	if first, _ := utf8.DecodeRuneInString(rest); !ok || !unicode.IsLetter(first) {
		return text // not a command, as the router reads them
	}
	name, args := cutWord(rest)
	if !strings.EqualFold(name, "submit") || args == "" {
		return text
	}
	kept := mod.prefix + "submit"
	rest = args
	if id, after := cutWord(args); id != "" {
		if c, known := mod.set.Load().Get(strings.ToLower(id)); known {
			kept, rest = kept+" "+id, after
			if part, after := cutWord(rest); c.Multipart() && part != "" {
				if _, known := c.Part(strings.ToLower(part)); known {
					kept, rest = kept+" "+part, after
				}
			}
		}
	}
	if rest == "" {
		return kept
	}
	return kept + " " + answerHidden
}

// cutWord splits s at its first run of white space.
func cutWord(s string) (word, rest string) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// find looks up a challenge by the ID a member typed, or says what to type.
func (mod *Module) find(id string) (*Challenge, string) {
	p := mod.prefix
	set := mod.set.Load()
	if c, ok := set.Get(strings.ToLower(id)); ok {
		return c, ""
	}
	var ids []string
	for _, c := range set.All() {
		ids = append(ids, c.ID)
	}
	if best := config.Closest(id, ids); best != "" {
		return nil, fmt.Sprintf("There is no challenge `%s`. Did you mean `%s`? `%schallenges` lists them.", id, best, p)
	}
	return nil, fmt.Sprintf("There is no challenge `%s`. `%schallenges` lists them.", id, p)
}

func (mod *Module) listChallenges(ctx context.Context, m *module.Message, _ string) (chat.Answer, error) {
	p := mod.prefix
	now := mod.now()
	mine, err := mod.records.MemberSubmissions(ctx, m.Conversation.Platform, m.Author.ID)
	if err != nil {
		return chat.Answer{}, err
	}
	var open, upcoming, closed []*Challenge
	for _, c := range mod.set.Load().All() {
		switch c.StateAt(now) {
		case Open:
			open = append(open, c)
		case Upcoming:
			upcoming = append(upcoming, c)
		case Closed:
			if now.Sub(c.End) < 30*24*time.Hour {
				closed = append(closed, c)
			}
		}
	}
	slices.SortFunc(open, func(a, b *Challenge) int { return cmp.Or(a.End.Compare(b.End), strings.Compare(a.ID, b.ID)) })
	slices.SortFunc(closed, func(a, b *Challenge) int { return b.End.Compare(a.End) })
	var sb strings.Builder
	if len(open) == 0 {
		sb.WriteString("No coding challenge is open right now.")
	} else {
		sb.WriteString("Open coding challenges:")
		for _, c := range open {
			fmt.Fprintf(&sb, "\n• **%s** (`%s`): %s, %d points; closes in %s (%s)%s", c.Title, c.ID, c.Difficulty, c.Points(),
				Human(c.End.Sub(now)), When(c.End), progress(c, mine, now, mod.limits()))
		}
	}
	if len(upcoming) > 0 {
		sb.WriteString("\nComing up:")
		for _, c := range upcoming[:min(len(upcoming), 5)] {
			fmt.Fprintf(&sb, "\n• **%s** (`%s`): opens in %s (%s)", c.Title, c.ID, Human(c.Start.Sub(now)), When(c.Start))
		}
	}
	if len(closed) > 0 {
		sb.WriteString("\nRecently closed:")
		for _, c := range closed[:min(len(closed), 3)] {
			fmt.Fprintf(&sb, "\n• **%s** (`%s`): closed %s ago; `%sleaderboard %s` has the results", c.Title, c.ID, Human(now.Sub(c.End)), p, c.ID)
		}
	}
	if len(open) > 0 {
		fmt.Fprintf(&sb, "\nRead one with `%schallenge <id>`; answer with `%ssubmit <id> <answer>`, best in a direct message to me.", p, p)
	}
	return chat.Answer{Text: sb.String()}, nil
}

// progress is a member's standing on a challenge, for lists: "" when they
// have not answered it.
func progress(c *Challenge, mine []Submission, now time.Time, lim SubmitLimits) string {
	solved, tried := 0, 0
	for _, p := range c.Parts {
		st := StatusOf(mine, c.ID, p.ID, now, lim)
		if st.Solved {
			solved++
		}
		tried += st.Attempts
	}
	switch {
	case tried == 0:
		return ""
	case solved == len(c.Parts):
		return " ✅ solved"
	case c.Multipart():
		return fmt.Sprintf(" (you: %d of %d parts)", solved, len(c.Parts))
	}
	return fmt.Sprintf(" (you: %d attempts)", tried)
}

func (mod *Module) showChallenge(ctx context.Context, m *module.Message, args string) (chat.Answer, error) {
	p := mod.prefix
	id, _ := cutWord(args)
	if id == "" {
		return chat.Answer{Text: fmt.Sprintf("Usage: `%schallenge <id>`; `%schallenges` lists them.", p, p)}, nil
	}
	c, why := mod.find(id)
	if c == nil {
		return chat.Answer{Text: why}, nil
	}
	now := mod.now()
	var sb strings.Builder
	fmt.Fprintf(&sb, "**%s** (`%s`): %s", c.Title, c.ID, c.Difficulty)
	if len(c.Tags) > 0 {
		fmt.Fprintf(&sb, " · %s", strings.Join(c.Tags, ", "))
	}
	fmt.Fprintf(&sb, " · %d points\n", c.Points())
	switch c.StateAt(now) {
	case Upcoming:
		fmt.Fprintf(&sb, "Opens in %s (%s), until %s. Its statement is shown from then.", Human(c.Start.Sub(now)), When(c.Start), When(c.End))
		return chat.Answer{Text: sb.String()}, nil
	case Open:
		fmt.Fprintf(&sb, "Open until %s (%s left).\n\n", When(c.End), Human(c.End.Sub(now)))
	case Closed:
		fmt.Fprintf(&sb, "Closed on %s; `%sleaderboard %s` has the results.\n\n", When(c.End), p, c.ID)
	}
	sb.WriteString(c.Statement)
	lim := mod.limits()
	mine, err := mod.records.MemberSubmissions(ctx, m.Conversation.Platform, m.Author.ID)
	if err != nil {
		return chat.Answer{}, err
	}
	for _, part := range c.Parts {
		st := StatusOf(mine, c.ID, part.ID, now, lim)
		if c.Multipart() {
			fmt.Fprintf(&sb, "\n\n**Part %s** (%d points)", part.ID, part.Points)
			if part.Question != "" {
				sb.WriteString(": " + part.Question)
			}
		}
		if part.Tolerance != nil {
			fmt.Fprintf(&sb, "\n(A number: it is right when it rounds to the same multiple of %s as the expected answer.)", part.ToleranceText)
		}
		if st.Solved {
			sb.WriteString("\n✅ You solved it.")
		} else if st.Attempts > 0 {
			fmt.Fprintf(&sb, "\nYou: %s.", attemptsText(st, lim))
		}
	}
	if c.StateAt(now) == Open {
		usage := fmt.Sprintf("`%ssubmit %s <answer>`", p, c.ID)
		if c.Multipart() {
			usage = fmt.Sprintf("`%ssubmit %s <part> <answer>`", p, c.ID)
		}
		fmt.Fprintf(&sb, "\n\nAnswer with %s, best in a direct message to me (%s). `%sreview %s` followed by your code gets feedback on it.", usage, limitsText(lim), p, c.ID)
	}
	return chat.Answer{Text: sb.String()}, nil
}

func limitsText(lim SubmitLimits) string {
	var parts []string
	if lim.Attempts > 0 {
		parts = append(parts, fmt.Sprintf("%d attempts each", lim.Attempts))
	}
	if lim.Cooldown > 0 {
		parts = append(parts, fmt.Sprintf("%s to wait after a wrong one", Human(lim.Cooldown)))
	}
	if len(parts) == 0 {
		return "as many attempts as you like"
	}
	return strings.Join(parts, ", ")
}

// attemptsText is a member's attempts at a part: "2 attempts, 8 left".
func attemptsText(st PartStatus, lim SubmitLimits) string {
	s := chat.Plural(st.Attempts, "attempt")
	if lim.Attempts > 0 {
		s += fmt.Sprintf(", %d left", max(lim.Attempts-st.Attempts, 0))
	}
	return s
}

// submit checks a member's answer. Every reply goes to the member alone,
// and none repeats the answer.
func (mod *Module) submit(ctx context.Context, m *module.Message, args string) (chat.Answer, error) {
	p := mod.prefix
	reply := func(format string, a ...any) (chat.Answer, error) {
		return chat.Answer{Ephemeral: true, Text: fmt.Sprintf(format, a...)}, nil
	}
	id, rest := cutWord(args)
	if id == "" || rest == "" {
		return reply("Usage: `%ssubmit <id> <answer>` (or `%ssubmit <id> <part> <answer>` for a challenge in parts), best in a direct message to me.", p, p)
	}
	c, why := mod.find(id)
	if c == nil {
		return reply("%s", why)
	}
	part := c.Parts[0]
	if c.Multipart() {
		var partID string
		partID, rest = cutWord(rest)
		var ok bool
		if part, ok = c.Part(strings.ToLower(partID)); !ok || rest == "" {
			return reply("**%s** has parts %s: answer one with `%ssubmit %s <part> <answer>`.", c.Title, strings.Join(c.PartIDs(), ", "), p, c.ID)
		}
	}
	at := mod.at(m)
	switch c.StateAt(at) {
	case Upcoming:
		return reply("**%s** opens in %s (%s); answers are taken from then.", c.Title, Human(c.Start.Sub(at)), When(c.Start))
	case Closed:
		return reply("**%s** closed %s ago (%s), so answers are no longer taken. `%sleaderboard %s` has the results.", c.Title, Human(at.Sub(c.End)), When(c.End), p, c.ID)
	}
	name := "**" + c.Title + "**"
	if c.Multipart() {
		name += " part " + part.ID
	}
	lim := mod.limits()
	// Refuse what the limits refuse before spending a hash on it; Submit
	// checks again, atomically.
	mine, err := mod.records.MemberSubmissions(ctx, m.Conversation.Platform, m.Author.ID)
	if err != nil {
		return chat.Answer{}, err
	}
	if st := StatusOf(mine, c.ID, part.ID, at, lim); st.Refused != "" {
		return reply("%s", refusal(name, st, lim))
	}
	right, err := mod.verifier.Check(ctx, c, part, rest)
	if errors.Is(err, ErrBadAnswer) {
		return reply("I can't check that: %v. It did not count as an attempt.", err)
	}
	if err != nil {
		return chat.Answer{}, err
	}
	res, err := mod.records.Submit(ctx, Submission{Platform: m.Conversation.Platform, Member: m.Author, Challenge: c.ID,
		Part: part.ID, Time: at, Correct: right, Points: part.Points}, lim)
	if err != nil {
		return chat.Answer{}, err
	}
	if !res.Stored {
		return reply("%s", refusal(name, res.Status, lim))
	}
	mod.log.Info("challenge answer", "challenge", c.ID, "part", part.ID, "member", m.Author.ID, "right", right)
	if !right {
		text := fmt.Sprintf("❌ Not right: %s.", attemptsText(res.Status, lim))
		if res.Status.Refused == RefusedAttempts {
			text = fmt.Sprintf("❌ Not right, and that was your last attempt at %s.", name)
		} else if lim.Cooldown > 0 {
			text += fmt.Sprintf(" You can answer %s again in %s.", name, Human(lim.Cooldown))
		}
		return reply("%s", text)
	}
	text := fmt.Sprintf("✅ Right! %s: +%d points.", name, part.Points)
	if all, err := mod.records.Submissions(ctx, ""); err == nil {
		for _, e := range Board(all, nil) {
			if e.Platform == m.Conversation.Platform && e.MemberID == m.Author.ID {
				text += fmt.Sprintf(" You have %d points in all, rank %d.", e.Points, e.Rank)
			}
		}
	}
	return reply("%s", text)
}

// refusal says why a submission is not taken.
func refusal(name string, st PartStatus, lim SubmitLimits) string {
	switch st.Refused {
	case RefusedSolved:
		return fmt.Sprintf("You already solved %s. 🎉", name)
	case RefusedAttempts:
		return fmt.Sprintf("You have used all %d attempts at %s.", lim.Attempts, name)
	default:
		return fmt.Sprintf("Wait %s before answering %s again: after a wrong answer there are %s between attempts.",
			Human(st.Wait), name, Human(lim.Cooldown))
	}
}

// leaderboardSize is how many members a leaderboard shows in chat.
const leaderboardSize = 10

func (mod *Module) leaderboard(ctx context.Context, m *module.Message, args string) (chat.Answer, error) {
	p := mod.prefix
	set := mod.set.Load()
	arg, _ := cutWord(args)
	title, keep := "all time", func(string) bool { return true }
	if arg != "" {
		name := strings.ToLower(arg)
		if c, ok := set.Get(name); ok {
			title, keep = fmt.Sprintf("**%s** (`%s`)", c.Title, c.ID), func(id string) bool { return id == c.ID }
		} else if ids, ok := set.Season(name); ok {
			title, keep = fmt.Sprintf("season %s (%d challenges)", name, len(ids)), InSeason(ids)
		} else {
			text := fmt.Sprintf("There is no challenge or season `%s`. `%schallenges` lists the challenges", arg, p)
			if seasons := set.Seasons(); len(seasons) > 0 {
				text += "; the seasons are " + strings.Join(seasons, ", ")
			}
			return chat.Answer{Text: text + "."}, nil
		}
	}
	subs, err := mod.records.Submissions(ctx, "")
	if err != nil {
		return chat.Answer{}, err
	}
	board := Board(subs, keep)
	if len(board) == 0 {
		return chat.Answer{Text: fmt.Sprintf("Leaderboard, %s: nobody has solved anything yet.", title)}, nil
	}
	platforms := map[string]bool{}
	for _, e := range board {
		platforms[e.Platform] = true
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "Leaderboard, %s:", title)
	var you *Entry
	for i, e := range board {
		if e.Platform == m.Conversation.Platform && e.MemberID == m.Author.ID {
			you = &board[i]
		}
		if i < leaderboardSize {
			fmt.Fprintf(&sb, "\n%s", entryLine(e, len(platforms) > 1))
		}
	}
	if you != nil && you.Rank > leaderboardSize {
		fmt.Fprintf(&sb, "\n…\n%s (you)", entryLine(*you, len(platforms) > 1))
	}
	return chat.Answer{Text: sb.String()}, nil
}

// entryLine is one leaderboard line. Members are shown by name, never as
// a mention: a ranking must not ping the people in it.
func entryLine(e Entry, withPlatform bool) string {
	medal := map[int]string{1: "🥇", 2: "🥈", 3: "🥉"}[e.Rank]
	if medal == "" {
		medal = fmt.Sprintf("%d.", e.Rank)
	}
	name := e.Name
	if withPlatform {
		name += " (" + e.Platform + ")"
	}
	return fmt.Sprintf("%s %s: %d points, %s solved", medal, name, e.Points, chat.Plural(e.Solved, "part"))
}

func (mod *Module) myStats(ctx context.Context, m *module.Message, _ string) (chat.Answer, error) {
	p := mod.prefix
	subs, err := mod.records.Submissions(ctx, "")
	if err != nil {
		return chat.Answer{}, err
	}
	board := Board(subs, nil)
	var mine []Submission
	for _, s := range subs {
		if s.Platform == m.Conversation.Platform && s.Member.ID == m.Author.ID {
			mine = append(mine, s)
		}
	}
	if len(mine) == 0 {
		return chat.Answer{Ephemeral: true, Text: fmt.Sprintf("You have not answered a challenge yet. `%schallenges` lists the open ones.", p)}, nil
	}
	var sb strings.Builder
	sb.WriteString("Your challenges: ")
	ranked := false
	for _, e := range board {
		if e.Platform == m.Conversation.Platform && e.MemberID == m.Author.ID {
			fmt.Fprintf(&sb, "%d points, rank %d of %d (all time).", e.Points, e.Rank, len(board))
			ranked = true
		}
	}
	if !ranked {
		sb.WriteString("no points yet.")
	}
	now := mod.now()
	lim := mod.limits()
	seen := map[string]bool{}
	for _, s := range mine {
		if seen[s.Challenge] {
			continue
		}
		seen[s.Challenge] = true
		c, ok := mod.set.Load().Get(s.Challenge)
		if !ok {
			continue // removed from the folder; its points still count
		}
		var parts []string
		for _, part := range c.Parts {
			st := StatusOf(mine, c.ID, part.ID, now, lim)
			label := ""
			if c.Multipart() {
				label = "part " + part.ID + " "
			}
			switch {
			case st.Solved:
				parts = append(parts, fmt.Sprintf("%ssolved (%d points, %s)", label, part.Points, chat.Plural(st.Attempts, "attempt")))
			case st.Attempts > 0:
				parts = append(parts, fmt.Sprintf("%snot yet (%s)", label, attemptsText(st, lim)))
			}
		}
		fmt.Fprintf(&sb, "\n• **%s** (`%s`): %s", c.Title, c.ID, strings.Join(parts, "; "))
	}
	return chat.Answer{Ephemeral: true, Text: sb.String()}, nil
}

// review asks the LLM for feedback on a member's code for a challenge. The
// code is only read, never run.
func (mod *Module) review(ctx context.Context, m *module.Message, args string) (chat.Answer, error) {
	p := mod.prefix
	reply := func(format string, a ...any) (chat.Answer, error) {
		return chat.Answer{Ephemeral: true, Text: fmt.Sprintf(format, a...)}, nil
	}
	id, rest := cutWord(args)
	lang, code := codeBlock(rest)
	if id == "" || strings.TrimSpace(code) == "" {
		return reply("Usage: `%sreview <id>` followed by your code, best in a code block (```go … ```).", p)
	}
	c, why := mod.find(id)
	if c == nil {
		return reply("%s", why)
	}
	if at := mod.at(m); c.StateAt(at) == Upcoming {
		return reply("**%s** opens in %s; code for it can be reviewed from then.", c.Title, Human(c.Start.Sub(at)))
	}
	if why := mod.budget.Reserve(ctx, m, "review code"); why != "" {
		return reply("%s", why)
	}
	statement := c.Statement
	for _, part := range c.Parts {
		if part.Question != "" {
			statement += "\n\nPart " + part.ID + ": " + part.Question
		}
	}
	ans, err := mod.llm.Review(ctx, llm.ReviewRequest{Title: c.Title, Statement: statement, Code: code, Language: lang, Member: m.Author.Name})
	mod.budget.Spend(ctx, m, ans.Usage)
	if err != nil {
		mod.log.Warn("challenges: code review failed", "challenge", c.ID, "err", err)
		return reply("The AI assistant could not review your code just now. Please try again in a moment.")
	}
	if strings.TrimSpace(ans.Text) == "" {
		return reply("The AI assistant had nothing to say about that code. Try again, perhaps with more of it.")
	}
	// A command's answer, though the LLM wrote it: meant for the member
	// alone, it must stay out of the LLM's history of the conversation and
	// out of the past threads other members' questions are matched with.
	return chat.Answer{Ephemeral: true, Source: chat.SourceCommand, Text: fmt.Sprintf(
		"Feedback on your code for **%s**, from the AI (it read the code; nobody ran it):\n\n%s", c.Title, ans.Text)}, nil
}

// codeBlock takes the code out of a fenced block when there is one (with
// its language), else returns the text as it is.
func codeBlock(s string) (lang, code string) {
	start := strings.Index(s, "```")
	if start < 0 {
		return "", s
	}
	body := s[start+3:]
	if end := strings.LastIndex(body, "```"); end >= 0 {
		body = body[:end]
	}
	if nl := strings.IndexByte(body, '\n'); nl >= 0 {
		if info := strings.TrimSpace(body[:nl]); info != "" && !strings.ContainsAny(info, " \t") {
			return info, body[nl+1:]
		}
	}
	return "", body
}

// Leaderboard is one leaderboard, for the dashboard: all time, a season
// or one challenge.
type Leaderboard struct {
	Title, Description string
	Entries            []Entry
}

// Leaderboards returns the all-time leaderboard, then each season's, then
// each challenge's that has opened (the latest to close first); none when
// challenges are off.
func (mod *Module) Leaderboards(ctx context.Context) ([]Leaderboard, error) {
	if !mod.On() {
		return nil, nil
	}
	subs, err := mod.records.Submissions(ctx, "")
	if err != nil {
		return nil, err
	}
	set := mod.set.Load()
	out := []Leaderboard{{Title: "All time", Description: "every challenge, including those no longer in the folder", Entries: Board(subs, nil)}}
	for _, name := range set.Seasons() {
		ids, _ := set.Season(name)
		out = append(out, Leaderboard{Title: "Season " + name, Description: strings.Join(ids, ", "), Entries: Board(subs, InSeason(ids))})
	}
	now := mod.now()
	list := slices.Clone(set.All())
	slices.SortFunc(list, func(a, b *Challenge) int { return cmp.Or(b.End.Compare(a.End), strings.Compare(a.ID, b.ID)) })
	for _, c := range list {
		state := "open until " + When(c.End)
		switch c.StateAt(now) {
		case Upcoming:
			continue
		case Closed:
			state = "closed " + When(c.End)
		}
		out = append(out, Leaderboard{Title: fmt.Sprintf("%s (%s)", c.Title, c.ID),
			Description: fmt.Sprintf("%s, %d points, %s", c.Difficulty, c.Points(), state),
			Entries:     Board(subs, func(id string) bool { return id == c.ID })})
	}
	return out, nil
}
