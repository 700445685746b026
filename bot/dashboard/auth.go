package dashboard

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"
)

// Cookies.
const (
	sessionCookie = "docent_admin"
	csrfCookie    = "docent_csrf"
	sessionTTL    = 12 * time.Hour
	maxSessions   = 1000
)

// Login limits. Each client address (an IPv6 /64) may try loginBurst
// wrong secrets at once, then one every loginEvery; a try is taken before
// the secret is checked, so parallel tries cannot all pass. A limited
// address waits seconds, not minutes, and other addresses are never
// held up by it. At most maxChecking secrets are checked at a time, so a
// crowd of addresses cannot take all the CPU with bcrypt.
const (
	loginBurst    = 10
	loginEvery    = 6 * time.Second
	maxClients    = 4096
	maxChecking   = 2
	dummyBcryptPW = "docent: no password is set; this hash keeps every check's cost the same"
)

// auth keeps the admin's sessions in memory (a restart logs everyone out)
// and checks credentials and CSRF tokens.
type auth struct {
	token        string // from the environment; "" when not set
	passwordHash []byte // bcrypt, from the environment; nil when not set
	loopback     bool   // the server is only reachable from this machine
	key          [32]byte
	// costHash is what every check runs bcrypt against: the password's
	// hash, or a hash of nothing anyone types when only a token is set
	// (made at the first check), so that a check costs the same whatever
	// is configured or tried.
	costHash []byte
	costOnce sync.Once
	checking chan struct{} // a slot per secret being checked

	mu       sync.Mutex // guards sessions and clients
	sessions map[string]time.Time
	clients  map[string]*rate.Limiter // login tries left, by client address
}

func newAuth(token, hash string, loopback bool) *auth {
	a := &auth{token: token, loopback: loopback, sessions: map[string]time.Time{}, clients: map[string]*rate.Limiter{},
		checking: make(chan struct{}, maxChecking)}
	if hash != "" {
		a.passwordHash = []byte(hash)
	}
	rand.Read(a.key[:])
	return a
}

// hasCredentials says whether an admin token or password is configured.
func (a *auth) hasCredentials() bool { return a.token != "" || a.passwordHash != nil }

// open says whether the dashboard needs no login: on loopback with no
// credentials configured, whoever can reach it runs Docent.
func (a *auth) open() bool { return a.loopback && !a.hasCredentials() }

// secure says whether cookies must be Secure: always, except over plain
// HTTP on loopback, where a browser would drop them.
func (a *auth) secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") || !a.loopback
}

// clientKey is the address login tries are counted by: the connection's
// IP (X-Forwarded-For is not trusted: anyone can write it), an IPv6
// address by its /64, which one host usually owns whole.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64) // cannot fail for an IPv6 address
		return p.String()
	}
	return ip.String()
}

// take reserves one login try for client, or says it has none left.
func (a *auth) take(client string, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	lim := a.clients[client]
	if lim == nil {
		if len(a.clients) >= maxClients {
			for k, l := range a.clients { // those with every try left cost nothing to forget
				if l.TokensAt(now) >= loginBurst {
					delete(a.clients, k)
				}
			}
			for k := range a.clients { // still full: an arbitrary one goes
				if len(a.clients) < maxClients {
					break
				}
				delete(a.clients, k)
			}
		}
		lim = rate.NewLimiter(rate.Every(loginEvery), loginBurst)
		a.clients[client] = lim
	}
	return lim.AllowN(now, 1)
}

// check says whether secret is the admin's token or password, for a login
// from client. Tries are limited per client (see loginBurst); a right
// secret gives the client all its tries back. Every check costs one
// bcrypt comparison, whatever is configured and whatever is typed.
func (a *auth) check(ctx context.Context, client, secret string) (ok, limited bool, err error) {
	if !a.take(client, time.Now()) {
		return false, true, nil
	}
	select {
	case a.checking <- struct{}{}:
		defer func() { <-a.checking }()
	case <-ctx.Done():
		return false, false, ctx.Err()
	}
	a.costOnce.Do(func() {
		a.costHash = a.passwordHash
		if a.costHash == nil {
			a.costHash, _ = bcrypt.GenerateFromPassword([]byte(dummyBcryptPW), bcrypt.DefaultCost) // cannot fail for this length and cost
		}
	})
	x, y := sha256.Sum256([]byte(secret)), sha256.Sum256([]byte(a.token))
	tokenOK := a.token != "" && subtle.ConstantTimeCompare(x[:], y[:]) == 1
	passOK := bcrypt.CompareHashAndPassword(a.costHash, []byte(secret)) == nil && a.passwordHash != nil
	if ok = secret != "" && (tokenOK || passOK); ok {
		a.mu.Lock()
		delete(a.clients, client)
		a.mu.Unlock()
	}
	return ok, false, nil
}

func randomID() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// login starts a session and sets its cookie.
func (a *auth) login(w http.ResponseWriter, r *http.Request) {
	id := randomID()
	a.mu.Lock()
	now := time.Now()
	for k, exp := range a.sessions {
		if now.After(exp) {
			delete(a.sessions, k)
		}
	}
	if len(a.sessions) >= maxSessions {
		for k := range a.sessions { // the map's order: an arbitrary one goes
			delete(a.sessions, k)
			break
		}
	}
	a.sessions[id] = now.Add(sessionTTL)
	a.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: a.secure(r),
		SameSite: http.SameSiteStrictMode, MaxAge: int(sessionTTL / time.Second)})
}

func (a *auth) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.mu.Lock()
		delete(a.sessions, c.Value)
		a.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: a.secure(r),
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// allowed says whether r comes from a logged-in admin (or needs no login).
func (a *auth) allowed(r *http.Request) bool {
	if a.open() {
		return true
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.mu.Lock()
		exp, ok := a.sessions[c.Value]
		a.mu.Unlock()
		if ok && time.Now().Before(exp) {
			return true
		}
	}
	return false
}

// bearer says whether r carries the admin token as a bearer token (for
// Prometheus scraping /metrics off loopback).
func (a *auth) bearer(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || a.token == "" {
		return false
	}
	x, y := sha256.Sum256([]byte(tok)), sha256.Sum256([]byte(a.token))
	return subtle.ConstantTimeCompare(x[:], y[:]) == 1
}

// csrfToken returns the form token for this browser, setting the cookie
// it is derived from when the browser has none yet.
func (a *auth) csrfToken(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) != 64 {
		c = &http.Cookie{Name: csrfCookie, Value: randomID(), Path: "/", HttpOnly: true, Secure: a.secure(r), SameSite: http.SameSiteStrictMode}
		http.SetCookie(w, c)
	}
	return a.sign(c.Value)
}

func (a *auth) sign(v string) string {
	m := hmac.New(sha256.New, a.key[:])
	m.Write([]byte("csrf:" + v))
	return hex.EncodeToString(m.Sum(nil))
}

// validCSRF checks a form's token against the browser's cookie.
func (a *auth) validCSRF(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value == "" {
		return false
	}
	got := r.PostFormValue("csrf")
	return hmac.Equal([]byte(got), []byte(a.sign(c.Value)))
}
