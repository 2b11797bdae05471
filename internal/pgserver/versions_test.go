package pgserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

func TestParseVersion(t *testing.T) {
	cases := map[string]struct {
		reason      string
		out         string
		wantVersion string
		wantMajor   int
		wantErr     bool
	}{
		"Embedded": {reason: "The npm builds answer with the bare version.", out: "postgres (PostgreSQL) 17.10\n", wantVersion: "17.10", wantMajor: 17},
		"Debian":   {reason: "Debian's build adds its package version.", out: "postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)\n", wantVersion: "15.14", wantMajor: 15},
		"Beta":     {reason: "A pre-release's major is its leading number.", out: "postgres (PostgreSQL) 18beta1\n", wantVersion: "18beta1", wantMajor: 18},
		"Garbage":  {reason: "Anything else is an error, not major 0.", out: "something else\n", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			version, major, err := parseVersion(tc.out)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nerr = %v, want error %v", tc.reason, err, tc.wantErr)
			}
			if diff := cmp.Diff([]any{tc.wantVersion, tc.wantMajor}, []any{version, major}); !tc.wantErr && diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestBuildsForMajor(t *testing.T) {
	debian := &Build{Major: 15, Version: "15.14", Bin: "/usr/lib/postgresql/15/bin"}
	set := map[int]Build{
		14: {Major: 14, Version: "14.23", Bin: "/c/14/bin"},
		17: {Major: 17, Version: "17.10", Bin: "/c/17/bin"},
	}
	cases := map[string]struct {
		reason    string
		builds    *Builds
		major     int
		want      Build
		wantNoBld bool
	}{
		"SetHasIt": {
			reason: "With a set, a major runs its own build.",
			builds: &Builds{Dir: "/c", set: set, machine: debian}, major: 17, want: set[17],
		},
		"SetLacksIt": {
			reason: "With a set, a major it has no build of is refused, never run on another major.",
			builds: &Builds{Dir: "/c", set: set, machine: debian}, major: 16, wantNoBld: true,
		},
		"NoSetStandsIn": {
			reason: "Without a set, the machine's PostgreSQL stands in for every major.",
			builds: &Builds{set: map[int]Build{}, machine: debian}, major: 17, want: *debian,
		},
		"DefaultIsTheMachines": {
			reason: "A server that names no major runs the machine's PostgreSQL, as before builds per major.",
			builds: &Builds{Dir: "/c", set: set, machine: debian}, want: *debian,
		},
		"DefaultWithoutMachine": {
			reason: "Without the machine's PostgreSQL, the default is the set's newest build.",
			builds: &Builds{Dir: "/c", set: set}, want: set[17],
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := tc.builds.ForMajor(tc.major)
			if tc.wantNoBld {
				if !errors.Is(err, ErrNoBuild) {
					t.Errorf("%s\nerr = %v, want ErrNoBuild", tc.reason, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\n%v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// perMajorBuilds returns the set of builds per major, skipping the test when there is none.
func perMajorBuilds(t *testing.T) *Builds {
	t.Helper()
	builds, err := DefaultBuilds()
	if err != nil {
		t.Fatalf("look up PostgreSQL builds: %v", err)
	}
	if !builds.PerMajor() {
		t.Skipf("no PostgreSQL builds per major in $%s (%q); hack/postgres.sh (make postgres) fetches them", EnvBuilds, os.Getenv(EnvBuilds))
	}
	return builds
}

// TestEveryMajor starts a server of each major the set has and, on that one server, checks
// what must work on every major: the version it runs, a base backup that a new server
// starts from with the rows, roles and passwords, and a streaming replica.
func TestEveryMajor(t *testing.T) {
	builds := perMajorBuilds(t)
	for _, major := range builds.Majors() {
		t.Run(fmt.Sprint(major), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			s := startMajor(t, major)
			if s.Build.Major != major {
				t.Errorf("Build.Major = %d, want %d", s.Build.Major, major)
			}
			if err := s.CreateDatabase(ctx, "shop"); err != nil {
				t.Fatal(err)
			}
			conn, err := pgx.Connect(ctx, masterDSN(s, testPassword, "shop"))
			if err != nil {
				t.Fatalf("master login: %v", err)
			}
			defer conn.Close(ctx)
			var num int
			if err := conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&num); err != nil {
				t.Fatal(err)
			}
			if num/10000 != major {
				t.Errorf("server_version_num = %d, want major %d", num, major)
			}
			// As on RDS, the master owns the postgres database and so may create tables in
			// its schema public, also from 15 on, where PUBLIC may not.
			pg, err := pgx.Connect(ctx, masterDSN(s, testPassword, "postgres"))
			if err != nil {
				t.Fatalf("master login to postgres: %v", err)
			}
			defer pg.Close(ctx)
			if _, err := pg.Exec(ctx, `CREATE TABLE in_postgres (n int)`); err != nil {
				t.Errorf("master creating a table in postgres: %v", err)
			}
			// Schema public of a new database is the master's to give away, as on RDS: the
			// master's own before 15 (copied from template1), pg_database_owner's from 15.
			var owner string
			if err := conn.QueryRow(ctx, `SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'public'`).Scan(&owner); err != nil {
				t.Fatal(err)
			}
			wantOwner := testMaster
			if major >= 15 {
				wantOwner = "pg_database_owner"
			}
			if owner != wantOwner {
				t.Errorf("schema public of a new database belongs to %s, want %s", owner, wantOwner)
			}
			if _, err := conn.Exec(ctx, `REVOKE CREATE ON SCHEMA public FROM PUBLIC`); err != nil {
				t.Errorf("the master revoking PUBLIC's CREATE on public, as AWS's guide has it do: %v", err)
			}
			for _, q := range []string{
				`CREATE ROLE app_user LOGIN PASSWORD 'app-Passw0rd'`,
				`CREATE TABLE orders (item text)`,
				`INSERT INTO orders VALUES ('before-the-backup')`,
				`GRANT SELECT ON orders TO app_user`,
			} {
				if _, err := conn.Exec(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}

			path := filepath.Join(t.TempDir(), "backup.tar.gz")
			if err := s.Backup(ctx, path); err != nil {
				t.Fatalf("Backup: %v", err)
			}
			if _, err := conn.Exec(ctx, `INSERT INTO orders VALUES ('after-the-backup')`); err != nil {
				t.Fatal(err)
			}
			restored, err := StartFromBackup(ctx, Options{Dir: t.TempDir(), MasterUser: testMaster}, path)
			if err != nil {
				t.Fatalf("StartFromBackup: %v", err)
			}
			t.Cleanup(func() {
				if err := restored.Stop(); err != nil {
					t.Errorf("Stop restored: %v", err)
				}
			})
			if restored.Build.Major != major || restored.Port == s.Port {
				t.Errorf("restored server runs %d on port %d; want %d on a port of its own (source %d)", restored.Build.Major, restored.Port, major, s.Port)
			}
			app, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=app_user password=app-Passw0rd dbname=shop sslmode=require", restored.Host, restored.Port))
			if err != nil {
				t.Fatalf("a role of the backup logs in to the restored server: %v", err)
			}
			defer app.Close(ctx)
			rows, err := app.Query(ctx, `SELECT item FROM orders ORDER BY item`)
			if err != nil {
				t.Fatal(err)
			}
			items, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"before-the-backup"}, items); diff != "" {
				t.Errorf("rows of the restored server: -want +got:\n%s", diff)
			}
			master, err := pgx.Connect(ctx, masterDSN(restored, testPassword, "shop"))
			if err != nil {
				t.Fatalf("master login to the restored server: %v", err)
			}
			defer master.Close(ctx)
			if _, err := master.Exec(ctx, `INSERT INTO orders VALUES ('written-on-the-copy')`); err != nil {
				t.Errorf("the restored server is not writable: %v", err)
			}

			replica := startReplica(t, s)
			if replica.Build.Major != major {
				t.Errorf("replica runs %d, want its source's %d", replica.Build.Major, major)
			}
			standby, err := pgx.Connect(ctx, masterDSN(replica, testPassword, "shop"))
			if err != nil {
				t.Fatalf("master login on the replica: %v", err)
			}
			defer standby.Close(ctx)
			if _, err := conn.Exec(ctx, `INSERT INTO orders VALUES ('streamed')`); err != nil {
				t.Fatal(err)
			}
			waitRow(t, standby, `SELECT string_agg(item, ',' ORDER BY item) FROM orders`, "after-the-backup,before-the-backup,streamed")
		})
	}
}
