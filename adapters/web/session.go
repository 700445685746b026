package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
)

// A visitor's cookie is its session secret; its public ID (the
// conversation's channel, the member's ID: what history, exports, sources
// and logs show) is derived from the secret with the server's key and
// cannot be turned back into it. The cookie is a random nonce signed with
// the key, so the server knows the cookies it issued without storing
// them, and a conversation goes on after a restart; any other value
// starts a new visitor.
//
//	cookie    = hex(nonce || HMAC-SHA256(key, "docent web session\x00" || nonce))
//	public ID = hex(HMAC-SHA256(key, "docent web visitor\x00" || nonce)[:16])

const (
	visitorCookie = "docent_visitor"
	nonceSize     = 32
	cookieLen     = 2 * (nonceSize + sha256.Size)
)

// sessions issues and checks visitors' cookies.
type sessions struct {
	key []byte
}

func (s sessions) mac(purpose string, nonce []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(nonce)
	return m.Sum(nil)
}

// publicID returns the visitor ID of a cookie the server issued, and false
// for any other value.
func (s sessions) publicID(cookie string) (string, bool) {
	if len(cookie) != cookieLen {
		return "", false
	}
	b, err := hex.DecodeString(cookie)
	if err != nil {
		return "", false
	}
	nonce, tag := b[:nonceSize], b[nonceSize:]
	if !hmac.Equal(tag, s.mac("docent web session", nonce)) {
		return "", false
	}
	return hex.EncodeToString(s.mac("docent web visitor", nonce)[:16]), true
}

// issue makes a new cookie value.
func (s sessions) issue() string {
	nonce := make([]byte, nonceSize)
	rand.Read(nonce)
	return hex.EncodeToString(append(nonce, s.mac("docent web session", nonce)...))
}

// visitorID returns the public ID of the request's visitor. A request
// without a cookie the server issued gets a new one; nothing is kept.
func (s sessions) visitorID(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(visitorCookie); err == nil {
		if id, ok := s.publicID(c.Value); ok {
			return id
		}
	}
	val := s.issue()
	http.SetCookie(w, &http.Cookie{Name: visitorCookie, Value: val, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secureRequest(r), MaxAge: 365 * 24 * 3600})
	id, _ := s.publicID(val)
	return id
}
