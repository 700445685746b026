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
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
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

// DMChannel is the ID of the direct message channel conversations.open
// opens with user.
func DMChannel(user string) string { return "D" + user }

// Upload is one file uploaded the way files.uploadV2 does: an upload URL
// from files.getUploadURLExternal, the bytes posted to it, and
// files.completeUploadExternal sharing the file in a channel.
type Upload struct {
	ID string
	// Filename and Length are what files.getUploadURLExternal was told.
	Filename string
	Length   int
	// Name is the multipart file name of the bytes posted to the upload
	// URL, Data the bytes.
	Name string
	Data []byte
	// Title, Channel, ThreadTS and InitialComment are what
	// files.completeUploadExternal was told; Completed that it was called.
	Title, Channel, ThreadTS, InitialComment string
	Completed                                bool
}

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

	mu    sync.Mutex // guards calls, ts, groupsErr, limited, failing, uploads, users
	calls []Call
	ts    int
	// failing maps a method to the error it answers with.
	failing map[string]string
	uploads []*Upload
	// groupsErr, when set, is usergroups.list's error ("missing_scope").
	groupsErr string
	// limited is how many chat.postMessage calls still get a 429.
	limited int
	// users answers users.info: ID → display name.
	users map[string]string
	// holds make users.info for a member wait until closed.
	holds map[string]chan struct{}
	// spread, when set, takes the Socket Mode connections (Spread).
	spread *Spreader
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
	mux.HandleFunc("POST /upload/{id}", f.upload)
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
	failed := f.failing[c.Method]
	name, known := f.users[r.Form.Get("user")]
	hold := f.holds[r.Form.Get("user")]
	f.mu.Unlock()
	if c.Method == "users.info" && hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	if failed != "" {
		writeJSON(w, map[string]any{"ok": false, "error": failed})
		return
	}
	switch c.Method {
	case "auth.test":
		reply(w, map[string]any{"user_id": BotUserID, "user": "docent", "team": "Test", "team_id": "T1"})
	case "chat.postMessage", "chat.delete":
		reply(w, map[string]any{"channel": r.Form.Get("channel"), "ts": ts})
	case "chat.update":
		reply(w, map[string]any{"channel": r.Form.Get("channel"), "ts": r.Form.Get("ts"), "text": r.Form.Get("text")})
	case "conversations.replies":
		reply(w, map[string]any{"messages": f.replies(r.Form.Get("channel"), r.Form.Get("ts"), r.Form.Get("include_all_metadata") == "1"), "has_more": false})
	case "chat.postEphemeral":
		reply(w, map[string]any{"message_ts": ts})
	case "conversations.open":
		users := r.Form.Get("users")
		if users == "" {
			writeJSON(w, map[string]any{"ok": false, "error": "users_list_not_supplied"})
			return
		}
		if strings.Contains(users, ",") {
			writeJSON(w, map[string]any{"ok": false, "error": "not_implemented_in_fake: group DMs"})
			return
		}
		reply(w, map[string]any{"channel": map[string]any{"id": DMChannel(users), "is_im": true, "user": users}})
	case "files.getUploadURLExternal":
		f.getUploadURL(w, r)
	case "files.completeUploadExternal":
		f.completeUpload(w, r)
	case "users.info":
		if !known {
			writeJSON(w, map[string]any{"ok": false, "error": "user_not_found"})
			return
		}
		id := r.Form.Get("user")
		reply(w, map[string]any{"user": map[string]any{"id": id, "name": strings.ToLower(name), "real_name": name + " Real",
			"profile": map[string]any{"display_name": name, "real_name": name + " Real"}}})
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

// replies is a thread as conversations.replies gives it: the bot's posts
// in it (the fake keeps no member's messages), with their metadata when
// asked for.
func (f *Server) replies(channel, ts string, metadata bool) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for _, c := range f.calls {
		if c.Method != "chat.postMessage" || c.Get("channel") != channel || c.Get("thread_ts") != ts {
			continue
		}
		m := map[string]any{"type": "message", "user": BotUserID, "bot_id": "B1", "ts": c.TS, "thread_ts": ts, "text": c.Get("text")}
		var meta map[string]any
		if metadata && json.Unmarshal([]byte(c.Get("metadata")), &meta) == nil {
			m["metadata"] = meta
		}
		out = append(out, m)
	}
	return out
}

// getUploadURL answers files.getUploadURLExternal with an upload URL on
// the fake itself, which slack-go accepts because it is the API's host.
func (f *Server) getUploadURL(w http.ResponseWriter, r *http.Request) {
	name := r.Form.Get("filename")
	length, err := strconv.Atoi(r.Form.Get("length"))
	if name == "" || err != nil || length <= 0 {
		writeJSON(w, map[string]any{"ok": false, "error": "missing_argument"})
		return
	}
	f.mu.Lock()
	u := &Upload{ID: fmt.Sprintf("F%08d", len(f.uploads)+1), Filename: name, Length: length}
	f.uploads = append(f.uploads, u)
	f.mu.Unlock()
	reply(w, map[string]any{"upload_url": f.srv.URL + "/upload/" + u.ID, "file_id": u.ID})
}

// upload takes a file's bytes posted to its upload URL, as multipart form
// data (as slack-go sends them) or raw bytes, as Slack's file service does.
func (f *Server) upload(w http.ResponseWriter, r *http.Request) {
	var name string
	var data []byte
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				http.Error(w, "bad multipart body: "+err.Error(), http.StatusBadRequest)
				return
			}
			if p.FileName() == "" {
				continue
			}
			name = p.FileName()
			if data, err = io.ReadAll(p); err != nil {
				http.Error(w, "bad multipart body: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
	} else {
		var err error
		if data, err = io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.upload1(r.PathValue("id"))
	switch {
	case u == nil:
		http.Error(w, "no such upload", http.StatusNotFound)
		return
	case u.Completed || u.Data != nil:
		http.Error(w, "already uploaded", http.StatusBadRequest)
		return
	}
	u.Name, u.Data = name, data
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "OK - %d", len(data))
}

// completeUpload answers files.completeUploadExternal: every file must
// have been uploaded, with the length announced.
func (f *Server) completeUpload(w http.ResponseWriter, r *http.Request) {
	var files []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(r.Form.Get("files")), &files); err != nil || len(files) == 0 {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_arguments"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for _, file := range files {
		u := f.upload1(file.ID)
		if u == nil || u.Data == nil || u.Completed {
			writeJSON(w, map[string]any{"ok": false, "error": "file_not_found"})
			return
		}
		// The fake's own strictness: Slack does not document its answer
		// to bytes of another length than announced.
		if len(u.Data) != u.Length {
			writeJSON(w, map[string]any{"ok": false, "error": "file_upload_size_mismatch"})
			return
		}
	}
	for _, file := range files {
		u := f.upload1(file.ID)
		u.Completed = true
		u.Title, u.Channel, u.ThreadTS, u.InitialComment = file.Title, r.Form.Get("channel_id"), r.Form.Get("thread_ts"), r.Form.Get("initial_comment")
		out = append(out, map[string]any{"id": u.ID, "title": u.Title})
	}
	reply(w, map[string]any{"files": out})
}

// upload1 finds an upload by its file ID; f.mu is held.
func (f *Server) upload1(id string) *Upload {
	for _, u := range f.uploads {
		if u.ID == id {
			return u
		}
	}
	return nil
}

// Uploads returns the files uploaded so far, completed or not.
func (f *Server) Uploads() []Upload {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Upload, len(f.uploads))
	for i, u := range f.uploads {
		out[i] = *u
	}
	return out
}

// Fail makes method answer with {"ok": false, "error": slackError}
// ("missing_scope"); "" makes it work again. The calls are still recorded.
func (f *Server) Fail(method, slackError string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failing == nil {
		f.failing = map[string]string{}
	}
	f.failing[method] = slackError
}

// socket speaks Socket Mode: hello, pings, and acknowledgements read.
func (f *Server) socket(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	c, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	f.mu.Lock()
	spread := f.spread
	f.mu.Unlock()
	c.WriteJSON(map[string]any{"type": "hello", "num_connections": 1, "connection_info": map[string]any{"app_id": "A1"}})
	if spread == nil {
		f.conns <- c
	}
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
	if spread != nil {
		spread.serve(c)
		return
	}
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

// SetUser makes users.info know the member id, with their display name;
// it answers user_not_found for others.
func (f *Server) SetUser(id, displayName string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.users == nil {
		f.users = map[string]string{}
	}
	f.users[id] = displayName
}

// HoldUser makes users.info about the member wait until release is
// called (or the test ends): a slow Slack.
func (f *Server) HoldUser(t testing.TB, id string) (release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.holds == nil {
		f.holds = map[string]chan struct{}{}
	}
	ch := make(chan struct{})
	f.holds[id] = ch
	var once sync.Once
	release = func() { once.Do(func() { close(ch) }) }
	t.Cleanup(release)
	return release
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

// All returns every recorded call, of every method, in order.
func (f *Server) All() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
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
