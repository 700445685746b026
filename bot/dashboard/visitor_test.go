package dashboard

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/adapters/web"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// shownAnswer is an answer as the chat page receives it.
type shownAnswer struct {
	ID    string     `json:"id"`
	HTML  string     `json:"html"`
	Draft bool       `json:"draft"`
	File  *chat.File `json:"file"`
}

// chatPage is one visitor's browser: a cookie jar and the page's event stream.
type chatPage struct {
	t      *testing.T
	s      *server
	c      *http.Client
	events chan shownAnswer
}

// openPage loads the chat page and opens its event stream, as a browser
// does; with cookie set the browser first holds that visitor cookie.
func (s *server) openPage(t *testing.T, cookie string) *chatPage {
	t.Helper()
	c := newClient()
	c.Timeout = 0 // the event stream lasts the test
	if cookie != "" {
		u, _ := url.Parse(s.base)
		c.Jar.SetCookies(u, []*http.Cookie{{Name: "docent_visitor", Value: cookie, Path: "/"}})
	}
	if code, _ := get(t, c, s.base+"/"); code != http.StatusOK {
		t.Fatalf("chat page: %d", code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", s.base+"/chat/events", nil)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	p := &chatPage{t: t, s: s, c: c, events: make(chan shownAnswer, 100)}
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var a shownAnswer
				if json.Unmarshal([]byte(data), &a) == nil && !a.Draft {
					p.events <- a
				}
			}
		}
	}()
	return p
}

// cookie is the visitor cookie the browser holds.
func (p *chatPage) cookie() string {
	u, _ := url.Parse(p.s.base)
	for _, c := range p.c.Jar.Cookies(u) {
		if c.Name == "docent_visitor" {
			return c.Value
		}
	}
	return ""
}

// say sends text and returns the answer shown.
func (p *chatPage) say(text string) shownAnswer {
	p.t.Helper()
	body, _ := json.Marshal(map[string]string{"text": text})
	res, err := p.c.Post(p.s.base+"/chat/send", "application/json", bytes.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		p.t.Fatalf("send %q: %s", text, res.Status)
	}
	select {
	case a := <-p.events:
		return a
	case <-time.After(20 * time.Second):
		p.t.Fatalf("no answer to %q within 20s", text)
	}
	return shownAnswer{}
}

// webChannels are the web conversations stored, by channel.
func (s *server) webChannels(t *testing.T) []string {
	t.Helper()
	convs, err := s.bot.Store().Conversations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, cv := range convs {
		if cv.Conversation.Platform == web.Platform {
			out = append(out, cv.Conversation.Channel)
		}
	}
	return out
}

// TestVisitorIDGivesNothingOfTheirs: a visitor's public ID (what the
// history and the dashboard show) set as another browser's cookie gives
// that browser a new visitor: `!export me` there holds nothing of the
// first visitor's.
func TestVisitorIDGivesNothingOfTheirs(t *testing.T) {
	s := startServer(t, Options{})
	victim := s.openPage(t, "")
	victim.say("my database backup fails, how do I fix the backups?")
	chans := s.webChannels(t)
	if len(chans) != 1 {
		t.Fatalf("web conversations: %v, want one", chans)
	}
	id := chans[0]
	if strings.Contains(victim.cookie(), id) {
		t.Errorf("the visitor's cookie %q holds its public ID %q", victim.cookie(), id)
	}

	thief := s.openPage(t, id)
	if thief.cookie() == id {
		t.Error("the server kept a cookie it never issued")
	}
	exp := thief.say("!export me")
	if exp.File == nil {
		t.Fatalf("export: %+v, want a file", exp)
	}
	var data store.MemberData
	if err := json.Unmarshal(exp.File.Data, &data); err != nil {
		t.Fatal(err)
	}
	if data.Member.ID == id || strings.Contains(string(exp.File.Data), "backup") || len(data.Messages) != 1 {
		t.Errorf("the export for a browser holding the victim's ID as cookie:\n%s", exp.File.Data)
	}
}

// TestWebForgetLeavesNothing: `!forget me` from the web chat, then
// `docent compact`: nothing in the database file names the visitor, by
// public ID or by cookie, and the answer saying so does not either.
func TestWebForgetLeavesNothing(t *testing.T) {
	s := startServer(t, Options{})
	other := s.openPage(t, "")
	other.say("hello")
	before := s.webChannels(t)
	v := s.openPage(t, "")
	v.say("hello")
	v.say("how do I install it")
	v.say("qwerty zxcv frobnicate")
	after := s.webChannels(t)
	if len(before) != 1 || len(after) != 2 {
		t.Fatalf("web conversations: %v, then %v", before, after)
	}
	id := after[0]
	if id == before[0] {
		id = after[1]
	}
	cookie := v.cookie()
	v.say("!forget me")
	done := v.say("!forget me confirm")
	if !strings.Contains(done.HTML, "Done") || strings.Contains(done.HTML, id) {
		t.Errorf("forget me confirm: %q", done.HTML)
	}
	s.stop()
	db := filepath.Join(s.dir, "docent.db")
	if _, err := store.CompactFile(db, 0); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	for what, needle := range map[string]string{"public ID": id, "cookie": cookie, "cookie's nonce": cookie[:64]} {
		if i := bytes.Index(file, []byte(needle)); i >= 0 {
			t.Errorf("the compacted database holds the visitor's %s at byte %d: %q", what, i, file[max(0, i-40):min(len(file), i+len(needle)+40)])
		}
	}
	if !bytes.Contains(file, []byte("hello")) {
		t.Error("the other visitor's message went too")
	}
}
