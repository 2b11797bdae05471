package emulator

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/google/go-cmp/cmp"
)

// clusterServerMajor logs in as the master at host:port over TLS, checks that the session
// is encrypted, and returns the major version of the server, as SHOW server_version_num
// says it.
func clusterServerMajor(t *testing.T, host string, port int32, database string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgConnect(host, port, testPassword, database)
	if err != nil {
		t.Fatalf("master login at %s:%d: %v", host, port, err)
	}
	defer conn.Close(ctx)
	var ssl bool
	if err := conn.QueryRow(ctx, `SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`).Scan(&ssl); err != nil || !ssl {
		t.Fatalf("session at %s:%d is not over TLS (ssl %t, err %v)", host, port, ssl, err)
	}
	var num string
	if err := conn.QueryRow(ctx, `SHOW server_version_num`).Scan(&num); err != nil {
		t.Fatalf("SHOW server_version_num at %s:%d: %v", host, port, err)
	}
	var n int
	if _, err := fmt.Sscan(num, &n); err != nil {
		t.Fatalf("server_version_num %q: %v", num, err)
	}
	return n / 10000
}

// clusterRows returns the rows of table notes (n text) at host:port, comma-separated in order.
func clusterRows(t *testing.T, host string, port int32, database string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgConnect(host, port, testPassword, database)
	if err != nil {
		t.Fatalf("master login at %s:%d: %v", host, port, err)
	}
	defer conn.Close(ctx)
	var rows string
	if err := conn.QueryRow(ctx, `SELECT coalesce(string_agg(n, ',' ORDER BY n), '') FROM notes`).Scan(&rows); err != nil {
		t.Fatalf("read notes at %s:%d: %v", host, port, err)
	}
	return rows
}

// clusterExec runs statements as the master at the cluster's endpoint.
func clusterExec(t *testing.T, c *rds.Client, id, database string, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	cl := describeCluster(t, c, id)
	conn, err := pgConnect(aws.ToString(cl.Endpoint), aws.ToInt32(cl.Port), testPassword, database)
	if err != nil {
		t.Fatalf("master login to cluster %s: %v", id, err)
	}
	defer conn.Close(ctx)
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// createPostgresCluster creates an aurora-postgresql cluster of version with database
// "shop" and the given instances, and waits until all are available.
func createPostgresCluster(t *testing.T, c *rds.Client, id, version string, instances ...string) {
	t.Helper()
	ctx := context.Background()
	in := clusterInput(id, "aurora-postgresql")
	in.EngineVersion, in.DatabaseName = aws.String(version), aws.String("shop")
	if _, err := c.CreateDBCluster(ctx, in); err != nil {
		t.Fatalf("CreateDBCluster %s %s: %v", id, version, err)
	}
	for _, m := range instances {
		if _, err := c.CreateDBInstance(ctx, clusterInstanceInput(m, id, "aurora-postgresql")); err != nil {
			t.Fatalf("CreateDBInstance %s: %v", m, err)
		}
	}
	waitClusterStatus(t, c, id, "available", 2*time.Minute)
	for _, m := range instances {
		waitStatus(t, c, m, "available", time.Minute)
	}
}

// TestAuroraPostgresClusterMajors checks that an aurora-postgresql cluster runs the
// PostgreSQL major of its EngineVersion, that a major version upgrade moves its data to a
// server of the new major behind the same endpoints (and leaves it on its old server when
// the copy fails), that a restored cluster runs its snapshot's major (or the newer one the
// restore asks for), and that a major without a build is refused as for instances.
func TestAuroraPostgresClusterMajors(t *testing.T) {
	builds := perMajorBuilds(t)
	majors := builds.Majors()
	_, c := start(t, Config{})
	ctx := context.Background()
	low, newest := majors[0], majors[len(majors)-1]

	t.Run("EachRunsItsMajor", func(t *testing.T) {
		cases := map[string]struct {
			reason  string
			version string
			want    int
		}{
			"MajorAndMinor": {
				reason:  "An Aurora version such as 16.4 runs the newest build of its major and is reported as asked.",
				version: fmt.Sprintf("%d.4", low), want: low,
			},
			"MajorAlone": {
				reason:  "A major alone runs the newest build of that major.",
				version: fmt.Sprint(newest), want: newest,
			},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				id := "runs-" + strings.ToLower(name)
				createPostgresCluster(t, c, id, tc.version)
				cl := describeCluster(t, c, id)
				if got := aws.ToString(cl.EngineVersion); got != tc.version {
					t.Errorf("%s\ncluster reports %q, want %q", tc.reason, got, tc.version)
				}
				if got := clusterServerMajor(t, aws.ToString(cl.Endpoint), aws.ToInt32(cl.Port), "shop"); got != tc.want {
					t.Errorf("%s\ncluster of %s runs PostgreSQL %d, want %d", tc.reason, tc.version, got, tc.want)
				}
			})
		}
	})

	t.Run("UnknownMajorRefused", func(t *testing.T) {
		// The oldest major Aurora offers that the emulator has no build of.
		missing := 11
		for _, err := builds.ForMajor(missing); err == nil; _, err = builds.ForMajor(missing) {
			missing++
		}
		createPostgresCluster(t, c, "has-build", fmt.Sprintf("%d.4", newest))
		cases := map[string]struct {
			reason  string
			version string
			call    func(version string) error
		}{
			"Create": {
				reason:  "CreateDBCluster with a major the emulator has no build of is refused, as RDS refuses a version it does not offer.",
				version: fmt.Sprintf("%d.4", missing),
				call: func(version string) error {
					in := clusterInput("no-build", "aurora-postgresql")
					in.EngineVersion = aws.String(version)
					_, err := c.CreateDBCluster(ctx, in)
					return err
				},
			},
			"Upgrade": {
				reason:  "ModifyDBCluster to a major the emulator has no build of is refused before anything changes.",
				version: fmt.Sprintf("%d.1", newest+1),
				call: func(version string) error {
					_, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("has-build"),
						EngineVersion: aws.String(version), AllowMajorVersionUpgrade: aws.Bool(true), ApplyImmediately: aws.Bool(true)})
					return err
				},
			},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				err := tc.call(tc.version)
				if got := errorCode(err); got != "InvalidParameterCombination" {
					t.Fatalf("%s\ncode %q (%v), want InvalidParameterCombination", tc.reason, got, err)
				}
				if want := "Cannot find version " + tc.version + " for aurora-postgresql"; !strings.HasPrefix(errorMessage(err), want) {
					t.Errorf("%s\nmessage %q, want it to start with %q", tc.reason, errorMessage(err), want)
				}
			})
		}
		if _, err := c.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("no-build")}); errorCode(err) != "DBClusterNotFoundFault" {
			t.Errorf("a refused cluster was created: %v", err)
		}
		cl := describeCluster(t, c, "has-build")
		if got := aws.ToString(cl.Status); got != "available" || cl.PendingModifiedValues != nil {
			t.Errorf("a refused upgrade left the cluster %s with pending %+v", got, cl.PendingModifiedValues)
		}
	})

	if len(majors) < 2 {
		t.Skipf("only PostgreSQL %d in $AWS_RDS_OPERATOR_POSTGRES: upgrades and restores across majors need two", low)
	}
	high := majors[1]
	lowVersion, highVersion := fmt.Sprintf("%d.4", low), fmt.Sprintf("%d.4", high)

	createPostgresCluster(t, c, "ledger", lowVersion, "ledger-1", "ledger-2")
	clusterExec(t, c, "ledger", "shop", `CREATE TABLE notes (n text)`, `INSERT INTO notes VALUES ('written-before')`)
	if _, err := c.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String("ledger"), DBClusterSnapshotIdentifier: aws.String("ledger-at-low")}); err != nil {
		t.Fatalf("CreateDBClusterSnapshot: %v", err)
	}
	waitClusterSnapshot(t, c, "ledger-at-low", "available", time.Minute)
	waitClusterStatus(t, c, "ledger", "available", time.Minute)

	t.Run("MajorUpgrade", func(t *testing.T) {
		before := describeCluster(t, c, "ledger")
		if _, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("ledger"),
			EngineVersion: aws.String(highVersion), AllowMajorVersionUpgrade: aws.Bool(true), ApplyImmediately: aws.Bool(true)}); err != nil {
			t.Fatalf("ModifyDBCluster: %v", err)
		}
		seen := waitClusterStatus(t, c, "ledger", "available", 2*time.Minute)
		if diff := cmp.Diff([]string{"upgrading", "available"}, seen); diff != "" {
			t.Errorf("statuses of the upgrade: -want +got:\n%s", diff)
		}
		after := describeCluster(t, c, "ledger")
		if got := aws.ToString(after.EngineVersion); got != highVersion {
			t.Errorf("cluster reports %q after the upgrade, want %q", got, highVersion)
		}
		if aws.ToInt32(after.Port) != aws.ToInt32(before.Port) {
			t.Errorf("cluster port %d after the upgrade, want the same %d", aws.ToInt32(after.Port), aws.ToInt32(before.Port))
		}
		// Every endpoint reaches the upgraded server and the rows written before.
		endpoints := map[string]struct {
			host string
			port int32
		}{
			"cluster endpoint": {aws.ToString(after.Endpoint), aws.ToInt32(after.Port)},
			"reader endpoint":  {aws.ToString(after.ReaderEndpoint), aws.ToInt32(after.Port)},
		}
		for _, id := range []string{"ledger-1", "ledger-2"} {
			in := describe(t, c, id)
			if got := aws.ToString(in.EngineVersion); got != highVersion {
				t.Errorf("member %s reports %q after the upgrade, want %q", id, got, highVersion)
			}
			endpoints[id] = struct {
				host string
				port int32
			}{aws.ToString(in.Endpoint.Address), aws.ToInt32(in.Endpoint.Port)}
		}
		for name, ep := range endpoints {
			if got := clusterServerMajor(t, ep.host, ep.port, "shop"); got != high {
				t.Errorf("%s reaches PostgreSQL %d after the upgrade, want %d", name, got, high)
			}
			if got := clusterRows(t, ep.host, ep.port, "shop"); got != "written-before" {
				t.Errorf("rows at %s after the upgrade: %q, want written-before", name, got)
			}
		}
		clusterExec(t, c, "ledger", "shop", `INSERT INTO notes VALUES ('written-after')`)
	})

	t.Run("FailedUpgradeKeepsTheData", func(t *testing.T) {
		createPostgresCluster(t, c, "odd", lowVersion, "odd-1")
		// pgserver.Upgrade does not copy domains: it refuses before anything changes.
		clusterExec(t, c, "odd", "shop", `CREATE DOMAIN positive AS int CHECK (VALUE > 0)`,
			`CREATE TABLE notes (n text)`, `INSERT INTO notes VALUES ('kept')`)
		if _, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("odd"),
			EngineVersion: aws.String(highVersion), AllowMajorVersionUpgrade: aws.Bool(true), ApplyImmediately: aws.Bool(true)}); err != nil {
			t.Fatalf("ModifyDBCluster: %v", err)
		}
		seen := waitClusterStatus(t, c, "odd", "available", 2*time.Minute)
		if diff := cmp.Diff([]string{"upgrading", "available"}, seen); diff != "" {
			t.Errorf("statuses of the failed upgrade: -want +got:\n%s", diff)
		}
		cl := describeCluster(t, c, "odd")
		if got := aws.ToString(cl.EngineVersion); got != lowVersion || cl.PendingModifiedValues != nil {
			t.Errorf("after a failed upgrade the cluster reports %q, pending %+v; want %q and nothing pending", got, cl.PendingModifiedValues, lowVersion)
		}
		if got := aws.ToString(describe(t, c, "odd-1").EngineVersion); got != lowVersion {
			t.Errorf("member reports %q after a failed upgrade, want %q", got, lowVersion)
		}
		host, port := aws.ToString(cl.Endpoint), aws.ToInt32(cl.Port)
		if got := clusterServerMajor(t, host, port, "shop"); got != low {
			t.Errorf("cluster runs PostgreSQL %d after a failed upgrade, want its old %d", got, low)
		}
		if got := clusterRows(t, host, port, "shop"); got != "kept" {
			t.Errorf("rows after a failed upgrade: %q, want kept", got)
		}
		// The old server is writable again.
		clusterExec(t, c, "odd", "shop", `INSERT INTO notes VALUES ('written-after-the-failure')`)
	})

	if _, err := c.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String("ledger"), DBClusterSnapshotIdentifier: aws.String("ledger-at-high")}); err != nil {
		t.Fatalf("CreateDBClusterSnapshot: %v", err)
	}
	waitClusterSnapshot(t, c, "ledger-at-high", "available", time.Minute)

	t.Run("Restore", func(t *testing.T) {
		cases := map[string]struct {
			reason      string
			snapshot    string
			version     string
			wantVersion string
			wantMajor   int
			wantRows    string
			wantCode    string
		}{
			"SnapshotsMajor": {
				reason:   "A cluster restored without EngineVersion runs its snapshot's major, the only one its base backup starts on.",
				snapshot: "ledger-at-low", wantVersion: lowVersion, wantMajor: low, wantRows: "written-before",
			},
			"UpgradedSnapshotsMajor": {
				reason:   "A snapshot of an upgraded cluster restores on the new major, with the rows written on both.",
				snapshot: "ledger-at-high", wantVersion: highVersion, wantMajor: high, wantRows: "written-after,written-before",
			},
			"NewerMajorAsked": {
				reason:   "A restore that names a newer major starts on the snapshot's and is upgraded to the one asked for.",
				snapshot: "ledger-at-low", version: highVersion, wantVersion: highVersion, wantMajor: high, wantRows: "written-before",
			},
			"OlderMajorRefused": {
				reason:   "A restore to a major older than the snapshot's is refused, as Aurora refuses a version earlier than the snapshot's.",
				snapshot: "ledger-at-high", version: lowVersion, wantCode: "InvalidParameterCombination",
			},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				id := "copy-" + strings.ToLower(name)
				in := &rds.RestoreDBClusterFromSnapshotInput{DBClusterIdentifier: aws.String(id), SnapshotIdentifier: aws.String(tc.snapshot), Engine: aws.String("aurora-postgresql")}
				if tc.version != "" {
					in.EngineVersion = aws.String(tc.version)
				}
				_, err := c.RestoreDBClusterFromSnapshot(ctx, in)
				if got := errorCode(err); got != tc.wantCode {
					t.Fatalf("%s\ncode %q (%v), want %q", tc.reason, got, err, tc.wantCode)
				}
				if tc.wantCode != "" {
					return
				}
				waitClusterStatus(t, c, id, "available", 2*time.Minute)
				cl := describeCluster(t, c, id)
				if got := aws.ToString(cl.EngineVersion); got != tc.wantVersion {
					t.Errorf("%s\nrestored cluster reports %q, want %q", tc.reason, got, tc.wantVersion)
				}
				host, port := aws.ToString(cl.Endpoint), aws.ToInt32(cl.Port)
				if got := clusterServerMajor(t, host, port, "shop"); got != tc.wantMajor {
					t.Errorf("%s\nrestored cluster runs PostgreSQL %d, want %d", tc.reason, got, tc.wantMajor)
				}
				if got := clusterRows(t, host, port, "shop"); got != tc.wantRows {
					t.Errorf("%s\nrows of the restored cluster: %q, want %q", tc.reason, got, tc.wantRows)
				}
			})
		}
	})
}

// TestAuroraPostgresClusterVersionsWithoutEngine checks that without servers a cluster's
// version is not held to the machine's builds, as for instances.
func TestAuroraPostgresClusterVersionsWithoutEngine(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	in := clusterInput("any-major", "aurora-postgresql")
	in.EngineVersion = aws.String("11.9")
	if _, err := c.CreateDBCluster(context.Background(), in); err != nil {
		t.Fatalf("CreateDBCluster of a major without a build, without servers: %v", err)
	}
	waitClusterStatus(t, c, "any-major", "available", 10*time.Second)
}
