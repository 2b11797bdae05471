package cnpgstandin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
)

// backupsDir is the directory, under Options.Dir, of the copies the Backups took. No
// namespace can have its name.
const backupsDir = "_backups"

// pvcRolePgData is the role CloudNativePG gives the volume snapshot of PGDATA.
const pvcRolePgData = "PG_DATA"

// otherBackupRequeue is how soon a Backup waiting for another of its Cluster is tried again.
const otherBackupRequeue = time.Second

// backupPath is where the copy of Backup b is kept: by namespace and name, and its UID,
// since a Backup deleted and made again under its name (the provider's final backup, after
// a failure) is another copy.
func (s *StandIn) backupPath(b *cnpgv1.Backup) string {
	return filepath.Join(s.opts.Dir, backupsDir, b.Namespace, b.Name+"-"+string(b.UID)+".tar.gz")
}

// backupReconciler does for each Backup what CloudNativePG's backup controller, and the
// instance manager or plugin it hands the backup to, write of it: whatever the method, the
// copy is a physical base backup of the Cluster's server (pgserver's Backup), in place of
// the volume snapshots or the object store's backup.
type backupReconciler struct {
	client client.Client
	// reader reads past the cache, which may not have seen the stand-in's own last writes.
	reader client.Reader
	s      *StandIn
}

// Reconcile implements reconcile.Reconciler. A Backup waits, pending, for its Cluster to
// exist and serve; then it is taken, one Backup of a Cluster at a time, oldest first.
func (r *backupReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	// Each status write brings the Backup back here, perhaps before the cache has it: a
	// stale Backup would be taken again, or a finished one written back to pending. Read
	// past the cache, it shows what the last reconcile of it wrote.
	b := &cnpgv1.Backup{}
	if err := r.reader.Get(ctx, req.NamespacedName, b); err != nil {
		return ctrl.Result{}, quiet(ctx, client.IgnoreNotFound(err))
	}
	if backupDone(b) {
		return ctrl.Result{}, nil // a finished Backup is a record: never taken again
	}
	result, err := r.reconcile(ctx, b)
	if apierrors.IsConflict(err) {
		return ctrl.Result{RequeueAfter: conflictRequeue}, nil
	}
	return result, quiet(ctx, err)
}

// quiet is err, unless the stand-in is stopping: a request cut short then is no error.
func quiet(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil
	}
	return err
}

// reconcile takes Backup b, or says why it waits or cannot be taken.
func (r *backupReconciler) reconcile(ctx context.Context, b *cnpgv1.Backup) (ctrl.Result, error) {
	c := &cnpgv1.Cluster{}
	err := r.client.Get(ctx, client.ObjectKey{Namespace: b.Namespace, Name: b.Spec.Cluster.Name}, c)
	if apierrors.IsNotFound(err) {
		// CloudNativePG retries every 30 seconds; here the Cluster's creation brings it back.
		return ctrl.Result{}, r.writeStatus(ctx, b, pendingStatus(b.Status))
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	if why := missingPrerequisite(b, c); why != "" {
		return ctrl.Result{}, r.fail(ctx, b, errors.New(why))
	}
	p := r.s.primaryOf(c)
	if p == nil || !c.DeletionTimestamp.IsZero() {
		// No pod to back up: the Cluster's becoming healthy brings it back.
		return ctrl.Result{}, r.writeStatus(ctx, b, pendingStatus(b.Status))
	}
	p.backingUp.Lock()
	defer p.backingUp.Unlock()
	var list cnpgv1.BackupList
	if err := r.reader.List(ctx, &list, client.InNamespace(b.Namespace)); err != nil {
		return ctrl.Result{}, err
	}
	if !canExecute(list.Items, c.Name, b.Name) {
		return ctrl.Result{RequeueAfter: otherBackupRequeue}, r.writeStatus(ctx, b, pendingStatus(b.Status))
	}
	return ctrl.Result{}, r.take(ctx, b, c, p.srv)
}

// take takes Backup b of Cluster c, whose server is srv, writing its status as it goes: a
// failure to copy is the Backup's failure, not the reconcile's.
func (r *backupReconciler) take(ctx context.Context, b *cnpgv1.Backup, c *cnpgv1.Cluster, srv *pgserver.Server) error {
	log := r.s.opts.Log.WithValues("backup", client.ObjectKeyFromObject(b), "method", b.Spec.Method)
	if err := r.writeStatus(ctx, b, startedStatus(b, c, srv.Build.Major, metav1.Now())); err != nil {
		return err
	}
	log.Info("Starting backup", "cluster", c.Name)
	if b.Spec.Method == cnpgv1.BackupMethodBarmanObjectStore {
		// The instance manager's barman-cloud-backup runs meanwhile.
		if err := r.writeStatus(ctx, b, withPhase(b.Status, cnpgv1.BackupPhaseRunning)); err != nil {
			return err
		}
	}
	if err := srv.Backup(ctx, r.s.backupPath(b)); err != nil {
		log.Error(err, "Backup failed")
		return r.fail(ctx, b, fmt.Errorf("can't execute the backup: %w", err))
	}
	if b.Spec.Method == cnpgv1.BackupMethodVolumeSnapshot {
		// The snapshots are taken: CloudNativePG unfences the pod or ends the backup mode.
		if err := r.writeStatus(ctx, b, withPhase(b.Status, cnpgv1.BackupPhaseFinalizing)); err != nil {
			return err
		}
	}
	if err := r.writeStatus(ctx, b, completedStatus(b, c, metav1.Now())); err != nil {
		return err
	}
	log.Info("Backup completed")
	return nil
}

// fail writes that Backup b failed with err, as CloudNativePG's FlagBackupAsFailed does.
func (r *backupReconciler) fail(ctx context.Context, b *cnpgv1.Backup, err error) error {
	st := b.Status
	st.Phase, st.Error, st.Method = cnpgv1.BackupPhaseFailed, err.Error(), b.Spec.Method
	st.ReconciliationTerminatedAt = ptr.To(metav1.Now())
	return r.writeStatus(ctx, b, st)
}

// writeStatus writes st as b's status when that changes it, and keeps it in b; a conflict
// says that b was not the Backup as it is.
func (r *backupReconciler) writeStatus(ctx context.Context, b *cnpgv1.Backup, st cnpgv1.BackupStatus) error {
	if equality.Semantic.DeepEqual(b.Status, st) {
		return nil
	}
	before := b.DeepCopy()
	b.Status = st
	return r.client.Status().Patch(ctx, b, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
}

// backupsOfCluster maps a Cluster to its Backups still to take.
func (r *backupReconciler) backupsOfCluster(ctx context.Context, c client.Object) []reconcile.Request {
	var list cnpgv1.BackupList
	if err := r.client.List(ctx, &list, client.InNamespace(c.GetNamespace())); err != nil {
		r.s.opts.Log.Error(err, "list the Backups of a Cluster", "cluster", client.ObjectKeyFromObject(c))
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		if b := &list.Items[i]; b.Spec.Cluster.Name == c.GetName() && !backupDone(b) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(b)})
		}
	}
	return out
}

// backupDone reports whether a Backup has finished, well or not.
func backupDone(b *cnpgv1.Backup) bool {
	return b.Status.Phase == cnpgv1.BackupPhaseCompleted || b.Status.Phase == cnpgv1.BackupPhaseFailed
}

// backupExecuting reports whether a Backup is being taken, as CloudNativePG's IsExecuting.
func backupExecuting(b *cnpgv1.Backup) bool {
	return b.Status.Phase == cnpgv1.BackupPhaseStarted || b.Status.Phase == cnpgv1.BackupPhaseRunning
}

// canExecute reports whether Backup name of Cluster cluster may be taken now, among the
// Backups of its namespace, as CloudNativePG's CanExecuteBackup decides: the one being
// taken, else the oldest still to take (by creation, then name). Under the Cluster's lock
// a Backup seen executing was left so by an earlier run of the stand-in, and is taken again.
func canExecute(backups []cnpgv1.Backup, cluster, name string) bool {
	var ofCluster []*cnpgv1.Backup
	for i := range backups {
		if backups[i].Spec.Cluster.Name == cluster {
			ofCluster = append(ofCluster, &backups[i])
		}
	}
	slices.SortFunc(ofCluster, func(a, b *cnpgv1.Backup) int {
		return cmp.Or(a.CreationTimestamp.Compare(b.CreationTimestamp.Time), cmp.Compare(a.Name, b.Name))
	})
	for _, b := range ofCluster {
		if backupExecuting(b) {
			return b.Name == name
		}
	}
	for _, b := range ofCluster {
		if !backupDone(b) {
			return b.Name == name
		}
	}
	return false
}

// missingPrerequisite says why Backup b of Cluster c cannot be taken at all, as
// CloudNativePG's checkPrerequisites does; "" when it can.
func missingPrerequisite(b *cnpgv1.Backup, c *cnpgv1.Cluster) string {
	if b.Spec.Method == cnpgv1.BackupMethodPlugin {
		if len(c.Spec.Plugins) == 0 {
			return "cannot proceed with the backup as the cluster has no plugin configured"
		}
		return ""
	}
	if c.Spec.Backup == nil {
		return "cannot proceed with the backup as the cluster has no backup section"
	}
	if b.Spec.Method == cnpgv1.BackupMethodVolumeSnapshot && c.Spec.Backup.VolumeSnapshot == nil {
		return "no volumeSnapshot section defined on the target cluster"
	}
	if b.Spec.Method == cnpgv1.BackupMethodBarmanObjectStore && c.Spec.Backup.BarmanObjectStore == nil {
		return "no barmanObjectStore section defined on the target cluster"
	}
	return ""
}

// pendingStatus is st waiting: for its Cluster, or for another Backup of it.
func pendingStatus(st cnpgv1.BackupStatus) cnpgv1.BackupStatus {
	st.Phase, st.Error = cnpgv1.BackupPhasePending, ""
	return st
}

// withPhase is st in phase.
func withPhase(st cnpgv1.BackupStatus, phase cnpgv1.BackupPhase) cnpgv1.BackupStatus {
	st.Phase = phase
	return st
}

// startedStatus is the status of Backup b as it starts on the primary of Cluster c, which
// runs PostgreSQL major, at now: what CloudNativePG's backup controller writes (for a
// volume snapshot: the Backup's own name as its ID).
func startedStatus(b *cnpgv1.Backup, c *cnpgv1.Cluster, major int, now metav1.Time) cnpgv1.BackupStatus {
	st := b.Status
	st.Phase, st.Error, st.Method = cnpgv1.BackupPhaseStarted, "", b.Spec.Method
	st.MajorVersion = major
	st.InstanceID = &cnpgv1.InstanceID{PodName: instanceName(c, 1)}
	st.BackupID, st.BackupName = b.Name, b.Name
	st.ReconciliationStartedAt, st.StartedAt = &now, &now
	st.ReconciliationTerminatedAt, st.StoppedAt = nil, nil
	return st
}

// completedStatus is the status of Backup b of Cluster c once complete at now.
func completedStatus(b *cnpgv1.Backup, c *cnpgv1.Cluster, now metav1.Time) cnpgv1.BackupStatus {
	st := b.Status
	st.Phase, st.Error = cnpgv1.BackupPhaseCompleted, ""
	st.ReconciliationTerminatedAt, st.StoppedAt = &now, &now
	st.Online = ptr.To(online(b, c))
	if b.Spec.Method == cnpgv1.BackupMethodVolumeSnapshot {
		st.BackupSnapshotStatus.Elements = []cnpgv1.BackupSnapshotElementStatus{{Name: b.Name, Type: pvcRolePgData}}
	}
	return st
}

// online is whether the Backup asked to be taken hot (the default): the Backup's spec, else
// the Cluster's volume snapshot configuration. The stand-in's copy is always hot.
func online(b *cnpgv1.Backup, c *cnpgv1.Cluster) bool {
	if b.Spec.Online != nil {
		return *b.Spec.Online
	}
	if b.Spec.Method == cnpgv1.BackupMethodVolumeSnapshot && c.Spec.Backup != nil && c.Spec.Backup.VolumeSnapshot != nil && c.Spec.Backup.VolumeSnapshot.Online != nil {
		return *c.Spec.Backup.VolumeSnapshot.Online
	}
	return true
}
