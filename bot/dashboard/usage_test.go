package dashboard

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/budgets"
)

// The usage page (the budgets module's, through module.Pager) shows the
// LLM's use per day as a chart, today's by member and channel, and the
// budget, with the layout's navigation around it.
func TestUsagePage(t *testing.T) {
	s := startServer(t, Options{})
	mod, ok := s.bot.Module("budgets").(*budgets.Module)
	if !ok {
		t.Fatalf("no budgets module: %T", s.bot.Module("budgets"))
	}
	ctx := context.Background()
	today := budgets.Day(time.Now())
	rec := mod.Records()
	if err := rec.Add(ctx, today, budgets.Usage{Requests: 2, Tokens: 300}, "all", "member:web:v1", "channel:web:v1"); err != nil {
		t.Fatal(err)
	}
	if err := rec.Add(ctx, today, budgets.Usage{Requests: 1, Tokens: 40}, "all", "member:web:v2"); err != nil {
		t.Fatal(err)
	}
	if err := rec.Add(ctx, budgets.Day(time.Now().AddDate(0, 0, -1)), budgets.Usage{Requests: 1, Tokens: 5}, "all"); err != nil {
		t.Fatal(err)
	}
	code, body := get(t, http.DefaultClient, s.ops+"/admin/usage?days=3")
	if code != http.StatusOK {
		t.Fatalf("GET /admin/usage: %d\n%s", code, body)
	}
	for _, want := range []string{
		`<a href="/admin/usage" class="here">LLM usage</a>`,
		"The LLM is off (llm.enabled is false): nothing is spent.",
		`id="chart-tokens"`,
		"<p>3 answers, 340 tokens.</p>",
		"<tr><td>channel:web:v1</td><td>2</td><td>300</td></tr><tr><td>member:web:v1</td><td>2</td><td>300</td></tr><tr><td>member:web:v2</td><td>1</td><td>40</td></tr>",
		"<tr><td>tokens for everyone per day</td><td>0</td></tr>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the usage page lacks %q:\n%s", want, body)
		}
	}
	// Three days (?days=3), two series: a point for each, yesterday's too.
	for _, want := range []string{`data-series="tokens" data-value="5"`, `data-series="tokens" data-value="340"`, `data-series="answers" data-value="3"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the chart lacks %q", want)
		}
	}
	if n := strings.Count(body, `<circle class="pt `); n != 6 {
		t.Errorf("%d points in the chart, want 6 (?days=3, two series)", n)
	}
}
