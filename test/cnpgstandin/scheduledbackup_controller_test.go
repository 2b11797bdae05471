package cnpgstandin

import (
	"testing"
	"time"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestScheduledBackupObject(t *testing.T) {
	at := time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC)
	schedule := func(owner string) *cnpgv1.ScheduledBackup {
		return &cnpgv1.ScheduledBackup{
			ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "db-daily", UID: "sb-uid", Annotations: map[string]string{
				"cnpg.io/volumeSnapshotDeadline": "20", "team": "not inherited",
			}},
			Spec: cnpgv1.ScheduledBackupSpec{
				Schedule: "0 0 3 * * *", Cluster: cnpgv1.LocalObjectReference{Name: "db"}, BackupOwnerReference: owner,
				Method: cnpgv1.BackupMethodVolumeSnapshot, Online: ptr.To(false),
			},
		}
	}
	inheriting := testCluster()
	inheriting.Spec.InheritedMetadata = &cnpgv1.EmbeddedObjectMetadata{Labels: map[string]string{"env": "prod"}, Annotations: map[string]string{"owner": "team-a"}}
	want := func(labels, annotations map[string]string, owners []metav1.OwnerReference) *cnpgv1.Backup {
		l := map[string]string{"cnpg.io/cluster": "db", "cnpg.io/immediateBackup": "false", "cnpg.io/scheduled-backup": "db-daily"}
		for k, v := range labels {
			l[k] = v
		}
		a := map[string]string{"cnpg.io/volumeSnapshotDeadline": "20"}
		for k, v := range annotations {
			a[k] = v
		}
		return &cnpgv1.Backup{
			ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "db-daily-20260310030000", Labels: l, Annotations: a, OwnerReferences: owners},
			Spec: cnpgv1.BackupSpec{
				Cluster: cnpgv1.LocalObjectReference{Name: "db"}, Method: cnpgv1.BackupMethodVolumeSnapshot, Online: ptr.To(false),
			},
		}
	}
	cases := []struct {
		name    string
		sb      *cnpgv1.ScheduledBackup
		cluster *cnpgv1.Cluster
		want    *cnpgv1.Backup
		reason  string
	}{
		{
			name: "none", sb: schedule("none"), want: want(nil, nil, nil),
			reason: "owned by nothing, a Backup outlives its Cluster and its schedule; named after its time, labelled",
		},
		{
			name: "self", sb: schedule("self"),
			want: want(nil, nil, []metav1.OwnerReference{{
				APIVersion: "postgresql.cnpg.io/v1", Kind: "ScheduledBackup", Name: "db-daily", UID: "sb-uid", Controller: ptr.To(true),
			}}),
			reason: "self: the ScheduledBackup owns its Backups",
		},
		{
			name: "cluster", sb: schedule("cluster"), cluster: inheriting,
			want: want(map[string]string{"env": "prod"}, map[string]string{"owner": "team-a"}, []metav1.OwnerReference{{
				APIVersion: "postgresql.cnpg.io/v1", Kind: "Cluster", Name: "db", UID: "uid-1", Controller: ptr.To(true),
			}}),
			reason: "cluster: the Cluster owns its Backups, which carry its inherited metadata",
		},
	}
	for _, c := range cases {
		got := scheduledBackupObject(c.sb, c.cluster, at, false)
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s: %s: -want +got:\n%s", c.name, c.reason, diff)
		}
	}
}
