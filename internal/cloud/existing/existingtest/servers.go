// Package existingtest starts real PostgreSQL and MariaDB servers that stand in, in tests,
// for servers that exist already (provider existing): each with an administrator who logs
// in over TCP with TLS, its certificate signed by a CA of its own.
package existingtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/existing"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// AdminUser is the administrator the servers are started with.
const AdminUser = "admin"

// DefaultMajor is the PostgreSQL major StartPostgres runs when asked for none: a shared
// server must run 16 or later.
const DefaultMajor = 17

// StartPostgres starts a PostgreSQL server of major (0: DefaultMajor) for the length of t,
// whose administrator AdminUser is a superuser, and returns how to reach it. It skips t when
// PostgreSQL is not installed.
func StartPostgres(t testing.TB, major int) existing.Server {
	t.Helper()
	if major == 0 {
		major = DefaultMajor
	}
	if found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres"); len(found) == 0 {
		if _, err := exec.LookPath("postgres"); err != nil {
			t.Skip("PostgreSQL is not installed (make deps installs it)")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ca := newCA(t)
	srv, err := pgserver.Start(ctx, pgserver.Options{Dir: t.TempDir(), MasterUser: "dba", MasterPassword: password(t), Major: major, CA: ca})
	if err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	if srv.Build.Major != major {
		t.Skipf("PostgreSQL %d is not installed (hack/postgres.sh installs it; make test sets AWS_RDS_OPERATOR_POSTGRES): only %d is", major, srv.Build.Major)
	}
	conn, err := pgx.Connect(ctx, srv.SuperuserDSN())
	if err != nil {
		t.Fatalf("connect as the server's superuser: %v", err)
	}
	defer func() { _ = conn.Close(ctx) }()
	pw := password(t)
	if _, err := conn.Exec(ctx, "CREATE ROLE "+AdminUser+" LOGIN SUPERUSER PASSWORD '"+pw+"'"); err != nil {
		t.Fatalf("create the administrator: %v", err)
	}
	return existing.Server{Engine: existing.EnginePostgres, Host: srv.Host, Port: int32(srv.Port), User: AdminUser, Password: pw, CA: ca.PEM}
}

// StartMariaDB starts a MariaDB server for the length of t, whose administrator AdminUser
// holds every privilege WITH GRANT OPTION, and returns how to reach it. It skips t when
// MariaDB is not installed.
func StartMariaDB(t testing.TB) existing.Server {
	t.Helper()
	if err := mariaserver.Installed(); err != nil {
		t.Skipf("MariaDB is not installed (make deps installs it): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ca := newCA(t)
	srv, err := mariaserver.Start(ctx, mariaserver.Options{Dir: t.TempDir(), MasterUser: "dba", MasterPassword: password(t), CA: ca})
	if err != nil {
		t.Fatalf("start MariaDB: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	db, err := sql.Open("mysql", srv.SuperuserDSN())
	if err != nil {
		t.Fatalf("connect as the server's superuser: %v", err)
	}
	defer func() { _ = db.Close() }()
	pw := password(t)
	for _, stmt := range []string{
		"CREATE USER '" + AdminUser + "'@'%' IDENTIFIED BY '" + pw + "'",
		"GRANT ALL PRIVILEGES ON *.* TO '" + AdminUser + "'@'%' WITH GRANT OPTION",
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("make the administrator: %v", err)
		}
	}
	return existing.Server{Engine: existing.EngineMariaDB, Host: srv.Host, Port: int32(srv.Port), User: AdminUser, Password: pw, CA: ca.PEM}
}

func newCA(t testing.TB) *serverproc.CA {
	t.Helper()
	ca, err := serverproc.NewCA("existing server CA")
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// password is a fresh random password of letters and digits only, safe in SQL literals.
func password(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
