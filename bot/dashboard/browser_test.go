package dashboard

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/docent-bot/docent/bot/analytics"
	"github.com/docent-bot/docent/bot/importer"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// screenshotsDir is where the browser test saves what it saw: the folder
// in $DOCENT_SCREENSHOTS (.ci/run sets docs/screenshots, which the README
// shows; `DOCENT_SCREENSHOTS=$PWD/docs/screenshots go test ./bot/dashboard
// -run TestBrowser` refreshes them), else the test's temporary folder, so
// that running the tests leaves the checkout as it was.
func screenshotsDir(t *testing.T) string {
	if dir := os.Getenv("DOCENT_SCREENSHOTS"); dir != "" {
		return dir
	}
	return t.TempDir()
}

// browser starts headless Chromium (Debian's chromium; .ci/run installs
// it), or skips the test when there is none.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("DOCENT_REQUIRE_BROWSER") != "" { // set by .ci/run: CI must not skip them
			t.Fatal("no chromium on PATH, and DOCENT_REQUIRE_BROWSER is set")
		}
		t.Skip("browser tests skipped: no chromium on PATH (install it: apt-get install chromium); .ci/run installs it")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1100, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium (%s): %v", path, err)
	}
	return ctx
}

// history imports a month of made-up activity (before today), so the
// dashboard's chart has a shape; it returns the members' messages per
// day, oldest first, ending yesterday.
func history(t *testing.T, st *store.Store, days int, now time.Time) []int {
	t.Helper()
	var recs []store.Record
	perDay := make([]int, days)
	id := uint64(0)
	today := time.Date(now.Year(), now.Month(), now.Day(), 12, 0, 0, 0, time.UTC)
	for d := 0; d < days; d++ {
		day := today.AddDate(0, 0, d-days)
		n := 2 + (d*7)%5 + d/6
		perDay[d] = n
		for i := range n {
			id++
			q := id
			member := chat.Member{ID: fmt.Sprintf("u%d", (d+i)%7), Name: fmt.Sprintf("member%d", (d+i)%7)}
			conv := chat.Conversation{Platform: "discord", Channel: fmt.Sprintf("help-%d", i%3)}
			at := day.Add(time.Duration(i) * 13 * time.Minute)
			recs = append(recs, store.Record{ID: q, Kind: store.KindMessage, Conversation: conv, Time: at, Author: member,
				Text: fmt.Sprintf("how do I install it on day %d?", d)})
			if (d+i)%4 == 3 {
				continue // some questions go unanswered
			}
			id++
			src, intent := chat.SourceIntent, "install"
			if i%3 == 2 {
				src, intent = chat.SourceKnowledge, ""
			}
			recs = append(recs, store.Record{ID: id, Kind: store.KindAnswer, Conversation: conv, Time: at.Add(2 * time.Second),
				Author: chat.Member{ID: "docent", Name: "Docent", Bot: true}, Text: "See the docs.", ReplyTo: q, Source: src, Intent: intent})
		}
	}
	if _, err := st.Import(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	return perDay
}

// The web chat and the dashboard in a real browser, against the real
// server on loopback.
func TestBrowser(t *testing.T) {
	ctx := browser(t)
	const token = "browser-test-token"
	s := startServer(t, Options{Token: token})
	now := time.Now().UTC()
	const days = 30
	past := history(t, s.bot.Store(), days-1, now)
	screenshots := screenshotsDir(t)
	if err := os.MkdirAll(screenshots, 0o755); err != nil {
		t.Fatal(err)
	}

	// Ask a question; the answer appears, rendered (a code block).
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/"),
		chromedp.WaitVisible(css(`body[data-ready="1"]`)),
		chromedp.SendKeys(css(`#text`), "how do I report a bug?"),
		chromedp.Click(css(`#send`)),
		chromedp.WaitVisible(css(`#log li.answer:not(.draft)`)),
	)
	if err != nil {
		t.Fatalf("ask in the web chat: %v", err)
	}
	answer := run(t, ctx, chromedp.Text(css(`#log li.answer .body`)))
	codeBlocks := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#log li.answer pre code").length`))
	if !strings.Contains(answer, "File it at https://example.org/issues") || codeBlocks != 1 {
		t.Errorf("answer shown %q with %d code blocks, want the report_bug response with one", answer, codeBlocks)
	}

	// 👎 on it: the vote is stored.
	err = chromedp.Do(ctx,
		chromedp.Click(css(`#log li.answer button.vote.down`)),
		chromedp.WaitVisible(css(`#log li.answer[data-vote="-1"]`)),
	)
	if err != nil {
		t.Fatalf("vote 👎: %v", err)
	}
	answerID := run(t, ctx, chromedp.Evaluate[string](`document.querySelector("#log li.answer").dataset.id`))
	stored := s.waitAnswers(t, 1)
	var voted bool
	for _, a := range stored {
		if a.PlatformID != answerID {
			continue
		}
		votes, err := s.bot.Store().Feedback(context.Background(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		voted = len(votes) == 1 && votes[0].Vote == chat.VoteDown
	}
	if !voted {
		t.Errorf("no 👎 stored on answer %s", answerID)
	}

	// An answer holding <script> and an onerror handler shows them as
	// text; nothing runs.
	err = chromedp.Do(ctx,
		chromedp.SendKeys(css(`#text`), "show me the html trick"),
		chromedp.Click(css(`#send`)),
		chromedp.WaitVisible(css(`#log li.answer[data-source="intent"]:nth-of-type(4)`)),
		chromedp.Sleep(300*time.Millisecond), // a script or an image error would have run by now
	)
	if err != nil {
		t.Fatalf("html in an answer: %v", err)
	}
	trick := run(t, ctx, chromedp.Text(css(`#log li.answer:nth-of-type(4) .body`)))
	pwned := run(t, ctx, chromedp.Evaluate[string](`typeof window.__pwned`))
	imgs := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#log img, #log script").length`))
	if !strings.Contains(trick, "<script>window.__pwned = 1</script>") || !strings.Contains(trick, `<img src=x onerror="window.__pwned = 2">`) {
		t.Errorf("answer shown as %q, want the markup as text", trick)
	}
	if pwned != "undefined" || imgs != 0 {
		t.Errorf("typeof window.__pwned = %s, %d img/script elements in the chat: markup from an answer ran", pwned, imgs)
	}
	savePNG(t, screenshots, "chat.png", run(t, ctx, chromedp.FullScreenshot(100)))

	// The dashboard: a login, then the activity chart with one point a day.
	err = chromedp.Do(ctx,
		chromedp.Navigate(s.ops+"/admin/"),
		chromedp.WaitVisible(css(`#secret`)),
		chromedp.SendKeys(css(`#secret`), token),
		chromedp.Click(css(`#login`)),
		chromedp.WaitVisible(css(`#chart-activity`)),
	)
	if err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	points := run(t, ctx, chromedp.AttributesAll(chromedp.CSSAll(`#chart-activity circle.pt.s0`)))
	messages := run(t, ctx, chromedp.Text(css(`#messages`)))
	if len(points) != days {
		t.Fatalf("activity chart has %d message points, want %d (one a day)", len(points), days)
	}
	want := append(past, 2) // today: the two questions asked above
	total := 0
	for i, p := range points {
		if got, _ := strconv.Atoi(p["data-value"]); got != want[i] {
			t.Errorf("day %d of the chart: %s messages, want %d", i, p["data-value"], want[i])
		}
		total += want[i]
	}
	if messages != strconv.Itoa(total) {
		t.Errorf("messages card = %s, want %d", messages, total)
	}
	savePNG(t, screenshots, "dashboard.png", run(t, ctx, chromedp.FullScreenshot(100)))
}

func css(s string) chromedp.CSS { return chromedp.CSS(s) }

// run runs one action that returns a value, failing the test on an error.
func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

func savePNG(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatalf("save screenshot: %v", err)
	}
	t.Logf("screenshot saved to %s (%d bytes)", path, len(data))
}

// The overview of an imported history in a real browser: from today's
// window, "all history" leads to the nine years, charted a point a month
// with the years named under the axis.
//
// DOCENT_HISTORY names a JSONL history to import instead of the made-up
// one (the DuraSpace IRC log), and DOCENT_OVERVIEW_PNG where to save the
// screenshot of its overview:
//
//	DOCENT_HISTORY=../shared/datasets/chat/duraspace-irc.jsonl.gz DOCENT_OVERVIEW_PNG=/tmp/dash-duraspace.png \
//	  go test ./bot/dashboard -run TestBrowserOverviewOfImportedYears
func TestBrowserOverviewOfImportedYears(t *testing.T) {
	ctx := browser(t)
	s := startServer(t, Options{})
	perMonth := map[string]int{}
	if path := os.Getenv("DOCENT_HISTORY"); path != "" {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := importer.ImportJSONL(context.Background(), s.bot.Store(), path, fi.Size(), f, importer.Options{Platform: "irc"}); err != nil {
			t.Fatal(err)
		}
	} else {
		perMonth = importYears(t, s.bot.Store())
	}
	first, last, ok, err := analytics.Span(context.Background(), s.bot.Store())
	if err != nil || !ok {
		t.Fatalf("the imported history's span: %v, %v", ok, err)
	}

	err = chromedp.Do(ctx,
		chromedp.Navigate(s.ops+"/admin/"),
		chromedp.WaitVisible(css(`#chart-activity`)),
		chromedp.Click(chromedp.Search(`//a[text()="all history"]`)),
		chromedp.WaitVisible(css(`form.range strong`)),
	)
	if err != nil {
		t.Fatalf("all history: %v", err)
	}
	heading := run(t, ctx, chromedp.Text(css(`#window`)))
	here := run(t, ctx, chromedp.Text(css(`form.range strong`)))
	from := run(t, ctx, chromedp.Value(css(`#from`)))
	ticks := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#chart-activity text.tick")].map(e => e.textContent)`))
	points := run(t, ctx, chromedp.AttributesAll(chromedp.CSSAll(`#chart-activity circle.pt.s0`)))
	if want := first.Format(time.DateOnly) + " to " + last.Format(time.DateOnly) + " (UTC)"; !strings.HasPrefix(heading, want) || here != "all history" || from != first.Format(time.DateOnly) {
		t.Errorf("the page shows %q (%q chosen, from %q), want %q…, all history", heading, here, from, want)
	}
	var years []string
	for y := first.Year(); y <= last.Year(); y++ {
		years = append(years, strconv.Itoa(y))
	}
	if strings.Join(ticks, " ") != strings.Join(years, " ") {
		t.Errorf("the chart's axis names %q, want the years %q", ticks, years)
	}
	months := (last.Year()-first.Year())*12 + int(last.Month()-first.Month()) + 1
	if len(points) != months {
		t.Fatalf("the chart has %d points, want %d (a month each)", len(points), months)
	}
	if len(perMonth) > 0 {
		for i, p := range points {
			month := time.Date(first.Year(), first.Month()+time.Month(i), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
			if got, _ := strconv.Atoi(p["data-value"]); got != perMonth[month] {
				t.Errorf("%s on the chart: %s messages, want %d", month, p["data-value"], perMonth[month])
			}
		}
	}
	png := run(t, ctx, chromedp.FullScreenshot(100))
	if path := os.Getenv("DOCENT_OVERVIEW_PNG"); path != "" {
		savePNG(t, filepath.Dir(path), filepath.Base(path), png)
	} else {
		savePNG(t, screenshotsDir(t), "dashboard-years.png", png)
	}
}
