package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/docent-bot/docent/adapters/web"
	"github.com/docent-bot/docent/internal/httpserve"
)

// The ops listener serves what the people who run Docent watch it with:
// /healthz, /readyz, /metrics and the admins' dashboard. It has its own
// address (ops.listen), so that every deployment can be watched, whatever
// adapters it runs; the web chat's listener serves the chat only.

// OpsConfig is the `ops:` section.
type OpsConfig struct {
	// Listen is the ops listener's host:port; "off" (or empty) serves
	// nothing. Loopback by default: only this machine can reach it.
	Listen string `yaml:"listen"`
}

// DefaultOpsListen is ops.listen when the file leaves it out: this
// machine only, on the port beside the web chat's 8080.
const DefaultOpsListen = "127.0.0.1:8081"

// opsOverride is an ops.listen given outside the file (WithOpsListen).
type opsOverride struct{ addr, from string }

// Off says whether the ops listener is turned off.
func (c OpsConfig) Off() bool { return c.Listen == "" || c.Listen == "off" }

// Loopback says whether only this machine can reach the ops listener.
func (c OpsConfig) Loopback() bool { return !c.Off() && web.Loopback(c.Listen) }

// problem says what is wrong with ops.listen, "" when nothing is.
func (c OpsConfig) problem() string {
	if c.Off() {
		return ""
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return fmt.Sprintf("%q is not host:port, like 127.0.0.1:8081, or off: %v", c.Listen, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("%q has no port number from 0 to 65535", c.Listen)
	}
	if host != "" && host != "localhost" && net.ParseIP(host) == nil {
		return fmt.Sprintf("%q: the host must be an IP address, localhost, or empty for every interface", c.Listen)
	}
	return ""
}

// opsShutdownTimeout bounds the wait for ops requests in flight when Run
// ends: they are short (a scrape, a dashboard page).
const opsShutdownTimeout = 5 * time.Second

// listenOps binds ops.listen and serves the ops handler on it until stop;
// it returns nil, nil when ops.listen is off. A taken port is an error,
// unless Options.OpsOptional makes it a warning.
func (b *Bot) listenOps(ctx context.Context) (*httpserve.Server, error) {
	if b.cfg.Ops.Off() {
		return nil, nil
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", b.cfg.Ops.Listen)
	if err != nil {
		err = fmt.Errorf("ops: listen on %s (ops.listen): %w", b.cfg.Ops.Listen, err)
		if b.opsOptional {
			b.log.Warn("ops endpoints not served; the console still works", "err", err)
			return nil, nil
		}
		return nil, err
	}
	h := b.opsHandler
	if h == nil {
		h = b.Health()
	}
	s := httpserve.Start(&http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(b.log.Handler(), slog.LevelWarn),
	}, ln, httpserve.Options{Drain: opsShutdownTimeout, OnFail: func(err error) {
		// Said now, not at shutdown: the operator's scrapes fail from here on.
		b.log.Error("ops: the listener stopped serving; /healthz, /readyz, /metrics and the dashboard are down", "addr", ln.Addr().String(), "err", err)
	}})
	b.opsAddr.Store(&opsAddr{ln.Addr()})
	b.log.Info("ops listening", "addr", ln.Addr().String(), "url", "http://"+ln.Addr().String()+"/")
	return s, nil
}

// stopOps stops taking connections and waits for the requests in flight,
// and for the server's goroutine.
func (b *Bot) stopOps(s *httpserve.Server) {
	b.opsAddr.Store(nil)
	if err := s.Stop(); err != nil { // a failure to serve was logged when it happened
		b.log.Warn("ops: requests still in flight at shutdown were cut", "err", err)
	}
}

type opsAddr struct{ net.Addr }

// OpsAddr is the address the ops listener serves on while Run runs (with
// port 0 in ops.listen, the port chosen); nil before Run has bound it,
// after Run, and when ops.listen is off.
func (b *Bot) OpsAddr() net.Addr {
	if a := b.opsAddr.Load(); a != nil {
		return a.Addr
	}
	return nil
}

// Health serves /healthz (Docent's process answers) and /readyz (what
// Readiness says, as JSON: 200 when every check passes, else 503).
func (b *Bot) Health() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		checks := b.Readiness(r.Context())
		ready := true
		for _, c := range checks {
			ready = ready && c.OK
		}
		status := http.StatusOK
		if !ready {
			status = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"ready": ready, "checks": checks})
	})
	return mux
}
