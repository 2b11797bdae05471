package emulator

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"
)

// sourceEvents reads the events of one source of the past hour through DescribeEvents,
// oldest first, each as "category: message". An id ending in "*" takes every source of the
// type whose identifier starts with the rest (automated snapshots are named by the minute).
func sourceEvents(c *rds.Client, sourceType, id string) (string, error) {
	in := &rds.DescribeEventsInput{SourceType: types.SourceType(sourceType), Duration: aws.Int32(60)}
	prefix, anyOf := strings.CutSuffix(id, "*")
	if !anyOf {
		in.SourceIdentifier = aws.String(id)
	}
	var lines []string
	for p := rds.NewDescribeEventsPaginator(c, in); p.HasMorePages(); {
		out, err := p.NextPage(context.Background())
		if err != nil {
			return "", err
		}
		for _, ev := range out.Events {
			if !strings.HasPrefix(aws.ToString(ev.SourceIdentifier), prefix) {
				continue
			}
			lines = append(lines, strings.Join(ev.EventCategories, ",")+": "+aws.ToString(ev.Message))
		}
	}
	return strings.Join(lines, "\n"), nil
}

// waitEvents waits until one source's events are want, as the emulator records most of
// them when a transition ends.
func waitEvents(t *testing.T, c *rds.Client, sourceType, id string, want ...string) {
	t.Helper()
	eventually(t, sourceType+" "+id+" events", strings.Join(want, "\n"), func() (string, error) { return sourceEvents(c, sourceType, id) })
}

// haveEvents checks one source's events now, for changes the emulator makes at once (and
// for those it must not record: a later look would prove no more).
func haveEvents(t *testing.T, c *rds.Client, reason, sourceType, id string, want ...string) {
	t.Helper()
	got, err := sourceEvents(c, sourceType, id)
	if err != nil {
		t.Fatalf("%s\nDescribeEvents %s %s: %v", reason, sourceType, id, err)
	}
	if diff := cmp.Diff(strings.Join(want, "\n"), got); diff != "" {
		t.Errorf("%s\n%s %s events: -want +got:\n%s", reason, sourceType, id, diff)
	}
}

// The events, as "category: message", that the tests expect.
const (
	created         = "creation: DB instance created"
	deleted         = "deletion: DB instance deleted"
	backingUp       = "backup: Backing up DB instance"
	backedUp        = "backup: Finished DB Instance backup"
	restarted       = "availability: DB instance restarted"
	passwordReset   = "configuration change: Reset master credentials"
	classApplying   = "configuration change: Applying modification to database instance class"
	classFinished   = "configuration change: Finished applying modification to DB instance class"
	storageApplying = "configuration change: Applying modification to allocated storage"
	storageFinished = "configuration change: Finished applying modification to allocated storage"
)

// newInstanceEvents are the events of an instance created with automated backups on.
var newInstanceEvents = []string{created, backingUp, backedUp}

func after(events []string, more ...string) []string {
	return append(append([]string(nil), events...), more...)
}

func TestInstanceEvents(t *testing.T) {
	e, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	cases := map[string]struct {
		reason string
		// create changes the request that creates the instance, when set.
		create func(*rds.CreateDBInstanceInput)
		// run acts on the instance id (its name lowercased), available with backups on.
		run  func(t *testing.T, id string)
		want []string
	}{
		"Created": {
			reason: "A new instance records its creation, then its first backup.",
			run:    func(*testing.T, string) {},
			want:   newInstanceEvents,
		},
		"ClassAndStorageApplied": {
			reason: "A class and storage change applied at once records applying as modifying starts and finished as it ends.",
			run: func(t *testing.T, id string) {
				modify(t, c, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), DBInstanceClass: aws.String("db.m7g.large"),
					AllocatedStorage: aws.Int32(40), ApplyImmediately: aws.Bool(true)})
				waitStatus(t, c, id, "available", 5*time.Second)
			},
			want: after(newInstanceEvents, classApplying, storageApplying, classFinished, storageFinished),
		},
		"StorageTypeIsStorage": {
			reason: "A storage type change is a change of the storage settings, RDS-EVENT-0018 and 0017.",
			run: func(t *testing.T, id string) {
				modify(t, c, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), StorageType: aws.String("gp3"), ApplyImmediately: aws.Bool(true)})
				waitStatus(t, c, id, "available", 5*time.Second)
			},
			want: after(newInstanceEvents, storageApplying, storageFinished),
		},
		"BackupsOffAndOn": {
			reason: "Retention to 0 disables automated backups, from 0 enables them; 1 to 7 days has no documented event.",
			run: func(t *testing.T, id string) {
				for _, days := range []int32{0, 1, 7} {
					modify(t, c, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), BackupRetentionPeriod: aws.Int32(days), ApplyImmediately: aws.Bool(true)})
					waitStatus(t, c, id, "available", 5*time.Second)
				}
			},
			want: after(newInstanceEvents, "configuration change: Disabled automated backups", "configuration change: Enabled automated backups"),
		},
		"MultiAZ": {
			reason: "Converting to Multi-AZ and back records RDS-EVENT-0024/0025, then 0030/0029.",
			run: func(t *testing.T, id string) {
				for _, on := range []bool{true, false} {
					modify(t, c, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), MultiAZ: aws.Bool(on), ApplyImmediately: aws.Bool(true)})
					waitStatus(t, c, id, "available", 5*time.Second)
				}
			},
			want: after(newInstanceEvents,
				"configuration change: Applying modification to convert to a Multi-AZ DB instance",
				"configuration change: Finished applying modification to convert to a Multi-AZ DB instance",
				"configuration change: Applying modification to convert to a standard (Single-AZ) DB instance",
				"configuration change: Finished applying modification to convert to a standard (Single-AZ) DB instance"),
		},
		"EngineUpgrade": {
			reason: "A major version upgrade records RDS-EVENT-0267 as it starts and 0268 as it finishes, and the new family's DB parameter group it takes.",
			create: func(in *rds.CreateDBInstanceInput) { in.EngineVersion = aws.String("16.10") },
			run: func(t *testing.T, id string) {
				modify(t, c, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), EngineVersion: aws.String("17"),
					AllowMajorVersionUpgrade: aws.Bool(true), ApplyImmediately: aws.Bool(true)})
				waitStatus(t, c, id, "available", 5*time.Second)
			},
			want: after(newInstanceEvents, "maintenance: The engine version upgrade started", "maintenance: The engine version upgrade finished",
				"configuration change: Updated to use DBParameterGroup default.postgres17"),
		},
		"MasterPassword": {
			reason: "A new master password is set at once and records RDS-EVENT-0016, whatever ApplyImmediately says.",
			run: func(t *testing.T, id string) {
				modify(t, c, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), MasterUserPassword: aws.String("Another-Passw0rd")})
			},
			want: after(newInstanceEvents, passwordReset),
		},
		"ParameterGroup": {
			reason: "Another DB parameter group is associated at once: RDS-EVENT-0011 names it.",
			run: func(t *testing.T, id string) {
				if _, err := c.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String(id + "-params"),
					DBParameterGroupFamily: aws.String("postgres17"), Description: aws.String("events")}); err != nil {
					t.Fatal(err)
				}
				modify(t, c, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), DBParameterGroupName: aws.String(id + "-params")})
			},
			want: after(newInstanceEvents, "configuration change: Updated to use DBParameterGroup parametergroup-params"),
		},
		"Reboot": {
			reason: "A reboot records the instance restarted when it is back.",
			run: func(t *testing.T, id string) {
				if _, err := c.RebootDBInstance(ctx, &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String(id)}); err != nil {
					t.Fatal(err)
				}
				waitStatus(t, c, id, "available", 5*time.Second)
			},
			want: after(newInstanceEvents, restarted),
		},
		"MultiAZFailover": {
			reason: "A reboot with failover of a Multi-AZ instance records the failover's start, the restart and its end.",
			run: func(t *testing.T, id string) {
				modify(t, c, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), MultiAZ: aws.Bool(true), ApplyImmediately: aws.Bool(true)})
				waitStatus(t, c, id, "available", 5*time.Second)
				if _, err := c.RebootDBInstance(ctx, &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String(id), ForceFailover: aws.Bool(true)}); err != nil {
					t.Fatal(err)
				}
				waitStatus(t, c, id, "available", 5*time.Second)
			},
			want: after(newInstanceEvents,
				"configuration change: Applying modification to convert to a Multi-AZ DB instance",
				"configuration change: Finished applying modification to convert to a Multi-AZ DB instance",
				"failover: Multi-AZ instance failover started", restarted, "failover: Multi-AZ instance failover completed"),
		},
		"StorageFull": {
			reason: "Storage running out without autoscaling records RDS-EVENT-0007 as the instance goes storage-full.",
			run: func(t *testing.T, id string) {
				if err := e.FillStorage(id); err != nil {
					t.Fatal(err)
				}
			},
			want: after(newInstanceEvents, "low storage: Allocated storage has been exhausted. Allocate additional storage to resolve."),
		},
		"Autoscaling": {
			reason: "Storage autoscaling records RDS-EVENT-0217 as it starts growing the storage and 0218 when it has.",
			run: func(t *testing.T, id string) {
				modify(t, c, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), MaxAllocatedStorage: aws.Int32(100)})
				if err := e.FillStorage(id); err != nil {
					t.Fatal(err)
				}
				waitStatus(t, c, id, "available", 5*time.Second)
			},
			want: after(newInstanceEvents,
				"configuration change: Applying autoscaling-initiated modification to allocated storage",
				"configuration change: Finished applying autoscaling-initiated modification to allocated storage"),
		},
		"Tags": {
			reason: "Tagging and untagging record no event: RDS documents none.",
			run: func(t *testing.T, id string) {
				arn := aws.String("arn:aws:rds:us-east-1:123456789012:db:" + id)
				if _, err := c.AddTagsToResource(ctx, &rds.AddTagsToResourceInput{ResourceName: arn, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("shop")}}}); err != nil {
					t.Fatal(err)
				}
				if _, err := c.RemoveTagsFromResource(ctx, &rds.RemoveTagsFromResourceInput{ResourceName: arn, TagKeys: []string{"team"}}); err != nil {
					t.Fatal(err)
				}
			},
			want: newInstanceEvents,
		},
		"Deleted": {
			reason: "A deleted instance records its deletion when it is gone.",
			run: func(t *testing.T, id string) {
				if _, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(id), SkipFinalSnapshot: aws.Bool(true)}); err != nil {
					t.Fatal(err)
				}
				waitGone(t, c, id, 5*time.Second)
			},
			want: after(newInstanceEvents, deleted),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			id := strings.ToLower(name)
			createAvailable(t, c, id, tc.create)
			tc.run(t, id)
			waitEvents(t, c, sourceInstance, id, tc.want...)
		})
	}
}

// modify calls ModifyDBInstance, failing the test when it fails.
func modify(t *testing.T, c *rds.Client, in *rds.ModifyDBInstanceInput) {
	t.Helper()
	if _, err := c.ModifyDBInstance(context.Background(), in); err != nil {
		t.Fatalf("ModifyDBInstance %s: %v", aws.ToString(in.DBInstanceIdentifier), err)
	}
}

func TestEventsWhenTheChangeHappens(t *testing.T) {
	e, c := start(t, Config{NoEngine: true})
	createAvailable(t, c, "later", nil)
	modify(t, c, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("later"), DBInstanceClass: aws.String("db.m7g.large")})
	haveEvents(t, c, "A change left for the maintenance window records nothing when it is asked for.", sourceInstance, "later", newInstanceEvents...)

	if got := e.ApplyPendingMaintenance(); !cmp.Equal([]string{"later"}, got) {
		t.Fatalf("ApplyPendingMaintenance started %v", got)
	}
	waitEvents(t, c, sourceInstance, "later", after(newInstanceEvents, classApplying, classFinished)...)
}

func TestSnapshotEvents(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createAvailable(t, c, "shop", nil)
	waitEvents(t, c, sourceSnapshot, "rds:shop-*", "creation: Creating automated snapshot", "creation: Automated snapshot created")

	if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("shop"), DBSnapshotIdentifier: aws.String("shop-manual")}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "shop", "available", 5*time.Second)
	if _, err := c.DeleteDBSnapshot(ctx, &rds.DeleteDBSnapshotInput{DBSnapshotIdentifier: aws.String("shop-manual")}); err != nil {
		t.Fatal(err)
	}
	haveEvents(t, c, "A manual snapshot records its creation's start and end, then its deletion.", sourceSnapshot, "shop-manual",
		"creation: Creating manual snapshot", "creation: Manual snapshot created", "deletion: Deleted manual snapshot")
	haveEvents(t, c, "The instance records each backup, the manual snapshot's too.", sourceInstance, "shop", after(newInstanceEvents, backingUp, backedUp)...)

	if _, err := c.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String("shop-copy"),
		DBSnapshotIdentifier: aws.String(firstAutomatedSnapshot(t, c, "shop"))}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "shop-copy", "available", 5*time.Second)
	haveEvents(t, c, "A restored instance records RDS-EVENT-0043 naming its snapshot, then its creation and first backup.", sourceInstance, "shop-copy",
		append([]string{"restoration: Restored from snapshot " + firstAutomatedSnapshot(t, c, "shop")}, newInstanceEvents...)...)

	if _, err := c.CreateDBInstanceReadReplica(ctx, &rds.CreateDBInstanceReadReplicaInput{DBInstanceIdentifier: aws.String("shop-replica"),
		SourceDBInstanceIdentifier: aws.String("shop")}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "shop-replica", "available", 5*time.Second)
	haveEvents(t, c, "A read replica records its creation and its replication starting (RDS-EVENT-0046), no backup (it has none).", sourceInstance, "shop-replica",
		created, "read replica: Replication for the Read Replica resumed")

	if _, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("shop-copy"), FinalDBSnapshotIdentifier: aws.String("shop-copy-final")}); err != nil {
		t.Fatal(err)
	}
	waitGone(t, c, "shop-copy", 5*time.Second)
	haveEvents(t, c, "The final snapshot of a deleted instance is a manual snapshot.", sourceSnapshot, "shop-copy-final",
		"creation: Creating manual snapshot", "creation: Manual snapshot created")
}

// firstAutomatedSnapshot is the identifier of an instance's first automated snapshot.
func firstAutomatedSnapshot(t *testing.T, c *rds.Client, id string) string {
	t.Helper()
	out, err := c.DescribeDBSnapshots(context.Background(), &rds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String(id), SnapshotType: aws.String("automated")})
	if err != nil || len(out.DBSnapshots) == 0 {
		t.Fatalf("automated snapshots of %s: %v (%d)", id, err, len(out.DBSnapshots))
	}
	return aws.ToString(out.DBSnapshots[0].DBSnapshotIdentifier)
}

func TestClusterEvents(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	if _, err := c.CreateDBCluster(ctx, clusterInput("ledger", "aurora-postgresql")); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"ledger-a", "ledger-b"} {
		if _, err := c.CreateDBInstance(ctx, clusterInstanceInput(id, "ledger", "aurora-postgresql")); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, c, id, "available", 5*time.Second)
	}
	waitEvents(t, c, sourceClusterSnapshot, "rds:ledger-*", "backup: Creating automated cluster snapshot", "backup: Automated cluster snapshot created")

	if _, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("ledger"), MasterUserPassword: aws.String("Another-Passw0rd")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String("ledger"), DBClusterSnapshotIdentifier: aws.String("ledger-manual")}); err != nil {
		t.Fatal(err)
	}
	waitClusterStatus(t, c, "ledger", "available", 5*time.Second)
	if _, err := c.DeleteDBClusterSnapshot(ctx, &rds.DeleteDBClusterSnapshotInput{DBClusterSnapshotIdentifier: aws.String("ledger-manual")}); err != nil {
		t.Fatal(err)
	}
	haveEvents(t, c, "A manual cluster snapshot records RDS-EVENT-0074 and 0075, then its deletion as RDS answers it.", sourceClusterSnapshot, "ledger-manual",
		"backup: Creating manual cluster snapshot", "backup: Manual cluster snapshot created", "deletion: Deleted manual snapshot")

	if _, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("ledger"), EngineVersion: aws.String("16.8"), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	waitClusterStatus(t, c, "ledger", "available", 5*time.Second)
	if _, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("ledger"), EngineVersion: aws.String("17.4"),
		AllowMajorVersionUpgrade: aws.Bool(true), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	waitClusterStatus(t, c, "ledger", "available", 5*time.Second)

	if _, err := c.RebootDBInstance(ctx, &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String("ledger-b")}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "ledger-b", "available", 5*time.Second)

	// The writer (the first instance) goes: the reader in the other zone takes over.
	for _, id := range []string{"ledger-a", "ledger-b"} {
		if _, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
		waitGone(t, c, id, 5*time.Second)
	}
	if _, err := c.DeleteDBCluster(ctx, &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String("ledger"), SkipFinalSnapshot: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	waitClusterGone(t, c, "ledger", 5*time.Second)
	haveEvents(t, c, "The cluster records its creation, the master password reset, both upgrades (minor, then major), the failover from its deleted writer and its deletion.",
		sourceCluster, "ledger",
		"creation: DB cluster created", passwordReset,
		"maintenance: Database cluster engine version upgrade started", "maintenance: Database cluster engine version has been upgraded",
		"maintenance: Database cluster engine version upgrade started", "maintenance: Database cluster engine major version has been upgraded",
		"failover: Started cross AZ failover to DB instance: ledger-b", "failover: Completed failover to DB instance: ledger-b",
		"deletion: DB cluster deleted")
	haveEvents(t, c, "An instance of a cluster records its creation and deletion; its backups are the cluster's.", sourceInstance, "ledger-a", created, deleted)
	haveEvents(t, c, "A reader's reboot records it restarted.", sourceInstance, "ledger-b", created, restarted, deleted)
}
