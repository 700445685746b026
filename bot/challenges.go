package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/docent-bot/docent/bot/analytics"
	"github.com/docent-bot/docent/bot/challenges"
	"github.com/docent-bot/docent/bot/config"
	"github.com/docent-bot/docent/brain/llm"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// contest is the bot's coding challenges: the loaded challenges, the
// answer checker, and what the announcer needs.
type contest struct {
	cfg      challenges.Config
	set      atomic.Pointer[challenges.Set] // swapped whole when the files change
	verifier *challenges.Verifier
	log      *slog.Logger
	now      func() time.Time

	// afterPass, when set (by tests), runs after each pass of the
	// announcer over the challenges.
	afterPass func()
}

// newContest loads the challenges the config names; nil when there are
// none configured.
func newContest(cfg *Config, log *slog.Logger) (*contest, error) {
	if cfg.Challenges.Folder == "" {
		return nil, nil
	}
	set, err := cfg.LoadChallenges()
	if err != nil {
		return nil, err
	}
	// One check holds the hash's memory (64 MiB by default) and a core or
	// more: a few at a time whatever the burst.
	c := &contest{cfg: cfg.Challenges, verifier: challenges.NewVerifier(max(runtime.GOMAXPROCS(0)/2, 1)), log: log, now: time.Now}
	c.set.Store(set)
	log.Info("challenges loaded", "challenges", len(set.All()), "folder", cfg.files.show(cfg.Challenges.Folder))
	return c, nil
}

// validateChallenges checks the challenges section: its own settings, the
// folder, and that announcements go to platforms that are enabled.
func (c *Config) validateChallenges(pos config.Positions) config.Errors {
	var errs config.Errors
	bad := func(path, format string, args ...any) { errs = append(errs, pos.Errorf(path, format, args...)) }
	ch := c.Challenges
	for _, p := range ch.Problems() {
		bad("challenges."+p.Field, "%s", p.Msg)
	}
	if ch.Folder == "" {
		for _, field := range []string{"announce", "seasons"} {
			if pos.Has("challenges."+field) && (field == "announce" && len(ch.Announce) > 0 || field == "seasons" && len(ch.Seasons) > 0) {
				bad("challenges."+field, "has no effect: challenges are off until challenges.folder names the folder of challenge files")
			}
		}
		return errs
	}
	if fi, err := c.files.stat(ch.Folder); err != nil || !fi.IsDir() {
		bad("challenges.folder", "%s is not a folder", c.files.show(ch.Folder))
	}
	enabled := map[string]bool{"console": c.Adapters.Console.Enabled, "discord": c.Adapters.Discord.Enabled, "slack": c.Adapters.Slack.Enabled}
	for _, platform := range slices.Sorted(mapKeys(ch.Announce)) {
		if on, known := enabled[platform]; known && !on {
			bad("challenges.announce."+platform, "announces on %s, but adapters.%s.enabled is false", platform, platform)
		}
	}
	return errs
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// LoadChallenges reads the challenge files in challenges.folder and checks
// the seasons against them. Every problem is reported at once, each with
// its file, line and field. With no folder configured it returns an empty
// set.
func (c *Config) LoadChallenges() (*challenges.Set, error) {
	if c.Challenges.Folder == "" {
		return challenges.Load(nil)
	}
	names, err := c.files.walk(c.Challenges.Folder)
	if err != nil {
		return nil, config.Errors{c.pos.Errorf("challenges.folder", "%s: %v", c.files.show(c.Challenges.Folder), err)}
	}
	var files []challenges.File
	var errs config.Errors
	for _, name := range names {
		data, err := c.files.readFile(name)
		if err != nil {
			errs = append(errs, &config.Error{Pos: config.Pos{File: name}, Msg: err.Error()})
			continue
		}
		files = append(files, challenges.File{Name: name, Data: data})
	}
	set, err := challenges.Load(files)
	if err != nil {
		var ce config.Errors
		if !errors.As(err, &ce) {
			return nil, err
		}
		errs = append(errs, ce...)
	}
	if set != nil {
		errs = append(errs, set.CheckSeasons(c.Challenges.Seasons, c.pos, "challenges.seasons")...)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return set, nil
}

// CheckChallenges loads the challenges the config names, for `docent
// config check`; it returns how many there are.
func CheckChallenges(cfg *Config) (int, error) {
	set, err := cfg.LoadChallenges()
	if err != nil {
		return 0, err
	}
	return len(set.All()), nil
}

// challengesState sums up the challenge files like intentsState.
func (b *Bot) challengesState() string {
	files, err := b.cfg.files.walk(b.cfg.Challenges.Folder)
	if err != nil {
		return err.Error()
	}
	var lines []string
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			lines = append(lines, f+": "+err.Error())
			continue
		}
		lines = append(lines, fmt.Sprintf("%s %d %d", f, fi.Size(), fi.ModTime().UnixNano()))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// reloadChallenges swaps in the challenge files as they are now, or keeps
// the current ones when the files have problems.
func (b *Bot) reloadChallenges() {
	set, err := b.cfg.LoadChallenges()
	if err != nil {
		b.log.Error("challenges: the files have problems; keeping the current challenges", "err", err)
		return
	}
	b.contest.set.Store(set)
	b.log.Info("challenges reloaded", "challenges", len(set.All()))
}

// ChallengesOn reports whether coding challenges are configured.
func (b *Bot) ChallengesOn() bool { return b.contest != nil }

// ChallengeBoard is one leaderboard, for the dashboard: all time, a season
// or one challenge.
type ChallengeBoard struct {
	Title, Description string
	Entries            []challenges.Entry
}

// ChallengeBoards returns the all-time leaderboard, then each season's, then
// each challenge's that has opened (the latest to close first); none when
// challenges are off.
func (b *Bot) ChallengeBoards(ctx context.Context) ([]ChallengeBoard, error) {
	if b.contest == nil {
		return nil, nil
	}
	subs, err := b.store.Submissions(ctx, "")
	if err != nil {
		return nil, err
	}
	set := b.contest.set.Load()
	out := []ChallengeBoard{{Title: "All time", Description: "every challenge, including those no longer in the folder", Entries: challenges.Board(subs, nil)}}
	for _, name := range set.Seasons() {
		ids, _ := set.Season(name)
		out = append(out, ChallengeBoard{Title: "Season " + name, Description: strings.Join(ids, ", "), Entries: challenges.Board(subs, challenges.InSeason(ids))})
	}
	now := b.contest.now()
	list := slices.Clone(set.All())
	slices.SortFunc(list, func(a, b *challenges.Challenge) int { return cmp.Or(b.End.Compare(a.End), strings.Compare(a.ID, b.ID)) })
	for _, c := range list {
		state := "open until " + challenges.When(c.End)
		switch c.StateAt(now) {
		case challenges.Upcoming:
			continue
		case challenges.Closed:
			state = "closed " + challenges.When(c.End)
		}
		out = append(out, ChallengeBoard{Title: fmt.Sprintf("%s (%s)", c.Title, c.ID),
			Description: fmt.Sprintf("%s, %d points, %s", c.Difficulty, c.Points(), state),
			Entries:     challenges.Board(subs, func(id string) bool { return id == c.ID })})
	}
	return out, nil
}

// addChallengeCommands adds the members' challenge commands, when
// challenges are configured.
func (b *Bot) addChallengeCommands(cs *Commands) {
	if b.contest == nil {
		return
	}
	cs.Add(Command{Name: "challenges", Summary: "the coding challenges open now, with the time left, and those coming up", Run: b.listChallenges})
	cs.Add(Command{Name: "challenge", Args: "<id>", Summary: "a coding challenge's statement, its points and your progress", Run: b.showChallenge})
	cs.Add(Command{Name: "submit", Args: "<id> [part] <answer>", Summary: "answer a coding challenge; I reply to you alone and never repeat or store your answer", Run: b.submit})
	cs.Add(Command{Name: "leaderboard", Args: "[challenge|season]", Summary: "the challenge points of the community: all time, for one challenge or for a season", Run: b.leaderboard})
	cs.Add(Command{Name: "mystats", Summary: "your challenge points, rank and progress", Run: b.myStats})
	cs.Add(Command{Name: "review", Args: "<id> <code>", Summary: "feedback from the AI on your code for a challenge: correctness, complexity, style (the code is never run)",
		Unavailable: b.withoutLLM("Feedback on code needs the AI assistant, which is not set up here (llm.enabled is false in the configuration). Your code was not sent anywhere."),
		Run:         b.review})
}

// answerHidden replaces the answer of a submission in the history.
const answerHidden = "[answer hidden]"

// scrubSubmission hides the answer in a submit command before the message
// is stored (RouterOptions.Scrub): the history keeps the challenge and the
// part, never the answer. Anything after an unknown challenge is hidden
// too: the member may have left out the challenge's ID.
func (b *Bot) scrubSubmission(text string) string {
	if b.contest == nil || b.commands == nil {
		return text
	}
	cmd, name, args, ok := b.commands.Parse(text)
	if !ok || cmd == nil || name != "submit" || args == "" {
		return text
	}
	kept := b.cfg.Bot.CommandPrefix + name
	rest := args
	if id, after := cutWord(args); id != "" {
		if c, known := b.contest.set.Load().Get(strings.ToLower(id)); known {
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

// limits are the submission limits of the config.
func (ct *contest) limits() store.SubmitLimits {
	return store.SubmitLimits{Attempts: ct.cfg.Attempts, Cooldown: ct.cfg.Cooldown}
}

// find looks up a challenge by the ID a member typed, or says what to type.
func (b *Bot) find(id string) (*challenges.Challenge, string) {
	p := b.cfg.Bot.CommandPrefix
	set := b.contest.set.Load()
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

// at is when a member's message counts as sent, for the challenge's
// window, the cooldown and ties: when Docent handles it (a platform's
// clock, or a member's, is not to be trusted with a deadline).
func (ct *contest) at(*Message) time.Time { return ct.now() }

func (b *Bot) listChallenges(ctx context.Context, m *Message, _ string) (chat.Answer, error) {
	p := b.cfg.Bot.CommandPrefix
	now := b.contest.now()
	mine, err := b.store.MemberSubmissions(ctx, m.Conversation.Platform, m.Author.ID)
	if err != nil {
		return chat.Answer{}, err
	}
	var open, upcoming, closed []*challenges.Challenge
	for _, c := range b.contest.set.Load().All() {
		switch c.StateAt(now) {
		case challenges.Open:
			open = append(open, c)
		case challenges.Upcoming:
			upcoming = append(upcoming, c)
		case challenges.Closed:
			if now.Sub(c.End) < 30*24*time.Hour {
				closed = append(closed, c)
			}
		}
	}
	slices.SortFunc(open, func(a, b *challenges.Challenge) int { return cmp.Or(a.End.Compare(b.End), strings.Compare(a.ID, b.ID)) })
	slices.SortFunc(closed, func(a, b *challenges.Challenge) int { return b.End.Compare(a.End) })
	var sb strings.Builder
	if len(open) == 0 {
		sb.WriteString("No coding challenge is open right now.")
	} else {
		sb.WriteString("Open coding challenges:")
		for _, c := range open {
			fmt.Fprintf(&sb, "\n• **%s** (`%s`): %s, %d points; closes in %s (%s)%s", c.Title, c.ID, c.Difficulty, c.Points(),
				challenges.Human(c.End.Sub(now)), challenges.When(c.End), progress(c, mine, now, b.contest.limits()))
		}
	}
	if len(upcoming) > 0 {
		sb.WriteString("\nComing up:")
		for _, c := range upcoming[:min(len(upcoming), 5)] {
			fmt.Fprintf(&sb, "\n• **%s** (`%s`): opens in %s (%s)", c.Title, c.ID, challenges.Human(c.Start.Sub(now)), challenges.When(c.Start))
		}
	}
	if len(closed) > 0 {
		sb.WriteString("\nRecently closed:")
		for _, c := range closed[:min(len(closed), 3)] {
			fmt.Fprintf(&sb, "\n• **%s** (`%s`): closed %s ago; `%sleaderboard %s` has the results", c.Title, c.ID, challenges.Human(now.Sub(c.End)), p, c.ID)
		}
	}
	if len(open) > 0 {
		fmt.Fprintf(&sb, "\nRead one with `%schallenge <id>`; answer with `%ssubmit <id> <answer>`, best in a direct message to me.", p, p)
	}
	return chat.Answer{Text: sb.String()}, nil
}

// progress is a member's standing on a challenge, for lists: "" when they
// have not answered it.
func progress(c *challenges.Challenge, mine []store.Submission, now time.Time, lim store.SubmitLimits) string {
	solved, tried := 0, 0
	for _, p := range c.Parts {
		st := store.StatusOf(mine, c.ID, p.ID, now, lim)
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

func (b *Bot) showChallenge(ctx context.Context, m *Message, args string) (chat.Answer, error) {
	p := b.cfg.Bot.CommandPrefix
	id, _ := cutWord(args)
	if id == "" {
		return chat.Answer{Text: fmt.Sprintf("Usage: `%schallenge <id>`; `%schallenges` lists them.", p, p)}, nil
	}
	c, why := b.find(id)
	if c == nil {
		return chat.Answer{Text: why}, nil
	}
	now := b.contest.now()
	var sb strings.Builder
	fmt.Fprintf(&sb, "**%s** (`%s`): %s", c.Title, c.ID, c.Difficulty)
	if len(c.Tags) > 0 {
		fmt.Fprintf(&sb, " · %s", strings.Join(c.Tags, ", "))
	}
	fmt.Fprintf(&sb, " · %d points\n", c.Points())
	switch c.StateAt(now) {
	case challenges.Upcoming:
		fmt.Fprintf(&sb, "Opens in %s (%s), until %s. Its statement is shown from then.", challenges.Human(c.Start.Sub(now)), challenges.When(c.Start), challenges.When(c.End))
		return chat.Answer{Text: sb.String()}, nil
	case challenges.Open:
		fmt.Fprintf(&sb, "Open until %s (%s left).\n\n", challenges.When(c.End), challenges.Human(c.End.Sub(now)))
	case challenges.Closed:
		fmt.Fprintf(&sb, "Closed on %s; `%sleaderboard %s` has the results.\n\n", challenges.When(c.End), p, c.ID)
	}
	sb.WriteString(c.Statement)
	lim := b.contest.limits()
	mine, err := b.store.MemberSubmissions(ctx, m.Conversation.Platform, m.Author.ID)
	if err != nil {
		return chat.Answer{}, err
	}
	for _, part := range c.Parts {
		st := store.StatusOf(mine, c.ID, part.ID, now, lim)
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
	if c.StateAt(now) == challenges.Open {
		usage := fmt.Sprintf("`%ssubmit %s <answer>`", p, c.ID)
		if c.Multipart() {
			usage = fmt.Sprintf("`%ssubmit %s <part> <answer>`", p, c.ID)
		}
		fmt.Fprintf(&sb, "\n\nAnswer with %s, best in a direct message to me (%s). `%sreview %s` followed by your code gets feedback on it.", usage, limitsText(lim), p, c.ID)
	}
	return chat.Answer{Text: sb.String()}, nil
}

func limitsText(lim store.SubmitLimits) string {
	var parts []string
	if lim.Attempts > 0 {
		parts = append(parts, fmt.Sprintf("%d attempts each", lim.Attempts))
	}
	if lim.Cooldown > 0 {
		parts = append(parts, fmt.Sprintf("%s to wait after a wrong one", challenges.Human(lim.Cooldown)))
	}
	if len(parts) == 0 {
		return "as many attempts as you like"
	}
	return strings.Join(parts, ", ")
}

// attemptsText is a member's attempts at a part: "2 attempts, 8 left".
func attemptsText(st store.PartStatus, lim store.SubmitLimits) string {
	s := analytics.Plural(st.Attempts, "attempt")
	if lim.Attempts > 0 {
		s += fmt.Sprintf(", %d left", max(lim.Attempts-st.Attempts, 0))
	}
	return s
}

// submit checks a member's answer. Every reply goes to the member alone,
// and none repeats the answer.
func (b *Bot) submit(ctx context.Context, m *Message, args string) (chat.Answer, error) {
	p := b.cfg.Bot.CommandPrefix
	reply := func(format string, a ...any) (chat.Answer, error) {
		return chat.Answer{Ephemeral: true, Text: fmt.Sprintf(format, a...)}, nil
	}
	id, rest := cutWord(args)
	if id == "" || rest == "" {
		return reply("Usage: `%ssubmit <id> <answer>` (or `%ssubmit <id> <part> <answer>` for a challenge in parts), best in a direct message to me.", p, p)
	}
	c, why := b.find(id)
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
	at := b.contest.at(m)
	switch c.StateAt(at) {
	case challenges.Upcoming:
		return reply("**%s** opens in %s (%s); answers are taken from then.", c.Title, challenges.Human(c.Start.Sub(at)), challenges.When(c.Start))
	case challenges.Closed:
		return reply("**%s** closed %s ago (%s), so answers are no longer taken. `%sleaderboard %s` has the results.", c.Title, challenges.Human(at.Sub(c.End)), challenges.When(c.End), p, c.ID)
	}
	name := "**" + c.Title + "**"
	if c.Multipart() {
		name += " part " + part.ID
	}
	lim := b.contest.limits()
	// Refuse what the limits refuse before spending a hash on it; Submit
	// checks again, atomically.
	mine, err := b.store.MemberSubmissions(ctx, m.Conversation.Platform, m.Author.ID)
	if err != nil {
		return chat.Answer{}, err
	}
	if st := store.StatusOf(mine, c.ID, part.ID, at, lim); st.Refused != "" {
		return reply("%s", refusal(name, st, lim))
	}
	right, err := b.contest.verifier.Check(ctx, c, part, rest)
	if errors.Is(err, challenges.ErrBadAnswer) {
		return reply("I can't check that: %v. It did not count as an attempt.", err)
	}
	if err != nil {
		return chat.Answer{}, err
	}
	res, err := b.store.Submit(ctx, store.Submission{Platform: m.Conversation.Platform, Member: m.Author, Challenge: c.ID,
		Part: part.ID, Time: at, Correct: right, Points: part.Points}, lim)
	if err != nil {
		return chat.Answer{}, err
	}
	if !res.Stored {
		return reply("%s", refusal(name, res.Status, lim))
	}
	b.log.Info("challenge answer", "challenge", c.ID, "part", part.ID, "member", m.Author.ID, "right", right)
	if !right {
		text := fmt.Sprintf("❌ Not right: %s.", attemptsText(res.Status, lim))
		if res.Status.Refused == store.RefusedAttempts {
			text = fmt.Sprintf("❌ Not right, and that was your last attempt at %s.", name)
		} else if lim.Cooldown > 0 {
			text += fmt.Sprintf(" You can answer %s again in %s.", name, challenges.Human(lim.Cooldown))
		}
		return reply("%s", text)
	}
	text := fmt.Sprintf("✅ Right! %s: +%d points.", name, part.Points)
	if all, err := b.store.Submissions(ctx, ""); err == nil {
		for _, e := range challenges.Board(all, nil) {
			if e.Platform == m.Conversation.Platform && e.MemberID == m.Author.ID {
				text += fmt.Sprintf(" You have %d points in all, rank %d.", e.Points, e.Rank)
			}
		}
	}
	return reply("%s", text)
}

// refusal says why a submission is not taken.
func refusal(name string, st store.PartStatus, lim store.SubmitLimits) string {
	switch st.Refused {
	case store.RefusedSolved:
		return fmt.Sprintf("You already solved %s. 🎉", name)
	case store.RefusedAttempts:
		return fmt.Sprintf("You have used all %d attempts at %s.", lim.Attempts, name)
	default:
		return fmt.Sprintf("Wait %s before answering %s again: after a wrong answer there are %s between attempts.",
			challenges.Human(st.Wait), name, challenges.Human(lim.Cooldown))
	}
}

// leaderboardSize is how many members a leaderboard shows in chat.
const leaderboardSize = 10

func (b *Bot) leaderboard(ctx context.Context, m *Message, args string) (chat.Answer, error) {
	p := b.cfg.Bot.CommandPrefix
	set := b.contest.set.Load()
	arg, _ := cutWord(args)
	title, keep := "all time", func(string) bool { return true }
	if arg != "" {
		name := strings.ToLower(arg)
		if c, ok := set.Get(name); ok {
			title, keep = fmt.Sprintf("**%s** (`%s`)", c.Title, c.ID), func(id string) bool { return id == c.ID }
		} else if ids, ok := set.Season(name); ok {
			title, keep = fmt.Sprintf("season %s (%d challenges)", name, len(ids)), challenges.InSeason(ids)
		} else {
			text := fmt.Sprintf("There is no challenge or season `%s`. `%schallenges` lists the challenges", arg, p)
			if seasons := set.Seasons(); len(seasons) > 0 {
				text += "; the seasons are " + strings.Join(seasons, ", ")
			}
			return chat.Answer{Text: text + "."}, nil
		}
	}
	subs, err := b.store.Submissions(ctx, "")
	if err != nil {
		return chat.Answer{}, err
	}
	board := challenges.Board(subs, keep)
	if len(board) == 0 {
		return chat.Answer{Text: fmt.Sprintf("Leaderboard, %s: nobody has solved anything yet.", title)}, nil
	}
	platforms := map[string]bool{}
	for _, e := range board {
		platforms[e.Platform] = true
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "Leaderboard, %s:", title)
	var you *challenges.Entry
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
func entryLine(e challenges.Entry, withPlatform bool) string {
	medal := map[int]string{1: "🥇", 2: "🥈", 3: "🥉"}[e.Rank]
	if medal == "" {
		medal = fmt.Sprintf("%d.", e.Rank)
	}
	name := e.Name
	if withPlatform {
		name += " (" + e.Platform + ")"
	}
	return fmt.Sprintf("%s %s: %d points, %s solved", medal, name, e.Points, analytics.Plural(e.Solved, "part"))
}

func (b *Bot) myStats(ctx context.Context, m *Message, _ string) (chat.Answer, error) {
	p := b.cfg.Bot.CommandPrefix
	subs, err := b.store.Submissions(ctx, "")
	if err != nil {
		return chat.Answer{}, err
	}
	board := challenges.Board(subs, nil)
	var mine []store.Submission
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
	now := b.contest.now()
	lim := b.contest.limits()
	seen := map[string]bool{}
	for _, s := range mine {
		if seen[s.Challenge] {
			continue
		}
		seen[s.Challenge] = true
		c, ok := b.contest.set.Load().Get(s.Challenge)
		if !ok {
			continue // removed from the folder; its points still count
		}
		var parts []string
		for _, part := range c.Parts {
			st := store.StatusOf(mine, c.ID, part.ID, now, lim)
			label := ""
			if c.Multipart() {
				label = "part " + part.ID + " "
			}
			switch {
			case st.Solved:
				parts = append(parts, fmt.Sprintf("%ssolved (%d points, %s)", label, part.Points, analytics.Plural(st.Attempts, "attempt")))
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
func (b *Bot) review(ctx context.Context, m *Message, args string) (chat.Answer, error) {
	p := b.cfg.Bot.CommandPrefix
	reply := func(format string, a ...any) (chat.Answer, error) {
		return chat.Answer{Ephemeral: true, Text: fmt.Sprintf(format, a...)}, nil
	}
	id, rest := cutWord(args)
	lang, code := codeBlock(rest)
	if id == "" || strings.TrimSpace(code) == "" {
		return reply("Usage: `%sreview <id>` followed by your code, best in a code block (```go … ```).", p)
	}
	c, why := b.find(id)
	if c == nil {
		return reply("%s", why)
	}
	if at := b.contest.at(m); c.StateAt(at) == challenges.Upcoming {
		return reply("**%s** opens in %s; code for it can be reviewed from then.", c.Title, challenges.Human(c.Start.Sub(at)))
	}
	if why := b.reserveLLM(ctx, m); why != "" {
		return reply("%s", why)
	}
	statement := c.Statement
	for _, part := range c.Parts {
		if part.Question != "" {
			statement += "\n\nPart " + part.ID + ": " + part.Question
		}
	}
	ans, err := b.llm.Review(ctx, llm.ReviewRequest{Title: c.Title, Statement: statement, Code: code, Language: lang, Member: m.Author.Name})
	b.spendLLM(ctx, m, ans.Usage)
	if err != nil {
		b.log.Warn("challenges: code review failed", "challenge", c.ID, "err", err)
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

// reserveLLM takes one LLM request from the budget (the same daily limits
// as questions), or says why not.
func (b *Bot) reserveLLM(ctx context.Context, m *Message) string {
	bc := b.cfg.LLM.Budget
	over, err := b.store.Reserve(ctx, store.Day(time.Now()), []store.Limit{
		{Scope: memberScope(m.Conversation, m.Author), Requests: bc.MemberRequests, Tokens: bc.MemberTokens},
		{Scope: channelScope(m.Conversation), Requests: bc.ChannelRequests, Tokens: bc.ChannelTokens},
		{Scope: scopeAll, Tokens: bc.DailyTokens},
	})
	switch {
	case err != nil:
		b.log.Warn("could not check the llm budget; not using the llm", "err", err)
		return "I can't check today's AI budget right now, so I can't review code; please try again later."
	case over == 0:
		return "You've used your AI budget for today, so I can't review code until tomorrow (UTC)."
	case over == 1:
		return "This channel's AI budget for today is used up; try a direct message to me, or tomorrow (UTC)."
	case over == 2:
		return "The community's AI budget for today is used up; please try again tomorrow (UTC)."
	}
	return ""
}

func (b *Bot) spendLLM(ctx context.Context, m *Message, u llm.Usage) {
	spent := store.Usage{Tokens: u.PromptTokens + u.CompletionTokens}
	if spent.Tokens == 0 {
		return
	}
	if err := b.store.AddUsage(context.WithoutCancel(ctx), store.Day(time.Now()), spent,
		memberScope(m.Conversation, m.Author), channelScope(m.Conversation), scopeAll); err != nil {
		b.log.Warn("could not record llm usage", "err", err)
	}
}
