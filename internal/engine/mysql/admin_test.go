package mysql

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/google/go-cmp/cmp"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
)

const (
	master         = "sysadmin"
	masterPassword = "master-Pass.word~1"
)

// startRDSLikeServer starts a real MariaDB set up as RDS sets up MySQL: the master has no
// SUPER. It skips only when MariaDB is not installed.
func startRDSLikeServer(t *testing.T) (engine.Endpoint, *mariaserver.Server) {
	t.Helper()
	if err := mariaserver.Installed(); err != nil {
		t.Skipf("MariaDB is not installed: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := mariaserver.Start(ctx, mariaserver.Options{Dir: t.TempDir(), MasterUser: master, MasterPassword: masterPassword})
	if err != nil {
		t.Fatalf("start MariaDB: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return engine.Endpoint{Host: srv.Host, Port: int32(srv.Port), User: master, Password: masterPassword}, srv
}

// connectAs logs in as user with only its password, over TLS, as an application would.
func connectAs(t *testing.T, ep engine.Endpoint, user, password, database string) (*sql.DB, error) {
	t.Helper()
	ep.User, ep.Password = user, password
	db, err := sql.Open("mysql", DSN(ep, database))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, err
	}
	t.Cleanup(func() { db.Close() })
	return db, nil
}

func mustConnect(t *testing.T, ep engine.Endpoint, user, password, database string) *sql.DB {
	t.Helper()
	db, err := connectAs(t, ep, user, password, database)
	if err != nil {
		t.Fatalf("log in as %s to %q: %v", user, database, err)
	}
	return db
}

func errNumber(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// grantsOf returns SHOW GRANTS for an account, as the master sees it.
func grantsOf(t *testing.T, db *sql.DB, user string) []string {
	t.Helper()
	rows, err := db.Query("SHOW GRANTS FOR " + account(user))
	if err != nil {
		t.Fatalf("SHOW GRANTS FOR %s: %v", user, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			t.Fatal(err)
		}
		out = append(out, g)
	}
	return out
}

func TestAdminUsersDatabasesAndGrants(t *testing.T) {
	ep, _ := startRDSLikeServer(t)
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
		{Name: "quote_me", Password: `it's a "pass\word"`},
	}
	db := engine.Database{Name: "orders", Owner: "app", Users: []string{"app", "reporting"}}
	apply := func(pass int) {
		for _, u := range users {
			if err := admin.EnsureUser(ctx, u); err != nil {
				t.Fatalf("pass %d: EnsureUser(%s): %v", pass, u.Name, err)
			}
		}
		if err := admin.EnsureDatabase(ctx, db); err != nil {
			t.Fatalf("pass %d: EnsureDatabase: %v", pass, err)
		}
	}
	apply(1)
	masterDB := mustConnect(t, ep, master, masterPassword, "")
	before := map[string][]string{}
	for _, u := range users {
		before[u.Name] = grantsOf(t, masterDB, u.Name)
	}
	apply(2)
	t.Run("SecondPassChangesNothing", func(t *testing.T) {
		for _, u := range users {
			if diff := cmp.Diff(before[u.Name], grantsOf(t, masterDB, u.Name)); diff != "" {
				t.Errorf("grants of %s changed on the second pass: -first +second:\n%s", u.Name, diff)
			}
		}
	})

	t.Run("OwnerCreatesTablesAndGrants", func(t *testing.T) {
		conn := mustConnect(t, ep, "app", "app-Password-1", "orders")
		for _, q := range []string{"CREATE TABLE IF NOT EXISTS items (id int)", "GRANT SELECT ON orders.items TO 'outsider'@'%'", "REVOKE SELECT ON orders.items FROM 'outsider'@'%'"} {
			if _, err := conn.Exec(q); err != nil {
				t.Errorf("the owner: %s: %v", q, err)
			}
		}
	})
	t.Run("CreateDBRole", func(t *testing.T) {
		conn := mustConnect(t, ep, "app", "app-Password-1", "")
		if _, err := conn.Exec("CREATE DATABASE app_scratch"); err != nil {
			t.Errorf("a createdb user cannot create a database: %v", err)
		}
	})
	t.Run("ListedUserUsesButCannotCreateDatabasesOrGrant", func(t *testing.T) {
		conn := mustConnect(t, ep, "reporting", "reporting-Password-3", "orders")
		if _, err := conn.Exec("CREATE TABLE IF NOT EXISTS reports (id int)"); err != nil {
			t.Errorf("a listed user cannot create tables in its database: %v", err)
		}
		if _, err := conn.Exec("CREATE DATABASE nope"); errNumber(err) != 1044 {
			t.Errorf("reporting CREATE DATABASE: got %v, want access denied (1044)", err)
		}
		if _, err := conn.Exec("GRANT SELECT ON orders.* TO 'outsider'@'%'"); errNumber(err) != 1044 {
			t.Errorf("reporting GRANT on orders: got %v, want access denied (1044)", err)
		}
	})
	t.Run("UnlistedUserCannotUseTheDatabase", func(t *testing.T) {
		_, err := connectAs(t, ep, "outsider", "outsider-Password-4", "orders")
		if errNumber(err) != 1044 {
			t.Errorf("outsider using orders: got %v, want access denied (1044)", err)
		}
	})
	t.Run("SuperuserRole", func(t *testing.T) {
		conn := mustConnect(t, ep, "admin", "admin-Password-2", "")
		for _, q := range []string{"CREATE USER 'made_by_admin'@'%' IDENTIFIED BY 'x-Password-9'", "GRANT SELECT ON orders.* TO 'made_by_admin'@'%'", "CREATE DATABASE admin_db"} {
			if _, err := conn.Exec(q); err != nil {
				t.Errorf("superuser: %s: %v", q, err)
			}
		}
		if _, err := conn.Exec("SET GLOBAL general_log = 1"); err == nil {
			t.Error("the superuser role gave SUPER, which the master does not hold")
		}
	})
	t.Run("PasswordWithQuotesAndBackslash", func(t *testing.T) {
		mustConnect(t, ep, "quote_me", `it's a "pass\word"`, "")
	})
	t.Run("PasswordChanges", func(t *testing.T) {
		if err := admin.EnsureUser(ctx, engine.User{Name: "outsider", Password: "new-Outsider-5"}); err != nil {
			t.Fatal(err)
		}
		mustConnect(t, ep, "outsider", "new-Outsider-5", "")
		if _, err := connectAs(t, ep, "outsider", "outsider-Password-4", ""); errNumber(err) != 1045 {
			t.Errorf("old password: got %v, want refused (1045)", err)
		}
	})
	t.Run("OwnerChanges", func(t *testing.T) {
		// Reordering the list hands the database to reporting; app keeps using it.
		if err := admin.EnsureDatabase(ctx, engine.Database{Name: "orders", Owner: "reporting", Users: []string{"reporting", "app"}}); err != nil {
			t.Fatalf("change owner: %v", err)
		}
		conn := mustConnect(t, ep, "app", "app-Password-1", "orders")
		if _, err := conn.Exec("GRANT SELECT ON orders.* TO 'outsider'@'%'"); errNumber(err) != 1044 {
			t.Errorf("the former owner can still grant: %v", err)
		}
		if err := admin.EnsureDatabase(ctx, db); err != nil {
			t.Fatalf("change owner back: %v", err)
		}
	})
	t.Run("RolesAndUsersRemovedAreRevoked", func(t *testing.T) {
		if err := admin.EnsureUser(ctx, engine.User{Name: "admin", Password: "admin-Password-2"}); err != nil {
			t.Fatal(err)
		}
		if err := admin.EnsureUser(ctx, engine.User{Name: "app", Password: "app-Password-1"}); err != nil {
			t.Fatal(err)
		}
		if err := admin.EnsureDatabase(ctx, engine.Database{Name: "orders", Owner: "app", Users: []string{"app"}}); err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{
			"admin":     {"GRANT USAGE ON *.* TO `admin`@`%`"},
			"app":       {"GRANT USAGE ON *.* TO `app`@`%`", "GRANT ALL PRIVILEGES ON `orders`.* TO `app`@`%` WITH GRANT OPTION"},
			"reporting": {"GRANT USAGE ON *.* TO `reporting`@`%`"},
		}
		for user, w := range want {
			got := grantsOf(t, masterDB, user)
			for i := range got {
				// The first line names the password hash; only the privileges matter here.
				got[i], _, _ = strings.Cut(got[i], " IDENTIFIED BY PASSWORD")
			}
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("grants of %s: -want +got:\n%s", user, diff)
			}
		}
		if _, err := connectAs(t, ep, "reporting", "reporting-Password-3", "orders"); errNumber(err) != 1044 {
			t.Errorf("reporting removed from orders still uses it: %v", err)
		}
		conn := mustConnect(t, ep, "app", "app-Password-1", "")
		if _, err := conn.Exec("CREATE DATABASE app_scratch_two"); errNumber(err) != 1044 {
			t.Errorf("app without createdb still creates databases: %v", err)
		}
	})
	t.Run("UnderscoreIsNotAWildcard", func(t *testing.T) {
		// A grant on my_db must not reach myxdb.
		if err := admin.EnsureDatabase(ctx, engine.Database{Name: "my_db", Users: []string{"outsider"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := masterDB.Exec("CREATE DATABASE IF NOT EXISTS myxdb"); err != nil {
			t.Fatal(err)
		}
		mustConnect(t, ep, "outsider", "new-Outsider-5", "my_db")
		if _, err := connectAs(t, ep, "outsider", "new-Outsider-5", "myxdb"); errNumber(err) != 1044 {
			t.Errorf("a grant on my_db reaches myxdb: %v", err)
		}
	})
	t.Run("MasterOwnsWhenNoOwner", func(t *testing.T) {
		if err := admin.EnsureDatabase(ctx, engine.Database{Name: "shared", Users: []string{"reporting"}}); err != nil {
			t.Fatal(err)
		}
		conn := mustConnect(t, ep, master, masterPassword, "shared")
		if _, err := conn.Exec("CREATE TABLE t (id int)"); err != nil {
			t.Errorf("the master cannot use a database it owns: %v", err)
		}
		mustConnect(t, ep, "reporting", "reporting-Password-3", "shared")
	})
	t.Run("InvalidNamesAreRefused", func(t *testing.T) {
		cases := map[string]struct {
			reason string
			apply  func() error
		}{
			"Backtick": {reason: "A backtick is not a valid name.", apply: func() error { return admin.EnsureUser(ctx, engine.User{Name: "x`y", Password: "p-Password-1"}) }},
			"TooLong": {reason: "MySQL 8 user names have at most 32 characters.", apply: func() error {
				return admin.EnsureUser(ctx, engine.User{Name: strings.Repeat("a", 33), Password: "p-Password-1"})
			}},
			"UpperCase":    {reason: "Names are lower case, as in the API.", apply: func() error { return admin.DisableUser(ctx, "Admin") }},
			"DatabaseName": {reason: "A database name with a dot is refused.", apply: func() error { return admin.EnsureDatabase(ctx, engine.Database{Name: "a.b"}) }},
			"ListedUser":   {reason: "A listed user with a quote is refused.", apply: func() error { return admin.EnsureDatabase(ctx, engine.Database{Name: "ok", Users: []string{"o'neil"}}) }},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				err := tc.apply()
				var ee *engine.Error
				if !errors.As(err, &ee) || ee.Unreachable {
					t.Errorf("%s\ngot %v, want an *engine.Error that is not Unreachable", tc.reason, err)
				}
			})
		}
	})
}

func TestVerify(t *testing.T) {
	ep, _ := startRDSLikeServer(t)
	ctx := context.Background()
	admin, err := Connector{}.Connect(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if err := admin.EnsureUser(ctx, engine.User{Name: "app", Password: "app-Password-1"}); err != nil {
		t.Fatal(err)
	}
	if err := admin.EnsureDatabase(ctx, engine.Database{Name: "orders", Owner: "app", Users: []string{"app"}}); err != nil {
		t.Fatal(err)
	}
	closed := ep
	closed.Port = 1 // nothing listens on port 1 of loopback
	cases := map[string]struct {
		reason        string
		ep            engine.Endpoint
		database      string
		wantErr       bool
		wantRefused   bool
		wantUnreached bool
	}{
		"RightPassword": {reason: "The user logs in to its database.", ep: engine.Endpoint{Host: ep.Host, Port: ep.Port, User: "app", Password: "app-Password-1"}, database: "orders"},
		"WrongPassword": {reason: "A wrong password is PasswordRefused.", ep: engine.Endpoint{Host: ep.Host, Port: ep.Port, User: "app", Password: "Wrong-Secret-Value-42"}, database: "orders",
			wantErr: true, wantRefused: true, wantUnreached: true},
		"NoServer": {reason: "A server that cannot be reached is Unreachable, not PasswordRefused.", ep: closed, database: "orders",
			wantErr: true, wantUnreached: true},
		"NotGranted": {reason: "A database the user may not use is refused, but not for the password.", ep: engine.Endpoint{Host: ep.Host, Port: ep.Port, User: "app", Password: "app-Password-1"}, database: "mysql",
			wantErr: true, wantUnreached: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := Connector{}.Verify(ctx, tc.ep, tc.database)
			got := []bool{err != nil, engine.IsPasswordRefused(err), engine.IsUnreachable(err)}
			if diff := cmp.Diff([]bool{tc.wantErr, tc.wantRefused, tc.wantUnreached}, got); diff != "" {
				t.Errorf("%s\nerr, refused, unreachable: -want +got:\n%s\n(err %v)", tc.reason, diff, err)
			}
			if err != nil && strings.Contains(err.Error(), tc.ep.Password) {
				t.Errorf("error message contains the password: %v", err)
			}
		})
	}
}

func TestDisableUserKeepsData(t *testing.T) {
	ep, _ := startRDSLikeServer(t)
	ctx := context.Background()
	admin, err := Connector{}.Connect(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	u := engine.User{Name: "leaver", Password: "leaver-Password-1", Superuser: true, CreateDB: true}
	if err := admin.EnsureUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := admin.EnsureDatabase(ctx, engine.Database{Name: "leavers_db", Owner: "leaver", Users: []string{"leaver"}}); err != nil {
		t.Fatal(err)
	}
	conn := mustConnect(t, ep, "leaver", u.Password, "leavers_db")
	for _, q := range []string{"CREATE TABLE kept (v text)", "INSERT INTO kept VALUES ('still here')"} {
		if _, err := conn.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()

	for i := 0; i < 2; i++ { // idempotent
		if err := admin.DisableUser(ctx, "leaver"); err != nil {
			t.Fatalf("DisableUser: %v", err)
		}
	}
	if err := admin.DisableUser(ctx, "never_existed"); err != nil {
		t.Errorf("DisableUser of a missing user: %v", err)
	}
	// The server refuses a locked account with ER_ACCOUNT_HAS_BEEN_LOCKED: 4151 on MariaDB,
	// 3118 on MySQL.
	if _, err := connectAs(t, ep, "leaver", u.Password, "leavers_db"); errNumber(err) != 4151 && errNumber(err) != 3118 {
		t.Errorf("a disabled user logged in (or failed oddly): %v", err)
	}
	masterDB := mustConnect(t, ep, master, masterPassword, "leavers_db")
	var v string
	if err := masterDB.QueryRow("SELECT v FROM kept").Scan(&v); err != nil || v != "still here" {
		t.Errorf("the disabled user's data: %q, %v", v, err)
	}
	got := grantsOf(t, masterDB, "leaver")
	for i := range got {
		got[i], _, _ = strings.Cut(got[i], " IDENTIFIED BY PASSWORD")
	}
	want := []string{"GRANT CREATE ON *.* TO `leaver`@`%`", "GRANT ALL PRIVILEGES ON `leavers\\_db`.* TO `leaver`@`%` WITH GRANT OPTION"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after DisableUser the superuser grant is gone, the rest kept: -want +got:\n%s", diff)
	}
	// Ensuring the user again gives its login back.
	if err := admin.EnsureUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	mustConnect(t, ep, "leaver", u.Password, "leavers_db")
}

func TestPasswordsStayOutOfTheServerLog(t *testing.T) {
	ep, srv := startRDSLikeServer(t)
	ctx := context.Background()
	admin, err := Connector{}.Connect(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	const secret = "Never-Log-This-9"
	super, err := sql.Open("mysql", srv.SuperuserDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close()
	// Every statement reaches the general log while it is on.
	for _, q := range []string{"SET GLOBAL log_output = 'TABLE'", "SET GLOBAL general_log = 1"} {
		if _, err := super.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := admin.EnsureUser(ctx, engine.User{Name: "logged", Password: secret}); err != nil {
		t.Fatal(err)
	}
	if err := admin.EnsureUser(ctx, engine.User{Name: "logged", Password: secret + "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := super.Exec("SET GLOBAL general_log = 0"); err != nil {
		t.Fatal(err)
	}
	var n, total int
	if err := super.QueryRow("SELECT COUNT(*), SUM(CONVERT(argument USING utf8mb4) LIKE ?) FROM mysql.general_log", "%"+secret+"%").Scan(&total, &n); err != nil {
		t.Fatal(err)
	}
	if total == 0 || n != 0 {
		t.Errorf("general log: %d statements, %d with the password (want some, none)", total, n)
	}
}

func TestConnectErrorsHoldNoPassword(t *testing.T) {
	ep, _ := startRDSLikeServer(t)
	ep.Password = "Wrong-Secret-Value-42"
	_, err := Connector{}.Connect(context.Background(), ep)
	if !engine.IsUnreachable(err) || !engine.IsPasswordRefused(err) {
		t.Errorf("a refused login should be unreachable and password-refused: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), ep.Password) {
		t.Errorf("error message contains the password: %v", err)
	}
}
