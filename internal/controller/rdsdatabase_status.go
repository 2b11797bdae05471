package controller

import (
	"context"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
)

// setCondition sets a condition on db and reports whether it changed (so Events are sent only
// on change). lastTransitionTime moves only when the status does.
func setCondition(db *v1.RDSDatabase, condType string, status metav1.ConditionStatus, reason, message string) bool {
	old := meta.FindStatusCondition(db.Status.Conditions, condType)
	changed := old == nil || old.Status != status || old.Reason != reason || old.Message != message || old.ObservedGeneration != db.Generation
	meta.SetStatusCondition(&db.Status.Conditions, metav1.Condition{
		Type: condType, Status: status, Reason: reason, Message: message, ObservedGeneration: db.Generation,
	})
	return changed
}

// summarize derives Ready and the phase from the other conditions. It is pure: the same
// conditions always give the same summary.
func (r *RDSDatabaseReconciler) summarize(db *v1.RDSDatabase) {
	db.Status.ObservedGeneration = db.Generation
	var waiting []string
	for _, t := range []string{v1.ConditionProvisioned, v1.ConditionUsersReady} {
		c := meta.FindStatusCondition(db.Status.Conditions, t)
		if c == nil || c.Status != metav1.ConditionTrue || c.ObservedGeneration != db.Generation {
			waiting = append(waiting, t)
		}
	}
	if len(waiting) == 0 && db.Status.Service != "" {
		if setCondition(db, v1.ConditionReady, metav1.ConditionTrue, v1.ReasonReady, "the database, its users and Secrets and the Service are in place") {
			r.event(db, corev1.EventTypeNormal, v1.ReasonReady, "Database is ready: connect through Service %s and the Secrets %s", db.Status.Service, strings.Join(db.Status.Secrets, ", "))
		}
		db.Status.Phase = v1.PhaseReady
		return
	}
	if len(waiting) == 0 {
		waiting = []string{"Service"}
	}
	setCondition(db, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonNotReady, "waiting for "+strings.Join(waiting, ", "))
	db.Status.Phase = phaseOf(db)
}

// phaseOf names the step the object is at, from its conditions.
func phaseOf(db *v1.RDSDatabase) string {
	prov := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionProvisioned)
	users := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionUsersReady)
	for _, c := range []*metav1.Condition{prov, users} {
		if c != nil && c.Status == metav1.ConditionFalse && isFailure(c.Reason) {
			return v1.PhaseError
		}
	}
	switch {
	case prov == nil && db.Status.Cloud == nil:
		return v1.PhasePending
	case prov == nil || prov.Status != metav1.ConditionTrue:
		return v1.PhaseCreating
	default:
		return v1.PhaseConfiguring
	}
}

// isFailure tells the reasons that need attention (or are being retried after a failure)
// from those that only mean "not yet".
func isFailure(reason string) bool {
	switch reason {
	case v1.ReasonCloudError, v1.ReasonOwnedByOther, v1.ReasonEngineError, v1.ReasonEngineUnreachable, v1.ReasonSecretInvalid,
		v1.ReasonChangesNotApplied, v1.ReasonSpecInvalid:
		return true
	}
	return false
}

// patchStatus writes db's status when it differs from before's, and nothing otherwise: no
// status-write storms, and a merge patch never conflicts with a concurrent spec change.
func (r *RDSDatabaseReconciler) patchStatus(ctx context.Context, before, db *v1.RDSDatabase) error {
	if equality.Semantic.DeepEqual(before.Status, db.Status) {
		return nil
	}
	return r.Client.Status().Patch(ctx, db, client.MergeFrom(before))
}
