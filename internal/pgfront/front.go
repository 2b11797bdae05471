// Package pgfront provides the listener an RDS instance's endpoint is, in front of one
// PostgreSQL server, on a loopback port of its own. Without IAM database authentication it
// relays bytes both ways and understands none of them. With it, it speaks PostgreSQL's
// protocol up to authentication, as RDS's own PAM module takes over a login: a user who
// logs in with an IAM token is asked for it in clear text (over TLS, which the front does
// with the server's own certificate), the token is checked, and the user is handed to the
// server already logged in; every other user is handed to the server, which checks the
// password itself.
package pgfront

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
// connection arrives, since an upgrade or a restore may replace the server behind an
// endpoint.
type Backend struct {
	// Dial connects to the server over TCP. The relay uses it for every connection, a
	// front with IAM for cancel requests.
	Dial func(ctx context.Context) (net.Conn, error)
	// IAM turns IAM database authentication on; nil relays bytes.
	IAM *IAM
}

// IAM is what the front needs to log users in with IAM database authentication.
type IAM struct {
	// TLS is the server's own certificate and key, with which the front answers a client
	// that asks for TLS, so that SCRAM's channel binding computed against the front matches
	// the server's; nil refuses TLS.
	TLS *tls.Config
	// UsesIAM reports whether user logs in with a token rather than a password. It is asked
	// at each login.
	UsesIAM func(ctx context.Context, user string) (bool, error)
	// Verify checks the token user sent as its password: nil accepts it. Its error goes to
	// the log, never to the client, and must not hold the token.
	Verify func(user, token string) error
	// DialTrusted connects to the server where it lets a user in without a password: the
	// way of a user whose token the front accepted.
	DialTrusted func(ctx context.Context) (net.Conn, error)
	// DialPassword connects to the server over TCP for a user who logs in with a password,
	// which the server checks through the relay.
	DialPassword func(ctx context.Context) (net.Conn, error)
}

// Config configures Listen.
type Config struct {
	// Backend resolves the server of a new connection; an error closes the connection.
	Backend func() (Backend, error)
	// StartupTimeout bounds how long a client of a front with IAM may take from connecting
	// to being handed to the server; 0 means DefaultStartupTimeout.
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
		return nil, errors.New("pgfront: no Backend")
	}
	if cfg.StartupTimeout == 0 {
		cfg.StartupTimeout = DefaultStartupTimeout
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	listeners, err := listenLoopback()
	if err != nil {
		return nil, fmt.Errorf("pgfront: %w", err)
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
			f.closeErr = fmt.Errorf("pgfront: close port %d: %w", f.port, err)
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
	if b.IAM == nil {
		f.relay(client, b)
		return
	}
	f.login(client, b)
}

// relay connects the client to the server over TCP and copies bytes both ways.
func (f *Front) relay(client net.Conn, b Backend) {
	ctx, cancel := context.WithTimeout(f.ctx, f.cfg.StartupTimeout)
	server, err := b.Dial(ctx)
	cancel()
	if err != nil {
		f.logf("relay a client from %s: %v", client.RemoteAddr(), err)
		return
	}
	if !f.track(server) {
		return
	}
	defer f.untrack(server)
	pipe(client, client, server)
}

// pipe copies from the client (read through clientR, which may hold bytes already read
// from it) to the server and back until either side stops, then closes both.
func pipe(client net.Conn, clientR io.Reader, server net.Conn) {
	done := make(chan struct{}, 2)
	go func() {
		_, _ = io.Copy(server, clientR)
		done <- struct{}{}
	}()
	go func() {
		_, _ = io.Copy(client, server)
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
	fmt.Fprintf(f.cfg.Log, "pgfront %d: %s\n", f.port, fmt.Sprintf(format, args...))
}
