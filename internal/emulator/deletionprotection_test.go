package emulator

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"
)

// refusal is what a test expects of a refused call: code, HTTP status and message.
type refusal struct {
	Code    string
	Status  int
	Message string
}

// refusalOf reads a refusal off an error; the zero refusal for nil.
func refusalOf(err error) refusal {
	if err == nil {
		return refusal{}
	}
	return refusal{Code: errorCode(err), Status: httpStatus(err), Message: errorMessage(err)}
}

var (
	instanceProtected = refusal{codeInvalidCombination, http.StatusBadRequest, "Cannot delete protected DB Instance, please disable deletion protection and try again."}
	clusterProtected  = refusal{codeInvalidCombination, http.StatusBadRequest, "Cannot delete protected Cluster, please disable deletion protection and try again."}
	memberProtection  = refusal{codeInvalidCombination, http.StatusBadRequest, "Deletion Protection can only be applied on the Cluster level, not for individual instances"}
)

// protectionState is what Describe says of an instance's or cluster's protection.
type protectionState struct {
	Status    string
	Protected bool
	Pending   bool
}

func instanceProtection(in types.DBInstance) protectionState {
	p := in.PendingModifiedValues
	return protectionState{
		Status:    aws.ToString(in.DBInstanceStatus),
		Protected: aws.ToBool(in.DeletionProtection),
		Pending:   p != nil && (p.DBInstanceClass != nil || p.AllocatedStorage != nil || p.BackupRetentionPeriod != nil),
	}
}

func clusterProtection(c types.DBCluster) protectionState {
	return protectionState{Status: aws.ToString(c.Status), Protected: aws.ToBool(c.DeletionProtection), Pending: c.PendingModifiedValues != nil}
}

// TestDeletionProtection proves through the SDK that a protected DB instance is not
// deleted, and nothing is made for the delete (no final snapshot), and that turning the
// protection off with ModifyDBInstance, which applies at once, lets the delete go.
func TestDeletionProtection(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createAvailable(t, c, "source", nil)
	if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("source"), DBSnapshotIdentifier: aws.String("source-snap")}); err != nil {
		t.Fatalf("CreateDBSnapshot: %v", err)
	}
	waitSnapshot(t, c, "source-snap", "available", 5*time.Second)

	create := func(protection *bool) func(id string) error {
		return func(id string) error {
			in := createInput(id)
			in.BackupRetentionPeriod, in.DeletionProtection = aws.Int32(1), protection
			_, err := c.CreateDBInstance(ctx, in)
			return err
		}
	}
	restore := func(id string) error {
		_, err := c.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String(id),
			DBSnapshotIdentifier: aws.String("source-snap"), DeletionProtection: aws.Bool(true)})
		return err
	}
	replica := func(id string) error {
		_, err := c.CreateDBInstanceReadReplica(ctx, &rds.CreateDBInstanceReadReplicaInput{DBInstanceIdentifier: aws.String(id),
			SourceDBInstanceIdentifier: aws.String("source"), DeletionProtection: aws.Bool(true)})
		return err
	}
	cases := []struct {
		reason string
		id     string
		create func(id string) error
		// modify, when set, is sent before the delete and answers with want.
		modify *rds.ModifyDBInstanceInput
		want   protectionState
		// replica: a read replica is deleted without a final snapshot.
		replica bool
	}{
		{reason: "An instance created without DeletionProtection is unprotected, RDS's default, and is deleted.",
			id: "plain", create: create(nil), want: protectionState{Status: "available"}},
		{reason: "An instance created protected is reported protected; its delete is refused in RDS's words and leaves it as it was.",
			id: "guarded", create: create(aws.Bool(true)), want: protectionState{Status: "available", Protected: true}},
		{reason: "ModifyDBInstance turns the protection off at once, without ApplyImmediately (no pending modification, no modifying), and the delete then goes.",
			id: "released", create: create(aws.Bool(true)), modify: &rds.ModifyDBInstanceInput{DeletionProtection: aws.Bool(false)},
			want: protectionState{Status: "available"}},
		{reason: "ModifyDBInstance turns it on at once even with ApplyImmediately=false, beside nothing else; the delete is then refused.",
			id: "locked", create: create(nil), modify: &rds.ModifyDBInstanceInput{DeletionProtection: aws.Bool(true), ApplyImmediately: aws.Bool(false)},
			want: protectionState{Status: "available", Protected: true}},
		{reason: "Beside a deferred class change, the protection applies now and only the class waits for the window.",
			id: "deferred", create: create(nil), modify: &rds.ModifyDBInstanceInput{DeletionProtection: aws.Bool(true), DBInstanceClass: aws.String("db.m7g.large")},
			want: protectionState{Status: "available", Protected: true, Pending: true}},
		{reason: "RestoreDBInstanceFromDBSnapshot takes DeletionProtection.",
			id: "restored", create: restore, want: protectionState{Status: "available", Protected: true}},
		{reason: "CreateDBInstanceReadReplica takes DeletionProtection; the protected replica is not deleted either.",
			id: "replica", create: replica, want: protectionState{Status: "available", Protected: true}, replica: true},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			if err := tc.create(tc.id); err != nil {
				t.Fatalf("%s\ncreate: %v", tc.reason, err)
			}
			waitStatus(t, c, tc.id, "available", 5*time.Second)
			if tc.modify != nil {
				tc.modify.DBInstanceIdentifier = aws.String(tc.id)
				out, err := c.ModifyDBInstance(ctx, tc.modify)
				if err != nil {
					t.Fatalf("%s\nModifyDBInstance: %v", tc.reason, err)
				}
				if diff := cmp.Diff(tc.want, instanceProtection(*out.DBInstance)); diff != "" {
					t.Errorf("%s\nanswered instance: -want +got:\n%s", tc.reason, diff)
				}
			}
			if diff := cmp.Diff(tc.want, instanceProtection(describe(t, c, tc.id))); diff != "" {
				t.Errorf("%s\ndescribed instance: -want +got:\n%s", tc.reason, diff)
			}

			final := tc.id + "-final"
			del := &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(tc.id), FinalDBSnapshotIdentifier: aws.String(final)}
			if tc.replica {
				del = &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(tc.id), SkipFinalSnapshot: aws.Bool(true)}
			}
			_, err := c.DeleteDBInstance(ctx, del)
			if !tc.want.Protected {
				if err != nil {
					t.Fatalf("%s\nDeleteDBInstance: %v", tc.reason, err)
				}
				waitGone(t, c, tc.id, 5*time.Second)
				return
			}
			if diff := cmp.Diff(instanceProtected, refusalOf(err)); diff != "" {
				t.Errorf("%s\nDeleteDBInstance: -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want, instanceProtection(describe(t, c, tc.id))); diff != "" {
				t.Errorf("%s\nafter the refused delete: -want +got:\n%s", tc.reason, diff)
			}
			_, err = c.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String(final)})
			if got := errorCode(err); got != codeSnapshotNotFound {
				t.Errorf("%s\nthe refused delete made final snapshot %s: DescribeDBSnapshots says %q (%v)", tc.reason, final, got, err)
			}
		})
	}
}

// TestClusterDeletionProtection follows an Aurora DB cluster made protected, step by step:
// the cluster's protection keeps the cluster, not its instances, which take none of their
// own; ModifyDBCluster lifts it at once and the cluster can then go.
func TestClusterDeletionProtection(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	in := clusterInput("vault", "aurora-postgresql")
	in.DeletionProtection = aws.Bool(true)
	if _, err := c.CreateDBCluster(ctx, in); err != nil {
		t.Fatalf("CreateDBCluster: %v", err)
	}
	waitClusterStatus(t, c, "vault", "available", 5*time.Second)
	if _, err := c.CreateDBInstance(ctx, clusterInstanceInput("vault-1", "vault", "aurora-postgresql")); err != nil {
		t.Fatalf("CreateDBInstance vault-1: %v", err)
	}
	waitStatus(t, c, "vault-1", "available", 5*time.Second)

	deleteCluster := func() error {
		_, err := c.DeleteDBCluster(ctx, &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String("vault"), SkipFinalSnapshot: aws.Bool(true)})
		return err
	}
	modifyMember := func(on bool) func() error {
		return func() error {
			_, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("vault-1"), DeletionProtection: aws.Bool(on)})
			return err
		}
	}
	steps := []struct {
		reason string
		call   func() error
		want   refusal
		// cluster and member, when set, are what Describe must say afterwards; "" status
		// for the member means gone.
		cluster *protectionState
		member  *protectionState
	}{
		{reason: "The cluster created protected is reported so; its instance reports no protection of its own.",
			call:    func() error { return nil },
			cluster: &protectionState{Status: "available", Protected: true}, member: &protectionState{Status: "available"}},
		{reason: "ModifyDBInstance refuses DeletionProtection for an instance of a cluster.",
			call: modifyMember(true), want: memberProtection, member: &protectionState{Status: "available"}},
		{reason: "It refuses turning it off too (cloud-nuke#947 skips the call for this reason).",
			call: modifyMember(false), want: memberProtection},
		{reason: "The protected cluster is not deleted while it still has an instance: protection is the first refusal.",
			call: deleteCluster, want: clusterProtected, cluster: &protectionState{Status: "available", Protected: true}},
		{reason: "The cluster's protection does not keep its instance: DeleteDBInstance takes it.",
			call: func() error {
				_, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("vault-1")})
				return err
			}, member: &protectionState{}},
		{reason: "Without instances the protected cluster is still not deleted, and stays available.",
			call: deleteCluster, want: clusterProtected, cluster: &protectionState{Status: "available", Protected: true}},
		{reason: "ModifyDBCluster lifts the protection at once, without ApplyImmediately.",
			call: func() error {
				out, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("vault"), DeletionProtection: aws.Bool(false)})
				if err == nil && aws.ToBool(out.DBCluster.DeletionProtection) {
					t.Errorf("ModifyDBCluster answered a cluster still protected")
				}
				return err
			}, cluster: &protectionState{Status: "available"}},
		{reason: "The cluster, no longer protected, is deleted.", call: deleteCluster},
	}
	for i, s := range steps {
		if diff := cmp.Diff(s.want, refusalOf(s.call())); diff != "" {
			t.Errorf("step %d: %s\n-want +got:\n%s", i, s.reason, diff)
		}
		if s.cluster != nil {
			if diff := cmp.Diff(*s.cluster, clusterProtection(describeCluster(t, c, "vault"))); diff != "" {
				t.Errorf("step %d: %s\ncluster: -want +got:\n%s", i, s.reason, diff)
			}
		}
		switch {
		case s.member != nil && s.member.Status == "":
			waitGone(t, c, "vault-1", 5*time.Second)
		case s.member != nil:
			if diff := cmp.Diff(*s.member, instanceProtection(describe(t, c, "vault-1"))); diff != "" {
				t.Errorf("step %d: %s\ninstance: -want +got:\n%s", i, s.reason, diff)
			}
		}
	}
	waitClusterGone(t, c, "vault", 5*time.Second)
}

// TestClusterDeletionProtectionAtCreate checks the protection each way of making a
// cluster gives it, and that an Aurora instance takes none at create.
func TestClusterDeletionProtectionAtCreate(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	if _, err := c.CreateDBCluster(ctx, clusterInput("origin", "aurora-postgresql")); err != nil {
		t.Fatalf("CreateDBCluster origin: %v", err)
	}
	waitClusterStatus(t, c, "origin", "available", 5*time.Second)
	if _, err := c.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String("origin"),
		DBClusterSnapshotIdentifier: aws.String("origin-snap")}); err != nil {
		t.Fatalf("CreateDBClusterSnapshot: %v", err)
	}
	waitClusterSnapshot(t, c, "origin-snap", "available", 5*time.Second)

	cases := []struct {
		reason string
		call   func() (*types.DBCluster, error)
		want   bool
	}{
		{reason: "A cluster created without DeletionProtection is unprotected, RDS's default.",
			call: func() (*types.DBCluster, error) {
				out, err := c.CreateDBCluster(ctx, clusterInput("open", "aurora-mysql"))
				return dbClusterOf(out, err, func(o *rds.CreateDBClusterOutput) *types.DBCluster { return o.DBCluster })
			}},
		{reason: "RestoreDBClusterFromSnapshot takes DeletionProtection.",
			call: func() (*types.DBCluster, error) {
				out, err := c.RestoreDBClusterFromSnapshot(ctx, &rds.RestoreDBClusterFromSnapshotInput{DBClusterIdentifier: aws.String("again"),
					SnapshotIdentifier: aws.String("origin-snap"), Engine: aws.String("aurora-postgresql"), DeletionProtection: aws.Bool(true)})
				return dbClusterOf(out, err, func(o *rds.RestoreDBClusterFromSnapshotOutput) *types.DBCluster { return o.DBCluster })
			}, want: true},
	}
	for _, tc := range cases {
		got, err := tc.call()
		if err != nil {
			t.Errorf("%s\n%v", tc.reason, err)
			continue
		}
		if diff := cmp.Diff(tc.want, aws.ToBool(got.DeletionProtection)); diff != "" {
			t.Errorf("%s\nanswered: -want +got:\n%s", tc.reason, diff)
		}
		if diff := cmp.Diff(tc.want, aws.ToBool(describeCluster(t, c, aws.ToString(got.DBClusterIdentifier)).DeletionProtection)); diff != "" {
			t.Errorf("%s\ndescribed: -want +got:\n%s", tc.reason, diff)
		}
	}

	for _, on := range []bool{true, false} {
		in := clusterInstanceInput("origin-1", "origin", "aurora-postgresql")
		in.DeletionProtection = aws.Bool(on)
		_, err := c.CreateDBInstance(ctx, in)
		if diff := cmp.Diff(memberProtection, refusalOf(err)); diff != "" {
			t.Errorf("CreateDBInstance of a cluster's instance with DeletionProtection=%v is refused (terraform-provider-aws#6009): -want +got:\n%s", on, diff)
		}
	}
}

// dbClusterOf picks the DBCluster out of an SDK answer.
func dbClusterOf[O any](out *O, err error, pick func(*O) *types.DBCluster) (*types.DBCluster, error) {
	if err != nil {
		return nil, err
	}
	return pick(out), nil
}
