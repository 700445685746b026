// Package discordtest is a fake Discord for tests: REST and gateway on
// loopback, speaking enough of both for the Discord adapter. Tests start a
// Server, point the adapter's api_base at its URL, send gateway events
// with Send and read the REST calls the adapter made with Next.
//
// Only tests import it.
package discordtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
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

// BotID is the user and application ID of the bot the fake logs in as.
const BotID = "42"

// Request is one REST call made to the fake.
type Request struct {
	Method, Path string
	// Body is the JSON body, or a multipart body's payload_json; a JSON
	// list is under "list".
	Body map[string]any
	// Files are the files of a multipart body, in order.
	Files []File
	// ID is the ID the fake gave the message a POST created.
	ID string
}

// File is one file attached to a message.
type File struct {
	// Field is the multipart field ("files[0]").
	Field, Name, ContentType string
	Data                     []byte
}

// DMChannel is the ID of the direct message channel the fake opens with
// user (POST /users/@me/channels).
func DMChannel(user string) string { return "800" + user }

func (r Request) String() string { return r.Method + " " + r.Path }

// Server is the fake Discord. REST calls are recorded in order, except
// typing indicators, which go to Typing.
type Server struct {
	// URL is the adapter's api_base.
	URL string
	// Identify and Resume receive the gateway's IDENTIFY and RESUME
	// payloads; Typing the channel of each typing indicator.
	Identify <-chan map[string]any
	Resume   <-chan map[string]any
	Typing   <-chan string

	t        testing.TB
	srv      *httptest.Server
	reqs     chan Request
	typing   chan string
	identify chan map[string]any
	resume   chan map[string]any
	ids      atomic.Int64
	limited  atomic.Int32 // POSTs still to answer with 429
	closed   sync.Map     // DM channel IDs whose member takes no DMs from the bot

	mu   sync.Mutex // guards conn and seq: a websocket conn takes one writer
	conn *websocket.Conn
	seq  int

	holdMu sync.Mutex    // guards hold
	hold   chan struct{} // while set, READY and RESUMED wait for it to close
}

// New starts a fake Discord, closed when the test ends.
func New(t testing.TB) *Server {
	f := &Server{
		t: t, reqs: make(chan Request, 100), typing: make(chan string, 100),
		identify: make(chan map[string]any, 1), resume: make(chan map[string]any, 1),
	}
	f.Identify, f.Resume, f.Typing = f.identify, f.resume, f.typing
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
		req := Request{Method: r.Method, Path: r.URL.Path}
		if b, _ := io.ReadAll(r.Body); len(b) > 0 {
			if mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
				if err := req.readMultipart(b, params["boundary"]); err != nil {
					t.Errorf("discordtest: %s %s: multipart body: %v", r.Method, r.URL.Path, err)
				}
			} else if err := json.Unmarshal(b, &req.Body); err != nil {
				var list []any
				if json.Unmarshal(b, &list) == nil {
					req.Body = map[string]any{"list": list}
				}
			}
		}
		if cid, ok := strings.CutPrefix(req.Path, "/api/v9/channels/"); ok && r.Method == http.MethodPost &&
			strings.HasSuffix(cid, "/messages") {
			if _, closed := f.closed.Load(strings.TrimSuffix(cid, "/messages")); closed {
				// As Discord answers when the member allows no DMs from
				// server members, or blocked the bot.
				req.Method = "403 " + req.Method
				f.reqs <- req
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusForbidden)
				io.WriteString(w, `{"message": "Cannot send messages to this user", "code": 50007}`)
				return
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
			req.ID = strconv.FormatInt(f.ids.Add(1), 10)
		}
		f.reqs <- req
		f.respond(w, r, req)
	})
	f.srv = httptest.NewServer(mux)
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

// readMultipart reads a multipart body as Discord does: the JSON payload in
// payload_json and the files in files[n].
func (req *Request) readMultipart(b []byte, boundary string) error {
	mr := multipart.NewReader(bytes.NewReader(b), boundary)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return err
		}
		switch {
		case p.FormName() == "payload_json":
			if err := json.Unmarshal(data, &req.Body); err != nil {
				return fmt.Errorf("payload_json: %w", err)
			}
		case p.FileName() != "":
			req.Files = append(req.Files, File{Field: p.FormName(), Name: p.FileName(), ContentType: p.Header.Get("Content-Type"), Data: data})
		}
	}
}

// CloseDMs makes the member user refuse direct messages from the bot:
// opening the DM channel works, sending in it gets Discord's 403 with code
// 50007, recorded with the method "403 POST".
func (f *Server) CloseDMs(user string) { f.closed.Store(DMChannel(user), true) }

// RateLimit answers the next n POSTs with 429 and a short retry_after;
// they are recorded with the method "429 POST".
func (f *Server) RateLimit(n int) { f.limited.Store(int32(n)) }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// respond answers a recorded REST call as Discord would.
func (f *Server) respond(w http.ResponseWriter, r *http.Request, req Request) {
	seg := strings.Split(strings.TrimPrefix(req.Path, "/api/v9/"), "/")
	switch {
	case r.Method == http.MethodDelete, strings.HasSuffix(req.Path, "/callback"):
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPut && seg[0] == "applications":
		writeJSON(w, req.Body["list"])
	case seg[0] == "channels" && len(seg) == 5 && seg[4] == "threads":
		// The thread takes the message's ID with a 9 after it.
		writeJSON(w, map[string]any{"id": seg[3] + "9", "type": 11, "parent_id": seg[1], "name": req.Body["name"]})
	case seg[0] == "users" && len(seg) == 3 && seg[2] == "channels" && r.Method == http.MethodPost:
		// Opens (or finds) the DM channel with the recipient.
		user, _ := req.Body["recipient_id"].(string)
		writeJSON(w, map[string]any{"id": DMChannel(user), "type": 1, "recipients": []any{map[string]any{"id": user}}})
	case seg[0] == "channels" && r.Method == http.MethodPost:
		writeJSON(w, map[string]any{"id": req.ID, "channel_id": seg[1], "content": req.Body["content"], "attachments": attachments(req)})
	case seg[0] == "channels" && r.Method == http.MethodPatch:
		writeJSON(w, map[string]any{"id": seg[3], "channel_id": seg[1], "content": req.Body["content"]})
	case seg[0] == "webhooks" && r.Method == http.MethodPatch:
		id := seg[len(seg)-1]
		if id == "@original" {
			id = "orig" + seg[2]
		}
		writeJSON(w, map[string]any{"id": id, "channel_id": "200", "content": req.Body["content"]})
	case seg[0] == "webhooks" && r.Method == http.MethodPost:
		writeJSON(w, map[string]any{"id": req.ID, "channel_id": "200", "content": req.Body["content"], "attachments": attachments(req)})
	default:
		http.Error(w, `{"message": "unknown route", "code": 0}`, http.StatusNotFound)
	}
}

// attachments describes the files of a message as Discord returns them.
func attachments(req Request) []any {
	out := []any{}
	for i, f := range req.Files {
		out = append(out, map[string]any{"id": req.ID + strconv.Itoa(i), "filename": f.Name, "size": len(f.Data), "content_type": f.ContentType})
	}
	return out
}

// gateway speaks the gateway: HELLO, IDENTIFY or RESUME, READY or
// RESUMED, heartbeat ACKs.
func (f *Server) gateway(w http.ResponseWriter, r *http.Request) {
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
		f.held()
		f.sendOn(c, "READY", map[string]any{
			"v": 9, "session_id": "sess-1", "guilds": []any{},
			"user":        map[string]any{"id": BotID, "username": "docent", "bot": true},
			"application": map[string]any{"id": BotID},
		})
	case err == nil && id.Op == 6: // RESUME after a dropped connection
		f.resume <- id.D
		f.held()
		f.sendOn(c, "RESUMED", map[string]any{})
	default:
		f.t.Errorf("discordtest: gateway: want IDENTIFY or RESUME, got op %d, err %v", id.Op, err)
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
			f.writeOn(c, map[string]any{"op": 11})
		}
	}
}

// Hold makes the gateway, from now until release is called, wait after
// an IDENTIFY or RESUME before it answers READY or RESUMED: the adapter
// stays connecting, as with a slow gateway. Call release before the test
// ends.
func (f *Server) Hold() (release func()) {
	ch := make(chan struct{})
	f.holdMu.Lock()
	f.hold = ch
	f.holdMu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			f.holdMu.Lock()
			if f.hold == ch {
				f.hold = nil
			}
			f.holdMu.Unlock()
			close(ch)
		})
	}
}

// held waits while the gateway is held (Hold).
func (f *Server) held() {
	f.holdMu.Lock()
	h := f.hold
	f.holdMu.Unlock()
	if h != nil {
		<-h
	}
}

func (f *Server) write(v any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn == nil {
		f.t.Errorf("discordtest: gateway: no connection to write to")
		return
	}
	if err := f.conn.WriteJSON(v); err != nil {
		f.t.Errorf("discordtest: gateway: write: %v", err)
	}
}

// writeOn writes v on connection c, which answers its own client (one
// of several shards, say) whatever connected since.
func (f *Server) writeOn(c *websocket.Conn, v any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := c.WriteJSON(v); err != nil {
		f.t.Errorf("discordtest: gateway: write: %v", err)
	}
}

// sendOn is Send on connection c.
func (f *Server) sendOn(c *websocket.Conn, event string, d any) {
	f.mu.Lock()
	f.seq++
	s := f.seq
	f.mu.Unlock()
	f.writeOn(c, map[string]any{"op": 0, "s": s, "t": event, "d": d})
}

// Drop closes the gateway connection as a network failure would.
func (f *Server) Drop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn != nil {
		f.conn.Close()
	}
}

// Send dispatches a gateway event ("MESSAGE_CREATE") with data d. Call it
// after the adapter has identified (read Identify first).
func (f *Server) Send(event string, d any) {
	f.mu.Lock()
	f.seq++
	s := f.seq
	f.mu.Unlock()
	f.write(map[string]any{"op": 0, "s": s, "t": event, "d": d})
}

// Next returns the next REST call, which must be want
// ("POST /api/v9/channels/200/messages"); it fails the test after 5 s.
func (f *Server) Next(t testing.TB, want string) Request {
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
	return Request{}
}

// Any returns the next REST call, whatever it is; it fails the test after
// 5 s.
func (f *Server) Any(t testing.TB) Request {
	t.Helper()
	select {
	case r := <-f.reqs:
		return r
	case <-time.After(5 * time.Second):
		t.Fatalf("no REST call within 5s")
	}
	return Request{}
}

// NoMore fails the test if a REST call is pending.
func (f *Server) NoMore(t testing.TB) {
	t.Helper()
	select {
	case r := <-f.reqs:
		t.Fatalf("unexpected REST call %s (body %v)", r, r.Body)
	default:
	}
}

// CheckAllowed fails the test unless the message sent by r can ping only
// member: no @everyone, @here or roles, and no other user.
func CheckAllowed(t testing.TB, r Request, member string) {
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

// Drain returns the REST calls made so far that no Next has taken.
func (f *Server) Drain() []Request {
	var out []Request
	for {
		select {
		case r := <-f.reqs:
			out = append(out, r)
		default:
			return out
		}
	}
}
