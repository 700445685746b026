package discord

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// request is one REST call the adapter made to the fake Discord.
type request struct {
	Method, Path string
	Body         map[string]any
	// ID is the ID the fake gave the message a POST created.
	ID string
}

func (r request) String() string { return r.Method + " " + r.Path }

// fakeDiscord speaks Discord's REST API and gateway on loopback: enough of
// both for the adapter, recording every REST call but typing.
type fakeDiscord struct {
	t        *testing.T
	srv      *httptest.Server
	reqs     chan request
	typing   chan string
	identify chan map[string]any
	resume   chan map[string]any
	ids      atomic.Int64
	// limited is how many POSTs to answer with 429 before serving them.
	limited atomic.Int32

	mu   sync.Mutex // guards conn and seq: gorilla conns take one writer
	conn *websocket.Conn
	seq  int
}

func newFakeDiscord(t *testing.T) *fakeDiscord {
	f := &fakeDiscord{
		t: t, reqs: make(chan request, 100), typing: make(chan string, 100),
		identify: make(chan map[string]any, 1), resume: make(chan map[string]any, 1),
	}
	f.ids.Store(900000)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v9/gateway", func(w http.ResponseWriter, r *http.Request) {
		// From the listener, not r.Host: the client keeps Host discord.com.
		writeJSON(w, map[string]string{"url": "ws://" + f.srv.Listener.Addr().String() + "/gw"})
	})
	mux.HandleFunc("GET /gw/", f.gateway)
	mux.HandleFunc("POST /api/v9/channels/{cid}/typing", func(w http.ResponseWriter, r *http.Request) {
		select {
		case f.typing <- r.PathValue("cid"):
		default:
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		req := request{Method: r.Method, Path: r.URL.Path}
		if b, _ := io.ReadAll(r.Body); len(b) > 0 {
			if err := json.Unmarshal(b, &req.Body); err != nil {
				var list []any
				if json.Unmarshal(b, &list) == nil {
					req.Body = map[string]any{"list": list}
				}
			}
		}
		if r.Method == http.MethodPost && f.limited.Add(-1) >= 0 {
			req.Method = "429 " + req.Method
			f.reqs <- req
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"message": "You are being rate limited.", "retry_after": 0.05, "global": false}`)
			return
		}
		if r.Method == http.MethodPost {
			req.ID = f.newID()
		}
		f.reqs <- req
		f.respond(w, r, req)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (f *fakeDiscord) newID() string { return strconv.FormatInt(f.ids.Add(1), 10) }

// respond answers a recorded REST call as Discord would.
func (f *fakeDiscord) respond(w http.ResponseWriter, r *http.Request, req request) {
	seg := strings.Split(strings.TrimPrefix(req.Path, "/api/v9/"), "/")
	switch {
	case r.Method == http.MethodDelete, strings.HasSuffix(req.Path, "/callback"):
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPut && seg[0] == "applications":
		writeJSON(w, req.Body["list"])
	case seg[0] == "channels" && len(seg) == 5 && seg[4] == "threads":
		// The thread takes the message's ID with a 9 after it.
		writeJSON(w, map[string]any{"id": seg[3] + "9", "type": 11, "parent_id": seg[1], "name": req.Body["name"]})
	case seg[0] == "channels" && r.Method == http.MethodPost:
		writeJSON(w, map[string]any{"id": req.ID, "channel_id": seg[1], "content": req.Body["content"]})
	case seg[0] == "channels" && r.Method == http.MethodPatch:
		writeJSON(w, map[string]any{"id": seg[3], "channel_id": seg[1], "content": req.Body["content"]})
	case seg[0] == "webhooks" && r.Method == http.MethodPatch:
		id := seg[len(seg)-1]
		if id == "@original" {
			id = "orig" + seg[2]
		}
		writeJSON(w, map[string]any{"id": id, "channel_id": "200", "content": req.Body["content"]})
	case seg[0] == "webhooks" && r.Method == http.MethodPost:
		writeJSON(w, map[string]any{"id": req.ID, "channel_id": "200", "content": req.Body["content"]})
	default:
		http.Error(w, `{"message": "unknown route", "code": 0}`, http.StatusNotFound)
	}
}

// gateway speaks the gateway: HELLO, IDENTIFY, READY, heartbeat ACKs.
func (f *fakeDiscord) gateway(w http.ResponseWriter, r *http.Request) {
	c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	f.mu.Lock()
	f.conn = c
	f.mu.Unlock()
	f.write(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 45000}})
	var id struct {
		Op int            `json:"op"`
		D  map[string]any `json:"d"`
	}
	switch err := c.ReadJSON(&id); {
	case err == nil && id.Op == 2:
		f.identify <- id.D
		f.send("READY", map[string]any{
			"v": 9, "session_id": "sess-1", "guilds": []any{},
			"user":        map[string]any{"id": "42", "username": "docent", "bot": true},
			"application": map[string]any{"id": "42"},
		})
	case err == nil && id.Op == 6: // RESUME after a dropped connection
		f.resume <- id.D
		f.send("RESUMED", map[string]any{})
	default:
		f.t.Errorf("gateway: want IDENTIFY or RESUME, got op %d, err %v", id.Op, err)
		return
	}
	for {
		var m struct {
			Op int `json:"op"`
		}
		if c.ReadJSON(&m) != nil {
			return
		}
		if m.Op == 1 {
			f.write(map[string]any{"op": 11})
		}
	}
}

func (f *fakeDiscord) write(v any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.conn.WriteJSON(v); err != nil {
		f.t.Errorf("gateway: write: %v", err)
	}
}

// drop closes the gateway connection as a network failure would.
func (f *fakeDiscord) drop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conn.Close()
}

// send dispatches an event to the adapter.
func (f *fakeDiscord) send(event string, d any) {
	f.mu.Lock()
	f.seq++
	s := f.seq
	f.mu.Unlock()
	f.write(map[string]any{"op": 0, "s": s, "t": event, "d": d})
}

// next returns the next REST call, which must be want ("POST /api/v9/...").
func (f *fakeDiscord) next(t *testing.T, want string) request {
	t.Helper()
	select {
	case r := <-f.reqs:
		if r.String() != want {
			t.Fatalf("REST call %s, want %s (body %v)", r, want, r.Body)
		}
		return r
	case <-time.After(5 * time.Second):
		t.Fatalf("no REST call within 5s, want %s", want)
	}
	return request{}
}

// noMore asserts no REST call is pending.
func (f *fakeDiscord) noMore(t *testing.T) {
	t.Helper()
	select {
	case r := <-f.reqs:
		t.Fatalf("unexpected REST call %s (body %v)", r, r.Body)
	default:
	}
}

// checkAllowed asserts that a sent message can ping only member.
func checkAllowed(t *testing.T, r request, member string) {
	t.Helper()
	am, ok := r.Body["allowed_mentions"].(map[string]any)
	if !ok {
		t.Fatalf("%s has no allowed_mentions: %v", r, r.Body)
	}
	parse, ok := am["parse"].([]any)
	if !ok || len(parse) != 0 {
		t.Errorf("%s: allowed_mentions.parse = %v, want []", r, am["parse"])
	}
	users, _ := am["users"].([]any)
	if len(users) != 1 || users[0] != member {
		t.Errorf("%s: allowed_mentions.users = %v, want [%s]", r, am["users"], member)
	}
	if roles, ok := am["roles"]; ok {
		t.Errorf("%s: allowed_mentions.roles = %v, want none", r, roles)
	}
	if am["replied_user"] != true {
		t.Errorf("%s: allowed_mentions.replied_user = %v, want true", r, am["replied_user"])
	}
}
