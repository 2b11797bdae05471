package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// storyMajors are the PostgreSQL majors the user story runs on: the oldest RDS offers, the
// first with SET and INHERIT options on memberships, the default, and the newest. 15 is the
// machine's own PostgreSQL, which every other test runs on when there are no builds.
var storyMajors = []int{14, 16, 17, 18}

// TestUserStoryOnEveryMajor tells the whole user story once per PostgreSQL major, each on
// its own database, in parallel: the database runs the major asked for; an owner, a second
// user and a readonly user share a database with nothing but their Secrets; a rotated
// password logs in and the old one is refused; a row is read through the read replica; and
// the final snapshot taken on delete restores into a new database of the same major.
func TestUserStoryOnEveryMajor(t *testing.T) {
	builds, err := pgserver.DefaultBuilds()
	if err != nil {
		t.Fatalf("look up PostgreSQL builds: %v", err)
	}
	if !builds.PerMajor() {
		t.Skipf("no PostgreSQL builds per major in $%s (%q), so every version runs %s and nothing per major can be proven; hack/postgres.sh (make postgres) fetches them",
			pgserver.EnvBuilds, os.Getenv(pgserver.EnvBuilds), builds)
	}
	start := time.Now()
	// Cleanup of the parent runs once every parallel subtest is done.
	t.Cleanup(func() {
		t.Logf("user story on PostgreSQL %v: %s wall time", storyMajors, time.Since(start).Round(100*time.Millisecond))
	})
	addNodes(t) // the replicas are placed in the Nodes' zones
	for _, major := range storyMajors {
		t.Run(fmt.Sprintf("PostgreSQL%d", major), func(t *testing.T) {
			t.Parallel()
			if _, err := builds.ForMajor(major); err != nil {
				t.Skipf("no build of PostgreSQL %d (%v); hack/postgres.sh fetches 14 to 18", major, err)
			}
			userStory(t, major)
		})
	}
}

// userStory runs the story on one major. The replica is read before the delete, which
// takes the final snapshot the restore starts from.
func userStory(t *testing.T, major int) {
	ctx := context.Background()
	ns := namespace(t, fmt.Sprintf("major-%d", major))
	version := fmt.Sprint(major)
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "story"}}
	db.Spec.Version = version
	db.Spec.Users = map[string]v1.UserRoles{"app": {v1.RoleCreateDB}, "worker": {}, "reader": {v1.RoleReadOnly}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"shop": {"app", "worker", "reader"}}
	db.Spec.HighAvailability = &v1.HighAvailability{ReadReplicas: 1}
	db.Spec.DeletionPolicy = v1.DeletionSnapshot
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	ready := waitReady(t, db)
	secret := func(user string) map[string][]byte { return secretData(t, ns, "story.rds."+user) }

	t.Run("RunsTheMajorAskedFor", func(t *testing.T) {
		if got := serverMajor(ctx, t, string(secret("master")["uri"])); got != major {
			t.Errorf("version %q runs PostgreSQL %d (status.cloud.engineVersion %q)", version, got, ready.Status.Cloud.EngineVersion)
		}
	})

	t.Run("EachUserLogsInWithItsSecret", func(t *testing.T) {
		for _, user := range []string{"app", "worker", "reader"} {
			data := secret(user)
			for how, uri := range map[string]string{"uri": string(data["uri"]), "host, port, username, password": keysURI(data, "host", "port")} {
				conn, err := loginWith(ctx, uri, "")
				if err != nil {
					t.Errorf("%s logging in with its Secret's %s: %v", user, how, err)
					continue
				}
				var who, database string
				if err := conn.QueryRow(ctx, "SELECT current_user, current_database()").Scan(&who, &database); err != nil {
					t.Errorf("%s: %v", user, err)
				} else if who != user || database != "shop" {
					t.Errorf("%s logged in with its Secret's %s as %s to %s, want %s to shop", user, how, who, database, user)
				}
				_ = conn.Close(ctx)
			}
		}
	})

	t.Run("ListedUsersShareTheDatabase", func(t *testing.T) {
		steps := []struct {
			name, reason string
			user, sql    string
			// want, when set, is the one value the query must return.
			want       string
			wantDenied bool
		}{
			{name: "OwnerCreatesATable", reason: "The first listed user owns the database.",
				user: "app", sql: "CREATE TABLE orders (id int PRIMARY KEY, item text); INSERT INTO orders VALUES (1, 'tea')"},
			{name: "SecondUserWritesTheOwnersTable", reason: "A listed user reads and writes what the owner made.",
				user: "worker", sql: "UPDATE orders SET item = 'coffee' WHERE id = 1; INSERT INTO orders VALUES (2, 'milk')"},
			{name: "SecondUserReadsTheOwnersTable", reason: "And reads it back.",
				user: "worker", sql: "SELECT string_agg(item, ',' ORDER BY id) FROM orders", want: "coffee,milk"},
			{name: "SecondUserCreatesATable", reason: "A listed user makes tables of its own.",
				user: "worker", sql: "CREATE TABLE invoices (id int, total int); INSERT INTO invoices VALUES (1, 42)"},
			{name: "OwnerReadsTheSecondUsersTable", reason: "Which the owner may use in turn (default privileges).",
				user: "app", sql: "SELECT sum(total)::text FROM invoices", want: "42"},
			{name: "SecondUserCreatesAsTheGroup", reason: "A member may SET ROLE to the read-write group (SET option from 16) to make a table every member may alter.",
				user: "worker", sql: `SET ROLE "shop.readwrite"; CREATE TABLE shared (v int); INSERT INTO shared VALUES (7); RESET ROLE`},
			{name: "OwnerAltersTheGroupsTable", reason: "Altering needs the owner's privileges, inherited through the group (INHERIT option from 16).",
				user: "app", sql: "ALTER TABLE shared ADD COLUMN note text"},
			{name: "ReaderReadsTheOwnersTable", reason: "readonly reads what exists.",
				user: "reader", sql: "SELECT string_agg(item, ',' ORDER BY id) FROM orders", want: "coffee,milk"},
			{name: "ReaderReadsATableMadeAfterIt", reason: "And what another user made after the reader was granted.",
				user: "reader", sql: "SELECT sum(total)::text FROM invoices", want: "42"},
			{name: "ReaderReadsTheGroupsTable", reason: "And what was made as the group.",
				user: "reader", sql: "SELECT sum(v)::text FROM shared", want: "7"},
			{name: "ReaderCannotInsert", reason: "readonly writes nothing.",
				user: "reader", sql: "INSERT INTO orders VALUES (3, 'juice')", wantDenied: true},
			{name: "ReaderCannotWriteATableMadeAfterIt", reason: "Not even a table made after it was granted.",
				user: "reader", sql: "UPDATE invoices SET total = 0", wantDenied: true},
			{name: "ReaderCannotCreate", reason: "readonly creates nothing (on 14 PUBLIC may create in schema public unless revoked).",
				user: "reader", sql: "CREATE TABLE notes (v text)", wantDenied: true},
			{name: "ReaderCannotBecomeTheGroup", reason: "Nor takes the read-write group's rights by SET ROLE.",
				user: "reader", sql: `SET ROLE "shop.readwrite"`, wantDenied: true},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				conn, err := loginWith(ctx, string(secret(st.user)["uri"]), "")
				if err != nil {
					t.Fatalf("%s logs in to shop: %v", st.user, err)
				}
				defer conn.Close(ctx)
				var got string
				if st.want != "" {
					err = conn.QueryRow(ctx, st.sql).Scan(&got)
				} else {
					_, err = conn.Exec(ctx, st.sql)
				}
				switch {
				case st.wantDenied && sqlState(err) != "42501":
					t.Errorf("%s\n%s: %s: got %v, want permission denied (42501)", st.reason, st.user, st.sql, err)
				case !st.wantDenied && err != nil:
					t.Errorf("%s\n%s: %s: %v", st.reason, st.user, st.sql, err)
				case got != st.want:
					t.Errorf("%s\n%s: %s: got %q, want %q", st.reason, st.user, st.sql, got, st.want)
				}
			})
		}
	})

	t.Run("RightsComeThroughTheGroups", func(t *testing.T) {
		conn, err := loginWith(ctx, string(secret("master")["uri"]), "")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		// The options columns exist from 16, where a membership without them gives neither
		// the group's privileges nor SET ROLE to it.
		options := "true, true"
		if major >= 16 {
			options = "m.inherit_option, m.set_option"
		}
		rows, err := conn.Query(ctx, `SELECT r.rolname::text, g.rolname::text, `+options+`
			FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member
			WHERE r.rolname IN ('app', 'worker', 'reader') ORDER BY 1, 2`)
		if err != nil {
			t.Fatal(err)
		}
		type membership struct {
			Member, Group string
			Inherit, Set  bool
		}
		got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[membership])
		if err != nil {
			t.Fatal(err)
		}
		want := []membership{
			{Member: "app", Group: "shop.readwrite", Inherit: true, Set: true},
			{Member: "reader", Group: "shop.readonly", Inherit: true, Set: true},
			{Member: "worker", Group: "shop.readwrite", Inherit: true, Set: true},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("the users' memberships (inherit and set options read from 16 on) -want +got:\n%s", diff)
		}
	})

	t.Run("RotatedPasswordLogsInAndTheOldOneIsRefused", func(t *testing.T) {
		old := secret("worker")
		if err := annotate(ctx, db, map[string]string{v1.AnnotationRotatePrefix + "worker": "1"}); err != nil {
			t.Fatal(err)
		}
		waitRotated(t, ns, "story.rds.worker", "1")
		now := secret("worker")
		if string(now["password"]) == string(old["password"]) {
			t.Fatalf("the password did not change")
		}
		if err := logsIn(ctx, string(now["uri"]), ""); err != nil {
			t.Errorf("the new password does not log in: %v", err)
		}
		if err := logsIn(ctx, string(old["uri"]), ""); sqlState(err) != "28P01" {
			t.Errorf("the old password: %v, want refused (28P01)", err)
		}
	})

	t.Run("ARowWrittenOnThePrimaryIsReadOnTheReplica", func(t *testing.T) {
		data := secret("app")
		if len(data["ro-host"]) == 0 {
			t.Fatalf("the Secret has no ro-host (status.replicas %+v)", ready.Status.Replicas)
		}
		conn, err := loginWith(ctx, string(data["uri"]), "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = conn.Exec(ctx, "INSERT INTO orders VALUES (3, 'replicated')")
		_ = conn.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		readerURI := keysURI(data, "ro-host", "ro-port")
		if got := serverMajor(ctx, t, readerURI); got != major {
			t.Errorf("the replica runs PostgreSQL %d, want %d", got, major)
		}
		var item string
		err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			conn, err := loginWith(ctx, readerURI, "")
			if err != nil {
				return false, nil
			}
			defer conn.Close(ctx)
			// No row yet means not replayed yet.
			_ = conn.QueryRow(ctx, "SELECT item FROM orders WHERE id = 3").Scan(&item)
			return item == "replicated", nil
		})
		if err != nil {
			t.Errorf("the row written on the primary was not read on the replica (got %q): %v", item, err)
		}
	})

	t.Run("FinalSnapshotRestoresOnTheSameMajor", func(t *testing.T) {
		final := naming.FinalSnapshotIdentifier(naming.Identifier(ns, db.Name), string(ready.UID))
		if err := stack.Client.Delete(ctx, ready); err != nil {
			t.Fatal(err)
		}
		waitGone(t, ready)
		api, err := stack.RDS(ctx)
		if err != nil {
			t.Fatal(err)
		}
		snaps, err := api.DescribeDBSnapshots(ctx, &awsrds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String(final)})
		if err != nil || len(snaps.DBSnapshots) != 1 {
			t.Fatalf("final snapshot %s: %v", final, err)
		}
		restored := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "restored"}}
		restored.Spec.Version = version
		restored.Spec.RestoreFrom = &v1.RestoreFrom{Snapshot: final}
		restored.Spec.Users = map[string]v1.UserRoles{"app": {v1.RoleCreateDB}}
		restored.Spec.Databases = map[string]v1.DatabaseUsers{"shop": {"app"}}
		restored.Spec.DeletionPolicy = v1.DeletionDelete
		if err := stack.Client.Create(ctx, restored); err != nil {
			t.Fatal(err)
		}
		// Nothing waits for the restored database's deletion: only its server has to go.
		t.Cleanup(func() { _ = stack.Client.Delete(context.Background(), restored) })
		waitReady(t, restored)
		if got := serverMajor(ctx, t, string(secretData(t, ns, "restored.rds.master")["uri"])); got != major {
			t.Errorf("the database restored from a PostgreSQL %d snapshot runs PostgreSQL %d", major, got)
		}
		conn, err := loginWith(ctx, string(secretData(t, ns, "restored.rds.app")["uri"]), "")
		if err != nil {
			t.Fatalf("app logs in to the restored database: %v", err)
		}
		defer conn.Close(ctx)
		var items string
		if err := conn.QueryRow(ctx, "SELECT string_agg(item, ',' ORDER BY id) FROM orders").Scan(&items); err != nil || items != "coffee,milk,replicated" {
			t.Errorf("rows read back from the restored database: %q, %v; want coffee,milk,replicated", items, err)
		}
	})
}

// keysURI builds a login from a Secret's separate keys, as a client that does not take
// URIs would: the username, password and dbname, and the host and port under hostKey and
// portKey (host and port, or the readers' ro-host and ro-port).
func keysURI(data map[string][]byte, hostKey, portKey string) string {
	return (&url.URL{Scheme: "postgresql", User: url.UserPassword(string(data["username"]), string(data["password"])),
		Host: string(data[hostKey]) + ":" + string(data[portKey]), Path: "/" + string(data["dbname"]), RawQuery: "sslmode=require"}).String()
}

// serverMajor is the major version the server behind uri says it runs.
func serverMajor(ctx context.Context, t *testing.T, uri string) int {
	t.Helper()
	conn, err := loginWith(ctx, uri, "")
	if err != nil {
		t.Fatalf("log in to read server_version_num: %v", err)
	}
	defer conn.Close(ctx)
	var num int
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&num); err != nil {
		t.Fatalf("server_version_num: %v", err)
	}
	return num / 10000
}
