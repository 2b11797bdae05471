package emulator

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// TestErrorsAsAWSGivesThem sends, through the real SDK client, each request the audit in
// docs/rds-emulator-errors.md checked, and compares the error code and HTTP status with
// what RDS answers (its service model's status per fault, the common errors' 400).
func TestErrorsAsAWSGivesThem(t *testing.T) {
	// Transitions that never end keep the instance and the cluster in "creating", so the
	// state refusals are certain without waiting.
	forever := Delays{Create: time.Hour, BackingUp: time.Hour, Modify: time.Hour, Delete: time.Hour}
	_, c := start(t, Config{NoEngine: true, Delays: forever})
	ctx := context.Background()
	if _, err := c.CreateDBInstance(ctx, createInput("busy")); err != nil {
		t.Fatalf("CreateDBInstance busy: %v", err)
	}
	guarded := createInput("guarded")
	guarded.DeletionProtection = aws.Bool(true)
	if _, err := c.CreateDBInstance(ctx, guarded); err != nil {
		t.Fatalf("CreateDBInstance guarded: %v", err)
	}
	vault := clusterInput("vault", "aurora-postgresql")
	vault.DeletionProtection = aws.Bool(true)
	if _, err := c.CreateDBCluster(ctx, vault); err != nil {
		t.Fatalf("CreateDBCluster vault: %v", err)
	}
	for id, version := range map[string]string{"ledger": "16.6", "old-ledger": "13.4"} {
		in := clusterInput(id, "aurora-postgresql")
		in.EngineVersion = aws.String(version)
		if _, err := c.CreateDBCluster(ctx, in); err != nil {
			t.Fatalf("CreateDBCluster %s: %v", id, err)
		}
	}
	create := func(change func(*rds.CreateDBInstanceInput)) func() error {
		return func() error {
			in := createInput("refused")
			change(in)
			_, err := c.CreateDBInstance(ctx, in)
			return err
		}
	}
	gp3 := func(gib, iops, mibs int32) func() error {
		return create(func(in *rds.CreateDBInstanceInput) {
			in.StorageType, in.AllocatedStorage = aws.String("gp3"), aws.Int32(gib)
			if iops != 0 {
				in.Iops = aws.Int32(iops)
			}
			if mibs != 0 {
				in.StorageThroughput = aws.Int32(mibs)
			}
		})
	}
	const badRequest, notFound = http.StatusBadRequest, http.StatusNotFound
	cases := []struct {
		reason string
		call   func() error
		// wantCode is "" for a request RDS accepts.
		wantCode   string
		wantStatus int
		// wantWords, when set, must appear in the message.
		wantWords string
	}{
		// CreateDBInstance
		{reason: "An identifier in use is DBInstanceAlreadyExists, 400.",
			call: func() error { _, err := c.CreateDBInstance(ctx, createInput("busy")); return err }, wantCode: codeInstanceAlreadyExists, wantStatus: badRequest},
		{reason: "An identifier starting with a digit is InvalidParameterValue.",
			call: func() error { _, err := c.CreateDBInstance(ctx, createInput("1shop")); return err }, wantCode: codeInvalidValue, wantStatus: badRequest},
		{reason: "A class RDS does not offer is the combination refusal, naming the class.",
			call: create(func(in *rds.CreateDBInstanceInput) { in.DBInstanceClass = aws.String("db.t2.micro") }), wantCode: codeInvalidCombination, wantStatus: badRequest,
			wantWords: "RDS does not support creating a DB instance with the following combination: DBInstanceClass=db.t2.micro"},
		{reason: "A version RDS no longer offers is InvalidParameterCombination.",
			call: create(func(in *rds.CreateDBInstanceInput) { in.EngineVersion = aws.String("9.6") }), wantCode: codeInvalidCombination, wantStatus: badRequest,
			wantWords: "Cannot find version 9.6 for postgres"},
		{reason: "Storage below gp2's 20 GiB is InvalidParameterCombination (convox/rack#2846).",
			call: create(func(in *rds.CreateDBInstanceInput) { in.AllocatedStorage = aws.Int32(10) }), wantCode: codeInvalidCombination, wantStatus: badRequest,
			wantWords: "Invalid storage size for engine name postgres and storage type gp2: 10"},
		{reason: "io1 needs IOPS.",
			call: create(func(in *rds.CreateDBInstanceInput) {
				in.StorageType, in.AllocatedStorage = aws.String("io1"), aws.Int32(100)
			}), wantCode: codeInvalidCombination, wantStatus: badRequest, wantWords: "The storage type io1 requires iops to be specified."},
		{reason: "io1 needs at least 0.5 IOPS per GiB.",
			call: create(func(in *rds.CreateDBInstanceInput) {
				in.StorageType, in.AllocatedStorage, in.Iops = aws.String("io1"), aws.Int32(3000), aws.Int32(1000)
			}), wantCode: codeInvalidCombination, wantStatus: badRequest, wantWords: "Invalid iops to storage (GB) ratio"},
		{reason: "gp3 below 400 GiB takes no IOPS (crossplane-contrib/provider-aws#1630).",
			call: gp3(399, 12000, 0), wantCode: codeInvalidCombination, wantStatus: badRequest,
			wantWords: "You can't specify IOPS or storage throughput for engine postgres and a storage size less than 400."},
		{reason: "gp3 from 400 GiB takes no fewer than 12,000 IOPS.", call: gp3(400, 11999, 0), wantCode: codeInvalidCombination, wantStatus: badRequest},
		{reason: "gp3 takes no more than 64,000 IOPS.", call: gp3(400, 64001, 0), wantCode: codeInvalidCombination, wantStatus: badRequest},
		{reason: "gp3 from 400 GiB takes no less than 500 MiB/s.", call: gp3(400, 0, 499), wantCode: codeInvalidCombination, wantStatus: badRequest},
		{reason: "gp3 takes no more than 4,000 MiB/s.", call: gp3(400, 64000, 4001), wantCode: codeInvalidCombination, wantStatus: badRequest,
			wantWords: "Invalid storage throughput value for engine name postgres and storage type gp3: 4001"},
		{reason: "gp3's throughput is at most 0.25 MiB/s per IOPS, the baseline 12,000 IOPS counting when none are asked.",
			call: gp3(400, 0, 3001), wantCode: codeInvalidCombination, wantStatus: badRequest},
		{reason: "gp3's ranges end where AWS documents them: 64,000 IOPS with 4,000 MiB/s is taken.", call: gp3(400, 64000, 4000)},
		{reason: "A DB subnet group the account does not hold is DBSubnetGroupNotFoundFault, 404 in RDS's service model.",
			call: create(func(in *rds.CreateDBInstanceInput) { in.DBSubnetGroupName = aws.String("nope") }), wantCode: codeSubnetGroupNotFound, wantStatus: notFound},
		{reason: "A KMS key the account does not hold is KMSKeyNotAccessibleFault, 400.",
			call: create(func(in *rds.CreateDBInstanceInput) {
				in.StorageEncrypted, in.KmsKeyId = aws.Bool(true), aws.String("alias/doesnotexist")
			}), wantCode: codeKMSKeyNotAccessible, wantStatus: badRequest},
		{reason: "A short master password is InvalidParameterValue.",
			call: create(func(in *rds.CreateDBInstanceInput) { in.MasterUserPassword = aws.String("short") }), wantCode: codeInvalidValue, wantStatus: badRequest},
		{reason: "An Aurora class refused for the cluster's version says that the version is what is not supported.",
			call: func() error {
				_, err := c.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("old-ledger-1"), DBClusterIdentifier: aws.String("old-ledger"),
					Engine: aws.String("aurora-postgresql"), DBInstanceClass: aws.String("db.serverless")})
				return err
			}, wantCode: codeInvalidCombination, wantStatus: badRequest, wantWords: "The engine version is not supported with this instance class"},
		{reason: "A DB cluster that does not exist is DBClusterNotFoundFault, 404.",
			call: func() error {
				_, err := c.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("nope-1"), DBClusterIdentifier: aws.String("nope"),
					Engine: aws.String("aurora-postgresql"), DBInstanceClass: aws.String("db.r6g.large")})
				return err
			}, wantCode: codeClusterNotFound, wantStatus: notFound},

		{reason: "A maintenance window that is not ddd:hh24:mi-ddd:hh24:mi is InvalidParameterValue.",
			call: create(func(in *rds.CreateDBInstanceInput) { in.PreferredMaintenanceWindow = aws.String("sunday 5am") }), wantCode: codeInvalidValue, wantStatus: badRequest,
			wantWords: "Invalid maintenance window format: sunday 5am."},
		{reason: "An hour 24 is InvalidParameterValue, named as RDS read it (ansible/ansible#10666).",
			call: create(func(in *rds.CreateDBInstanceInput) { in.PreferredMaintenanceWindow = aws.String("Mon:23:30-Mon:24:00") }), wantCode: codeInvalidValue, wantStatus: badRequest,
			wantWords: "Invalid day:hour:minute value: mon:24:0"},
		{reason: "A maintenance window overlapping the backup window is InvalidParameterValue (terraform-provider-aws#14981, #49828).",
			call: create(func(in *rds.CreateDBInstanceInput) {
				in.PreferredBackupWindow, in.PreferredMaintenanceWindow = aws.String("04:00-05:00"), aws.String("tue:04:30-tue:05:00")
			}), wantCode: codeInvalidValue, wantStatus: badRequest, wantWords: "The backup window and maintenance window must not overlap."},
		{reason: "An Aurora instance takes no deletion protection of its own (terraform-provider-aws#6009).",
			call: func() error {
				in := clusterInstanceInput("ledger-1", "ledger", "aurora-postgresql")
				in.DeletionProtection = aws.Bool(true)
				_, err := c.CreateDBInstance(ctx, in)
				return err
			}, wantCode: codeInvalidCombination, wantStatus: badRequest, wantWords: "Deletion Protection can only be applied on the Cluster level, not for individual instances"},

		// DescribeDBInstances
		{reason: "An unknown instance is DBInstanceNotFound, 404.",
			call: func() error {
				_, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("nope")})
				return err
			}, wantCode: codeInstanceNotFound, wantStatus: notFound, wantWords: "DBInstance nope not found."},
		{reason: "MaxRecords below 20 is InvalidParameterValue.",
			call: func() error {
				_, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(10)})
				return err
			}, wantCode: codeInvalidValue, wantStatus: badRequest},

		// ModifyDBInstance
		{reason: "Modifying an unknown instance is DBInstanceNotFound, 404.",
			call: func() error {
				_, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("nope"), BackupRetentionPeriod: aws.Int32(3)})
				return err
			}, wantCode: codeInstanceNotFound, wantStatus: notFound},
		{reason: "Modifying an instance that is not available is InvalidDBInstanceState, 400.",
			call: func() error {
				_, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("busy"), BackupRetentionPeriod: aws.Int32(3)})
				return err
			}, wantCode: codeInvalidInstanceState, wantStatus: badRequest, wantWords: "Database instance is not in available state."},

		// DeleteDBInstance
		{reason: "Deleting an unknown instance is DBInstanceNotFound, 404.",
			call: func() error {
				_, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("nope"), SkipFinalSnapshot: aws.Bool(true)})
				return err
			}, wantCode: codeInstanceNotFound, wantStatus: notFound},
		{reason: "Deleting without a final snapshot or SkipFinalSnapshot is InvalidParameterCombination.",
			call: func() error {
				_, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("busy")})
				return err
			}, wantCode: codeInvalidCombination, wantStatus: badRequest},
		{reason: "Deleting a protected instance is InvalidParameterCombination, 400, in RDS's words (terraform-provider-aws#26233).",
			call: func() error {
				_, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("guarded"), SkipFinalSnapshot: aws.Bool(true)})
				return err
			}, wantCode: codeInvalidCombination, wantStatus: badRequest, wantWords: "Cannot delete protected DB Instance, please disable deletion protection and try again."},
		{reason: "Deleting an instance that is creating is InvalidDBInstanceState, 400.",
			call: func() error {
				_, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("busy"), SkipFinalSnapshot: aws.Bool(true)})
				return err
			}, wantCode: codeInvalidInstanceState, wantStatus: badRequest},

		// CreateDBInstanceReadReplica
		{reason: "A replica of an unknown source is DBInstanceNotFound, 404.",
			call: func() error {
				_, err := c.CreateDBInstanceReadReplica(ctx, &rds.CreateDBInstanceReadReplicaInput{DBInstanceIdentifier: aws.String("r1"), SourceDBInstanceIdentifier: aws.String("nope")})
				return err
			}, wantCode: codeInstanceNotFound, wantStatus: notFound},
		{reason: "A replica of a source that is not available is InvalidDBInstanceState, 400.",
			call: func() error {
				_, err := c.CreateDBInstanceReadReplica(ctx, &rds.CreateDBInstanceReadReplicaInput{DBInstanceIdentifier: aws.String("r1"), SourceDBInstanceIdentifier: aws.String("busy")})
				return err
			}, wantCode: codeInvalidInstanceState, wantStatus: badRequest},

		// Snapshots
		{reason: "A snapshot of an unknown instance is DBInstanceNotFound, 404.",
			call: func() error {
				_, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("nope"), DBSnapshotIdentifier: aws.String("s1")})
				return err
			}, wantCode: codeInstanceNotFound, wantStatus: notFound},
		{reason: "A snapshot of an instance that is not available is InvalidDBInstanceState, 400.",
			call: func() error {
				_, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("busy"), DBSnapshotIdentifier: aws.String("s1")})
				return err
			}, wantCode: codeInvalidInstanceState, wantStatus: badRequest},
		{reason: "Describing an unknown snapshot is DBSnapshotNotFound, 404.",
			call: func() error {
				_, err := c.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("nope")})
				return err
			}, wantCode: codeSnapshotNotFound, wantStatus: notFound},
		{reason: "Deleting an unknown snapshot is DBSnapshotNotFound, 404.",
			call: func() error {
				_, err := c.DeleteDBSnapshot(ctx, &rds.DeleteDBSnapshotInput{DBSnapshotIdentifier: aws.String("nope")})
				return err
			}, wantCode: codeSnapshotNotFound, wantStatus: notFound},
		{reason: "Restoring an unknown snapshot is DBSnapshotNotFound, 404.",
			call: func() error {
				_, err := c.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String("back"), DBSnapshotIdentifier: aws.String("nope")})
				return err
			}, wantCode: codeSnapshotNotFound, wantStatus: notFound},

		// DB clusters
		{reason: "A cluster identifier in use is DBClusterAlreadyExistsFault, 400.",
			call: func() error {
				_, err := c.CreateDBCluster(ctx, clusterInput("ledger", "aurora-postgresql"))
				return err
			}, wantCode: codeClusterAlreadyExists, wantStatus: badRequest},
		{reason: "A cluster in a DB subnet group the account does not hold is DBSubnetGroupNotFoundFault, 404.",
			call: func() error {
				in := clusterInput("elsewhere", "aurora-postgresql")
				in.DBSubnetGroupName = aws.String("nope")
				_, err := c.CreateDBCluster(ctx, in)
				return err
			}, wantCode: codeSubnetGroupNotFound, wantStatus: notFound},
		{reason: "Describing an unknown cluster is DBClusterNotFoundFault, 404.",
			call: func() error {
				_, err := c.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("nope")})
				return err
			}, wantCode: codeClusterNotFound, wantStatus: notFound},
		{reason: "Modifying an unknown cluster is DBClusterNotFoundFault, 404.",
			call: func() error {
				_, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("nope"), BackupRetentionPeriod: aws.Int32(3)})
				return err
			}, wantCode: codeClusterNotFound, wantStatus: notFound},
		{reason: "Modifying a cluster that is creating is InvalidDBClusterStateFault, 400.",
			call: func() error {
				_, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("ledger"), BackupRetentionPeriod: aws.Int32(3)})
				return err
			}, wantCode: codeInvalidClusterState, wantStatus: badRequest},
		{reason: "Deleting an unknown cluster is DBClusterNotFoundFault, 404.",
			call: func() error {
				_, err := c.DeleteDBCluster(ctx, &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String("nope"), SkipFinalSnapshot: aws.Bool(true)})
				return err
			}, wantCode: codeClusterNotFound, wantStatus: notFound},
		{reason: "Deleting a protected cluster is InvalidParameterCombination, 400.",
			call: func() error {
				_, err := c.DeleteDBCluster(ctx, &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String("vault"), SkipFinalSnapshot: aws.Bool(true)})
				return err
			}, wantCode: codeInvalidCombination, wantStatus: badRequest, wantWords: "Cannot delete protected Cluster, please disable deletion protection and try again."},
		{reason: "A snapshot of an unknown cluster is DBClusterNotFoundFault, 404.",
			call: func() error {
				_, err := c.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String("nope"), DBClusterSnapshotIdentifier: aws.String("cs1")})
				return err
			}, wantCode: codeClusterNotFound, wantStatus: notFound},
		{reason: "A snapshot of a cluster that is creating is InvalidDBClusterStateFault, 400.",
			call: func() error {
				_, err := c.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String("ledger"), DBClusterSnapshotIdentifier: aws.String("cs1")})
				return err
			}, wantCode: codeInvalidClusterState, wantStatus: badRequest},
		{reason: "Describing an unknown cluster snapshot is DBClusterSnapshotNotFoundFault, 404.",
			call: func() error {
				_, err := c.DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{DBClusterSnapshotIdentifier: aws.String("nope")})
				return err
			}, wantCode: codeClusterSnapshotNotFound, wantStatus: notFound},
		{reason: "Deleting an unknown cluster snapshot is DBClusterSnapshotNotFoundFault, 404.",
			call: func() error {
				_, err := c.DeleteDBClusterSnapshot(ctx, &rds.DeleteDBClusterSnapshotInput{DBClusterSnapshotIdentifier: aws.String("nope")})
				return err
			}, wantCode: codeClusterSnapshotNotFound, wantStatus: notFound},
		{reason: "Restoring an unknown cluster snapshot is DBClusterSnapshotNotFoundFault, 404.",
			call: func() error {
				_, err := c.RestoreDBClusterFromSnapshot(ctx, &rds.RestoreDBClusterFromSnapshotInput{DBClusterIdentifier: aws.String("back"),
					SnapshotIdentifier: aws.String("nope"), Engine: aws.String("aurora-postgresql")})
				return err
			}, wantCode: codeClusterSnapshotNotFound, wantStatus: notFound},

		// Tags
		{reason: "An ARN of another region is InvalidParameterValue in RDS's words.",
			call: func() error {
				_, err := c.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: aws.String("arn:aws:rds:eu-west-1:123456789012:db:busy")})
				return err
			}, wantCode: codeInvalidValue, wantStatus: badRequest, wantWords: "The specified resource name does not match an RDS resource in this region."},
		{reason: "Tags of an unknown instance are DBInstanceNotFound, 404.",
			call: func() error {
				_, err := c.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: aws.String("arn:aws:rds:us-east-1:123456789012:db:nope")})
				return err
			}, wantCode: codeInstanceNotFound, wantStatus: notFound},
		{reason: "Tagging an unknown cluster is DBClusterNotFoundFault, 404.",
			call: func() error {
				_, err := c.AddTagsToResource(ctx, &rds.AddTagsToResourceInput{ResourceName: aws.String("arn:aws:rds:us-east-1:123456789012:cluster:nope"),
					Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
				return err
			}, wantCode: codeClusterNotFound, wantStatus: notFound},
		{reason: "Untagging an unknown snapshot is DBSnapshotNotFound, 404.",
			call: func() error {
				_, err := c.RemoveTagsFromResource(ctx, &rds.RemoveTagsFromResourceInput{ResourceName: aws.String("arn:aws:rds:us-east-1:123456789012:snapshot:nope"), TagKeys: []string{"k"}})
				return err
			}, wantCode: codeSnapshotNotFound, wantStatus: notFound},

		// Engine versions and orderable options
		{reason: "An engine RDS does not have is InvalidParameterValue.",
			call: func() error {
				_, err := c.DescribeDBEngineVersions(ctx, &rds.DescribeDBEngineVersionsInput{Engine: aws.String("oracle-xx")})
				return err
			}, wantCode: codeInvalidValue, wantStatus: badRequest},
		{reason: "Orderable options of an engine RDS does not have are InvalidParameterValue.",
			call: func() error {
				_, err := c.DescribeOrderableDBInstanceOptions(ctx, &rds.DescribeOrderableDBInstanceOptionsInput{Engine: aws.String("oracle-xx")})
				return err
			}, wantCode: codeInvalidValue, wantStatus: badRequest},
	}
	for _, tc := range cases {
		err := tc.call()
		if got := errorCode(err); got != tc.wantCode {
			t.Errorf("%s\ncode %q (%v), want %q", tc.reason, got, err, tc.wantCode)
			continue
		}
		if err == nil {
			continue
		}
		var re *awshttp.ResponseError
		if !errors.As(err, &re) {
			t.Errorf("%s\n%v carries no HTTP response", tc.reason, err)
			continue
		}
		if re.HTTPStatusCode() != tc.wantStatus {
			t.Errorf("%s\n%s: HTTP status %d, want %d", tc.reason, tc.wantCode, re.HTTPStatusCode(), tc.wantStatus)
		}
		if tc.wantWords != "" && !strings.Contains(err.Error(), tc.wantWords) {
			t.Errorf("%s\nmessage of %v lacks %q", tc.reason, err, tc.wantWords)
		}
	}
}
