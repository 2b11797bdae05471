package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudnativepg"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// backupsConfiguredWait bounds the wait for the BackupsConfigured condition, which the
// reconcile that made the object Ready already computed.
const backupsConfiguredWait = 15 * time.Second

// TestCloudNativePGBackups is the backup story without a cloud: on a cloudnativepg class
// naming a backup method the Cluster is backed up (its volume snapshot class, a daily
// ScheduledBackup), an object without deletionPolicy is deleted with a final Backup taken
// first (the Cluster goes only once it completed), and a new object restored from that
// Backup comes up with the data, its own Secrets working.
func TestCloudNativePGBackups(t *testing.T) {
	ctx := context.Background()
	class := cnpgClass(t, "e2e-cnpg-backups", v1.CloudNativePGClassParameters{Backup: &v1.CloudNativePGBackup{VolumeSnapshotClass: "csi-snap"}})
	ns := namespace(t, "cnpg-backup")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders"}}
	db.Spec.Class = class.Name
	db.Spec.Version = "17"
	db.Spec.Users = map[string]v1.UserRoles{"app": {}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"orders": {"app"}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatalf("apply: %v", err)
	}
	ready := waitReady(t, db)
	id := naming.Identifier(ns, db.Name)
	clusterName := cloudnativepg.ClusterName(id)

	t.Run("TheClusterIsBackedUpDaily", func(t *testing.T) {
		c, ok := cluster(ctx, t, ns, db.Name)
		if !ok {
			t.Fatal("no Cluster in the object's namespace")
		}
		if b := c.Spec.Backup; b == nil || b.VolumeSnapshot == nil || b.VolumeSnapshot.ClassName != "csi-snap" ||
			b.VolumeSnapshot.SnapshotOwnerReference != cnpgv1.SnapshotOwnerReferenceNone {
			t.Errorf("the Cluster's spec.backup %+v: want volume snapshots of class csi-snap, owned by nothing", b)
		}
		daily := &cnpgv1.ScheduledBackup{}
		// The stand-in, as CloudNativePG, records its first look at the schedule.
		err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			err := stack.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: clusterName + "-daily"}, daily)
			return err == nil && daily.Status.LastCheckTime != nil, err
		})
		if err != nil {
			t.Fatalf("the daily ScheduledBackup %s-daily, looked at: %v", clusterName, err)
		}
		if s := daily.Spec; s.Schedule != "0 0 3 * * *" || s.Cluster.Name != clusterName || s.BackupOwnerReference != "none" || s.Method != cnpgv1.BackupMethodVolumeSnapshot {
			t.Errorf("the daily ScheduledBackup's spec %+v: want volume snapshots of the Cluster at 03:00:00, owned by nothing", s)
		}
		// The object says so too: its daily backups are the Cluster's ScheduledBackup.
		got := &v1.RDSDatabase{}
		err = harness.WaitFor(ctx, backupsConfiguredWait, func(ctx context.Context) (bool, error) {
			err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), got)
			return err == nil && meta.IsStatusConditionTrue(got.Status.Conditions, v1.ConditionBackupsConfigured), err
		})
		if err != nil {
			t.Errorf("condition %s: %q (%v); want True (%s): the daily ScheduledBackup keeps the backups",
				v1.ConditionBackupsConfigured, conditionOf(got, v1.ConditionBackupsConfigured), err, v1.ReasonAutomatedBackups)
		}
	})

	app, err := loginWith(ctx, string(secretData(t, ns, "orders.rds.app")["uri"]), "orders")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Exec(ctx, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('in the final backup')"); err != nil {
		t.Fatalf("app cannot write to its database: %v", err)
	}
	_ = app.Close(ctx)

	final := naming.FinalSnapshotIdentifier(id, string(ready.UID))
	t.Run("DeleteTakesAFinalBackupFirst", func(t *testing.T) {
		if err := stack.Client.Delete(ctx, ready); err != nil {
			t.Fatal(err)
		}
		// Read the Cluster first, then the Backup: a Cluster seen going while the Backup
		// read after it is not complete went too early.
		var early string
		sawWait := false
		err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			c, ok := cluster(ctx, t, ns, db.Name)
			going := !ok || !c.DeletionTimestamp.IsZero()
			b := &cnpgv1.Backup{}
			err := stack.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: final}, b)
			if client.IgnoreNotFound(err) != nil {
				return false, err
			}
			completed := err == nil && b.Status.Phase == cnpgv1.BackupPhaseCompleted
			if going && !completed && early == "" {
				early = "the Cluster was going while the final Backup was " + string(b.Status.Phase) + " (or absent)"
			}
			sawWait = sawWait || !going && err == nil && !completed
			gone := stack.Client.Get(ctx, client.ObjectKeyFromObject(ready), &v1.RDSDatabase{})
			return !ok && client.IgnoreNotFound(gone) == nil && gone != nil, client.IgnoreNotFound(gone)
		})
		if err != nil {
			t.Fatalf("the object and its Cluster did not go: %v", err)
		}
		if early != "" {
			t.Error(early)
		}
		t.Logf("the Cluster was seen waiting for its final Backup: %v", sawWait)
		if !eventSays(t, ns, db.Name, v1.EventDeleteRequested, final) {
			t.Errorf("no %s Event names the final snapshot %s", v1.EventDeleteRequested, final)
		}
		b := &cnpgv1.Backup{}
		if err := stack.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: final}, b); err != nil {
			t.Fatalf("the final Backup once the Cluster went: %v", err)
		}
		tags := map[string]string{}
		if err := json.Unmarshal([]byte(b.Annotations[cloudnativepg.AnnotationTags]), &tags); err != nil || tags[v1.TagOwner] != naming.Owner(ns, db.Name) {
			t.Errorf("the final Backup's tags %v (%v): want the Cluster's, its owner %s among them", tags, err, naming.Owner(ns, db.Name))
		}
		if b.Spec.Cluster.Name != clusterName || b.Spec.Method != cnpgv1.BackupMethodVolumeSnapshot || len(b.OwnerReferences) != 0 {
			t.Errorf("the final Backup: cluster %s, method %s, owners %v: want a volume snapshot of %s, owned by nothing", b.Spec.Cluster.Name, b.Spec.Method, b.OwnerReferences, clusterName)
		}
		err = stack.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: clusterName + "-daily"}, &cnpgv1.ScheduledBackup{})
		if client.IgnoreNotFound(err) != nil || err == nil {
			t.Errorf("the daily ScheduledBackup once the Cluster went: %v, want it gone", err)
		}
	})

	t.Run("RestoreFromTheFinalBackup", func(t *testing.T) {
		restored := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders-restored"}}
		restored.Spec.Class = class.Name
		restored.Spec.Version = "17"
		restored.Spec.DeletionPolicy = v1.DeletionDelete
		restored.Spec.RestoreFrom = &v1.RestoreFrom{Snapshot: final}
		restored.Spec.Users = map[string]v1.UserRoles{"app": {}}
		restored.Spec.Databases = map[string]v1.DatabaseUsers{"orders": {"app"}}
		if err := stack.Client.Create(ctx, restored); err != nil {
			t.Fatal(err)
		}
		waitReady(t, restored)
		c, ok := cluster(ctx, t, ns, restored.Name)
		if !ok {
			t.Fatal("no Cluster for the restored object")
		}
		if b := c.Spec.Bootstrap; b == nil || b.Recovery == nil || b.Recovery.Backup == nil || b.Recovery.Backup.Name != final {
			t.Errorf("the restored Cluster's bootstrap %+v: want recovery from the Backup %s", b, final)
		}
		for _, name := range []string{"orders-restored.rds.master", "orders-restored.rds.app"} {
			if err := logsIn(ctx, string(secretData(t, ns, name)["uri"]), ""); err != nil {
				t.Errorf("%s does not log in to the restored database: %v", name, err)
			}
		}
		conn, err := loginWith(ctx, string(secretData(t, ns, "orders-restored.rds.app")["uri"]), "orders")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = conn.Close(ctx) }()
		var v string
		if err := conn.QueryRow(ctx, "SELECT v FROM kept").Scan(&v); err != nil || v != "in the final backup" {
			t.Errorf("the row read back from the restored database: %q, %v", v, err)
		}
	})
}
