package cli

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/bot/challenges"
)

// challengeCommands hash and try coding challenges and print their leaderboard.
func challengeCommands() []Command {
	return []Command{
		{Name: "challenge hash", Group: "Challenges", Args: "[--salt S] [--tolerance T] ANSWER...", Summary: "hash a coding challenge's expected answers for its file (argon2id)", Run: (*Env).challengeHash},
		{Name: "challenge try", Group: "Challenges", Args: "[--config FILE] ID [PART] ANSWER", Summary: "check an answer against a configured challenge, storing nothing: exit 0 if right, 1 if wrong", Run: (*Env).challengeTry},
		{Name: "leaderboard", Group: "Challenges", Args: "[--config FILE] [--db FILE] [--challenge ID | --season NAME] [--top N] [--csv]", Summary: "the coding challenges' leaderboard: all time, one challenge or a season, as a table or CSV", Run: (*Env).leaderboard},
	}
}

// challengeHash prints the hashes of a challenge's expected answers, for
// its file.
func (c *Env) challengeHash(args []string) int {
	fs := c.Flags()
	saltFlag := fs.String("salt", "", "the challenge's salt `S`, as in its other hashes (base64 without padding); default: a new random one")
	tolerance := fs.String("tolerance", "", "the part's tolerance `T` (0.01): hash a number's grid point instead of its text")
	if code, done := c.Parse(fs, args); done {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(c.Stderr, "docent challenge hash: give the expected ANSWER (several: one hash each)")
		return exitUsage
	}
	salt := challenges.NewSalt()
	if *saltFlag != "" {
		var err error
		if salt, err = challenges.ParseSalt(*saltFlag); err != nil {
			fmt.Fprintf(c.Stderr, "docent challenge hash: --salt: %v\n", err)
			return exitUsage
		}
	}
	var tol *big.Rat
	if *tolerance != "" {
		var err error
		if tol, err = challenges.ParseTolerance(*tolerance); err != nil {
			fmt.Fprintf(c.Stderr, "docent challenge hash: --tolerance: %v\n", err)
			return exitUsage
		}
	}
	params := challenges.DefaultParams()
	for _, answer := range fs.Args() {
		canon, err := challenges.Canonical(answer, tol)
		if err != nil {
			fmt.Fprintf(c.Stderr, "docent challenge hash: %q: %v\n", answer, err)
			return exitUsage
		}
		if tol != nil {
			x, _ := challenges.ParseNumber(answer)
			k, _ := new(big.Rat).SetString(canon)
			half := new(big.Rat).Quo(tol, big.NewRat(2, 1))
			centre := new(big.Rat).Mul(k, tol)
			lo, hi := new(big.Rat).Sub(centre, half), new(big.Rat).Add(centre, half)
			fmt.Fprintf(c.Stderr, "%s: grid point %s; answers from %s to %s are right\n", answer, canon, ratText(lo), ratText(hi))
			if off := challenges.GridOffset(x, tol); off > 0.3 {
				fmt.Fprintf(c.Stderr, "warning: %s lies near the edge of that range (%.0f%% of a step from its centre): an answer a little to the other side is wrong. A tolerance whose grid centres it works better.\n", answer, 100*off)
			}
		} else if canon != answer {
			fmt.Fprintf(c.Stderr, "%q is compared as %q\n", answer, canon)
		}
		start := time.Now()
		h := challenges.Hash(canon, salt, params)
		took := time.Since(start)
		fmt.Fprintln(c.Stdout, h)
		if answer == fs.Arg(0) {
			fmt.Fprintf(c.Stderr, "argon2id %s (%d MiB) took %s here; a submission costs the same to check, a guess the same to try.\n",
				params, params.Memory>>10, took.Round(time.Millisecond))
		}
	}
	if *saltFlag == "" {
		s := base64.RawStdEncoding.EncodeToString(salt)
		fmt.Fprintf(c.Stderr, "New salt %s: hash this challenge's other answers with --salt %s; never reuse it for another challenge.\n", s, s)
	}
	return exitOK
}

func ratText(r *big.Rat) string {
	return new(big.Float).SetPrec(128).SetRat(r).Text('g', 15)
}

// challengeTry checks an answer against a configured challenge, as a
// member's submission would be checked, without storing anything.
func (c *Env) challengeTry(args []string) int {
	fs := c.Flags()
	configFile := fs.String("config", "", "configuration `FILE`")
	cfg, code, done := c.Setup(fs, args, configFile)
	if done {
		return code
	}
	set, err := challengeModule(cfg).Load(cfg.Files(), cfg.Positions())
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitUsage
	}
	if fs.NArg() < 2 {
		fmt.Fprintln(c.Stderr, "docent challenge try: give the challenge's ID, the part (if it has parts) and the ANSWER")
		return exitUsage
	}
	ch, ok := set.Get(fs.Arg(0))
	if !ok {
		fmt.Fprintf(c.Stderr, "docent challenge try: no challenge %q in %s\n", fs.Arg(0), challengeModule(cfg).Settings().Folder)
		return exitUsage
	}
	rest := fs.Args()[1:]
	part := ch.Parts[0]
	if ch.Multipart() {
		if part, ok = ch.Part(rest[0]); !ok || len(rest) < 2 {
			fmt.Fprintf(c.Stderr, "docent challenge try: %s has parts %s: give the part, then the answer\n", ch.ID, strings.Join(ch.PartIDs(), ", "))
			return exitUsage
		}
		rest = rest[1:]
	}
	right, err := challenges.NewVerifier(1).Check(context.Background(), ch, part, strings.Join(rest, " "))
	switch {
	case errors.Is(err, challenges.ErrBadAnswer):
		fmt.Fprintf(c.Stdout, "cannot be checked: %v\n", err)
		return exitError
	case err != nil:
		fmt.Fprintln(c.Stderr, err)
		return exitError
	case right:
		fmt.Fprintln(c.Stdout, "right")
		return exitOK
	}
	fmt.Fprintln(c.Stdout, "wrong")
	return exitError
}

// leaderboard prints the coding challenges' leaderboard from the database.
func (c *Env) leaderboard(args []string) int {
	fs := c.Flags()
	configFile := fs.String("config", "", "configuration `FILE` (for the database and the seasons)")
	db := dbFlag(fs)
	challenge := fs.String("challenge", "", "only this challenge's `ID`")
	season := fs.String("season", "", "only the challenges of this season `NAME` (challenges.seasons)")
	top := fs.Int("top", 0, "the first `N` members only (0: all)")
	asCSV := fs.Bool("csv", false, "print CSV: rank,platform,member_id,name,points,solved,attempts,last_correct")
	cfg, code, done := c.Setup(fs, args, configFile)
	if done {
		return code
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(c.Stderr, "docent leaderboard: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	case *challenge != "" && *season != "":
		fmt.Fprintln(c.Stderr, "docent leaderboard: give --challenge or --season, not both")
		return exitUsage
	case *top < 0:
		fmt.Fprintln(c.Stderr, "docent leaderboard: --top must be 0 (all) or more")
		return exitUsage
	}
	if err := useDB(cfg, *db); err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitUsage
	}
	set, err := challengeModule(cfg).Load(cfg.Files(), cfg.Positions())
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitUsage
	}
	title, keep := "all time", func(string) bool { return true }
	switch {
	case *season != "":
		ids, ok := set.Season(*season)
		if !ok {
			fmt.Fprintf(c.Stderr, "docent leaderboard: no season %q in %s (challenges.seasons: %s)\n", *season, cfg.File, strings.Join(set.Seasons(), ", "))
			return exitUsage
		}
		title, keep = "season "+*season, challenges.InSeason(ids)
	case *challenge != "":
		title, keep = "challenge "+*challenge, func(id string) bool { return id == *challenge }
		if ch, ok := set.Get(*challenge); ok {
			title = fmt.Sprintf("challenge %s (%s)", ch.ID, ch.Title)
		}
	}
	st, ok := c.openExisting("leaderboard", cfg)
	if !ok {
		return exitError
	}
	defer st.Close()
	subs, err := challenges.NewRecords(st).Submissions(context.Background(), "")
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitError
	}
	if *challenge != "" {
		if _, known := set.Get(*challenge); !known && !hasChallenge(subs, *challenge) {
			fmt.Fprintf(c.Stderr, "docent leaderboard: no challenge %q, in the challenges folder or the database\n", *challenge)
			return exitUsage
		}
	}
	board := challenges.Board(subs, keep)
	if *top > 0 && len(board) > *top {
		board = board[:*top]
	}
	if *asCSV {
		return c.writeBoardCSV(board)
	}
	return c.writeBoardTable(title, board)
}

func hasChallenge(subs []challenges.Submission, id string) bool {
	for _, s := range subs {
		if s.Challenge == id {
			return true
		}
	}
	return false
}

func (c *Env) writeBoardCSV(board []challenges.Entry) int {
	w := csv.NewWriter(c.Stdout)
	w.Write([]string{"rank", "platform", "member_id", "name", "points", "solved", "attempts", "last_correct"})
	for _, e := range board {
		w.Write([]string{strconv.Itoa(e.Rank), e.Platform, e.MemberID, csvSafe(e.Name), strconv.Itoa(e.Points),
			strconv.Itoa(e.Solved), strconv.Itoa(e.Attempts), e.Last.UTC().Format(time.RFC3339)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitError
	}
	return exitOK
}

// csvSafe keeps a member's name from being read as a formula by a
// spreadsheet that opens the file (CSV injection).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (c *Env) writeBoardTable(title string, board []challenges.Entry) int {
	fmt.Fprintf(c.Stdout, "Leaderboard, %s: %d %s\n\n", title, len(board), map[bool]string{true: "member", false: "members"}[len(board) == 1])
	if len(board) == 0 {
		fmt.Fprintln(c.Stdout, "Nobody has solved anything yet.")
		return exitOK
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "rank\tmember\tplatform\tpoints\tsolved\tattempts\tlast correct (UTC)")
	for _, e := range board {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%d\t%s\n", e.Rank, oneField(e.Name), e.Platform, e.Points, e.Solved, e.Attempts, e.Last.UTC().Format("2006-01-02 15:04"))
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitError
	}
	return exitOK
}

// oneField keeps a name on one line and out of the table's columns.
func oneField(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

// challengeModule is the config's challenges module.
func challengeModule(cfg *bot.Config) *challenges.Module {
	return cfg.Module("challenges").(*challenges.Module)
}
