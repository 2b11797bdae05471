package emulator

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"
)

// iamState is what a client reads of IAM database authentication on an instance or
// cluster: the setting, a change of it pending, the status.
type iamState struct {
	Enabled bool
	Pending *bool
	Status  string
}

func instanceIAM(in types.DBInstance) iamState {
	s := iamState{Enabled: aws.ToBool(in.IAMDatabaseAuthenticationEnabled), Status: aws.ToString(in.DBInstanceStatus)}
	if in.PendingModifiedValues != nil {
		s.Pending = in.PendingModifiedValues.IAMDatabaseAuthenticationEnabled
	}
	return s
}

func clusterIAM(c types.DBCluster) iamState {
	s := iamState{Enabled: aws.ToBool(c.IAMDatabaseAuthenticationEnabled), Status: aws.ToString(c.Status)}
	if c.PendingModifiedValues != nil {
		s.Pending = c.PendingModifiedValues.IAMDatabaseAuthenticationEnabled
	}
	return s
}

// TestIAMDatabaseAuthenticationSetting follows EnableIAMDatabaseAuthentication through
// an instance's life: created with it, changed in the maintenance window or at once, taken
// back, carried by snapshots to restored instances, off on a new read replica.
func TestIAMDatabaseAuthenticationSetting(t *testing.T) {
	e, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	in := createInput("iam")
	in.EnableIAMDatabaseAuthentication = aws.Bool(true)
	out, err := c.CreateDBInstance(ctx, in)
	if err != nil {
		t.Fatalf("CreateDBInstance: %v", err)
	}
	if !aws.ToBool(out.DBInstance.IAMDatabaseAuthenticationEnabled) {
		t.Errorf("CreateDBInstance answered IAMDatabaseAuthenticationEnabled false")
	}
	waitStatus(t, c, "iam", "available", 10*time.Second)
	check := func(step string, want iamState) {
		t.Helper()
		if diff := cmp.Diff(want, instanceIAM(describe(t, c, "iam"))); diff != "" {
			t.Errorf("%s: -want +got:\n%s", step, diff)
		}
	}
	check("created", iamState{Enabled: true, Status: "available"})
	modify := func(on, now bool) {
		t.Helper()
		if _, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("iam"),
			EnableIAMDatabaseAuthentication: aws.Bool(on), ApplyImmediately: aws.Bool(now)}); err != nil {
			t.Fatalf("ModifyDBInstance IAM %v now %v: %v", on, now, err)
		}
	}

	modify(false, false)
	check("turned off for the maintenance window", iamState{Enabled: true, Pending: aws.Bool(false), Status: "available"})
	modify(true, false)
	check("taken back", iamState{Enabled: true, Status: "available"})
	modify(false, false)
	e.ApplyPendingMaintenance()
	waitStatus(t, c, "iam", "available", 10*time.Second)
	check("after the maintenance window", iamState{Enabled: false, Status: "available"})
	modify(true, true)
	check("turned on at once", iamState{Enabled: false, Pending: aws.Bool(true), Status: "modifying"})
	waitStatus(t, c, "iam", "available", 10*time.Second)
	check("modified", iamState{Enabled: true, Status: "available"})

	if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("iam"), DBSnapshotIdentifier: aws.String("iam-snap")}); err != nil {
		t.Fatalf("CreateDBSnapshot: %v", err)
	}
	if snap := waitSnapshot(t, c, "iam-snap", "available", 10*time.Second); !aws.ToBool(snap.IAMDatabaseAuthenticationEnabled) {
		t.Errorf("the snapshot of an instance with IAM reports IAMDatabaseAuthenticationEnabled false")
	}
	for id, flag := range map[string]*bool{"restored-default": nil, "restored-off": aws.Bool(false)} {
		out, err := c.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String(id),
			DBSnapshotIdentifier: aws.String("iam-snap"), EnableIAMDatabaseAuthentication: flag})
		if err != nil {
			t.Fatalf("RestoreDBInstanceFromDBSnapshot %s: %v", id, err)
		}
		// The setting defaults to the snapshot's (RDS User Guide).
		if got, want := aws.ToBool(out.DBInstance.IAMDatabaseAuthenticationEnabled), flag == nil; got != want {
			t.Errorf("%s: IAMDatabaseAuthenticationEnabled %v, want %v", id, got, want)
		}
	}
	for id, flag := range map[string]*bool{"replica-default": nil, "replica-on": aws.Bool(true)} {
		r := replicaInput(id, "iam")
		r.EnableIAMDatabaseAuthentication = flag
		out, err := c.CreateDBInstanceReadReplica(ctx, r)
		if err != nil {
			t.Fatalf("CreateDBInstanceReadReplica %s: %v", id, err)
		}
		// A replica has its own setting, off unless asked.
		if got, want := aws.ToBool(out.DBInstance.IAMDatabaseAuthenticationEnabled), flag != nil; got != want {
			t.Errorf("%s: IAMDatabaseAuthenticationEnabled %v, want %v", id, got, want)
		}
	}

	// RDS for MySQL and MariaDB take the setting too.
	my := createInput("iam-mysql")
	my.Engine, my.EngineVersion, my.EnableIAMDatabaseAuthentication = aws.String("mysql"), aws.String("8.0.40"), aws.Bool(true)
	if out, err := c.CreateDBInstance(ctx, my); err != nil || !aws.ToBool(out.DBInstance.IAMDatabaseAuthenticationEnabled) {
		t.Errorf("CreateDBInstance mysql with IAM: %v", err)
	}
}

// TestClusterIAMDatabaseAuthentication checks the setting of Aurora DB clusters: the
// cluster's, reported on its instances, which may not set it, changed in the maintenance
// window or at once, carried by cluster snapshots.
func TestClusterIAMDatabaseAuthentication(t *testing.T) {
	e, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	cl := clusterInput("iam-cl", "aurora-postgresql")
	cl.EnableIAMDatabaseAuthentication = aws.Bool(true)
	if _, err := c.CreateDBCluster(ctx, cl); err != nil {
		t.Fatalf("CreateDBCluster: %v", err)
	}
	waitClusterStatus(t, c, "iam-cl", "available", 10*time.Second)
	check := func(step string, want iamState) {
		t.Helper()
		if diff := cmp.Diff(want, clusterIAM(describeCluster(t, c, "iam-cl"))); diff != "" {
			t.Errorf("%s: -want +got:\n%s", step, diff)
		}
	}
	check("created", iamState{Enabled: true, Status: "available"})

	member := clusterInstanceInput("iam-cl-1", "iam-cl", "aurora-postgresql")
	member.EnableIAMDatabaseAuthentication = aws.Bool(false)
	if _, err := c.CreateDBInstance(ctx, member); errorCode(err) != codeInvalidCombination {
		t.Errorf("CreateDBInstance of a cluster member with EnableIAMDatabaseAuthentication: %v; want %s", err, codeInvalidCombination)
	}
	member.EnableIAMDatabaseAuthentication = nil
	if _, err := c.CreateDBInstance(ctx, member); err != nil {
		t.Fatalf("CreateDBInstance of a cluster member: %v", err)
	}
	waitStatus(t, c, "iam-cl-1", "available", 10*time.Second)
	if !aws.ToBool(describe(t, c, "iam-cl-1").IAMDatabaseAuthenticationEnabled) {
		t.Errorf("an instance of a cluster with IAM reports IAMDatabaseAuthenticationEnabled false")
	}
	if _, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("iam-cl-1"),
		EnableIAMDatabaseAuthentication: aws.Bool(false), ApplyImmediately: aws.Bool(true)}); errorCode(err) != codeInvalidCombination {
		t.Errorf("ModifyDBInstance of a cluster member with EnableIAMDatabaseAuthentication: %v; want %s", err, codeInvalidCombination)
	}

	modify := func(on, now bool) {
		t.Helper()
		if _, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("iam-cl"),
			EnableIAMDatabaseAuthentication: aws.Bool(on), ApplyImmediately: aws.Bool(now)}); err != nil {
			t.Fatalf("ModifyDBCluster IAM %v now %v: %v", on, now, err)
		}
	}
	modify(false, false)
	check("turned off for the maintenance window", iamState{Enabled: true, Pending: aws.Bool(false), Status: "available"})
	if diff := cmp.Diff([]string{"iam-cl"}, e.ApplyPendingMaintenance()); diff != "" {
		t.Errorf("ApplyPendingMaintenance: -want +got:\n%s", diff)
	}
	check("after the maintenance window", iamState{Enabled: false, Status: "available"})
	modify(true, true)
	check("turned on at once", iamState{Enabled: true, Status: "available"})

	if _, err := c.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String("iam-cl"),
		DBClusterSnapshotIdentifier: aws.String("iam-cl-snap")}); err != nil {
		t.Fatalf("CreateDBClusterSnapshot: %v", err)
	}
	if snap := waitClusterSnapshot(t, c, "iam-cl-snap", "available", 10*time.Second); !aws.ToBool(snap.IAMDatabaseAuthenticationEnabled) {
		t.Errorf("the snapshot of a cluster with IAM reports IAMDatabaseAuthenticationEnabled false")
	}
	out, err := c.RestoreDBClusterFromSnapshot(ctx, &rds.RestoreDBClusterFromSnapshotInput{DBClusterIdentifier: aws.String("iam-cl-restored"),
		SnapshotIdentifier: aws.String("iam-cl-snap"), Engine: aws.String("aurora-postgresql")})
	if err != nil {
		t.Fatalf("RestoreDBClusterFromSnapshot: %v", err)
	}
	if !aws.ToBool(out.DBCluster.IAMDatabaseAuthenticationEnabled) {
		t.Errorf("a cluster restored from a snapshot with IAM has it off; want the snapshot's setting")
	}
}
