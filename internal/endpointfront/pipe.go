package endpointfront

import (
	"bufio"
	"io"
	"net"
)

// Pipe copies from the client (read through clientR, which may hold bytes already read
// from it) to the server and back (from serverR, likewise) until either side stops, then
// closes both.
func Pipe(client net.Conn, clientR io.Reader, server net.Conn, serverR io.Reader) {
	PipeWith(client, server, func() { _, _ = io.Copy(server, clientR) }, serverR)
}

// PipeWith is Pipe for a front that reads what the client sends on its way to the server
// (mysqlfront rewrites statements): toServer does that copy, beside a copy of serverR to the
// client, until either stops; then both connections close.
func PipeWith(client, server net.Conn, toServer func(), serverR io.Reader) {
	done := make(chan struct{}, 2)
	go func() {
		toServer()
		done <- struct{}{}
	}()
	go func() {
		_, _ = io.Copy(client, serverR)
		done <- struct{}{}
	}()
	<-done
	// Either side has gone: the other has nothing more to say to it.
	_ = client.Close()
	_ = server.Close()
	<-done
}

// BufferedConn is a connection whose reads go through R, which may hold bytes already read:
// what a front that peeked at a client's first bytes hands to tls.Server.
type BufferedConn struct {
	net.Conn
	R *bufio.Reader
}

// Read reads through R.
func (c BufferedConn) Read(p []byte) (int, error) { return c.R.Read(p) }
