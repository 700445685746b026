package challenges

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

	"github.com/docent-bot/docent/bot/module"
)

// CommandLine are the challenges' commands of the command line: hash an
// expected answer for a challenge file, try an answer, print the
// leaderboard.
func (mod *Module) CommandLine() []module.CLICommand {
	return []module.CLICommand{
		{Name: "challenge hash", Group: "Challenges", Args: "[--salt S] [--tolerance T] ANSWER...", Summary: "hash a coding challenge's expected answers for its file (argon2id)", Run: challengeHash},
		{Name: "challenge try", Group: "Challenges", Args: "[--config FILE] ID [PART] ANSWER", Summary: "check an answer against a configured challenge, storing nothing: exit 0 if right, 1 if wrong", Run: mod.tryAnswer},
		{Name: "leaderboard", Group: "Challenges", Args: "[--config FILE] [--db FILE] [--challenge ID | --season NAME] [--top N] [--csv]", Summary: "the coding challenges' leaderboard: all time, one challenge or a season, as a table or CSV", Run: mod.printLeaderboard},
	}
}

// challengeHash prints the hashes of a challenge's expected answers, for
// its file.
func challengeHash(cl module.CommandLine, args []string) int {
	fs := cl.Flags()
	saltFlag := fs.String("salt", "", "the challenge's salt `S`, as in its other hashes (base64 without padding); default: a new random one")
	tolerance := fs.String("tolerance", "", "the part's tolerance `T` (0.01): hash a number's grid point instead of its text")
	if code, done := cl.Parse(fs, args); done {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(cl.Stderr(), "docent challenge hash: give the expected ANSWER (several: one hash each)")
		return module.ExitUsage
	}
	salt := NewSalt()
	if *saltFlag != "" {
		var err error
		if salt, err = ParseSalt(*saltFlag); err != nil {
			fmt.Fprintf(cl.Stderr(), "docent challenge hash: --salt: %v\n", err)
			return module.ExitUsage
		}
	}
	var tol *big.Rat
	if *tolerance != "" {
		var err error
		if tol, err = ParseTolerance(*tolerance); err != nil {
			fmt.Fprintf(cl.Stderr(), "docent challenge hash: --tolerance: %v\n", err)
			return module.ExitUsage
		}
	}
	params := DefaultParams()
	for _, answer := range fs.Args() {
		canon, err := Canonical(answer, tol)
		if err != nil {
			fmt.Fprintf(cl.Stderr(), "docent challenge hash: %q: %v\n", answer, err)
			return module.ExitUsage
		}
		if tol != nil {
			x, _ := ParseNumber(answer)
			k, _ := new(big.Rat).SetString(canon)
			half := new(big.Rat).Quo(tol, big.NewRat(2, 1))
			centre := new(big.Rat).Mul(k, tol)
			lo, hi := new(big.Rat).Sub(centre, half), new(big.Rat).Add(centre, half)
			fmt.Fprintf(cl.Stderr(), "%s: grid point %s; answers from %s to %s are right\n", answer, canon, ratText(lo), ratText(hi))
			if off := GridOffset(x, tol); off > 0.3 {
				fmt.Fprintf(cl.Stderr(), "warning: %s lies near the edge of that range (%.0f%% of a step from its centre): an answer a little to the other side is wrong. A tolerance whose grid centres it works better.\n", answer, 100*off)
			}
		} else if canon != answer {
			fmt.Fprintf(cl.Stderr(), "%q is compared as %q\n", answer, canon)
		}
		start := time.Now()
		h := Hash(canon, salt, params)
		took := time.Since(start)
		fmt.Fprintln(cl.Stdout(), h)
		if answer == fs.Arg(0) {
			fmt.Fprintf(cl.Stderr(), "argon2id %s (%d MiB) took %s here; a submission costs the same to check, a guess the same to try.\n",
				params, params.Memory>>10, took.Round(time.Millisecond))
		}
	}
	if *saltFlag == "" {
		s := base64.RawStdEncoding.EncodeToString(salt)
		fmt.Fprintf(cl.Stderr(), "New salt %s: hash this challenge's other answers with --salt %s; never reuse it for another challenge.\n", s, s)
	}
	return module.ExitOK
}

func ratText(r *big.Rat) string {
	return new(big.Float).SetPrec(128).SetRat(r).Text('g', 15)
}

// challengeTry checks an answer against a configured challenge, as a
// member's submission would be checked, without storing anything.
func (mod *Module) tryAnswer(cl module.CommandLine, args []string) int {
	fs := cl.Flags()
	cfg, code, done := cl.Setup(fs, args, false)
	if done {
		return code
	}
	configured := cfg.Module(mod.Name()).(*Module)
	set, err := configured.Load(cfg.Files(), cfg.Positions())
	if err != nil {
		fmt.Fprintln(cl.Stderr(), err)
		return module.ExitUsage
	}
	if fs.NArg() < 2 {
		fmt.Fprintln(cl.Stderr(), "docent challenge try: give the challenge's ID, the part (if it has parts) and the ANSWER")
		return module.ExitUsage
	}
	ch, ok := set.Get(fs.Arg(0))
	if !ok {
		fmt.Fprintf(cl.Stderr(), "docent challenge try: no challenge %q in %s\n", fs.Arg(0), configured.cfg.Folder)
		return module.ExitUsage
	}
	rest := fs.Args()[1:]
	part := ch.Parts[0]
	if ch.Multipart() {
		if part, ok = ch.Part(rest[0]); !ok || len(rest) < 2 {
			fmt.Fprintf(cl.Stderr(), "docent challenge try: %s has parts %s: give the part, then the answer\n", ch.ID, strings.Join(ch.PartIDs(), ", "))
			return module.ExitUsage
		}
		rest = rest[1:]
	}
	right, err := NewVerifier(1).Check(context.Background(), ch, part, strings.Join(rest, " "))
	switch {
	case errors.Is(err, ErrBadAnswer):
		fmt.Fprintf(cl.Stdout(), "cannot be checked: %v\n", err)
		return module.ExitError
	case err != nil:
		fmt.Fprintln(cl.Stderr(), err)
		return module.ExitError
	case right:
		fmt.Fprintln(cl.Stdout(), "right")
		return module.ExitOK
	}
	fmt.Fprintln(cl.Stdout(), "wrong")
	return module.ExitError
}

// leaderboard prints the coding challenges' leaderboard from the database.
func (mod *Module) printLeaderboard(cl module.CommandLine, args []string) int {
	fs := cl.Flags()
	challenge := fs.String("challenge", "", "only this challenge's `ID`")
	season := fs.String("season", "", "only the challenges of this season `NAME` (seasons)")
	top := fs.Int("top", 0, "the first `N` members only (0: all)")
	asCSV := fs.Bool("csv", false, "print CSV: rank,platform,member_id,name,points,solved,attempts,last_correct")
	cfg, code, done := cl.Setup(fs, args, true)
	if done {
		return code
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(cl.Stderr(), "docent leaderboard: unexpected argument %q\n", fs.Arg(0))
		return module.ExitUsage
	case *challenge != "" && *season != "":
		fmt.Fprintln(cl.Stderr(), "docent leaderboard: give --challenge or --season, not both")
		return module.ExitUsage
	case *top < 0:
		fmt.Fprintln(cl.Stderr(), "docent leaderboard: --top must be 0 (all) or more")
		return module.ExitUsage
	}
	set, err := cfg.Module(mod.Name()).(*Module).Load(cfg.Files(), cfg.Positions())
	if err != nil {
		fmt.Fprintln(cl.Stderr(), err)
		return module.ExitUsage
	}
	title, keep := "all time", func(string) bool { return true }
	switch {
	case *season != "":
		ids, ok := set.Season(*season)
		if !ok {
			fmt.Fprintf(cl.Stderr(), "docent leaderboard: no season %q in %s (seasons: %s)\n", *season, cfg.File(), strings.Join(set.Seasons(), ", "))
			return module.ExitUsage
		}
		title, keep = "season "+*season, InSeason(ids)
	case *challenge != "":
		title, keep = "challenge "+*challenge, func(id string) bool { return id == *challenge }
		if ch, ok := set.Get(*challenge); ok {
			title = fmt.Sprintf("challenge %s (%s)", ch.ID, ch.Title)
		}
	}
	st, err := cfg.OpenStore()
	if err != nil {
		fmt.Fprintf(cl.Stderr(), "docent leaderboard: %v\n", err)
		return module.ExitError
	}
	defer st.Close()
	subs, err := NewRecords(st).Submissions(context.Background(), "")
	if err != nil {
		fmt.Fprintln(cl.Stderr(), err)
		return module.ExitError
	}
	if *challenge != "" {
		if _, known := set.Get(*challenge); !known && !hasChallenge(subs, *challenge) {
			fmt.Fprintf(cl.Stderr(), "docent leaderboard: no challenge %q, in the challenges folder or the database\n", *challenge)
			return module.ExitUsage
		}
	}
	board := Board(subs, keep)
	if *top > 0 && len(board) > *top {
		board = board[:*top]
	}
	if *asCSV {
		return writeBoardCSV(cl, board)
	}
	return writeBoardTable(cl, title, board)
}

func hasChallenge(subs []Submission, id string) bool {
	for _, s := range subs {
		if s.Challenge == id {
			return true
		}
	}
	return false
}

func writeBoardCSV(cl module.CommandLine, board []Entry) int {
	w := csv.NewWriter(cl.Stdout())
	w.Write([]string{"rank", "platform", "member_id", "name", "points", "solved", "attempts", "last_correct"})
	for _, e := range board {
		w.Write([]string{strconv.Itoa(e.Rank), e.Platform, e.MemberID, csvSafe(e.Name), strconv.Itoa(e.Points),
			strconv.Itoa(e.Solved), strconv.Itoa(e.Attempts), e.Last.UTC().Format(time.RFC3339)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		fmt.Fprintln(cl.Stderr(), err)
		return module.ExitError
	}
	return module.ExitOK
}

// csvSafe keeps a member's name from being read as a formula by a
// spreadsheet that opens the file (CSV injection).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func writeBoardTable(cl module.CommandLine, title string, board []Entry) int {
	fmt.Fprintf(cl.Stdout(), "Leaderboard, %s: %d %s\n\n", title, len(board), map[bool]string{true: "member", false: "members"}[len(board) == 1])
	if len(board) == 0 {
		fmt.Fprintln(cl.Stdout(), "Nobody has solved anything yet.")
		return module.ExitOK
	}
	tw := tabwriter.NewWriter(cl.Stdout(), 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "rank\tmember\tplatform\tpoints\tsolved\tattempts\tlast correct (UTC)")
	for _, e := range board {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%d\t%s\n", e.Rank, oneField(e.Name), e.Platform, e.Points, e.Solved, e.Attempts, e.Last.UTC().Format("2006-01-02 15:04"))
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintln(cl.Stderr(), err)
		return module.ExitError
	}
	return module.ExitOK
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
