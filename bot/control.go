package bot

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/store"
)

// The control socket lets the command line reach a running Docent: the
// database is locked by it, so `docent backup` and `docent user export`
// ask it instead. It is a Unix socket in a folder beside the database that
// only its owner can enter (0700, checked before use by both ends); one
// JSON request a connection, then a JSON reply line, then the payload (the
// backup's bytes, the export). A module's op (module.ControlOp) gets the
// connection after the reply line and speaks its own protocol on it.

// ControlRequest is what the command line asks.
type ControlRequest struct {
	Op     string          `json:"op"` // "backup", "export", "forget", or a module's
	Member store.MemberRef `json:"member,omitzero"`
	// Args are a module op's arguments.
	Args json.RawMessage `json:"args,omitempty"`
}

// ControlReply heads the answer; Size bytes of payload follow it.
type ControlReply struct {
	Error     string           `json:"error,omitempty"`
	Size      int64            `json:"size,omitempty"`
	Forgotten *store.Forgotten `json:"forgotten,omitempty"`
}

// maxSocketPath is below the 104 to 108 bytes Unix systems allow.
const maxSocketPath = 100

// controlDir is the private folder (0700, the user's own) that holds the
// control socket: beside the database, or in the temp folder, named after
// the user and the database, when that path would be too long for a
// socket. Only its owner can reach the socket in it, whatever the umask.
func controlDir(cfg *Config) string {
	d := cfg.StorePath() + ".control"
	if len(d)+len("/docent.sock") <= maxSocketPath {
		return d
	}
	abs, _ := filepath.Abs(cfg.StorePath())
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(os.TempDir(), fmt.Sprintf("docent-%d-%s", os.Getuid(), hex.EncodeToString(sum[:8])))
}

// ControlPath is the control socket of the database cfg names.
func ControlPath(cfg *Config) string { return filepath.Join(controlDir(cfg), "docent.sock") }

// privateDir makes sure dir is a real folder (not a link), owned by this
// user and closed to everyone else; with create it makes it first.
func privateDir(dir string, create bool) error {
	if create {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	if !ownedByMe(fi) {
		return fmt.Errorf("%s belongs to another user; refusing to use it", dir)
	}
	if fi.Mode().Perm() != 0o700 {
		if !create {
			return fmt.Errorf("%s is open to other users (mode %v)", dir, fi.Mode().Perm())
		}
		return os.Chmod(dir, 0o700)
	}
	return nil
}

// serveControl listens on the control socket until ctx is done; the
// returned wait returns once every request in progress has finished.
func (b *Bot) serveControl(ctx context.Context) (wait func(), err error) {
	path := ControlPath(b.cfg)
	if err := privateDir(filepath.Dir(path), true); err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	// This process holds the database's lock, so a socket file left there
	// is from a Docent that crashed.
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		<-ctx.Done()
		ln.Close()
	})
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				if ctx.Err() == nil {
					b.log.Error("control socket stopped", "path", path, "err", err)
				}
				return
			}
			wg.Go(func() { b.control(ctx, conn) })
		}
	})
	b.log.Info("control socket listening", "path", path)
	return func() {
		wg.Wait()
		_ = os.Remove(path)
		_ = os.Remove(filepath.Dir(path)) // only when empty
	}, nil
}

// maxControlRequest bounds a request line: a module op's args may name a
// file by its absolute path (up to 4096 bytes).
const maxControlRequest = 16 << 10

// builtinOps are the control socket's own ops.
var builtinOps = []string{"backup", "export", "forget"}

// controlOps are the modules' ops on the control socket, by name; a name
// that is empty, Docent's own or another module's is an error.
func controlOps(modules []module.Module) (map[string]module.ControlOp, error) {
	ops := map[string]module.ControlOp{}
	var errs []error
	for _, m := range modules {
		c, ok := m.(module.Controller)
		if !ok {
			continue
		}
		for _, op := range c.ControlOps() {
			switch _, taken := ops[op.Name]; {
			case op.Name == "" || op.Serve == nil:
				errs = append(errs, fmt.Errorf("bot: module %s: a control op needs a name and something to serve (%q)", m.Name(), op.Name))
			case taken || slices.Contains(builtinOps, op.Name):
				errs = append(errs, fmt.Errorf("bot: module %s: control op %q: the name is taken (by Docent or another module)", m.Name(), op.Name))
			default:
				ops[op.Name] = op
			}
		}
	}
	return ops, errors.Join(errs...)
}

func (b *Bot) control(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	// A client that stops reading must not hold up shutdown.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReaderSize(io.LimitReader(conn, maxControlRequest), maxControlRequest)
	line, err := br.ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return
	}
	_ = conn.SetReadDeadline(time.Time{})
	var req ControlRequest
	reply := func(r ControlReply, payload func(io.Writer) error) {
		js, _ := json.Marshal(r)
		if _, err := conn.Write(append(js, '\n')); err != nil || payload == nil {
			return
		}
		if err := payload(conn); err != nil {
			b.log.Warn("control socket: reply cut short", "op", req.Op, "err", err)
		}
	}
	if err := json.Unmarshal(line, &req); err != nil {
		reply(ControlReply{Error: "a request is one JSON object on one line: " + err.Error()}, nil)
		return
	}
	b.log.Info("control request", "op", req.Op)
	switch req.Op {
	case "backup":
		// The size is not known before the copy; write it to a temporary
		// file first, so that the client knows it got all of it.
		f, err := store.CreateTemp(filepath.Dir(b.cfg.StorePath()), store.ServedBackupTemp)
		if err != nil {
			reply(ControlReply{Error: err.Error()}, nil)
			return
		}
		defer os.Remove(f.Name())
		defer f.Close()
		n, err := b.store.Backup(ctx, f)
		if err == nil {
			_, err = f.Seek(0, io.SeekStart)
		}
		if err != nil {
			reply(ControlReply{Error: err.Error()}, nil)
			return
		}
		reply(ControlReply{Size: n}, func(w io.Writer) error { _, err := io.CopyN(w, f, n); return err })
	case "export":
		d, err := b.store.ExportMember(ctx, req.Member)
		if err != nil {
			reply(ControlReply{Error: err.Error()}, nil)
			return
		}
		js, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			reply(ControlReply{Error: err.Error()}, nil)
			return
		}
		reply(ControlReply{Size: int64(len(js))}, func(w io.Writer) error { _, err := w.Write(js); return err })
	case "forget":
		f, err := b.Forget(ctx, req.Member)
		if err != nil {
			reply(ControlReply{Error: err.Error()}, nil)
			return
		}
		reply(ControlReply{Forgotten: &f}, nil)
	default:
		op, ok := b.ops[req.Op]
		if !ok {
			reply(ControlReply{Error: fmt.Sprintf("unknown op %q; want %s", req.Op, strings.Join(append(slices.Clone(builtinOps), slices.Sorted(maps.Keys(b.ops))...), ", "))}, nil)
			return
		}
		reply(ControlReply{}, nil)
		// What the client sent after its request line, if anything, was
		// read ahead with it.
		ahead, _ := br.Peek(br.Buffered())
		rw := struct {
			io.Reader
			io.Writer
		}{io.MultiReader(bytes.NewReader(ahead), conn), conn}
		if err := op.Serve(ctx, req.Args, rw); err != nil {
			b.log.Warn("control socket: a module's op failed", "op", req.Op, "err", err)
		}
	}
}

// Control sends req to the Docent running on cfg's database and copies the
// payload of its reply to out.
func Control(ctx context.Context, cfg *Config, req ControlRequest, out io.Writer) (ControlReply, error) {
	conn, r, rep, err := controlRequest(ctx, cfg, req)
	if conn != nil {
		defer conn.Close()
	}
	if err != nil {
		return rep, err
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	if rep.Size > 0 {
		n, err := io.CopyN(out, r, rep.Size)
		if err != nil {
			return rep, fmt.Errorf("the running Docent's reply ended after %d of %d bytes: %w", n, rep.Size, err)
		}
	}
	return rep, nil
}

// controlRequest sends req to the Docent running on cfg's database and
// reads its reply line: what follows is read from r. conn is nil when it
// could not be reached; else the caller closes it.
func controlRequest(ctx context.Context, cfg *Config, req ControlRequest) (conn *net.UnixConn, r *bufio.Reader, rep ControlReply, err error) {
	path := ControlPath(cfg)
	if err := privateDir(filepath.Dir(path), false); err != nil {
		return nil, nil, ControlReply{}, fmt.Errorf("reach the running Docent at %s: %w", path, err)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, nil, ControlReply{}, fmt.Errorf("reach the running Docent at %s: %w", path, err)
	}
	conn = c.(*net.UnixConn)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	js, _ := json.Marshal(req)
	if _, err := conn.Write(append(js, '\n')); err != nil {
		return conn, nil, ControlReply{}, fmt.Errorf("send to the running Docent: %w", err)
	}
	r = bufio.NewReader(conn)
	line, err := r.ReadBytes('\n')
	if err != nil {
		return conn, nil, ControlReply{}, fmt.Errorf("read the running Docent's reply: %w", err)
	}
	if err := json.Unmarshal(line, &rep); err != nil {
		return conn, nil, ControlReply{}, fmt.Errorf("read the running Docent's reply: %w", err)
	}
	if rep.Error != "" {
		return conn, r, rep, errors.New(rep.Error)
	}
	return conn, r, rep, nil
}

// DialControl opens a module's op on the control socket of the Docent
// running on cfg's database, sending args (JSON) with the request: what
// module.Configuration.Control does for the command line.
func DialControl(ctx context.Context, cfg *Config, op string, args any) (module.ControlConn, error) {
	js, err := json.Marshal(args)
	if err != nil {
		return nil, fmt.Errorf("control op %s: encode its args: %w", op, err)
	}
	conn, r, _, err := controlRequest(ctx, cfg, ControlRequest{Op: op, Args: js})
	if err != nil {
		if conn != nil {
			conn.Close()
		}
		return nil, err
	}
	return &opConn{UnixConn: conn, r: r}, nil
}

// opConn is a connection to a module's op: reads go through the reader
// that read the reply line, which may have read ahead.
type opConn struct {
	*net.UnixConn
	r *bufio.Reader
}

func (c *opConn) Read(p []byte) (int, error) { return c.r.Read(p) }
