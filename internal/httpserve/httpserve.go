// Package httpserve runs an http.Server on a listener the way Docent's three
// servers (the ops listener, the web chat, Slack's Events API) all need:
// serve in the background, say at once when serving stops on its own, and
// at shutdown stop taking connections and drain the requests in flight,
// for a bounded time.
package httpserve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// Options are what a Server needs beyond its http.Server and listener.
type Options struct {
	// Drain bounds the wait, in Stop, for the requests in flight; those
	// still running then are cut. Zero means 5 seconds.
	Drain time.Duration
	// OnFail, when set, is told why the server stopped serving on its own
	// (not by Stop), at once, from the serving goroutine: a server nobody
	// selects on (the ops listener) can still say so when it happens.
	OnFail func(error)
}

// Server is an http.Server serving on a listener, from Start until Stop.
type Server struct {
	srv      *http.Server
	addr     net.Addr
	drain    time.Duration
	inflight atomic.Int64  // requests being handled, streams included
	stopping atomic.Bool   // Stop was called: Serve's return is no failure
	failed   chan struct{} // closed when Serve returned on its own
	served   chan struct{} // closed when Serve returned
	err      error         // Serve's error when it failed; set before failed is closed
}

// Start serves srv on ln in the background; srv's handler is wrapped to
// count the requests in flight.
func Start(srv *http.Server, ln net.Listener, opts Options) *Server {
	s := &Server{srv: srv, addr: ln.Addr(), drain: opts.Drain, failed: make(chan struct{}), served: make(chan struct{})}
	if s.drain <= 0 {
		s.drain = 5 * time.Second
	}
	h := srv.Handler
	if h == nil {
		h = http.DefaultServeMux
	}
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.inflight.Add(1)
		defer s.inflight.Add(-1)
		h.ServeHTTP(w, r)
	})
	go func() {
		defer close(s.served)
		err := srv.Serve(ln)
		if s.stopping.Load() && errors.Is(err, http.ErrServerClosed) {
			return
		}
		if err == nil || errors.Is(err, http.ErrServerClosed) {
			err = errors.New("the server closed")
		}
		s.err = err
		if opts.OnFail != nil {
			opts.OnFail(err)
		}
		close(s.failed)
	}()
	return s
}

// Addr is the address served.
func (s *Server) Addr() net.Addr { return s.addr }

// Failed is closed when the server stopped serving on its own; Err says
// why.
func (s *Server) Failed() <-chan struct{} { return s.failed }

// Err is why the server stopped serving on its own, once Failed is
// closed; nil before, and when only Stop stopped it.
func (s *Server) Err() error {
	select {
	case <-s.failed:
		return s.err
	default:
		return nil
	}
}

// Stop stops taking connections and waits, up to Options.Drain, for the
// requests in flight; connections with none in flight (idle ones, and
// those a browser opened ahead and never used, which http.Server.Shutdown
// would wait for) are closed as soon as no request is in flight, and all
// of them once the drain is over. It returns once the serving goroutine
// has ended, with an error when requests were cut (a failure to serve is
// Err's, said when it happened).
func (s *Server) Stop() error {
	s.stopping.Store(true)
	s.srv.SetKeepAlivesEnabled(false)
	ctx, cancel := context.WithTimeout(context.Background(), s.drain)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- s.srv.Shutdown(ctx) }() // closes the listener first
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var err error
wait:
	for {
		select {
		case <-shut:
			break wait
		case <-tick.C:
			if s.inflight.Load() == 0 {
				s.srv.Close()
			}
		case <-ctx.Done():
			if n := s.inflight.Load(); n > 0 {
				err = fmt.Errorf("%d requests still in flight after %s", n, s.drain)
			}
			s.srv.Close()
			<-shut
			break wait
		}
	}
	<-s.served
	return err
}
