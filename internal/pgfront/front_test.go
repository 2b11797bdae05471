package pgfront_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgfront"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

const (
	master         = "master"
	masterPassword = "Master-Passw0rd"
	// goodToken is the one token the tests' verifier accepts, for app.
	goodToken = "localhost:5432/?Action=connect&DBUser=app&X-Amz-Signature=good"
)

// fixture is a PostgreSQL server set up for IAM database authentication, with app (who
// logs in with a token) and plain (who logs in with a password), and the PEM of the CA
// that signed its certificate.
type fixture struct {
	server *pgserver.Server
	caFile string
}

// startFixture starts the server for one test, skipping only when PostgreSQL cannot run
// here.
func startFixture(t *testing.T) fixture {
	t.Helper()
	builds, err := pgserver.DefaultBuilds()
	if err != nil {
		t.Fatalf("look up PostgreSQL builds: %v", err)
	}
	if _, err := builds.Default(); err != nil {
		t.Skipf("PostgreSQL server binaries not installed: %v", err)
	}
	ca, err := serverproc.NewCA("pgfront test CA")
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := pgserver.Start(ctx, pgserver.Options{Dir: t.TempDir(), MasterUser: master, MasterPassword: masterPassword, CA: ca, IAM: true})
	if err != nil {
		t.Fatalf("start postgres: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop postgres: %v", err)
		}
	})
	conn, err := pgx.Connect(ctx, fmt.Sprintf("host=127.0.0.1 port=%d user=%s password=%s dbname=postgres sslmode=require", s.Port, master, masterPassword))
	if err != nil {
		t.Fatalf("master login: %v", err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{`CREATE ROLE app LOGIN`, `GRANT rds_iam TO app`, `CREATE ROLE plain LOGIN PASSWORD 'plain-Passw0rd'`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return fixture{server: s, caFile: caFile}
}

// verifier is the tests' token check: it accepts goodToken for app and counts its calls.
type verifier struct{ calls atomic.Int32 }

func (v *verifier) verify(user, token string) error {
	v.calls.Add(1)
	if user == "app" && token == goodToken {
		return nil
	}
	return errors.New("not the token of the test")
}

// backend is the Backend of the fixture's server, with IAM when iam says so at the time of
// each connection.
func (fx fixture) backend(iam *atomic.Bool, v *verifier) func() (pgfront.Backend, error) {
	return func() (pgfront.Backend, error) {
		b := pgfront.Backend{Dial: func(ctx context.Context) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", fx.server.Addr())
		}}
		if !iam.Load() {
			return b, nil
		}
		cfg, err := fx.server.TLSConfig()
		if err != nil {
			return pgfront.Backend{}, err
		}
		b.IAM = &pgfront.IAM{TLS: cfg, UsesIAM: fx.server.UsesIAM, Verify: v.verify,
			DialTrusted: fx.server.DialTrusted, DialPassword: fx.server.DialPassword}
		return b, nil
	}
}

// listen starts a front for one test.
func listen(t *testing.T, cfg pgfront.Config) *pgfront.Front {
	t.Helper()
	f, err := pgfront.Listen(cfg)
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

// login is what one login through the front sees: its user, whether the server has the
// session over TLS, or the error that refused it.
type login struct {
	User     string
	SSL      bool
	Severity string
	Code     string
	Message  string
}

// connect logs in through the front with a connection string's settings and says how it
// went.
func connect(t *testing.T, port int, settings string) login {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, fmt.Sprintf("host=127.0.0.1 port=%d dbname=postgres %s", port, settings))
	if err != nil {
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) {
			t.Fatalf("connect with %q: %v", settings, err)
		}
		return login{Severity: pgErr.Severity, Code: pgErr.Code, Message: pgErr.Message}
	}
	defer conn.Close(ctx)
	var got login
	if err := conn.QueryRow(ctx, `SELECT current_user::text, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`).Scan(&got.User, &got.SSL); err != nil {
		t.Fatalf("query the session: %v", err)
	}
	return got
}

// TestRelay checks that a front without IAM changes nothing: TLS and SCRAM with channel
// binding go to the server as they are, and so do the server's refusals and cancel
// requests.
func TestRelay(t *testing.T) {
	fx := startFixture(t)
	var iam atomic.Bool
	f := listen(t, pgfront.Config{Backend: fx.backend(&iam, &verifier{})})
	verifyFull := "sslmode=verify-full sslrootcert=" + fx.caFile
	cases := map[string]struct {
		reason   string
		settings string
		want     login
	}{
		"MasterOverTLS": {
			reason:   "The master logs in with its password over TLS, which the server does, channel binding and all.",
			settings: "user=master password=" + masterPassword + " channel_binding=require " + verifyFull,
			want:     login{User: master, SSL: true},
		},
		"WrongPassword": {
			reason:   "The server's own refusal reaches the client.",
			settings: "user=master password=wrong " + verifyFull,
			want:     login{Severity: "FATAL", Code: "28P01", Message: `password authentication failed for user "master"`},
		},
		"IAMUserWithoutIAM": {
			reason:   "Without IAM on the instance, a member of rds_iam cannot log in at all, as on RDS.",
			settings: "user=app password=" + goodToken + " " + verifyFull,
			want:     login{Severity: "FATAL", Code: "28000", Message: `pg_hba.conf rejects connection for host "127.0.0.1", user "app", database "postgres", SSL encryption`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, connect(t, f.Port(), tc.settings)); diff != "" {
				t.Errorf("%s\nlogin: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
	t.Run("Cancel", func(t *testing.T) {
		checkCancel(t, f.Port(), "user=master password="+masterPassword+" sslmode=require")
	})
}

// checkCancel runs a long query through the front and cancels it: the cancel request must
// reach the server.
func checkCancel(t *testing.T, port int, settings string) {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=127.0.0.1 port=%d dbname=postgres %s", port, settings))
	if err != nil {
		t.Fatal(err)
	}
	// A cancelled context sends a CancelRequest, as libpq's PQcancel does.
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: time.Minute}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	qctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = conn.Exec(qctx, `SELECT pg_sleep(60)`)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Fatalf("a cancelled pg_sleep: %v; want query_canceled (57014)", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the cancel took %v", d)
	}
}

// TestIAM checks the logins of a front with IAM: a token for rds_iam's members, the
// server's SCRAM for everyone else, over TLS with the server's certificate.
func TestIAM(t *testing.T) {
	fx := startFixture(t)
	var iam atomic.Bool
	iam.Store(true)
	v := &verifier{}
	f := listen(t, pgfront.Config{Backend: fx.backend(&iam, v)})
	verifyFull := "sslmode=verify-full sslrootcert=" + fx.caFile
	cases := map[string]struct {
		reason       string
		settings     string
		want         login
		wantVerified int32
	}{
		"Token": {
			reason:       "A member of rds_iam logs in with its token over TLS, which the server sees too.",
			settings:     "user=app password=" + goodToken + " " + verifyFull,
			want:         login{User: "app", SSL: true},
			wantVerified: 1,
		},
		"DirectTLS": {
			reason:       "PostgreSQL 17's direct TLS negotiation works as well.",
			settings:     "user=app password=" + goodToken + " sslnegotiation=direct " + verifyFull,
			want:         login{User: "app", SSL: true},
			wantVerified: 1,
		},
		"WrongToken": {
			reason:       "A token the verifier refuses gets PAM's refusal, as on RDS.",
			settings:     "user=app password=not-a-token " + verifyFull,
			want:         login{Severity: "FATAL", Code: "28000", Message: `PAM authentication failed for user "app"`},
			wantVerified: 1,
		},
		"TokenWithoutTLS": {
			reason:   "IAM database authentication requires TLS; the front does not even ask for the token.",
			settings: "user=app password=" + goodToken + " sslmode=disable",
			want:     login{Severity: "FATAL", Code: "28000", Message: `no pg_hba.conf entry for host "127.0.0.1", user "app", database "postgres", no encryption`},
		},
		"MasterWithChannelBinding": {
			reason:   "The master logs in with its password; SCRAM's channel binding matches since the front shows the server's certificate.",
			settings: "user=master password=" + masterPassword + " channel_binding=require " + verifyFull,
			want:     login{User: master, SSL: true},
		},
		"PlainWithoutTLS": {
			reason:   "A user with a password may log in without TLS, as the server allows.",
			settings: "user=plain password=plain-Passw0rd sslmode=disable",
			want:     login{User: "plain", SSL: false},
		},
		"WrongPassword": {
			reason:   "The server checks passwords and its refusal reaches the client.",
			settings: "user=plain password=wrong " + verifyFull,
			want:     login{Severity: "FATAL", Code: "28P01", Message: `password authentication failed for user "plain"`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			before := v.calls.Load()
			if diff := cmp.Diff(tc.want, connect(t, f.Port(), tc.settings)); diff != "" {
				t.Errorf("%s\nlogin: -want +got:\n%s", tc.reason, diff)
			}
			if got := v.calls.Load() - before; got != tc.wantVerified {
				t.Errorf("%s\nthe verifier was asked %d times, want %d", tc.reason, got, tc.wantVerified)
			}
		})
	}
	t.Run("Cancel", func(t *testing.T) {
		checkCancel(t, f.Port(), "user=app password="+goodToken+" sslmode=require")
	})
	t.Run("IAMOffAtTheNextLogin", func(t *testing.T) {
		iam.Store(false)
		defer iam.Store(true)
		if got := connect(t, f.Port(), "user=app password="+goodToken+" "+verifyFull); got.Code != "28000" {
			t.Errorf("app's token once IAM is off: %+v; want refused (28000)", got)
		}
	})
	t.Run("Psql", func(t *testing.T) {
		psql, err := exec.LookPath("psql")
		if err != nil {
			t.Skip("no psql on this machine")
		}
		for _, binding := range []string{"prefer", "require"} {
			cmd := exec.Command(psql, "-X", "-A", "-t", "-c", `SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`,
				fmt.Sprintf("host=localhost port=%d user=master dbname=postgres channel_binding=%s %s", f.Port(), binding, verifyFull))
			cmd.Env = append(os.Environ(), "PGPASSWORD="+masterPassword)
			out, err := cmd.CombinedOutput()
			if got := strings.TrimSpace(string(out)); err != nil || got != "master|t" {
				t.Errorf("psql with channel_binding=%s through the front: %q (%v), want master|t", binding, got, err)
			}
		}
	})
}

// TestNegotiation checks the requests that may come before the StartupMessage.
func TestNegotiation(t *testing.T) {
	fx := startFixture(t)
	var iam atomic.Bool
	iam.Store(true)
	f := listen(t, pgfront.Config{Backend: fx.backend(&iam, &verifier{}), StartupTimeout: 500 * time.Millisecond})
	dial := func(t *testing.T) net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", f.Port()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		return c
	}
	t.Run("GSSENCThenSSL", func(t *testing.T) {
		c := dial(t)
		answers := make([]byte, 2)
		for i, code := range []uint32{80877104, 80877103} {
			req := []byte{0, 0, 0, 8, byte(code >> 24), byte(code >> 16), byte(code >> 8), byte(code)}
			if _, err := c.Write(req); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(c, answers[i:i+1]); err != nil {
				t.Fatal(err)
			}
		}
		if string(answers) != "NS" {
			t.Errorf("answers to GSSENCRequest and SSLRequest: %q, want \"NS\"", answers)
		}
	})
	t.Run("StartupTimeout", func(t *testing.T) {
		c := dial(t)
		start := time.Now()
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
			t.Errorf("a silent client: %v; want the front to close the connection", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the front closed a silent client after %v", d)
		}
	})
	t.Run("NoUser", func(t *testing.T) {
		c := dial(t)
		msg := []byte{0, 3, 0, 0}
		msg = append(msg, "database\x00postgres\x00\x00"...)
		packet := append([]byte{0, 0, 0, byte(4 + len(msg))}, msg...)
		if _, err := c.Write(packet); err != nil {
			t.Fatal(err)
		}
		reply, _ := io.ReadAll(c)
		if !bytes.Contains(reply, []byte("no PostgreSQL user name specified in startup packet")) || reply[0] != 'E' {
			t.Errorf("a StartupMessage without user: %q; want an ErrorResponse", reply)
		}
	})
}

// TestClose checks that Close ends the sessions the front serves and that it listens no
// more.
func TestClose(t *testing.T) {
	fx := startFixture(t)
	for _, withIAM := range []bool{false, true} {
		t.Run(fmt.Sprintf("IAM=%v", withIAM), func(t *testing.T) {
			var iam atomic.Bool
			iam.Store(withIAM)
			f, err := pgfront.Listen(pgfront.Config{Backend: fx.backend(&iam, &verifier{})})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			conn, err := pgx.Connect(ctx, fmt.Sprintf("host=127.0.0.1 port=%d user=master password=%s dbname=postgres sslmode=require", f.Port(), masterPassword))
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			defer conn.Close(ctx)
			var wg sync.WaitGroup
			wg.Add(1)
			var qerr error
			go func() {
				defer wg.Done()
				_, qerr = conn.Exec(ctx, `SELECT pg_sleep(60)`)
			}()
			if err := f.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			wg.Wait()
			if qerr == nil {
				t.Errorf("a session outlived the front")
			}
			if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", f.Port()), time.Second); err == nil {
				_ = c.Close()
				t.Errorf("the closed front still accepts connections")
			}
		})
	}
}

// TestIAMCheck checks that IAM without a function the front would call fails its Check, so
// that the front turns the client away instead of panicking halfway through its login.
func TestIAMCheck(t *testing.T) {
	dial := func(context.Context) (net.Conn, error) { return nil, errors.ErrUnsupported }
	complete := func() pgfront.IAM {
		return pgfront.IAM{
			UsesIAM:      func(context.Context, string) (bool, error) { return true, nil },
			Verify:       func(string, string) error { return nil },
			DialTrusted:  dial,
			DialPassword: dial,
		}
	}
	cases := map[string]struct {
		reason  string
		change  func(*pgfront.IAM)
		wantErr bool
	}{
		"Complete": {reason: "IAM with every function passes; TLS may be nil.", change: func(*pgfront.IAM) {}},
		"NoVerify": {reason: "Without Verify a token would go unchecked.", change: func(i *pgfront.IAM) { i.Verify = nil }, wantErr: true},
		"NoUsesIAM": {reason: "Without UsesIAM the front cannot tell a token from a password.",
			change: func(i *pgfront.IAM) { i.UsesIAM = nil }, wantErr: true},
		"NoDialTrusted": {reason: "Without DialTrusted an IAM user has no way in.",
			change: func(i *pgfront.IAM) { i.DialTrusted = nil }, wantErr: true},
		"NoDialPassword": {reason: "Without DialPassword a password user has no way in.",
			change: func(i *pgfront.IAM) { i.DialPassword = nil }, wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			iam := complete()
			tc.change(&iam)
			if err := iam.Check(); (err != nil) != tc.wantErr {
				t.Errorf("%s\nCheck: %v, want an error: %v", tc.reason, err, tc.wantErr)
			}
		})
	}
}
