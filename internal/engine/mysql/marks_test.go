package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
)

// The two objects that share a server in these tests.
const (
	ownerA = "shop/orders"
	ownerB = "shop/other"
)

// sharedMaster makes an object's master on a shared server as the existing provider does,
// logged in as the server's administrator: RDS's master privileges WITH GRANT OPTION (and
// DELETE HISTORY, which MariaDB's ALL PRIVILEGES on a database holds), and its row in the
// marks table. It returns the master's endpoint, naming owner.
func sharedMaster(t *testing.T, super *sql.DB, ep engine.Endpoint, name, owner string) engine.Endpoint {
	t.Helper()
	password := name + "-Password-1"
	mark := engine.FormatMark(map[string]string{engine.MarkOwner: owner, engine.MarkDatabase: strings.ReplaceAll(owner, "/", "-")})
	for _, q := range slices.Concat(MarksDDL, []string{
		"CREATE USER " + account(name) + " IDENTIFIED BY " + quoteString(password),
		"GRANT " + mariaserver.MasterPrivileges + ", DELETE HISTORY ON *.* TO " + account(name) + " WITH GRANT OPTION",
		"INSERT INTO " + marksTable + " (kind, name, mark) VALUES ('user', " + quoteString(name) + ", " + quoteString(mark) + ")",
	}) {
		if _, err := super.Exec(q); err != nil {
			t.Fatalf("make master %s: %v", name, err)
		}
	}
	return engine.Endpoint{Host: ep.Host, Port: ep.Port, User: name, Password: password, Owner: owner}
}

// catalog is what a refused call must leave as it was, as text: every account (its
// password, lock and grants), database and mark of the server.
func catalog(t *testing.T, super *sql.DB) string {
	t.Helper()
	var out []string
	query := func(q string) []string {
		t.Helper()
		rows, err := super.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, line)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return lines
	}
	for _, acct := range query("SELECT CONCAT(QUOTE(User), '@', QUOTE(Host)) FROM mysql.user ORDER BY User, Host") {
		out = append(out, query("SHOW CREATE USER "+acct)...)
		out = append(out, query("SHOW GRANTS FOR "+acct)...)
	}
	out = append(out, query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY 1")...)
	out = append(out, query("SELECT CONCAT(kind, ' ', name, ' ', mark) FROM "+marksTable+" ORDER BY kind, name")...)
	return strings.Join(out, "\n")
}

// markRow returns the marks table's row of a user or database, "" when it has none.
func markRow(t *testing.T, super *sql.DB, kind, name string) string {
	t.Helper()
	var mark string
	err := super.QueryRow("SELECT COALESCE((SELECT mark FROM "+marksTable+" WHERE kind = ? AND name = ?), '')", kind, name).Scan(&mark)
	if err != nil {
		t.Fatal(err)
	}
	return mark
}

// TestSharedServer is the story of two objects sharing one server, each through its own
// master: what one makes is marked as its own before it is made, and the other, or anything
// made by hand, is refused (NotOwned) and left exactly as it was.
func TestSharedServer(t *testing.T) {
	ep, srv := startRDSLikeServer(t)
	ctx := context.Background()
	super, err := sql.Open("mysql", srv.SuperuserDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close()
	epA := sharedMaster(t, super, ep, "orders_master", ownerA)
	epB := sharedMaster(t, super, ep, "other_master", ownerB)
	connect := func(ep engine.Endpoint) engine.Admin {
		t.Helper()
		admin, err := Connector{}.Connect(ctx, ep)
		if err != nil {
			t.Fatalf("log in as %s: %v", ep.User, err)
		}
		t.Cleanup(func() { _ = admin.Close(ctx) })
		return admin
	}
	a, b := connect(epA), connect(epB)
	passwords := map[string]string{"app": "app-Password-1", "bapp": "bapp-Password-2", "handmade": "hand-Password-3", "late": "late-Password-4"}
	app := engine.User{Name: "app", Password: passwords["app"]}
	for _, u := range []engine.User{{Name: "maker", Password: "maker-Password-5", CreateDB: true}, {Name: "boss", Password: "boss-Password-6", Superuser: true}} {
		if err := a.EnsureUser(ctx, u); !engine.IsUnsupported(err) {
			t.Errorf("EnsureUser(%s) with createdb or superuser on a shared server = %v; want Unsupported: MySQL grants them on every database, other objects' included", u.Name, err)
		}
		var n int
		if err := super.QueryRowContext(ctx, "SELECT COUNT(*) FROM mysql.user WHERE User = ?", u.Name).Scan(&n); err != nil || n != 0 {
			t.Errorf("refused user %s was made (%d, %v)", u.Name, n, err)
		}
	}
	shop := engine.Database{Name: "shop", Owner: "app", Users: []string{"app"}}
	if err := a.EnsureUser(ctx, app); err != nil {
		t.Fatalf("A's EnsureUser(app): %v", err)
	}
	if err := a.EnsureDatabase(ctx, shop); err != nil {
		t.Fatalf("A's EnsureDatabase(shop): %v", err)
	}
	if err := b.EnsureUser(ctx, engine.User{Name: "bapp", Password: passwords["bapp"]}); err != nil {
		t.Fatalf("B's EnsureUser(bapp), a name no one holds: %v", err)
	}
	// What people made by hand, and what a crash of A's session between a claim and the
	// CREATE leaves: A's rows, and no user or database.
	markA := engine.FormatMark(map[string]string{engine.MarkOwner: ownerA})
	for _, q := range []string{
		"CREATE USER 'handmade'@'%' IDENTIFIED BY " + quoteString(passwords["handmade"]),
		"CREATE DATABASE handdb",
		"INSERT INTO " + marksTable + " (kind, name, mark) VALUES ('user', 'late', " + quoteString(markA) + "), ('database', 'latedb', " + quoteString(markA) + ")",
	} {
		if _, err := super.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	t.Run("MarksWhatItMakes", func(t *testing.T) {
		for _, tc := range []struct{ kind, name, owner string }{
			{"user", "app", ownerA},
			{"database", "shop", ownerA},
			{"user", "bapp", ownerB},
		} {
			if mark := markRow(t, super, tc.kind, tc.name); !engine.OwnedBy(mark, tc.owner) {
				t.Errorf("the %s %s made by %s's session is marked %q, want %s's mark", tc.kind, tc.name, tc.owner, mark, tc.owner)
			}
		}
	})

	cases := []struct {
		name, reason string
		do           func() error
		// wantNotOwned is whether the error must be NotOwned; else there must be none.
		wantNotOwned bool
		// mentions are what the error message must name.
		mentions []string
	}{
		{name: "AnotherOwnersUser", reason: "B may not take over A's user: no password change, no grant.",
			do:           func() error { return b.EnsureUser(ctx, engine.User{Name: "app", Password: "stolen-Password-9"}) },
			wantNotOwned: true, mentions: []string{"user app", ownerA}},
		{name: "AnotherOwnersMaster", reason: "A's master has A's row, written by the provider.",
			do: func() error {
				return b.EnsureUser(ctx, engine.User{Name: "orders_master", Password: "stolen-Password-9"})
			},
			wantNotOwned: true, mentions: []string{"user orders_master", ownerA}},
		{name: "AnotherOwnersDatabase", reason: "B may not take over A's database: A's grants on it stay.",
			do: func() error {
				return b.EnsureDatabase(ctx, engine.Database{Name: "shop", Owner: "bapp", Users: []string{"bapp"}})
			},
			wantNotOwned: true, mentions: []string{"database shop", ownerA}},
		{name: "AnotherOwnersClaimedUser", reason: "A name A claimed is A's even before its user exists.",
			do:           func() error { return b.EnsureUser(ctx, engine.User{Name: "late", Password: "stolen-Password-9"}) },
			wantNotOwned: true, mentions: []string{"user late", ownerA}},
		{name: "AnotherOwnersClaimedDatabase", reason: "A database name A claimed is A's even before the database exists.",
			do: func() error {
				return b.EnsureDatabase(ctx, engine.Database{Name: "latedb", Owner: "bapp", Users: []string{"bapp"}})
			},
			wantNotOwned: true, mentions: []string{"database latedb", ownerA}},
		{name: "UserMadeByHand", reason: "A user no object marked was made by hand: its password is not the operator's to set.",
			do:           func() error { return a.EnsureUser(ctx, engine.User{Name: "handmade", Password: "stolen-Password-9"}) },
			wantNotOwned: true, mentions: []string{"user handmade", "made by hand"}},
		{name: "DatabaseMadeByHand", reason: "A database no object marked was made by hand: no one is granted on it.",
			do: func() error {
				return a.EnsureDatabase(ctx, engine.Database{Name: "handdb", Owner: "app", Users: []string{"app"}})
			},
			wantNotOwned: true, mentions: []string{"database handdb", "made by hand"}},
		{name: "TheMarksDatabase", reason: "The database holding the marks is no object's: granting on it would let a user rewrite them.",
			do: func() error {
				return a.EnsureDatabase(ctx, engine.Database{Name: engine.MarksDatabase, Owner: "app", Users: []string{"app"}})
			},
			wantNotOwned: true, mentions: []string{"database " + engine.MarksDatabase}},
		{name: "DisableAnotherOwnersUser", reason: "A user B never owned is not B's to disable: nothing changes, and no error.",
			do: func() error { return b.DisableUser(ctx, "app") }},
		{name: "DisableUserMadeByHand", reason: "A user made by hand is not the operator's to disable.",
			do: func() error { return a.DisableUser(ctx, "handmade") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := catalog(t, super)
			err := tc.do()
			if engine.IsNotOwned(err) != tc.wantNotOwned || (err != nil && !tc.wantNotOwned) {
				t.Fatalf("%s\ngot %v, want NotOwned: %t", tc.reason, err, tc.wantNotOwned)
			}
			for _, m := range tc.mentions {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("%s\nthe error %q does not name %q", tc.reason, err, m)
				}
			}
			if err != nil && strings.Contains(err.Error(), "stolen-Password-9") {
				t.Errorf("the error holds a password: %v", err)
			}
			if diff := cmp.Diff(before, catalog(t, super)); diff != "" {
				t.Errorf("%s\nthe server changed: -before +after:\n%s", tc.reason, diff)
			}
		})
	}

	t.Run("PasswordsStillLogIn", func(t *testing.T) {
		mustConnect(t, ep, "app", passwords["app"], "shop")
		mustConnect(t, ep, "handmade", passwords["handmade"], "")
	})
	t.Run("ClaimLeftByACrashIsCompleted", func(t *testing.T) {
		late := engine.User{Name: "late", Password: passwords["late"]}
		if err := a.EnsureUser(ctx, late); err != nil {
			t.Fatalf("A's claim on user late, with no user yet, is A's to complete: %v", err)
		}
		if err := a.EnsureDatabase(ctx, engine.Database{Name: "latedb", Owner: "late", Users: []string{"late"}}); err != nil {
			t.Fatalf("A's claim on database latedb, with no database yet, is A's to complete: %v", err)
		}
		mustConnect(t, ep, "late", passwords["late"], "latedb")
	})
	t.Run("SecondPassChangesNothing", func(t *testing.T) {
		before := catalog(t, super)
		if err := a.EnsureUser(ctx, app); err != nil {
			t.Fatal(err)
		}
		if err := a.EnsureDatabase(ctx, shop); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, catalog(t, super)); diff != "" {
			t.Errorf("A's second pass over what it owns changed the server: -before +after:\n%s", diff)
		}
	})
	t.Run("TwoOwnersRaceForOneName", func(t *testing.T) {
		for i := range 3 {
			user, database := fmt.Sprintf("race_%d", i), fmt.Sprintf("race_db_%d", i)
			for _, tc := range []struct {
				thing string
				do    func(admin engine.Admin, owner string) error
			}{
				{"user " + user, func(admin engine.Admin, _ string) error {
					return admin.EnsureUser(ctx, engine.User{Name: user, Password: "race-Password-5"})
				}},
				{"database " + database, func(admin engine.Admin, owner string) error {
					return admin.EnsureDatabase(ctx, engine.Database{Name: database, Owner: owner, Users: []string{owner}})
				}},
			} {
				errs := make([]error, 2)
				var wg sync.WaitGroup
				wg.Go(func() { errs[0] = tc.do(a, "app") })
				wg.Go(func() { errs[1] = tc.do(b, "bapp") })
				wg.Wait()
				won := (errs[0] == nil) != (errs[1] == nil)
				lost := engine.IsNotOwned(errs[0]) || engine.IsNotOwned(errs[1])
				if !won || !lost {
					t.Errorf("A and B both made %s at once: want exactly one to succeed and the other refused as NotOwned, got A: %v, B: %v", tc.thing, errs[0], errs[1])
				}
			}
		}
	})
	t.Run("DisableOwnUser", func(t *testing.T) {
		if err := a.DisableUser(ctx, "app"); err != nil {
			t.Fatal(err)
		}
		if _, err := connectAs(t, ep, "app", passwords["app"], "shop"); err == nil {
			t.Error("A disabled its own user, which still logs in")
		}
	})
}
