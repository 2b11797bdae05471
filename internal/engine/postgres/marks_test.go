package postgres

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
)

// The two objects that share a server in these tests.
const (
	ownerA = "shop/orders"
	ownerB = "shop/other"
)

// sharedMaster makes an object's master on a shared server as the existing provider does,
// logged in as the server's superuser: LOGIN CREATEDB CREATEROLE, no superuser, marked as
// owner's. It returns the master's endpoint, naming owner; the server names no admin role.
func sharedMaster(t *testing.T, super *pgx.Conn, ep engine.Endpoint, name, owner string) engine.Endpoint {
	t.Helper()
	password := name + "-Password-1"
	mustExec(t, super, fmt.Sprintf("CREATE ROLE %s LOGIN CREATEDB CREATEROLE PASSWORD %s", ident(name), literal(password)))
	mark := engine.FormatMark(map[string]string{engine.MarkOwner: owner, engine.MarkDatabase: strings.ReplaceAll(owner, "/", "-")})
	mustExec(t, super, fmt.Sprintf("COMMENT ON ROLE %s IS %s", ident(name), literal(mark)))
	return engine.Endpoint{Host: ep.Host, Port: ep.Port, User: name, Password: password, Owner: owner}
}

// catalog is what a refused call must leave as it was, as text: every role (login,
// createdb, password, comment), membership and database (owner, grants, comment) of the
// server, and the grants on schemas and the default privileges inside database shop.
func catalog(t *testing.T, srv *pgserver.Server) string {
	t.Helper()
	ctx := context.Background()
	var out strings.Builder
	for _, database := range []string{"postgres", "shop"} {
		conn, err := pgx.Connect(ctx, strings.Replace(srv.SuperuserDSN(), "dbname=postgres", "dbname="+database, 1))
		if err != nil {
			t.Fatal(err)
		}
		queries := []string{
			`SELECT nspname || ' ' || pg_get_userbyid(nspowner) || ' ' || COALESCE(nspacl::text, '-') FROM pg_namespace ORDER BY 1`,
			`SELECT pg_get_userbyid(defaclrole) || ' ' || defaclobjtype::text || ' ' || defaclacl::text FROM pg_default_acl ORDER BY 1`,
		}
		if database == "postgres" {
			queries = []string{
				`SELECT rolname || ' login=' || rolcanlogin || ' createdb=' || rolcreatedb || ' ' || COALESCE(rolpassword, '-') || ' ' || COALESCE(shobj_description(oid, 'pg_authid'), '-') FROM pg_authid ORDER BY 1`,
				`SELECT DISTINCT pg_get_userbyid(roleid) || ' > ' || pg_get_userbyid(member) FROM pg_auth_members ORDER BY 1`,
				`SELECT datname || ' ' || pg_get_userbyid(datdba) || ' ' || COALESCE(datacl::text, '-') || ' ' || COALESCE(shobj_description(oid, 'pg_database'), '-') FROM pg_database ORDER BY 1`,
			}
		}
		for _, q := range queries {
			rows, err := conn.Query(ctx, q)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			out.WriteString(strings.Join(lines, "\n") + "\n")
		}
		conn.Close(ctx)
	}
	return out.String()
}

// commentOf returns the comment on a role or database (kind "pg_authid" or "pg_database").
func commentOf(t *testing.T, super *pgx.Conn, kind, name string) string {
	t.Helper()
	catalogs := map[string]string{"pg_authid": "SELECT oid FROM pg_roles WHERE rolname = $1", "pg_database": "SELECT oid FROM pg_database WHERE datname = $1"}
	var comment string
	if err := super.QueryRow(context.Background(), "SELECT COALESCE(shobj_description(("+catalogs[kind]+"), '"+kind+"'), '')", name).Scan(&comment); err != nil {
		t.Fatal(err)
	}
	return comment
}

// TestSharedServer is the story of two objects sharing one server, each through its own
// master: what one makes is marked as its own, and the other, or anything made by hand, is
// refused (NotOwned) and left exactly as it was.
func TestSharedServer(t *testing.T) {
	forEachMajor(t, func(t *testing.T, ep engine.Endpoint, srv *pgserver.Server) {
		ctx := context.Background()
		super, err := pgx.Connect(ctx, srv.SuperuserDSN())
		if err != nil {
			t.Fatal(err)
		}
		defer super.Close(ctx)
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
		passwords := map[string]string{"app": "app-Password-1", "bapp": "bapp-Password-2", "handmade": "hand-Password-3"}
		app := engine.User{Name: "app", Password: passwords["app"], CreateDB: true}
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
		// What people made by hand, and what a crash of A's session between CREATE DATABASE
		// and its comment leaves: a database of A's role, without a mark.
		mustExec(t, super, "CREATE ROLE handmade LOGIN PASSWORD "+literal(passwords["handmade"]))
		mustExec(t, super, `CREATE DATABASE handdb`)
		mustExec(t, super, `CREATE ROLE "stock.readwrite" NOLOGIN`)
		mustExec(t, super, `CREATE DATABASE crashed OWNER app`)
		mustExec(t, super, `CREATE DATABASE moved OWNER bapp`)
		mustExec(t, super, `COMMENT ON DATABASE moved IS `+literal(engine.FormatMark(map[string]string{engine.MarkOwner: ownerA})))

		t.Run("MarksWhatItMakes", func(t *testing.T) {
			for _, tc := range []struct{ kind, name, purpose string }{
				{"pg_authid", "app", ""},
				{"pg_database", "shop", ""},
				{"pg_authid", "shop.readwrite", "the users listed on database shop that may create, read and write in it"},
				{"pg_authid", "shop.readonly", "the users listed on database shop that may only read it"},
			} {
				comment := commentOf(t, super, tc.kind, tc.name)
				mark, _ := engine.ParseMark(comment)
				if !engine.OwnedBy(comment, ownerA) || mark[engine.MarkPurpose] != tc.purpose {
					t.Errorf("%s made by A's session has comment %q: want A's mark, purpose %q", tc.name, comment, tc.purpose)
				}
			}
		})

		plain := epA
		plain.Owner = ""
		unshared := connect(plain)
		cases := []struct {
			name, reason string
			do           func() error
			// want is what the error must be: "NotOwned", "Unsupported" or "" (nil).
			want string
			// mentions are what the error message must name.
			mentions []string
		}{
			{name: "AnotherOwnersUser", reason: "B may not take over A's user: no password change, no grant.",
				do:   func() error { return b.EnsureUser(ctx, engine.User{Name: "app", Password: "stolen-Password-9"}) },
				want: "NotOwned", mentions: []string{"role app", ownerA}},
			{name: "AnotherOwnersMaster", reason: "A's master is marked as A's by the provider.",
				do: func() error {
					return b.EnsureUser(ctx, engine.User{Name: "orders_master", Password: "stolen-Password-9"})
				},
				want: "NotOwned", mentions: []string{"role orders_master", ownerA}},
			{name: "AnotherOwnersDatabase", reason: "B may not take over A's database: its owner, grants and groups stay.",
				do: func() error {
					return b.EnsureDatabase(ctx, engine.Database{Name: "shop", Owner: "bapp", Users: []string{"bapp"}})
				},
				want: "NotOwned", mentions: []string{"database shop", ownerA}},
			{name: "AnotherOwnersUnmarkedDatabase", reason: "A database a crash left unmarked is A's by its owner, not B's to adopt.",
				do: func() error {
					return b.EnsureDatabase(ctx, engine.Database{Name: "crashed", Owner: "bapp", Users: []string{"bapp"}})
				},
				want: "NotOwned", mentions: []string{"database crashed", "role app", ownerA}},
			{name: "RoleMadeByHand", reason: "A role no object marked is someone's by hand: its password is not the operator's to set.",
				do:   func() error { return a.EnsureUser(ctx, engine.User{Name: "handmade", Password: "stolen-Password-9"}) },
				want: "NotOwned", mentions: []string{"role handmade", "made by hand"}},
			{name: "DatabaseMadeByHand", reason: "A database no object marked, owned by no role of A's, is not A's.",
				do: func() error {
					return a.EnsureDatabase(ctx, engine.Database{Name: "handdb", Owner: "app", Users: []string{"app"}})
				},
				want: "NotOwned", mentions: []string{"database handdb"}},
			{name: "GroupMadeByHand", reason: "A database's group role made by hand is not A's: the database is not created either.",
				do: func() error {
					return a.EnsureDatabase(ctx, engine.Database{Name: "stock", Owner: "app", Users: []string{"app"}})
				},
				want: "NotOwned", mentions: []string{"role stock.readwrite", "made by hand"}},
			{name: "DatabaseOwnedByAnothersRole", reason: "A's database handed to B's role: A's master must not act as B's role to take it back.",
				do: func() error {
					return a.EnsureDatabase(ctx, engine.Database{Name: "moved", Owner: "app", Users: []string{"app"}})
				},
				want: "NotOwned", mentions: []string{"role bapp", ownerB}},
			{name: "DisableAnotherOwnersUser", reason: "A user B never owned is not B's to disable: nothing changes, and no error.",
				do: func() error { return b.DisableUser(ctx, "app") }},
			{name: "DisableRoleMadeByHand", reason: "A role made by hand is not the operator's to disable.",
				do: func() error { return a.DisableUser(ctx, "handmade") }},
			{name: "SuperuserWithoutAdminRole", reason: "The server offers no admin role: the user is refused before it is created.",
				do: func() error {
					return a.EnsureUser(ctx, engine.User{Name: "boss", Password: "boss-Password-4", Superuser: true})
				},
				want: "Unsupported", mentions: []string{"no admin role"}},
			{name: "SuperuserWithoutAdminRoleUnshared", reason: "Without an admin role no server can make a superuser, shared or not.",
				do: func() error {
					return unshared.EnsureUser(ctx, engine.User{Name: "boss", Password: "boss-Password-4", Superuser: true})
				},
				want: "Unsupported", mentions: []string{"no admin role"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := catalog(t, srv)
				err := tc.do()
				got := ""
				switch {
				case engine.IsNotOwned(err):
					got = "NotOwned"
				case engine.IsUnsupported(err):
					got = "Unsupported"
				case err != nil:
					got = "other error"
				}
				if got != tc.want {
					t.Fatalf("%s\ngot %s (%v), want %q", tc.reason, got, err, tc.want)
				}
				for _, m := range tc.mentions {
					if !strings.Contains(err.Error(), m) {
						t.Errorf("%s\nthe error %q does not name %q", tc.reason, err, m)
					}
				}
				for _, pw := range []string{"stolen-Password-9", "boss-Password-4"} {
					if err != nil && strings.Contains(err.Error(), pw) {
						t.Errorf("the error holds a password: %v", err)
					}
				}
				if diff := cmp.Diff(before, catalog(t, srv)); diff != "" {
					t.Errorf("%s\nthe server changed: -before +after:\n%s", tc.reason, diff)
				}
			})
		}

		t.Run("PasswordsStillLogIn", func(t *testing.T) {
			for _, login := range []struct{ user, database string }{{"app", "shop"}, {"handmade", "postgres"}} {
				conn, err := connectAs(t, ep, login.user, passwords[login.user], login.database)
				if err != nil {
					t.Errorf("%s no longer logs in to %s with its own password after the other sessions were refused: %v", login.user, login.database, err)
					continue
				}
				conn.Close(ctx)
			}
		})
		t.Run("CrashBetweenCreateAndCommentIsAdopted", func(t *testing.T) {
			if err := a.EnsureDatabase(ctx, engine.Database{Name: "crashed", Owner: "app", Users: []string{"app"}}); err != nil {
				t.Fatalf("an unmarked database owned by A's role is A's: %v", err)
			}
			if comment := commentOf(t, super, "pg_database", "crashed"); !engine.OwnedBy(comment, ownerA) {
				t.Errorf("the adopted database's comment is %q, want A's mark", comment)
			}
			conn, err := connectAs(t, ep, "app", passwords["app"], "crashed")
			if err != nil {
				t.Fatalf("app cannot use the adopted database: %v", err)
			}
			conn.Close(ctx)
		})
		t.Run("SecondPassChangesNothing", func(t *testing.T) {
			// EnsureUser sets the password on every pass, salted anew: only its verifier may
			// change.
			verifiers := regexp.MustCompile(`SCRAM-SHA-256\$\S+`)
			withoutVerifiers := func() string { return verifiers.ReplaceAllString(catalog(t, srv), "SCRAM") }
			before := withoutVerifiers()
			if err := a.EnsureUser(ctx, app); err != nil {
				t.Fatal(err)
			}
			if err := a.EnsureDatabase(ctx, shop); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(before, withoutVerifiers()); diff != "" {
				t.Errorf("A's second pass over what it owns changed the server: -before +after:\n%s", diff)
			}
		})
		t.Run("TwoOwnersRaceForOneName", func(t *testing.T) {
			for i := range 3 {
				name := fmt.Sprintf("race_%d", i)
				errs := make([]error, 2)
				var wg sync.WaitGroup
				for j, admin := range []engine.Admin{a, b} {
					wg.Go(func() { errs[j] = admin.EnsureUser(ctx, engine.User{Name: name, Password: "race-Password-5"}) })
				}
				wg.Wait()
				won := (errs[0] == nil) != (errs[1] == nil)
				lost := engine.IsNotOwned(errs[0]) || engine.IsNotOwned(errs[1])
				if !won || !lost {
					t.Errorf("A and B both made user %s at once: want exactly one to succeed and the other refused as NotOwned, got A: %v, B: %v", name, errs[0], errs[1])
				}
			}
		})
		t.Run("DisableOwnUser", func(t *testing.T) {
			if err := a.DisableUser(ctx, "app"); err != nil {
				t.Fatal(err)
			}
			if conn, err := connectAs(t, ep, "app", passwords["app"], "shop"); err == nil {
				conn.Close(ctx)
				t.Error("A disabled its own user, which still logs in")
			}
		})
	})
}
