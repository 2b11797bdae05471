package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestBackups covers both backup modes and a restore: every 24h is RDS's automated backup;
// another interval makes the operator take snapshots on that schedule (the test moves the
// operator's clock) and prune them after the retention; a new object restored from one of
// them comes up with the data, its own Secrets working.
func TestBackups(t *testing.T) {
	ctx := context.Background()
	api, err := stack.RDS(ctx)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("AutomatedDaily", func(t *testing.T) {
		ns := namespace(t, "daily")
		db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "daily"}}
		db.Spec.DeletionPolicy = v1.DeletionDelete
		if err := stack.Client.Create(ctx, db); err != nil {
			t.Fatal(err)
		}
		waitReady(t, db)
		waitCondition(t, db, v1.ConditionBackupsConfigured, v1.ReasonAutomatedBackups)
		got := &v1.RDSDatabase{}
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), got); err != nil {
			t.Fatal(err)
		}
		if got.Status.Backup == nil || got.Status.Backup.Mode != "automated" {
			t.Errorf("status.backup = %+v, want mode automated", got.Status.Backup)
		}
	})

	t.Run("AuroraScheduledSnapshot", func(t *testing.T) {
		ns := namespace(t, "aurora-snap")
		db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ledger"}}
		db.Spec.Type = v1.TypeAuroraPostgreSQL
		db.Spec.DeletionPolicy = v1.DeletionDelete
		db.Spec.Backup = v1.Backup{Every: "6h", Retention: "1d"}
		if err := stack.Client.Create(ctx, db); err != nil {
			t.Fatalf("an Aurora database with a snapshot schedule was refused: %v", err)
		}
		ready := waitReady(t, db)
		name := waitLatestSnapshot(t, db, "")
		waitCondition(t, db, v1.ConditionBackupsConfigured, v1.ReasonScheduledSnapshots)
		out, err := api.DescribeDBClusterSnapshots(ctx, &awsrds.DescribeDBClusterSnapshotsInput{DBClusterIdentifier: aws.String(ready.Status.Cloud.Identifier), SnapshotType: aws.String("manual")})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, s := range out.DBClusterSnapshots {
			found = found || aws.ToString(s.DBClusterSnapshotIdentifier) == name && hasTag(s.TagList, v1.TagBackup, v1.BackupScheduled)
		}
		if !found {
			t.Errorf("no cluster snapshot %s tagged as scheduled among %d of the cluster", name, len(out.DBClusterSnapshots))
		}
		if err := stack.Client.Delete(ctx, db); err != nil {
			t.Fatal(err)
		}
		waitGone(t, db)
	})

	ns := namespace(t, "scheduled")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "scheduled"}}
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.Backup = v1.Backup{Every: "6h", Retention: "1d"}
	db.Spec.Users = map[string]v1.UserRoles{"app": {}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"data": {"app"}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	ready := waitReady(t, db)
	id := ready.Status.Cloud.Identifier
	var second string

	t.Run("ScheduledSnapshots", func(t *testing.T) {
		first := waitLatestSnapshot(t, db, "")
		waitCondition(t, db, v1.ConditionBackupsConfigured, v1.ReasonScheduledSnapshots)
		conn, err := loginWith(ctx, string(secretData(t, ns, "scheduled.rds.app")["uri"]), "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('in the snapshot')"); err != nil {
			t.Fatal(err)
		}
		conn.Close(ctx)

		stack.Advance(6 * time.Hour)
		second = waitLatestSnapshot(t, db, first)
		if ours := scheduledSnapshots(t, api, id); len(ours) != 2 {
			t.Errorf("%d scheduled snapshots after 6h, want 2: %v", len(ours), ours)
		}

		stack.Advance(2 * 24 * time.Hour) // past the 1d retention of both
		third := waitLatestSnapshot(t, db, second)
		// The first is past the retention and goes; the second too, but it is the newest
		// finished one while the third is being made, so it stays until the next slot.
		err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			ours := scheduledSnapshots(t, api, id)
			return len(ours) == 2 && !slices.Contains(ours, first) && slices.Contains(ours, second) && slices.Contains(ours, third), nil
		})
		if err != nil {
			t.Errorf("want the first snapshot pruned and the second and third kept (left: %v): %v", scheduledSnapshots(t, api, id), err)
		}
		if !eventSays(t, ns, db.Name, v1.EventSnapshotsPruned, first) {
			t.Errorf("no %s Event names %s", v1.EventSnapshotsPruned, first)
		}
	})

	t.Run("RestoreFromASnapshot", func(t *testing.T) {
		snap := waitLatestSnapshot(t, db, "")
		restored := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "restored"}}
		restored.Spec.DeletionPolicy = v1.DeletionDelete
		restored.Spec.RestoreFrom = &v1.RestoreFrom{Snapshot: snap}
		restored.Spec.Users = map[string]v1.UserRoles{"app": {}}
		restored.Spec.Databases = map[string]v1.DatabaseUsers{"data": {"app"}}
		if err := stack.Client.Create(ctx, restored); err != nil {
			t.Fatal(err)
		}
		waitReady(t, restored)
		for _, name := range []string{"restored.rds.master", "restored.rds.app"} {
			if err := logsIn(ctx, string(secretData(t, ns, name)["uri"]), ""); err != nil {
				t.Errorf("%s does not log in to the restored database: %v", name, err)
				continue
			}
		}
		conn, err := loginWith(ctx, string(secretData(t, ns, "restored.rds.app")["uri"]), "data")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var v string
		if err := conn.QueryRow(ctx, "SELECT v FROM kept").Scan(&v); err != nil || v != "in the snapshot" {
			t.Errorf("rows read back from the restored database: %q, %v", v, err)
		}
	})
}

// waitLatestSnapshot waits until status.backup.latestSnapshot is set and differs from not,
// and returns it.
func waitLatestSnapshot(t *testing.T, db *v1.RDSDatabase, not string) string {
	t.Helper()
	var latest string
	err := harness.WaitFor(context.Background(), readyTimeout, func(ctx context.Context) (bool, error) {
		got := &v1.RDSDatabase{}
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), got); err != nil {
			return false, err
		}
		if got.Status.Backup != nil {
			latest = got.Status.Backup.LatestSnapshot
		}
		return latest != "" && latest != not, nil
	})
	if err != nil {
		t.Fatalf("no new scheduled snapshot (latest %q): %v", latest, err)
	}
	return latest
}

// scheduledSnapshots lists the operator's scheduled snapshots of a database.
func scheduledSnapshots(t *testing.T, api *awsrds.Client, id string) []string {
	t.Helper()
	out, err := api.DescribeDBSnapshots(context.Background(), &awsrds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String(id), SnapshotType: aws.String("manual")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range out.DBSnapshots {
		if hasTag(s.TagList, v1.TagBackup, v1.BackupScheduled) {
			names = append(names, aws.ToString(s.DBSnapshotIdentifier))
		}
	}
	return names
}

func hasTag(tags []types.Tag, key, value string) bool {
	for _, t := range tags {
		if aws.ToString(t.Key) == key && aws.ToString(t.Value) == value {
			return true
		}
	}
	return false
}
