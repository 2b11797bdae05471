package cnpgstandin

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// The labels CloudNativePG 1.30 puts on the Backups a ScheduledBackup makes.
const (
	labelScheduledBackup = "cnpg.io/scheduled-backup"
	labelImmediateBackup = "cnpg.io/immediateBackup"
	// annotationSnapshotDeadline is the one annotation a ScheduledBackup always passes on.
	annotationSnapshotDeadline = "cnpg.io/volumeSnapshotDeadline"
)

// The requeues of CloudNativePG's ScheduledBackup controller.
const (
	// runningBackupRequeue: a Backup of the schedule is still being taken (its end also
	// brings the ScheduledBackup back here).
	runningBackupRequeue = time.Minute
	// unhealthyClusterRequeue: an immediate volume snapshot waits for a healthy Cluster.
	unhealthyClusterRequeue = 5 * time.Second
	// collisionRequeue: the Backup of the iteration was made meanwhile; the next pass adopts it.
	collisionRequeue = time.Second
)

// scheduledBackupReconciler makes the Backups of each ScheduledBackup, as CloudNativePG's
// ScheduledBackup controller does: at once when immediate, then at each time of its
// schedule (seconds first, in UTC), one at a time, each named <scheduledbackup>-<time>.
type scheduledBackupReconciler struct {
	client client.Client
	// reader reads past the cache: the ScheduledBackup comes back here on the events of the
	// Backup it just made, perhaps before the cache has its new status, and a Backup made
	// twice (an immediate one) would be a second copy.
	reader client.Reader
	log    logr.Logger
}

// Reconcile implements reconcile.Reconciler.
func (r *scheduledBackupReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	result, err := r.reconcile(ctx, req)
	return result, quiet(ctx, err)
}

// reconcile makes the ScheduledBackup's Backup when one is due, and says when to look again.
func (r *scheduledBackupReconciler) reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	sb := &cnpgv1.ScheduledBackup{}
	if err := r.reader.Get(ctx, req.NamespacedName, sb); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if ptr.Deref(sb.Spec.Suspend, false) {
		return ctrl.Result{}, nil
	}
	var children cnpgv1.BackupList
	if err := r.reader.List(ctx, &children, client.InNamespace(sb.Namespace), client.MatchingLabels{labelScheduledBackup: sb.Name}); err != nil {
		return ctrl.Result{}, err
	}
	for i := range children.Items {
		if !backupDone(&children.Items[i]) {
			return ctrl.Result{RequeueAfter: runningBackupRequeue}, nil
		}
	}
	sched, err := parseSchedule(sb.Spec.Schedule)
	if err != nil {
		r.log.Info("Detected an invalid cron schedule", "scheduledBackup", req.NamespacedName, "schedule", sb.Spec.Schedule)
		return ctrl.Result{}, reconcile.TerminalError(err)
	}
	now := time.Now().UTC()
	if sched.next(now).IsZero() {
		r.log.Info("No time satisfying the schedule has been found", "scheduledBackup", req.NamespacedName, "schedule", sb.Spec.Schedule)
		return ctrl.Result{}, nil
	}
	switch {
	case sb.Status.LastCheckTime == nil && ptr.Deref(sb.Spec.Immediate, false):
		return r.immediate(ctx, sb, children.Items, sched, now)
	case sb.Status.LastCheckTime == nil:
		// The first look: the first Backup is at the schedule's next time.
		return r.advance(ctx, sb, nil, now, sched)
	}
	return r.iteration(ctx, sb, sched, now)
}

// immediate makes the Backup an immediate ScheduledBackup makes at once, or adopts the one
// an earlier reconcile made without recording it.
func (r *scheduledBackupReconciler) immediate(ctx context.Context, sb *cnpgv1.ScheduledBackup, children []cnpgv1.Backup, sched *schedule, now time.Time) (ctrl.Result, error) {
	if sb.Spec.Method == cnpgv1.BackupMethodVolumeSnapshot {
		// A cold snapshot while the Cluster is being made could stop its creation.
		c := &cnpgv1.Cluster{}
		err := r.reader.Get(ctx, client.ObjectKey{Namespace: sb.Namespace, Name: sb.Spec.Cluster.Name}, c)
		if err != nil || c.Status.Phase != cnpgv1.PhaseHealthy {
			return ctrl.Result{RequeueAfter: unhealthyClusterRequeue}, client.IgnoreNotFound(err)
		}
	}
	var made []cnpgv1.Backup
	for _, b := range children {
		if b.Labels[labelImmediateBackup] == "true" {
			made = append(made, b)
		}
	}
	if len(made) > 0 {
		oldest := slices.MinFunc(made, func(a, b cnpgv1.Backup) int { return a.CreationTimestamp.Compare(b.CreationTimestamp.Time) })
		return r.advance(ctx, sb, &oldest.CreationTimestamp.Time, now, sched)
	}
	return r.create(ctx, sb, now, now, sched, true)
}

// iteration makes the Backup of the schedule's next time after the last look, once it has
// come: named after that time, so that a retry finds the one it made.
func (r *scheduledBackupReconciler) iteration(ctx context.Context, sb *cnpgv1.ScheduledBackup, sched *schedule, now time.Time) (ctrl.Result, error) {
	next := sched.next(sb.Status.LastCheckTime.Time)
	if now.Before(next) {
		return ctrl.Result{RequeueAfter: next.Sub(now)}, nil
	}
	existing := &cnpgv1.Backup{}
	err := r.reader.Get(ctx, client.ObjectKey{Namespace: sb.Namespace, Name: scheduledBackupName(sb, next)}, existing)
	switch {
	case apierrors.IsNotFound(err):
		return r.create(ctx, sb, next, now, sched, false)
	case err != nil:
		return ctrl.Result{}, err
	case existing.Labels[labelScheduledBackup] == sb.Name:
		return r.advance(ctx, sb, &next, now, sched)
	}
	// Another's Backup has the iteration's name: the iteration is skipped, as CloudNativePG
	// skips it, the last schedule time left as it was.
	r.log.Info("Backup name collision; not adopting", "scheduledBackup", client.ObjectKeyFromObject(sb), "backup", existing.Name)
	return r.advance(ctx, sb, nil, now, sched)
}

// create makes the Backup of ScheduledBackup sb for time at, and records it.
func (r *scheduledBackupReconciler) create(ctx context.Context, sb *cnpgv1.ScheduledBackup, at, now time.Time, sched *schedule, immediate bool) (ctrl.Result, error) {
	var c *cnpgv1.Cluster
	if sb.Spec.BackupOwnerReference == "cluster" {
		c = &cnpgv1.Cluster{}
		if err := r.reader.Get(ctx, client.ObjectKey{Namespace: sb.Namespace, Name: sb.Spec.Cluster.Name}, c); err != nil {
			return ctrl.Result{}, err
		}
	}
	b := scheduledBackupObject(sb, c, at, immediate)
	if err := r.client.Create(ctx, b); apierrors.IsAlreadyExists(err) {
		return ctrl.Result{RequeueAfter: collisionRequeue}, nil // the next pass sees it and adopts it
	} else if err != nil {
		return ctrl.Result{}, fmt.Errorf("create Backup %s: %w", b.Name, err)
	}
	r.log.Info("Created backup", "scheduledBackup", client.ObjectKeyFromObject(sb), "backup", b.Name)
	return r.advance(ctx, sb, &at, now, sched)
}

// advance records the look at now and, when a Backup was made (or adopted) for time made,
// that time; then waits for the schedule's next time, which it records too but at the
// first look, as CloudNativePG does.
func (r *scheduledBackupReconciler) advance(ctx context.Context, sb *cnpgv1.ScheduledBackup, made *time.Time, now time.Time, sched *schedule) (ctrl.Result, error) {
	next := sched.next(now)
	before := sb.DeepCopy()
	firstLook := sb.Status.LastCheckTime == nil && made == nil
	sb.Status.LastCheckTime = &metav1.Time{Time: now}
	if made != nil {
		sb.Status.LastScheduleTime = &metav1.Time{Time: *made}
	}
	if !firstLook {
		sb.Status.NextScheduleTime = &metav1.Time{Time: next}
	}
	if err := r.client.Status().Patch(ctx, sb, client.MergeFrom(before)); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: next.Sub(now)}, nil
}

// scheduledBackupsOfCluster maps a Cluster to the ScheduledBackups of it: an immediate one
// waits for it to be healthy.
func (r *scheduledBackupReconciler) scheduledBackupsOfCluster(ctx context.Context, c client.Object) []reconcile.Request {
	var list cnpgv1.ScheduledBackupList
	if err := r.client.List(ctx, &list, client.InNamespace(c.GetNamespace())); err != nil {
		r.log.Error(err, "list the ScheduledBackups of a Cluster", "cluster", client.ObjectKeyFromObject(c))
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		if list.Items[i].Spec.Cluster.Name == c.GetName() {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return out
}

// parentOfBackup maps a Backup to the ScheduledBackup that made it, whose next Backup may
// wait for it to end.
func parentOfBackup(_ context.Context, b client.Object) []reconcile.Request {
	parent := b.GetLabels()[labelScheduledBackup]
	if parent == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: b.GetNamespace(), Name: parent}}}
}

// scheduledBackupName is the name of the Backup of ScheduledBackup sb for time at, as
// CloudNativePG's BackupName gives it: the time in compact ISO 8601, to the second.
func scheduledBackupName(sb *cnpgv1.ScheduledBackup, at time.Time) string {
	return sb.Name + "-" + at.UTC().Format("20060102150405")
}

// scheduledBackupObject builds the Backup of ScheduledBackup sb for time at as
// CloudNativePG's CreateBackup and createBackup do: sb's method, target and online
// settings, labelled with the Cluster, sb and whether it is the immediate one, owned as
// spec.backupOwnerReference says (c, read only for "cluster", lends its inherited metadata
// too).
func scheduledBackupObject(sb *cnpgv1.ScheduledBackup, c *cnpgv1.Cluster, at time.Time, immediate bool) *cnpgv1.Backup {
	b := &cnpgv1.Backup{
		ObjectMeta: metav1.ObjectMeta{
			Name: scheduledBackupName(sb, at), Namespace: sb.Namespace,
			Labels: map[string]string{
				labelCluster: sb.Spec.Cluster.Name, labelImmediateBackup: strconv.FormatBool(immediate), labelScheduledBackup: sb.Name,
			},
		},
		Spec: cnpgv1.BackupSpec{
			Cluster: sb.Spec.Cluster, Target: sb.Spec.Target, Method: sb.Spec.Method,
			Online: sb.Spec.Online, OnlineConfiguration: sb.Spec.OnlineConfiguration, PluginConfiguration: sb.Spec.PluginConfiguration,
		},
	}
	if v := sb.Annotations[annotationSnapshotDeadline]; v != "" {
		b.Annotations = map[string]string{annotationSnapshotDeadline: v}
	}
	switch sb.Spec.BackupOwnerReference {
	case "cluster":
		labels, annotations := inheritedMetadata(c)
		maps.Copy(b.Labels, labels)
		if len(annotations) > 0 {
			b.Annotations = merged(b.Annotations, annotations)
		}
		b.OwnerReferences = ownerReferences(c)
	case "self":
		b.OwnerReferences = []metav1.OwnerReference{{
			APIVersion: cnpgv1.SchemeGroupVersion.String(), Kind: "ScheduledBackup",
			Name: sb.Name, UID: sb.UID, Controller: ptr.To(true),
		}}
	}
	return b
}
