package pgserver

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

const (
	testMaster   = "master_user"
	testPassword = "s3cret'pass"
)

// skipWithoutPostgres skips a test when no PostgreSQL server can be started here.
func skipWithoutPostgres(t *testing.T) {
	t.Helper()
	builds, err := DefaultBuilds()
	if err != nil {
		t.Fatalf("look up PostgreSQL builds: %v", err)
	}
	if _, err := builds.Default(); err != nil {
		t.Skipf("PostgreSQL server binaries not installed: %v", err)
	}
}

// startServer starts a server of the default build for one test, skipping only when
// PostgreSQL is not installed.
func startServer(t *testing.T) *Server {
	t.Helper()
	return startMajor(t, 0)
}

// startMajor starts a server of a major version (0: the default build) for one test.
func startMajor(t *testing.T, major int) *Server {
	t.Helper()
	skipWithoutPostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Start(ctx, Options{Dir: t.TempDir(), MasterUser: testMaster, MasterPassword: testPassword, Major: major})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s
}

func masterDSN(s *Server, password, db string) string {
	return fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=require",
		s.Host, s.Port, testMaster, quoteDSN(password), db)
}

func quoteDSN(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

func TestServerIsSetUpLikeRDS(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()

	conn, err := pgx.Connect(ctx, masterDSN(s, testPassword, "postgres"))
	if err != nil {
		t.Fatalf("master login over TLS: %v", err)
	}
	defer conn.Close(ctx)

	type facts struct {
		SSL             bool
		Super           bool
		CreateDB        bool
		CreateRole      bool
		InRDSSuperuser  bool
		ReadAllSettings bool
	}
	var got facts
	err = conn.QueryRow(ctx, `
		SELECT (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()),
		       r.rolsuper, r.rolcreatedb, r.rolcreaterole,
		       pg_has_role(current_user, 'rds_superuser', 'MEMBER'),
		       pg_has_role(current_user, 'pg_read_all_settings', 'MEMBER')
		FROM pg_roles r WHERE r.rolname = current_user`).
		Scan(&got.SSL, &got.Super, &got.CreateDB, &got.CreateRole, &got.InRDSSuperuser, &got.ReadAllSettings)
	if err != nil {
		t.Fatalf("query role facts: %v", err)
	}
	want := facts{SSL: true, Super: false, CreateDB: true, CreateRole: true, InRDSSuperuser: true, ReadAllSettings: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("master role facts: -want +got:\n%s", diff)
	}

	if _, err := conn.Exec(ctx, `CREATE DATABASE app`); err != nil {
		t.Errorf("CREATE DATABASE as master: %v", err)
	}
	if _, err := conn.Exec(ctx, `ALTER ROLE current_user SUPERUSER`); err == nil {
		t.Errorf("master made itself SUPERUSER; want permission denied")
	}
}

func TestLogin(t *testing.T) {
	s := startServer(t)
	cases := map[string]struct {
		reason   string
		password string
		wantCode string
	}{
		"RightPassword": {reason: "The master logs in with its password over TCP and TLS.", password: testPassword},
		"WrongPassword": {reason: "A wrong password is refused with invalid_password.", password: "wrong-password", wantCode: "28P01"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			conn, err := pgx.Connect(ctx, masterDSN(s, tc.password, "postgres"))
			gotCode := ""
			var pgErr *pgconn.PgError
			switch {
			case errors.As(err, &pgErr):
				gotCode = pgErr.Code
			case err != nil:
				t.Fatalf("%s: connect: %v", tc.reason, err)
			default:
				conn.Close(ctx)
			}
			if diff := cmp.Diff(tc.wantCode, gotCode); diff != "" {
				t.Errorf("%s\nSQLSTATE: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestSetMasterPasswordAndDump(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()

	if err := s.CreateDatabase(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	const newPassword = "n3w-Passw0rd"
	if err := s.SetMasterPassword(ctx, newPassword); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, masterDSN(s, newPassword, "shop"))
	if err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
	for _, q := range []string{`CREATE TABLE orders (item text)`, `INSERT INTO orders VALUES ('unique-widget-4711')`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn.Close(ctx)

	path := filepath.Join(t.TempDir(), "dump.sql")
	if err := s.Dump(ctx, path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CREATE TABLE public.orders", "unique-widget-4711", "CREATE ROLE rds_superuser"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("dump lacks %q", want)
		}
	}
}

func TestStartRefusesAdminAsMaster(t *testing.T) {
	_, err := Start(context.Background(), Options{Dir: t.TempDir(), MasterUser: AdminUser, MasterPassword: "whatever1"})
	if err == nil {
		t.Fatal("Start with master rdsadmin succeeded; want an error")
	}
	if strings.Contains(err.Error(), "whatever1") {
		t.Errorf("error reveals the password: %v", err)
	}
}

func TestFailedPasswordStatementIsNotLogged(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	// Dropping the master makes ALTER ROLE ... PASSWORD fail, which PostgreSQL would
	// normally log together with the statement.
	conn, err := s.adminConn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`ALTER DATABASE postgres OWNER TO ` + AdminUser, `DROP ROLE ` + testMaster} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close(ctx)
	const secret = "never-log-this-9"
	err = s.SetMasterPassword(ctx, secret)
	if err == nil {
		t.Fatal("SetMasterPassword for a dropped role succeeded")
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error reveals the password: %v", err)
	}
	time.Sleep(100 * time.Millisecond) // let the server flush its log
	if strings.Contains(s.proc.LogTail(), secret) {
		t.Errorf("server log reveals the password:\n%s", s.proc.LogTail())
	}
}

func TestStartTriesAnotherPortWhenItsPortIsTaken(t *testing.T) {
	skipWithoutPostgres(t)
	// Something else listens on the first port Start picks, as when another test's server
	// got there between the pick and the bind.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	calls := 0
	pickPort = func() (int, error) {
		calls++
		if calls == 1 {
			return taken.Addr().(*net.TCPAddr).Port, nil
		}
		return serverproc.FreePort()
	}
	defer func() { pickPort = serverproc.FreePort }()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Start(ctx, Options{Dir: t.TempDir(), MasterUser: testMaster, MasterPassword: testPassword})
	if err != nil {
		t.Fatalf("Start with its first port taken: %v", err)
	}
	defer s.Stop()
	if calls < 2 || s.Port == taken.Addr().(*net.TCPAddr).Port {
		t.Errorf("Start did not move to another port (picks %d, port %d)", calls, s.Port)
	}
	conn, err := pgx.Connect(ctx, masterDSN(s, testPassword, "postgres"))
	if err != nil {
		t.Fatalf("master login on the new port: %v", err)
	}
	conn.Close(ctx)
}

func TestDumpAndRestore(t *testing.T) {
	src := startServer(t)
	ctx := context.Background()

	if err := src.CreateDatabase(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, masterDSN(src, testPassword, "shop"))
	if err != nil {
		t.Fatalf("master login: %v", err)
	}
	for _, q := range []string{
		`CREATE ROLE app_user LOGIN PASSWORD 'app-Passw0rd'`,
		`CREATE TABLE orders (item text)`,
		`INSERT INTO orders VALUES ('widget-1'), ('widget-2')`,
		`GRANT SELECT ON orders TO app_user`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn.Close(ctx)
	path := filepath.Join(t.TempDir(), "dump.sql")
	if err := src.Dump(ctx, path); err != nil {
		t.Fatal(err)
	}

	// The target is set up as RDS sets up an instance restored from a snapshot: with the
	// source's master user and password, before the data comes in.
	dst := startServer(t)
	if err := dst.Restore(ctx, path); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	cases := map[string]struct {
		reason   string
		user     string
		password string
		query    string
		want     []string
	}{
		"MasterReadsRows": {
			reason: "The master logs in with its password and finds the database, table and rows.",
			user:   testMaster, password: testPassword,
			query: `SELECT item FROM orders ORDER BY item`,
			want:  []string{"widget-1", "widget-2"},
		},
		"OtherRoleComesBack": {
			reason: "A role the master created logs in with its password and keeps its grants.",
			user:   "app_user", password: "app-Passw0rd",
			query: `SELECT item FROM orders ORDER BY item`,
			want:  []string{"widget-1", "widget-2"},
		},
		"MasterStaysNonSuperuser": {
			reason: "The restored master is still not a superuser but a member of rds_superuser.",
			user:   testMaster, password: testPassword,
			query: `SELECT rolsuper::text || ' ' || pg_has_role(current_user, 'rds_superuser', 'MEMBER')::text FROM pg_roles WHERE rolname = current_user`,
			want:  []string{"false true"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dsn := fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=shop sslmode=require", dst.Host, dst.Port, tc.user, quoteDSN(tc.password))
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				t.Fatalf("%s\nlogin: %v", tc.reason, err)
			}
			defer conn.Close(ctx)
			rows, err := conn.Query(ctx, tc.query)
			if err != nil {
				t.Fatalf("%s\nquery: %v", tc.reason, err)
			}
			got, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatalf("%s\nrows: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestRestoreErrors(t *testing.T) {
	cases := map[string]struct {
		reason string
		stderr string
		want   []string
	}{
		"AlreadyExistsIsSkipped": {
			reason: "Roles Start created already exist; psql's errors for them are expected.",
			stderr: "psql:/d.sql:14: ERROR:  role \"master_user\" already exists\npsql:/d.sql:16: ERROR:  role \"rdsadmin\" already exists\n",
		},
		"OtherErrorsCount": {
			reason: "Any other failed statement means data did not come back.",
			stderr: "psql:/d.sql:14: ERROR:  role \"rdsadmin\" already exists\npsql:/d.sql:90: ERROR:  relation \"orders\" does not exist\nLINE 1: COPY orders FROM stdin;\n",
			want:   []string{`psql:/d.sql:90: ERROR:  relation "orders" does not exist`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, restoreErrors(tc.stderr)); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestServerOnItsOwnLoopbackAddress starts a server on an address of its own with
// PostgreSQL's standard port while another listener holds 127.0.0.1:5432, as a system
// PostgreSQL does: servers on different loopback addresses share the port.
func TestServerOnItsOwnLoopbackAddress(t *testing.T) {
	skipWithoutPostgres(t)
	if l, err := net.Listen("tcp", "127.0.0.1:5432"); err == nil {
		defer l.Close() // stands in for the system's server; when it fails, that server is there
	}
	addr := freeLoopbackAddress(t, 5432)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Start(ctx, Options{Dir: t.TempDir(), MasterUser: testMaster, MasterPassword: testPassword, Address: addr, Port: 5432})
	if err != nil {
		t.Fatalf("Start on %s:5432: %v", addr, err)
	}
	defer s.Stop()
	if s.Host != addr || s.Port != 5432 {
		t.Errorf("server reports %s:%d; want %s:5432", s.Host, s.Port, addr)
	}
	conn, err := pgx.Connect(ctx, masterDSN(s, testPassword, "postgres"))
	if err != nil {
		t.Fatalf("master login on %s:5432: %v", addr, err)
	}
	defer conn.Close(ctx)
	var server string
	if err := conn.QueryRow(ctx, `SELECT host(inet_server_addr())`).Scan(&server); err != nil || server != addr {
		t.Errorf("inet_server_addr() = %q, %v; want %s", server, err, addr)
	}
}

// freeLoopbackAddress returns a random address of 127.0.0.0/8 outside 127.0.0.0/16 on which
// port is free, skipping the test when a listener on every address holds the port.
func freeLoopbackAddress(t *testing.T, port int) string {
	t.Helper()
	var err error
	for range 5 {
		addr := fmt.Sprintf("127.%d.%d.%d", 1+rand.IntN(254), rand.IntN(256), 1+rand.IntN(254))
		var l net.Listener
		if l, err = net.Listen("tcp", net.JoinHostPort(addr, fmt.Sprint(port))); err == nil {
			l.Close()
			return addr
		}
	}
	t.Skipf("port %d is taken on every loopback address tried (a server listening on all addresses?): %v", port, err)
	return ""
}
