package dashboard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/bot/module"
)

// pager is a module with the pages a test gives it.
type pager []module.Page

func (pager) Name() string           { return "pager" }
func (p pager) Pages() []module.Page { return p }

func dashboardWithPages(t *testing.T, pages ...module.Page) (*Dashboard, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "intents"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "intents", "test.yaml"), testIntents)
	writeFile(t, filepath.Join(dir, "docent.yaml"), "store:\n  path: docent.db\nbrain:\n  intents: [intents]\n  watch_interval: 0\n")
	cfg, err := bot.LoadConfig(filepath.Join(dir, "docent.yaml"), bot.WithModules(func() module.Module { return pager(pages) }))
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.Open(context.Background(), cfg, bot.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return New(b, Options{Loopback: true})
}

// A module's page that cannot be served is refused when the dashboard is
// made, with the module's name, never a panic nor a page without the
// layout.
func TestModulePageMistakes(t *testing.T) {
	data := func(context.Context) (any, error) { return "hi", nil }
	content := `{{define "content"}}{{.Data}}{{end}}`
	for _, tt := range []struct {
		what string
		page module.Page
		want string
	}{
		{"an unclean path", module.Page{Path: "..", Title: "T", Template: content, Data: data}, "not one path segment"},
		{"a control character", module.Page{Path: "a\tb", Title: "T", Template: content, Data: data}, "not one path segment"},
		{"a core page", module.Page{Path: "usage", Title: "T", Template: content, Data: data}, "taken"},
		{"no data", module.Page{Path: "nodata", Title: "T", Template: content}, "no Data"},
		{"no content", module.Page{Path: "bare", Title: "T", Template: `<p>hi</p>`, Data: data}, `"content"`},
		{"the layout redefined", module.Page{Path: "over", Title: "T", Template: content + `{{define "layout.html"}}mine{{end}}`, Data: data}, `"layout.html"`},
	} {
		t.Run(tt.what, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panic: %v", r)
				}
			}()
			_, err := dashboardWithPages(t, tt.page)
			if err == nil || !strings.Contains(err.Error(), "module pager") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%v, want an error naming the module and saying %q", err, tt.want)
			}
		})
	}
	d, err := dashboardWithPages(t, module.Page{Path: "notes", Title: "Notes <3", Template: content,
		Data: func(context.Context) (any, error) { return "<script>x</script>", nil }})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, httptest.NewRequest("GET", "/admin/notes", nil))
	body := rec.Body.String()
	for _, want := range []string{`<a href="/admin/notes" class="here">Notes &lt;3</a>`, "&lt;script&gt;x&lt;/script&gt;", "/admin/usage"} {
		if !strings.Contains(body, want) {
			t.Errorf("the module's page lacks %q:\n%s", want, body)
		}
	}
}

// A module's page's form (module.Action) runs behind the login and the
// CSRF check, with the form's values, and sends the admin back to the
// page with its message; an action that cannot be served is refused when
// the dashboard is made.
func TestModulePageActions(t *testing.T) {
	content := `{{define "content"}}<form method="post" action="/admin/note-add"><input name="csrf" value="{{.CSRF}}"></form>{{.Data}}{{end}}`
	var got []string
	page := module.Page{Path: "notes", Title: "Notes", Template: content,
		Data: func(context.Context) (any, error) { return strings.Join(got, ","), nil },
		Actions: []module.Action{{Path: "note-add", Run: func(_ context.Context, form url.Values) (string, bool, error) {
			if form.Get("text") == "" {
				return "Write a note first.", true, nil
			}
			got = append(got, form.Get("text"))
			return "Kept " + form.Get("text") + ".", false, nil
		}}}}
	d, err := dashboardWithPages(t, page)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, httptest.NewRequest("GET", "/admin/notes", nil))
	token := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(rec.Body.String())
	cookies := rec.Result().Cookies()
	if token == nil || len(cookies) == 0 {
		t.Fatalf("no CSRF token on the page:\n%s", rec.Body.String())
	}
	post := func(form url.Values) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/admin/note-add", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, c := range cookies {
			r.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		d.ServeHTTP(rec, r)
		return rec
	}
	if rec := post(url.Values{"text": {"milk"}}); rec.Code != http.StatusForbidden || len(got) != 0 {
		t.Errorf("without the CSRF token: %d, ran %v; want 403 and nothing run", rec.Code, got)
	}
	rec = post(url.Values{"csrf": {token[1]}, "text": {"milk"}})
	if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || loc != "/admin/notes?msg=Kept+milk." || strings.Join(got, ",") != "milk" {
		t.Errorf("the action: %d to %q, ran %v; want 303 to the page with its message, having run once", rec.Code, loc, got)
	}
	if loc := post(url.Values{"csrf": {token[1]}}).Header().Get("Location"); loc != "/admin/notes?msg=Write+a+note+first.&bad=1" {
		t.Errorf("a refusal goes back to %q", loc)
	}

	run := page.Actions[0].Run
	for _, tt := range []struct {
		what string
		a    module.Action
	}{
		{"the login's path", module.Action{Path: "login", Run: run}},
		{"two segments", module.Action{Path: "a/b", Run: run}},
		{"nothing to run", module.Action{Path: "idle"}},
	} {
		t.Run(tt.what, func(t *testing.T) {
			p := page
			p.Actions = []module.Action{tt.a}
			if _, err := dashboardWithPages(t, p); err == nil || !strings.Contains(err.Error(), "module pager") || !strings.Contains(err.Error(), "action") {
				t.Errorf("%v, want an error naming the module and the action", err)
			}
		})
	}
}
