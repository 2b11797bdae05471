package controller

import (
	"context"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/metrics"
)

// pendingEvent is an Event about a condition change, sent only once the status holding the
// change is written: a reconcile that read a stale object and loses the write says nothing.
type pendingEvent struct {
	eventType, reason, subject, note string
}

// setCondition sets a condition on db and reports whether it changed. lastTransitionTime
// moves only when the status does.
func setCondition(db *v1.RDSDatabase, condType string, status metav1.ConditionStatus, reason, message string) bool {
	old := meta.FindStatusCondition(db.Status.Conditions, condType)
	changed := old == nil || old.Status != status || old.Reason != reason || old.Message != message || old.ObservedGeneration != db.Generation
	meta.SetStatusCondition(&db.Status.Conditions, metav1.Condition{
		Type: condType, Status: status, Reason: reason, Message: message, ObservedGeneration: db.Generation,
	})
	return changed
}

// announce sets a condition and, when it changed, queues an Event with eventReason (the
// condition's reason when empty) whose note is the message.
func (s *scope) announce(condType string, status metav1.ConditionStatus, reason, message, eventType, eventReason string) {
	if !setCondition(s.db, condType, status, reason, message) {
		return
	}
	if eventReason == "" {
		eventReason = reason
	}
	s.events = append(s.events, pendingEvent{eventType: eventType, reason: eventReason, note: message})
}

// summarize derives Ready and the phase from the other conditions: the same conditions
// always give the same summary.
func (r *RDSDatabaseReconciler) summarize(s *scope) {
	db := s.db
	db.Status.ObservedGeneration = db.Generation
	var waiting []string
	conditions := []string{v1.ConditionProvisioned, v1.ConditionUsersReady, v1.ConditionAccessVerified}
	if wantedReplicas(db) > 0 {
		conditions = append(conditions, v1.ConditionReplicasReady)
	}
	for _, t := range conditions {
		c := meta.FindStatusCondition(db.Status.Conditions, t)
		if c == nil || c.Status != metav1.ConditionTrue || c.ObservedGeneration != db.Generation {
			waiting = append(waiting, t)
		}
	}
	if len(waiting) == 0 && db.Status.Service != "" {
		if s.before.Status.Service == "" {
			// The first time everything is in place: how long a team waited for it.
			metrics.ReadySeconds.Observe(time.Since(db.CreationTimestamp.Time).Seconds())
		}
		s.announce(v1.ConditionReady, metav1.ConditionTrue, v1.ReasonReady,
			"the database, its users and Secrets and the Service are in place: connect through Service "+
				db.Status.Service+" with the Secrets "+strings.Join(db.Status.Secrets, ", "), corev1.EventTypeNormal, "")
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
	case v1.ReasonCloudError, v1.ReasonOwnedByOther, v1.ReasonEngineError, v1.ReasonEngineUnreachable, v1.ReasonEngineCertificateRefused, v1.ReasonSecretInvalid,
		v1.ReasonMajorUpgradeNotAllowed, v1.ReasonSpecInvalid, v1.ReasonCloudDatabaseMissing:
		return true
	}
	return false
}

// writeStatus writes the status when it differs from what was read, and nothing otherwise (no
// status-write storms), then sends the queued Events. The write carries the resourceVersion
// read: a reconcile working from a stale cache gets a conflict, is requeued, and announces
// nothing twice.
func (r *RDSDatabaseReconciler) writeStatus(ctx context.Context, s *scope) error {
	if !equality.Semantic.DeepEqual(s.before.Status, s.db.Status) {
		patch := client.MergeFromWithOptions(s.before, client.MergeFromWithOptimisticLock{})
		if err := r.Client.Status().Patch(ctx, s.db, patch); err != nil {
			return err
		}
	}
	for _, e := range s.events {
		r.eventAbout(s.db, e.eventType, e.reason, e.subject, "%s", e.note)
	}
	s.events = nil
	return nil
}
