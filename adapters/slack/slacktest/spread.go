package slacktest

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Spreader is Socket Mode as Slack runs it for an app with several
// connections (up to 10, one per replica of a bot): each event goes to one
// of the open connections, and an envelope not acknowledged within a
// while is sent again, with its retry attempt counted, to another one
// where there is another (Slack's own retries reach any connection).
//
// Once a Server spreads (Spread), its Socket Mode connections are the
// Spreader's: they are not sent on Conns and their acknowledgements not on
// Acks.
type Spreader struct {
	resendAfter time.Duration
	stop        chan struct{}

	mu      sync.Mutex // guards everything below
	sockets []*socket  // every connection made, in order
	events  map[string]*spreadEvent
	byEnv   map[string]*spreadEvent // envelope ID → its event
	order   []*spreadEvent
	next    int // the connection the next event goes to, round robin
	resent  int
	envs    int
}

// socket is one Socket Mode connection of a spreading Server.
type socket struct {
	n      int // its number, from 0, in order of connection
	c      *websocket.Conn
	wmu    sync.Mutex // one writer at a time (gorilla's rule)
	closed bool       // guarded by Spreader.mu
	sent   int        // envelopes sent to it, guarded by Spreader.mu
	acked  int        // envelopes it acknowledged, guarded by Spreader.mu
}

type spreadEvent struct {
	id       string
	event    map[string]any
	acked    bool
	ackedBy  *socket
	attempts int
	to       *socket
	at       time.Time // when it was last sent
}

// ConnStats is what one connection was sent and acknowledged.
type ConnStats struct {
	Sent, Acked int
	Closed      bool
}

// SpreadStats sums up a Spreader's work.
type SpreadStats struct {
	Events  int // distinct events sent
	Sent    int // envelopes sent, resent ones included
	Resent  int // envelopes sent again, not acknowledged in time
	Unacked int // events no envelope of which was acknowledged yet
	Conns   []ConnStats
}

// Spread makes f spread events over its Socket Mode connections, sending
// an envelope not acknowledged within resendAfter again to another
// connection. It stops when the test ends.
func (f *Server) Spread(t testing.TB, resendAfter time.Duration) *Spreader {
	s := &Spreader{resendAfter: resendAfter, stop: make(chan struct{}),
		events: map[string]*spreadEvent{}, byEnv: map[string]*spreadEvent{}}
	f.mu.Lock()
	f.spread = s
	f.mu.Unlock()
	go s.resend()
	t.Cleanup(func() { close(s.stop) })
	return s
}

// serve runs a connection for the Spreader until it closes.
func (s *Spreader) serve(c *websocket.Conn) {
	s.mu.Lock()
	sock := &socket{n: len(s.sockets), c: c}
	s.sockets = append(s.sockets, sock)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		sock.closed = true
		s.mu.Unlock()
	}()
	for {
		var a struct {
			EnvelopeID string `json:"envelope_id"`
		}
		if c.ReadJSON(&a) != nil {
			return
		}
		s.mu.Lock()
		sock.acked++
		if ev := s.byEnv[a.EnvelopeID]; ev != nil {
			ev.acked = true
			if ev.ackedBy == nil {
				ev.ackedBy = sock
			}
		}
		s.mu.Unlock()
	}
}

// Connections is how many connections are open now.
func (s *Spreader) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, sock := range s.sockets {
		if !sock.closed {
			n++
		}
	}
	return n
}

// WaitConnections waits until n connections are open; it fails the test
// after timeout.
func (s *Spreader) WaitConnections(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for s.Connections() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d socket mode connections open, want %d", s.Connections(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Send sends event (an Events API event: "type", "channel", "ts"…) under
// eventID to the next open connection, round robin. It returns false when
// no connection is open; the event is then sent once one is.
func (s *Spreader) Send(eventID string, event map[string]any) bool {
	s.mu.Lock()
	ev := &spreadEvent{id: eventID, event: event}
	s.events[eventID] = ev
	s.order = append(s.order, ev)
	sock := s.pick(nil)
	if sock == nil {
		s.mu.Unlock()
		return false
	}
	s.mu.Unlock()
	s.sendTo(sock, ev)
	return true
}

// pick chooses the next open connection, not avoid if there is another;
// s.mu is held.
func (s *Spreader) pick(avoid *socket) *socket {
	var open []*socket
	for _, sock := range s.sockets {
		if !sock.closed {
			open = append(open, sock)
		}
	}
	if len(open) == 0 {
		return nil
	}
	for range open {
		sock := open[s.next%len(open)]
		s.next++
		if sock != avoid || len(open) == 1 {
			return sock
		}
	}
	return open[0]
}

// sendTo writes a new envelope of ev to sock.
func (s *Spreader) sendTo(sock *socket, ev *spreadEvent) {
	s.mu.Lock()
	s.envs++
	env := fmt.Sprintf("env-%s-%d", ev.id, ev.attempts)
	s.byEnv[env] = ev
	envelope := Envelope(env, ev.id, ev.event)
	if ev.attempts > 0 {
		envelope["retry_attempt"] = ev.attempts
		envelope["retry_reason"] = "timeout"
	}
	ev.attempts++
	ev.to, ev.at = sock, time.Now()
	sock.sent++
	s.mu.Unlock()
	sock.wmu.Lock()
	defer sock.wmu.Unlock()
	sock.c.SetWriteDeadline(time.Now().Add(time.Second))
	sock.c.WriteJSON(envelope) // a failed write is a lost envelope: resent in time
}

// resend sends again, to another connection, every envelope not
// acknowledged within resendAfter, until the test ends.
func (s *Spreader) resend() {
	tick := time.NewTicker(max(s.resendAfter/4, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		type again struct {
			sock *socket
			ev   *spreadEvent
		}
		var due []again
		s.mu.Lock()
		for _, ev := range s.order {
			if ev.acked || time.Since(ev.at) < s.resendAfter {
				continue
			}
			if sock := s.pick(ev.to); sock != nil {
				due = append(due, again{sock, ev})
				ev.at = time.Now() // not picked twice before it is sent
			}
		}
		s.resent += len(due)
		s.mu.Unlock()
		for _, a := range due {
			s.sendTo(a.sock, a.ev)
		}
	}
}

// Stats sums up what was sent and acknowledged so far.
func (s *Spreader) Stats() SpreadStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := SpreadStats{Events: len(s.events), Sent: s.envs, Resent: s.resent}
	for ev := range maps.Values(s.events) {
		if !ev.acked {
			st.Unacked++
		}
	}
	for _, sock := range s.sockets {
		st.Conns = append(st.Conns, ConnStats{Sent: sock.sent, Acked: sock.acked, Closed: sock.closed})
	}
	return st
}

// AckedBy lists the IDs of the events connection n (numbered from 0 in
// order of connection) acknowledged first, in order.
func (s *Spreader) AckedBy(n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, ev := range s.order {
		if ev.ackedBy != nil && ev.ackedBy.n == n {
			out = append(out, ev.id)
		}
	}
	return out
}

// Unacked lists the IDs of the events not acknowledged yet, in order.
func (s *Spreader) Unacked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, ev := range s.order {
		if !ev.acked {
			out = append(out, ev.id)
		}
	}
	return slices.Clip(out)
}
