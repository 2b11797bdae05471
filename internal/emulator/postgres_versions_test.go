package emulator

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
)

// backupHas checks that a PostgreSQL snapshot's base backup holds each of the strings:
// short text values and names are stored verbatim in the copied pages and WAL.
func backupHas(t *testing.T, file string, want ...string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("snapshot %s is not a gzip-compressed base backup: %v", file, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("read snapshot %s: %v", file, err)
	}
	for _, w := range want {
		if !bytes.Contains(b, []byte(w)) {
			t.Errorf("snapshot %s lacks %q", file, w)
		}
	}
}

// perMajorBuilds returns the PostgreSQL builds per major, skipping the test when there
// are none (the machine's PostgreSQL then stands in for every version).
func perMajorBuilds(t *testing.T) *pgserver.Builds {
	t.Helper()
	builds, err := pgserver.DefaultBuilds()
	if err != nil {
		t.Fatalf("look up PostgreSQL builds: %v", err)
	}
	if !builds.PerMajor() {
		t.Skipf("no PostgreSQL builds per major in $%s (%q); hack/postgres.sh (make postgres) fetches them", pgserver.EnvBuilds, os.Getenv(pgserver.EnvBuilds))
	}
	return builds
}

// serverMajor is the major version of the server behind an instance, as it says itself.
func serverMajor(t *testing.T, conn *pgx.Conn) int {
	t.Helper()
	var num int
	if err := conn.QueryRow(context.Background(), `SELECT current_setting('server_version_num')::int`).Scan(&num); err != nil {
		t.Fatalf("server_version_num: %v", err)
	}
	return num / 10000
}

// TestPostgresMajors creates instances of several majors on one emulator and checks that
// each runs the major it asked for, that snapshots, restores and read replicas work on
// majors other than the machine's, and that a major without a build is refused as RDS
// refuses a version it does not offer.
func TestPostgresMajors(t *testing.T) {
	perMajorBuilds(t)
	_, c := start(t, Config{})
	ctx := context.Background()

	// The versions asked for: a minor the emulator has no build of runs the newest build
	// of its major, and the instance reports what was asked for, as RDS does.
	versions := map[string]string{"pg14": "14.18", "pg16": "16.9", "pg17": "17.5", "pg18": "18.1"}
	for id, version := range versions {
		in := withVersion(createInput(id), version)
		in.DBName = aws.String("shop")
		if _, err := c.CreateDBInstance(ctx, in); err != nil {
			t.Fatalf("CreateDBInstance %s %s: %v", id, version, err)
		}
	}
	// The servers start at once, in the background.
	for id := range versions {
		waitStatus(t, c, id, "available", 2*time.Minute)
	}

	t.Run("EachRunsItsMajor", func(t *testing.T) {
		for id, version := range versions {
			in := describe(t, c, id)
			if got := aws.ToString(in.EngineVersion); got != version {
				t.Errorf("%s reports version %q, want %q as asked", id, got, version)
			}
			if got, want := serverMajor(t, pgLogin(t, c, id, testPassword, "shop")), postgresMajor(version); got != want {
				t.Errorf("%s (version %s) runs PostgreSQL %d, want %d", id, version, got, want)
			}
		}
	})

	t.Run("UnknownMajorRefused", func(t *testing.T) {
		cases := map[string]struct {
			reason  string
			call    func() error
			version string
		}{
			"Create": {
				reason:  "CreateDBInstance with a major the emulator has no build of is refused, nothing is created.",
				version: "13.4",
				call: func() error {
					_, err := c.CreateDBInstance(ctx, withVersion(createInput("pg13"), "13.4"))
					return err
				},
			},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				err := tc.call()
				if got := errorCode(err); got != "InvalidParameterCombination" {
					t.Fatalf("%s\ncode %q (%v), want InvalidParameterCombination", tc.reason, got, err)
				}
				if want := "Cannot find version " + tc.version + " for postgres"; !strings.HasPrefix(errorMessage(err), want) {
					t.Errorf("%s\nmessage %q, want it to start with %q", tc.reason, errorMessage(err), want)
				}
			})
		}
	})

	t.Run("SnapshotAndRestore", func(t *testing.T) {
		conn := pgLogin(t, c, "pg17", testPassword, "shop")
		for _, q := range []string{`CREATE TABLE invoices (n text)`, `INSERT INTO invoices VALUES ('invoice-on-17')`} {
			if _, err := conn.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("pg17"), DBSnapshotIdentifier: aws.String("pg17-manual")}); err != nil {
			t.Fatalf("CreateDBSnapshot: %v", err)
		}
		waitSnapshot(t, c, "pg17-manual", "available", time.Minute)
		if _, err := c.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{
			DBInstanceIdentifier: aws.String("pg17-copy"), DBSnapshotIdentifier: aws.String("pg17-manual"),
		}); err != nil {
			t.Fatalf("RestoreDBInstanceFromDBSnapshot: %v", err)
		}
		waitStatus(t, c, "pg17-copy", "available", time.Minute)
		if got := aws.ToString(describe(t, c, "pg17-copy").EngineVersion); got != "17.5" {
			t.Errorf("restored instance reports %q, want the snapshot's 17.5", got)
		}
		copyConn := pgLogin(t, c, "pg17-copy", testPassword, "shop")
		if got := serverMajor(t, copyConn); got != 17 {
			t.Errorf("restored instance runs PostgreSQL %d, want the snapshot's 17", got)
		}
		var n string
		if err := copyConn.QueryRow(ctx, `SELECT n FROM invoices`).Scan(&n); err != nil || n != "invoice-on-17" {
			t.Errorf("row of the restored instance: %q (err %v), want invoice-on-17", n, err)
		}
	})

	t.Run("ReadReplica", func(t *testing.T) {
		src := pgLogin(t, c, "pg18", testPassword, "shop")
		if _, err := src.Exec(ctx, `CREATE TABLE notes (n text)`); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateDBInstanceReadReplica(ctx, &rds.CreateDBInstanceReadReplicaInput{
			DBInstanceIdentifier: aws.String("pg18-ro"), SourceDBInstanceIdentifier: aws.String("pg18"),
		}); err != nil {
			t.Fatalf("CreateDBInstanceReadReplica: %v", err)
		}
		waitStatus(t, c, "pg18-ro", "available", time.Minute)
		replica := pgLogin(t, c, "pg18-ro", testPassword, "shop")
		if got := serverMajor(t, replica); got != 18 {
			t.Errorf("replica runs PostgreSQL %d, want its source's 18", got)
		}
		if _, err := src.Exec(ctx, `INSERT INTO notes VALUES ('streamed-on-18')`); err != nil {
			t.Fatal(err)
		}
		eventually(t, "row on the replica", "streamed-on-18", func() (string, error) {
			var n string
			err := replica.QueryRow(ctx, `SELECT coalesce(string_agg(n, ','), '') FROM notes`).Scan(&n)
			return n, err
		})
		if _, err := replica.Exec(ctx, `INSERT INTO notes VALUES ('on-the-replica')`); err == nil {
			t.Errorf("the replica accepted a write")
		}
	})

	t.Run("MajorUpgrade", func(t *testing.T) {
		src := pgLogin(t, c, "pg16", testPassword, "shop")
		for _, q := range []string{`CREATE ROLE app LOGIN PASSWORD 'app-Passw0rd'`, `CREATE TABLE ledger (n text)`,
			`INSERT INTO ledger VALUES ('written-on-16')`, `GRANT SELECT ON ledger TO app`} {
			if _, err := src.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if _, err := c.CreateDBInstanceReadReplica(ctx, &rds.CreateDBInstanceReadReplicaInput{
			DBInstanceIdentifier: aws.String("pg16-ro"), SourceDBInstanceIdentifier: aws.String("pg16"),
		}); err != nil {
			t.Fatalf("CreateDBInstanceReadReplica: %v", err)
		}
		waitStatus(t, c, "pg16-ro", "available", time.Minute)
		before := describe(t, c, "pg16").Endpoint
		if _, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
			DBInstanceIdentifier: aws.String("pg16"), EngineVersion: aws.String("17.5"),
			AllowMajorVersionUpgrade: aws.Bool(true), ApplyImmediately: aws.Bool(true),
		}); err != nil {
			t.Fatalf("ModifyDBInstance: %v", err)
		}
		seen := waitStatus(t, c, "pg16", "available", 2*time.Minute)
		if diff := cmp.Diff([]string{"modifying", "available"}, seen); diff != "" {
			t.Errorf("statuses of the upgrade: -want +got:\n%s", diff)
		}
		after := describe(t, c, "pg16")
		if got := aws.ToString(after.EngineVersion); got != "17.5" {
			t.Errorf("version after the upgrade %q, want 17.5", got)
		}
		if aws.ToInt32(after.Endpoint.Port) != aws.ToInt32(before.Port) {
			t.Errorf("endpoint port %d after the upgrade, want the same %d", aws.ToInt32(after.Endpoint.Port), aws.ToInt32(before.Port))
		}
		upgraded := pgLogin(t, c, "pg16", testPassword, "shop")
		if got := serverMajor(t, upgraded); got != 17 {
			t.Errorf("upgraded instance runs PostgreSQL %d, want 17", got)
		}
		app, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=app password=app-Passw0rd dbname=shop sslmode=require",
			aws.ToString(after.Endpoint.Address), aws.ToInt32(after.Endpoint.Port)))
		if err != nil {
			t.Fatalf("a role made before the upgrade logs in after it: %v", err)
		}
		defer app.Close(ctx)
		var n string
		if err := app.QueryRow(ctx, `SELECT n FROM ledger`).Scan(&n); err != nil || n != "written-on-16" {
			t.Errorf("row after the upgrade: %q (err %v), want written-on-16", n, err)
		}

		// The replica was upgraded with its source and follows it again.
		waitStatus(t, c, "pg16-ro", "available", time.Minute)
		if got := aws.ToString(describe(t, c, "pg16-ro").EngineVersion); got != "17.5" {
			t.Errorf("replica reports %q after its source's upgrade, want 17.5", got)
		}
		replica := pgLogin(t, c, "pg16-ro", testPassword, "shop")
		if got := serverMajor(t, replica); got != 17 {
			t.Errorf("replica runs PostgreSQL %d after its source's upgrade, want 17", got)
		}
		if _, err := upgraded.Exec(ctx, `INSERT INTO ledger VALUES ('written-on-17')`); err != nil {
			t.Fatal(err)
		}
		eventually(t, "rows on the replica", "written-on-16,written-on-17", func() (string, error) {
			var n string
			err := replica.QueryRow(ctx, `SELECT string_agg(n, ',' ORDER BY n) FROM ledger`).Scan(&n)
			return n, err
		})
	})
}

// withVersion sets a CreateDBInstance request's EngineVersion.
func withVersion(in *rds.CreateDBInstanceInput, version string) *rds.CreateDBInstanceInput {
	in.EngineVersion = aws.String(version)
	return in
}

func TestCheckBuild(t *testing.T) {
	builds := perMajorBuilds(t)
	// A set with only the oldest major, made of the real set's build.
	oldest := builds.Majors()[0]
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(builds.Dir, fmt.Sprint(oldest)), filepath.Join(dir, fmt.Sprint(oldest))); err != nil {
		t.Fatal(err)
	}
	partial, err := pgserver.LookupBuilds(dir)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		reason   string
		engine   string
		version  string
		wantCode string
	}{
		"MajorItHas": {
			reason: "A version of a major the set has passes, whatever its minor.", engine: "postgres", version: fmt.Sprintf("%d.99", oldest),
		},
		"MajorItLacks": {
			reason: "A major without a build is refused as RDS refuses a version it does not offer.", engine: "postgres", version: fmt.Sprint(oldest + 1),
			wantCode: "InvalidParameterCombination",
		},
		"OtherEngine": {
			reason: "MariaDB stands in for every MySQL version: nothing is checked.", engine: "mysql", version: "8.4.5",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var code string
			var ae *apiError
			if err := checkBuild(partial, tc.engine, tc.version); errors.As(err, &ae) {
				code = ae.Code
			} else if err != nil {
				t.Fatalf("%s\nnot an API error: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.wantCode, code); diff != "" {
				t.Errorf("%s\ncode: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}
