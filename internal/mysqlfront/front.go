// Package mysqlfront provides the listener an RDS for MySQL or MariaDB endpoint is, in front
// of one MariaDB server, on a loopback port of its own: the MySQL counterpart of package
// pgfront. Without IAM database authentication it relays bytes both ways and understands
// none of them. With it, it plays RDS's AWSAuthenticationPlugin, which MariaDB does not
// have: it hands each client the server's own greeting (so that a password login is
// computed over the server's scramble and passes unchanged), does TLS with the server's own
// certificate, asks an IAM user for its token in clear text, checks it and logs the user in
// to the server with the password only the front knows; every other login goes to the
// server as it came. In every session it turns the clause that makes an IAM user,
// IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS', into that password (rewrite.go).
package mysqlfront

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Backend is the server one connection goes to. Config.Backend resolves it when the
// connection arrives, since a restore or a reboot may replace the server behind an endpoint.
type Backend struct {
	// Dial connects to the server over TCP.
	Dial func(ctx context.Context) (net.Conn, error)
	// IAM turns IAM database authentication on; nil relays bytes.
	IAM *IAM
}

// IAM is what the front needs to log users in with IAM database authentication.
type IAM struct {
	// TLS is the server's own certificate and key, with which the front answers a client
	// that asks for TLS; nil offers no TLS (and so refuses every IAM user, as RDS refuses
	// a token sent in the clear).
	TLS *tls.Config
	// Password is the password the server knows IAM user by: the front logs such users in
	// with it and gives it to the accounts that CREATE USER or ALTER USER make IAM users.
	// Nobody but the front must know it.
	Password func(user string) string
	// UsesIAM reports whether user logs in with a token rather than a password. It is asked
	// at each login.
	UsesIAM func(ctx context.Context, user string) (bool, error)
	// Verify checks the token user sent as its password: nil accepts it. Its error goes to
	// the log, never to the client, and must not hold the token.
	Verify func(user, token string) error
}

// Config configures Listen.
type Config struct {
	// Backend resolves the server of a new connection; an error closes the connection.
	Backend func() (Backend, error)
	// StartupTimeout bounds how long a client of a front with IAM may take from connecting
	// to being logged in; 0 means DefaultStartupTimeout.
	StartupTimeout time.Duration
	// Log receives a line for each refused login and each connection the front could not
	// serve; nil discards them. It never receives a password or a token.
	Log io.Writer
}

// DefaultStartupTimeout is Config.StartupTimeout's default.
const DefaultStartupTimeout = 30 * time.Second

// Front is a running front. Close stops it.
type Front struct {
	cfg       Config
	port      int
	listeners []net.Listener
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup

	// mu guards conns, every connection open on either side, and closed.
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool

	closeOnce sync.Once
	closeErr  error
}

// Listen starts a front on a free port of loopback, 127.0.0.1 and, where the machine has
// it, ::1 (the port of both), as a server listening on localhost does.
func Listen(cfg Config) (*Front, error) {
	if cfg.Backend == nil {
		return nil, errors.New("mysqlfront: no Backend")
	}
	if cfg.StartupTimeout == 0 {
		cfg.StartupTimeout = DefaultStartupTimeout
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	listeners, err := listenLoopback()
	if err != nil {
		return nil, fmt.Errorf("mysqlfront: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &Front{
		cfg:       cfg,
		port:      listeners[0].Addr().(*net.TCPAddr).Port,
		listeners: listeners,
		ctx:       ctx,
		cancel:    cancel,
		conns:     map[net.Conn]struct{}{},
	}
	for _, l := range listeners {
		f.wg.Add(1)
		go f.accept(l)
	}
	return f, nil
}

// listenLoopback listens on a free port of 127.0.0.1 and on the same port of ::1, trying
// other ports while ::1's is taken; a machine without ::1 gets 127.0.0.1 alone.
func listenLoopback() ([]net.Listener, error) {
	var err error
	for range 20 {
		var v4 net.Listener
		if v4, err = net.Listen("tcp4", "127.0.0.1:0"); err != nil {
			return nil, err
		}
		port := v4.Addr().(*net.TCPAddr).Port
		v6, err6 := net.Listen("tcp6", net.JoinHostPort("::1", strconv.Itoa(port)))
		switch {
		case err6 == nil:
			return []net.Listener{v4, v6}, nil
		case errors.Is(err6, syscall.EADDRINUSE):
			err = err6
			_ = v4.Close()
		default:
			return []net.Listener{v4}, nil
		}
	}
	return nil, fmt.Errorf("no port free on both 127.0.0.1 and ::1: %w", err)
}

// Port is the TCP port the front listens on.
func (f *Front) Port() int { return f.port }

// Close stops listening, closes every connection the front serves and waits for them.
// Closing a closed front does nothing.
func (f *Front) Close() error {
	f.closeOnce.Do(func() {
		f.cancel()
		var errs []error
		for _, l := range f.listeners {
			if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		}
		f.mu.Lock()
		f.closed = true
		for c := range f.conns {
			_ = c.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
		if err := errors.Join(errs...); err != nil {
			f.closeErr = fmt.Errorf("mysqlfront: close port %d: %w", f.port, err)
		}
	})
	return f.closeErr
}

// accept serves the connections l accepts until the front closes.
func (f *Front) accept(l net.Listener) {
	defer f.wg.Done()
	var delay time.Duration
	for {
		conn, err := l.Accept()
		if err != nil {
			if f.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// As net/http does: a failed Accept (out of file descriptors, say) is retried
			// after a pause that grows, not in a busy loop.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			f.logf("accept: %v; retrying in %v", err, delay)
			select {
			case <-time.After(delay):
			case <-f.ctx.Done():
				return
			}
			continue
		}
		delay = 0
		if !f.track(conn) {
			continue
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer f.untrack(conn)
			f.serve(conn)
		}()
	}
}

// serve serves one client connection.
func (f *Front) serve(client net.Conn) {
	b, err := f.cfg.Backend()
	if err != nil {
		f.logf("no server for a client from %s: %v", client.RemoteAddr(), err)
		return
	}
	ctx, cancel := context.WithTimeout(f.ctx, f.cfg.StartupTimeout)
	defer cancel()
	server, err := b.Dial(ctx)
	if err != nil {
		f.logf("client from %s: %v", client.RemoteAddr(), err)
		return
	}
	if !f.track(server) {
		return
	}
	defer f.untrack(server)
	if b.IAM == nil {
		pipe(client, client, server, server)
		return
	}
	f.login(ctx, client, server, b.IAM)
}

// pipe copies from the client (read through clientR, which may hold bytes already read
// from it) to the server and back (from serverR) until either side stops, then closes both.
func pipe(client net.Conn, clientR io.Reader, server net.Conn, serverR io.Reader) {
	pipeWith(client, server, func() { _, _ = io.Copy(server, clientR) }, serverR)
}

// pipeWith runs toServer, which copies the client's bytes to the server, beside a copy of
// serverR to the client, until either stops, then closes both.
func pipeWith(client, server net.Conn, toServer func(), serverR io.Reader) {
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

// track records an open connection so that Close closes it; false (the connection closed)
// once the front is closed.
func (f *Front) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		_ = c.Close()
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

// untrack closes a connection and forgets it.
func (f *Front) untrack(c net.Conn) {
	_ = c.Close()
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
}

func (f *Front) logf(format string, args ...any) {
	fmt.Fprintf(f.cfg.Log, "mysqlfront %d: %s\n", f.port, fmt.Sprintf(format, args...))
}
