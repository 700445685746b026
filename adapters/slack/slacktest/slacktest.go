// Package slacktest is a fake Slack for tests: the Web API methods and the
// Socket Mode websocket the Slack adapter uses, on loopback. Tests start a
// Server, point the adapter's api_url at its URL with the tokens BotToken
// and AppToken, take the socket from Conns, write envelopes to it and read
// the Web API calls the adapter made with Calls and WaitCalls.
//
// Only tests import it.
package slacktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The tokens the fake accepts and the bot user it logs in as.
const (
	BotToken  = "xoxb-test"
	AppToken  = "xapp-test"
	BotUserID = "UBOT"
)

// Call is one Web API call made to the fake.
type Call struct {
	Method string
	Form   url.Values
	// TS is the ts the fake gave the message chat.postMessage created.
	TS string
}

// Get returns the first value of the form field key.
func (c Call) Get(key string) string { return c.Form.Get(key) }

// Server is the fake Slack.
type Server struct {
	// URL is the adapter's api_url.
	URL string
	// Conns receives each Socket Mode connection after its hello; Acks the
	// envelope_id of each acknowledgement the adapter sent on it.
	Conns <-chan *websocket.Conn
	Acks  <-chan string

	srv   *httptest.Server
	conns chan *websocket.Conn
	acks  chan string

	mu    sync.Mutex // guards calls, ts, groupsErr, limited
	calls []Call
	ts    int
	// groupsErr, when set, is usergroups.list's error ("missing_scope").
	groupsErr string
	// limited is how many chat.postMessage calls still get a 429.
	limited int
}

// New starts a fake Slack, closed when the test ends.
func New(t testing.TB) *Server {
	f := &Server{conns: make(chan *websocket.Conn, 4), acks: make(chan string, 100)}
	f.Conns, f.Acks = f.conns, f.acks
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+AppToken {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		reply(w, map[string]any{"url": "ws://" + r.Host + "/link/?ticket=t&app_id=A1"})
	})
	// views.open is called with JSON and the token in a header.
	mux.HandleFunc("POST /api/views.open", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+BotToken || r.Header.Get("Content-Type") != "application/json" {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		var req struct {
			TriggerID string          `json:"trigger_id"`
			View      json.RawMessage `json:"view"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.TriggerID == "" {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_arguments"})
			return
		}
		f.record(Call{Method: "views.open", Form: url.Values{"trigger_id": {req.TriggerID}, "view": {string(req.View)}}})
		reply(w, map[string]any{"view": map[string]any{"id": "V1", "type": "modal"}})
	})
	mux.HandleFunc("POST /api/", f.webAPI)
	mux.HandleFunc("/link/", f.socket)
	f.srv = httptest.NewServer(mux)
	f.URL = f.srv.URL + "/api/"
	t.Cleanup(f.srv.Close)
	return f
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func reply(w http.ResponseWriter, v map[string]any) {
	v["ok"] = true
	writeJSON(w, v)
}

func (f *Server) record(c Call) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

// webAPI answers the form-encoded Web API methods.
func (f *Server) webAPI(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	if r.Form.Get("token") != BotToken {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	c := Call{Method: strings.TrimPrefix(r.URL.Path, "/api/"), Form: r.Form}
	f.mu.Lock()
	if c.Method == "chat.postMessage" && f.limited > 0 {
		// As Slack does: a 429 with Retry-After in seconds.
		f.limited--
		f.mu.Unlock()
		f.record(Call{Method: "429 " + c.Method, Form: r.Form})
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	f.ts++
	ts := fmt.Sprintf("1700000900.%06d", f.ts)
	if c.Method == "chat.postMessage" {
		c.TS = ts
	}
	f.calls = append(f.calls, c)
	failure := f.groupsErr
	f.mu.Unlock()
	switch c.Method {
	case "auth.test":
		reply(w, map[string]any{"user_id": BotUserID, "user": "docent", "team": "Test", "team_id": "T1"})
	case "chat.postMessage", "chat.delete":
		reply(w, map[string]any{"channel": r.Form.Get("channel"), "ts": ts})
	case "chat.update":
		reply(w, map[string]any{"channel": r.Form.Get("channel"), "ts": r.Form.Get("ts"), "text": r.Form.Get("text")})
	case "chat.postEphemeral":
		reply(w, map[string]any{"message_ts": ts})
	case "usergroups.list":
		if failure != "" {
			writeJSON(w, map[string]any{"ok": false, "error": failure})
			return
		}
		var groups []map[string]any
		if r.Form.Get("include_users") == "true" {
			groups = []map[string]any{
				{"id": "S1", "handle": "maintainers", "users": []string{"U1", "U4"}},
				{"id": "S2", "handle": "mods", "users": []string{"U4"}},
			}
		}
		reply(w, map[string]any{"usergroups": groups})
	default:
		reply(w, map[string]any{})
	}
}

// socket speaks Socket Mode: hello, pings, and acknowledgements read.
func (f *Server) socket(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	c, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	c.WriteJSON(map[string]any{"type": "hello", "num_connections": 1, "connection_info": map[string]any{"app_id": "A1"}})
	f.conns <- c
	// Slack pings; without pings the client reconnects.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				c.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second))
			}
		}
	}()
	for {
		var a struct {
			EnvelopeID string `json:"envelope_id"`
		}
		if c.ReadJSON(&a) != nil {
			return
		}
		f.acks <- a.EnvelopeID
	}
}

// SetUsergroupsError makes usergroups.list fail with error ("missing_scope").
func (f *Server) SetUsergroupsError(error string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groupsErr = error
}

// RateLimit answers the next n chat.postMessage calls with a 429,
// "ratelimited" and Retry-After: 1; they are recorded with the method
// "429 chat.postMessage".
func (f *Server) RateLimit(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limited = n
}

// Calls returns the recorded calls of one method, in order.
func (f *Server) Calls(method string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// WaitCalls waits until method was called at least n times and returns
// its calls; it fails the test after 5 s.
func (f *Server) WaitCalls(t testing.TB, method string, n int) []Call {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := f.Calls(method)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s called %d times, want %d", method, len(got), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Conn waits for the adapter's next Socket Mode connection; it fails the
// test after 5 s.
func (f *Server) Conn(t testing.TB) *websocket.Conn {
	t.Helper()
	select {
	case c := <-f.conns:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no socket mode connection")
		return nil
	}
}

// Envelope is a Socket Mode events_api envelope carrying event.
func Envelope(id, eventID string, event map[string]any) map[string]any {
	return map[string]any{"envelope_id": id, "type": "events_api", "accepts_response_payload": false,
		"payload": map[string]any{"type": "event_callback", "team_id": "T1", "api_app_id": "A1",
			"event_id": eventID, "event_time": 1700000000, "event": event}}
}
