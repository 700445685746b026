package challenges

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/config"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
)

// testSalt and cheap parameters keep the tests fast; Load accepts them as
// they are the minimum it allows.
var testSalt = []byte("0123456789abcdef")

func hashOf(t testing.TB, answer, tolerance string) string {
	t.Helper()
	var tol *big.Rat
	if tolerance != "" {
		var err error
		if tol, err = ParseTolerance(tolerance); err != nil {
			t.Fatal(err)
		}
	}
	canon, err := Canonical(answer, tol)
	if err != nil {
		t.Fatal(err)
	}
	return Hash(canon, testSalt, MinParams())
}

func twoSum(t testing.TB) string {
	return fmt.Sprintf(`id: two-sum
title: Two sum
difficulty: easy
tags: [arrays, hashing]
points: 100
start: 2026-03-01T18:00:00Z
end: 2026-03-08T18:00:00+01:00
statement: |
  Find the two numbers that add up to the target.
answers:
  - %s
  - "%s"
`, hashOf(t, "Seven and Nine", ""), hashOf(t, "9 and 7", ""))
}

func TestLoad(t *testing.T) {
	parts := fmt.Sprintf(`id: circle
title: Circles
difficulty: hard
start: 2026-03-01
end: 2026-04-01
statement: Measure circles.
announce: false
parts:
  - id: a
    question: The area of the unit circle?
    points: 30
    tolerance: 0.01
    answers: ["%s"]
  - id: b
    answers: ["%s"]
`, Hash("314", []byte("another-salt-123"), MinParams()), Hash("pi", []byte("another-salt-123"), MinParams()))
	set, err := Load([]File{{"ch/two-sum.yaml", []byte(twoSum(t))}, {"ch/circle.yaml", []byte(parts)}})
	if err != nil {
		t.Fatal(err)
	}
	all := set.All()
	if len(all) != 2 || all[0].ID != "circle" || all[1].ID != "two-sum" {
		t.Fatalf("loaded %v, want circle then two-sum (same start, by ID)", all)
	}
	ts, _ := set.Get("two-sum")
	if ts.Title != "Two sum" || ts.Points() != 100 || ts.Multipart() || !ts.Announce || ts.Where != "ch/two-sum.yaml:1" ||
		!ts.End.Equal(time.Date(2026, 3, 8, 17, 0, 0, 0, time.UTC)) || len(ts.Parts[0].keys) != 2 {
		t.Errorf("two-sum loaded as %+v", ts)
	}
	c, _ := set.Get("circle")
	if c.Points() != 130 || !c.Multipart() || c.Announce || c.Parts[0].Tolerance == nil || c.Parts[1].Tolerance != nil ||
		!c.Start.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("circle loaded as %+v", c)
	}
	for at, want := range map[time.Time]State{
		c.Start.Add(-time.Nanosecond): Upcoming, c.Start: Open, c.End.Add(-time.Nanosecond): Open, c.End: Closed,
	} {
		if got := c.StateAt(at); got != want {
			t.Errorf("StateAt(%s) = %v, want %v", at, got, want)
		}
	}

	v := NewVerifier(2)
	ctx := context.Background()
	for _, tc := range []struct {
		ch     *Challenge
		part   string
		answer string
		right  bool
	}{
		{ts, "", "seven and nine", true},
		{ts, "", "  `9   AND 7` ", true},
		{ts, "", "nine and seven", false},
		{c, "a", "3.14159", true},
		{c, "a", "3.1449", true},
		{c, "a", "3.145", false}, // the next cell: the documented rule
		{c, "a", "3.135", true},
		{c, "b", "PI", true},
	} {
		p, _ := tc.ch.Part(tc.part)
		got, err := v.Check(ctx, tc.ch, p, tc.answer)
		if err != nil || got != tc.right {
			t.Errorf("%s %s %q: %v, %v; want %v", tc.ch.ID, tc.part, tc.answer, got, err, tc.right)
		}
	}
	pa, _ := c.Part("a")
	if _, err := v.Check(ctx, c, pa, "about three"); !errors.Is(err, ErrBadAnswer) {
		t.Errorf("a word for a number: %v", err)
	}

	errs := set.CheckSeasons(map[string][]string{"spring": {"two-sum", "two-summ"}, "circle": {"circle"}},
		config.Positions{"challenges.seasons.spring[1]": {File: "docent.yaml", Line: 9, Column: 20}}, "challenges.seasons")
	text := errs.Error()
	for _, want := range []string{`season "circle" has the name of a challenge`,
		`docent.yaml:9:20: challenges.seasons.spring[1]: no challenge "two-summ" in the challenges folder; did you mean "two-sum"?`} {
		if !strings.Contains(text, want) {
			t.Errorf("season errors lack %q:\n%s", want, text)
		}
	}
	if errs := set.CheckSeasons(map[string][]string{"spring": {"two-sum", "circle"}}, nil, "challenges.seasons"); len(errs) != 0 {
		t.Fatal(errs)
	}
	if ids, ok := set.Season("spring"); !ok || len(ids) != 2 {
		t.Errorf("Season(spring) = %v, %v", ids, ok)
	}
}

// Every problem is reported at once, each with file, line, column and field.
func TestLoadErrors(t *testing.T) {
	good := hashOf(t, "x", "")
	other := Hash("y", []byte("a-different-salt"), MinParams())
	cheap := Hash("x", testSalt, Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32})
	bad := fmt.Sprintf(`id: Two Sum
title: ""
difficulty: trivial
tags: ["", ok]
points: 0
start: next tuesday
end: 2020-01-01T00:00:00Z
statment: typo
answers:
  - nope
  - %s
  - %s
  - %s
`, good, other, cheap)
	_, err := Load([]File{{"bad.yaml", []byte(bad)}, {"empty.yaml", nil}, {"list.yaml", []byte("- a\n- b\n")}})
	var errs config.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Load: %v, want config.Errors", err)
	}
	text := err.Error()
	for _, want := range []string{
		`bad.yaml:1:5: id: "Two Sum": use 1 to 64 lowercase letters`,
		`bad.yaml:2:8: title: is required`,
		`bad.yaml:3:13: difficulty: "trivial" is not one of easy, medium, hard`,
		`bad.yaml:4:8: tags[0]: a tag is one word`,
		`bad.yaml:5:9: points: must be 1 to 1000000, got 0`,
		`bad.yaml:6:8: start: "next tuesday" is not a time like 2026-03-01T18:00:00Z`,
		`bad.yaml:8:1: unknown field "statment"; did you mean "statement"?`,
		`bad.yaml:10:5: answers[0]: is not an argon2id hash like $argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>: make it with ` + "`docent challenge hash`",
		`bad.yaml:12:5: answers[2]: has another salt or other parameters than answers[1]`,
		`bad.yaml:13:5: answers[3]: is too cheap to slow down guessing`,
		`statement: is required`,
		`empty.yaml: the file is empty`,
		`list.yaml:1:1: expected a section (mapping), got a list`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("errors lack %q; got:\n%s", want, text)
		}
	}

	// An empty time is no time (found by FuzzLoad).
	_, err = Load([]File{{"e.yaml", []byte(strings.Replace(twoSum(t), "end: 2026-03-08T18:00:00+01:00", "end:", 1))}})
	if err == nil || !strings.Contains(err.Error(), "e.yaml:7:1: end: is required") {
		t.Errorf("an empty end: %v", err)
	}

	// Across files: the same ID, the same salt; parts and answers mixed.
	one := twoSum(t)
	again := strings.Replace(twoSum(t), "Two sum", "Two sum again", 1)
	sameSalt := strings.Replace(twoSum(t), "id: two-sum", "id: three-sum", 1)
	mixed := fmt.Sprintf("id: mixed\ntitle: M\ndifficulty: easy\nstart: 2026-01-01\nend: 2026-01-02\nstatement: s\npoints: 5\nanswers: [%q]\nparts:\n  - id: a\n    answers: []\n  - id: a\n    tolerance: -1\n    answers: [%q]\n", good, good)
	_, err = Load([]File{{"a.yaml", []byte(one)}, {"b.yaml", []byte(again)}, {"c.yaml", []byte(sameSalt)}, {"d.yaml", []byte(mixed)}})
	text = fmt.Sprint(err)
	for _, want := range []string{
		`b.yaml:1:5: id: challenge "two-sum" is already defined at a.yaml:1`,
		`c.yaml:1:5: answers: uses the same salt as challenge "two-sum"`,
		`d.yaml:9:1: parts: a challenge has either answers (and tolerance) or parts`,
		`d.yaml:7:9: points: with parts, points go on each part`,
		`d.yaml:11:14: parts[0].answers: needs at least one hash`,
		`d.yaml:12:9: parts[1].id: part "a" is defined twice`,
		`d.yaml:13:16: parts[1].tolerance: -1 must be more than 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("errors lack %q; got:\n%s", want, text)
		}
	}
}

func TestNormalizeText(t *testing.T) {
	for in, want := range map[string]string{
		"42":                   "42",
		"  Hello   World \n":   "hello world",
		"`Two Sum`":            "two sum",
		"```\nO(n log n)\n```": "o(n log n)",
		`"quoted"`:             "quoted",
		"“Curly”":              "curly",
		"４２":                   "42",
		"ﬁne":                  "fine",
		"a\u00a0b\tc":          "a b c",
		"ÉCOLE":                "école",
		"\xffx":                "\ufffdx",
		"'a' and 'b'":          "a' and 'b",
		"42.":                  "42.",
	} {
		got, err := NormalizeText(in)
		if err != nil || got != want {
			t.Errorf("NormalizeText(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "  ", "``", strings.Repeat("a", MaxAnswerBytes+1)} {
		if _, err := NormalizeText(in); !errors.Is(err, ErrBadAnswer) {
			t.Errorf("NormalizeText(%q): %v, want ErrBadAnswer", in, err)
		}
	}
}

func TestGridPoint(t *testing.T) {
	for _, tc := range []struct{ x, tol, want string }{
		{"3.14159", "0.01", "314"},
		{"3.145", "0.01", "315"}, // halves round away from zero
		{"-3.145", "0.01", "-315"},
		{"-0.004", "0.01", "0"},
		{"1 000 000", "1", "1000000"},
		{"1_000.4", "1", "1000"},
		{"6.02e23", "1e21", "602"},
		{".5", "1", "1"},
		{"-.5", "1", "-1"},
		{"5.", "1", "5"},
		{"+2.5e-1", "0.5", "1"},
		{"`233168`", "1", "233168"},
		{"２３３１６８", "1", "233168"},
		{"0.1", "0.1", "1"}, // exact: no binary floating point
		{"1e400", "1e399", "10"},
	} {
		x, err := ParseNumber(tc.x)
		if err != nil {
			t.Errorf("ParseNumber(%q): %v", tc.x, err)
			continue
		}
		tol, err := ParseTolerance(tc.tol)
		if err != nil {
			t.Fatal(err)
		}
		if got := GridPoint(x, tol); got != tc.want {
			t.Errorf("GridPoint(%s, %s) = %s, want %s", tc.x, tc.tol, got, tc.want)
		}
	}
	for _, in := range []string{"", "abc", "1,5", "1.2.3", "1e", "1e401", "--1", "0x10", "1/2", "NaN", "Inf", strings.Repeat("9", 401), "."} {
		if _, err := ParseNumber(in); !errors.Is(err, ErrBadAnswer) {
			t.Errorf("ParseNumber(%q): %v, want ErrBadAnswer", in, err)
		}
	}
	x, _ := ParseNumber("3.145")
	tol, _ := ParseTolerance("0.01")
	if off := GridOffset(x, tol); off != 0.5 {
		t.Errorf("GridOffset(3.145, 0.01) = %v, want 0.5 (on an edge)", off)
	}
}

func TestHashFormat(t *testing.T) {
	h := Hash("42", testSalt, DefaultParams())
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=4$MDEyMzQ1Njc4OWFiY2RlZg$") {
		t.Errorf("hash %s", h)
	}
	parsed, err := parseHash(h)
	if err != nil || parsed.params != DefaultParams() || string(parsed.salt) != string(testSalt) || len(parsed.key) != 32 {
		t.Errorf("parseHash: %+v, %v", parsed, err)
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=65536,t=3,p=4$MDEyMzQ1Njc4OWFiY2RlZg$aGFzaA",
		"$argon2id$v=16$m=65536,t=3,p=4$MDEyMzQ1Njc4OWFiY2RlZg$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=65536,t=3$MDEyMzQ1Njc4OWFiY2RlZg$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=65536,t=3,p=4,x=1$MDEyMzQ1Njc4OWFiY2RlZg$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=9999999999,t=3,p=4$MDEyMzQ1Njc4OWFiY2RlZg$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=65536,t=3,p=300$MDEyMzQ1Njc4OWFiY2RlZg$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=65536,t=3,p=4$MDEyMzQ1Njc4OWFiY2RlZg$aGFzaA",
		"$argon2id$v=19$m=65536,t=3,p=4$MDEyMzQ1Njc4OWFiY2RlZg$!!",
	} {
		if _, err := parseHash(bad); err == nil {
			t.Errorf("parseHash(%q) accepted", bad)
		}
	}
	if _, err := ParseSalt("MDEyMzQ1Njc4OWFiY2RlZg"); err != nil {
		t.Error(err)
	}
	if _, err := ParseSalt("short"); err == nil {
		t.Error("a 3-byte salt was accepted")
	}
}

func TestVerifierWaitsForASlot(t *testing.T) {
	set, err := Load([]File{{"t.yaml", []byte(twoSum(t))}})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := set.Get("two-sum")
	v := NewVerifier(1)
	v.slots <- struct{}{} // the only slot is taken
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.Check(ctx, c, c.Parts[0], "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("Check with no free slot and a done context: %v", err)
	}
}

func TestBoard(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	sub := func(member, name, challenge, part string, minute int, correct bool, points int) Submission {
		return Submission{Platform: "discord", Member: memberOf(member, name), Challenge: challenge, Part: part,
			Time: at.Add(time.Duration(minute) * time.Minute), Correct: correct, Points: points}
	}
	subs := []Submission{
		sub("1", "alice", "two-sum", "", 5, false, 0),
		sub("1", "alice", "two-sum", "", 9, true, 100),
		sub("2", "bo", "two-sum", "", 3, true, 100), // same points, earlier: bo first
		sub("2", "bo", "circle", "a", 20, true, 30),
		sub("3", "", "circle", "b", 1, true, 100),
		sub("4", "dee", "circle", "a", 2, false, 0), // never right: not ranked
	}
	b := Board(subs, nil)
	got := []string{}
	for _, e := range b {
		got = append(got, fmt.Sprintf("%d %s %d/%d", e.Rank, e.Name, e.Points, e.Solved))
	}
	if want := "1 bo 130/2|2 3 100/1|3 alice 100/1"; strings.Join(got, "|") != want {
		t.Errorf("all-time board %q, want %q", strings.Join(got, "|"), want)
	}
	b = Board(subs, InSeason([]string{"two-sum"}))
	if len(b) != 2 || b[0].Name != "bo" || b[1].Name != "alice" || b[1].Attempts != 2 || !b[1].Last.Equal(at.Add(9*time.Minute)) {
		t.Errorf("two-sum board %+v: want bo (earlier) before alice", b)
	}
}

func TestConfigProblems(t *testing.T) {
	c := DefaultConfig()
	c.Attempts, c.Cooldown = -1, 48*time.Hour
	c.Announce = map[string]string{"discord": "general", "slack": "C0123ABCD", "irc": "#x", "console": "local"}
	c.Seasons = map[string][]string{"Spring 2026": {"a"}, "empty": nil, "dup": {"a", "a"}}
	ck := module.NewCheck("challenges", nil, nil, nil)
	c.validate(ck)
	text := ck.Errors().Error()
	for _, want := range []string{"challenges.attempts: must be 0 (no limit) to 1000, got -1", "challenges.cooldown: must be 0 to 24h",
		`challenges.announce.discord: "general" is not a numeric channel ID`, `challenges.announce: unknown platform "irc"`,
		`challenges.seasons: season name "Spring 2026"`, "challenges.seasons.empty: lists no challenges", `challenges.seasons.dup[1]: lists "a" twice`} {
		if !strings.Contains(text, want) {
			t.Errorf("problems lack %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "announce.slack") || strings.Contains(text, "announce.console") {
		t.Errorf("good channels reported:\n%s", text)
	}
}

func TestHuman(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "a moment", 45 * time.Second: "45s", 90 * time.Second: "1m 30s", 2*time.Hour + 5*time.Minute: "2h 5m",
		3*24*time.Hour + 4*time.Hour + 59*time.Minute: "3d 4h", 48 * time.Hour: "2d", -time.Hour: "1h", 800 * 24 * time.Hour: "2 years",
	} {
		if got := Human(d); got != want {
			t.Errorf("Human(%s) = %q, want %q", d, got, want)
		}
	}
}

// BenchmarkHash measures what one check of a submission costs with the
// default parameters (and so one guess of a brute-force attack).
func BenchmarkHash(b *testing.B) {
	for _, p := range []struct {
		name string
		p    Params
	}{{"default", DefaultParams()}, {"minimum", MinParams()}} {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				Hash("233168", testSalt, p.p)
			}
		})
	}
}

func memberOf(id, name string) chat.Member { return chat.Member{ID: id, Name: name} }
