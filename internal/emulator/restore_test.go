package emulator

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

// waitSnapshot polls until the snapshot has the status and returns it.
func waitSnapshot(t *testing.T, c *rds.Client, id, want string, timeout time.Duration) types.DBSnapshot {
	t.Helper()
	deadline := time.Now().Add(timeout)
	got := ""
	for time.Now().Before(deadline) {
		out, err := c.DescribeDBSnapshots(context.Background(), &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String(id)})
		if err != nil {
			t.Fatalf("DescribeDBSnapshots %s: %v", id, err)
		}
		if len(out.DBSnapshots) != 1 {
			t.Fatalf("DescribeDBSnapshots %s: got %d snapshots", id, len(out.DBSnapshots))
		}
		if got = aws.ToString(out.DBSnapshots[0].Status); got == want {
			return out.DBSnapshots[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("snapshot %s not %s after %v; last %q", id, want, timeout, got)
	return types.DBSnapshot{}
}

// tagMap turns a TagList into a map for comparison.
func tagMap(tags []types.Tag) map[string]string {
	out := map[string]string{}
	for _, tg := range tags {
		out[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return out
}

func TestRestoreWithEngineBringsDataBack(t *testing.T) {
	if !havePostgres() {
		t.Skip("PostgreSQL server binaries (initdb) are not installed")
	}
	dataDir := t.TempDir()
	var log lockedBuffer
	_, c := start(t, Config{DataDir: dataDir, Log: &log})
	ctx := context.Background()

	in := createInput("source-pg")
	in.DBName = aws.String("shop")
	if _, err := c.CreateDBInstance(ctx, in); err != nil {
		t.Fatalf("CreateDBInstance: %v", err)
	}
	waitStatus(t, c, "source-pg", "available", 60*time.Second)
	connect := func(id, password string) (*pgx.Conn, error) {
		ep := describe(t, c, id).Endpoint
		if ep == nil {
			t.Fatalf("available instance %s has no Endpoint", id)
		}
		dsn := fmt.Sprintf("host=%s port=%d user=master password=%s dbname=shop sslmode=require", aws.ToString(ep.Address), aws.ToInt32(ep.Port), password)
		return pgx.Connect(ctx, dsn)
	}
	conn, err := connect("source-pg", testPassword)
	if err != nil {
		t.Fatalf("master login to the source over TLS: %v", err)
	}
	for _, q := range []string{`CREATE TABLE invoices (n text)`, `INSERT INTO invoices VALUES ('invoice-1'), ('invoice-2')`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn.Close(ctx)

	if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("source-pg"), DBSnapshotIdentifier: aws.String("source-manual")}); err != nil {
		t.Fatalf("CreateDBSnapshot: %v", err)
	}
	waitSnapshot(t, c, "source-manual", "available", 30*time.Second)
	waitStatus(t, c, "source-pg", "available", 30*time.Second)
	// A password changed after the snapshot is not the restored instance's: RDS restores
	// the master password the source had when the snapshot was taken.
	if _, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("source-pg"), MasterUserPassword: aws.String("Later-Passw0rd")}); err != nil {
		t.Fatalf("ModifyDBInstance password: %v", err)
	}

	out, err := c.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{
		DBInstanceIdentifier: aws.String("restored-pg"),
		DBSnapshotIdentifier: aws.String("source-manual"),
	})
	if err != nil {
		t.Fatalf("RestoreDBInstanceFromDBSnapshot: %v", err)
	}
	if diff := cmp.Diff("creating", aws.ToString(out.DBInstance.DBInstanceStatus)); diff != "" {
		t.Errorf("restored instance status in the answer: -want +got:\n%s", diff)
	}
	seen := waitStatus(t, c, "restored-pg", "available", 60*time.Second)
	if diff := cmp.Diff([]string{"creating", "backing-up", "available"}, seen); diff != "" {
		t.Errorf("restored instance statuses: -want +got:\n%s", diff)
	}

	conn, err = connect("restored-pg", testPassword)
	if err != nil {
		t.Fatalf("master login to the restored instance with the source's password: %v", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT n FROM invoices ORDER BY n`)
	if err != nil {
		t.Fatalf("read restored rows: %v", err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("read restored rows: %v", err)
	}
	if diff := cmp.Diff([]string{"invoice-1", "invoice-2"}, got); diff != "" {
		t.Errorf("restored rows: -want +got:\n%s", diff)
	}
	var super bool
	if err := conn.QueryRow(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super); err != nil || super {
		t.Errorf("restored master rolsuper = %v (err %v), want false", super, err)
	}

	// The snapshot carried the password in memory only: no file and no log line holds it.
	if strings.Contains(log.String(), testPassword) {
		t.Errorf("the emulator's log holds the master password")
	}
	err = filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(testPassword)) {
			t.Errorf("%s holds the master password", path)
		}
		return nil
	})
	if err != nil {
		t.Errorf("walk %s: %v", dataDir, err)
	}
}

// lockedBuffer is an io.Writer safe for the emulator's and the engines' concurrent logs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRestoreNoEngine(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createAvailable(t, c, "source", func(in *rds.CreateDBInstanceInput) {
		in.DBInstanceClass = aws.String("db.m7g.large")
		in.AllocatedStorage = aws.Int32(50)
		in.StorageType = aws.String("gp3")
		in.BackupRetentionPeriod = aws.Int32(7)
		in.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("shop")}}
	})
	if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{
		DBInstanceIdentifier: aws.String("source"), DBSnapshotIdentifier: aws.String("snap"),
		Tags: []types.Tag{{Key: aws.String("kind"), Value: aws.String("nightly")}},
	}); err != nil {
		t.Fatalf("CreateDBSnapshot: %v", err)
	}
	waitSnapshot(t, c, "snap", "available", 5*time.Second)

	type summary struct {
		Engine, Version, Class, StorageType, User, SubnetGroup string
		Storage, Retention                                     int32
		MultiAZ, Public                                        bool
		Tags                                                   map[string]string
		SGs                                                    []string
	}
	summarize := func(got types.DBInstance) summary {
		s := summary{
			Engine: aws.ToString(got.Engine), Version: aws.ToString(got.EngineVersion),
			Class: aws.ToString(got.DBInstanceClass), StorageType: aws.ToString(got.StorageType),
			User: aws.ToString(got.MasterUsername), Storage: aws.ToInt32(got.AllocatedStorage),
			Retention: aws.ToInt32(got.BackupRetentionPeriod), MultiAZ: aws.ToBool(got.MultiAZ),
			Public: aws.ToBool(got.PubliclyAccessible), Tags: tagMap(got.TagList),
		}
		if got.DBSubnetGroup != nil {
			s.SubnetGroup = aws.ToString(got.DBSubnetGroup.DBSubnetGroupName)
		}
		for _, sg := range got.VpcSecurityGroups {
			s.SGs = append(s.SGs, aws.ToString(sg.VpcSecurityGroupId))
		}
		return s
	}
	cases := map[string]struct {
		reason string
		input  rds.RestoreDBInstanceFromDBSnapshotInput
		want   summary
	}{
		"SnapshotDefaults": {
			reason: "Without overrides the instance takes the source's engine, user, storage, class and retention, and the snapshot's tags.",
			input:  rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String("copy-a")},
			want: summary{Engine: "postgres", Version: "17", Class: "db.m7g.large", StorageType: "gp3", User: "master",
				Storage: 50, Retention: 7, Tags: map[string]string{"kind": "nightly"}},
		},
		"Overrides": {
			reason: "Class, storage, tags, Multi-AZ, public access and network settings of the request win.",
			input: rds.RestoreDBInstanceFromDBSnapshotInput{
				DBInstanceIdentifier: aws.String("Copy-B"), DBInstanceClass: aws.String("db.t4g.small"),
				StorageType: aws.String("io1"), AllocatedStorage: aws.Int32(100), MultiAZ: aws.Bool(true),
				PubliclyAccessible: aws.Bool(true), DBSubnetGroupName: aws.String("private"),
				VpcSecurityGroupIds: []string{"sg-0a1b2c3d", "sg-0123456789abcdef0"},
				Tags:                []types.Tag{{Key: aws.String("env"), Value: aws.String("test")}},
			},
			want: summary{Engine: "postgres", Version: "17", Class: "db.t4g.small", StorageType: "io1", User: "master",
				SubnetGroup: "private", Storage: 100, Retention: 7, MultiAZ: true, Public: true,
				Tags: map[string]string{"env": "test"}, SGs: []string{"sg-0a1b2c3d", "sg-0123456789abcdef0"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tc.input.DBSnapshotIdentifier = aws.String("snap")
			out, err := c.RestoreDBInstanceFromDBSnapshot(ctx, &tc.input)
			if err != nil {
				t.Fatalf("%s\nRestoreDBInstanceFromDBSnapshot: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, summarize(*out.DBInstance)); diff != "" {
				t.Errorf("%s\nanswered instance: -want +got:\n%s", tc.reason, diff)
			}
			id := aws.ToString(out.DBInstance.DBInstanceIdentifier)
			seen := waitStatus(t, c, id, "available", 5*time.Second)
			if diff := cmp.Diff([]string{"creating", "backing-up", "available"}, seen); diff != "" {
				t.Errorf("%s\nstatuses: -want +got:\n%s", tc.reason, diff)
			}
			got := describe(t, c, id)
			if diff := cmp.Diff(tc.want, summarize(got)); diff != "" {
				t.Errorf("%s\ndescribed instance: -want +got:\n%s", tc.reason, diff)
			}
			if got.Endpoint == nil || aws.ToInt32(got.Endpoint.Port) != 5432 {
				t.Errorf("%s\nendpoint: got %+v, want localhost:5432", tc.reason, got.Endpoint)
			}
		})
	}
}

func TestRestoreErrors(t *testing.T) {
	ctx := context.Background()
	_, c := start(t, Config{NoEngine: true})
	createAvailable(t, c, "source", func(in *rds.CreateDBInstanceInput) { in.AllocatedStorage = aws.Int32(40) })
	if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("source"), DBSnapshotIdentifier: aws.String("ready")}); err != nil {
		t.Fatal(err)
	}
	waitSnapshot(t, c, "ready", "available", 5*time.Second)

	// A second emulator whose snapshots stay creating long enough to be refused.
	_, slow := start(t, Config{NoEngine: true, Delays: Delays{Create: 50 * time.Millisecond, BackingUp: time.Minute, Modify: 50 * time.Millisecond, Delete: 50 * time.Millisecond}})
	createAvailable(t, slow, "source", func(in *rds.CreateDBInstanceInput) { in.BackupRetentionPeriod = aws.Int32(0) })
	if _, err := slow.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("source"), DBSnapshotIdentifier: aws.String("busy")}); err != nil {
		t.Fatal(err)
	}

	cases := map[string]struct {
		reason   string
		client   *rds.Client
		input    rds.RestoreDBInstanceFromDBSnapshotInput
		wantCode string
	}{
		"SnapshotNotFound": {
			reason: "An unknown snapshot is DBSnapshotNotFound.",
			client: c, input: rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String("new"), DBSnapshotIdentifier: aws.String("nope")},
			wantCode: "DBSnapshotNotFound",
		},
		"IdentifierTaken": {
			reason: "Restoring onto an existing instance's identifier is DBInstanceAlreadyExists.",
			client: c, input: rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String("Source"), DBSnapshotIdentifier: aws.String("ready")},
			wantCode: "DBInstanceAlreadyExists",
		},
		"SnapshotNotAvailable": {
			reason: "A snapshot still being created cannot be restored: InvalidDBSnapshotState.",
			client: slow, input: rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String("new"), DBSnapshotIdentifier: aws.String("busy")},
			wantCode: "InvalidDBSnapshotState",
		},
		"InvalidIdentifier": {
			reason: "The new identifier follows CreateDBInstance's rules.",
			client: c, input: rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String("1-bad--id"), DBSnapshotIdentifier: aws.String("ready")},
			wantCode: "InvalidParameterValue",
		},
		"StorageBelowSnapshot": {
			reason: "A restored instance cannot have less storage than its snapshot.",
			client: c, input: rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String("new"), DBSnapshotIdentifier: aws.String("ready"), AllocatedStorage: aws.Int32(30)},
			wantCode: "InvalidParameterValue",
		},
		"MissingSnapshot": {
			reason: "DBSnapshotIdentifier is required.",
			client: c, input: rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String("new")},
			wantCode: "MissingParameter",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := tc.client.RestoreDBInstanceFromDBSnapshot(ctx, &tc.input)
			if diff := cmp.Diff(tc.wantCode, errorCode(err)); diff != "" {
				t.Errorf("%s\nerror code: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
	// None of the refused restores left an instance behind.
	out, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(1, len(out.DBInstances)); diff != "" {
		t.Errorf("instances after refused restores: -want +got:\n%s", diff)
	}
}

func TestSnapshotTagsAndFields(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createAvailable(t, c, "source", nil)
	created, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{
		DBInstanceIdentifier: aws.String("source"), DBSnapshotIdentifier: aws.String("tagged-snap"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("shop")}, {Key: aws.String("kind"), Value: aws.String("manual")}},
	})
	if err != nil {
		t.Fatalf("CreateDBSnapshot: %v", err)
	}
	arn := aws.ToString(created.DBSnapshot.DBSnapshotArn)
	if diff := cmp.Diff("arn:aws:rds:us-east-1:123456789012:snapshot:tagged-snap", arn); diff != "" {
		t.Errorf("DBSnapshotArn: -want +got:\n%s", diff)
	}
	wantTags := map[string]string{"team": "shop", "kind": "manual"}
	listed, err := c.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListTagsForResource: %v", err)
	}
	if diff := cmp.Diff(wantTags, tagMap(listed.TagList)); diff != "" {
		t.Errorf("ListTagsForResource on the snapshot: -want +got:\n%s", diff)
	}

	got := waitSnapshot(t, c, "tagged-snap", "available", 5*time.Second)
	type summary struct {
		ID, ARN, Instance, Type, Status, Engine, Version, User string
		Storage                                                int32
		HasCreateTime                                          bool
		Tags                                                   map[string]string
	}
	sum := summary{
		ID: aws.ToString(got.DBSnapshotIdentifier), ARN: aws.ToString(got.DBSnapshotArn),
		Instance: aws.ToString(got.DBInstanceIdentifier), Type: aws.ToString(got.SnapshotType),
		Status: aws.ToString(got.Status), Engine: aws.ToString(got.Engine), Version: aws.ToString(got.EngineVersion),
		User: aws.ToString(got.MasterUsername), Storage: aws.ToInt32(got.AllocatedStorage),
		HasCreateTime: got.SnapshotCreateTime != nil && time.Since(*got.SnapshotCreateTime) < time.Minute,
		Tags:          tagMap(got.TagList),
	}
	want := summary{
		ID: "tagged-snap", ARN: arn, Instance: "source", Type: "manual", Status: "available",
		Engine: "postgres", Version: "17", User: "master", Storage: 20, HasCreateTime: true, Tags: wantTags,
	}
	if diff := cmp.Diff(want, sum); diff != "" {
		t.Errorf("described snapshot: -want +got:\n%s", diff)
	}
}

func TestLatestRestorableTimeOverSDK(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	for _, id := range []string{"backed-up", "no-backups"} {
		in := createInput(id)
		if id == "no-backups" {
			in.BackupRetentionPeriod = aws.Int32(0)
		}
		if _, err := c.CreateDBInstance(ctx, in); err != nil {
			t.Fatalf("CreateDBInstance %s: %v", id, err)
		}
	}
	// Until the first automated backup is done there is nothing to restore to.
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := describe(t, c, "backed-up")
		status := aws.ToString(got.DBInstanceStatus)
		if status == "available" {
			break
		}
		if got.LatestRestorableTime != nil {
			t.Errorf("LatestRestorableTime while %s: got %v, want none", status, got.LatestRestorableTime)
		}
		if time.Now().After(deadline) {
			t.Fatalf("backed-up not available after 5s; last %s", status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	got := describe(t, c, "backed-up").LatestRestorableTime
	if got == nil {
		t.Fatal("LatestRestorableTime absent on an available instance with backups")
	}
	if age := time.Since(*got); age < 0 || age > restorableLag+time.Second {
		t.Errorf("LatestRestorableTime %v is %v old, want 0-%v", got, age, restorableLag+time.Second)
	}
	waitStatus(t, c, "no-backups", "available", 5*time.Second)
	if got := describe(t, c, "no-backups").LatestRestorableTime; got != nil {
		t.Errorf("LatestRestorableTime with BackupRetentionPeriod 0: got %v, want none", got)
	}
}

func TestLatestRestorableTime(t *testing.T) {
	backup := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		reason string
		in     instance
		now    time.Time
		want   string
	}{
		"BeforeFirstBackup": {
			reason: "Without a finished automated backup there is no restorable time.",
			in:     instance{BackupRetentionPeriod: 1}, now: backup, want: "",
		},
		"BackupsDisabled": {
			reason: "With retention 0 RDS reports no restorable time, whatever was backed up before.",
			in:     instance{FirstBackup: backup}, now: backup.Add(time.Hour), want: "",
		},
		"JustAfterFirstBackup": {
			reason: "The window never starts before the first backup.",
			in:     instance{BackupRetentionPeriod: 1, FirstBackup: backup}, now: backup.Add(time.Second),
			want: "2025-03-01T12:00:00.000Z",
		},
		"Advances": {
			reason: "Later, it trails the present by restorableLag, as continuous backup does.",
			in:     instance{BackupRetentionPeriod: 1, FirstBackup: backup}, now: backup.Add(time.Hour),
			want: awsTime(backup.Add(time.Hour - restorableLag)),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.in.latestRestorableTime(tc.now)); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}
