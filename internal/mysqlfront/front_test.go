package mysqlfront

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
)

const (
	testMaster   = "master"
	testPassword = "master-Passw0rd"
	goodToken    = "token-of-app"
)

// startServer starts a MariaDB server for one test, skipping only when MariaDB is not
// installed.
func startServer(t *testing.T) *mariaserver.Server {
	t.Helper()
	if err := mariaserver.Installed(); err != nil {
		t.Skipf("MariaDB is not installed: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := mariaserver.Start(ctx, mariaserver.Options{Dir: t.TempDir(), MasterUser: testMaster, MasterPassword: testPassword})
	if err != nil {
		t.Fatalf("start mariadb: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop mariadb: %v", err)
		}
	})
	return srv
}

// startFront starts a front before srv, with IAM while iam is set, whose verifier takes
// goodToken.
func startFront(t *testing.T, srv *mariaserver.Server, iam *atomic.Bool, timeout time.Duration) *Front {
	t.Helper()
	tlsConfig, err := srv.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	password := func(user string) string { return "derived-" + user }
	f, err := Listen(Config{
		StartupTimeout: timeout,
		Backend: func() (Backend, error) {
			b := Backend{Dial: func(ctx context.Context) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "tcp", net.JoinHostPort(srv.Host, strconv.Itoa(srv.Port)))
			}}
			if iam.Load() {
				b.IAM = &IAM{
					TLS:      tlsConfig,
					Password: password,
					UsesIAM: func(ctx context.Context, user string) (bool, error) {
						return srv.HasPassword(ctx, user, password(user))
					},
					Verify: func(user, token string) error {
						if token != goodToken {
							return errors.New("not the token")
						}
						return nil
					},
				}
			}
			return b, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return f
}

// result is how one login went: the session's user and cipher, or the refusal.
type result struct {
	User    string
	TLS     bool
	Code    uint16
	Message string
}

// login logs in at the front and runs stmts, then asks who the session is.
func login(t *testing.T, f *Front, user, password string, withTLS bool, stmts ...string) result {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = user, password, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(f.Port()))
	cfg.AllowCleartextPasswords, cfg.Timeout = true, 10*time.Second
	if withTLS {
		cfg.TLSConfig = "skip-verify"
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	db.SetMaxOpenConns(1)
	var got result
	for _, q := range stmts {
		if _, err = db.Exec(q); err != nil {
			break
		}
	}
	if err == nil {
		var cipher string
		err = db.QueryRow("SELECT CURRENT_USER(), VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_cipher'").Scan(&got.User, &cipher)
		got.TLS = cipher != ""
	}
	if err != nil {
		var me *mysql.MySQLError
		if !errors.As(err, &me) {
			t.Fatalf("login of %s: %v", user, err)
		}
		return result{Code: me.Number, Message: me.Message}
	}
	return got
}

func TestLogins(t *testing.T) {
	srv := startServer(t)
	var iam atomic.Bool
	iam.Store(true)
	f := startFront(t, srv, &iam, 0)
	if got := login(t, f, testMaster, testPassword, true,
		"CREATE USER 'app'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'", "GRANT SELECT ON *.* TO 'app'@'%'"); got.User != "master@%" {
		t.Fatalf("the master creates an IAM user: %+v", got)
	}
	denied := func(user string) result {
		return result{Code: 1045, Message: "Access denied for user '" + user + "'@'127.0.0.1' (using password: YES)"}
	}
	cases := []struct {
		reason         string
		iam            bool
		user, password string
		tls            bool
		want           result
	}{
		{reason: "The master's password login passes through TLS on both sides.", iam: true,
			user: testMaster, password: testPassword, tls: true, want: result{User: "master@%", TLS: true}},
		{reason: "The master's password login passes in the clear too.", iam: true,
			user: testMaster, password: testPassword, want: result{User: "master@%"}},
		{reason: "The server refuses a wrong password itself.", iam: true,
			user: testMaster, password: "wrong", tls: true, want: denied(testMaster)},
		{reason: "An IAM user logs in with its token.", iam: true,
			user: "app", password: goodToken, tls: true, want: result{User: "app@%", TLS: true}},
		{reason: "A token the verifier refuses gets RDS's refusal.", iam: true,
			user: "app", password: "not-a-token", tls: true, want: denied("app")},
		{reason: "The password only the front knows is no way in either.", iam: true,
			user: "app", password: "derived-app", tls: true, want: denied("app")},
		{reason: "A token in the clear is refused, as RDS wants TLS for IAM.", iam: true,
			user: "app", password: goodToken, want: denied("app")},
		{reason: "With IAM off the front relays bytes: the token is no password.", iam: false,
			user: "app", password: goodToken, tls: true, want: denied("app")},
		{reason: "With IAM off the master logs in as before.", iam: false,
			user: testMaster, password: testPassword, tls: true, want: result{User: "master@%", TLS: true}},
	}
	for _, tc := range cases {
		iam.Store(tc.iam)
		if got := login(t, f, tc.user, tc.password, tc.tls); got != tc.want {
			t.Errorf("%s\nlogin of %s: got %+v, want %+v", tc.reason, tc.user, got, tc.want)
		}
	}
}

func TestStartupTimeout(t *testing.T) {
	srv := startServer(t)
	var iam atomic.Bool
	iam.Store(true)
	f := startFront(t, srv, &iam, 200*time.Millisecond)
	conn, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(f.Port())))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The greeting comes, then nothing is sent: the front must hang up by itself.
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := readPacket(conn, maxLoginPacket); err != nil {
		t.Fatalf("read the greeting: %v", err)
	}
	buf := make([]byte, 1)
	if _, err := conn.Read(buf); err == nil || errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		t.Errorf("a client that says nothing: read %v, want the front to close the connection", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestIAMCheck checks that IAM without a function the front would call fails its Check, so
// that the front turns the client away instead of panicking halfway through its login.
func TestIAMCheck(t *testing.T) {
	password := func(user string) string { return "derived-" + user }
	usesIAM := func(context.Context, string) (bool, error) { return true, nil }
	verify := func(string, string) error { return nil }
	cases := []struct {
		reason string
		iam    IAM
		ok     bool
	}{
		{reason: "IAM with every function passes; TLS may be nil.",
			iam: IAM{Password: password, UsesIAM: usesIAM, Verify: verify}, ok: true},
		{reason: "Without Verify a token would go unchecked.",
			iam: IAM{Password: password, UsesIAM: usesIAM}},
		{reason: "Without UsesIAM the front cannot tell a token from a password.",
			iam: IAM{Password: password, Verify: verify}},
		{reason: "Without Password the front can neither log an IAM user in nor rewrite CREATE USER.",
			iam: IAM{UsesIAM: usesIAM, Verify: verify}},
	}
	for _, tc := range cases {
		if err := tc.iam.Check(); (err == nil) != tc.ok {
			t.Errorf("%s\nCheck: %v", tc.reason, err)
		}
	}
}
