package emulator

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// replicaInput is a CreateDBInstanceReadReplica request for id of source.
func replicaInput(id, source string) *rds.CreateDBInstanceReadReplicaInput {
	return &rds.CreateDBInstanceReadReplicaInput{DBInstanceIdentifier: aws.String(id), SourceDBInstanceIdentifier: aws.String(source)}
}

// createReplica creates a read replica and waits until it is available; it returns the
// statuses the replica went through.
func createReplica(t *testing.T, c *rds.Client, in *rds.CreateDBInstanceReadReplicaInput, timeout time.Duration) []string {
	t.Helper()
	if _, err := c.CreateDBInstanceReadReplica(context.Background(), in); err != nil {
		t.Fatalf("CreateDBInstanceReadReplica %s: %v", aws.ToString(in.DBInstanceIdentifier), err)
	}
	return waitStatus(t, c, aws.ToString(in.DBInstanceIdentifier), "available", timeout)
}

// replicaSummary is what a client reads about replication and availability zones.
type replicaSummary struct {
	Source, AZ, SecondaryAZ, Class, Engine, Version, User, StorageType, KmsKey string
	Storage, Retention                                                         int32
	MultiAZ, Public, Encrypted                                                 bool
	Replicas                                                                   []string
	StatusInfos                                                                []string
	Tags                                                                       map[string]string
}

func summarizeReplica(in types.DBInstance) replicaSummary {
	s := replicaSummary{
		Source: aws.ToString(in.ReadReplicaSourceDBInstanceIdentifier), AZ: aws.ToString(in.AvailabilityZone),
		SecondaryAZ: aws.ToString(in.SecondaryAvailabilityZone), Class: aws.ToString(in.DBInstanceClass),
		Engine: aws.ToString(in.Engine), Version: aws.ToString(in.EngineVersion), User: aws.ToString(in.MasterUsername),
		StorageType: aws.ToString(in.StorageType), KmsKey: aws.ToString(in.KmsKeyId),
		Storage: aws.ToInt32(in.AllocatedStorage), Retention: aws.ToInt32(in.BackupRetentionPeriod),
		MultiAZ: aws.ToBool(in.MultiAZ), Public: aws.ToBool(in.PubliclyAccessible), Encrypted: aws.ToBool(in.StorageEncrypted),
		Replicas: in.ReadReplicaDBInstanceIdentifiers, Tags: tagMap(in.TagList),
	}
	for _, si := range in.StatusInfos {
		s.StatusInfos = append(s.StatusInfos, fmt.Sprintf("%s/%s/%t", aws.ToString(si.StatusType), aws.ToString(si.Status), aws.ToBool(si.Normal)))
	}
	return s
}

func TestReadReplicaNoEngine(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createAvailable(t, c, "orders", func(in *rds.CreateDBInstanceInput) {
		in.StorageEncrypted = aws.Bool(true)
		in.KmsKeyId = aws.String("alias/orders")
		in.StorageType = aws.String("gp3")
		in.VpcSecurityGroupIds = []string{"sg-0a1b2c3d"}
	})
	source := describe(t, c, "orders")

	seen := createReplica(t, c, &rds.CreateDBInstanceReadReplicaInput{
		DBInstanceIdentifier: aws.String("Orders-RO-1"), SourceDBInstanceIdentifier: source.DBInstanceArn,
		AvailabilityZone: aws.String("us-east-1c"), PubliclyAccessible: aws.Bool(true), CopyTagsToSnapshot: aws.Bool(true),
		Tags: []types.Tag{{Key: aws.String("role"), Value: aws.String("reader")}},
	}, 5*time.Second)
	if diff := cmp.Diff([]string{"creating", "available"}, seen); diff != "" {
		t.Errorf("A replica is created with backups disabled, so it never goes backing-up.\nstatuses: -want +got:\n%s", diff)
	}
	createReplica(t, c, &rds.CreateDBInstanceReadReplicaInput{
		DBInstanceIdentifier: aws.String("orders-ro-2"), SourceDBInstanceIdentifier: aws.String("orders"),
		DBInstanceClass: aws.String("db.r7g.large"), MultiAZ: aws.Bool(true), StorageType: aws.String("io1"), AllocatedStorage: aws.Int32(100),
	}, 5*time.Second)

	cases := map[string]struct {
		reason string
		id     string
		want   replicaSummary
	}{
		"Source": {
			reason: "The source lists its replicas in ReadReplicaDBInstanceIdentifiers and is not a replica itself.",
			id:     "orders",
			want: replicaSummary{AZ: "us-east-1a", Class: "db.t4g.micro", Engine: "postgres", Version: "17", User: "master",
				StorageType: "gp3", KmsKey: aws.ToString(source.KmsKeyId), Storage: 20, Retention: 1, Encrypted: true,
				Replicas: []string{"orders-ro-1", "orders-ro-2"}, Tags: map[string]string{}},
		},
		"ReplicaByARN": {
			reason: "A replica named by its source's ARN inherits engine, version, class, master user, storage and the source's KMS key, has backups disabled, sits in the zone asked for and reports replicating.",
			id:     "orders-ro-1",
			want: replicaSummary{Source: "orders", AZ: "us-east-1c", Class: "db.t4g.micro", Engine: "postgres", Version: "17", User: "master",
				StorageType: "gp3", KmsKey: aws.ToString(source.KmsKeyId), Storage: 20, Retention: 0, Public: true, Encrypted: true,
				StatusInfos: []string{"read replication/replicating/true"}, Tags: map[string]string{"role": "reader"}},
		},
		"MultiAZReplica": {
			reason: "A Multi-AZ replica with its own class and storage sits in its source's zone and has a standby in another.",
			id:     "orders-ro-2",
			want: replicaSummary{Source: "orders", AZ: "us-east-1a", SecondaryAZ: "us-east-1b", Class: "db.r7g.large", Engine: "postgres", Version: "17",
				User: "master", StorageType: "io1", KmsKey: aws.ToString(source.KmsKeyId), Storage: 100, MultiAZ: true, Encrypted: true,
				StatusInfos: []string{"read replication/replicating/true"}, Tags: map[string]string{}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := summarizeReplica(describe(t, c, tc.id))
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}

	out, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{Filters: []types.Filter{{Name: aws.String("db-instance-id"), Values: []string{"orders-ro-1", "arn:aws:rds:us-east-1:123456789012:db:orders-ro-2"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.DBInstances) != 2 {
		t.Errorf("db-instance-id filter by id and ARN found %d instances, want 2", len(out.DBInstances))
	}
}

func TestReadReplicaErrors(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createAvailable(t, c, "src", nil)
	createAvailable(t, c, "no-backups", func(in *rds.CreateDBInstanceInput) { in.BackupRetentionPeriod = aws.Int32(0) })
	createAvailable(t, c, "taken", nil)
	if _, err := c.CreateDBInstance(ctx, createInput("busy")); err != nil {
		t.Fatal(err)
	}

	cases := map[string]struct {
		reason string
		in     *rds.CreateDBInstanceReadReplicaInput
		want   string
	}{
		"SourceNotFound": {
			reason: "A source that does not exist is DBInstanceNotFound.",
			in:     replicaInput("r1", "missing"), want: "DBInstanceNotFound",
		},
		"SourceARNOfAnotherRegion": {
			reason: "The emulator has one region: a source ARN of another is not found.",
			in:     replicaInput("r1", "arn:aws:rds:eu-west-1:123456789012:db:src"), want: "DBInstanceNotFound",
		},
		"SourceNotAvailable": {
			reason: "A source still creating cannot have a replica yet.",
			in:     replicaInput("r1", "busy"), want: "InvalidDBInstanceState",
		},
		"SourceWithoutBackups": {
			reason: "A source needs automated backups (retention above 0) to have replicas.",
			in:     replicaInput("r1", "no-backups"), want: "InvalidDBInstanceState",
		},
		"AlreadyExists": {
			reason: "The replica's identifier must be free.",
			in:     replicaInput("taken", "src"), want: "DBInstanceAlreadyExists",
		},
		"BadIdentifier": {
			reason: "The replica's identifier follows the rules of every instance identifier.",
			in:     replicaInput("r--1", "src"), want: "InvalidParameterValue",
		},
		"NoSource": {
			reason: "SourceDBInstanceIdentifier is required.",
			in:     &rds.CreateDBInstanceReadReplicaInput{DBInstanceIdentifier: aws.String("r1"), SourceDBInstanceIdentifier: aws.String("")}, want: "MissingParameter",
		},
		"ZoneOfAnotherRegion": {
			reason: "The availability zone must be one of the emulator's region.",
			in: func() *rds.CreateDBInstanceReadReplicaInput {
				in := replicaInput("r1", "src")
				in.AvailabilityZone = aws.String("eu-west-1a")
				return in
			}(), want: "InvalidParameterValue",
		},
		"ZoneLetterOutOfRange": {
			reason: "Zones run from a to f.",
			in: func() *rds.CreateDBInstanceReadReplicaInput {
				in := replicaInput("r1", "src")
				in.AvailabilityZone = aws.String("us-east-1z")
				return in
			}(), want: "InvalidParameterValue",
		},
		"ZoneWithMultiAZ": {
			reason: "A Multi-AZ replica cannot be pinned to a zone.",
			in: func() *rds.CreateDBInstanceReadReplicaInput {
				in := replicaInput("r1", "src")
				in.AvailabilityZone, in.MultiAZ = aws.String("us-east-1b"), aws.Bool(true)
				return in
			}(), want: "InvalidParameterCombination",
		},
		"KeyForUnencryptedSource": {
			reason: "A replica of an unencrypted source cannot be encrypted with a key.",
			in: func() *rds.CreateDBInstanceReadReplicaInput {
				in := replicaInput("r1", "src")
				in.KmsKeyId = aws.String("alias/other")
				return in
			}(), want: "InvalidParameterCombination",
		},
		"BadClass": {
			reason: "An instance class starts with db.",
			in: func() *rds.CreateDBInstanceReadReplicaInput {
				in := replicaInput("r1", "src")
				in.DBInstanceClass = aws.String("m5.large")
				return in
			}(), want: "InvalidParameterValue",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := c.CreateDBInstanceReadReplica(ctx, tc.in)
			if got := errorCode(err); got != tc.want {
				t.Errorf("%s\nerror code = %q (%v), want %q", tc.reason, got, err, tc.want)
			}
		})
	}
	_, err := c.CreateDBInstanceReadReplica(ctx, replicaInput("r1", "no-backups"))
	if want := "Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value."; errorMessage(err) != want {
		t.Errorf("message for a source without backups = %q, want %q", errorMessage(err), want)
	}
}

func TestDeleteReadReplica(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createAvailable(t, c, "src", nil)
	createReplica(t, c, replicaInput("ro", "src"), 5*time.Second)

	cases := map[string]struct {
		reason string
		in     *rds.DeleteDBInstanceInput
		want   string
	}{
		"FinalSnapshot": {
			reason: "A read replica has no final snapshot.",
			in:     &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("ro"), FinalDBSnapshotIdentifier: aws.String("ro-final")},
			want:   "InvalidParameterCombination",
		},
		"NeitherSkipNorFinal": {
			reason: "Deleting a read replica needs SkipFinalSnapshot.",
			in:     &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("ro")},
			want:   "InvalidParameterCombination",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := c.DeleteDBInstance(ctx, tc.in)
			if got := errorCode(err); got != tc.want {
				t.Errorf("%s\nerror code = %q (%v), want %q", tc.reason, got, err, tc.want)
			}
		})
	}
	_, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("ro"), FinalDBSnapshotIdentifier: aws.String("ro-final")})
	if want := "FinalDBSnapshotIdentifier can not be specified when deleting a replica instance"; errorMessage(err) != want {
		t.Errorf("message = %q, want AWS's %q", errorMessage(err), want)
	}

	if _, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("ro"), SkipFinalSnapshot: aws.Bool(true)}); err != nil {
		t.Fatalf("DeleteDBInstance replica: %v", err)
	}
	waitGone(t, c, "ro", 5*time.Second)
	src := describe(t, c, "src")
	if aws.ToString(src.DBInstanceStatus) != "available" || len(src.ReadReplicaDBInstanceIdentifiers) != 0 {
		t.Errorf("source after its replica's deletion: status %s, replicas %v; want available and none", aws.ToString(src.DBInstanceStatus), src.ReadReplicaDBInstanceIdentifiers)
	}
}

func TestDeleteSourcePromotesReplicas(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createAvailable(t, c, "src", nil)
	createReplica(t, c, replicaInput("ro-a", "src"), 5*time.Second)
	createReplica(t, c, replicaInput("ro-b", "src"), 5*time.Second)

	if _, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("src"), SkipFinalSnapshot: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if got := describe(t, c, "src").ReadReplicaDBInstanceIdentifiers; len(got) != 2 {
		t.Errorf("a source being deleted still lists its replicas; got %v", got)
	}
	waitGone(t, c, "src", 5*time.Second)
	for _, id := range []string{"ro-a", "ro-b"} {
		got := describe(t, c, id)
		if aws.ToString(got.ReadReplicaSourceDBInstanceIdentifier) != "" || aws.ToString(got.DBInstanceStatus) != "available" || len(got.StatusInfos) != 0 {
			t.Errorf("%s after its source's deletion: source %q, status %s, status infos %d; want a standalone available instance",
				id, aws.ToString(got.ReadReplicaSourceDBInstanceIdentifier), aws.ToString(got.DBInstanceStatus), len(got.StatusInfos))
		}
	}
	// A promoted replica is an ordinary instance: its deletion needs a final snapshot again.
	_, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("ro-a"), FinalDBSnapshotIdentifier: aws.String("ro-a-final")})
	if err != nil {
		t.Errorf("deleting a promoted replica with a final snapshot: %v", err)
	}
}

func TestModifyMultiAZ(t *testing.T) {
	e, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createAvailable(t, c, "ha", func(in *rds.CreateDBInstanceInput) { in.AvailabilityZone = aws.String("us-east-1c") })

	if _, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("ha"), MultiAZ: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	got := describe(t, c, "ha")
	if aws.ToBool(got.MultiAZ) || !aws.ToBool(got.PendingModifiedValues.MultiAZ) || aws.ToString(got.DBInstanceStatus) != "available" {
		t.Errorf("without ApplyImmediately: MultiAZ %t, pending %v, status %s; want false, pending true, available",
			aws.ToBool(got.MultiAZ), got.PendingModifiedValues.MultiAZ, aws.ToString(got.DBInstanceStatus))
	}
	if ids := e.ApplyPendingMaintenance(); !cmp.Equal(ids, []string{"ha"}) {
		t.Fatalf("maintenance modified %v, want [ha]", ids)
	}
	waitStatus(t, c, "ha", "available", 5*time.Second)
	got = describe(t, c, "ha")
	if !aws.ToBool(got.MultiAZ) || aws.ToString(got.SecondaryAvailabilityZone) != "us-east-1a" || got.PendingModifiedValues.MultiAZ != nil {
		t.Errorf("after maintenance: MultiAZ %t, secondary %q, pending %v; want true, us-east-1a, none",
			aws.ToBool(got.MultiAZ), aws.ToString(got.SecondaryAvailabilityZone), got.PendingModifiedValues.MultiAZ)
	}

	out, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("ha"), MultiAZ: aws.Bool(false), ApplyImmediately: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if s := aws.ToString(out.DBInstance.DBInstanceStatus); s != "modifying" {
		t.Errorf("status with ApplyImmediately = %s, want modifying", s)
	}
	waitStatus(t, c, "ha", "available", 5*time.Second)
	got = describe(t, c, "ha")
	if aws.ToBool(got.MultiAZ) || got.SecondaryAvailabilityZone != nil {
		t.Errorf("after turning Multi-AZ off: MultiAZ %t, secondary %v; want false and none", aws.ToBool(got.MultiAZ), got.SecondaryAvailabilityZone)
	}

	createAvailable(t, c, "born-ha", func(in *rds.CreateDBInstanceInput) { in.MultiAZ = aws.Bool(true) })
	if got := describe(t, c, "born-ha"); aws.ToString(got.SecondaryAvailabilityZone) != "us-east-1b" {
		t.Errorf("a Multi-AZ instance in us-east-1a reports secondary zone %q, want us-east-1b", aws.ToString(got.SecondaryAvailabilityZone))
	}
}

func TestModifyReplicaAndSource(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createAvailable(t, c, "src", nil)
	createReplica(t, c, replicaInput("ro", "src"), 5*time.Second)
	cases := map[string]struct {
		reason string
		in     *rds.ModifyDBInstanceInput
		want   string
	}{
		"ReplicaPassword": {
			reason: "A replica's master password follows its source's.",
			in:     &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("ro"), MasterUserPassword: aws.String("An0ther-passw0rd")},
			want:   "InvalidParameterCombination",
		},
		"SourceBackupsOff": {
			reason: "A source of read replicas keeps its automated backups.",
			in:     &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("src"), BackupRetentionPeriod: aws.Int32(0), ApplyImmediately: aws.Bool(true)},
			want:   "InvalidParameterCombination",
		},
		"ReplicaClass": {
			reason: "A replica's class can change like any instance's.",
			in:     &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("ro"), DBInstanceClass: aws.String("db.r7g.large")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := c.ModifyDBInstance(ctx, tc.in)
			if got := errorCode(err); got != tc.want {
				t.Errorf("%s\nerror code = %q (%v), want %q", tc.reason, got, err, tc.want)
			}
		})
	}
}

func TestDescribeFilterPagesThroughReplicas(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createAvailable(t, c, "src", nil)
	var ids []string
	for i := range 25 {
		id := fmt.Sprintf("ro-%02d", i)
		if _, err := c.CreateDBInstanceReadReplica(ctx, replicaInput(id, "src")); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	var got []string
	p := rds.NewDescribeDBInstancesPaginator(c, &rds.DescribeDBInstancesInput{
		MaxRecords: aws.Int32(20),
		Filters:    []types.Filter{{Name: aws.String("db-instance-id"), Values: ids}},
	})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, in := range out.DBInstances {
			got = append(got, aws.ToString(in.DBInstanceIdentifier))
		}
	}
	if diff := cmp.Diff(ids, got); diff != "" || pages != 2 {
		t.Errorf("the db-instance-id filter pages 25 replicas in 2 pages of at most 20 (got %d pages): -want +got:\n%s", pages, diff)
	}
	if got := describe(t, c, "src").ReadReplicaDBInstanceIdentifiers; !cmp.Equal(got, ids) {
		t.Errorf("source lists %d replicas, want %d sorted", len(got), len(ids))
	}
}
