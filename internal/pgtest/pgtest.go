// Package pgtest gives tests a real PostgreSQL database of their own.
//
// With DOCENT_TEST_POSTGRES_URL set (a URL whose user may CREATE
// DATABASE), every test gets a fresh database on that server. Without it,
// the first test that asks starts a throwaway cluster from Debian's
// postgresql package (/usr/lib/postgresql/*/bin): initdb into a temporary
// folder, a free loopback port, its unix socket in that folder, stopped
// and removed when the package's tests end (Main). PostgreSQL refuses to
// run as root, so as root the cluster runs as the "postgres" user the
// package creates (else "nobody"): the process is started with that user's
// uid and gid (no su or sudo needed), and the folder is chowned to it.
//
// Each test gets its own database, CREATE DATABASE … TEMPLATE template0,
// dropped when the test ends. Without PostgreSQL the tests that ask are
// skipped, saying why, unless DOCENT_REQUIRE_POSTGRES=1 (CI), which makes
// them fail instead.
//
// A package that uses it calls Main from its TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The environment a test run reads.
const (
	EnvURL     = "DOCENT_TEST_POSTGRES_URL"
	EnvRequire = "DOCENT_REQUIRE_POSTGRES"
)

// binGlob is where Debian's postgresql package puts initdb and postgres.
const binGlob = "/usr/lib/postgresql/*/bin"

// server is the PostgreSQL the package's tests share: given by
// EnvURL, or started by the first test that asks.
type server struct {
	once    sync.Once
	admin   string // URL of a database to run CREATE/DROP DATABASE from
	skip    string // why tests skip: no PostgreSQL here
	err     error  // why the cluster could not start
	cluster *cluster
}

var (
	shared  server
	inMain  atomic.Bool
	dbCount atomic.Int64
)

// Main runs the package's tests and stops the cluster they started, if
// any. Call it from TestMain and pass its result to os.Exit.
func Main(m *testing.M) int { return Run(m.Run) }

// Run is Main for a package that runs its tests more than once (once per
// database, say): run runs them, calling m.Run each time, and returns
// the exit code; the cluster is stopped after.
func Run(run func() int) int {
	inMain.Store(true)
	code := run()
	if c := shared.cluster; c != nil {
		if err := c.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stop the test cluster: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// URL returns the URL of a new, empty database for t, dropped when t
// ends. It skips t when there is no PostgreSQL to use (fails it under
// DOCENT_REQUIRE_POSTGRES=1).
func URL(t testing.TB) string {
	t.Helper()
	if !inMain.Load() {
		t.Fatal("pgtest: the package's TestMain must call pgtest.Main, which stops the cluster at the end")
	}
	shared.once.Do(shared.start)
	switch {
	case shared.err != nil:
		t.Fatalf("pgtest: %v", shared.err)
	case shared.skip != "":
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("pgtest: %s, and %s=1 requires it", shared.skip, EnvRequire)
		}
		t.Skipf("pgtest: %s: skipping (install Debian's postgresql, or set %s)", shared.skip, EnvURL)
	}
	name := fmt.Sprintf("docent_test_%d_%s", dbCount.Add(1), dbName(t.Name()))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := adminExec(ctx, shared.admin, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0 ENCODING 'UTF8'"); err != nil {
		t.Fatalf("pgtest: create database %s on %s: %v", name, redact(shared.admin), err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// FORCE: a connection a failed test left open must not keep it.
		if err := adminExec(ctx, shared.admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(shared.admin)
	if err != nil {
		t.Fatalf("pgtest: %s: %v", EnvURL, err)
	}
	u.Path = "/" + name
	return u.String()
}

// start finds the server: EnvURL, or a cluster of its own.
func (s *server) start() {
	if u := os.Getenv(EnvURL); u != "" {
		if _, err := pgx.ParseConfig(u); err != nil {
			s.err = fmt.Errorf("%s: %w", EnvURL, err)
			return
		}
		s.admin = u
		return
	}
	bin, err := findBin()
	if err != nil {
		s.skip = err.Error()
		return
	}
	c, err := startCluster(bin)
	if err != nil {
		s.err = err
		return
	}
	s.cluster = c
	s.admin = c.url
}

// findBin returns the newest of Debian's PostgreSQL bin folders that has
// both initdb and postgres.
func findBin() (string, error) {
	dirs, _ := filepath.Glob(binGlob)
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL here (no initdb and postgres in %s)", binGlob)
}

// version is the major version in a bin folder's path
// (/usr/lib/postgresql/15/bin → 15).
func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// cluster is a throwaway PostgreSQL: its folder, its process, its URL.
type cluster struct {
	dir  string
	cmd  *exec.Cmd
	done chan error // the process's exit
	url  string
	log  string
}

// startCluster runs initdb into a new temporary folder and starts
// postgres on a free loopback port, waiting until it takes connections.
func startCluster(bin string) (_ *cluster, err error) {
	cred, who, err := runAs()
	if err != nil {
		return nil, err
	}
	// The socket's path must fit in 107 bytes, and another user must
	// reach the folder: a long or private $TMPDIR will not do.
	base := os.TempDir()
	if len(base) > 60 || (cred != nil && !reachable(base)) {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "docent-pgtest-")
	if err != nil {
		return nil, fmt.Errorf("temporary folder for the test cluster: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("give %s to %s: %w", dir, who, err)
		}
	}
	data := filepath.Join(dir, "data")
	c := &cluster{dir: dir, log: filepath.Join(dir, "postgres.log")}

	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "--encoding=UTF8", "--locale=C", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb %s (as %s): %w\n%s", data, who, err, tail(out))
	}

	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(c.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("test cluster's log: %w", err)
	}
	defer logf.Close()
	c.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port),
		"-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=100")
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	// Pdeathsig: a test binary killed (a timeout) takes its cluster along.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres (as %s): %w", who, err)
	}
	c.done = make(chan error, 1)
	go func() { c.done <- c.cmd.Wait() }()
	c.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)

	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, cerr := pgx.Connect(ctx, c.url)
		cancel()
		if cerr == nil {
			conn.Close(context.Background())
			return c, nil
		}
		select {
		case werr := <-c.done:
			out, _ := os.ReadFile(c.log)
			return nil, fmt.Errorf("postgres on port %d exited at start (%v):\n%s", port, werr, tail(out))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(c.log) // before stop removes its folder
			c.stop()
			return nil, fmt.Errorf("postgres on port %d took no connection in 60s (%v):\n%s", port, cerr, tail(out))
		}
	}
}

// stop shuts the cluster down (fast shutdown: sessions are ended) and
// removes its folder.
func (c *cluster) stop() error {
	defer os.RemoveAll(c.dir)
	if c.cmd.Process == nil {
		return nil
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.done:
		return nil
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
		return errors.New("postgres did not stop in 30s; killed")
	}
}

// runAs returns the credentials to run PostgreSQL with: nil when this
// process is not root, else the "postgres" user's (or nobody's).
func runAs() (*syscall.Credential, string, error) {
	if os.Geteuid() != 0 {
		return nil, "the current user", nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, "user " + name, nil
	}
	return nil, "", errors.New("running as root, and there is no postgres or nobody user to run PostgreSQL as (initdb refuses root)")
}

// reachable reports whether every user may pass through dir and the
// folders above it.
func reachable(dir string) bool {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// freePort asks the kernel for a free loopback port. Another process may
// take it before postgres binds it: then postgres exits and says so.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("a free loopback port for the test cluster: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func adminExec(ctx context.Context, admin, sql string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

var notName = regexp.MustCompile(`[^a-z0-9_]+`)

// dbName makes a test's name part of a database name: lower case, within
// PostgreSQL's 63 bytes with the prefix.
func dbName(test string) string {
	s := notName.ReplaceAllString(strings.ToLower(test), "_")
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}

// redact hides a URL's password in messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a URL that does not parse)"
	}
	return u.Redacted()
}

// tail is the end of a process's output, enough to say why it failed.
func tail(out []byte) string {
	out = bytes.TrimSpace(out)
	if len(out) > 2000 {
		out = append([]byte("…"), out[len(out)-2000:]...)
	}
	return string(out)
}
