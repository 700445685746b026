// Package dashboard serves the admin's pages of a running Docent (activity
// charts, intents, coverage gaps and downvoted answers, conversations, LLM
// usage, challenges) and its operational endpoints: /healthz, /readyz and
// /metrics. The bot serves it on its ops listener (ops.listen), whatever
// adapters run.
//
// Off loopback the pages need a login with the admin token
// (DOCENT_ADMIN_TOKEN) or password (bcrypt hash in
// DOCENT_ADMIN_PASSWORD_HASH), both read from the environment by the
// command line; sessions live in Secure, HttpOnly, SameSite=Strict cookies
// and every form carries a CSRF token.
package dashboard

import (
	"cmp"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/docent-bot/docent/adapters/web"
	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

//go:embed templates
var templates embed.FS

// Options set up the dashboard.
type Options struct {
	Log *slog.Logger
	// Metrics serves /metrics; nil answers 404.
	Metrics http.Handler
	// Token and PasswordHash (bcrypt) are the admin's credentials, from
	// the environment; either one logs in.
	Token, PasswordHash string
	// Loopback says the server only listens on this machine: with no
	// credentials set, the pages are then open without a login. Off
	// loopback with no credentials, they are closed.
	Loopback bool
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// Dashboard is the admin's HTTP handler.
type Dashboard struct {
	b    *bot.Bot
	opts Options
	log  *slog.Logger
	auth *auth
	tmpl map[string]*template.Template
	mux  *http.ServeMux
	// pages are the modules' pages, for the navigation.
	pages []navLink
}

// pagePath is what a module's page may be called: one plain path segment.
var pagePath = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// parsePage adds a module's page template to layout. It is parsed under a
// name of its own, since text outside a define would replace the layout
// (its navigation, its logout form), and it must define "content" and
// redefine nothing of the layout's.
func parsePage(layout *template.Template, name, text string) error {
	own := map[string]any{}
	for _, t := range layout.Templates() {
		own[t.Name()] = t.Tree
	}
	if _, err := layout.New(name).Parse(text); err != nil {
		return err
	}
	for n, tree := range own {
		if layout.Lookup(n).Tree != tree {
			return fmt.Errorf("the page redefines the layout's %q", n)
		}
	}
	if layout.Lookup("content") == nil {
		return fmt.Errorf(`the page does not define "content"`)
	}
	return nil
}

// navLink is a module's page in the navigation.
type navLink struct{ Path, Title string }

// New returns the dashboard of b.
func New(b *bot.Bot, opts Options) (*Dashboard, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	d := &Dashboard{b: b, opts: opts, log: opts.Log, auth: newAuth(opts.Token, opts.PasswordHash, opts.Loopback), tmpl: map[string]*template.Template{}}
	if opts.PasswordHash != "" {
		if _, err := bcrypt.Cost([]byte(opts.PasswordHash)); err != nil {
			return nil, fmt.Errorf("dashboard: DOCENT_ADMIN_PASSWORD_HASH is not a bcrypt hash (make one with `htpasswd -nbBC 12 admin PASSWORD`): %w", err)
		}
	}
	if !opts.Loopback && !d.auth.hasCredentials() {
		// Closed, as promised, but say so now rather than at the first 403.
		d.log.Warn("dashboard: Docent listens beyond this machine (ops.listen) and no admin login is set: the dashboard's pages and /metrics are closed; " +
			"set DOCENT_ADMIN_TOKEN or DOCENT_ADMIN_PASSWORD_HASH in Docent's environment, or listen on 127.0.0.1")
	}
	funcs := template.FuncMap{
		"day":   func(t time.Time) string { return t.UTC().Format("2006-01-02") },
		"when":  func(t time.Time) string { return t.Local().Format(time.DateTime) },
		"short": func(s string, n int) string { return cut(s, n) },
		"pct": func(f *float64) string {
			if f == nil {
				return "–"
			}
			return fmt.Sprintf("%.0f%%", *f*100)
		},
		"join": strings.Join,
		// lineChart draws, for the modules' pages, the series given as
		// name, values pairs over labels: {{lineChart "id" .Days "tokens" .Tokens}}.
		"lineChart": func(id string, labels []string, namesValues ...any) (template.HTML, error) {
			var series []Series
			for i := 0; i+1 < len(namesValues); i += 2 {
				name, ok1 := namesValues[i].(string)
				values, ok2 := namesValues[i+1].([]float64)
				if !ok1 || !ok2 {
					return "", fmt.Errorf("lineChart: give name, values pairs (a string and a []float64), got %T, %T", namesValues[i], namesValues[i+1])
				}
				series = append(series, Series{Name: name, Values: values})
			}
			if len(namesValues)%2 != 0 {
				return "", fmt.Errorf("lineChart: give name, values pairs; got %d values", len(namesValues))
			}
			return LineChart(id, labels, series), nil
		},
	}
	for _, page := range []string{"overview", "conversations", "thread", "login"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templates, "templates/layout.html", "templates/"+page+".html")
		if err != nil {
			return nil, fmt.Errorf("dashboard: parse the %s page's template: %w", page, err)
		}
		d.tmpl[page] = t
	}
	mux := http.NewServeMux()
	// The dashboard's own forms post to login and logout.
	actions := map[string]bool{"login": true, "logout": true}
	for _, m := range b.Modules() {
		pager, ok := m.(module.Pager)
		if !ok {
			continue
		}
		for _, pg := range pager.Pages() {
			name := "module:" + pg.Path
			if _, taken := d.tmpl[pg.Path]; taken || !pagePath.MatchString(pg.Path) || d.tmpl[name] != nil {
				return nil, fmt.Errorf("dashboard: module %s: page path %q is taken or not one path segment (lower case letters, digits, - and _)", m.Name(), pg.Path)
			}
			if pg.Data == nil {
				return nil, fmt.Errorf("dashboard: module %s: page %s has no Data", m.Name(), pg.Path)
			}
			t, err := template.New("layout.html").Funcs(funcs).ParseFS(templates, "templates/layout.html")
			if err == nil {
				err = parsePage(t, name, pg.Template)
			}
			if err != nil {
				return nil, fmt.Errorf("dashboard: parse module %s's %s page: %w", m.Name(), pg.Path, err)
			}
			d.tmpl[name] = t
			d.pages = append(d.pages, navLink{Path: pg.Path, Title: pg.Title})
			mux.HandleFunc("GET /admin/"+pg.Path, d.admin(func(w http.ResponseWriter, r *http.Request) {
				data, err := pg.Data(module.WithPageQuery(r.Context(), r.URL.Query()))
				if err != nil {
					d.fail(w, "read the "+pg.Title+" page's data", err)
					return
				}
				d.render(w, r, name, pg.Title, data)
			}))
			for _, a := range pg.Actions {
				if !pagePath.MatchString(a.Path) || actions[a.Path] || a.Run == nil {
					return nil, fmt.Errorf("dashboard: module %s: page %s: action %q is taken, not one path segment (lower case letters, digits, - and _) or has nothing to run", m.Name(), pg.Path, a.Path)
				}
				actions[a.Path] = true
				mux.HandleFunc("POST /admin/"+a.Path, d.admin(func(w http.ResponseWriter, r *http.Request) {
					msg, bad, err := a.Run(r.Context(), r.PostForm)
					if err != nil {
						d.fail(w, "do "+a.Path+" on the "+pg.Title+" page", err)
						return
					}
					d.log.Info("dashboard: an admin's action", "module", m.Name(), "action", a.Path, "refused", bad, "remote", r.RemoteAddr)
					back(w, r, "/admin/"+pg.Path, msg, bad)
				}))
			}
		}
	}
	// The pages link the web chat's stylesheet, at the same path.
	mux.Handle("GET /static/style.css", web.Stylesheet())
	mux.Handle("GET /healthz", b.Health())
	mux.Handle("GET /readyz", b.Health())
	mux.HandleFunc("GET /metrics", d.metrics)
	mux.HandleFunc("GET /admin/login", d.loginPage)
	mux.HandleFunc("POST /admin/login", d.loginPost)
	mux.HandleFunc("POST /admin/logout", d.admin(d.logoutPost))
	mux.HandleFunc("GET /admin/{$}", d.admin(d.overview))
	mux.HandleFunc("GET /admin/conversations", d.admin(d.conversations))
	mux.HandleFunc("GET /admin/thread", d.admin(d.thread))
	mux.Handle("GET /admin", http.RedirectHandler("/admin/", http.StatusSeeOther))
	// The ops listener's root is the URL Docent prints at start.
	mux.Handle("GET /{$}", http.RedirectHandler("/admin/", http.StatusSeeOther))
	d.mux = mux
	return d, nil
}

func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mux.ServeHTTP(w, r)
}

// admin lets only a logged-in admin (or anyone, on loopback without
// credentials) through, and checks the CSRF token of every form.
func (d *Dashboard) admin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !d.auth.allowed(r) {
			if !d.auth.hasCredentials() {
				http.Error(w, "dashboard: closed: Docent listens beyond this machine (ops.listen) and no admin login is set; "+
					"set DOCENT_ADMIN_TOKEN or DOCENT_ADMIN_PASSWORD_HASH in Docent's environment", http.StatusForbidden)
				return
			}
			http.Redirect(w, r, "/admin/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !d.auth.validCSRF(r) {
			http.Error(w, "dashboard: the form's CSRF token is missing or wrong; reload the page and try again", http.StatusForbidden)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		next(w, r)
	}
}

// page is what every page's template gets.
type page struct {
	Title, Nav string
	Modules    []navLink // the modules' pages
	Bot        string
	CSRF       string
	LoggedIn   bool // a session, so a logout button
	Flash      string
	FlashBad   bool
	Data       any
}

func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, name, title string, data any) {
	d.renderStatus(w, r, http.StatusOK, "", name, title, data)
}

// renderStatus renders a page with status; a refusal (bad, not "") is
// shown as the page's message instead of the query's.
func (d *Dashboard) renderStatus(w http.ResponseWriter, r *http.Request, status int, bad, name, title string, data any) {
	p := page{Title: title, Nav: name, Modules: d.pages, Bot: d.b.Config().Bot.Name, CSRF: d.auth.csrfToken(w, r),
		LoggedIn: !d.auth.open(), Flash: r.URL.Query().Get("msg"), FlashBad: r.URL.Query().Get("bad") == "1", Data: data}
	if bad != "" {
		p.Flash, p.FlashBad = bad, true
	}
	var buf strings.Builder
	if err := d.tmpl[name].Execute(&buf, p); err != nil {
		d.fail(w, "render the "+name+" page", err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(buf.String()))
}

func (d *Dashboard) fail(w http.ResponseWriter, doing string, err error) {
	d.log.Error("dashboard failed", "doing", doing, "err", err)
	http.Error(w, fmt.Sprintf("dashboard: %s: %v", doing, err), http.StatusInternalServerError)
}

func (d *Dashboard) metrics(w http.ResponseWriter, r *http.Request) {
	if d.opts.Metrics == nil {
		http.NotFound(w, r)
		return
	}
	if !d.auth.open() && !d.auth.allowed(r) && !d.auth.bearer(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="docent"`)
		http.Error(w, "dashboard: /metrics needs the admin token as a bearer token (DOCENT_ADMIN_TOKEN)", http.StatusUnauthorized)
		return
	}
	d.opts.Metrics.ServeHTTP(w, r)
}

func (d *Dashboard) loginPage(w http.ResponseWriter, r *http.Request) {
	if !d.auth.hasCredentials() {
		if d.auth.open() {
			http.Redirect(w, r, "/admin/", http.StatusSeeOther)
			return
		}
		http.Error(w, "dashboard: no admin login is set: set DOCENT_ADMIN_TOKEN or DOCENT_ADMIN_PASSWORD_HASH in Docent's environment", http.StatusForbidden)
		return
	}
	d.render(w, r, "login", "Log in", map[string]string{"Next": safeNext(r.URL.Query().Get("next"))})
}

func (d *Dashboard) loginPost(w http.ResponseWriter, r *http.Request) {
	if !d.auth.validCSRF(r) {
		http.Error(w, "dashboard: the form's CSRF token is missing or wrong; reload the login page and try again", http.StatusForbidden)
		return
	}
	next := safeNext(r.PostFormValue("next"))
	ok, limited, err := d.auth.check(r.Context(), clientKey(r), r.PostFormValue("secret"))
	switch {
	case err != nil:
		return // the browser went away while waiting for its turn
	case limited:
		http.Redirect(w, r, "/admin/login?bad=1&msg="+url.QueryEscape(fmt.Sprintf("Too many failed logins from your address; try again in %d seconds.",
			int(loginEvery/time.Second)))+"&next="+url.QueryEscape(next), http.StatusSeeOther)
	case !ok:
		d.log.Warn("dashboard login failed", "remote", r.RemoteAddr)
		http.Redirect(w, r, "/admin/login?bad=1&msg="+url.QueryEscape("That is not the admin token or password.")+"&next="+url.QueryEscape(next), http.StatusSeeOther)
	default:
		d.log.Info("dashboard login", "remote", r.RemoteAddr)
		d.auth.login(w, r)
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
}

// safeNext keeps a redirect after login on this site, on a dashboard
// page: a path (no scheme, no host, no backslash that a browser reads as
// a slash) that is still under /admin once its dots are resolved.
func safeNext(next string) string {
	const home = "/admin/"
	if !strings.HasPrefix(next, "/") || strings.Contains(next, "\\") {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return home
	}
	clean := path.Clean(u.Path)
	if clean != "/admin" && !strings.HasPrefix(clean, home) {
		return home
	}
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	if u.RawQuery != "" {
		clean += "?" + u.RawQuery
	}
	return clean
}

func (d *Dashboard) logoutPost(w http.ResponseWriter, r *http.Request) {
	d.auth.logout(w, r)
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
}

func back(w http.ResponseWriter, r *http.Request, to, msg string, bad bool) {
	u := to + "?msg=" + url.QueryEscape(msg)
	if bad {
		u += "&bad=1"
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// Bounds of a history search: it reads the newest records of the most
// recently active conversations.
const (
	searchConversations = 500
	searchPerThread     = 300
	searchHits          = 200
)

type hit struct {
	Conv chat.Conversation
	Rec  store.Record
}

func (d *Dashboard) conversations(w http.ResponseWriter, r *http.Request) {
	convs, err := d.b.Store().Conversations(r.Context())
	if err != nil {
		d.fail(w, "list the conversations", err)
		return
	}
	slices.SortFunc(convs, func(a, b store.ConversationSummary) int { return b.Last.Compare(a.Last) })
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	var hits []hit
	if q != "" {
		needle := strings.ToLower(q)
		for _, cv := range convs[:min(len(convs), searchConversations)] {
			recs, err := d.b.Store().Conversation(r.Context(), cv.Conversation, searchPerThread)
			if err != nil {
				d.fail(w, "search "+cv.Conversation.String(), err)
				return
			}
			for _, rec := range recs {
				if strings.Contains(strings.ToLower(rec.Text), needle) && len(hits) < searchHits {
					hits = append(hits, hit{cv.Conversation, rec})
				}
			}
		}
	}
	d.render(w, r, "conversations", "Conversations", map[string]any{"Q": q, "Hits": hits,
		"Conversations": convs[:min(len(convs), 200)], "Total": len(convs)})
}

func (d *Dashboard) thread(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	conv := chat.Conversation{Platform: q.Get("platform"), Channel: q.Get("channel"), Thread: q.Get("thread")}
	recs, err := d.b.Store().Conversation(r.Context(), conv, 500)
	if err != nil {
		d.fail(w, "read "+conv.String(), err)
		return
	}
	key := func(rec store.Record) uint64 {
		if rec.Kind == store.KindAnswer && rec.ReplyTo != 0 {
			return rec.ReplyTo
		}
		return rec.ID
	}
	slices.SortStableFunc(recs, func(a, b store.Record) int { return cmp.Or(cmp.Compare(key(a), key(b)), cmp.Compare(a.ID, b.ID)) })
	d.render(w, r, "thread", conv.String(), map[string]any{"Conv": conv, "Records": recs})
}

// cut shortens s to n runes.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
