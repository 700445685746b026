package dashboard

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// loginClient is one browser at one address, talking to the dashboard's
// handler directly so that its address can be set.
type loginClient struct {
	t       *testing.T
	h       http.Handler
	remote  string
	cookies []*http.Cookie
	csrf    string
}

// newLoginClient loads the login page from remote and keeps its CSRF
// cookie and token.
func newLoginClient(t *testing.T, h http.Handler, remote string) *loginClient {
	t.Helper()
	c := &loginClient{t: t, h: h, remote: remote}
	res, body := c.do("GET", "/admin/login", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("login page: %s", res.Status)
	}
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token on the login page:\n%s", body)
	}
	c.csrf = m[1]
	return c
}

func (c *loginClient) do(method, path string, form url.Values) (*http.Response, string) {
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	req.RemoteAddr = c.remote
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	res := rec.Result()
	c.cookies = append(c.cookies, res.Cookies()...)
	return res, rec.Body.String()
}

// login posts secret and returns the status and where it redirects.
func (c *loginClient) login(secret, next string) (int, string) {
	res, _ := c.do("POST", "/admin/login", url.Values{"csrf": {c.csrf}, "secret": {secret}, "next": {next}})
	return res.StatusCode, res.Header.Get("Location")
}

// adminDashboard is a dashboard off loopback whose admin password is
// "right horse battery" (bcrypt at its lowest cost, to keep tests quick).
func adminDashboard(t *testing.T) http.Handler {
	t.Helper()
	s := startServer(t, Options{})
	hash, err := bcrypt.GenerateFromPassword([]byte("right horse battery"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(s.bot, Options{PasswordHash: string(hash), Token: "the-admin-token"})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestLoginLimitedPerAddress: 60 wrong passwords at once from one address
// get at most loginBurst checks, the rest refused unchecked; meanwhile the
// admin logs in from another address, with the password and with the
// token.
func TestLoginLimitedPerAddress(t *testing.T) {
	d := adminDashboard(t)
	const tries = 60
	attacker := make([]*loginClient, tries)
	for i := range attacker {
		attacker[i] = newLoginClient(t, d, "198.51.100.7:4000")
	}
	admin := newLoginClient(t, d, "203.0.113.9:5000")
	other := newLoginClient(t, d, "[2001:db8:1:2::9]:5000")

	var wg sync.WaitGroup
	locs := make([]string, tries)
	for i, c := range attacker {
		wg.Go(func() { _, locs[i] = c.login("wrong-"+strings.Repeat("x", i), "/admin/") })
	}
	_, adminLoc := admin.login("right horse battery", "/admin/intents")
	_, otherLoc := other.login("the-admin-token", "/admin/")
	wg.Wait()

	checked, limited := 0, 0
	for _, l := range locs {
		switch {
		case strings.Contains(l, "not+the+admin"):
			checked++
		case strings.Contains(l, "Too+many"):
			limited++
		default:
			t.Errorf("a wrong password was redirected to %q", l)
		}
	}
	if checked > loginBurst || checked+limited != tries {
		t.Errorf("%d wrong passwords at once from one address: %d checked, %d limited; want at most %d checked",
			tries, checked, limited, loginBurst)
	}
	if adminLoc != "/admin/intents" || otherLoc != "/admin/" {
		t.Errorf("the admin during the attack: redirected to %q and %q, want logged in", adminLoc, otherLoc)
	}
	// And after it, with the attacker's tries used up.
	if _, loc := newLoginClient(t, d, "203.0.113.11:5000").login("right horse battery", "/admin/"); loc != "/admin/" {
		t.Errorf("the admin after the attack: redirected to %q, want logged in", loc)
	}
	// The same /64 is the same client; another /64 is not.
	if _, loc := newLoginClient(t, d, "[2001:db8:1:2::77]:1").login("wrong", "/admin/"); !strings.Contains(loc, "not+the+admin") {
		t.Errorf("a wrong password from a fresh /64: %q", loc)
	}
	if _, loc := newLoginClient(t, d, "198.51.100.7:4001").login("right horse battery", "/admin/"); !strings.Contains(loc, "Too+many") {
		t.Errorf("the attacking address, right password, tries used up: %q, want limited", loc)
	}
}

// TestLoginRefusesWrongCSRF: a login or a form with a CSRF token that is
// not this browser's is refused, however well formed.
func TestLoginRefusesWrongCSRF(t *testing.T) {
	d := adminDashboard(t)
	c := newLoginClient(t, d, "203.0.113.9:5000")
	other := newLoginClient(t, d, "203.0.113.10:5000")
	for name, token := range map[string]string{
		"another browser's": other.csrf,
		"made up":           strings.Repeat("ab", 32),
		"non-hex":           "x",
	} {
		res, _ := c.do("POST", "/admin/login", url.Values{"csrf": {token}, "secret": {"right horse battery"}, "next": {"/admin/"}})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("login with %s CSRF token: %s, want 403", name, res.Status)
		}
	}
	if code, loc := c.login("right horse battery", "/admin/"); code != http.StatusSeeOther || loc != "/admin/" {
		t.Fatalf("login with the right token: %d to %q", code, loc)
	}
	res, _ := c.do("POST", "/admin/teach", url.Values{"csrf": {other.csrf}, "intent": {"greeting"}, "text": {"yo"}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("teach with another browser's CSRF token: %s, want 403", res.Status)
	}
}

// TestLoginRedirectStaysLocal: after login, next goes only to a dashboard
// page, never to another site.
func TestLoginRedirectStaysLocal(t *testing.T) {
	d := adminDashboard(t)
	for next, want := range map[string]string{
		"//evil.example":         "/admin/",
		"/\\evil.example":        "/admin/",
		"/admin\\..\\evil":       "/admin/",
		"https://evil.example/":  "/admin/",
		"//evil.example/admin":   "/admin/",
		"/admin//evil.example":   "/admin/evil.example",
		"/admin/intents?q=1":     "/admin/intents?q=1",
		"/adminx/../../evil":     "/admin/",
		"/admin/../../evil":      "/admin/",
		"/admin/..\\..\\evil":    "/admin/",
		"///evil.example/admin/": "/admin/",
		"":                       "/admin/",
	} {
		c := newLoginClient(t, d, "203.0.113.9:5000")
		if _, loc := c.login("the-admin-token", next); loc != want {
			t.Errorf("login with next=%q: redirected to %q, want %q", next, loc, want)
		}
	}
}
