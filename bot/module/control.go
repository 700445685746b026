package module

import (
	"context"
	"encoding/json"
	"io"
	"net"
)

// Controller is a module whose command-line commands reach a running
// Docent: it holds the database's lock, so they ask it through its control
// socket (`docent import` into a running Docent, as `docent backup` does).
// ControlOps are the module's ops there, served by the running Docent with
// the module provisioned; a command reaches one with
// Configuration.Control.
type Controller interface {
	ControlOps() []ControlOp
}

// ControlOp is one op of a module on the control socket. The socket is
// the owner's alone (its folder is private), but what a client sends is
// input all the same: an op reads contents, never a path to open.
type ControlOp struct {
	// Name is the request's op ("import"): unique among Docent's own
	// (backup, export, forget) and the other modules'.
	Name string
	// Serve answers one request in the running Docent: args are the
	// request's, and conn, after Docent's reply line, carries the op's
	// own protocol until Serve returns; then Docent closes it. ctx ends
	// when Docent stops (conn is closed then too). The error is logged;
	// the client learns of it through the op's protocol.
	Serve func(ctx context.Context, args json.RawMessage, conn io.ReadWriter) error
}

// ControlConn is a command's connection to an op of the running Docent.
type ControlConn interface {
	net.Conn
	// CloseWrite tells the op that nothing more will be sent.
	CloseWrite() error
}

// Dialer opens op on the control socket of the Docent running on the
// database, sending args (JSON) with the request
// (Configuration.Control).
type Dialer func(ctx context.Context, op string, args any) (ControlConn, error)
