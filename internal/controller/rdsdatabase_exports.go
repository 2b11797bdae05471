package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// automatedExportCheck is how often the cloud's automated backups of a database with
// spec.backup.export are looked at for one not exported yet: they are taken once a day.
const automatedExportCheck = 12 * time.Hour

// reconcileExports copies backups to cold storage as spec.backup.export says: the snapshot
// the schedule took last, the last one asked for on demand once complete, and the newest of
// the cloud's automated backups. Each export is
// named after its snapshot (naming.ExportIdentifier), so asking again, after a crash or
// before the shared view shows the export, never exports a snapshot twice. The exports are
// read from the shared view of the cloud, not asked for one object at a time.
func (r *RDSDatabaseReconciler) reconcileExports(ctx context.Context, s *scope) (ctrl.Result, error) {
	db := s.db
	ex := db.Spec.Backup.Export
	if ex == nil {
		if db.Status.Backup != nil {
			db.Status.Backup.LastExport = nil
		}
		return ctrl.Result{}, nil
	}
	exports, err := s.cloud.Exports(ctx)
	if err != nil {
		return r.exportFailed(s, err)
	}
	mine := exportsOf(exports, s.identifier)
	r.mirrorLastExport(s, mine)
	// Each call below waits for its own turn under the rate limit: what a pass learned is
	// kept for the next (exportCheck), so a pass whose later call was deferred does not
	// ask again what it already knows and lose that call's turn to a look-up.
	key := types.NamespacedName{Namespace: db.Namespace, Name: db.Name}
	check, _ := r.exportChecks.Load(key)
	state, _ := check.(exportCheck)
	if !state.at.IsZero() && r.now().Sub(state.at) >= automatedExportCheck {
		// Twice a day everything is looked at afresh: a backup deleted while its export
		// was pending is not asked for again and again.
		state = exportCheck{}
	}
	state.pending = slices.DeleteFunc(slices.Clone(state.pending), func(snap cloud.Snapshot) bool {
		return exported(mine, s.identifier, snap.Identifier)
	})
	defer func() { r.exportChecks.Store(key, state) }()
	for _, e := range mine {
		// The cloud exports in parts and waits to be asked for the next; an export into
		// another bucket or prefix than the spec's now is left as it is.
		if e.Phase != cloud.ExportPartial || e.Bucket != ex.Bucket || strings.Trim(e.Prefix, "/") != strings.Trim(ex.Prefix, "/") || slices.Contains(state.stuck, e.Identifier) {
			continue
		}
		if err := r.resumeExport(ctx, s, e); err != nil {
			if !errors.Is(err, cloud.ErrUnsupported) {
				return r.exportFailed(s, err)
			}
			// It can go no further: said, not asked again before the half-daily fresh look,
			// and the other backups are exported all the same.
			r.warnOnce(db, v1.EventExportFailed, fmt.Sprintf("Export %s stays partial: %s", e.Identifier, refusal(err)))
			state.stuck = append(state.stuck, e.Identifier)
		}
	}

	if st := db.Status.Backup; st != nil && st.LatestSnapshot != "" && !exported(mine, s.identifier, st.LatestSnapshot) && !state.has(st.LatestSnapshot) {
		snap, found, err := s.cloud.Snapshot(ctx, st.LatestSnapshot)
		if err != nil {
			return r.exportFailed(s, err)
		}
		switch {
		case found && snap.Available:
			state.pending = append(state.pending, snap)
		case found:
			s.soon = true // still being taken: export it once it is complete
		}
	}
	if st := db.Status.Backup; st != nil && st.LastManualSnapshot != nil && st.LastManualSnapshot.Complete {
		// A snapshot asked for on demand is a backup the operator took too. Complete, it
		// is there to export; its ARN is looked up by the export itself.
		if name := st.LastManualSnapshot.Snapshot; !exported(mine, s.identifier, name) && !state.has(name) {
			state.pending = append(state.pending, cloud.Snapshot{Identifier: name, Available: true})
		}
	}
	if state.at.IsZero() {
		backups, err := s.cloud.AutomatedBackups(ctx, s.identifier)
		if err != nil {
			return r.exportFailed(s, err)
		}
		if newest, ok := newestAvailable(backups); ok && !exported(mine, s.identifier, newest.Identifier) && !state.has(newest.Identifier) {
			state.pending = append(state.pending, newest)
		}
		state.at = r.now()
	}
	for len(state.pending) > 0 {
		if err := r.startExport(ctx, s, state.pending[0]); err != nil {
			return r.exportFailed(s, err)
		}
		state.pending = state.pending[1:]
	}
	return ctrl.Result{}, nil
}

// exportCheck is what reconcileExports keeps of one object between passes: when its
// automated backups were last looked at, the complete backups found to export whose export
// has not started yet, oldest found first, and the partial exports that can go no further.
type exportCheck struct {
	at      time.Time
	pending []cloud.Snapshot
	// stuck are partial exports the cloud cannot take further.
	stuck []string
}

// has reports whether snapshot is pending.
func (c exportCheck) has(snapshot string) bool {
	return slices.ContainsFunc(c.pending, func(snap cloud.Snapshot) bool { return snap.Identifier == snapshot })
}

// exportFinalSnapshot exports the final snapshot, once complete, when spec.backup.export asks
// for exports, and reports whether the object may go. The snapshot is kept whatever happens
// to its export: an export the cloud refuses is said in a Warning Event, and the deletion
// goes on rather than waiting on a bucket or role that may never be fixed.
func (r *RDSDatabaseReconciler) exportFinalSnapshot(ctx context.Context, s *scope) (bool, error) {
	db := s.db
	if db.Spec.Backup.Export == nil || deletionPolicyOf(s) != v1.DeletionSnapshot || s.cloud.ExportsLive() {
		return true, nil // a cloud that exports live data did so before the delete
	}
	name, _ := finalSnapshot(s)
	snap, found, err := s.cloud.Snapshot(ctx, name.FinalSnapshotIdentifier)
	switch {
	case err != nil:
		return false, err
	case !found:
		// Deleted outside the operator, without the final snapshot: nothing to export.
		r.event(db, corev1.EventTypeWarning, v1.EventExportFailed, "No final snapshot %s to export: the cloud database went without it", name.FinalSnapshotIdentifier)
		return true, nil
	case !snap.Available:
		setCondition(db, v1.ConditionBackupsConfigured, metav1.ConditionFalse, v1.ReasonBackupPending,
			fmt.Sprintf("waiting for final snapshot %s to complete, to export it", snap.Identifier))
		return false, nil
	}
	err = r.startExport(ctx, s, snap)
	if _, wait := cloud.RetryAfter(err); wait || errors.Is(err, cloud.ErrTransient) {
		return false, err
	}
	if err != nil {
		r.event(db, corev1.EventTypeWarning, v1.EventExportFailed, "Final snapshot %s is kept but was not exported: %s", snap.Identifier, refusal(err))
	}
	return true, nil
}

// exportBeforeDelete exports the database once more, as the export of its final snapshot,
// before it is deleted, when spec.backup.export asks for exports and the cloud exports live
// data (cloud.Provider.ExportsLive), and reports whether the delete may go on: the export
// ended, whatever its outcome, or could not start. As after a delete elsewhere, an export the
// cloud refuses is said in a Warning Event and does not hold the deletion up; the final
// snapshot is taken either way.
func (r *RDSDatabaseReconciler) exportBeforeDelete(ctx context.Context, s *scope, in cloud.Instance) (bool, error) {
	db := s.db
	if db.Spec.Backup.Export == nil || deletionPolicyOf(s) != v1.DeletionSnapshot || !s.cloud.ExportsLive() {
		return true, nil
	}
	name, _ := finalSnapshot(s)
	if in.Phase == cloud.PhaseStopped || in.Phase == cloud.PhaseFailed {
		r.event(db, corev1.EventTypeWarning, v1.EventExportFailed, "The database was not exported before its deletion: it is %s (status %s); final snapshot %s is taken all the same",
			strings.ToLower(string(in.Phase)), in.Status, name.FinalSnapshotIdentifier)
		return true, nil
	}
	task := naming.ExportIdentifier(s.identifier, name.FinalSnapshotIdentifier)
	exports, err := s.cloud.Exports(ctx)
	if err != nil {
		return false, err
	}
	r.mirrorLastExport(s, exportsOf(exports, s.identifier))
	i := slices.IndexFunc(exports, func(e cloud.Export) bool { return e.Identifier == task })
	if i >= 0 && exports[i].Phase != cloud.ExportPartial {
		if exports[i].Phase == cloud.ExportRunning {
			setCondition(db, v1.ConditionBackupsConfigured, metav1.ConditionFalse, v1.ReasonBackupPending,
				fmt.Sprintf("exporting the database (export %s, %d%%) before deleting it with final snapshot %s", task, exports[i].Percent, name.FinalSnapshotIdentifier))
		}
		return exports[i].Phase != cloud.ExportRunning, nil
	}
	err = r.startExport(ctx, s, cloud.Snapshot{Identifier: name.FinalSnapshotIdentifier})
	switch _, wait := cloud.RetryAfter(err); {
	case err == nil, wait, errors.Is(err, cloud.ErrTransient), errors.Is(err, cloud.ErrBusy):
		return false, ignoreBusy(err)
	}
	r.event(db, corev1.EventTypeWarning, v1.EventExportFailed, "The database was not exported before its deletion: %s", refusal(err))
	return true, nil
}

// ignoreBusy is err, or nil for a state of the database that forbids the call for now: the
// caller looks again soon.
func ignoreBusy(err error) error {
	if errors.Is(err, cloud.ErrBusy) {
		return nil
	}
	return err
}

// resumeExport asks the cloud to go on with export e, which it made part of.
func (r *RDSDatabaseReconciler) resumeExport(ctx context.Context, s *scope, e cloud.Export) error {
	err := s.cloud.StartExport(ctx, exportRequest(s, e.Identifier, e.Snapshot))
	if err == nil {
		s.soon = true // follow it in the shared view
	}
	return err
}

// errExportRoleRefused is an export role no cluster admin allowed in the namespace.
var errExportRoleRefused = errors.New("export role not allowed")

// startExport asks the cloud to export snap as spec.backup.export says, with a role a
// cluster admin allowed in the namespace: the role decides which buckets the cloud writes
// to, and the operator may pass any role to the cloud's export service. The export is named
// after the snapshot's identifier and asks for it by ARN when known, which spares the cloud
// a look-up of the snapshot the caller has just read.
func (r *RDSDatabaseReconciler) startExport(ctx context.Context, s *scope, snap cloud.Snapshot) error {
	snapshot := snap.Identifier
	ex := s.db.Spec.Backup.Export
	if ns := s.db.Namespace; ex.IAMRoleARN != "" && !r.Defaults.Allow.ExportRoles.allows(ns, ex.IAMRoleARN) {
		return fmt.Errorf("%w: spec.backup.export.iamRoleArn %s is not allowed in namespace %s: a cluster admin allows it with the operator flag --%s=%s=%s (Helm value allow.exportRoles)",
			errExportRoleRefused, ex.IAMRoleARN, ns, flagAllowExportRoles, ns, ex.IAMRoleARN)
	}
	task := naming.ExportIdentifier(s.identifier, snapshot)
	if err := s.cloud.StartExport(ctx, exportRequest(s, task, orDefault(snap.ARN, snapshot))); err != nil {
		return err
	}
	r.eventAbout(s.db, corev1.EventTypeNormal, v1.EventExportStarted, task, "Exporting backup %s to bucket path %s (task %s)", snapshot, location(ex, task), task)
	s.soon = true // follow it in the shared view
	return nil
}

// exportRequest asks for the export task of snapshot (its identifier or ARN) as
// spec.backup.export says.
func exportRequest(s *scope, task, snapshot string) cloud.ExportRequest {
	ex := s.db.Spec.Backup.Export
	return cloud.ExportRequest{
		Identifier: task, Snapshot: snapshot, Database: s.identifier, Bucket: ex.Bucket, Prefix: ex.Prefix, Role: ex.IAMRoleARN, KMSKeyID: ex.KMSKeyID,
		Tags: map[string]string{v1.TagOwner: naming.Owner(s.db.Namespace, s.db.Name), v1.TagManagedBy: v1.ManagedByValue},
	}
}

// mirrorLastExport shows the newest of the object's exports in status.backup.lastExport, and
// says once, with an Event, when one failed.
func (r *RDSDatabaseReconciler) mirrorLastExport(s *scope, mine []cloud.Export) {
	if len(mine) == 0 {
		return
	}
	newest := mine[0]
	for _, e := range mine[1:] {
		if e.StartedAt.After(newest.StartedAt) {
			newest = e
		}
	}
	if s.db.Status.Backup == nil {
		s.db.Status.Backup = &v1.BackupStatus{Mode: backupModeAutomated}
	}
	before := s.db.Status.Backup.LastExport
	now := &v1.ExportStatus{Task: newest.Identifier, Snapshot: newest.Snapshot, Status: newest.Status,
		Percent: int32(newest.Percent), FailureCause: newest.FailureCause, Location: location(s.db.Spec.Backup.Export, newest.Identifier)}
	if now.Snapshot == "" && before != nil && before.Task == now.Task {
		now.Snapshot = before.Snapshot // a cloud that does not say keeps what the start said
	}
	s.db.Status.Backup.LastExport = now
	if newest.Phase == cloud.ExportRunning || newest.Phase == cloud.ExportPartial {
		s.soon = true
	}
	if newest.Phase == cloud.ExportFailed && (before == nil || before.Task != now.Task || before.Status != now.Status) {
		r.eventAbout(s.db, corev1.EventTypeWarning, v1.EventExportFailed, now.Task, "Export %s of backup %s failed: %s", now.Task, now.Snapshot, now.FailureCause)
	}
}

// exportFailed records a refused or failed export call. A transient failure or the rate
// limit is retried; a request this cloud never takes (no exports on it) is said, not retried
// sooner than the resync.
func (r *RDSDatabaseReconciler) exportFailed(s *scope, err error) (ctrl.Result, error) {
	if after, wait := cloud.RetryAfter(err); wait {
		return ctrl.Result{RequeueAfter: after}, nil
	}
	if errors.Is(err, cloud.ErrBusy) {
		// The database is busy (a backup just taken, another export): not a failure.
		s.soon = true
		return ctrl.Result{}, nil
	}
	s.announce(v1.ConditionBackupsConfigured, metav1.ConditionFalse, v1.ReasonExportFailed,
		"exporting backups: "+refusal(err), corev1.EventTypeWarning, "")
	if errors.Is(err, cloud.ErrUnsupported) || errors.Is(err, errExportRoleRefused) {
		return ctrl.Result{}, nil // asking again never helps: the spec or the flags must change
	}
	return ctrl.Result{}, errorf(s.db, "export backups", err)
}

// exportsOf returns the exports of the database id's backups: those named with its prefix.
func exportsOf(all []cloud.Export, id string) []cloud.Export {
	prefix := naming.ExportPrefix(id)
	var out []cloud.Export
	for _, e := range all {
		if strings.HasPrefix(e.Identifier, prefix) {
			out = append(out, e)
		}
	}
	return out
}

// exported reports whether snapshot, a backup of the database id, has an export.
func exported(mine []cloud.Export, id, snapshot string) bool {
	task := naming.ExportIdentifier(id, snapshot)
	for _, e := range mine {
		if e.Identifier == task {
			return true
		}
	}
	return false
}

// newestAvailable returns the newest complete backup of backups.
func newestAvailable(backups []cloud.Snapshot) (cloud.Snapshot, bool) {
	var newest cloud.Snapshot
	found := false
	for _, b := range backups {
		if b.Available && (!found || b.CreatedAt.After(newest.CreatedAt)) {
			newest, found = b, true
		}
	}
	return newest, found
}

// location is where an export writes: bucket/prefix/task/.
func location(ex *v1.BackupExport, task string) string {
	if ex == nil {
		return ""
	}
	return naming.ExportLocation(ex.Bucket, ex.Prefix, task)
}
