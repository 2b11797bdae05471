package emulator

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// clusterInput is a valid CreateDBCluster request for id.
func clusterInput(id, engine string) *rds.CreateDBClusterInput {
	return &rds.CreateDBClusterInput{
		DBClusterIdentifier: aws.String(id),
		Engine:              aws.String(engine),
		MasterUsername:      aws.String("master"),
		MasterUserPassword:  aws.String(testPassword),
	}
}

// clusterInstanceInput is a valid CreateDBInstance request for an instance of a cluster.
func clusterInstanceInput(id, cluster, engine string) *rds.CreateDBInstanceInput {
	return &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String(id),
		DBClusterIdentifier:  aws.String(cluster),
		Engine:               aws.String(engine),
		DBInstanceClass:      aws.String("db.r7g.large"),
	}
}

// describeCluster returns one cluster, failing the test when it cannot.
func describeCluster(t *testing.T, c *rds.Client, id string) types.DBCluster {
	t.Helper()
	out, err := c.DescribeDBClusters(context.Background(), &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(id)})
	if err != nil {
		t.Fatalf("DescribeDBClusters %s: %v", id, err)
	}
	if len(out.DBClusters) != 1 {
		t.Fatalf("DescribeDBClusters %s: got %d clusters", id, len(out.DBClusters))
	}
	return out.DBClusters[0]
}

// waitClusterStatus polls until the cluster has the status and returns the statuses seen.
func waitClusterStatus(t *testing.T, c *rds.Client, id, want string, timeout time.Duration) []string {
	t.Helper()
	var seen []string
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		got := aws.ToString(describeCluster(t, c, id).Status)
		if len(seen) == 0 || seen[len(seen)-1] != got {
			seen = append(seen, got)
		}
		if got == want {
			return seen
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("cluster %s not %s after %v; seen %v", id, want, timeout, seen)
	return nil
}

// waitClusterGone polls until the cluster is not found.
func waitClusterGone(t *testing.T, c *rds.Client, id string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		_, err := c.DescribeDBClusters(context.Background(), &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(id)})
		var nf *types.DBClusterNotFoundFault
		if errors.As(err, &nf) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("cluster %s still there after %v", id, timeout)
}

// members summarizes a cluster's members as id=writer|reader.
func members(cl types.DBCluster) []string {
	var out []string
	for _, m := range cl.DBClusterMembers {
		role := "reader"
		if aws.ToBool(m.IsClusterWriter) {
			role = "writer"
		}
		out = append(out, aws.ToString(m.DBInstanceIdentifier)+"="+role)
	}
	return out
}

func TestClusterLifecycleNoEngine(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	in := clusterInput("Shop-Aurora", "aurora-postgresql")
	in.BackupRetentionPeriod = aws.Int32(7)
	in.PreferredBackupWindow = aws.String("04:00-04:30")
	in.DatabaseName = aws.String("shop")
	in.StorageEncrypted = aws.Bool(true)
	in.KmsKeyId = aws.String("alias/shop")
	in.DBSubnetGroupName = aws.String("private")
	in.VpcSecurityGroupIds = []string{"sg-0a1b2c3d"}
	in.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("shop")}}
	out, err := c.CreateDBCluster(ctx, in)
	if err != nil {
		t.Fatalf("CreateDBCluster: %v", err)
	}
	if s := aws.ToString(out.DBCluster.Status); s != "creating" {
		t.Errorf("status in the answer = %s, want creating", s)
	}
	waitClusterStatus(t, c, "shop-aurora", "available", 5*time.Second)

	type clusterSummary struct {
		ID, ARN, Engine, Version, User, DBName, Endpoint, Reader, Status, Mode, Window, SubnetGroup, StorageType string
		Storage, Retention, Port                                                                                 int32
		Encrypted, KeyIsARN                                                                                      bool
		Zones, SGs, Members                                                                                      []string
		Tags                                                                                                     map[string]string
	}
	summarize := func(cl types.DBCluster) clusterSummary {
		s := clusterSummary{
			ID: aws.ToString(cl.DBClusterIdentifier), ARN: aws.ToString(cl.DBClusterArn), Engine: aws.ToString(cl.Engine),
			Version: aws.ToString(cl.EngineVersion), User: aws.ToString(cl.MasterUsername), DBName: aws.ToString(cl.DatabaseName),
			Endpoint: aws.ToString(cl.Endpoint), Reader: aws.ToString(cl.ReaderEndpoint), Status: aws.ToString(cl.Status),
			Mode: aws.ToString(cl.EngineMode), Window: aws.ToString(cl.PreferredBackupWindow), SubnetGroup: aws.ToString(cl.DBSubnetGroup),
			StorageType: aws.ToString(cl.StorageType), Storage: aws.ToInt32(cl.AllocatedStorage), Retention: aws.ToInt32(cl.BackupRetentionPeriod),
			Port: aws.ToInt32(cl.Port), Encrypted: aws.ToBool(cl.StorageEncrypted),
			KeyIsARN: len(aws.ToString(cl.KmsKeyId)) > len("arn:aws:kms:") && aws.ToString(cl.KmsKeyId)[:12] == "arn:aws:kms:",
			Zones:    cl.AvailabilityZones, Members: members(cl), Tags: tagMap(cl.TagList),
		}
		for _, sg := range cl.VpcSecurityGroups {
			s.SGs = append(s.SGs, aws.ToString(sg.VpcSecurityGroupId))
		}
		return s
	}
	want := clusterSummary{
		ID: "shop-aurora", ARN: "arn:aws:rds:us-east-1:123456789012:cluster:shop-aurora", Engine: "aurora-postgresql", Version: "16.6",
		User: "master", DBName: "shop", Endpoint: "localhost", Reader: "127.0.0.1", Status: "available", Mode: "provisioned",
		Window: "04:00-04:30", SubnetGroup: "private", StorageType: "aurora", Storage: 1, Retention: 7, Port: 5432, Encrypted: true, KeyIsARN: true,
		Zones: []string{"us-east-1a", "us-east-1b", "us-east-1c"}, SGs: []string{"sg-0a1b2c3d"}, Tags: map[string]string{"team": "shop"},
	}
	if diff := cmp.Diff(want, summarize(describeCluster(t, c, "shop-aurora")), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("a new cluster as DescribeDBClusters shows it: -want +got:\n%s", diff)
	}

	for _, id := range []string{"shop-1", "shop-2"} {
		if _, err := c.CreateDBInstance(ctx, clusterInstanceInput(id, "shop-aurora", "aurora-postgresql")); err != nil {
			t.Fatalf("CreateDBInstance %s: %v", id, err)
		}
	}
	seen := waitStatus(t, c, "shop-2", "available", 5*time.Second)
	if diff := cmp.Diff([]string{"creating", "available"}, seen); diff != "" {
		t.Errorf("an Aurora instance goes creating then available: -want +got:\n%s", diff)
	}
	waitStatus(t, c, "shop-1", "available", 5*time.Second)
	inst := describe(t, c, "shop-1")
	gotInstance := []string{aws.ToString(inst.DBClusterIdentifier), aws.ToString(inst.Engine), aws.ToString(inst.EngineVersion),
		aws.ToString(inst.StorageType), fmt.Sprint(aws.ToInt32(inst.AllocatedStorage)), aws.ToString(inst.MasterUsername),
		aws.ToString(inst.DBName), fmt.Sprint(aws.ToInt32(inst.BackupRetentionPeriod)), fmt.Sprint(aws.ToBool(inst.StorageEncrypted)),
		aws.ToString(inst.Endpoint.Address), fmt.Sprint(aws.ToInt32(inst.Endpoint.Port))}
	if diff := cmp.Diff([]string{"shop-aurora", "aurora-postgresql", "16.6", "aurora", "1", "master", "shop", "7", "true", "localhost", "5432"}, gotInstance); diff != "" {
		t.Errorf("an Aurora instance takes its cluster's settings: -want +got:\n%s", diff)
	}
	if diff := cmp.Diff([]string{"shop-1=writer", "shop-2=reader"}, members(describeCluster(t, c, "shop-aurora"))); diff != "" {
		t.Errorf("the first instance is the writer: -want +got:\n%s", diff)
	}
	filtered, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{Filters: []types.Filter{{Name: aws.String("db-cluster-id"), Values: []string{"shop-aurora"}}}})
	if err != nil || len(filtered.DBInstances) != 2 {
		t.Errorf("db-cluster-id filter: %v instances (err %v), want 2", len(filtered.DBInstances), err)
	}

	_, err = c.DeleteDBCluster(ctx, &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String("shop-aurora"), SkipFinalSnapshot: aws.Bool(true)})
	if code := errorCode(err); code != "InvalidDBClusterStateFault" {
		t.Errorf("deleting a cluster with instances: %q (%v), want InvalidDBClusterStateFault", code, err)
	}

	// Deleting the writer fails over to the reader; an Aurora instance needs no final
	// snapshot decision.
	if _, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("shop-1")}); err != nil {
		t.Fatalf("DeleteDBInstance writer: %v", err)
	}
	if diff := cmp.Diff([]string{"shop-1=reader", "shop-2=writer"}, members(describeCluster(t, c, "shop-aurora"))); diff != "" {
		t.Errorf("a reader takes over from a writer being deleted: -want +got:\n%s", diff)
	}
	waitGone(t, c, "shop-1", 5*time.Second)
	if _, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("shop-2"), SkipFinalSnapshot: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	// A cluster whose instances are all being deleted can go.
	delOut, err := c.DeleteDBCluster(ctx, &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String("shop-aurora"), FinalDBSnapshotIdentifier: aws.String("shop-final")})
	if err != nil {
		t.Fatalf("DeleteDBCluster: %v", err)
	}
	if s := aws.ToString(delOut.DBCluster.Status); s != "deleting" {
		t.Errorf("status after DeleteDBCluster = %s, want deleting", s)
	}
	waitClusterGone(t, c, "shop-aurora", 5*time.Second)

	snaps, err := c.DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{DBClusterIdentifier: aws.String("shop-aurora"), SnapshotType: aws.String("manual")})
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps.DBClusterSnapshots) != 1 {
		t.Fatalf("manual snapshots of the deleted cluster: %d, want the final one", len(snaps.DBClusterSnapshots))
	}
	s := snaps.DBClusterSnapshots[0]
	gotSnap := []string{aws.ToString(s.DBClusterSnapshotIdentifier), aws.ToString(s.Status), aws.ToString(s.SnapshotType), aws.ToString(s.Engine),
		aws.ToString(s.EngineVersion), aws.ToString(s.DBClusterSnapshotArn), fmt.Sprint(aws.ToBool(s.StorageEncrypted))}
	if diff := cmp.Diff([]string{"shop-final", "available", "manual", "aurora-postgresql", "16.6", "arn:aws:rds:us-east-1:123456789012:cluster-snapshot:shop-final", "true"}, gotSnap); diff != "" {
		t.Errorf("final cluster snapshot: -want +got:\n%s", diff)
	}
	if _, err := c.DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{DBClusterSnapshotIdentifier: aws.String("shop-final")}); err != nil {
		t.Errorf("DescribeDBClusterSnapshots by id: %v", err)
	}
	if _, err := c.DeleteDBClusterSnapshot(ctx, &rds.DeleteDBClusterSnapshotInput{DBClusterSnapshotIdentifier: aws.String("shop-final")}); err != nil {
		t.Fatalf("DeleteDBClusterSnapshot: %v", err)
	}
	_, err = c.DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{DBClusterSnapshotIdentifier: aws.String("shop-final")})
	var nf *types.DBClusterSnapshotNotFoundFault
	if !errors.As(err, &nf) {
		t.Errorf("describing a deleted cluster snapshot: %v, want DBClusterSnapshotNotFoundFault", err)
	}
}

func TestClusterErrors(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	if _, err := c.CreateDBCluster(ctx, clusterInput("pg", "aurora-postgresql")); err != nil {
		t.Fatal(err)
	}
	waitClusterStatus(t, c, "pg", "available", 5*time.Second)
	if _, err := c.CreateDBInstance(ctx, clusterInstanceInput("pg-1", "pg", "aurora-postgresql")); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "pg-1", "available", 5*time.Second)
	if _, err := c.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String("pg"), DBClusterSnapshotIdentifier: aws.String("pg-snap")}); err != nil {
		t.Fatal(err)
	}
	waitClusterStatus(t, c, "pg", "available", 5*time.Second)

	withCluster := func(change func(*rds.CreateDBClusterInput)) *rds.CreateDBClusterInput {
		in := clusterInput("new", "aurora-postgresql")
		change(in)
		return in
	}
	withInstance := func(change func(*rds.CreateDBInstanceInput)) *rds.CreateDBInstanceInput {
		in := clusterInstanceInput("pg-new", "pg", "aurora-postgresql")
		change(in)
		return in
	}
	cases := map[string]struct {
		reason string
		call   func() error
		want   string
	}{
		"ClusterExists": {"A cluster identifier is unique.", func() error {
			_, err := c.CreateDBCluster(ctx, clusterInput("pg", "aurora-postgresql"))
			return err
		}, "DBClusterAlreadyExistsFault"},
		"RetentionZero": {"Aurora keeps backups 1 to 35 days.", func() error {
			_, err := c.CreateDBCluster(ctx, withCluster(func(in *rds.CreateDBClusterInput) { in.BackupRetentionPeriod = aws.Int32(0) }))
			return err
		}, "InvalidParameterValue"},
		"UnknownEngine": {"Only Aurora engines make emulated clusters.", func() error {
			_, err := c.CreateDBCluster(ctx, withCluster(func(in *rds.CreateDBClusterInput) { in.Engine = aws.String("oracle-ee") }))
			return err
		}, "InvalidParameterValue"},
		"BadAuroraMySQLVersion": {"Aurora MySQL versions read like 8.0.mysql_aurora.3.08.0.", func() error {
			_, err := c.CreateDBCluster(ctx, withCluster(func(in *rds.CreateDBClusterInput) {
				in.Engine, in.EngineVersion = aws.String("aurora-mysql"), aws.String("8.0.40")
			}))
			return err
		}, "InvalidParameterCombination"},
		"KeyWithoutEncryption": {"A KMS key needs StorageEncrypted.", func() error {
			_, err := c.CreateDBCluster(ctx, withCluster(func(in *rds.CreateDBClusterInput) { in.KmsKeyId = aws.String("alias/x") }))
			return err
		}, "InvalidParameterCombination"},
		"ShortPassword": {"Cluster master passwords follow the engine's rules.", func() error {
			_, err := c.CreateDBCluster(ctx, withCluster(func(in *rds.CreateDBClusterInput) { in.MasterUserPassword = aws.String("short") }))
			return err
		}, "InvalidParameterValue"},
		"DescribeMissing": {"An unknown cluster is DBClusterNotFoundFault.", func() error {
			_, err := c.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("missing")})
			return err
		}, "DBClusterNotFoundFault"},
		"ModifyMissing": {"ModifyDBCluster of an unknown cluster.", func() error {
			_, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("missing"), BackupRetentionPeriod: aws.Int32(3)})
			return err
		}, "DBClusterNotFoundFault"},
		"DeleteMissing": {"DeleteDBCluster of an unknown cluster.", func() error {
			_, err := c.DeleteDBCluster(ctx, &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String("missing"), SkipFinalSnapshot: aws.Bool(true)})
			return err
		}, "DBClusterNotFoundFault"},
		"DeleteSkipAndFinal": {"SkipFinalSnapshot and FinalDBSnapshotIdentifier exclude each other.", func() error {
			_, err := c.DeleteDBCluster(ctx, &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String("pg"), SkipFinalSnapshot: aws.Bool(true), FinalDBSnapshotIdentifier: aws.String("x")})
			return err
		}, "InvalidParameterCombination"},
		"DeleteWithInstances": {"A cluster with instances not being deleted cannot go.", func() error {
			_, err := c.DeleteDBCluster(ctx, &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String("pg"), SkipFinalSnapshot: aws.Bool(true)})
			return err
		}, "InvalidDBClusterStateFault"},
		"InstanceFinalSnapshot": {"An Aurora instance has no final snapshot of its own.", func() error {
			_, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("pg-1"), FinalDBSnapshotIdentifier: aws.String("x")})
			return err
		}, "InvalidParameterCombination"},
		"InstanceIntoMissingCluster": {"An instance's cluster must exist.", func() error {
			_, err := c.CreateDBInstance(ctx, withInstance(func(in *rds.CreateDBInstanceInput) { in.DBClusterIdentifier = aws.String("missing") }))
			return err
		}, "DBClusterNotFoundFault"},
		"InstanceMasterUsername": {"The cluster owns the master user.", func() error {
			_, err := c.CreateDBInstance(ctx, withInstance(func(in *rds.CreateDBInstanceInput) { in.MasterUsername = aws.String("other") }))
			return err
		}, "InvalidParameterCombination"},
		"InstanceMasterPassword": {"The cluster owns the master password.", func() error {
			_, err := c.CreateDBInstance(ctx, withInstance(func(in *rds.CreateDBInstanceInput) { in.MasterUserPassword = aws.String(testPassword) }))
			return err
		}, "InvalidParameterCombination"},
		"InstanceStorage": {"Aurora manages storage.", func() error {
			_, err := c.CreateDBInstance(ctx, withInstance(func(in *rds.CreateDBInstanceInput) { in.AllocatedStorage = aws.Int32(20) }))
			return err
		}, "InvalidParameterCombination"},
		"InstanceEngineMismatch": {"An instance has its cluster's engine.", func() error {
			_, err := c.CreateDBInstance(ctx, withInstance(func(in *rds.CreateDBInstanceInput) { in.Engine = aws.String("aurora-mysql") }))
			return err
		}, "InvalidParameterCombination"},
		"AuroraInstanceWithoutCluster": {"An Aurora instance needs its cluster.", func() error {
			_, err := c.CreateDBInstance(ctx, withInstance(func(in *rds.CreateDBInstanceInput) { in.DBClusterIdentifier = nil }))
			return err
		}, "InvalidParameterCombination"},
		"InstanceExists": {"Instance identifiers are unique across clusters and standalone instances.", func() error {
			_, err := c.CreateDBInstance(ctx, withInstance(func(in *rds.CreateDBInstanceInput) { in.DBInstanceIdentifier = aws.String("pg-1") }))
			return err
		}, "DBInstanceAlreadyExists"},
		"InstanceSnapshot": {"A cluster instance is snapshotted through its cluster.", func() error {
			_, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("pg-1"), DBSnapshotIdentifier: aws.String("x")})
			return err
		}, "InvalidParameterValue"},
		"InstanceStorageModify": {"ModifyDBInstance cannot change what the cluster manages.", func() error {
			_, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("pg-1"), BackupRetentionPeriod: aws.Int32(3)})
			return err
		}, "InvalidParameterCombination"},
		"ReplicaOfClusterInstance": {"Aurora instances have no read replicas of their own.", func() error {
			_, err := c.CreateDBInstanceReadReplica(ctx, replicaInput("pg-ro", "pg-1"))
			return err
		}, "InvalidParameterCombination"},
		"SnapshotExists": {"A cluster snapshot identifier is unique.", func() error {
			_, err := c.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String("pg"), DBClusterSnapshotIdentifier: aws.String("pg-snap")})
			return err
		}, "DBClusterSnapshotAlreadyExistsFault"},
		"SnapshotMissing": {"An unknown cluster snapshot.", func() error {
			_, err := c.DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{DBClusterSnapshotIdentifier: aws.String("missing")})
			return err
		}, "DBClusterSnapshotNotFoundFault"},
		"DeleteSnapshotMissing": {"Deleting an unknown cluster snapshot.", func() error {
			_, err := c.DeleteDBClusterSnapshot(ctx, &rds.DeleteDBClusterSnapshotInput{DBClusterSnapshotIdentifier: aws.String("missing")})
			return err
		}, "DBClusterSnapshotNotFoundFault"},
		"RestoreIntoExisting": {"A restored cluster needs a free identifier.", func() error {
			_, err := c.RestoreDBClusterFromSnapshot(ctx, &rds.RestoreDBClusterFromSnapshotInput{DBClusterIdentifier: aws.String("pg"), SnapshotIdentifier: aws.String("pg-snap"), Engine: aws.String("aurora-postgresql")})
			return err
		}, "DBClusterAlreadyExistsFault"},
		"RestoreOtherEngine": {"A cluster snapshot restores to its own engine.", func() error {
			_, err := c.RestoreDBClusterFromSnapshot(ctx, &rds.RestoreDBClusterFromSnapshotInput{DBClusterIdentifier: aws.String("x"), SnapshotIdentifier: aws.String("pg-snap"), Engine: aws.String("aurora-mysql")})
			return err
		}, "InvalidParameterCombination"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := errorCode(tc.call()); got != tc.want {
				t.Errorf("%s\nerror code = %q, want %q", tc.reason, got, tc.want)
			}
		})
	}

	// The SDK maps the cluster codes to its typed errors.
	_, err := c.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("missing")})
	var notFound *types.DBClusterNotFoundFault
	_, err2 := c.CreateDBCluster(ctx, clusterInput("pg", "aurora-postgresql"))
	var exists *types.DBClusterAlreadyExistsFault
	_, err3 := c.DeleteDBCluster(ctx, &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String("pg"), SkipFinalSnapshot: aws.Bool(true)})
	var state *types.InvalidDBClusterStateFault
	if !errors.As(err, &notFound) || !errors.As(err2, &exists) || !errors.As(err3, &state) {
		t.Errorf("typed errors: %T, %T, %T", err, err2, err3)
	}
}

func TestModifyCluster(t *testing.T) {
	e, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	in := clusterInput("my", "aurora-mysql")
	in.EngineVersion = aws.String("8.0.mysql_aurora.3.05.2")
	if _, err := c.CreateDBCluster(ctx, in); err != nil {
		t.Fatal(err)
	}
	waitClusterStatus(t, c, "my", "available", 5*time.Second)
	if _, err := c.CreateDBInstance(ctx, clusterInstanceInput("my-1", "my", "aurora-mysql")); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "my-1", "available", 5*time.Second)

	out, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("my"), BackupRetentionPeriod: aws.Int32(14),
		PreferredBackupWindow: aws.String("05:00-05:30"), EngineVersion: aws.String("8.0.mysql_aurora.3.08.0")})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{aws.ToString(out.DBCluster.Status), fmt.Sprint(aws.ToInt32(out.DBCluster.BackupRetentionPeriod)),
		aws.ToString(out.DBCluster.PreferredBackupWindow), aws.ToString(out.DBCluster.EngineVersion), aws.ToString(out.DBCluster.PendingModifiedValues.EngineVersion)}
	if diff := cmp.Diff([]string{"available", "14", "05:00-05:30", "8.0.mysql_aurora.3.05.2", "8.0.mysql_aurora.3.08.0"}, got); diff != "" {
		t.Errorf("backup settings change at once; a new version waits for maintenance: -want +got:\n%s", diff)
	}
	if r := aws.ToInt32(describe(t, c, "my-1").BackupRetentionPeriod); r != 14 {
		t.Errorf("instance retention = %d, want the cluster's 14", r)
	}
	if ids := e.ApplyPendingMaintenance(); !cmp.Equal(ids, []string{"my"}) {
		t.Fatalf("maintenance changed %v, want [my]", ids)
	}
	seen := waitClusterStatus(t, c, "my", "available", 5*time.Second)
	if diff := cmp.Diff([]string{"upgrading", "available"}, seen); diff != "" {
		t.Errorf("statuses of a version upgrade: -want +got:\n%s", diff)
	}
	if v := aws.ToString(describe(t, c, "my-1").EngineVersion); v != "8.0.mysql_aurora.3.08.0" {
		t.Errorf("instance version after the upgrade = %s", v)
	}

	cases := map[string]struct {
		reason string
		in     *rds.ModifyDBClusterInput
		want   string
	}{
		"MajorWithoutFlag": {"A new major version needs AllowMajorVersionUpgrade.",
			&rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("my"), EngineVersion: aws.String("5.7.mysql_aurora.2.12.0")}, "InvalidParameterCombination"},
		"Downgrade": {"Versions never go down.",
			&rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("my"), EngineVersion: aws.String("8.0.mysql_aurora.3.04.0")}, "InvalidParameterCombination"},
		"RetentionOutOfRange": {"Aurora keeps backups 1 to 35 days.",
			&rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("my"), BackupRetentionPeriod: aws.Int32(36)}, "InvalidParameterValue"},
		"LongPassword": {"Aurora MySQL passwords have at most 41 characters.",
			&rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("my"), MasterUserPassword: aws.String("a234567890123456789012345678901234567890123")}, "InvalidParameterValue"},
		"Password": {"A new master password is accepted.",
			&rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("my"), MasterUserPassword: aws.String("An0ther-passw0rd")}, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := c.ModifyDBCluster(ctx, tc.in)
			if got := errorCode(err); got != tc.want {
				t.Errorf("%s\nerror code = %q (%v), want %q", tc.reason, got, err, tc.want)
			}
		})
	}

	out, err = c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("my"), EngineVersion: aws.String("8.0.mysql_aurora.3.09.0"), ApplyImmediately: aws.Bool(true)})
	if err != nil || aws.ToString(out.DBCluster.Status) != "upgrading" {
		t.Fatalf("ApplyImmediately upgrade: %v, status %s; want upgrading", err, aws.ToString(out.DBCluster.Status))
	}
	_, err = c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("my"), BackupRetentionPeriod: aws.Int32(3)})
	if code := errorCode(err); code != "InvalidDBClusterStateFault" {
		t.Errorf("modifying an upgrading cluster: %q, want InvalidDBClusterStateFault", code)
	}
	waitClusterStatus(t, c, "my", "available", 5*time.Second)
	if v := aws.ToString(describeCluster(t, c, "my").EngineVersion); v != "8.0.mysql_aurora.3.09.0" {
		t.Errorf("version after an immediate upgrade = %s", v)
	}
}

func TestDescribeClustersPagingFiltersAndTags(t *testing.T) {
	e, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	var ids []string
	for i := range 23 {
		id := fmt.Sprintf("c-%02d", i)
		engine := "aurora-postgresql"
		if i%2 == 1 {
			engine = "aurora-mysql"
		}
		if _, err := c.CreateDBCluster(ctx, clusterInput(id, engine)); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	var got []string
	p := rds.NewDescribeDBClustersPaginator(c, &rds.DescribeDBClustersInput{MaxRecords: aws.Int32(20)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, cl := range out.DBClusters {
			got = append(got, aws.ToString(cl.DBClusterIdentifier))
		}
	}
	if diff := cmp.Diff(ids, got); diff != "" {
		t.Errorf("paging through clusters: -want +got:\n%s", diff)
	}
	out, err := c.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{Filters: []types.Filter{
		{Name: aws.String("engine"), Values: []string{"aurora-mysql"}},
		{Name: aws.String("db-cluster-id"), Values: []string{"c-01", "arn:aws:rds:us-east-1:123456789012:cluster:c-03", "c-04"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, cl := range out.DBClusters {
		got = append(got, aws.ToString(cl.DBClusterIdentifier))
	}
	if diff := cmp.Diff([]string{"c-01", "c-03"}, got); diff != "" {
		t.Errorf("engine and db-cluster-id filters (by id and ARN): -want +got:\n%s", diff)
	}
	if _, err := c.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("arn:aws:rds:us-east-1:123456789012:cluster:c-00")}); err != nil {
		t.Errorf("DescribeDBClusters by ARN: %v", err)
	}
	if _, err := c.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{Filters: []types.Filter{{Name: aws.String("tag:team"), Values: []string{"x"}}}}); errorCode(err) != "InvalidParameterValue" {
		t.Errorf("unknown filter: %v, want InvalidParameterValue", err)
	}

	waitClusterStatus(t, c, "c-00", "available", 5*time.Second)
	arn := "arn:aws:rds:us-east-1:123456789012:cluster:c-00"
	if _, err := c.AddTagsToResource(ctx, &rds.AddTagsToResourceInput{ResourceName: aws.String(arn), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}, {Key: aws.String("env"), Value: aws.String("dev")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RemoveTagsFromResource(ctx, &rds.RemoveTagsFromResourceInput{ResourceName: aws.String(arn), TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"team": "a"}, tagMap(tags.TagList)); diff != "" {
		t.Errorf("cluster tags: -want +got:\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"team": "a"}, tagMap(describeCluster(t, c, "c-00").TagList)); diff != "" {
		t.Errorf("TagList of DescribeDBClusters: -want +got:\n%s", diff)
	}
	if _, err := c.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String("c-00"), DBClusterSnapshotIdentifier: aws.String("c-00-snap"),
		Tags: []types.Tag{{Key: aws.String("kind"), Value: aws.String("manual")}}}); err != nil {
		t.Fatal(err)
	}
	tags, err = c.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: aws.String("arn:aws:rds:us-east-1:123456789012:cluster-snapshot:c-00-snap")})
	if err != nil || tagMap(tags.TagList)["kind"] != "manual" {
		t.Errorf("cluster snapshot tags: %v (err %v)", tags, err)
	}
	_, err = c.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: aws.String("arn:aws:rds:us-east-1:123456789012:cluster:missing")})
	if code := errorCode(err); code != "DBClusterNotFoundFault" {
		t.Errorf("tags of an unknown cluster: %q, want DBClusterNotFoundFault", code)
	}

	// Cluster actions are counted and faulted like the others.
	stats := e.Stats()
	if stats.Calls["CreateDBCluster"] != 23 || stats.Calls["DescribeDBClusters"] == 0 {
		t.Errorf("call counts: CreateDBCluster %d, DescribeDBClusters %d", stats.Calls["CreateDBCluster"], stats.Calls["DescribeDBClusters"])
	}
	e.SetFaults(Faults{ThrottleEvery: 2})
	for range 4 {
		if _, err := c.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("c-00")}); err != nil {
			t.Fatalf("the SDK retries a throttled DescribeDBClusters: %v", err)
		}
	}
	if n := e.Stats().Errors["Throttling"]; n == 0 {
		t.Errorf("no DescribeDBClusters call was throttled")
	}
}
