package e2e

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
)

// session is one login of a user with nothing but its Secret, on either engine.
type session interface {
	exec(ctx context.Context, sql string) error
	close(ctx context.Context)
}

type pgSession struct{ conn *pgx.Conn }

func (s pgSession) exec(ctx context.Context, q string) error {
	_, err := s.conn.Exec(ctx, q)
	return err
}
func (s pgSession) close(ctx context.Context) { _ = s.conn.Close(ctx) }

type mysqlSession struct{ db *sql.DB }

func (s mysqlSession) exec(ctx context.Context, q string) error {
	_, err := s.db.ExecContext(ctx, q)
	return err
}
func (s mysqlSession) close(context.Context) { _ = s.db.Close() }

// engineUnderTest says how to log in to one engine with a Secret's uri, and how it says no.
type engineUnderTest struct {
	typ    v1.DatabaseType
	login  func(ctx context.Context, t *testing.T, uri, database string) (session, error)
	denied func(err error) bool
}

var engines = map[string]engineUnderTest{
	"PostgreSQL": {
		typ: v1.TypePostgreSQL,
		login: func(ctx context.Context, _ *testing.T, uri, database string) (session, error) {
			conn, err := loginWith(ctx, uri, database)
			if err != nil {
				return nil, err
			}
			return pgSession{conn}, nil
		},
		denied: func(err error) bool { return sqlState(err) == "42501" },
	},
	"MySQL": {
		typ: v1.TypeMySQL,
		login: func(ctx context.Context, t *testing.T, uri, database string) (session, error) {
			db, err := mysqlLogin(ctx, t, uri, database)
			if err != nil {
				return nil, err
			}
			return mysqlSession{db}, nil
		},
		// On the database (1044) or on a table (1142).
		denied: func(err error) bool { return slices.Contains([]uint16{1044, 1142}, mysqlErrNumber(err)) },
	},
}

// TestListedUsersShareADatabase tells the user story of a database shared by three users
// on each engine, with the same spec: the owner and a second user create tables and write
// each other's, a readonly user reads all of them and changes nothing, and a user taken off
// the list loses the database while what it made stays for the others. Every step logs in
// with nothing but the user's Secret.
func TestListedUsersShareADatabase(t *testing.T) {
	for name, eng := range engines {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			ns := namespace(t, "roles-"+strings.ToLower(name))
			db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "team"}}
			db.Spec.Type = eng.typ
			db.Spec.DeletionPolicy = v1.DeletionDelete
			db.Spec.Users = map[string]v1.UserRoles{"app": {v1.RoleCreateDB}, "worker": {}, "reader": {v1.RoleReadOnly}}
			db.Spec.Databases = map[string]v1.DatabaseUsers{"shop": {"app", "worker", "reader"}}
			if err := stack.Client.Create(ctx, db); err != nil {
				t.Fatal(err)
			}
			waitReady(t, db)
			uri := map[string]string{}
			for _, u := range []string{"app", "worker", "reader"} {
				uri[u] = string(secretData(t, ns, "team.rds."+u)["uri"])
			}

			steps := []struct {
				name, reason string
				user, sql    string
				wantDenied   bool
			}{
				{name: "OwnerCreatesATable", reason: "The first listed user owns the database.",
					user: "app", sql: "CREATE TABLE orders (id int, item text)"},
				{name: "OwnerWrites", reason: "And writes it.", user: "app", sql: "INSERT INTO orders VALUES (1, 'tea')"},
				{name: "ListedUserReadsTheOwnersTable", reason: "Listed means able to use the database, as on MySQL: read what the owner made.",
					user: "worker", sql: "SELECT * FROM orders"},
				{name: "ListedUserWritesTheOwnersTable", reason: "And write it.", user: "worker", sql: "UPDATE orders SET item = 'coffee' WHERE id = 1"},
				{name: "ListedUserCreatesATable", reason: "And make tables of its own.", user: "worker", sql: "CREATE TABLE invoices (id int, total int)"},
				{name: "OwnerWritesTheListedUsersTable", reason: "Which the owner may write in turn.", user: "app", sql: "INSERT INTO invoices VALUES (1, 42)"},
				{name: "ReaderReadsEveryTable", reason: "readonly reads the owner's table.", user: "reader", sql: "SELECT * FROM orders"},
				{name: "ReaderReadsATableMadeAfterIt", reason: "And a table made after it was listed, by another user.", user: "reader", sql: "SELECT * FROM invoices"},
				{name: "ReaderCannotInsert", reason: "readonly writes nothing.", user: "reader", sql: "INSERT INTO orders VALUES (2, 'milk')", wantDenied: true},
				{name: "ReaderCannotUpdate", reason: "Not even a table made after it was listed.", user: "reader", sql: "UPDATE invoices SET total = 0", wantDenied: true},
				{name: "ReaderCannotDelete", reason: "Nor deletes.", user: "reader", sql: "DELETE FROM orders", wantDenied: true},
				{name: "ReaderCannotCreate", reason: "Nor creates.", user: "reader", sql: "CREATE TABLE notes (v text)", wantDenied: true},
			}
			for _, st := range steps {
				t.Run(st.name, func(t *testing.T) {
					s, err := eng.login(ctx, t, uri[st.user], "shop")
					if err != nil {
						t.Fatalf("%s logs in to shop: %v", st.user, err)
					}
					defer s.close(ctx)
					err = s.exec(ctx, st.sql)
					if st.wantDenied != (err != nil) || (err != nil && !eng.denied(err)) {
						t.Errorf("%s\n%s: %s: got %v, want denied: %v", st.reason, st.user, st.sql, err, st.wantDenied)
					}
				})
			}

			err := update(ctx, db, func(s *v1.RDSDatabaseSpec) {
				s.Databases = map[string]v1.DatabaseUsers{"shop": {"app", "reader"}}
			})
			if err != nil {
				t.Fatal(err)
			}
			waitReady(t, db)
			t.Run("UserTakenOffTheListLosesTheDatabase", func(t *testing.T) {
				s, err := eng.login(ctx, t, uri["worker"], "shop")
				if err == nil {
					s.close(ctx)
				}
				if !eng.denied(err) {
					t.Errorf("worker logging in to shop after leaving its list: %v, want denied", err)
				}
			})
			t.Run("WhatItMadeStaysForTheOthers", func(t *testing.T) {
				for user, q := range map[string]string{"app": "INSERT INTO invoices VALUES (2, 7)", "reader": "SELECT * FROM invoices"} {
					s, err := eng.login(ctx, t, uri[user], "shop")
					if err != nil {
						t.Fatalf("%s logs in to shop: %v", user, err)
					}
					if err := s.exec(ctx, q); err != nil {
						t.Errorf("%s: %s after worker left: %v", user, q, err)
					}
					s.close(ctx)
				}
			})
		})
	}
}

// TestAdmissionRefusesReadOnlyThatWouldWrite proves that the apiserver refuses a readonly
// user that would not be read-only: beside superuser or createdb, or first on a database's
// list, which makes it the database's owner.
func TestAdmissionRefusesReadOnlyThatWouldWrite(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "admission-roles")
	cases := map[string]struct {
		reason  string
		mutate  func(*v1.RDSDatabaseSpec)
		wantMsg string
	}{
		"ReadOnlySuperuser": {
			reason: "A superuser can grant itself anything: readonly beside it would promise nothing.",
			mutate: func(s *v1.RDSDatabaseSpec) {
				s.Users = map[string]v1.UserRoles{"boss": {v1.RoleReadOnly, v1.RoleSuperuser}}
			},
			wantMsg: "readonly cannot be combined with superuser or createdb",
		},
		"ReadOnlyCreateDB": {
			reason: "createdb lets a user create (on MySQL, tables in every database).",
			mutate: func(s *v1.RDSDatabaseSpec) {
				s.Users = map[string]v1.UserRoles{"boss": {v1.RoleCreateDB, v1.RoleReadOnly}}
			},
			wantMsg: "readonly cannot be combined with superuser or createdb",
		},
		"ReadOnlyOwner": {
			reason: "The first user listed owns the database, and an owner may do anything in it.",
			mutate: func(s *v1.RDSDatabaseSpec) {
				s.Users = map[string]v1.UserRoles{"reader": {v1.RoleReadOnly}, "app": {}}
				s.Databases = map[string]v1.DatabaseUsers{"shop": {"app"}, "audit": {"reader", "app"}}
			},
			wantMsg: "the first user listed under a database owns it, so it cannot be readonly",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "bad-" + strings.ToLower(name)}}
			tc.mutate(&db.Spec)
			err := stack.Client.Create(ctx, db)
			if err == nil {
				_ = stack.Client.Delete(ctx, db)
				t.Fatalf("%s\nthe apiserver accepted the spec", tc.reason)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("%s\nerror %q does not say %q", tc.reason, err.Error(), tc.wantMsg)
			}
		})
	}

	t.Run("ReadOnlyListedAfterTheOwner", func(t *testing.T) {
		db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "readonly-second"}}
		db.Spec.DeletionPolicy = v1.DeletionDelete
		db.Spec.Users = map[string]v1.UserRoles{"reader": {v1.RoleReadOnly}, "app": {}}
		db.Spec.Databases = map[string]v1.DatabaseUsers{"shop": {"app", "reader"}}
		if err := stack.Client.Create(ctx, db); err != nil {
			t.Fatalf("A readonly user listed after the owner is what readonly is for; refused: %v", err)
		}
		t.Cleanup(func() { _ = stack.Client.Delete(ctx, db) })
		err := update(ctx, db, func(s *v1.RDSDatabaseSpec) { s.Databases["shop"] = v1.DatabaseUsers{"reader", "app"} })
		if err == nil || !strings.Contains(err.Error(), "cannot be readonly") {
			t.Errorf("Reordering the list so that the readonly user owns the database must be refused too; update error = %v", err)
		}
		err = update(ctx, db, func(s *v1.RDSDatabaseSpec) { s.Users["app"] = v1.UserRoles{v1.RoleReadOnly} })
		if err == nil || !strings.Contains(err.Error(), "cannot be readonly") {
			t.Errorf("Making the owner readonly must be refused; update error = %v", err)
		}
	})
}
