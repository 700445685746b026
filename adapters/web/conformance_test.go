package web

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/chat/chattest"
)

// TestConformance runs the adapter conformance suite on the web chat over
// real HTTP: one browser (a cookie jar) loads the page, keeps its event
// stream open, sends messages and votes.
func TestConformance(t *testing.T) {
	chattest.TestAdapter(t, &harness{})
}

// harness is one browser on the web chat: what it received is what came
// down its event stream.
type harness struct {
	a      *Adapter
	base   string
	client *http.Client
	events chan streamed

	mu   sync.Mutex      // guards seen and read
	seen map[string]bool // answer IDs shown, to tell an edit from a new answer
	read uint64          // the last event read off the stream
}

// streamed is one event read off the stream.
type streamed struct {
	seq uint64
	s   shown
}

func (h *harness) Start(t *testing.T, in chat.Inbox) chattest.Adapter {
	h.base, h.a = startAdapter(t, in)
	jar, _ := cookiejar.New(nil)
	h.client = &http.Client{Jar: jar, Timeout: 10 * time.Second}
	h.seen = map[string]bool{}
	page, err := h.client.Get(h.base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	// The stream lasts the whole suite: no client timeout on it.
	stream := &http.Client{Jar: jar}
	res, err := stream.Get(h.base + "/chat/events")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	h.events = make(chan streamed, 256)
	go func() {
		defer close(h.events)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(nil, 1<<20)
		var seq uint64
		for sc.Scan() {
			l := sc.Text()
			if id, ok := strings.CutPrefix(l, "id: "); ok {
				seq, _ = strconv.ParseUint(id, 10, 64)
			}
			if data, ok := strings.CutPrefix(l, "data: "); ok {
				var s shown
				if json.Unmarshal([]byte(data), &s) == nil {
					h.events <- streamed{seq, s}
				}
			}
		}
	}()
	return h.a
}

func (h *harness) post(t *testing.T, path string, body any, want int) {
	b, _ := json.Marshal(body)
	res, err := h.client.Post(h.base+path, "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != want {
		t.Fatalf("POST %s: %s, want %d", path, res.Status, want)
	}
}

// visitor is the browser's visitor on the server: the only one.
func (h *harness) visitor(t *testing.T) *visitor {
	h.a.mu.Lock()
	defer h.a.mu.Unlock()
	for _, v := range h.a.visitors {
		return v
	}
	t.Fatal("the web chat has no visitor")
	return nil
}

func (h *harness) Ask(t *testing.T, text string) string {
	h.post(t, "/chat/send", map[string]string{"text": text}, http.StatusAccepted)
	return h.visitor(t).conversation().String()
}

func (h *harness) Vote(t *testing.T, p chattest.Post, v chat.Vote) {
	h.post(t, "/chat/feedback", map[string]any{"answer_id": p.ID, "vote": int(v)}, http.StatusOK)
}

// Received reads the event stream up to the last event the server showed
// the visitor. Every answer goes to the visitor's page alone, and nothing
// on a page notifies anybody.
func (h *harness) Received(t *testing.T) []chattest.Post {
	h.a.mu.Lock()
	var v *visitor
	for _, x := range h.a.visitors {
		v = x
	}
	h.a.mu.Unlock()
	if v == nil {
		return nil // nothing asked yet, nothing shown
	}
	v.mu.Lock()
	var last uint64
	if len(v.events) > 0 {
		last = v.events[len(v.events)-1].seq
	}
	v.mu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []chattest.Post
	for h.read < last {
		select {
		case e, ok := <-h.events:
			if !ok {
				t.Fatal("the event stream ended")
			}
			h.read = e.seq
			p := chattest.Post{Op: chattest.Sent, ID: e.s.ID, Text: e.s.HTML, In: v.conversation().String(), Only: v.id}
			if h.seen[e.s.ID] {
				p.Op = chattest.Edited
			}
			h.seen[e.s.ID] = true
			out = append(out, p)
		case <-time.After(10 * time.Second):
			t.Fatalf("event %d did not come down the stream within 10s", last)
		}
	}
	return out
}
