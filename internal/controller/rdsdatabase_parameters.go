package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

const (
	// parameterRecheck is how often the cloud's parameters are read back even though the
	// spec did not change, to put back what was changed outside the operator. Between two
	// checks an unchanged spec costs no call.
	parameterRecheck = 6 * time.Hour
	// rebootSettle is how long after asking for a restart the operator waits for the cloud
	// to report it before it would ask again.
	rebootSettle = 15 * time.Minute
)

// reconcileParameters keeps the cloud's engine parameters equal to spec.parameters, and
// restarts the database for those that wait for a restart, as spec.rebootPolicy says. The
// spec's parameters are compared with what was last applied (a digest in the status), so a
// settled database costs no call but a read-back every parameterRecheck; a cloud that
// reports parameters with the database (Cloud SQL) is compared at every pass, for free.
// How it stands is said in ParametersApplied, once parameters were asked for.
func (r *RDSDatabaseReconciler) reconcileParameters(ctx context.Context, s *scope) (ctrl.Result, error) {
	db, in := s.db, s.instance
	if in == nil || !in.Phase.Serving() {
		return ctrl.Result{}, nil // a later pass, once the database serves
	}
	st := &v1.ParameterStatus{}
	if db.Status.Parameters != nil {
		st = db.Status.Parameters.DeepCopy()
	}
	defer func() {
		if equality.Semantic.DeepEqual(*st, v1.ParameterStatus{}) {
			st = nil // nothing to show: no parameters were ever asked for
		}
		db.Status.Parameters = st
	}()
	now := r.now()
	digest := parameterDigest(db.Spec.Parameters)
	drifted := in.Parameters.Values != nil && !sameParameters(in.Parameters.Values, db.Spec.Parameters)
	detached := st.Group != "" && in.Parameters.Set != st.Group
	recheck := st.Group != "" && (st.CheckedAt == nil || now.Sub(st.CheckedAt.Time) >= parameterRecheck)
	if digest != st.Applied || drifted || detached || recheck {
		change, err := s.cloud.SyncParameters(ctx, s.desired, *in)
		if err != nil {
			result, _, err := r.parametersFailed(s, err)
			return result, err
		}
		if st.Group != "" && change.Set != "" && change.Set != st.Group {
			// The database moved to another set of the operator's (a major upgrade): the
			// one it left is used no more.
			r.retireParameters(ctx, s, st.Group)
		}
		st.Group, st.Applied, st.CheckedAt = change.Set, digest, &metav1.Time{Time: now}
		if len(change.Changed) > 0 {
			msg := "set parameters " + strings.Join(change.Changed, ", ")
			if len(change.AwaitingRestart) > 0 {
				msg += "; waiting for a restart: " + strings.Join(change.AwaitingRestart, ", ")
			}
			r.event(db, corev1.EventTypeNormal, v1.EventParametersApplied, "%s", msg)
		}
		if len(change.AwaitingRestart) > 0 {
			// The cloud reports the wait from the next look on: the restart, if any, then.
			st.PendingReboot = true
			st.PendingRebootParameters = sortedUnion(st.PendingRebootParameters, change.AwaitingRestart)
			s.parametersApplied(db, st)
			return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, nil
		}
	}
	if in.Parameters.Applying {
		return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, nil // a wait or not, said soon
	}
	// Only a parameter set of the operator's makes it restart the database: a change waiting
	// in one it does not keep is not its business.
	ours := st.Group != "" || len(db.Spec.Parameters) > 0
	st.PendingReboot = ours && in.Parameters.PendingRestart
	if !st.PendingReboot {
		st.PendingRebootParameters = nil
	}
	result, refused, err := r.restartForParameters(ctx, s, st, now)
	if !refused {
		s.parametersApplied(db, st)
	}
	return result, err
}

// retireParameters deletes a parameter set of the operator's the database no longer uses.
// One the cloud refuses to delete is left, said once: deleting the object tries again.
func (r *RDSDatabaseReconciler) retireParameters(ctx context.Context, s *scope, set string) {
	if err := s.cloud.DeleteParameters(ctx, s.desired, set); err != nil {
		r.warnOnce(s.db, v1.ReasonParametersRefused, fmt.Sprintf("the parameter set %s the database no longer uses was not deleted: %v", set, err))
	}
}

// parametersApplied says in ParametersApplied how the parameters stand, once some were asked
// for.
func (s *scope) parametersApplied(db *v1.RDSDatabase, st *v1.ParameterStatus) {
	if len(db.Spec.Parameters) == 0 && st.Group == "" && meta.FindStatusCondition(db.Status.Conditions, v1.ConditionParametersApplied) == nil {
		return
	}
	if !st.PendingReboot {
		msg := "the cloud's engine parameters are spec.parameters"
		if st.Group != "" {
			msg += ", in parameter group " + st.Group
		}
		s.announce(v1.ConditionParametersApplied, metav1.ConditionTrue, v1.ReasonParametersInSync, msg, corev1.EventTypeNormal, "")
		return
	}
	waiting := orDefault(strings.Join(st.PendingRebootParameters, ", "), "parameter group "+st.Group)
	var when string
	switch rebootPolicyOf(db) {
	case v1.RebootNever:
		when = "rebootPolicy is Never: restart the database yourself"
	case v1.RebootImmediately:
		when = "the operator restarts the database now"
	case v1.RebootInMaintenanceWindow:
		when = "the operator restarts the database in its next maintenance window"
		if w := s.instance.MaintenanceWindow; w != "" {
			when = "the operator restarts the database in its maintenance window " + w + " (UTC)"
		}
	}
	s.announce(v1.ConditionParametersApplied, metav1.ConditionTrue, v1.ReasonRebootPending,
		fmt.Sprintf("set in the cloud; waiting for the database to restart: %s; %s", waiting, when), corev1.EventTypeNormal, "")
}

// parametersFailed handles a failed parameter call. A call the operator's rate limit
// deferred, or one the database's state refuses for now, is come back to quietly; a throttled
// or failed one is retried with backoff. A refusal of the parameters themselves (a parameter
// the cloud does not know or let be changed, a bad value, a cloud without them) is said in
// ParametersApplied and a Warning, once, and looked at again only at the owner recheck: the
// spec must change, and a change of it comes back at once. Any other failure is said too and
// retried with backoff. said tells whether ParametersApplied says it.
func (r *RDSDatabaseReconciler) parametersFailed(s *scope, err error) (_ ctrl.Result, said bool, _ error) {
	var ce *cloud.Error
	switch after, wait := cloud.RetryAfter(err); {
	case wait:
		return ctrl.Result{RequeueAfter: after}, false, nil
	case errors.Is(err, cloud.ErrBusy):
		return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, false, nil
	case errors.Is(err, cloud.ErrTransient):
		return ctrl.Result{}, false, errorf(s.db, "parameters", err)
	}
	s.announce(v1.ConditionParametersApplied, metav1.ConditionFalse, v1.ReasonParametersRefused, refusal(err), corev1.EventTypeWarning, "")
	if errors.Is(err, cloud.ErrUnsupported) || errors.As(err, &ce) && ce.Field == cloud.FieldParameters {
		return ctrl.Result{RequeueAfter: ownerRecheck}, true, nil
	}
	return ctrl.Result{}, true, errorf(s.db, "parameters", err)
}

// restartForParameters restarts the database when the cloud reports parameters waiting for
// it and spec.rebootPolicy allows it now. refused tells that the cloud refused the restart,
// which ParametersApplied then says.
func (r *RDSDatabaseReconciler) restartForParameters(ctx context.Context, s *scope, st *v1.ParameterStatus, now time.Time) (_ ctrl.Result, refused bool, _ error) {
	db := s.db
	if !st.PendingReboot {
		return ctrl.Result{}, false, nil
	}
	if st.RebootRequestedAt != nil && now.Sub(st.RebootRequestedAt.Time) < rebootSettle {
		return ctrl.Result{}, false, nil // asked for already: the cloud is on it
	}
	switch rebootPolicyOf(db) {
	case v1.RebootNever:
		return ctrl.Result{}, false, nil
	case v1.RebootInMaintenanceWindow:
		in, next, err := inWeeklyWindow(s.instance.MaintenanceWindow, now)
		if err != nil {
			// No window known: wait, as the policy asks, and say why.
			r.warnOnce(db, v1.ReasonRebootPending, fmt.Sprintf("parameters wait for a restart, but the maintenance window %q cannot be read (%v): restart the database yourself or set rebootPolicy: Immediately", s.instance.MaintenanceWindow, err))
			return ctrl.Result{}, false, nil
		}
		if !in {
			return ctrl.Result{RequeueAfter: min(next, r.Defaults.Resync)}, false, nil
		}
	}
	if err := s.cloud.Restart(ctx, s.identifier); err != nil {
		return r.parametersFailed(s, err)
	}
	st.RebootRequestedAt = &metav1.Time{Time: now}
	r.event(db, corev1.EventTypeNormal, v1.EventRebooting, "restarting the database to apply parameters (rebootPolicy %s): %s",
		rebootPolicyOf(db), orDefault(strings.Join(st.PendingRebootParameters, ", "), "parameter group "+st.Group))
	return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, false, nil
}

// rebootPolicyOf is the spec's reboot policy, MaintenanceWindow when unset.
func rebootPolicyOf(db *v1.RDSDatabase) v1.RebootPolicy {
	if db.Spec.RebootPolicy == "" {
		return v1.RebootInMaintenanceWindow
	}
	return db.Spec.RebootPolicy
}

// parameterDigest identifies a set of parameters: equal sets have equal digests, "" for
// none.
func parameterDigest(params map[string]string) string {
	if len(params) == 0 {
		return ""
	}
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(params)) {
		fmt.Fprintf(h, "%q=%q\n", k, params[k]) // quoted: a value may hold "=" and newlines
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// sameParameters reports whether the cloud's values are the spec's (cloud.SameParameterValue).
func sameParameters(have, want map[string]string) bool {
	if len(have) != len(want) {
		return false
	}
	for k, v := range want {
		if h, ok := have[k]; !ok || !cloud.SameParameterValue(h, v) {
			return false
		}
	}
	return true
}

// sortedUnion is the strings of a and b, each once, sorted.
func sortedUnion(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// weekdays are the days of a weekly window, ddd:hh24:mi-ddd:hh24:mi, as time.Weekday counts
// them.
var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// inWeeklyWindow reports whether now falls in the weekly UTC window
// ddd:hh24:mi-ddd:hh24:mi, and otherwise how long until it starts.
func inWeeklyWindow(window string, now time.Time) (bool, time.Duration, error) {
	from, to, ok := strings.Cut(strings.ToLower(window), "-")
	if !ok {
		return false, 0, fmt.Errorf("not ddd:hh24:mi-ddd:hh24:mi")
	}
	start, err := weekMinute(from)
	if err != nil {
		return false, 0, err
	}
	end, err := weekMinute(to)
	if err != nil {
		return false, 0, err
	}
	now = now.UTC()
	const week = 7 * 24 * 60
	at := int(now.Weekday())*24*60 + now.Hour()*60 + now.Minute()
	length := (end - start + week) % week
	since := (at - start + week) % week
	if since < length {
		return true, 0, nil
	}
	return false, time.Duration(week-since)*time.Minute - time.Duration(now.Second())*time.Second, nil
}

// weekMinute is the minute of the week (from Sunday 00:00) of ddd:hh24:mi.
func weekMinute(s string) (int, error) {
	day, clock, ok := strings.Cut(s, ":")
	d := slices.Index(weekdays, day)
	t, err := time.Parse("15:04", clock)
	if !ok || d < 0 || err != nil {
		return 0, fmt.Errorf("%q is not ddd:hh24:mi", s)
	}
	return d*24*60 + t.Hour()*60 + t.Minute(), nil
}
