package cnpgstandin_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestBackupAndRecovery is the provider's backup story: a Backup made before its Cluster
// waits, pending, and a Cluster recovering from it waits, setting up; once the Cluster
// serves, the Backup is taken and completes as CloudNativePG reports it; its copy outlives
// the Cluster; the recovering Cluster starts on it, with the backup's data and passwords,
// its own owner made and given its Secret's password.
func TestBackupAndRecovery(t *testing.T) {
	setup(t)
	ctx := context.Background()
	ns := namespace(t)

	// The Backup and the recovering Cluster come first: both wait.
	early := volumeSnapshotBackup(ns, "early", "shop")
	copyOf := newCluster(ns, "copy", "ghcr.io/cloudnative-pg/postgresql:17")
	copyOf.Spec.Managed = nil
	copyOf.Spec.Bootstrap = &cnpgv1.BootstrapConfiguration{Recovery: &cnpgv1.BootstrapRecovery{
		Backup:   &cnpgv1.BackupSource{LocalObjectReference: cnpgv1.LocalObjectReference{Name: "early"}},
		Database: "app", Owner: "analyst", Secret: &cnpgv1.LocalObjectReference{Name: "copy-analyst"},
	}}
	for _, obj := range []client.Object{early, masterSecret(ns, "copy-analyst", "analyst", "analyst-1"), copyOf} {
		if err := env.client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	pending := waitBackup(t, early, func(b *cnpgv1.Backup) bool { return b.Status.Phase != "" })
	if pending.Status.Phase != cnpgv1.BackupPhasePending {
		t.Errorf("a Backup of a Cluster not there yet: phase %q, want pending", pending.Status.Phase)
	}
	waiting := waitCluster(t, copyOf, func(c *cnpgv1.Cluster) bool { return c.Status.PhaseReason != "" })
	if waiting.Status.Phase != cnpgv1.PhaseFirstPrimary || !strings.Contains(waiting.Status.PhaseReason, "early") {
		t.Errorf("a Cluster recovering from a Backup not completed: phase %q (%s), want %q naming the Backup",
			waiting.Status.Phase, waiting.Status.PhaseReason, cnpgv1.PhaseFirstPrimary)
	}

	// The Cluster comes, with data made at initdb: the Backup, taken as soon as it
	// serves, has it.
	shop := newCluster(ns, "shop", "ghcr.io/cloudnative-pg/postgresql:17")
	shop.Spec.Backup = &cnpgv1.BackupConfiguration{VolumeSnapshot: &cnpgv1.VolumeSnapshotConfiguration{
		ClassName: "csi-snap", SnapshotOwnerReference: cnpgv1.SnapshotOwnerReferenceNone,
	}}
	shop.Spec.Bootstrap.InitDB.PostInitSQL = []string{
		`CREATE TABLE kept (v text)`, `INSERT INTO kept VALUES ('in the backup')`, `GRANT SELECT ON kept TO master`,
	}
	for _, obj := range []client.Object{masterSecret(ns, "shop-master", "master", "master-1"), shop} {
		if err := env.client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	waitHealthy(t, shop)
	done := waitBackup(t, early, func(b *cnpgv1.Backup) bool {
		return b.Status.Phase == cnpgv1.BackupPhaseCompleted || b.Status.Phase == cnpgv1.BackupPhaseFailed
	})
	st := done.Status
	if st.Phase != cnpgv1.BackupPhaseCompleted || st.Error != "" {
		t.Fatalf("the Backup of a serving Cluster: phase %q, error %q: want completed", st.Phase, st.Error)
	}
	if st.Method != cnpgv1.BackupMethodVolumeSnapshot || st.BackupID != "early" || st.InstanceID == nil || st.InstanceID.PodName != "shop-1" ||
		st.StartedAt == nil || st.StoppedAt == nil || st.StoppedAt.Before(st.StartedAt) || st.Online == nil || !*st.Online ||
		len(st.BackupSnapshotStatus.Elements) != 1 {
		t.Errorf("the completed Backup's status %+v: want method volumeSnapshot, backupId early, instanceID shop-1, started then stopped, online, one snapshot", st)
	}

	// The copy outlives its Cluster.
	if err := env.client.Delete(ctx, shop); err != nil {
		t.Fatal(err)
	}
	copies := filepath.Join(env.dir, "_backups", ns, "early-"+string(done.UID)+".tar.gz")
	err := harness.WaitFor(ctx, timeout, func(ctx context.Context) (bool, error) {
		err := env.client.Get(ctx, client.ObjectKeyFromObject(shop), &cnpgv1.Cluster{})
		return client.IgnoreNotFound(err) == nil && err != nil, client.IgnoreNotFound(err)
	})
	if err != nil {
		t.Fatalf("the Cluster shop was not deleted: %v", err)
	}
	if _, err := os.Stat(copies); err != nil {
		t.Errorf("the Backup's copy once its Cluster is gone: %v", err)
	}

	// The recovering Cluster serves the backup's data; its owner, which the backup did
	// not have, is made and logs in with its Secret's password; the backup's roles keep
	// theirs.
	waitHealthy(t, copyOf)
	if err := login(ctx, "copy-rw."+ns, "analyst", "analyst-1"); err != nil {
		t.Errorf("the recovery's owner, new to the backup, with its Secret's password: %v", err)
	}
	conn, err := connect(ctx, "copy-rw."+ns, "master", "master-1", "postgres", nil)
	if err != nil {
		t.Fatalf("the backup's role master, with the password it had: %v", err)
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, `SELECT v FROM kept`).Scan(&v); err != nil || v != "in the backup" {
		t.Errorf("the recovered data: %q, %v: want the row made before the backup", v, err)
	}

	// A volume snapshot of a Cluster without spec.backup fails, as CloudNativePG says.
	nosection := volumeSnapshotBackup(ns, "nosection", "copy")
	if err := env.client.Create(ctx, nosection); err != nil {
		t.Fatal(err)
	}
	failed := waitBackup(t, nosection, func(b *cnpgv1.Backup) bool { return b.Status.Phase == cnpgv1.BackupPhaseFailed })
	if !strings.Contains(failed.Status.Error, "no backup section") {
		t.Errorf("the failed Backup's error %q: want it to say the Cluster has no backup section", failed.Status.Error)
	}
}

// TestScheduledBackups: an immediate ScheduledBackup makes a Backup at once; a schedule
// makes one at each of its times (six fields, seconds first); each is named after its time,
// labelled with its ScheduledBackup and Cluster, and owned as backupOwnerReference says.
func TestScheduledBackups(t *testing.T) {
	setup(t)
	ctx := context.Background()
	ns := namespace(t)
	c := newCluster(ns, "nightly", "ghcr.io/cloudnative-pg/postgresql:17")
	c.Spec.Plugins = []cnpgv1.PluginConfiguration{{Name: "barman-cloud.cloudnative-pg.io", IsWALArchiver: ptr.To(true)}}
	c.Spec.Backup = &cnpgv1.BackupConfiguration{VolumeSnapshot: &cnpgv1.VolumeSnapshotConfiguration{ClassName: "csi-snap"}}
	for _, obj := range []client.Object{masterSecret(ns, "nightly-master", "master", "master-1"), c} {
		if err := env.client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	c = waitHealthy(t, c)

	yearly := &cnpgv1.ScheduledBackup{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "yearly"}, Spec: cnpgv1.ScheduledBackupSpec{
		Schedule: "0 0 0 1 1 *", Immediate: ptr.To(true), Cluster: cnpgv1.LocalObjectReference{Name: "nightly"},
		BackupOwnerReference: "self", Method: cnpgv1.BackupMethodPlugin,
		PluginConfiguration: &cnpgv1.BackupPluginConfiguration{Name: "barman-cloud.cloudnative-pg.io"},
	}}
	often := &cnpgv1.ScheduledBackup{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "often"}, Spec: cnpgv1.ScheduledBackupSpec{
		Schedule: "*/2 * * * * *", Cluster: cnpgv1.LocalObjectReference{Name: "nightly"},
		BackupOwnerReference: "cluster", Method: cnpgv1.BackupMethodVolumeSnapshot,
	}}
	for _, obj := range []client.Object{yearly, often} {
		if err := env.client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}

	// Immediate: one Backup at once, owned by its ScheduledBackup, and the schedule's next
	// time recorded.
	made := waitBackups(t, ns, "yearly", 1)
	b := made[0]
	if b.Labels["cnpg.io/cluster"] != "nightly" || b.Labels["cnpg.io/immediateBackup"] != "true" || !strings.HasPrefix(b.Name, "yearly-") ||
		len(b.OwnerReferences) != 1 || b.OwnerReferences[0].Kind != "ScheduledBackup" || b.OwnerReferences[0].UID != yearly.UID {
		t.Errorf("the immediate Backup %s: labels %v, owners %v: want yearly-<time>, labelled immediate for nightly, owned by the ScheduledBackup", b.Name, b.Labels, b.OwnerReferences)
	}
	if b.Spec.Method != cnpgv1.BackupMethodPlugin || b.Spec.PluginConfiguration == nil || b.Status.Method != cnpgv1.BackupMethodPlugin {
		t.Errorf("the immediate Backup's spec %+v, status method %q: want the ScheduledBackup's plugin", b.Spec, b.Status.Method)
	}
	got := &cnpgv1.ScheduledBackup{}
	err := harness.WaitFor(ctx, timeout, func(ctx context.Context) (bool, error) {
		err := env.client.Get(ctx, client.ObjectKeyFromObject(yearly), got)
		return err == nil && got.Status.LastScheduleTime != nil, err
	})
	if err != nil {
		t.Fatalf("yearly's status once its Backup is made: %v (%+v)", err, got.Status)
	}
	if next := got.Status.NextScheduleTime; next == nil || next.UTC().Month() != time.January || next.UTC().Day() != 1 || next.UTC().Hour() != 0 {
		t.Errorf("yearly's status.nextScheduleTime %v: want the 1st of January, 00:00:00 UTC", next)
	}

	// The schedule: a Backup at each even second, named after it (not at once: the first
	// look only records the time), owned by the Cluster.
	made = waitBackups(t, ns, "often", 2)
	if err := env.client.Get(ctx, client.ObjectKeyFromObject(often), often); err != nil {
		t.Fatal(err)
	}
	before := often.DeepCopy()
	often.Spec.Suspend = ptr.To(true)
	if err := env.client.Patch(ctx, often, client.MergeFrom(before)); err != nil {
		t.Fatal(err)
	}
	for _, b := range made {
		at, err := time.Parse("20060102150405", strings.TrimPrefix(b.Name, "often-"))
		if err != nil || at.Second()%2 != 0 || at.Before(often.CreationTimestamp.Time) {
			t.Errorf("Backup %s (%v): want named often-<an even second after the ScheduledBackup's creation, %s>", b.Name, err, often.CreationTimestamp.UTC())
		}
		if b.Labels["cnpg.io/immediateBackup"] != "false" || len(b.OwnerReferences) != 1 || b.OwnerReferences[0].Kind != "Cluster" || b.OwnerReferences[0].UID != c.UID {
			t.Errorf("Backup %s: labels %v, owners %v: want not immediate, owned by the Cluster", b.Name, b.Labels, b.OwnerReferences)
		}
	}
}

// volumeSnapshotBackup is a Backup of cluster as the provider makes it.
func volumeSnapshotBackup(ns, name, cluster string) *cnpgv1.Backup {
	return &cnpgv1.Backup{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: cnpgv1.BackupSpec{
		Cluster: cnpgv1.LocalObjectReference{Name: cluster}, Method: cnpgv1.BackupMethodVolumeSnapshot,
	}}
}

// waitBackup waits until the Backup satisfies cond and returns it.
func waitBackup(t *testing.T, b *cnpgv1.Backup, cond func(*cnpgv1.Backup) bool) *cnpgv1.Backup {
	t.Helper()
	got := &cnpgv1.Backup{}
	err := harness.WaitFor(context.Background(), timeout, func(ctx context.Context) (bool, error) {
		if err := env.client.Get(ctx, client.ObjectKeyFromObject(b), got); err != nil {
			return false, err
		}
		return cond(got), nil
	})
	if err != nil {
		t.Fatalf("Backup %s: %v (status %+v)", b.Name, err, got.Status)
	}
	return got
}

// waitBackups waits until the ScheduledBackup named parent has made n completed Backups and
// returns them.
func waitBackups(t *testing.T, ns, parent string, n int) []cnpgv1.Backup {
	t.Helper()
	var done []cnpgv1.Backup
	err := harness.WaitFor(context.Background(), timeout, func(ctx context.Context) (bool, error) {
		var list cnpgv1.BackupList
		if err := env.client.List(ctx, &list, client.InNamespace(ns), client.MatchingLabels{"cnpg.io/scheduled-backup": parent}); err != nil {
			return false, err
		}
		done = done[:0]
		for _, b := range list.Items {
			if b.Status.Phase == cnpgv1.BackupPhaseCompleted {
				done = append(done, b)
			}
		}
		return len(done) >= n, nil
	})
	if err != nil {
		t.Fatalf("the Backups of ScheduledBackup %s: %v (%d completed, want %d)", parent, err, len(done), n)
	}
	return done
}
