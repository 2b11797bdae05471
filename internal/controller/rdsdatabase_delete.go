package controller

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// reconcileDelete removes the Service, handles the cloud database as deletionPolicy says and
// removes the finalizer last, only once the cloud database is gone (or retained). The
// Secrets stay.
func (r *RDSDatabaseReconciler) reconcileDelete(ctx context.Context, db *v1.RDSDatabase) (result ctrl.Result, err error) {
	if !controllerutil.ContainsFinalizer(db, v1.Finalizer) {
		return ctrl.Result{}, nil
	}
	s := newScope(db)
	defer func() {
		if !controllerutil.ContainsFinalizer(db, v1.Finalizer) {
			return // the object is going; its status no longer matters
		}
		db.Status.Phase = v1.PhaseDeleting
		if perr := r.writeStatus(ctx, s); perr != nil && err == nil {
			result, err = conflictRequeue(perr)
		}
	}()
	setCondition(db, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonDeleting, "the object is being deleted (deletionPolicy "+cmp.Or(string(db.Spec.DeletionPolicy), "unset: the class's default")+")")

	if err := r.deleteService(ctx, db); err != nil {
		return ctrl.Result{}, err
	}
	gone, err := false, r.place(ctx, s)
	switch {
	case errors.Is(err, errNoPlacement) && db.Status.Provider == "" && db.Status.Cloud == nil:
		// Never placed, so nothing was ever asked of any cloud (the placement is written
		// before the first create): there is nothing to delete.
		gone, err = true, nil
	case errors.Is(err, errNoPlacement):
		return ctrl.Result{RequeueAfter: classRecheck}, nil
	case err == nil:
		gone, err = r.deleteCloudDatabase(ctx, s)
	}
	if after, wait := cloud.RetryAfter(err); wait { // its turn under the AWS rate limit
		return ctrl.Result{RequeueAfter: after}, nil
	}
	if err != nil || !gone {
		return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, err
	}
	controllerutil.RemoveFinalizer(db, v1.Finalizer)
	if err := r.Client.Update(ctx, db); err != nil {
		return conflictRequeue(err)
	}
	return ctrl.Result{}, nil
}

// deleteCloudDatabase applies the deletion policy and reports whether the finalizer may go:
// the database is retained, gone, or not this object's to delete.
func (r *RDSDatabaseReconciler) deleteCloudDatabase(ctx context.Context, s *scope) (bool, error) {
	db, id := s.db, s.identifier
	if deletionPolicyOf(s) == v1.DeletionRetain {
		r.event(db, corev1.EventTypeNormal, v1.EventRetained, "Left cloud database %s in place (deletionPolicy Retain) on %s", id, placementOf(db))
		return true, nil
	}
	obs, err := s.cloud.Observe(ctx, id)
	if _, wait := cloud.RetryAfter(err); wait {
		return false, err
	}
	if err != nil {
		_, err = r.cloudFailed(s, err)
		return false, err
	}
	if !obs.Exists {
		if justCreated(db, time.Now()) {
			// A cloud's reads may be eventually consistent: just after the
			// create they may not see the new database yet. Leaving now could leave it behind.
			return false, nil
		}
		if gone, err := r.exportFinalSnapshot(ctx, s); err != nil || !gone {
			return gone, err
		}
		return r.deleteParameters(ctx, s)
	}
	if owner := obs.Instance.Tags[v1.TagOwner]; owner != naming.Owner(db.Namespace, db.Name) {
		r.event(db, corev1.EventTypeWarning, v1.ReasonOwnedByOther,
			"Not deleting cloud database %s: its owner tag is %q, not this object", id, owner)
		return true, nil
	}
	if obs.Instance.Phase == cloud.PhaseDeleting {
		setCondition(db, v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonCloudStatus, "the cloud database is deleting")
		return false, nil
	}
	if protected, err := r.deletionProtected(ctx, s, obs.Instance); err != nil || protected {
		return false, err
	}
	// Our readers go first: a cloud may promote read replicas to standalone databases when
	// their source goes, leaving them behind, or delete a database made of several only
	// without them.
	if waiting, err := r.deleteOwnInstances(ctx, s, obs.Instance.ReplicaIDs); err != nil || waiting {
		return false, err
	}
	if exported, err := r.exportBeforeDelete(ctx, s, obs.Instance); err != nil || !exported {
		return false, err
	}
	opts, note := finalSnapshot(s)
	opts.Observed = &obs.Instance
	if err := s.cloud.Delete(ctx, id, opts); err != nil {
		if _, wait := cloud.RetryAfter(err); wait {
			return false, err
		}
		if errors.Is(err, cloud.ErrBusy) {
			// The cloud refuses to delete a database in some states (creating, backing up,
			// with an instance of another owner in it...): not a failure, wait for it.
			setCondition(db, v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonCloudStatus,
				fmt.Sprintf("waiting to delete the cloud database (status %s): %v", obs.Instance.Status, err))
			return false, nil
		}
		_, err = r.cloudFailed(s, err)
		return false, err
	}
	r.event(db, corev1.EventTypeNormal, v1.EventDeleteRequested, "Deleting cloud database %s %s", id, note)
	return false, nil
}

// deletionPolicyOf is the object's deletionPolicy, or, when the spec leaves it empty, its
// placement's default: Snapshot, or Retain where the cloud keeps nothing of a deleted
// database (SPEC §6).
func deletionPolicyOf(s *scope) v1.DeletionPolicy {
	switch {
	case s.db.Spec.DeletionPolicy != "":
		return s.db.Spec.DeletionPolicy
	case s.defaults.KeepsNoSnapshots:
		return v1.DeletionRetain
	}
	return v1.DeletionSnapshot
}

// finalSnapshot returns the delete options deletionPolicy asks for the object's cloud
// database, and says them in words for the Event: a final snapshot, named after the
// object's UID, unless the policy is Delete.
func finalSnapshot(s *scope) (cloud.DeleteOptions, string) {
	db, id := s.db, s.identifier
	if deletionPolicyOf(s) == v1.DeletionDelete {
		return cloud.DeleteOptions{}, "without a final snapshot (deletionPolicy Delete)"
	}
	name := naming.FinalSnapshotIdentifier(id, string(db.UID))
	return cloud.DeleteOptions{FinalSnapshotIdentifier: name}, "with final snapshot " + name
}

// deleteOwnInstances deletes this object's readers among ids (without final snapshots: the
// cloud takes none of them) and reports whether any is still there.
func (r *RDSDatabaseReconciler) deleteOwnInstances(ctx context.Context, s *scope, ids []string) (bool, error) {
	db := s.db
	owner := naming.Owner(db.Namespace, db.Name)
	waiting := false
	for _, id := range ids {
		obs, err := s.cloud.Observe(ctx, id)
		if _, wait := cloud.RetryAfter(err); wait {
			// Not known yet whether it is ours and there: the database that depends on it
			// must wait too, or the cloud may promote it into a leftover.
			waiting = true
			continue
		}
		if err != nil {
			_, err = r.cloudFailed(s, err)
			return false, err
		}
		in := obs.Instance
		if !obs.Exists || !ownReader(in, owner) {
			continue
		}
		waiting = true
		if in.Phase == cloud.PhaseDeleting {
			continue
		}
		if err := s.cloud.Delete(ctx, id, cloud.DeleteOptions{}); err != nil {
			if _, wait := cloud.RetryAfter(err); wait || errors.Is(err, cloud.ErrBusy) {
				continue // not sent yet, or creating or backing up: delete it once it settles
			}
			_, err = r.cloudFailed(s, err)
			return false, err
		}
		r.event(db, corev1.EventTypeNormal, v1.EventReplicaDeleteRequested, "Deleting instance %s before %s", id, s.identifier)
	}
	if waiting {
		setCondition(db, v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonCloudStatus, "deleting the instances that depend on "+s.identifier+" first")
	}
	return waiting, nil
}

// createVisibilityGrace is how long after asking for a database a "not found" is not believed.
const createVisibilityGrace = 2 * time.Minute

// justCreated reports whether the operator asked for the cloud database less than
// createVisibilityGrace ago and has not seen it since.
func justCreated(db *v1.RDSDatabase, now time.Time) bool {
	c := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionProvisioned)
	return c != nil && c.Reason == v1.ReasonCreating && now.Sub(c.LastTransitionTime.Time) < createVisibilityGrace
}

// deletionProtection is the deletion protection db asks of the cloud: its spec's, else true
// when the operator's flag turns it on for all, else nil (the cloud's setting is left).
func (r *RDSDatabaseReconciler) deletionProtection(db *v1.RDSDatabase) *bool {
	if db.Spec.DeletionProtection != nil {
		return db.Spec.DeletionProtection
	}
	if r.Defaults.DeletionProtection {
		return ptr.To(true)
	}
	return nil
}

// deletionProtected reports whether deletion protection holds the cloud database in back:
// the spec (or the operator's flag) asks for it, or the cloud has it on and the spec does
// not say to turn it off; either is said in Provisioned and a Warning Event, and the object
// stays. A spec that turns it off has the operator turn the cloud's off first: the delete
// goes on once the cloud reports it off.
func (r *RDSDatabaseReconciler) deletionProtected(ctx context.Context, s *scope, in cloud.Instance) (bool, error) {
	want := r.deletionProtection(s.db)
	refuse := func(why string) (bool, error) {
		s.announce(v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonDeletionProtected,
			"the cloud database "+s.identifier+" is not deleted: "+why, corev1.EventTypeWarning, "")
		return true, nil
	}
	switch {
	case want != nil && *want:
		return refuse("spec.deletionProtection is true (or unset, with the operator's --deletion-protection); set it to false to let the deletion go on")
	case !in.DeletionProtection:
		return false, nil
	case want == nil:
		return refuse("its deletion protection is on, set outside the operator; set spec.deletionProtection to false to have the operator turn it off and go on")
	}
	err := s.cloud.Update(ctx, s.identifier, cloud.Changes{DeletionProtection: ptr.To(false)}, cloud.UpdateOptions{ApplyImmediately: true})
	if _, wait := cloud.RetryAfter(err); wait || errors.Is(err, cloud.ErrBusy) {
		return true, ignoreBusy(err)
	}
	if err != nil {
		_, err = r.cloudFailed(s, err)
		return true, err
	}
	r.event(s.db, corev1.EventTypeNormal, v1.EventDeletionProtectionOff, "Turned the deletion protection of cloud database %s off, as spec.deletionProtection false says, to delete it", s.identifier)
	return true, nil // deleted once the cloud reports the protection off
}

// deleteParameters deletes, once the database is gone, the parameter set the operator kept
// for it (an RDS DB parameter group): the one the status names, or, when it names none (a
// crash before the status said it), the one of the database's engine and version. It
// reports whether nothing of it is left; one the cloud still sees in use is said in
// Provisioned and waited for.
func (r *RDSDatabaseReconciler) deleteParameters(ctx context.Context, s *scope) (bool, error) {
	db := s.db
	if len(db.Spec.Parameters) == 0 && db.Status.Parameters == nil {
		return true, nil
	}
	d := cloud.Desired{Identifier: s.identifier, Engine: engineOf(db).engine, Tags: cloudTags(s), OwnerTag: v1.TagOwner,
		EngineVersion: orDefault(db.Spec.Version, s.versionFor(r.Defaults, engineOf(db)))}
	if c := db.Status.Cloud; c != nil && c.EngineVersion != "" {
		d.EngineVersion = c.EngineVersion
	}
	var set string
	if p := db.Status.Parameters; p != nil {
		set = p.Group
	}
	if err := s.cloud.DeleteParameters(ctx, d, set); err != nil {
		if _, wait := cloud.RetryAfter(err); wait {
			return false, err
		}
		if errors.Is(err, cloud.ErrBusy) {
			setCondition(db, v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonCloudStatus,
				fmt.Sprintf("the cloud database is gone; waiting to delete its parameter set %s, which the cloud still sees in use: %v", orDefault(set, "of "+s.identifier), err))
			return false, nil
		}
		_, err = r.cloudFailed(s, err)
		return false, err
	}
	return true, nil
}
