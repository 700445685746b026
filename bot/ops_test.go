package bot

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/docent-bot/docent/chat"
)

// started records whether Run was called, then idles until ctx is done,
// or with gone returns at once.
type started struct {
	ran  atomic.Bool
	gone bool
}

func (*started) Name() string { return "started" }
func (s *started) Run(ctx context.Context, _ chat.Inbox) error {
	s.ran.Store(true)
	if !s.gone {
		<-ctx.Done()
	}
	return nil
}

// The ops listener serves health and readiness from before the adapters
// start until Run returns, whatever they are; then its port is closed.
func TestOpsListener(t *testing.T) {
	b := openBot(t, writeConfig(t, ""))
	b.cfg.Ops.Listen = freeOpsPort
	if b.OpsAddr() != nil {
		t.Error("OpsAddr set before Run")
	}
	a := &started{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, a) }()
	waitFor(t, "the adapter to start", a.ran.Load)
	addr := b.OpsAddr()
	if addr == nil {
		t.Fatal("no ops listener while Run runs")
	}
	for path, want := range map[string]string{"/healthz": "ok\n", "/readyz": `"ready":true`} {
		res, err := http.Get("http://" + addr.String() + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %s %q, want 200 with %q", path, res.Status, body, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if b.OpsAddr() != nil {
		t.Error("OpsAddr still set after Run returned")
	}
	if c, err := net.Dial("tcp", addr.String()); err == nil {
		c.Close()
		t.Errorf("the ops listener still takes connections after Run returned")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

// A taken ops.listen fails Run before any adapter starts, naming the
// setting and the address; for the console's try-out (OpsOptional) it is
// only a warning. "off" listens nowhere.
func TestOpsListenTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()

	b := openBot(t, writeConfig(t, ""))
	b.cfg.Ops.Listen = addr
	a := &started{gone: true} // so that Run returns even if it starts it
	err = b.Run(context.Background(), a)
	if err == nil || !strings.Contains(err.Error(), "ops.listen") || !strings.Contains(err.Error(), addr) {
		t.Errorf("Run on a taken ops port: %v, want an error naming ops.listen and %s", err, addr)
	}
	if a.ran.Load() {
		t.Error("an adapter started although the ops port was taken")
	}
	closeBot(t, b)

	for _, tc := range []struct {
		name     string
		listen   string
		optional bool
		warn     string
	}{
		{"optional", addr, true, "ops endpoints not served"},
		{"off", "off", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := LoadConfig(writeConfig(t, ""))
			if err != nil {
				t.Fatal(err)
			}
			cfg.Ops.Listen = tc.listen
			var logs syncBuffer
			b, err := Open(context.Background(), cfg, Options{OpsOptional: tc.optional, Log: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			a := &started{}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- b.Run(ctx, a) }()
			waitFor(t, "the adapter to start", a.ran.Load)
			if b.OpsAddr() != nil {
				t.Errorf("OpsAddr = %v, want none", b.OpsAddr())
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
			if !strings.Contains(logs.String(), tc.warn) || tc.warn == "" && strings.Contains(logs.String(), "ops listening") {
				t.Errorf("log lacks %q or listens:\n%s", tc.warn, logs.String())
			}
			if err := b.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

// ops.listen is checked like every setting, with its line; $DOCENT_OPS_LISTEN
// (WithOpsListen) replaces it and is named when it is wrong.
func TestOpsConfig(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		opts       []LoadOption
		listen     string // want, when the config loads
		errs       []string
	}{
		{name: "default", listen: DefaultOpsListen},
		{name: "off", yaml: "ops:\n  listen: off\n", listen: "off"},
		{name: "port zero", yaml: "ops:\n  listen: 127.0.0.1:0\n", listen: "127.0.0.1:0"},
		{name: "every interface", yaml: "ops:\n  listen: :9000\n", listen: ":9000"},
		{name: "not host:port", yaml: "ops:\n  listen: localhost\n", errs: []string{"docent.yaml:9:11: ops.listen:", "is not host:port"}},
		{name: "bad port", yaml: "ops:\n  listen: 127.0.0.1:99999\n", errs: []string{"ops.listen:", "no port number"}},
		{name: "host name", yaml: "ops:\n  listen: example.org:80\n", errs: []string{"ops.listen:", "must be an IP address"}},
		{name: "misspelt", yaml: "ops:\n  lisen: 127.0.0.1:0\n", errs: []string{"docent.yaml:9:3: ops:", `unknown field "lisen"`}},
		{name: "environment", yaml: "ops:\n  listen: 127.0.0.1:0\n", opts: []LoadOption{WithOpsListen("0.0.0.0:9100", "$DOCENT_OPS_LISTEN")}, listen: "0.0.0.0:9100"},
		{name: "bad environment", opts: []LoadOption{WithOpsListen("nowhere", "$DOCENT_OPS_LISTEN")}, errs: []string{"ops.listen:", "is not host:port", "(from $DOCENT_OPS_LISTEN)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := LoadConfig(writeConfig(t, tc.yaml), tc.opts...)
			if len(tc.errs) > 0 {
				for _, want := range tc.errs {
					if err == nil || !strings.Contains(err.Error(), want) {
						t.Errorf("error %v, want it to hold %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Ops.Listen != tc.listen {
				t.Errorf("ops.listen = %q, want %q", cfg.Ops.Listen, tc.listen)
			}
		})
	}
}
