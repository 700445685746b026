package httpserve

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// listen is a loopback listener, closed when the test ends.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// stopped runs s.Stop and returns its result, failing the test if it has
// not returned within a minute.
func stopped(t *testing.T, s *Server) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Stop() }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatal("Stop did not return")
		return nil
	}
}

// Stop waits for a request in flight, which is answered in full, and the
// listener takes no connection after.
func TestStopDrainsRequestsInFlight(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "done")
	})
	ln := listen(t)
	s := Start(&http.Server{Handler: mux}, ln, Options{Drain: time.Minute})
	url := "http://" + s.Addr().String()
	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		res, err := http.Get(url + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		got <- result{string(b), err}
	}()
	<-started
	stop := make(chan error, 1)
	go func() { stop <- s.Stop() }()
	select {
	case err := <-stop:
		t.Fatalf("Stop returned (%v) with a request in flight", err)
	case r := <-got:
		t.Fatalf("the request ended (%q, %v) before it was let go", r.body, r.err)
	case <-time.After(100 * time.Millisecond): // Stop is waiting: it may not return now
	}
	close(release)
	if r := <-got; r.err != nil || r.body != "done" {
		t.Errorf("the request in flight got %q, %v; want its whole answer", r.body, r.err)
	}
	if err := <-stop; err != nil {
		t.Errorf("Stop: %v", err)
	}
	if c, err := net.Dial("tcp", s.Addr().String()); err == nil {
		c.Close()
		t.Error("a connection was taken after Stop")
	}
	select {
	case <-s.Failed():
		t.Errorf("Failed after Stop: %v", s.Err())
	default:
	}
}

// A request still running when the drain is over is cut, and Stop says
// how many were.
func TestStopCutsRequestsAfterTheDrain(t *testing.T) {
	started := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done() // holds on until its connection is closed
	})
	s := Start(&http.Server{Handler: h}, listen(t), Options{Drain: 50 * time.Millisecond})
	failed := make(chan error, 1)
	go func() {
		res, err := http.Get("http://" + s.Addr().String())
		if err == nil {
			res.Body.Close()
		}
		failed <- err
	}()
	<-started
	err := stopped(t, s)
	if err == nil || err.Error() != "1 requests still in flight after 50ms" {
		t.Errorf("Stop: %v, want 1 request cut", err)
	}
	if err := <-failed; err == nil {
		t.Error("the cut request got an answer")
	}
}

// A connection opened ahead and never used (as browsers do) does not hold
// Stop up for the drain: no request is in flight on it.
func TestStopClosesUnusedConnections(t *testing.T) {
	s := Start(&http.Server{Handler: http.NotFoundHandler()}, listen(t), Options{Drain: time.Hour})
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := stopped(t, s); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("the unused connection is still open after Stop")
	}
}

// brokenListener fails every Accept with a permanent error.
type brokenListener struct{ net.Listener }

func (l brokenListener) Accept() (net.Conn, error) {
	return nil, errors.New("accept: the socket is gone")
}

// When serving stops on its own, OnFail is told at once and Failed is
// closed, with Err saying why; Stop then has nothing more to say.
func TestServeFailureIsReportedAtOnce(t *testing.T) {
	told := make(chan error, 1)
	s := Start(&http.Server{Handler: http.NotFoundHandler()}, brokenListener{listen(t)}, Options{OnFail: func(err error) { told <- err }})
	var err error
	select {
	case err = <-told:
	case <-time.After(time.Minute):
		t.Fatal("OnFail not called")
	}
	if err == nil || !strings.Contains(err.Error(), "the socket is gone") {
		t.Errorf("OnFail told %v", err)
	}
	<-s.Failed()
	if s.Err() != err {
		t.Errorf("Err = %v, want %v", s.Err(), err)
	}
	if err := stopped(t, s); err != nil {
		t.Errorf("Stop after a failure: %v", err)
	}
}
