package postgres

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
)

const (
	master         = "sysadmin"
	masterPassword = "master-Pass.word~1"
)

// startRDSLikeServer starts a real PostgreSQL set up as RDS sets it up: the master is not a
// superuser. It skips only when PostgreSQL is not installed.
func startRDSLikeServer(t *testing.T) engine.Endpoint {
	t.Helper()
	ep, _ := startServer(t, 0)
	return ep
}

// startServer starts an RDS-like PostgreSQL of a major version (0: the machine's default)
// and returns the master's endpoint and the server, whose superuser sets up states the
// master could not.
func startServer(t *testing.T, major int) (engine.Endpoint, *pgserver.Server) {
	t.Helper()
	return startServerWith(t, pgserver.Options{Major: major})
}

// startServerWith is startServer with more options (IAM: rds_iam exists).
func startServerWith(t *testing.T, opts pgserver.Options) (engine.Endpoint, *pgserver.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres"); len(found) == 0 {
		if _, err := exec.LookPath("postgres"); err != nil {
			t.Skip("PostgreSQL is not installed (make deps installs it)")
		}
	}
	opts.Dir, opts.MasterUser, opts.MasterPassword = t.TempDir(), master, masterPassword
	srv, err := pgserver.Start(ctx, opts)
	if err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return engine.Endpoint{Host: srv.Host, Port: int32(srv.Port), User: master, Password: masterPassword, AdminRole: "rds_superuser"}, srv
}

func connectAs(t *testing.T, ep engine.Endpoint, user, password, database string) (*pgx.Conn, error) {
	t.Helper()
	ep.User, ep.Password = user, password
	return pgx.Connect(context.Background(), ConnString(ep, database))
}

func mustExec(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func sqlStateOf(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

func TestAdminUsersDatabasesAndGrants(t *testing.T) {
	ep := startRDSLikeServer(t)
	ctx := context.Background()
	admin, err := Connector{}.Connect(ctx, ep)
	if err != nil {
		t.Fatalf("master login: %v", err)
	}
	defer admin.Close(ctx)

	users := []engine.User{
		{Name: "app", Password: "app-Password-1", CreateDB: true},
		{Name: "admin", Password: "admin-Password-2", Superuser: true},
		{Name: "reporting", Password: "reporting-Password-3"},
		{Name: "outsider", Password: "outsider-Password-4"},
		{Name: `we"ird name`, Password: "weird-Password-5"},
	}
	db := engine.Database{Name: "orders", Owner: "app", Users: []string{"app", "reporting"}}
	// Twice: the second pass must change nothing and fail on nothing.
	for pass := 1; pass <= 2; pass++ {
		for _, u := range users {
			if err := admin.EnsureUser(ctx, u); err != nil {
				t.Fatalf("pass %d: EnsureUser(%s): %v", pass, u.Name, err)
			}
		}
		if err := admin.EnsureDatabase(ctx, db); err != nil {
			t.Fatalf("pass %d: EnsureDatabase: %v", pass, err)
		}
	}

	t.Run("OwnerLogsInAndCreatesTables", func(t *testing.T) {
		conn, err := connectAs(t, ep, "app", "app-Password-1", "orders")
		if err != nil {
			t.Fatalf("app login: %v", err)
		}
		defer conn.Close(ctx)
		mustExec(t, conn, "CREATE TABLE IF NOT EXISTS items (id int)")
		var owner string
		if err := conn.QueryRow(ctx, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'orders'").Scan(&owner); err != nil || owner != "app" {
			t.Errorf("owner of orders = %q (%v), want app", owner, err)
		}
	})
	t.Run("CreateDBRole", func(t *testing.T) {
		conn, err := connectAs(t, ep, "app", "app-Password-1", "orders")
		if err != nil {
			t.Fatalf("app login: %v", err)
		}
		defer conn.Close(ctx)
		mustExec(t, conn, "CREATE DATABASE app_scratch")
	})
	t.Run("ListedUserConnectsButCannotCreateDatabases", func(t *testing.T) {
		conn, err := connectAs(t, ep, "reporting", "reporting-Password-3", "orders")
		if err != nil {
			t.Fatalf("reporting login: %v", err)
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "CREATE DATABASE nope")
		if sqlStateOf(err) != "42501" {
			t.Errorf("reporting CREATE DATABASE: got %v, want permission denied (42501)", err)
		}
	})
	t.Run("UnlistedUserCannotConnect", func(t *testing.T) {
		_, err := connectAs(t, ep, "outsider", "outsider-Password-4", "orders")
		if sqlStateOf(err) != "42501" {
			t.Errorf("outsider connecting to orders: got %v, want permission denied (42501)", err)
		}
	})
	t.Run("SuperuserRole", func(t *testing.T) {
		conn, err := connectAs(t, ep, "admin", "admin-Password-2", "postgres")
		if err != nil {
			t.Fatalf("admin login: %v", err)
		}
		defer conn.Close(ctx)
		var member, super bool
		if err := conn.QueryRow(ctx, "SELECT pg_has_role('rds_superuser', 'MEMBER'), rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&member, &super); err != nil {
			t.Fatal(err)
		}
		if !member || super {
			t.Errorf("admin: member of rds_superuser = %v (want true), SUPERUSER = %v (want false)", member, super)
		}
	})
	t.Run("QuotedIdentifier", func(t *testing.T) {
		conn, err := connectAs(t, ep, `we"ird name`, "weird-Password-5", "postgres")
		if err != nil {
			t.Fatalf("login as a user whose name needs quoting: %v", err)
		}
		conn.Close(ctx)
	})
	t.Run("MasterKeepsNoMembershipInOwner", func(t *testing.T) {
		conn, err := connectAs(t, ep, master, masterPassword, "postgres")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var member bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE g.rolname = 'app' AND m.member = (SELECT oid FROM pg_roles WHERE rolname = current_user))").Scan(&member); err != nil {
			t.Fatal(err)
		}
		if member {
			t.Error("the master is still a member of app after creating its database")
		}
	})
	t.Run("OwnerChanges", func(t *testing.T) {
		// Reordering the list hands the database to reporting: the master must act as both.
		if err := admin.EnsureDatabase(ctx, engine.Database{Name: "orders", Owner: "reporting", Users: []string{"reporting", "app"}}); err != nil {
			t.Fatalf("change owner: %v", err)
		}
		if err := admin.EnsureDatabase(ctx, db); err != nil {
			t.Fatalf("change owner back: %v", err)
		}
	})
	t.Run("GrantLeftByACrashIsRevoked", func(t *testing.T) {
		conn, err := connectAs(t, ep, master, masterPassword, "postgres")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		// The state a crash between GRANT and REVOKE leaves behind.
		mustExec(t, conn, "GRANT app TO sysadmin")
		if err := admin.EnsureDatabase(ctx, db); err != nil {
			t.Fatal(err)
		}
		var member bool
		if err := conn.QueryRow(ctx, "SELECT pg_has_role('app', 'MEMBER')").Scan(&member); err != nil || member {
			t.Errorf("the master is still a member of app after the next pass (%v)", err)
		}
	})
	t.Run("RolesRemovedAreRevoked", func(t *testing.T) {
		if err := admin.EnsureUser(ctx, engine.User{Name: "admin", Password: "admin-Password-2"}); err != nil {
			t.Fatal(err)
		}
		if err := admin.EnsureDatabase(ctx, engine.Database{Name: "orders", Owner: "app", Users: []string{"app"}}); err != nil {
			t.Fatal(err)
		}
		conn, err := connectAs(t, ep, "admin", "admin-Password-2", "postgres")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var member bool
		if err := conn.QueryRow(ctx, "SELECT pg_has_role('rds_superuser', 'MEMBER')").Scan(&member); err != nil || member {
			t.Errorf("admin still a member of rds_superuser after the role was removed (%v)", err)
		}
		if _, err := connectAs(t, ep, "reporting", "reporting-Password-3", "orders"); sqlStateOf(err) != "42501" {
			t.Errorf("reporting removed from orders still connects: %v", err)
		}
	})
}

func TestConnectErrorsHoldNoPassword(t *testing.T) {
	ep := startRDSLikeServer(t)
	ep.Password = "Wrong-Secret-Value-42"
	_, err := Connector{}.Connect(context.Background(), ep)
	if err == nil {
		t.Fatal("login with a wrong password succeeded")
	}
	if !engine.IsUnreachable(err) {
		t.Errorf("a refused login should count as unreachable: %v", err)
	}
	if strings.Contains(err.Error(), ep.Password) {
		t.Errorf("error message contains the password: %v", err)
	}
}

func TestDisableUserKeepsData(t *testing.T) {
	ep := startRDSLikeServer(t)
	ctx := context.Background()
	admin, err := Connector{}.Connect(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	u := engine.User{Name: "leaver", Password: "leaver-Password-1", Superuser: true}
	if err := admin.EnsureUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := admin.EnsureDatabase(ctx, engine.Database{Name: "leavers_db", Owner: "leaver", Users: []string{"leaver"}}); err != nil {
		t.Fatal(err)
	}
	conn, err := connectAs(t, ep, "leaver", u.Password, "leavers_db")
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, conn, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')")
	conn.Close(ctx)

	for i := 0; i < 2; i++ { // idempotent
		if err := admin.DisableUser(ctx, "leaver"); err != nil {
			t.Fatalf("DisableUser: %v", err)
		}
	}
	if err := admin.DisableUser(ctx, "never_existed"); err != nil {
		t.Errorf("DisableUser of a missing user: %v", err)
	}
	if _, err := connectAs(t, ep, "leaver", u.Password, "leavers_db"); sqlStateOf(err) != "28000" {
		t.Errorf("a disabled user logged in (or failed oddly): %v", err)
	}
	master, err := connectAs(t, ep, master, masterPassword, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close(ctx)
	var member bool
	var owner string
	if err := master.QueryRow(ctx, "SELECT pg_has_role('leaver', 'rds_superuser', 'MEMBER'), pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'leavers_db'").Scan(&member, &owner); err != nil {
		t.Fatal(err)
	}
	if member || owner != "leaver" {
		t.Errorf("after DisableUser: member of rds_superuser %v (want false), database owner %q (want leaver, kept)", member, owner)
	}
}

// TestTokenLoginUser: a user who logs in with the cloud's tokens has no password and is a
// member of the endpoint's token role (rds_iam); going back to a password sets it and
// takes the role away; a server that names no token role refuses such a user.
func TestTokenLoginUser(t *testing.T) {
	ep, srv := startServerWith(t, pgserver.Options{IAM: true})
	ep.TokenRole = "rds_iam"
	ctx := context.Background()
	admin, err := Connector{}.Connect(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	super, err := pgx.Connect(ctx, srv.SuperuserDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close(ctx)
	state := func() (hasPassword, member bool) {
		t.Helper()
		err := super.QueryRow(ctx, `SELECT rolpassword IS NOT NULL, pg_has_role('tok', 'rds_iam', 'MEMBER') FROM pg_authid WHERE rolname = 'tok'`).Scan(&hasPassword, &member)
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	const pw = "tok-Password-1"
	if err := admin.EnsureUser(ctx, engine.User{Name: "tok", Password: pw}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // idempotent
		if err := admin.EnsureUser(ctx, engine.User{Name: "tok", TokenLogin: true, CreateDB: true}); err != nil {
			t.Fatalf("EnsureUser with TokenLogin: %v", err)
		}
	}
	if hasPassword, member := state(); hasPassword || !member {
		t.Errorf("a token user has a password %t (want false), is a member of rds_iam %t (want true)", hasPassword, member)
	}
	if conn, err := connectAs(t, ep, "tok", pw, "postgres"); err == nil {
		conn.Close(ctx)
		t.Errorf("a token user logged in with its old password")
	}
	if err := admin.EnsureUser(ctx, engine.User{Name: "tok", Password: pw}); err != nil {
		t.Fatal(err)
	}
	if hasPassword, member := state(); !hasPassword || member {
		t.Errorf("back to a password: has a password %t (want true), member of rds_iam %t (want false)", hasPassword, member)
	}
	conn, err := connectAs(t, ep, "tok", pw, "postgres")
	if err != nil {
		t.Fatalf("back to a password, the user cannot log in with it: %v", err)
	}
	conn.Close(ctx)

	ep.TokenRole = ""
	plain, err := Connector{}.Connect(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close(ctx)
	if err := plain.EnsureUser(ctx, engine.User{Name: "tok", TokenLogin: true}); err == nil {
		t.Errorf("a server that names no token role made a token user")
	}
}
