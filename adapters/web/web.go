// Package web is the browser chat adapter: a page where a visitor talks to
// Docent like a member, with answers streamed over server-sent events,
// Markdown rendered on the server and sanitised, and 👍/👎 on every
// answer. It serves the chat only: the dashboard, health and metrics are
// on the bot's ops listener.
package web

import (
	"container/list"
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/internal/httpserve"
)

// Platform is the platform name of web conversations.
const Platform = "web"

//go:embed assets
var assets embed.FS

// Options set how the web chat runs.
type Options struct {
	Log *slog.Logger
	// BotName titles the page.
	BotName string
	// Optional makes a failure to listen (the port is taken) a logged
	// warning instead of an error that stops Docent: for the local
	// try-out, where the console must work regardless.
	Optional bool
	// OnListen, when set, hears the address served once listening (for
	// a listen address with port 0).
	OnListen func(addr net.Addr)
	// ShutdownTimeout bounds the wait for requests in flight at shutdown;
	// 0 means 5s.
	ShutdownTimeout time.Duration
	// Key signs the visitors' cookies and derives their public IDs from
	// them: with the same key (Docent keeps one in its database) a
	// visitor's conversation goes on after a restart. Nil means a random
	// key for this process only. Replicas behind one load balancer must
	// share it (the bot's is kept in the shared database).
	Key []byte
	// Relay, when set, carries each visitor's answers between replicas
	// behind a load balancer: a message posted to one replica is answered
	// there, and the page's event stream, served by another, reads the
	// answers from the relay; a vote is taken by any replica. Nil keeps
	// them in this process (one Docent, or sticky sessions).
	Relay Relay
	// RelayPoll is how often an event stream asks the relay for answers
	// given by other replicas; 0 means 1s.
	RelayPoll time.Duration
}

// A Relay keeps each visitor's answers where every replica reads them
// (the bot's: a bucket of the shared database).
type Relay interface {
	// Publish keeps an event of visitor's page, showing answer answerID,
	// and returns its number: above every number the visitor's events had
	// and above Start's when it was called.
	Publish(ctx context.Context, visitor, answerID string, data []byte) (uint64, error)
	// After returns visitor's events numbered above seq, in order.
	After(ctx context.Context, visitor string, seq uint64) ([]RelayEvent, error)
	// Sent reports whether answerID was sent to visitor, by any replica.
	Sent(ctx context.Context, visitor, answerID string) (bool, error)
	// Start is the number a page that opens now starts after: it sees
	// the events published from now on.
	Start() uint64
}

// RelayEvent is one event a Relay kept: its number and its JSON.
type RelayEvent struct {
	Seq  uint64
	Data []byte
}

// Adapter serves the web chat.
type Adapter struct {
	cfg    Config
	opts   Options
	log    *slog.Logger
	render *Renderer

	connected atomic.Bool
	seq       atomic.Uint64 // event numbers, for Last-Event-ID

	sessions sessions

	// mu guards visitors, recent, watching, and each visitor's elem and
	// streams. Lock order: mu, then a visitor's mu.
	mu sync.Mutex
	// visitors are those who sent a message, by public ID; recent orders
	// them most recently used first, to evict the least recently used.
	visitors map[string]*visitor
	recent   list.List
	// watching are visitors with an event stream open and no entry in
	// visitors (none sent a message yet, or it was evicted): they last as
	// long as their connections.
	watching map[string]*visitor
	backlog  atomic.Int64  // bytes of events kept for reconnecting pages, all visitors
	stopping chan struct{} // closed when the server shuts down: event streams end
	stopOnce sync.Once
}

// Limits on what visitors can make the server keep. A visitor costs
// nothing until it sends a message (a page load only sets a cookie);
// beyond these the least recently used visitor is forgotten: its
// conversation stays in the database and goes on when it writes again,
// only the events kept for a reconnecting page and the answers it may
// still vote on are gone.
const (
	maxVisitors     = 10000
	visitorIdle     = 24 * time.Hour
	maxBacklog      = 200     // events kept per visitor for a reconnecting page
	maxBacklogBytes = 1 << 20 // and their bytes (the newest event is always kept)
	maxBacklogTotal = 64 << 20
	maxAnswersKnown = 1000
	maxBodyBytes    = 64 << 10
	heartbeat       = 25 * time.Second
)

// New returns a web chat adapter.
func New(cfg Config, opts Options) *Adapter {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.BotName == "" {
		opts.BotName = "Docent"
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 5 * time.Second
	}
	if opts.RelayPoll <= 0 {
		opts.RelayPoll = time.Second
	}
	key := opts.Key
	if len(key) == 0 {
		key = make([]byte, 32)
		rand.Read(key)
	}
	return &Adapter{cfg: cfg, opts: opts, log: opts.Log, render: NewRenderer(), sessions: sessions{key: key},
		visitors: map[string]*visitor{}, watching: map[string]*visitor{}, stopping: make(chan struct{})}
}

// Name is the adapter's name in logs.
func (a *Adapter) Name() string { return Platform }

// Connected reports whether the server is listening (for /readyz).
func (a *Adapter) Connected() bool { return a.connected.Load() }

// Run serves the chat until ctx is done, then stops taking requests and
// waits (up to Options.ShutdownTimeout) for those in flight.
func (a *Adapter) Run(ctx context.Context, inbox chat.Inbox) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", a.cfg.Listen)
	if err != nil {
		err = fmt.Errorf("listen on %s (adapters.web.listen): %w", a.cfg.Listen, err)
		if a.opts.Optional {
			a.log.Warn("web chat not started; the console still works", "err", err)
			return nil
		}
		return err
	}
	hs := &http.Server{
		Handler:           a.Handler(inbox),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	hs.RegisterOnShutdown(a.stopStreams) // the event streams end at Stop
	srv := httpserve.Start(hs, ln, httpserve.Options{Drain: a.opts.ShutdownTimeout})
	a.connected.Store(true)
	defer a.connected.Store(false)
	a.log.Info("web chat listening", "url", "http://"+ln.Addr().String()+"/")
	if a.opts.OnListen != nil {
		a.opts.OnListen(ln.Addr())
	}
	select {
	case <-srv.Failed():
		return fmt.Errorf("serve the web chat on %s: %w", ln.Addr(), srv.Err())
	case <-ctx.Done():
	}
	if err := errors.Join(srv.Stop(), srv.Err()); err != nil {
		return fmt.Errorf("shut down the web server on %s: %w", ln.Addr(), err)
	}
	return nil
}

func (a *Adapter) stopStreams() { a.stopOnce.Do(func() { close(a.stopping) }) }

// Stylesheet serves the stylesheet the chat links at /static/style.css,
// which the admin dashboard links too: it is served on the ops listener,
// another address.
func Stylesheet() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, assets, "assets/style.css")
	})
}

// Handler is the chat's HTTP handler, delivering to inbox.
func (a *Adapter) Handler(inbox chat.Inbox) http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets") // a literal path of the embed: cannot fail
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", a.page)
	mux.HandleFunc("GET /chat/events", a.events)
	mux.HandleFunc("POST /chat/send", func(w http.ResponseWriter, r *http.Request) { a.send(w, r, inbox) })
	mux.HandleFunc("POST /chat/feedback", func(w http.ResponseWriter, r *http.Request) { a.feedback(w, r, inbox) })
	// Requests from other sites (a form elsewhere posting here) are refused.
	return securityHeaders(http.NewCrossOriginProtection().Handler(mux))
}

// securityHeaders forbid inline scripts and framing, whatever a page holds.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

func (a *Adapter) page(w http.ResponseWriter, r *http.Request) {
	a.sessions.visitorID(w, r) // a cookie, and nothing kept until it writes
	page, err := assets.ReadFile("assets/chat.html")
	if err != nil {
		http.Error(w, "web: chat page missing from the binary", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(strings.ReplaceAll(string(page), "{{BOT}}", htmlEscape(a.opts.BotName))))
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// visitor is one browser (a cookie): its own conversation with Docent.
type visitor struct {
	id      string        // public: the conversation's channel and the member's ID
	backlog *atomic.Int64 // the adapter's count of bytes kept, all visitors

	elem    *list.Element // in Adapter.recent; nil when not in Adapter.visitors (guarded by Adapter.mu)
	streams int           // event streams open (guarded by Adapter.mu)

	mu      sync.Mutex // guards the fields below
	events  []event
	bytes   int           // of events' data
	wake    chan struct{} // closed and replaced when an event is added
	answers map[string]bool
	order   []string // answers in the order sent, to forget the oldest
	seen    time.Time
	dropped bool // forgotten by the adapter: events pushed now go nowhere
}

// event is one thing the page shows: an answer, or a change to one.
type event struct {
	seq  uint64
	data []byte // JSON
}

func (a *Adapter) newVisitor(id string) *visitor {
	return &visitor{id: id, backlog: &a.backlog, wake: make(chan struct{}), answers: map[string]bool{}, seen: time.Now()}
}

// talker returns the visitor that is sending a message, making its entry
// if it has none, and evicts the least recently used beyond the limits.
func (a *Adapter) talker(id string) *visitor {
	a.mu.Lock()
	defer a.mu.Unlock()
	v := a.visitors[id]
	switch {
	case v != nil:
		a.recent.MoveToFront(v.elem)
	case a.watching[id] != nil:
		v = a.watching[id]
		delete(a.watching, id)
	default:
		v = a.newVisitor(id)
	}
	if v.elem == nil {
		v.elem = a.recent.PushFront(v)
		a.visitors[id] = v
	}
	v.touch()
	a.evictLocked(v)
	return v
}

// evictLocked forgets the least recently used visitors while there are
// too many, they hold too many bytes, or they have been idle too long;
// keep is not evicted. Called with a.mu held.
func (a *Adapter) evictLocked(keep *visitor) {
	for a.recent.Len() > 0 {
		old := a.recent.Back().Value.(*visitor)
		if old == keep || (a.recent.Len() <= maxVisitors && a.backlog.Load() <= maxBacklogTotal && old.idle() <= visitorIdle) {
			return
		}
		a.recent.Remove(old.elem)
		old.elem = nil
		delete(a.visitors, old.id)
		if old.streams > 0 {
			// A page still connected goes on hearing its answers; only
			// the backlog for a reconnect goes.
			a.watching[old.id] = old
			old.drop(false)
		} else {
			old.drop(true)
		}
	}
}

// watch returns the visitor an event stream is for, without making an
// entry in the visitors table: one that has not written lasts as long as
// its streams. unwatch undoes it.
func (a *Adapter) watch(id string) *visitor {
	a.mu.Lock()
	defer a.mu.Unlock()
	v := a.visitors[id]
	switch {
	case v != nil:
		a.recent.MoveToFront(v.elem)
		v.touch()
	case a.watching[id] != nil:
		v = a.watching[id]
	default:
		v = a.newVisitor(id)
		a.watching[id] = v
	}
	v.streams++
	return v
}

func (a *Adapter) unwatch(v *visitor) {
	a.mu.Lock()
	defer a.mu.Unlock()
	v.streams--
	if v.streams == 0 && v.elem == nil && a.watching[v.id] == v {
		delete(a.watching, v.id)
		v.drop(true)
	}
}

// known returns the visitor's entry, if it has one.
func (a *Adapter) known(id string) *visitor {
	a.mu.Lock()
	defer a.mu.Unlock()
	if v := a.visitors[id]; v != nil {
		return v
	}
	return a.watching[id]
}

// secureRequest says whether the browser reached us over HTTPS (directly
// or through a proxy), so that cookies must be Secure.
func secureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (v *visitor) touch() {
	v.mu.Lock()
	v.seen = time.Now()
	v.mu.Unlock()
}

func (v *visitor) idle() time.Duration {
	v.mu.Lock()
	defer v.mu.Unlock()
	return time.Since(v.seen)
}

// drop lets go of the events kept for a reconnecting page; with gone set
// the visitor is forgotten altogether and pushes to it go nowhere.
func (v *visitor) drop(gone bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.backlog.Add(-int64(v.bytes))
	v.events, v.bytes = nil, 0
	if gone {
		v.dropped = true
		v.answers, v.order = nil, nil
	}
}

func (v *visitor) conversation() chat.Conversation {
	return chat.Conversation{Platform: Platform, Channel: v.id}
}

func (v *visitor) member() chat.Member {
	return chat.Member{ID: v.id, Name: "visitor-" + v.id[:6]}
}

// push adds an event and wakes the page's stream.
func (v *visitor) push(e event, answerID string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.dropped {
		return
	}
	v.events = append(v.events, e)
	added := len(e.data)
	for len(v.events) > 1 && (len(v.events) > maxBacklog || v.bytes+added > maxBacklogBytes) {
		added -= len(v.events[0].data)
		v.events = v.events[1:]
	}
	v.bytes += added
	v.backlog.Add(int64(added))
	if answerID != "" && !v.answers[answerID] {
		v.answers[answerID] = true
		v.order = append(v.order, answerID)
		if len(v.order) > maxAnswersKnown {
			delete(v.answers, v.order[0])
			v.order = v.order[1:]
		}
	}
	close(v.wake)
	v.wake = make(chan struct{})
}

// after returns the events after seq and a channel closed at the next one.
func (v *visitor) after(seq uint64) ([]event, <-chan struct{}) {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []event
	for _, e := range v.events {
		if e.seq > seq {
			out = append(out, e)
		}
	}
	return out, v.wake
}

func (v *visitor) sentAnswer(id string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.answers[id]
}

// events streams the visitor's answers as server-sent events until the
// page goes away or the server stops.
func (a *Adapter) events(w http.ResponseWriter, r *http.Request) {
	v := a.watch(a.sessions.visitorID(w, r))
	defer a.unwatch(v)
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	// A reconnecting page resumes after the last event it saw; a new page
	// starts with what is sent from now on.
	last := a.seq.Load()
	relay := a.opts.Relay
	var poll <-chan time.Time
	if relay != nil {
		last = relay.Start()
		t := time.NewTicker(a.opts.RelayPoll)
		defer t.Stop()
		poll = t.C
	}
	if id, err := strconv.ParseUint(r.Header.Get("Last-Event-ID"), 10, 64); err == nil {
		last = id
	}
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		evs, wake := v.after(last)
		if relay != nil {
			// The relay has every replica's events, this one's too; wake
			// was taken first, so none published meanwhile is missed.
			evs = nil
			kept, err := relay.After(r.Context(), v.id, last)
			if err != nil && r.Context().Err() == nil {
				a.log.Warn("web: could not read the answers other replicas gave; trying again", "visitor", v.id, "err", err)
			}
			for _, e := range kept {
				evs = append(evs, event{seq: e.Seq, data: e.Data})
			}
		}
		for _, e := range evs {
			if _, err := fmt.Fprintf(w, "id: %d\nevent: answer\ndata: %s\n\n", e.seq, e.data); err != nil {
				return
			}
			last = e.seq
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-wake:
		case <-poll:
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
		case <-r.Context().Done():
			return
		case <-a.stopping:
			return
		}
	}
}

// readJSON decodes a small JSON body into dst, answering 400 when it
// cannot.
func readJSON(w http.ResponseWriter, r *http.Request, dst any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := json.NewDecoder(r.Body).Decode(dst); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "web: the request body is not the JSON expected: " + err.Error()})
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// send takes a visitor's message to the bot; the answer comes as an event.
func (a *Adapter) send(w http.ResponseWriter, r *http.Request, inbox chat.Inbox) {
	id := a.sessions.visitorID(w, r)
	var in struct {
		Text string `json:"text"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	if strings.TrimSpace(in.Text) == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "web: the message is empty"})
		return
	}
	v := a.talker(id)
	m := chat.Message{Conversation: v.conversation(), Author: v.member(), Text: in.Text, Time: time.Now(), Direct: true}
	if err := inbox.Deliver(r.Context(), m, &responder{a: a, v: v}); err != nil && !errors.Is(err, chat.ErrBusy) {
		// (Busy: the message is stored and the notice comes as an answer.)
		a.log.Warn("web message not taken", "conversation", m.Conversation.String(), "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "Sorry, I could not take that message: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]bool{"ok": true})
}

// feedback stores a 👍/👎 on one of the answers this visitor was sent.
func (a *Adapter) feedback(w http.ResponseWriter, r *http.Request, inbox chat.Inbox) {
	id := a.sessions.visitorID(w, r)
	v := a.known(id)
	var in struct {
		AnswerID string `json:"answer_id"`
		Vote     int    `json:"vote"`
		Reason   string `json:"reason"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	if in.Vote < -1 || in.Vote > 1 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("web: vote must be -1, 0 or 1, not %d", in.Vote)})
		return
	}
	sent := v != nil && v.sentAnswer(in.AnswerID)
	if !sent && a.opts.Relay != nil { // given by another replica?
		var err error
		if sent, err = a.opts.Relay.Sent(r.Context(), id, in.AnswerID); err != nil {
			a.log.Warn("web: could not check which replica sent an answer", "answer", in.AnswerID, "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "Sorry, I could not check that answer: " + err.Error()})
			return
		}
	}
	if !sent {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("web: answer %q was not sent to you", in.AnswerID)})
		return
	}
	fi, ok := inbox.(chat.FeedbackInbox)
	if !ok {
		writeJSON(w, http.StatusNotImplemented, map[string]string{"error": "web: this Docent does not take votes"})
		return
	}
	if v == nil {
		v = &visitor{id: id}
	}
	f := chat.Feedback{Conversation: v.conversation(), AnswerID: in.AnswerID, Member: v.member(),
		Vote: chat.Vote(in.Vote), Reason: in.Reason, Time: time.Now()}
	if err := fi.Feedback(r.Context(), f); err != nil {
		a.log.Warn("web vote not stored", "answer", in.AnswerID, "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "Sorry, I could not store your vote: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// shown is an answer as the page receives it.
type shown struct {
	ID        string      `json:"id"`
	HTML      string      `json:"html"`
	Source    chat.Source `json:"source"`
	Intent    string      `json:"intent,omitempty"`
	Draft     bool        `json:"draft,omitempty"`
	Votable   bool        `json:"votable,omitempty"`
	Ephemeral bool        `json:"ephemeral,omitempty"`
	File      *chat.File  `json:"file,omitempty"`
}

// responder shows the answers to one message on the visitor's page.
// Every answer, private ones included, goes to this visitor only.
type responder struct {
	a *Adapter
	v *visitor
}

func (r *responder) Reply(ctx context.Context, ans chat.Answer) (chat.Sent, error) {
	var b [6]byte
	rand.Read(b[:])
	sent := chat.Sent{ID: "w" + strconv.FormatUint(r.a.seq.Add(1), 10) + "-" + hex.EncodeToString(b[:]), Time: time.Now()}
	return sent, r.show(ctx, sent, ans)
}

// Edit changes an answer already shown (a streamed answer growing).
func (r *responder) Edit(ctx context.Context, sent chat.Sent, ans chat.Answer) error {
	return r.show(ctx, sent, ans)
}

func (r *responder) show(ctx context.Context, sent chat.Sent, ans chat.Answer) error {
	s := shown{ID: sent.ID, HTML: r.a.render.HTML(ans.Text), Source: ans.Source, Intent: ans.Intent, Draft: ans.Draft,
		Ephemeral: ans.Ephemeral, File: ans.File}
	s.Votable = !ans.Draft && !ans.Ephemeral && ans.Source != chat.SourceCommand && ans.Source != chat.SourceError
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("web: encode answer for %s: %w", r.v.conversation(), err)
	}
	seq := r.a.seq.Add(1)
	if relay := r.a.opts.Relay; relay != nil {
		if seq, err = relay.Publish(ctx, r.v.id, sent.ID, data); err != nil {
			return fmt.Errorf("web: keep the answer for %s where every replica reads it: %w", r.v.conversation(), err)
		}
	}
	r.v.push(event{seq: seq, data: data}, sent.ID) // wakes this replica's streams
	return nil
}
