// Package endpointfront provides what the fronts of RDS endpoints (packages pgfront and
// mysqlfront) share and what no database protocol is part of: a listener on a loopback port
// of its own; the resolution, at each new connection, of the server behind the endpoint;
// the byte relay that is all a front does while IAM database authentication is off; and the
// tracking of every connection open on either side, so that Close ends them all. A front
// plugs its engine's protocol in as the Handler of the clients it logs in with IAM.
package endpointfront

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// IAM is what a front needs to log users in with IAM database authentication (pgfront.IAM,
// mysqlfront.IAM).
type IAM interface {
	// Check reports a function the front would call and IAM lacks, so that the client is
	// turned away at once rather than panicking the front halfway through its login.
	Check() error
}

// Backend is the server one connection goes to. Config.Backend resolves it when the
// connection arrives, since an upgrade, a restore or a reboot may replace the server behind
// an endpoint.
type Backend[I IAM] struct {
	// Dial connects to the server over TCP; it is required.
	Dial func(ctx context.Context) (net.Conn, error)
	// IAM turns IAM database authentication on; nil relays bytes.
	IAM *I
}

// check reports a function b lacks.
func (b Backend[I]) check() error {
	if b.Dial == nil {
		return errors.New("the Backend has no Dial")
	}
	if b.IAM != nil {
		return (*b.IAM).Check()
	}
	return nil
}

// Config configures Listen: pgfront.Config and mysqlfront.Config are this, with their own
// IAM.
type Config[I IAM] struct {
	// Backend resolves the server of a new connection; an error, or a Backend without a
	// function it requires, closes the connection.
	Backend func() (Backend[I], error)
	// StartupTimeout bounds how long a client may take from connecting to being handed to
	// the server, logged in where the front logs it in; 0 means DefaultStartupTimeout.
	StartupTimeout time.Duration
	// Log receives a line for each refused login and each connection the front could not
	// serve; nil discards them. It never receives a password or a token.
	Log io.Writer
}

// DefaultStartupTimeout is Config.StartupTimeout's default.
const DefaultStartupTimeout = 30 * time.Second

// Handler serves a client of f whose Backend b has IAM: it speaks the engine's protocol as
// far as IAM database authentication needs, logs the client in at the server and relays.
// ctx ends when the client's StartupTimeout is up or the front closes, so the Handler logs
// the client in under it and relays without it. The front closes client when the Handler
// returns; a connection to the server goes through f.Track, so that Close closes it too.
type Handler[I IAM] func(ctx context.Context, f *Front, client net.Conn, b Backend[I])

// Front is a running front. Close stops it.
type Front struct {
	// name begins the front's errors and log lines, so that they say which front wrote
	// them.
	name string
	// serve serves one client connection.
	serve     func(client net.Conn)
	log       io.Writer
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
// it, ::1 (the port of both), as a server listening on localhost does. It relays the
// clients of a Backend without IAM and hands those of one with IAM to login; name, the
// package of the front, begins its errors and log lines.
func Listen[I IAM](name string, cfg Config[I], login Handler[I]) (*Front, error) {
	if cfg.Backend == nil {
		return nil, fmt.Errorf("%s: no Backend", name)
	}
	if login == nil {
		return nil, fmt.Errorf("%s: no Handler", name)
	}
	if cfg.StartupTimeout == 0 {
		cfg.StartupTimeout = DefaultStartupTimeout
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	listeners, err := listenLoopback()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &Front{
		name:      name,
		log:       cfg.Log,
		port:      listeners[0].Addr().(*net.TCPAddr).Port,
		listeners: listeners,
		ctx:       ctx,
		cancel:    cancel,
		conns:     map[net.Conn]struct{}{},
	}
	f.serve = func(client net.Conn) { serve(f, client, cfg, login) }
	for _, l := range listeners {
		f.wg.Add(1)
		go f.accept(l)
	}
	return f, nil
}

// serve serves one client connection of f: it resolves its Backend, then relays the client
// or hands it to login.
func serve[I IAM](f *Front, client net.Conn, cfg Config[I], login Handler[I]) {
	ctx, cancel := context.WithTimeout(f.ctx, cfg.StartupTimeout)
	defer cancel()
	b, err := cfg.Backend()
	if err == nil {
		err = b.check()
	}
	if err != nil {
		f.Logf("no server for a client from %s: %v", client.RemoteAddr(), err)
		return
	}
	if b.IAM != nil {
		login(ctx, f, client, b)
		return
	}
	server, err := b.Dial(ctx)
	if err != nil {
		f.Logf("relay a client from %s: %v", client.RemoteAddr(), err)
		return
	}
	if !f.Track(server) {
		return
	}
	defer f.Untrack(server)
	Pipe(client, client, server, server)
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
			f.closeErr = fmt.Errorf("%s: close port %d: %w", f.name, f.port, err)
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
			f.Logf("accept: %v; retrying in %v", err, delay)
			select {
			case <-time.After(delay):
			case <-f.ctx.Done():
				return
			}
			continue
		}
		delay = 0
		if !f.Track(conn) {
			continue
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer f.Untrack(conn)
			f.serve(conn)
		}()
	}
}

// Track records an open connection, such as one a Handler opened to the server, so that
// Close closes it; false (the connection closed) once the front is closed. Whoever tracks a
// connection untracks it when done with it.
func (f *Front) Track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		_ = c.Close()
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

// Untrack closes a connection Track recorded and forgets it.
func (f *Front) Untrack(c net.Conn) {
	_ = c.Close()
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
}

// Logf writes a line to the front's log, after the front's name and port. It must never be
// given a password or a token.
func (f *Front) Logf(format string, args ...any) {
	fmt.Fprintf(f.log, "%s %d: %s\n", f.name, f.port, fmt.Sprintf(format, args...))
}
