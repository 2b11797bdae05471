package endpointfront

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeIAM is an IAM whose Check fails with err.
type fakeIAM struct{ err error }

func (i fakeIAM) Check() error { return i.err }

// logBuffer is a Config.Log the front's goroutines may write to at once.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServer starts a server that serves each connection with serve, then closes it, and
// returns its dialer.
func startServer(t *testing.T, serve func(c net.Conn)) func(ctx context.Context) (net.Conn, error) {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = l.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", l.Addr().String())
	}
}

// pong answers a ping with a pong and hangs up.
func pong(c net.Conn) {
	if _, err := io.ReadFull(c, make([]byte, len("ping"))); err == nil {
		_, _ = io.WriteString(c, "pong")
	}
}

// echo sends back what it reads until the client goes.
func echo(c net.Conn) { _, _ = io.Copy(c, c) }

// refuseLogins is the Handler of a test that wants no logins: it hangs up.
func refuseLogins(context.Context, *Front, net.Conn, Backend[fakeIAM]) {}

// listen starts a front for one test.
func listen(t *testing.T, cfg Config[fakeIAM], login Handler[fakeIAM]) *Front {
	t.Helper()
	f, err := Listen("testfront", cfg, login)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return f
}

// exchange connects to the front at host, sends send and returns all the front sends back
// until it hangs up. A front that hangs up on bytes it has not read resets the connection,
// so only a client the front reads from sends anything.
func exchange(t *testing.T, host string, port int, send string) string {
	t.Helper()
	c, err := net.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("dial the front: %v", err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, send); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read from the front: %v", err)
	}
	return string(got)
}

// TestServe checks what the front does with a client, depending on the Backend it
// resolves for it.
func TestServe(t *testing.T) {
	dial := startServer(t, pong)
	login := func(ctx context.Context, f *Front, client net.Conn, b Backend[fakeIAM]) {
		_, _ = io.WriteString(client, "logged in")
	}
	cases := map[string]struct {
		reason  string
		backend func() (Backend[fakeIAM], error)
		send    string
		want    string
		wantLog string
	}{
		"Relay": {
			reason:  "A Backend without IAM gets the bytes of the client, and the client the server's.",
			backend: func() (Backend[fakeIAM], error) { return Backend[fakeIAM]{Dial: dial}, nil },
			send:    "ping",
			want:    "pong",
		},
		"Login": {
			reason:  "A Backend with IAM hands the client to the front's Handler.",
			backend: func() (Backend[fakeIAM], error) { return Backend[fakeIAM]{Dial: dial, IAM: &fakeIAM{}}, nil },
			want:    "logged in",
		},
		"NoServer": {
			reason:  "A Backend that cannot be resolved closes the connection, and says why in the log.",
			backend: func() (Backend[fakeIAM], error) { return Backend[fakeIAM]{}, errors.New("no server yet") },
			wantLog: "no server yet",
		},
		"NoDial": {
			reason:  "A Backend without Dial is turned away rather than panicking the front.",
			backend: func() (Backend[fakeIAM], error) { return Backend[fakeIAM]{}, nil },
			wantLog: "the Backend has no Dial",
		},
		"IAMIncomplete": {
			reason: "IAM whose Check fails (a Verify missing, say) is turned away before the Handler runs.",
			backend: func() (Backend[fakeIAM], error) {
				return Backend[fakeIAM]{Dial: dial, IAM: &fakeIAM{err: errors.New("IAM lacks Verify")}}, nil
			},
			wantLog: "IAM lacks Verify",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var log logBuffer
			f := listen(t, Config[fakeIAM]{Backend: tc.backend, Log: &log}, login)
			if diff := cmp.Diff(tc.want, exchange(t, "127.0.0.1", f.Port(), tc.send)); diff != "" {
				t.Errorf("%s\nreply: -want +got:\n%s", tc.reason, diff)
			}
			if !strings.Contains(log.String(), tc.wantLog) || (tc.wantLog == "") != (log.String() == "") {
				t.Errorf("%s\nlog: %q, want a line with %q", tc.reason, log.String(), tc.wantLog)
			}
		})
	}
}

// TestIPv6 checks that the front listens on ::1 too, where the machine has it, on the
// same port.
func TestIPv6(t *testing.T) {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("this machine has no ::1: %v", err)
	}
	_ = l.Close()
	dial := startServer(t, pong)
	f := listen(t, Config[fakeIAM]{Backend: func() (Backend[fakeIAM], error) { return Backend[fakeIAM]{Dial: dial}, nil }}, refuseLogins)
	if got := exchange(t, "::1", f.Port(), "ping"); got != "pong" {
		t.Errorf("a relay through [::1]:%d: %q, want \"pong\"", f.Port(), got)
	}
}

// TestStartupTimeout checks that the Handler's context ends with the client's
// StartupTimeout.
func TestStartupTimeout(t *testing.T) {
	login := func(ctx context.Context, f *Front, client net.Conn, b Backend[fakeIAM]) {
		<-ctx.Done()
		_, _ = io.WriteString(client, ctx.Err().Error())
	}
	backend := func() (Backend[fakeIAM], error) {
		return Backend[fakeIAM]{Dial: func(context.Context) (net.Conn, error) { return nil, errors.ErrUnsupported }, IAM: &fakeIAM{}}, nil
	}
	f := listen(t, Config[fakeIAM]{Backend: backend, StartupTimeout: 100 * time.Millisecond}, login)
	if got, want := exchange(t, "127.0.0.1", f.Port(), ""), context.DeadlineExceeded.Error(); got != want {
		t.Errorf("a client that takes its time: %q, want %q", got, want)
	}
}

// TestClose checks that Close ends the sessions the front serves, the connections to the
// server with them, and that it listens no more.
func TestClose(t *testing.T) {
	dial := startServer(t, echo)
	servers := make(chan net.Conn, 1)
	backend := func() (Backend[fakeIAM], error) {
		return Backend[fakeIAM]{Dial: func(ctx context.Context) (net.Conn, error) {
			c, err := dial(ctx)
			servers <- c
			return c, err
		}}, nil
	}
	f, err := Listen("testfront", Config[fakeIAM]{Backend: backend}, refuseLogins)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(f.Port())))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, "ping"); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 4)); err != nil {
		t.Fatalf("the relay before Close: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("a session after Close: read %v, want EOF", err)
	}
	if _, err := (<-servers).Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("the connection to the server after Close: write %v, want it closed", err)
	}
	if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(f.Port())), time.Second); err == nil {
		_ = c.Close()
		t.Errorf("the closed front still accepts connections")
	}
	if err := f.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}

// TestListenRefuses checks that Listen refuses what would panic at the first connection.
func TestListenRefuses(t *testing.T) {
	backend := func() (Backend[fakeIAM], error) { return Backend[fakeIAM]{}, nil }
	cases := map[string]struct {
		reason string
		cfg    Config[fakeIAM]
		login  Handler[fakeIAM]
		want   string
	}{
		"NoBackend": {reason: "Without Backend no connection has a server.", login: refuseLogins, want: "testfront: no Backend"},
		"NoHandler": {reason: "Without a Handler no client of a Backend with IAM can be served.",
			cfg: Config[fakeIAM]{Backend: backend}, want: "testfront: no Handler"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f, err := Listen("testfront", tc.cfg, tc.login)
			if f != nil {
				_ = f.Close()
			}
			if got := fmt.Sprint(err); got != tc.want {
				t.Errorf("%s\nListen: %s, want %s", tc.reason, got, tc.want)
			}
		})
	}
}
