package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Cookies.
const (
	sessionCookie = "docent_admin"
	csrfCookie    = "docent_csrf"
	sessionTTL    = 12 * time.Hour
	maxSessions   = 1000
)

// auth keeps the admin's sessions in memory (a restart logs everyone out)
// and checks credentials and CSRF tokens.
type auth struct {
	token        string // from the environment; "" when not set
	passwordHash []byte // bcrypt, from the environment; nil when not set
	loopback     bool   // the server is only reachable from this machine
	key          [32]byte

	mu       sync.Mutex // guards sessions and the failure window
	sessions map[string]time.Time
	failures int
	window   time.Time
}

func newAuth(token, hash string, loopback bool) *auth {
	a := &auth{token: token, loopback: loopback, sessions: map[string]time.Time{}}
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

// check says whether secret is the admin's token or password. Failures
// are rate limited across all callers: ten a minute.
func (a *auth) check(secret string) (ok, limited bool) {
	a.mu.Lock()
	if time.Since(a.window) > time.Minute {
		a.window, a.failures = time.Now(), 0
	}
	if a.failures >= 10 {
		a.mu.Unlock()
		return false, true
	}
	a.mu.Unlock()
	if secret != "" {
		if a.token != "" {
			x, y := sha256.Sum256([]byte(secret)), sha256.Sum256([]byte(a.token))
			if subtle.ConstantTimeCompare(x[:], y[:]) == 1 {
				return true, false
			}
		}
		if a.passwordHash != nil && bcrypt.CompareHashAndPassword(a.passwordHash, []byte(secret)) == nil {
			return true, false
		}
	}
	a.mu.Lock()
	a.failures++
	a.mu.Unlock()
	return false, false
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
