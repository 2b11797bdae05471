package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
)

// majors are the PostgreSQL majors the tests run on: every build the machine has one of
// (hack/postgres.sh), else the one PostgreSQL it has (0).
func majors(t *testing.T) []int {
	t.Helper()
	builds, err := pgserver.DefaultBuilds()
	if err != nil {
		t.Fatalf("look up PostgreSQL builds: %v", err)
	}
	if m := builds.Majors(); len(m) > 0 {
		return m
	}
	return []int{0}
}

// forEachMajor runs test on an RDS-like server of each major.
func forEachMajor(t *testing.T, test func(t *testing.T, ep engine.Endpoint, srv *pgserver.Server)) {
	for _, major := range majors(t) {
		t.Run(fmt.Sprintf("PostgreSQL%d", major), func(t *testing.T) {
			ep, srv := startServer(t, major)
			t.Logf("PostgreSQL %s", srv.Build.Version)
			test(t, ep, srv)
		})
	}
}

// try is one thing a user attempts, and the SQLSTATE it should end with ("" for success).
type try struct {
	name, reason string
	user, sql    string
	wantCode     string
}

// attempt logs in as each try's user, to database, runs its statement and compares how it
// ended with what the try wants.
func attempt(t *testing.T, ep engine.Endpoint, database string, passwords map[string]string, tries []try) {
	t.Helper()
	ctx := context.Background()
	for _, tc := range tries {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := connectAs(t, ep, tc.user, passwords[tc.user], database)
			if err == nil {
				defer conn.Close(ctx)
				_, err = conn.Exec(ctx, tc.sql)
			}
			if got := sqlStateOf(err); got != tc.wantCode || (err != nil && tc.wantCode == "") {
				t.Errorf("%s\n%s: %s\ngot SQLSTATE %q (%v), want %q", tc.reason, tc.user, tc.sql, got, err, tc.wantCode)
			}
		})
	}
}

// grantState is every grant, ownership and membership that sharing a database touches, as
// text, so two passes can be compared.
func grantState(t *testing.T, ep engine.Endpoint, database string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := connectAs(t, ep, master, masterPassword, database)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var out strings.Builder
	// acl lists an ACL's grants in a fixed order, whatever order they were made in.
	acl := func(column string) string {
		return `COALESCE((SELECT string_agg(g, ',' ORDER BY g) FROM (SELECT COALESCE(NULLIF(a.grantee, 0)::regrole::text, 'PUBLIC') || ':' || a.privilege_type AS g
			FROM aclexplode(` + column + `) a) grants), '-')`
	}
	for _, q := range []string{
		`SELECT datname || ' ' || pg_get_userbyid(datdba) || ' ' || ` + acl("datacl") + ` FROM pg_database WHERE datname = current_database()`,
		`SELECT nspname || ' ' || pg_get_userbyid(nspowner) || ' ' || ` + acl("nspacl") + ` FROM pg_namespace ORDER BY 1`,
		`SELECT relname || ' ' || pg_get_userbyid(relowner) || ' ' || ` + acl("relacl") + ` FROM pg_class WHERE relkind IN ('r', 'S', 'v') AND relnamespace NOT IN (SELECT oid FROM pg_namespace WHERE nspname IN ('pg_catalog', 'information_schema')) ORDER BY 1`,
		`SELECT pg_get_userbyid(defaclrole) || ' ' || defaclobjtype::text || ' ' || ` + acl("defaclacl") + ` FROM pg_default_acl ORDER BY 1`,
		`SELECT DISTINCT pg_get_userbyid(roleid) || ' > ' || pg_get_userbyid(member) FROM pg_auth_members ORDER BY 1`,
	} {
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
	return out.String()
}

// TestListedUsersShareADatabase proves that a user listed on a database may use it as on
// MySQL: create tables, read and write the others' tables, those made before the database
// was shared and those made after; and that a read-only user may read all of it and change
// nothing. Every right is tried by logging in as the user.
func TestListedUsersShareADatabase(t *testing.T) {
	forEachMajor(t, func(t *testing.T, ep engine.Endpoint, srv *pgserver.Server) {
		ctx := context.Background()
		passwords := map[string]string{"app": "app-Password-1", "worker": "worker-Password-2", "reader": "reader-Password-3", "outsider": "outsider-Password-4"}
		passwords[master] = masterPassword
		users := []engine.User{
			{Name: "app", Password: passwords["app"], CreateDB: true},
			{Name: "worker", Password: passwords["worker"]},
			{Name: "reader", Password: passwords["reader"], ReadOnly: true},
			{Name: "outsider", Password: passwords["outsider"]},
		}
		admin, err := Connector{}.Connect(ctx, ep)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close(ctx)
		for _, u := range users {
			if err := admin.EnsureUser(ctx, u); err != nil {
				t.Fatalf("EnsureUser(%s): %v", u.Name, err)
			}
		}

		// The state an older operator left: the database owned by app, CONNECT the only
		// grant, and app's tables in public and in a schema of its own, granted to no one.
		super, err := pgx.Connect(ctx, srv.SuperuserDSN())
		if err != nil {
			t.Fatal(err)
		}
		if srv.Build.Major > 0 && srv.Build.Major < 15 {
			// Before 15, schema public lets PUBLIC create. On RDS the master owns it in the
			// databases it makes (it can hand it over or drop it), so it can take that away.
			tmpl, err := pgx.Connect(ctx, strings.Replace(srv.SuperuserDSN(), "dbname=postgres", "dbname=template1", 1))
			if err != nil {
				t.Fatal(err)
			}
			mustExec(t, tmpl, "ALTER SCHEMA public OWNER TO "+master)
			tmpl.Close(ctx)
		}
		mustExec(t, super, "CREATE DATABASE shop OWNER app")
		super.Close(ctx)
		old, err := connectAs(t, ep, "app", passwords["app"], "shop")
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, old, `CREATE TABLE legacy (id serial PRIMARY KEY, v text); INSERT INTO legacy (v) VALUES ('before');
			CREATE SCHEMA app_data; CREATE TABLE app_data.kept (v text); INSERT INTO app_data.kept VALUES ('kept')`)
		old.Close(ctx)

		shop := engine.Database{Name: "shop", Owner: "app", Users: []string{"app", "worker", "reader"}}
		if err := admin.EnsureDatabase(ctx, shop); err != nil {
			t.Fatalf("EnsureDatabase: %v", err)
		}
		first := grantState(t, ep, "shop")
		if err := admin.EnsureDatabase(ctx, shop); err != nil {
			t.Fatalf("EnsureDatabase, second pass: %v", err)
		}
		if diff := cmp.Diff(first, grantState(t, ep, "shop")); diff != "" {
			t.Errorf("the second pass changed grants: -first +second:\n%s", diff)
		}
		t.Run("PartlyUndoneConverges", func(t *testing.T) {
			// What a pass cut short leaves, or someone undoing grants by hand: each kind of
			// grant sharing makes, some of them missing.
			conn, err := pgx.Connect(ctx, strings.Replace(srv.SuperuserDSN(), "dbname=postgres", "dbname=shop", 1))
			if err != nil {
				t.Fatal(err)
			}
			mustExec(t, conn, `REVOKE ALL ON legacy FROM "shop.readwrite"; REVOKE SELECT ON app_data.kept FROM "shop.readonly";
				REVOKE CREATE ON SCHEMA public FROM "shop.readwrite"; REVOKE USAGE ON SCHEMA app_data FROM "shop.readonly";
				ALTER DEFAULT PRIVILEGES FOR ROLE worker REVOKE ALL ON TABLES FROM "shop.readwrite";
				ALTER DEFAULT PRIVILEGES FOR ROLE app REVOKE SELECT ON SEQUENCES FROM "shop.readonly";
				REVOKE CREATE ON DATABASE shop FROM "shop.readwrite"; REVOKE "shop.readwrite" FROM worker; REVOKE "shop.readonly" FROM reader`)
			conn.Close(ctx)
			if err := admin.EnsureDatabase(ctx, shop); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(first, grantState(t, ep, "shop")); diff != "" {
				t.Errorf("the next pass did not restore what was undone: -want +got:\n%s", diff)
			}
		})

		attempt(t, ep, "shop", passwords, []try{
			{name: "WriterReadsTableMadeBefore", reason: "A table the owner made before the database was shared becomes usable by the other listed users.",
				user: "worker", sql: "SELECT * FROM legacy"},
			{name: "WriterWritesTableMadeBefore", reason: "Writing includes the serial column's sequence.",
				user: "worker", sql: "INSERT INTO legacy (v) VALUES ('worker'); UPDATE legacy SET v = v || '!' WHERE v = 'worker'; DELETE FROM legacy WHERE v = 'nothing'"},
			{name: "WriterUsesTheOwnersSchema", reason: "Schemas the owner made are shared too, with what is in them.",
				user: "worker", sql: "INSERT INTO app_data.kept VALUES ('worker'); CREATE TABLE app_data.by_worker (v text)"},
			{name: "WriterCreatesInPublic", reason: "PostgreSQL 15 gives PUBLIC no CREATE on schema public; a listed user gets it.",
				user: "worker", sql: "CREATE TABLE made_by_worker (id serial PRIMARY KEY, v text); INSERT INTO made_by_worker (v) VALUES ('w')"},
			{name: "WriterCreatesASchema", reason: "As on MySQL, a listed user may organise the database as it likes.",
				user: "worker", sql: "CREATE SCHEMA worker_s; CREATE TABLE worker_s.t (v text)"},
			{name: "WriterMakesTemporaryTables", reason: "MySQL's ALL includes temporary tables.",
				user: "worker", sql: "CREATE TEMPORARY TABLE scratch (v text)"},
			{name: "OwnerWritesTheWritersTables", reason: "What one listed user makes later, the others may read and write.",
				user: "app", sql: "INSERT INTO made_by_worker (v) VALUES ('a'); UPDATE made_by_worker SET v = 'b' WHERE v = 'a'; INSERT INTO worker_s.t VALUES ('a'); CREATE TABLE worker_s.by_app (v text)"},
			{name: "SharedOwnershipThroughTheGroup", reason: "What a member makes as the read-write group, any member may alter and drop.",
				user: "worker", sql: `SET ROLE "shop.readwrite"; CREATE TABLE group_owned (v text); RESET ROLE`},
			{name: "OwnerAltersGroupOwnedTable", reason: "The group owns it, and app is a member.",
				user: "app", sql: "ALTER TABLE group_owned ADD COLUMN w int; DROP TABLE group_owned"},
			{name: "DropStaysWithTheMaker", reason: "PostgreSQL keeps DROP and ALTER for a table's owner: that is not shared.",
				user: "worker", sql: "DROP TABLE legacy", wantCode: "42501"},
			{name: "ReaderReadsEverything", reason: "A read-only user reads the tables made before and after, by anyone listed, in any schema.",
				user: "reader", sql: "SELECT * FROM legacy, made_by_worker, app_data.kept, app_data.by_worker, worker_s.t, worker_s.by_app"},
			{name: "MasterReadsEverything", reason: "RDS's snapshot export reads as the master and skips what it may not read: the master reads every table.",
				user: master, sql: "SELECT * FROM legacy, made_by_worker, app_data.kept, app_data.by_worker, worker_s.t, worker_s.by_app"},
			{name: "ReaderCannotInsert", reason: "Read-only means no INSERT.", user: "reader", sql: "INSERT INTO made_by_worker (v) VALUES ('r')", wantCode: "42501"},
			{name: "ReaderCannotUpdate", reason: "Read-only means no UPDATE.", user: "reader", sql: "UPDATE legacy SET v = 'r'", wantCode: "42501"},
			{name: "ReaderCannotDelete", reason: "Read-only means no DELETE.", user: "reader", sql: "DELETE FROM app_data.kept", wantCode: "42501"},
			{name: "ReaderCannotCreateTables", reason: "Read-only means no CREATE in public.", user: "reader", sql: "CREATE TABLE by_reader (v text)", wantCode: "42501"},
			{name: "ReaderCannotCreateInSharedSchemas", reason: "Nor in the other schemas.", user: "reader", sql: "CREATE TABLE worker_s.by_reader (v text)", wantCode: "42501"},
			{name: "ReaderCannotCreateSchemas", reason: "Nor schemas.", user: "reader", sql: "CREATE SCHEMA reader_s", wantCode: "42501"},
			{name: "ReaderCannotCreateTemporaryTables", reason: "Nor temporary tables.", user: "reader", sql: "CREATE TEMPORARY TABLE scratch (v text)", wantCode: "42501"},
			{name: "ReaderCannotAdvanceSequences", reason: "nextval writes.", user: "reader", sql: "SELECT nextval('legacy_id_seq')", wantCode: "42501"},
			{name: "OutsiderCannotConnect", reason: "A user not listed cannot connect at all.", user: "outsider", sql: "SELECT 1", wantCode: "42501"},
		})

		t.Run("ATableMadeLaterIsReadable", func(t *testing.T) {
			conn, err := connectAs(t, ep, "app", passwords["app"], "shop")
			if err != nil {
				t.Fatal(err)
			}
			mustExec(t, conn, "CREATE TABLE later (v text); INSERT INTO later VALUES ('new')")
			conn.Close(ctx)
			attempt(t, ep, "shop", passwords, []try{
				{name: "Reader", reason: "A read-only user reads a table made after its database was shared, with no pass of the operator in between.",
					user: "reader", sql: "SELECT * FROM later"},
				{name: "Writer", reason: "So does a writer, and it writes it.", user: "worker", sql: "INSERT INTO later VALUES ('w')"},
			})
		})

		t.Run("UserRemovedFromTheList", func(t *testing.T) {
			if err := admin.EnsureDatabase(ctx, engine.Database{Name: "shop", Owner: "app", Users: []string{"app", "reader"}}); err != nil {
				t.Fatal(err)
			}
			attempt(t, ep, "shop", passwords, []try{
				{name: "RemovedUserCannotConnect", reason: "A user removed from the list loses access.", user: "worker", sql: "SELECT 1", wantCode: "42501"},
				{name: "OthersKeepUsingWhatItMade", reason: "What it made is kept, and the others keep their rights on it.",
					user: "app", sql: "INSERT INTO made_by_worker (v) VALUES ('after'); INSERT INTO worker_s.t VALUES ('after')"},
				{name: "ReaderKeepsReadingWhatItMade", reason: "So does the reader.", user: "reader", sql: "SELECT * FROM made_by_worker, worker_s.t"},
			})
			conn, err := connectAs(t, ep, master, masterPassword, "shop")
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			var owner string
			var member bool
			if err := conn.QueryRow(ctx, `SELECT pg_get_userbyid(relowner), pg_has_role('worker', 'shop.readwrite', 'MEMBER') FROM pg_class WHERE relname = 'made_by_worker'`).Scan(&owner, &member); err != nil {
				t.Fatal(err)
			}
			if owner != "worker" || member {
				t.Errorf("after removal: made_by_worker owned by %q (want worker, kept), worker a member of shop.readwrite: %v (want false)", owner, member)
			}
		})

		t.Run("RoleChanges", func(t *testing.T) {
			// worker comes back read-only; reader becomes a writer.
			for _, u := range []engine.User{{Name: "worker", Password: passwords["worker"], ReadOnly: true}, {Name: "reader", Password: passwords["reader"]}} {
				if err := admin.EnsureUser(ctx, u); err != nil {
					t.Fatal(err)
				}
			}
			// worker still owns what it made as a writer, which an owner may change whatever
			// its groups say: refused until those objects have another owner.
			err := admin.EnsureDatabase(ctx, shop)
			if err == nil || !strings.Contains(err.Error(), "readonly user worker owns") {
				t.Fatalf("making a user that owns tables read-only: %v, want a refusal naming what it owns", err)
			}
			super, err := pgx.Connect(ctx, srv.SuperuserDSN()+" dbname=shop")
			if err != nil {
				t.Fatal(err)
			}
			defer super.Close(ctx)
			if _, err := super.Exec(ctx, `REASSIGN OWNED BY worker TO app`); err != nil {
				t.Fatalf("give worker's objects to app: %v", err)
			}
			if err := admin.EnsureDatabase(ctx, shop); err != nil {
				t.Fatal(err)
			}
			attempt(t, ep, "shop", passwords, []try{
				{name: "NowReadOnlyReads", reason: "A writer made read-only reads.", user: "worker", sql: "SELECT * FROM legacy"},
				{name: "NowReadOnlyCannotWriteWhatItMade", reason: "Nor what it made, now another's.", user: "worker", sql: "INSERT INTO made_by_worker (v) VALUES ('w')", wantCode: "42501"},
				{name: "NowReadOnlyCannotWriteOthersTables", reason: "It writes no one else's table any more.", user: "worker", sql: "INSERT INTO legacy (v) VALUES ('w')", wantCode: "42501"},
				{name: "NowReadOnlyCannotCreate", reason: "Nor creates in public.", user: "worker", sql: "CREATE TABLE again (v text)", wantCode: "42501"},
				{name: "NowWriterWrites", reason: "A reader made a writer writes.", user: "reader", sql: "INSERT INTO legacy (v) VALUES ('r'); CREATE TABLE by_former_reader (v text)"},
			})
		})
	})
}

// TestSharingRefusals proves what EnsureUser and EnsureDatabase refuse rather than apply.
func TestSharingRefusals(t *testing.T) {
	ep, srv := startServer(t, 0)
	ctx := context.Background()
	admin, err := Connector{}.Connect(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	for _, u := range []engine.User{{Name: "app", Password: "app-Password-1"}, {Name: "reader", Password: "reader-Password-2", ReadOnly: true}} {
		if err := admin.EnsureUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	super, err := pgx.Connect(ctx, srv.SuperuserDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close(ctx)
	// Not the operator's: a login role squatting the name of a database's group.
	mustExec(t, super, `CREATE ROLE "squat.readwrite" LOGIN`)
	// Schema public as PostgreSQL 14 makes it when the master does not own it: PUBLIC may
	// create there, and only its owner can take that away.
	mustExec(t, super, "CREATE DATABASE open OWNER app")
	openDB, err := pgx.Connect(ctx, strings.Replace(srv.SuperuserDSN(), "dbname=postgres", "dbname=open", 1))
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, openDB, "ALTER SCHEMA public OWNER TO "+pgserver.AdminUser+"; GRANT CREATE ON SCHEMA public TO PUBLIC")
	openDB.Close(ctx)

	cases := []struct {
		name, reason string
		apply        func() error
		wantMsg      string
	}{
		{name: "ReadOnlySuperuser", reason: "A read-only superuser could grant itself anything: a contradiction.",
			apply: func() error {
				return admin.EnsureUser(ctx, engine.User{Name: "boss", Password: "boss-Password-3", ReadOnly: true, Superuser: true})
			}, wantMsg: "a read-only user can be neither superuser nor createdb"},
		{name: "ReadOnlyCreateDB", reason: "A read-only user creating databases would write.",
			apply: func() error {
				return admin.EnsureUser(ctx, engine.User{Name: "boss", Password: "boss-Password-3", ReadOnly: true, CreateDB: true})
			}, wantMsg: "a read-only user can be neither superuser nor createdb"},
		{name: "ReadOnlyOwner", reason: "The owner of a database may do anything in it.",
			apply: func() error {
				return admin.EnsureDatabase(ctx, engine.Database{Name: "ro", Owner: "reader", Users: []string{"reader"}})
			},
			wantMsg: "user reader is read-only and cannot own a database"},
		{name: "UserNotEnsured", reason: "Without EnsureUser the session does not know whether a user is read-only: guessing could let it write.",
			apply: func() error {
				return admin.EnsureDatabase(ctx, engine.Database{Name: "shop", Owner: "app", Users: []string{"app", "stranger"}})
			},
			wantMsg: "user stranger is listed but was not ensured in this session"},
		{name: "PublicMayCreateAndTheMasterCannotStopIt", reason: "A read-only user could create where PUBLIC may: refused rather than promised.",
			apply: func() error {
				return admin.EnsureDatabase(ctx, engine.Database{Name: "open", Owner: "app", Users: []string{"app", "reader"}})
			},
			wantMsg: "PUBLIC may create in schema public, owned by rdsadmin, which the master cannot act for"},
		{name: "GroupNameTakenByALogin", reason: "The rights of a database are not handed to a role the operator did not make.",
			apply: func() error {
				return admin.EnsureDatabase(ctx, engine.Database{Name: "squat", Owner: "app", Users: []string{"app"}})
			},
			wantMsg: "a role named squat.readwrite exists and can log in"},
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
		var n int
		if err := super.QueryRow(ctx, `SELECT count(*) FROM pg_database WHERE datname IN ('ro', 'shop', 'squat')`).Scan(&n); err != nil || n != 0 {
			t.Errorf("%d of the refused databases exist (%v), want none", n, err)
		}
	})
}

// TestMembershipLeftByACrashIsRevoked proves that a membership the master granted itself to
// act as a listed user, and could not revoke because the process died, is revoked on the
// next pass, whichever user it was, and by DisableUser for a user removed meanwhile.
func TestMembershipLeftByACrashIsRevoked(t *testing.T) {
	ep, _ := startServer(t, 0)
	ctx := context.Background()
	admin, err := Connector{}.Connect(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	for _, u := range []string{"app", "worker", "leaver"} {
		if err := admin.EnsureUser(ctx, engine.User{Name: u, Password: u + "-Password-1"}); err != nil {
			t.Fatal(err)
		}
	}
	shop := engine.Database{Name: "shop", Owner: "app", Users: []string{"app", "worker", "leaver"}}
	if err := admin.EnsureDatabase(ctx, shop); err != nil {
		t.Fatal(err)
	}
	conn, err := connectAs(t, ep, master, masterPassword, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// The state a crash between asMemberOf's GRANT and REVOKE leaves behind.
	mustExec(t, conn, `GRANT worker TO sysadmin; GRANT "shop.readwrite" TO sysadmin; GRANT leaver TO sysadmin`)

	shop.Users = []string{"app", "worker"}
	if err := admin.EnsureDatabase(ctx, shop); err != nil {
		t.Fatal(err)
	}
	if err := admin.DisableUser(ctx, "leaver"); err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"worker", "shop.readwrite", "leaver"} {
		var member bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
			WHERE g.rolname = $1 AND m.member = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND m.grantor = m.member)`, role).Scan(&member); err != nil {
			t.Fatal(err)
		}
		if member {
			t.Errorf("the master still holds the membership in %s that it granted itself", role)
		}
	}
}

func TestGroupName(t *testing.T) {
	long := strings.Repeat("d", 63)
	cases := []struct {
		name, reason, database, kind, want string
	}{
		{name: "Short", reason: "A name that fits is the database's name and the kind.", database: "orders", kind: kindReadWrite, want: "orders.readwrite"},
		{name: "ExactlyFits", reason: "53 bytes and .readwrite make PostgreSQL's 63.", database: strings.Repeat("e", 53), kind: kindReadWrite, want: strings.Repeat("e", 53) + ".readwrite"},
		{name: "TooLong", reason: "A longer name is cut and made unique by a hash of the whole, so PostgreSQL cuts nothing.", database: long, kind: kindReadOnly,
			want: strings.Repeat("d", 45) + "~dc2d0f18.readonly"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := groupName(tc.database, tc.kind)
			if got != tc.want || len(got) > maxIdentifier {
				t.Errorf("%s\ngroupName(%q, %q) = %q (%d bytes), want %q", tc.reason, tc.database, tc.kind, got, len(got), tc.want)
			}
		})
	}
	t.Run("LongNamesStayApart", func(t *testing.T) {
		a, b := groupName(long, kindReadWrite), groupName(long[:62]+"e", kindReadWrite)
		if a == b {
			t.Errorf("two long database names that differ at the end share the group %q", a)
		}
	})
	t.Run("MultibyteCutAtARune", func(t *testing.T) {
		got := groupName(strings.Repeat("é", 31)+"x", kindReadWrite)
		if !strings.HasSuffix(got, ".readwrite") || len(got) > maxIdentifier || !utf8.ValidString(got) {
			t.Errorf("groupName cut a multibyte name badly: %q", got)
		}
	})
}
