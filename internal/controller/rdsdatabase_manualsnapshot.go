package controller

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// snapshotTokenPattern is what a request token (v1.AnnotationSnapshotRequest) must be: it
// goes into the snapshot's name, which must stay within the cloud's identifier rules.
var snapshotTokenPattern = regexp.MustCompile(`^[a-z0-9-]{1,63}$`)

// manualSnapshotVisible is how long after asking for a manual snapshot the cloud may take to
// list it: a cloud whose snapshots are made by a background job
// shows them a moment after the request. Not found later than that, it is gone.
const manualSnapshotVisible = 5 * time.Minute

// reconcileManualSnapshot takes one manual snapshot per request token set in
// v1.AnnotationSnapshotRequest, whatever spec.backup says, and follows it in
// status.backup.lastManualSnapshot until the cloud reports it complete. The snapshot is named
// after the token (naming.ManualSnapshotIdentifier) and the cloud's CreateSnapshot is
// idempotent, so a request asked for again after a crash or a lost status write finds its
// snapshot instead of taking a second one. It is tagged v1.BackupManual, which the schedule's
// pruning never deletes.
//
// It runs after reconcileBackups, which sets BackupsConfigured for the pass; a malformed
// token overrides that with the refusal.
func (r *RDSDatabaseReconciler) reconcileManualSnapshot(ctx context.Context, s *scope) (ctrl.Result, error) {
	db := s.db
	token, asked := db.Annotations[v1.AnnotationSnapshotRequest]
	if !asked {
		return ctrl.Result{}, nil
	}
	if !snapshotTokenPattern.MatchString(token) {
		r.refuseSnapshotRequest(s, token)
		return ctrl.Result{}, nil
	}
	if db.Status.Backup == nil {
		db.Status.Backup = &v1.BackupStatus{Mode: backupModeAutomated}
	}
	last := db.Status.Backup.LastManualSnapshot
	if last != nil && last.Request == token {
		if last.Complete {
			return ctrl.Result{}, nil
		}
		return r.followManualSnapshot(ctx, s, last)
	}

	if s.instance.Phase != cloud.PhaseAvailable {
		s.soon = true // a snapshot needs an idle database: asked for once it is
		return ctrl.Result{}, nil
	}
	name := naming.ManualSnapshotIdentifier(s.identifier, token)
	tags := map[string]string{v1.TagOwner: naming.Owner(db.Namespace, db.Name), v1.TagManagedBy: v1.ManagedByValue, v1.TagBackup: v1.BackupManual}
	if err := s.cloud.CreateSnapshot(ctx, s.identifier, name, tags); err != nil {
		return r.manualSnapshotFailed(s, name, token, err)
	}
	at := metav1.NewTime(r.now())
	db.Status.Backup.LastManualSnapshot = &v1.ManualSnapshotStatus{Request: token, Snapshot: name, RequestedAt: &at}
	// Said once the status holding the request is written: a pass whose write is lost asks
	// the cloud again (finding the same snapshot) and says it then.
	s.events = append(s.events, pendingEvent{eventType: corev1.EventTypeNormal, reason: v1.EventManualSnapshotRequested, subject: name,
		note: fmt.Sprintf("Taking manual snapshot %s (request %s)", name, token)})
	s.soon = true // the cloud has just begun it: look at it on the next pass
	return ctrl.Result{}, nil
}

// followManualSnapshot looks once at the snapshot last asked for, not complete yet, and shows
// the cloud's word for it; once the cloud reports it available it is complete, and said so.
func (r *RDSDatabaseReconciler) followManualSnapshot(ctx context.Context, s *scope, last *v1.ManualSnapshotStatus) (ctrl.Result, error) {
	snap, found, err := s.cloud.Snapshot(ctx, last.Snapshot)
	if err != nil {
		return r.manualSnapshotFailed(s, last.Snapshot, last.Request, err)
	}
	if !found {
		if last.RequestedAt != nil && r.now().Sub(last.RequestedAt.Time) < manualSnapshotVisible {
			s.soon = true // not listed yet
			return ctrl.Result{}, nil
		}
		// Looked at again at each resync, in case the cloud lists it late after all.
		r.warnOnce(s.db, v1.EventManualSnapshotMissing, fmt.Sprintf(
			"Manual snapshot %s (request %s) is not in the cloud: it was deleted, or the cloud dropped it. Ask for another with a new value of annotation %s",
			last.Snapshot, last.Request, v1.AnnotationSnapshotRequest))
		return ctrl.Result{}, nil
	}
	last.Status = snap.Status
	if !snap.Available {
		s.soon = true
		return ctrl.Result{}, nil
	}
	last.Complete = true
	s.events = append(s.events, pendingEvent{eventType: corev1.EventTypeNormal, reason: v1.EventManualSnapshotCompleted, subject: last.Snapshot,
		note: fmt.Sprintf("Manual snapshot %s (request %s) is complete", last.Snapshot, last.Request)})
	return ctrl.Result{}, nil
}

// manualSnapshotFailed records a failed call for a manual snapshot as the schedule's are
// (backupFailed). A database too busy for it now is waited for, not failed, and a cloud
// without snapshots is not asked again sooner than the resync.
func (r *RDSDatabaseReconciler) manualSnapshotFailed(s *scope, name, token string, err error) (ctrl.Result, error) {
	if errors.Is(err, cloud.ErrBusy) {
		s.soon = true
		return ctrl.Result{}, nil
	}
	result, ferr := r.backupFailed(s, fmt.Errorf("manual snapshot %s (request %s): %w", name, token, err))
	if errors.Is(err, cloud.ErrUnsupported) {
		return ctrl.Result{}, nil // asking again never helps
	}
	return result, ferr
}

// refuseSnapshotRequest says in BackupsConfigured, and in a Warning Event when it was not
// said already, that the request token is malformed and ignored. The backups phase set the
// condition for this pass just before; when the object read already held this refusal,
// nothing changed, so neither that phase's announcement nor this one is sent.
func (r *RDSDatabaseReconciler) refuseSnapshotRequest(s *scope, token string) {
	message := fmt.Sprintf("annotation %s=%q is ignored: a request token is 1 to 63 lowercase letters, digits and hyphens, e.g. the output of date +%%s",
		v1.AnnotationSnapshotRequest, token)
	overridden := meta.FindStatusCondition(s.db.Status.Conditions, v1.ConditionBackupsConfigured)
	var overriddenCond metav1.Condition
	if overridden != nil {
		overriddenCond = *overridden
	}
	s.announce(v1.ConditionBackupsConfigured, metav1.ConditionFalse, v1.ReasonSnapshotRequestInvalid, message, corev1.EventTypeWarning, "")
	before := meta.FindStatusCondition(s.before.Status.Conditions, v1.ConditionBackupsConfigured)
	if before == nil || before.Status != metav1.ConditionFalse || before.Reason != v1.ReasonSnapshotRequestInvalid ||
		before.Message != message || before.ObservedGeneration != s.db.Generation {
		return
	}
	s.events = slices.DeleteFunc(s.events, func(e pendingEvent) bool {
		return (e.reason == v1.ReasonSnapshotRequestInvalid && e.note == message) ||
			(overridden != nil && e.reason == overriddenCond.Reason && e.note == overriddenCond.Message)
	})
}
