package cnpgstandin

import (
	"testing"
	"time"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func testBackup(name, cluster string, created int, phase cnpgv1.BackupPhase) cnpgv1.Backup {
	return cnpgv1.Backup{
		ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(time.Date(2026, 3, 10, 12, 0, created, 0, time.UTC))},
		Spec:       cnpgv1.BackupSpec{Cluster: cnpgv1.LocalObjectReference{Name: cluster}, Method: cnpgv1.BackupMethodVolumeSnapshot},
		Status:     cnpgv1.BackupStatus{Phase: phase},
	}
}

func TestCanExecute(t *testing.T) {
	cases := []struct {
		name    string
		backups []cnpgv1.Backup
		backup  string
		want    bool
		reason  string
	}{
		{
			name: "oldest pending", backup: "a", want: true,
			backups: []cnpgv1.Backup{testBackup("b", "db", 2, ""), testBackup("a", "db", 1, cnpgv1.BackupPhasePending)},
			reason:  "with none being taken, the oldest still to take goes first",
		},
		{
			name: "younger waits", backup: "b", want: false,
			backups: []cnpgv1.Backup{testBackup("b", "db", 2, ""), testBackup("a", "db", 1, cnpgv1.BackupPhasePending)},
			reason:  "a younger Backup waits for the older one",
		},
		{
			name: "same time, by name", backup: "a", want: true,
			backups: []cnpgv1.Backup{testBackup("b", "db", 1, ""), testBackup("a", "db", 1, "")},
			reason:  "Backups made in the same second go by name",
		},
		{
			name: "finished ones do not count", backup: "c", want: true,
			backups: []cnpgv1.Backup{
				testBackup("a", "db", 1, cnpgv1.BackupPhaseCompleted), testBackup("b", "db", 2, cnpgv1.BackupPhaseFailed), testBackup("c", "db", 3, ""),
			},
			reason: "completed and failed Backups are records, not in the queue",
		},
		{
			name: "executing goes on", backup: "b", want: true,
			backups: []cnpgv1.Backup{testBackup("a", "db", 1, ""), testBackup("b", "db", 2, cnpgv1.BackupPhaseStarted)},
			reason:  "a Backup being taken (left so by an earlier run) is taken again before any pending one",
		},
		{
			name: "pending waits for executing", backup: "a", want: false,
			backups: []cnpgv1.Backup{testBackup("a", "db", 1, ""), testBackup("b", "db", 2, cnpgv1.BackupPhaseRunning)},
			reason:  "even an older pending Backup waits for the one being taken",
		},
		{
			name: "other clusters", backup: "b", want: true,
			backups: []cnpgv1.Backup{testBackup("a", "other", 1, cnpgv1.BackupPhaseStarted), testBackup("b", "db", 2, "")},
			reason:  "the Backups of other Clusters do not hold one back",
		},
	}
	for _, c := range cases {
		if got := canExecute(c.backups, "db", c.backup); got != c.want {
			t.Errorf("%s: canExecute(%s) = %v, want %v: %s", c.name, c.backup, got, c.want, c.reason)
		}
	}
}

func TestMissingPrerequisite(t *testing.T) {
	snapshots := &cnpgv1.BackupConfiguration{VolumeSnapshot: &cnpgv1.VolumeSnapshotConfiguration{ClassName: "csi"}}
	withPlugin := testCluster()
	withPlugin.Spec.Plugins = []cnpgv1.PluginConfiguration{{Name: "barman-cloud.cloudnative-pg.io"}}
	withSnapshots := testCluster()
	withSnapshots.Spec.Backup = snapshots
	cases := []struct {
		name    string
		method  cnpgv1.BackupMethod
		cluster *cnpgv1.Cluster
		want    string
		reason  string
	}{
		{"plugin", cnpgv1.BackupMethodPlugin, withPlugin, "", "a plugin backup needs a plugin on the Cluster, nothing else"},
		{"no plugin", cnpgv1.BackupMethodPlugin, withSnapshots, "cannot proceed with the backup as the cluster has no plugin configured", "no plugin on the Cluster"},
		{"volume snapshot", cnpgv1.BackupMethodVolumeSnapshot, withSnapshots, "", "a volume snapshot needs spec.backup.volumeSnapshot"},
		{"no backup section", cnpgv1.BackupMethodVolumeSnapshot, withPlugin, "cannot proceed with the backup as the cluster has no backup section", "no spec.backup at all"},
		{"no barman section", cnpgv1.BackupMethodBarmanObjectStore, withSnapshots, "no barmanObjectStore section defined on the target cluster", "spec.backup without barmanObjectStore"},
	}
	for _, c := range cases {
		b := testBackup("b", "db", 0, "")
		b.Spec.Method = c.method
		if got := missingPrerequisite(&b, c.cluster); got != c.want {
			t.Errorf("%s: %q, want %q: %s", c.name, got, c.want, c.reason)
		}
	}
}

func TestBackupStatuses(t *testing.T) {
	started := metav1.NewTime(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	stopped := metav1.NewTime(time.Date(2026, 3, 10, 12, 0, 3, 0, time.UTC))
	c := testCluster()
	cold := testCluster()
	cold.Spec.Backup = &cnpgv1.BackupConfiguration{VolumeSnapshot: &cnpgv1.VolumeSnapshotConfiguration{Online: ptr.To(false)}}
	snapshot := testBackup("nightly", "db", 0, cnpgv1.BackupPhasePending)
	plugin := testBackup("manual", "db", 0, "")
	plugin.Spec.Method = cnpgv1.BackupMethodPlugin
	cases := []struct {
		name    string
		backup  cnpgv1.Backup
		cluster *cnpgv1.Cluster
		want    cnpgv1.BackupStatus
		reason  string
	}{
		{
			name: "volume snapshot", backup: snapshot, cluster: c,
			want: cnpgv1.BackupStatus{
				Phase: cnpgv1.BackupPhaseCompleted, Method: cnpgv1.BackupMethodVolumeSnapshot, MajorVersion: 16,
				InstanceID: &cnpgv1.InstanceID{PodName: "db-1"}, BackupID: "nightly", BackupName: "nightly",
				StartedAt: &started, ReconciliationStartedAt: &started, StoppedAt: &stopped, ReconciliationTerminatedAt: &stopped,
				Online:               ptr.To(true),
				BackupSnapshotStatus: cnpgv1.BackupSnapshotStatus{Elements: []cnpgv1.BackupSnapshotElementStatus{{Name: "nightly", Type: "PG_DATA"}}},
			},
			reason: "a volume snapshot is taken of the primary, named by its Backup, hot by default, one snapshot of PGDATA",
		},
		{
			name: "cold volume snapshot", backup: snapshot, cluster: cold,
			want: cnpgv1.BackupStatus{
				Phase: cnpgv1.BackupPhaseCompleted, Method: cnpgv1.BackupMethodVolumeSnapshot, MajorVersion: 16,
				InstanceID: &cnpgv1.InstanceID{PodName: "db-1"}, BackupID: "nightly", BackupName: "nightly",
				StartedAt: &started, ReconciliationStartedAt: &started, StoppedAt: &stopped, ReconciliationTerminatedAt: &stopped,
				Online:               ptr.To(false),
				BackupSnapshotStatus: cnpgv1.BackupSnapshotStatus{Elements: []cnpgv1.BackupSnapshotElementStatus{{Name: "nightly", Type: "PG_DATA"}}},
			},
			reason: "the Cluster's volumeSnapshot.online false is reported as asked",
		},
		{
			name: "plugin", backup: plugin, cluster: c,
			want: cnpgv1.BackupStatus{
				Phase: cnpgv1.BackupPhaseCompleted, Method: cnpgv1.BackupMethodPlugin, MajorVersion: 16,
				InstanceID: &cnpgv1.InstanceID{PodName: "db-1"}, BackupID: "manual", BackupName: "manual",
				StartedAt: &started, ReconciliationStartedAt: &started, StoppedAt: &stopped, ReconciliationTerminatedAt: &stopped,
				Online: ptr.To(true),
			},
			reason: "a plugin's backup has no volume snapshots",
		},
	}
	for _, tc := range cases {
		b := tc.backup
		b.Status = startedStatus(&b, tc.cluster, 16, started)
		if b.Status.Phase != cnpgv1.BackupPhaseStarted {
			t.Errorf("%s: started phase %q, want started", tc.name, b.Status.Phase)
		}
		got := completedStatus(&b, tc.cluster, stopped)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: %s: -want +got:\n%s", tc.name, tc.reason, diff)
		}
	}
}
