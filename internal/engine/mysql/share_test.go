package mysql

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
)

// denied are the errors MySQL and MariaDB give a statement the account lacks the privilege
// for: on the database (1044) or on a table (1142).
var denied = []uint16{1044, 1142}

// try is one thing a user attempts, and whether the server should refuse it.
type try struct {
	name, reason string
	user, sql    string
	wantDenied   bool
}

// attempt logs in as each try's user, to database, runs its statements and compares how
// they ended with what the try wants.
func attempt(t *testing.T, ep engine.Endpoint, database string, passwords map[string]string, tries []try) {
	t.Helper()
	for _, tc := range tries {
		t.Run(tc.name, func(t *testing.T) {
			db, err := connectAs(t, ep, tc.user, passwords[tc.user], database)
			for _, q := range strings.Split(tc.sql, ";") {
				if err != nil {
					break
				}
				_, err = db.Exec(q)
			}
			if got := err != nil; got != tc.wantDenied || (err != nil && !slices.Contains(denied, errNumber(err))) {
				t.Errorf("%s\n%s: %s\ngot %v, want denied: %v", tc.reason, tc.user, tc.sql, err, tc.wantDenied)
			}
		})
	}
}

// grantLines is SHOW GRANTS of each user, without the password hash.
func grantLines(t *testing.T, masterDB *sql.DB, users ...string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, u := range users {
		got := grantsOf(t, masterDB, u)
		for i := range got {
			got[i], _, _ = strings.Cut(got[i], " IDENTIFIED BY PASSWORD")
		}
		out[u] = got
	}
	return out
}

// TestListedUsersShareADatabase is PostgreSQL's test of the same name on MySQL: a listed
// user reads and writes the others' tables and creates its own, a read-only user reads
// every table, those made later included, and changes nothing.
func TestListedUsersShareADatabase(t *testing.T) {
	ep, _ := startRDSLikeServer(t)
	ctx := context.Background()
	admin, err := Connector{}.Connect(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	passwords := map[string]string{"app": "app-Password-1", "worker": "worker-Password-2", "reader": "reader-Password-3", "outsider": "outsider-Password-4"}
	for _, u := range []engine.User{
		{Name: "app", Password: passwords["app"]},
		{Name: "worker", Password: passwords["worker"]},
		{Name: "reader", Password: passwords["reader"], ReadOnly: true},
		{Name: "outsider", Password: passwords["outsider"]},
	} {
		if err := admin.EnsureUser(ctx, u); err != nil {
			t.Fatalf("EnsureUser(%s): %v", u.Name, err)
		}
	}
	// The owner's table, made while it was the only user listed.
	if err := admin.EnsureDatabase(ctx, engine.Database{Name: "shop", Owner: "app", Users: []string{"app"}}); err != nil {
		t.Fatal(err)
	}
	conn := mustConnect(t, ep, "app", passwords["app"], "shop")
	for _, q := range []string{"CREATE TABLE legacy (id int AUTO_INCREMENT PRIMARY KEY, v text)", "INSERT INTO legacy (v) VALUES ('before')"} {
		if _, err := conn.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()

	shop := engine.Database{Name: "shop", Owner: "app", Users: []string{"app", "worker", "reader"}}
	if err := admin.EnsureDatabase(ctx, shop); err != nil {
		t.Fatal(err)
	}
	masterDB := mustConnect(t, ep, master, masterPassword, "")
	want := map[string][]string{
		"app":    {"GRANT USAGE ON *.* TO `app`@`%`", "GRANT ALL PRIVILEGES ON `shop`.* TO `app`@`%` WITH GRANT OPTION"},
		"worker": {"GRANT USAGE ON *.* TO `worker`@`%`", "GRANT ALL PRIVILEGES ON `shop`.* TO `worker`@`%`"},
		"reader": {"GRANT USAGE ON *.* TO `reader`@`%`", "GRANT SELECT ON `shop`.* TO `reader`@`%`"},
	}
	if diff := cmp.Diff(want, grantLines(t, masterDB, "app", "worker", "reader")); diff != "" {
		t.Errorf("A read-only user gets SELECT on the database and nothing else: -want +got:\n%s", diff)
	}

	attempt(t, ep, "shop", passwords, []try{
		{name: "WriterWritesTheOwnersTable", reason: "A listed user reads and writes a table another made, before it was listed.",
			user: "worker", sql: "SELECT * FROM legacy; INSERT INTO legacy (v) VALUES ('worker'); UPDATE legacy SET v = 'w' WHERE v = 'worker'; DELETE FROM legacy WHERE v = 'w'"},
		{name: "WriterCreatesTables", reason: "And makes its own.", user: "worker", sql: "CREATE TABLE made_by_worker (v text); INSERT INTO made_by_worker VALUES ('w')"},
		{name: "OwnerWritesTheWritersTable", reason: "What one makes, the others use.", user: "app", sql: "INSERT INTO made_by_worker VALUES ('a'); ALTER TABLE made_by_worker ADD COLUMN n int"},
		{name: "ReaderReadsEverything", reason: "A read-only user reads every table, those made after it was listed included.",
			user: "reader", sql: "SELECT * FROM legacy; SELECT * FROM made_by_worker"},
		{name: "ReaderCannotInsert", reason: "Read-only means no INSERT.", user: "reader", sql: "INSERT INTO legacy (v) VALUES ('r')", wantDenied: true},
		{name: "ReaderCannotUpdate", reason: "Read-only means no UPDATE.", user: "reader", sql: "UPDATE legacy SET v = 'r'", wantDenied: true},
		{name: "ReaderCannotDelete", reason: "Read-only means no DELETE.", user: "reader", sql: "DELETE FROM made_by_worker", wantDenied: true},
		{name: "ReaderCannotCreateTables", reason: "Read-only means no CREATE.", user: "reader", sql: "CREATE TABLE by_reader (v text)", wantDenied: true},
		{name: "ReaderCannotCreateTemporaryTables", reason: "Nor temporary tables.", user: "reader", sql: "CREATE TEMPORARY TABLE scratch (v text)", wantDenied: true},
		{name: "ReaderCannotDrop", reason: "Nor DROP.", user: "reader", sql: "DROP TABLE legacy", wantDenied: true},
		{name: "OutsiderCannotUseIt", reason: "An account not listed may not use the database.", user: "outsider", sql: "SELECT 1", wantDenied: true},
	})

	t.Run("PartlyUndoneConverges", func(t *testing.T) {
		before := grantLines(t, masterDB, "app", "worker", "reader")
		for _, q := range []string{"REVOKE INSERT, DELETE ON `shop`.* FROM 'worker'@'%'", "REVOKE SELECT ON `shop`.* FROM 'reader'@'%'", "GRANT INSERT ON `shop`.* TO 'reader'@'%'"} {
			if _, err := masterDB.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		if err := admin.EnsureDatabase(ctx, shop); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, grantLines(t, masterDB, "app", "worker", "reader")); diff != "" {
			t.Errorf("The next pass restores privileges taken away and takes away a read-only user's extra ones: -want +got:\n%s", diff)
		}
	})

	t.Run("RoleChanges", func(t *testing.T) {
		for _, u := range []engine.User{{Name: "worker", Password: passwords["worker"], ReadOnly: true}, {Name: "reader", Password: passwords["reader"]}} {
			if err := admin.EnsureUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		if err := admin.EnsureDatabase(ctx, shop); err != nil {
			t.Fatal(err)
		}
		attempt(t, ep, "shop", passwords, []try{
			{name: "NowReadOnlyReads", reason: "A writer made read-only reads.", user: "worker", sql: "SELECT * FROM made_by_worker"},
			{name: "NowReadOnlyCannotWrite", reason: "Even the table it made: on MySQL the database's privileges are all there is.",
				user: "worker", sql: "INSERT INTO made_by_worker (v) VALUES ('w')", wantDenied: true},
			{name: "NowWriterWrites", reason: "A reader made a writer writes.", user: "reader", sql: "INSERT INTO legacy (v) VALUES ('r'); CREATE TABLE by_former_reader (v text)"},
		})
	})
}

// TestSharingRefusals proves what EnsureUser and EnsureDatabase refuse rather than apply.
func TestSharingRefusals(t *testing.T) {
	ep, _ := startRDSLikeServer(t)
	ctx := context.Background()
	admin, err := Connector{}.Connect(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if err := admin.EnsureUser(ctx, engine.User{Name: "reader", Password: "reader-Password-2", ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, reason string
		apply        func() error
		wantMsg      string
	}{
		{name: "ReadOnlySuperuser", reason: "A read-only superuser holds the master's privileges: a contradiction.",
			apply: func() error {
				return admin.EnsureUser(ctx, engine.User{Name: "boss", Password: "boss-Password-3", ReadOnly: true, Superuser: true})
			}, wantMsg: "a read-only user can be neither superuser nor createdb"},
		{name: "ReadOnlyCreateDB", reason: "MySQL's global CREATE would let it create tables in every database.",
			apply: func() error {
				return admin.EnsureUser(ctx, engine.User{Name: "boss", Password: "boss-Password-3", ReadOnly: true, CreateDB: true})
			}, wantMsg: "a read-only user can be neither superuser nor createdb"},
		{name: "ReadOnlyOwner", reason: "The owner holds ALL WITH GRANT OPTION.",
			apply: func() error {
				return admin.EnsureDatabase(ctx, engine.Database{Name: "ro", Owner: "reader", Users: []string{"reader"}})
			},
			wantMsg: "user reader is read-only and cannot own a database"},
		{name: "UserNotEnsured", reason: "Without EnsureUser the session does not know whether a user is read-only.",
			apply: func() error {
				return admin.EnsureDatabase(ctx, engine.Database{Name: "shop", Users: []string{"stranger"}})
			},
			wantMsg: "user stranger is listed but was not ensured in this session"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.apply()
			var ee *engine.Error
			if !errors.As(err, &ee) || ee.Unreachable || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("%s\ngot %v, want an *engine.Error saying %q", tc.reason, err, tc.wantMsg)
			}
		})
	}
	t.Run("NothingWasCreated", func(t *testing.T) {
		masterDB := mustConnect(t, ep, master, masterPassword, "")
		var n int
		if err := masterDB.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ('ro', 'shop')").Scan(&n); err != nil || n != 0 {
			t.Errorf("%d of the refused databases exist (%v), want none", n, err)
		}
	})
}
