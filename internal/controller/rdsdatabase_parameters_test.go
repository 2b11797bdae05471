package controller

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// drainEvents appends to got the Events rec holds, as "type reason", then those s queued
// for the status write, in the order a pass sends them.
func drainEvents(got []string, rec *events.FakeRecorder, s *scope) []string {
	for len(rec.Events) > 0 {
		f := strings.Fields(<-rec.Events)
		got = append(got, f[0]+" "+f[1])
	}
	for _, e := range s.events {
		got = append(got, e.eventType+" "+e.reason)
	}
	return got
}

// TestReconcileParameters: the parameters phase on a fake cloud that keeps the database's
// parameters as SyncParameters and Restart leave them, run pass after pass as the
// reconciler runs it (each pass Resync after the last, starting from the status the last
// one wrote, after the cloud phase found the database as the spec asks). After a sync that
// leaves parameters waiting for a restart the fake cloud reports them applying for
// `applying` looks, then pending a restart, until Restart. Each case counts the calls the
// cloud got and compares status.parameters, ParametersApplied (and how often its
// lastTransitionTime moved), the Events and the last pass's result; Provisioned, which the
// phase never touches, must stay as the cloud phase set it.
func TestReconcileParameters(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 30, 0, 0, time.UTC) // a Wednesday
	id := naming.Identifier("shop", "orders")
	at := func(ago time.Duration) *metav1.Time { t := metav1.NewTime(now.Add(-ago)); return &t }
	resync, pendingRequeue := DefaultDefaults.Resync, DefaultDefaults.PendingRequeue
	const (
		defaultGroup = "default.postgres17"
		window       = "sun:03:00-sun:03:30" // the database's maintenance window, days away
	)
	params := map[string]string{"max_connections": "200", "log_min_duration_statement": "500"}
	digest := parameterDigest(params)
	older := parameterDigest(map[string]string{"max_connections": "100"})
	settled := v1.ParameterStatus{Group: id, Applied: digest, CheckedAt: at(time.Minute)}
	with := func(st v1.ParameterStatus, change func(*v1.ParameterStatus)) *v1.ParameterStatus {
		change(&st)
		return &st
	}
	both := []string{"log_min_duration_statement", "max_connections"}
	refused := &cloud.Error{Op: "modify db parameter group " + id, Code: "InvalidParameterValue",
		Message: "unknown parameter max_conections", Field: cloud.FieldParameters}
	throttled := &cloud.Error{Op: "modify db parameter group " + id, Code: "Throttling", Message: "Rate exceeded", Kind: cloud.ErrTransient}
	busy := &cloud.Error{Op: "modify db instance " + id, Code: "InvalidDBInstanceState", Message: "backing up", Kind: cloud.ErrBusy}
	aurora := &cloud.Error{Op: "set parameters of " + id, Code: "Unsupported", Kind: cloud.ErrUnsupported,
		Field: cloud.FieldParameters, Message: "the operator does not manage Aurora DB cluster parameter groups"}
	rateLimited := &cloud.WaitError{Op: "modify db parameter group " + id, Why: "the operator's AWS rate limit", After: 30 * time.Second}
	denied := &cloud.Error{Op: "reboot db instance " + id, Code: "AccessDenied", Message: "not authorized to perform rds:RebootDBInstance"}
	cluster := &cloud.Error{Op: "reboot " + id, Code: "Unsupported", Kind: cloud.ErrUnsupported, Message: "the operator does not reboot Aurora DB clusters"}

	// ParametersApplied as a pass of the same generation left it, a day ago.
	condition := func(status metav1.ConditionStatus, reason, message string) *metav1.Condition {
		return &metav1.Condition{Type: v1.ConditionParametersApplied, Status: status, Reason: reason, Message: message,
			ObservedGeneration: sampleDB().Generation, LastTransitionTime: metav1.NewTime(now.Add(-24 * time.Hour))}
	}
	inSync := condition(metav1.ConditionTrue, v1.ReasonParametersInSync, "the cloud's engine parameters are spec.parameters, in parameter group "+id)
	inSyncNoGroup := condition(metav1.ConditionTrue, v1.ReasonParametersInSync, "the cloud's engine parameters are spec.parameters")
	pendingNever := func(waiting string) *metav1.Condition {
		return condition(metav1.ConditionTrue, v1.ReasonRebootPending,
			"set in the cloud; waiting for the database to restart: "+waiting+"; rebootPolicy is Never: restart the database yourself")
	}
	pendingNow := condition(metav1.ConditionTrue, v1.ReasonRebootPending,
		"set in the cloud; waiting for the database to restart: max_connections; the operator restarts the database now")
	pendingShown := func(st *v1.ParameterStatus) {
		st.PendingReboot, st.PendingRebootParameters = true, []string{"max_connections"}
	}
	const (
		isInSync  = "True " + v1.ReasonParametersInSync
		isPending = "True " + v1.ReasonRebootPending
		isRefused = "False " + v1.ReasonParametersRefused
	)

	cases := []struct {
		name        string
		reason      string
		params      map[string]string
		policy      v1.RebootPolicy
		status      *v1.ParameterStatus   // as read before the first pass
		condition   *metav1.Condition     // ParametersApplied as read before the first pass
		phase       cloud.Phase           // the database's; Available when empty
		inCloud     cloud.ParameterStatus // the database's parameters before the first pass
		change      cloud.ParameterChange // what SyncParameters does
		syncErrs    []error               // SyncParameters' errors, call by call; nil: it succeeds
		restartErrs []error               // Restart's errors, call by call; nil: it succeeds
		applying    int                   // looks the cloud reports applying after a sync leaving parameters waiting
		passes      int                   // 1 when 0

		wantSyncs       int
		wantRestarts    int
		wantStatus      *v1.ParameterStatus
		wantCondition   string   // ParametersApplied "status reason"; "" for none
		wantMessage     []string // what ParametersApplied's message says
		wantTransitions int      // passes that moved ParametersApplied's lastTransitionTime (or made it appear)
		wantEvents      []string // "type reason", in order, over all passes
		wantResult      ctrl.Result
		wantErr         bool
	}{
		{name: "NoParameters", reason: "A database with no parameters asked for and none ever applied costs no call and shows neither status.parameters nor ParametersApplied.",
			inCloud: cloud.ParameterStatus{Set: defaultGroup}, passes: 3},
		{name: "NoParametersCloudSQL", reason: "Nor on a cloud reporting its (empty) flags with the database.",
			inCloud: cloud.ParameterStatus{Values: map[string]string{}}, passes: 3},
		{name: "NewParameters", reason: "New parameters are synced once, with the database's own group, digest and check time recorded, said in an Event, and ParametersApplied appears InSync, said once over three passes.",
			params: params, inCloud: cloud.ParameterStatus{Set: defaultGroup},
			change: cloud.ParameterChange{Set: id, Changed: both}, passes: 3,
			wantSyncs: 1, wantStatus: &v1.ParameterStatus{Group: id, Applied: digest, CheckedAt: at(0)},
			wantCondition: isInSync, wantMessage: []string{"in parameter group " + id}, wantTransitions: 1,
			wantEvents: []string{"Normal " + v1.EventParametersApplied, "Normal " + v1.ReasonParametersInSync}},
		{name: "Settled", reason: "Parameters applied and checked recently cost no call at all, pass after pass (20 passes, Resync apart, all within parameterRecheck), and ParametersApplied is left as it is.",
			params: params, status: &settled, condition: inSync, inCloud: cloud.ParameterStatus{Set: id}, passes: 20,
			wantStatus: &settled, wantCondition: isInSync},
		{name: "SettledWithoutCondition", reason: "A status written before ParametersApplied existed gets the condition at the next pass, without a call, said once.",
			params: params, status: &settled, inCloud: cloud.ParameterStatus{Set: id}, passes: 3,
			wantStatus: &settled, wantCondition: isInSync, wantTransitions: 1,
			wantEvents: []string{"Normal " + v1.ReasonParametersInSync}},
		{name: "RecheckDue", reason: "parameterRecheck after the last check the cloud's parameters are read back once; nothing changed is no Event.",
			params: params, status: with(settled, func(st *v1.ParameterStatus) { st.CheckedAt = at(parameterRecheck) }), condition: inSync,
			inCloud: cloud.ParameterStatus{Set: id}, change: cloud.ParameterChange{Set: id}, passes: 2,
			wantSyncs: 1, wantStatus: &v1.ParameterStatus{Group: id, Applied: digest, CheckedAt: at(0)}, wantCondition: isInSync},
		{name: "RecheckPutsBack", reason: "A read-back that finds a parameter changed outside the operator puts it back and says so.",
			params: params, status: with(settled, func(st *v1.ParameterStatus) { st.CheckedAt = at(7 * time.Hour) }), condition: inSync,
			inCloud: cloud.ParameterStatus{Set: id}, change: cloud.ParameterChange{Set: id, Changed: []string{"max_connections"}},
			wantSyncs: 1, wantStatus: &v1.ParameterStatus{Group: id, Applied: digest, CheckedAt: at(0)}, wantCondition: isInSync,
			wantEvents: []string{"Normal " + v1.EventParametersApplied}},
		{name: "NeverChecked", reason: "A status with a group but no check time (written by hand, or lost) is read back at once.",
			params: params, status: &v1.ParameterStatus{Group: id, Applied: digest}, condition: inSync,
			inCloud: cloud.ParameterStatus{Set: id}, change: cloud.ParameterChange{Set: id},
			wantSyncs: 1, wantStatus: &v1.ParameterStatus{Group: id, Applied: digest, CheckedAt: at(0)}, wantCondition: isInSync},
		{name: "SpecChanged", reason: "A spec whose digest is not the one applied is synced at the next pass, however recent the last check.",
			params: params, status: with(settled, func(st *v1.ParameterStatus) { st.Applied = older }), condition: inSync,
			inCloud: cloud.ParameterStatus{Set: id}, change: cloud.ParameterChange{Set: id, Changed: both},
			wantSyncs: 1, wantStatus: &v1.ParameterStatus{Group: id, Applied: digest, CheckedAt: at(0)}, wantCondition: isInSync,
			wantEvents: []string{"Normal " + v1.EventParametersApplied}},
		{name: "ParametersRemoved", reason: "Parameters removed from the spec are synced (reset to the engine's defaults); the group stays shown, to be deleted with the database, and ParametersApplied stays.",
			status: &settled, condition: inSync, inCloud: cloud.ParameterStatus{Set: id}, change: cloud.ParameterChange{Set: id, Changed: both}, passes: 2,
			wantSyncs: 1, wantStatus: &v1.ParameterStatus{Group: id, CheckedAt: at(0)}, wantCondition: isInSync,
			wantEvents: []string{"Normal " + v1.EventParametersApplied}},
		{name: "ParametersRemovedNoGroupKept", reason: "Parameters removed from a database the cloud reports on another group: the provider keeps none (Set \"\"), so no group is shown any more; ParametersApplied, there already, stays InSync and drops the group from its message.",
			status: &settled, condition: inSync, inCloud: cloud.ParameterStatus{Set: defaultGroup}, passes: 3,
			wantSyncs: 1, wantStatus: &v1.ParameterStatus{CheckedAt: at(0)}, wantCondition: isInSync,
			wantMessage: []string{"are spec.parameters"}, wantEvents: []string{"Normal " + v1.ReasonParametersInSync}},
		{name: "Detached", reason: "A database the cloud reports on another group than the operator's is synced (the group attached again), however recent the last check.",
			params: params, status: &settled, condition: inSync, inCloud: cloud.ParameterStatus{Set: defaultGroup},
			change:    cloud.ParameterChange{Set: id},
			wantSyncs: 1, wantStatus: &v1.ParameterStatus{Group: id, Applied: digest, CheckedAt: at(0)}, wantCondition: isInSync},
		{name: "CloudSQLDrift", reason: "A cloud that reports values with the database and differs from the spec is synced, though the digest is the one applied.",
			params: params, status: &v1.ParameterStatus{Applied: digest, CheckedAt: at(time.Minute)}, condition: inSyncNoGroup,
			inCloud: cloud.ParameterStatus{Values: map[string]string{"max_connections": "100", "log_min_duration_statement": "500"}},
			change:  cloud.ParameterChange{Changed: []string{"max_connections"}}, passes: 2,
			wantSyncs: 1, wantStatus: &v1.ParameterStatus{Applied: digest, CheckedAt: at(0)}, wantCondition: isInSync,
			wantEvents: []string{"Normal " + v1.EventParametersApplied}},
		{name: "CloudSQLFlagSetOutside", reason: "A flag the spec does not list, set outside the operator, is drift too.",
			params: params, status: &v1.ParameterStatus{Applied: digest, CheckedAt: at(time.Minute)}, condition: inSyncNoGroup,
			inCloud:   cloud.ParameterStatus{Values: map[string]string{"max_connections": "200", "log_min_duration_statement": "500", "work_mem": "64MB"}},
			change:    cloud.ParameterChange{Changed: []string{"work_mem"}},
			wantSyncs: 1, wantStatus: &v1.ParameterStatus{Applied: digest, CheckedAt: at(0)}, wantCondition: isInSync,
			wantEvents: []string{"Normal " + v1.EventParametersApplied}},
		{name: "CloudSQLSame", reason: "Values equal to the spec's (but for spaces) cost no call, even long after the last check: they are compared at every pass.",
			params: params, status: &v1.ParameterStatus{Applied: digest, CheckedAt: at(7 * time.Hour)}, condition: inSyncNoGroup,
			inCloud: cloud.ParameterStatus{Values: map[string]string{"max_connections": " 200", "log_min_duration_statement": "500 "}}, passes: 3,
			wantStatus: &v1.ParameterStatus{Applied: digest, CheckedAt: at(7 * time.Hour)}, wantCondition: isInSync},
		{name: "Creating", reason: "A database that does not serve yet is not synced; the status stays as it was, and no ParametersApplied is said yet.",
			params: params, phase: cloud.PhaseCreating, inCloud: cloud.ParameterStatus{Set: defaultGroup}},
		{name: "BackingUp", reason: "A database that serves while it backs up (just made) is synced: its group's parameters do not wait for the backup, so a new fleet's first read-back is part of its creation, not of its steady state.",
			params: params, phase: cloud.PhaseBackingUp, inCloud: cloud.ParameterStatus{Set: defaultGroup},
			change: cloud.ParameterChange{Set: id, Changed: both}, wantSyncs: 1,
			wantStatus: &v1.ParameterStatus{Group: id, Applied: digest, CheckedAt: at(0)}, wantCondition: isInSync, wantTransitions: 1,
			wantEvents: []string{"Normal " + v1.EventParametersApplied, "Normal " + v1.ReasonParametersInSync}},
		{name: "ChangingWhileRebootPending", reason: "A database changing (rebooting) is neither synced nor restarted, and the pending reboot stays shown.",
			params: params, policy: v1.RebootImmediately, phase: cloud.PhaseChanging,
			status:        with(settled, func(st *v1.ParameterStatus) { pendingShown(st); st.RebootRequestedAt = at(time.Hour) }),
			condition:     pendingNow,
			inCloud:       cloud.ParameterStatus{Set: id, PendingRestart: true},
			wantStatus:    with(settled, func(st *v1.ParameterStatus) { pendingShown(st); st.RebootRequestedAt = at(time.Hour) }),
			wantCondition: isPending},
		{name: "Refused", reason: "A parameter the cloud refuses is said in ParametersApplied False ParametersRefused, naming spec.parameters, and a Warning; the spec must change, so it is looked at again only at the owner recheck (a spec change comes back at once), and the digest applied is kept, so it is asked again then.",
			params: params, status: with(settled, func(st *v1.ParameterStatus) { st.Applied = older }), condition: inSync,
			inCloud: cloud.ParameterStatus{Set: id}, syncErrs: []error{refused},
			wantSyncs: 1, wantStatus: with(settled, func(st *v1.ParameterStatus) { st.Applied = older }),
			wantCondition: isRefused, wantMessage: []string{"spec.parameters", "max_conections"}, wantTransitions: 1,
			wantEvents: []string{"Warning " + v1.ReasonParametersRefused}, wantResult: ctrl.Result{RequeueAfter: ownerRecheck}},
		{name: "RefusedSaidOnce", reason: "A refusal that stands is said once: one Warning over four failing passes, and lastTransitionTime moves only the first time.",
			params: params, inCloud: cloud.ParameterStatus{Set: defaultGroup}, syncErrs: []error{refused, refused, refused, refused}, passes: 4,
			wantSyncs: 4, wantCondition: isRefused, wantMessage: []string{"spec.parameters"}, wantTransitions: 1,
			wantEvents: []string{"Warning " + v1.ReasonParametersRefused}, wantResult: ctrl.Result{RequeueAfter: ownerRecheck}},
		{name: "RefusedThenFixed", reason: "Once the cloud takes the parameters, ParametersApplied turns InSync and says so.",
			params: params, status: with(settled, func(st *v1.ParameterStatus) { st.Applied = older }), condition: inSync,
			inCloud: cloud.ParameterStatus{Set: id}, syncErrs: []error{refused, refused}, change: cloud.ParameterChange{Set: id, Changed: both}, passes: 3,
			wantSyncs: 3, wantStatus: &v1.ParameterStatus{Group: id, Applied: digest, CheckedAt: at(-2 * resync)},
			wantCondition: isInSync, wantTransitions: 2,
			wantEvents: []string{"Warning " + v1.ReasonParametersRefused, "Normal " + v1.EventParametersApplied, "Normal " + v1.ReasonParametersInSync}},
		{name: "FailedThenRetried", reason: "A throttled sync is retried with backoff, quietly (no refusal said), and succeeds then.",
			params: params, inCloud: cloud.ParameterStatus{Set: defaultGroup}, syncErrs: []error{throttled},
			change: cloud.ParameterChange{Set: id, Changed: both}, passes: 2,
			wantSyncs: 2, wantStatus: &v1.ParameterStatus{Group: id, Applied: digest, CheckedAt: at(-resync)},
			wantCondition: isInSync, wantTransitions: 1,
			wantEvents: []string{"Normal " + v1.EventParametersApplied, "Normal " + v1.ReasonParametersInSync}},
		{name: "BusyThenRetried", reason: "A sync the database's state refuses for now (a backup starting) is come back to soon, quietly.",
			params: params, inCloud: cloud.ParameterStatus{Set: defaultGroup}, syncErrs: []error{busy},
			wantSyncs: 1, wantResult: ctrl.Result{RequeueAfter: pendingRequeue}},
		{name: "Unsupported", reason: "Parameters the cloud cannot keep (an Aurora cluster) are refused in ParametersApplied, said once, and looked at again at the owner recheck, without an error: backoff would not help.",
			params: params, inCloud: cloud.ParameterStatus{Set: defaultGroup}, syncErrs: []error{aurora, aurora, aurora}, passes: 3,
			wantSyncs: 3, wantCondition: isRefused, wantMessage: []string{"spec.parameters", "Aurora"}, wantTransitions: 1,
			wantEvents: []string{"Warning " + v1.ReasonParametersRefused}, wantResult: ctrl.Result{RequeueAfter: ownerRecheck}},
		{name: "RateLimited", reason: "A call the operator's rate limit defers waits for its turn quietly: nothing said, nothing recorded, no error.",
			params: params, status: with(settled, func(st *v1.ParameterStatus) { st.Applied = older }), condition: inSync,
			inCloud: cloud.ParameterStatus{Set: id}, syncErrs: []error{rateLimited},
			wantSyncs: 1, wantStatus: with(settled, func(st *v1.ParameterStatus) { st.Applied = older }), wantCondition: isInSync,
			wantResult: ctrl.Result{RequeueAfter: rateLimited.After}},
		{name: "AwaitingRestartNever", reason: "A parameter waiting for a restart is shown pending, said once in ParametersApplied RebootPending (not again at the next passes), and rebootPolicy Never restarts nothing.",
			params: params, policy: v1.RebootNever, inCloud: cloud.ParameterStatus{Set: defaultGroup},
			change: cloud.ParameterChange{Set: id, Changed: both, AwaitingRestart: []string{"max_connections"}}, passes: 3,
			wantSyncs:     1,
			wantStatus:    with(v1.ParameterStatus{Group: id, Applied: digest, CheckedAt: at(0)}, pendingShown),
			wantCondition: isPending, wantMessage: []string{"max_connections", "rebootPolicy is Never"}, wantTransitions: 1,
			wantEvents: []string{"Normal " + v1.EventParametersApplied, "Normal " + v1.ReasonRebootPending}},
		{name: "AwaitingRestartDefaultPolicy", reason: "Unset, rebootPolicy is MaintenanceWindow: outside the window nothing is restarted and the pass comes back at the latest at the resync.",
			params: params, inCloud: cloud.ParameterStatus{Set: defaultGroup},
			change: cloud.ParameterChange{Set: id, Changed: both, AwaitingRestart: []string{"max_connections"}}, passes: 2,
			wantSyncs:     1,
			wantStatus:    with(v1.ParameterStatus{Group: id, Applied: digest, CheckedAt: at(0)}, pendingShown),
			wantCondition: isPending, wantMessage: []string{"max_connections", "maintenance window " + window}, wantTransitions: 1,
			wantEvents: []string{"Normal " + v1.EventParametersApplied, "Normal " + v1.ReasonRebootPending},
			wantResult: ctrl.Result{RequeueAfter: resync}},
		{name: "NoRestartInTheSyncPass", reason: "Even with rebootPolicy Immediately, the pass that set the parameters restarts nothing: it shows the wait and comes back soon, for the cloud to report it.",
			params: params, policy: v1.RebootImmediately, inCloud: cloud.ParameterStatus{Set: defaultGroup},
			change:        cloud.ParameterChange{Set: id, Changed: both, AwaitingRestart: []string{"max_connections"}},
			wantSyncs:     1,
			wantStatus:    with(v1.ParameterStatus{Group: id, Applied: digest, CheckedAt: at(0)}, pendingShown),
			wantCondition: isPending, wantMessage: []string{"max_connections", "restarts the database now"}, wantTransitions: 1,
			wantEvents: []string{"Normal " + v1.EventParametersApplied, "Normal " + v1.ReasonRebootPending},
			wantResult: ctrl.Result{RequeueAfter: pendingRequeue}},
		{name: "AwaitingRestartImmediately", reason: "rebootPolicy Immediately restarts the database at the pass after the sync, once the cloud reports the wait; once it reports nothing pending, the status says so, keeping when the restart was asked, and ParametersApplied turns InSync.",
			params: params, policy: v1.RebootImmediately, inCloud: cloud.ParameterStatus{Set: defaultGroup},
			change: cloud.ParameterChange{Set: id, Changed: both, AwaitingRestart: []string{"max_connections"}}, passes: 3,
			wantSyncs: 1, wantRestarts: 1,
			wantStatus:    &v1.ParameterStatus{Group: id, Applied: digest, CheckedAt: at(0), RebootRequestedAt: at(-resync)},
			wantCondition: isInSync, wantTransitions: 1,
			wantEvents: []string{"Normal " + v1.EventParametersApplied, "Normal " + v1.ReasonRebootPending, "Normal " + v1.EventRebooting, "Normal " + v1.ReasonParametersInSync}},
		{name: "ApplyingThenPending", reason: "While the cloud is still applying the change nothing is restarted nor cleared and the pass comes back soon; once it reports the wait, the database is restarted.",
			params: params, policy: v1.RebootImmediately, inCloud: cloud.ParameterStatus{Set: defaultGroup},
			change: cloud.ParameterChange{Set: id, Changed: both, AwaitingRestart: []string{"max_connections"}}, applying: 2, passes: 4,
			wantSyncs: 1, wantRestarts: 1,
			wantStatus: with(v1.ParameterStatus{Group: id, Applied: digest, CheckedAt: at(0)}, func(st *v1.ParameterStatus) {
				pendingShown(st)
				st.RebootRequestedAt = at(-3 * resync)
			}),
			wantCondition: isPending, wantTransitions: 1,
			wantEvents: []string{"Normal " + v1.EventParametersApplied, "Normal " + v1.ReasonRebootPending, "Normal " + v1.EventRebooting},
			wantResult: ctrl.Result{RequeueAfter: pendingRequeue}},
		{name: "Applying", reason: "A database whose parameters the cloud is applying is looked at again soon; nothing is synced, cleared or restarted, and ParametersApplied is left as it is.",
			params: params, policy: v1.RebootImmediately, status: &settled, condition: inSync,
			inCloud: cloud.ParameterStatus{Set: id, Applying: true}, passes: 3,
			wantStatus: &settled, wantCondition: isInSync, wantResult: ctrl.Result{RequeueAfter: pendingRequeue}},
		{name: "ApplyingKeepsPending", reason: "Nor is a reboot shown pending cleared while the cloud applies, though it does not report it pending.",
			params: params, policy: v1.RebootImmediately, status: with(settled, pendingShown), condition: pendingNow,
			inCloud: cloud.ParameterStatus{Set: id, Applying: true}, passes: 3,
			wantStatus: with(settled, pendingShown), wantCondition: isPending, wantResult: ctrl.Result{RequeueAfter: pendingRequeue}},
		{name: "MorePendingAdded", reason: "A parameter newly waiting for a restart joins those already waiting, sorted; ParametersApplied names them all, which is said.",
			params: params, policy: v1.RebootNever,
			status: with(settled, func(st *v1.ParameterStatus) {
				st.Applied, st.PendingReboot, st.PendingRebootParameters = older, true, []string{"shared_preload_libraries"}
			}),
			condition: pendingNever("shared_preload_libraries"),
			inCloud:   cloud.ParameterStatus{Set: id, PendingRestart: true},
			change:    cloud.ParameterChange{Set: id, Changed: both, AwaitingRestart: []string{"max_connections"}},
			wantSyncs: 1,
			wantStatus: &v1.ParameterStatus{Group: id, Applied: digest, CheckedAt: at(0),
				PendingReboot: true, PendingRebootParameters: []string{"max_connections", "shared_preload_libraries"}},
			wantCondition: isPending, wantMessage: []string{"max_connections, shared_preload_libraries"},
			wantEvents: []string{"Normal " + v1.EventParametersApplied, "Normal " + v1.ReasonRebootPending},
			wantResult: ctrl.Result{RequeueAfter: pendingRequeue}},
		{name: "PendingReportedByTheCloud", reason: "A restart the cloud reports pending without a sync of this pass (e.g. after an operator restart) is shown and said, naming the group, without a call.",
			params: params, policy: v1.RebootNever, status: &settled, condition: inSync, inCloud: cloud.ParameterStatus{Set: id, PendingRestart: true},
			wantStatus:    with(settled, func(st *v1.ParameterStatus) { st.PendingReboot = true }),
			wantCondition: isPending, wantMessage: []string{"parameter group " + id},
			wantEvents: []string{"Normal " + v1.ReasonRebootPending}},
		{name: "Restarted", reason: "Once the cloud no longer reports a restart pending after the restart was asked, the pending reboot and its parameters are cleared, when it was asked stays, and ParametersApplied turns InSync.",
			params: params, policy: v1.RebootImmediately,
			status:        with(settled, func(st *v1.ParameterStatus) { pendingShown(st); st.RebootRequestedAt = at(30 * time.Second) }),
			condition:     pendingNow,
			inCloud:       cloud.ParameterStatus{Set: id},
			wantStatus:    with(settled, func(st *v1.ParameterStatus) { st.RebootRequestedAt = at(30 * time.Second) }),
			wantCondition: isInSync, wantEvents: []string{"Normal " + v1.ReasonParametersInSync}},
		{name: "RestartedOutside", reason: "Nor once a wait set a resync ago or more is no longer reported: it was restarted outside the operator.",
			params: params, policy: v1.RebootNever,
			status:        with(settled, func(st *v1.ParameterStatus) { pendingShown(st); st.CheckedAt = at(resync) }),
			condition:     pendingNever("max_connections"),
			inCloud:       cloud.ParameterStatus{Set: id},
			wantStatus:    with(settled, func(st *v1.ParameterStatus) { st.CheckedAt = at(resync) }),
			wantCondition: isInSync, wantEvents: []string{"Normal " + v1.ReasonParametersInSync}},
		{name: "PendingNotOurs", reason: "A restart pending in a group the operator does not keep (no parameters asked, no group shown) is not its business: no restart, no status, no condition.",
			policy: v1.RebootImmediately, inCloud: cloud.ParameterStatus{Set: defaultGroup, PendingRestart: true}, passes: 3},
		{name: "PendingNotOursAnyMore", reason: "Nor once the provider let its group go: a status without a group and a spec without parameters restart nothing, and a pending reboot shown is cleared.",
			policy: v1.RebootImmediately, status: &v1.ParameterStatus{CheckedAt: at(time.Hour), PendingReboot: true}, condition: inSyncNoGroup,
			inCloud: cloud.ParameterStatus{Set: defaultGroup, PendingRestart: true}, passes: 3,
			wantStatus: &v1.ParameterStatus{CheckedAt: at(time.Hour)}, wantCondition: isInSync},
		{name: "RestartRefused", reason: "A refused restart is said once in ParametersApplied and a Warning, and returned for backoff at every pass; no restart is recorded.",
			params: params, policy: v1.RebootImmediately, status: with(settled, pendingShown), condition: pendingNow,
			inCloud: cloud.ParameterStatus{Set: id, PendingRestart: true}, restartErrs: []error{denied, denied, denied}, passes: 3,
			wantRestarts: 3, wantStatus: with(settled, pendingShown),
			wantCondition: isRefused, wantMessage: []string{"rds:RebootDBInstance"}, wantTransitions: 1,
			wantEvents: []string{"Warning " + v1.ReasonParametersRefused}, wantErr: true},
		{name: "RestartUnsupported", reason: "A restart the cloud cannot do (an Aurora cluster) is said once in ParametersApplied and a Warning, and looked at again at the owner recheck, without an error.",
			params: params, policy: v1.RebootImmediately, status: with(settled, pendingShown), condition: pendingNow,
			inCloud: cloud.ParameterStatus{Set: id, PendingRestart: true}, restartErrs: []error{cluster, cluster, cluster}, passes: 3,
			wantRestarts: 3, wantStatus: with(settled, pendingShown),
			wantCondition: isRefused, wantMessage: []string{"Aurora"}, wantTransitions: 1,
			wantEvents: []string{"Warning " + v1.ReasonParametersRefused}, wantResult: ctrl.Result{RequeueAfter: ownerRecheck}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inCloud := tc.inCloud
			inCloud.Values = maps.Clone(tc.inCloud.Values)
			var reported cloud.ParameterStatus // what the cloud phase observed this pass
			awaiting, applyingLeft := false, 0
			syncs, restarts := 0, 0
			fake := &cloudtest.Provider{
				SyncParametersFn: func(_ context.Context, d cloud.Desired, in cloud.Instance) (cloud.ParameterChange, error) {
					syncs++
					if d.Identifier != id || d.OwnerTag != v1.TagOwner || d.Tags[v1.TagOwner] != "shop/orders" {
						t.Errorf("%s\nSyncParameters for %q, owner tag %q = %q; want %q, %q = shop/orders", tc.reason, d.Identifier, d.OwnerTag, d.Tags[d.OwnerTag], id, v1.TagOwner)
					}
					if diff := cmp.Diff(tc.params, d.Parameters); diff != "" {
						t.Errorf("%s\nparameters sent: -want +got:\n%s", tc.reason, diff)
					}
					if diff := cmp.Diff(reported, in.Parameters); diff != "" {
						t.Errorf("%s\nSyncParameters got another database than observed: -want +got:\n%s", tc.reason, diff)
					}
					if i := syncs - 1; i < len(tc.syncErrs) && tc.syncErrs[i] != nil {
						return cloud.ParameterChange{}, tc.syncErrs[i]
					}
					inCloud.Set = tc.change.Set
					if inCloud.Values != nil { // a cloud reporting values reports the new ones
						inCloud.Values = maps.Clone(d.Parameters)
						if inCloud.Values == nil {
							inCloud.Values = map[string]string{}
						}
					}
					if len(tc.change.AwaitingRestart) > 0 {
						inCloud.Applying, awaiting, applyingLeft = true, true, tc.applying
					}
					return tc.change, nil
				},
				RestartFn: func(_ context.Context, db string) error {
					restarts++
					if db != id {
						t.Errorf("%s\nrestarted %q, want %q", tc.reason, db, id)
					}
					if i := restarts - 1; i < len(tc.restartErrs) && tc.restartErrs[i] != nil {
						return tc.restartErrs[i]
					}
					inCloud.PendingRestart = false
					return nil
				},
			}
			rec := events.NewFakeRecorder(100)
			clock := clocktesting.NewFakePassiveClock(now)
			r := &RDSDatabaseReconciler{Cloud: fake, Defaults: DefaultDefaults, Recorder: rec, Clock: clock}
			read := sampleDB()
			read.UID = "uid-1"
			read.Spec.Parameters, read.Spec.RebootPolicy = tc.params, tc.policy
			read.Status.Parameters = tc.status.DeepCopy()
			if tc.condition != nil {
				read.Status.Conditions = []metav1.Condition{*tc.condition}
			}
			phase := tc.phase
			if phase == "" {
				phase = cloud.PhaseAvailable
			}
			transitionOf := func(db *v1.RDSDatabase) (metav1.Time, bool) {
				if c := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionParametersApplied); c != nil {
					return c.LastTransitionTime, true
				}
				return metav1.Time{}, false
			}

			var s *scope
			var result ctrl.Result
			var err error
			var got []string
			transitions := 0
			for pass := range max(tc.passes, 1) {
				clock.SetTime(now.Add(time.Duration(pass) * resync))
				db := read.DeepCopy()
				s = placed(r, db)
				if awaiting { // the cloud applies the change, then reports the wait
					if applyingLeft == 0 {
						inCloud.Applying, inCloud.PendingRestart, awaiting = false, true, false
					} else {
						applyingLeft--
					}
				}
				reported = inCloud
				reported.Values = maps.Clone(inCloud.Values)
				s.instance = &cloud.Instance{Identifier: id, Status: "available", Phase: phase, MaintenanceWindow: window, Parameters: reported}
				// As the cloud phase, just before, finds the database as the spec asks.
				setCondition(db, v1.ConditionProvisioned, metav1.ConditionTrue, v1.ReasonAvailable, "the cloud database is available")
				if s.desired, _, err = r.desired(s); err != nil {
					t.Fatalf("desired: %v", err)
				}
				before, was := transitionOf(db)
				result, err = r.reconcileParameters(context.Background(), s)
				if after, is := transitionOf(s.db); is != was || !after.Equal(&before) {
					transitions++
				}
				got = drainEvents(got, rec, s)
				read = s.db
			}

			if (err != nil) != tc.wantErr {
				t.Errorf("%s\nerror %v, want one %t", tc.reason, err, tc.wantErr)
			}
			if syncs != tc.wantSyncs || restarts != tc.wantRestarts {
				t.Errorf("%s\n%d SyncParameters, %d Restart calls; want %d, %d", tc.reason, syncs, restarts, tc.wantSyncs, tc.wantRestarts)
			}
			if diff := cmp.Diff(tc.wantStatus, s.db.Status.Parameters); diff != "" {
				t.Errorf("%s\nstatus.parameters: -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.wantEvents, got); diff != "" {
				t.Errorf("%s\nEvents: -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.wantResult, result); diff != "" {
				t.Errorf("%s\nresult: -want +got:\n%s", tc.reason, diff)
			}
			c := meta.FindStatusCondition(s.db.Status.Conditions, v1.ConditionParametersApplied)
			var shown string
			if c != nil {
				shown = string(c.Status) + " " + c.Reason
			}
			if shown != tc.wantCondition {
				t.Errorf("%s\nParametersApplied = %+v, want %q", tc.reason, c, tc.wantCondition)
			}
			for _, w := range tc.wantMessage {
				if c == nil || !strings.Contains(c.Message, w) {
					t.Errorf("%s\nParametersApplied = %+v does not say %q", tc.reason, c, w)
				}
			}
			if transitions != tc.wantTransitions {
				t.Errorf("%s\nParametersApplied's lastTransitionTime moved in %d passes, want %d", tc.reason, transitions, tc.wantTransitions)
			}
			if p := meta.FindStatusCondition(s.db.Status.Conditions, v1.ConditionProvisioned); p == nil || p.Status != metav1.ConditionTrue || p.Reason != v1.ReasonAvailable {
				t.Errorf("%s\nProvisioned = %+v, want it left True %s", tc.reason, p, v1.ReasonAvailable)
			}
		})
	}
}

// TestRestartForParameters: the restart for parameters shown waiting for one, by
// rebootPolicy, on a Wednesday at 12:30 UTC. Each case counts the Restart calls and
// compares the status the phase leaves, its result, its Events and, on a failure,
// ParametersApplied.
func TestRestartForParameters(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 30, 0, 0, time.UTC) // a Wednesday
	id := naming.Identifier("shop", "orders")
	at := func(ago time.Duration) *metav1.Time { t := metav1.NewTime(now.Add(-ago)); return &t }
	pendingRequeue, resync := DefaultDefaults.PendingRequeue, DefaultDefaults.Resync
	const (
		inside  = "wed:12:00-wed:13:00"
		later   = "wed:14:00-wed:14:30" // 90 minutes away, more than a resync
		soon    = "wed:12:35-wed:13:05" // 5 minutes away
		pending = "max_connections"
	)
	notPending := func() *v1.ParameterStatus { return &v1.ParameterStatus{PendingRebootParameters: []string{pending}} }
	shown := func(change func(*v1.ParameterStatus)) *v1.ParameterStatus {
		st := &v1.ParameterStatus{PendingReboot: true, PendingRebootParameters: []string{pending}}
		if change != nil {
			change(st)
		}
		return st
	}
	busy := &cloud.Error{Op: "reboot db instance " + id, Code: "InvalidDBInstanceState", Message: "not available", Kind: cloud.ErrBusy}
	denied := &cloud.Error{Op: "reboot db instance " + id, Code: "AccessDenied", Message: "not authorized to perform rds:RebootDBInstance"}
	cluster := &cloud.Error{Op: "reboot " + id, Code: "Unsupported", Kind: cloud.ErrUnsupported, Message: "the operator does not reboot Aurora DB clusters"}
	rateLimited := &cloud.WaitError{Op: "reboot db instance " + id, Why: "the operator's AWS rate limit", After: 40 * time.Second}

	cases := []struct {
		name       string
		reason     string
		policy     v1.RebootPolicy
		window     string // the database's maintenance window
		status     *v1.ParameterStatus
		restartErr error

		wantRestarts int
		wantStatus   *v1.ParameterStatus
		wantResult   ctrl.Result
		wantEvents   []string
		wantRefusal  bool // ParametersApplied False ParametersRefused
		wantErr      bool
	}{
		{name: "Immediately", reason: "rebootPolicy Immediately restarts at once, records when, says it, and looks again soon.",
			policy: v1.RebootImmediately, window: later, status: shown(nil),
			wantRestarts: 1, wantStatus: shown(func(st *v1.ParameterStatus) { st.RebootRequestedAt = at(0) }),
			wantResult: ctrl.Result{RequeueAfter: pendingRequeue},
			wantEvents: []string{"Normal " + v1.EventRebooting}},
		{name: "NotPending", reason: "Nothing shown pending restarts nothing, whatever the policy and the list left.",
			policy: v1.RebootImmediately, window: inside, status: notPending(),
			wantStatus: notPending()},
		{name: "Never", reason: "rebootPolicy Never restarts nothing, even inside the window, and says nothing (ParametersApplied does).",
			policy: v1.RebootNever, window: inside, status: shown(nil),
			wantStatus: shown(nil)},
		{name: "InsideTheWindow", reason: "rebootPolicy MaintenanceWindow restarts inside the database's window.",
			policy: v1.RebootInMaintenanceWindow, window: inside, status: shown(nil),
			wantRestarts: 1, wantStatus: shown(func(st *v1.ParameterStatus) { st.RebootRequestedAt = at(0) }),
			wantResult: ctrl.Result{RequeueAfter: pendingRequeue},
			wantEvents: []string{"Normal " + v1.EventRebooting}},
		{name: "DefaultPolicyInsideTheWindow", reason: "An unset rebootPolicy is MaintenanceWindow.",
			window: inside, status: shown(nil),
			wantRestarts: 1, wantStatus: shown(func(st *v1.ParameterStatus) { st.RebootRequestedAt = at(0) }),
			wantResult: ctrl.Result{RequeueAfter: pendingRequeue},
			wantEvents: []string{"Normal " + v1.EventRebooting}},
		{name: "WindowLater", reason: "Outside the window nothing is restarted; a window further than the resync is looked at again at the resync.",
			policy: v1.RebootInMaintenanceWindow, window: later, status: shown(nil),
			wantStatus: shown(nil), wantResult: ctrl.Result{RequeueAfter: resync}},
		{name: "WindowSoon", reason: "A window starting before the resync is come back to when it starts.",
			window: soon, status: shown(nil),
			wantStatus: shown(nil), wantResult: ctrl.Result{RequeueAfter: 5 * time.Minute}},
		{name: "JustAsked", reason: "A restart asked less than rebootSettle ago is not asked again while the cloud still reports the parameters pending.",
			policy: v1.RebootImmediately, window: inside, status: shown(func(st *v1.ParameterStatus) { st.RebootRequestedAt = at(rebootSettle - time.Second) }),
			wantStatus: shown(func(st *v1.ParameterStatus) { st.RebootRequestedAt = at(rebootSettle - time.Second) })},
		{name: "AskedLongAgo", reason: "A restart asked rebootSettle ago and still not reported is asked again.",
			policy: v1.RebootImmediately, window: later, status: shown(func(st *v1.ParameterStatus) { st.RebootRequestedAt = at(rebootSettle) }),
			wantRestarts: 1, wantStatus: shown(func(st *v1.ParameterStatus) { st.RebootRequestedAt = at(0) }),
			wantResult: ctrl.Result{RequeueAfter: pendingRequeue},
			wantEvents: []string{"Normal " + v1.EventRebooting}},
		{name: "Busy", reason: "A database the cloud cannot restart yet is asked again soon, without a failure and without recording a restart.",
			policy: v1.RebootImmediately, window: later, status: shown(nil), restartErr: busy,
			wantRestarts: 1, wantStatus: shown(nil), wantResult: ctrl.Result{RequeueAfter: pendingRequeue}},
		{name: "RateLimited", reason: "A restart the operator's rate limit defers waits for its turn, quietly.",
			policy: v1.RebootImmediately, window: later, status: shown(nil), restartErr: rateLimited,
			wantRestarts: 1, wantStatus: shown(nil), wantResult: ctrl.Result{RequeueAfter: rateLimited.After}},
		{name: "Refused", reason: "A refused restart is said in ParametersApplied and a Warning, and returned for backoff; no restart is recorded.",
			policy: v1.RebootImmediately, window: later, status: shown(nil), restartErr: denied,
			wantRestarts: 1, wantStatus: shown(nil),
			wantEvents: []string{"Warning " + v1.ReasonParametersRefused}, wantRefusal: true, wantErr: true},
		{name: "Unsupported", reason: "A restart the cloud cannot do (an Aurora cluster) is said the same way, but looked at again at the owner recheck, without an error.",
			policy: v1.RebootImmediately, window: later, status: shown(nil), restartErr: cluster,
			wantRestarts: 1, wantStatus: shown(nil), wantResult: ctrl.Result{RequeueAfter: ownerRecheck},
			wantEvents: []string{"Warning " + v1.ReasonParametersRefused}, wantRefusal: true},
		{name: "UnreadableWindow", reason: "A window that cannot be read restarts nothing, and says why in a Warning.",
			window: "whenever", status: shown(nil),
			wantStatus: shown(nil), wantEvents: []string{"Warning " + v1.ReasonRebootPending}},
		{name: "NoWindow", reason: "Nor does a database without a window known.",
			status:     shown(nil),
			wantStatus: shown(nil), wantEvents: []string{"Warning " + v1.ReasonRebootPending}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			restarts := 0
			fake := &cloudtest.Provider{RestartFn: func(_ context.Context, db string) error {
				restarts++
				if db != id {
					t.Errorf("%s\nrestarted %q, want %q", tc.reason, db, id)
				}
				return tc.restartErr
			}}
			rec := events.NewFakeRecorder(10)
			r := &RDSDatabaseReconciler{Cloud: fake, Defaults: DefaultDefaults, Recorder: rec, Clock: clocktesting.NewFakePassiveClock(now)}
			db := sampleDB()
			db.UID = "uid-1"
			db.Spec.RebootPolicy = tc.policy
			s := placed(r, db)
			s.instance = &cloud.Instance{Identifier: id, Status: "available", Phase: cloud.PhaseAvailable, MaintenanceWindow: tc.window}
			st := tc.status.DeepCopy()

			result, _, err := r.restartForParameters(context.Background(), s, st, now)

			if (err != nil) != tc.wantErr {
				t.Errorf("%s\nerror %v, want one %t", tc.reason, err, tc.wantErr)
			}
			if restarts != tc.wantRestarts {
				t.Errorf("%s\n%d Restart calls, want %d", tc.reason, restarts, tc.wantRestarts)
			}
			if diff := cmp.Diff(tc.wantStatus, st); diff != "" {
				t.Errorf("%s\nstatus.parameters: -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.wantResult, result); diff != "" {
				t.Errorf("%s\nresult: -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.wantEvents, drainEvents(nil, rec, s)); diff != "" {
				t.Errorf("%s\nEvents: -want +got:\n%s", tc.reason, diff)
			}
			c := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionParametersApplied)
			if refused := c != nil && c.Status == metav1.ConditionFalse && c.Reason == v1.ReasonParametersRefused; refused != tc.wantRefusal {
				t.Errorf("%s\nParametersApplied = %+v, want False %s %t", tc.reason, c, v1.ReasonParametersRefused, tc.wantRefusal)
			}
			if p := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionProvisioned); p != nil {
				t.Errorf("%s\nProvisioned = %+v, want it untouched", tc.reason, p)
			}
		})
	}
}

// TestInWeeklyWindow: whether a moment falls in a weekly UTC window ddd:hh24:mi-ddd:hh24:mi,
// and how long until the window starts when it does not.
func TestInWeeklyWindow(t *testing.T) {
	// 2026-12-05 is a Saturday, 2026-12-06 a Sunday.
	day := func(d, h, m, s int) time.Time { return time.Date(2026, 12, d, h, m, s, 0, time.UTC) }
	const week = 7 * 24 * time.Hour
	cases := []struct {
		name     string
		reason   string
		window   string
		now      time.Time
		wantIn   bool
		wantNext time.Duration
		wantErr  bool
	}{
		{name: "Inside", reason: "A moment between start and end is in.",
			window: "wed:12:00-wed:13:00", now: day(2, 12, 30, 0), wantIn: true},
		{name: "AtStart", reason: "The start is in the window.",
			window: "wed:12:00-wed:13:00", now: day(2, 12, 0, 0), wantIn: true},
		{name: "AtEnd", reason: "The end is not: the next start is a week after the last.",
			window: "wed:12:00-wed:13:00", now: day(2, 13, 0, 0), wantNext: week - time.Hour},
		{name: "JustBefore", reason: "Half a minute before the start is out, and counts the seconds.",
			window: "wed:12:00-wed:13:00", now: day(2, 11, 59, 30), wantNext: 30 * time.Second},
		{name: "LaterToday", reason: "A window later the same day starts in hours.",
			window: "wed:14:00-wed:14:30", now: day(2, 12, 30, 0), wantNext: 90 * time.Minute},
		{name: "EarlierInTheWeek", reason: "A window on a day already past starts next week.",
			window: "mon:03:00-mon:03:30", now: day(2, 12, 30, 0), wantNext: 4*24*time.Hour + 14*time.Hour + 30*time.Minute},
		{name: "AcrossDays", reason: "A window across midnight holds the next day's early hours.",
			window: "tue:23:30-wed:00:30", now: day(2, 0, 15, 0), wantIn: true},
		{name: "WeekEndWrapStart", reason: "A window over the week's end (Saturday to Sunday) holds Saturday night...",
			window: "sat:23:00-sun:01:00", now: day(5, 23, 30, 0), wantIn: true},
		{name: "WeekEndWrapAfterMidnight", reason: "...and Sunday's first hour, though Sunday comes first in the week.",
			window: "sat:23:00-sun:01:00", now: day(6, 0, 30, 0), wantIn: true},
		{name: "WeekEndWrapEnd", reason: "Its end is out.",
			window: "sat:23:00-sun:01:00", now: day(6, 1, 0, 0), wantNext: week - 2*time.Hour},
		{name: "WeekEndWrapBefore", reason: "An hour before it starts.",
			window: "sat:23:00-sun:01:00", now: day(5, 22, 0, 0), wantNext: time.Hour},
		{name: "UpperCase", reason: "Day names are read whatever their case.",
			window: "Sat:23:00-SUN:01:00", now: day(5, 23, 30, 0), wantIn: true},
		{name: "OtherZone", reason: "The window is UTC whatever the zone of the moment: 13:30 at UTC+2 is 11:30 UTC.",
			window: "wed:12:00-wed:13:00", now: time.Date(2026, 12, 2, 13, 30, 0, 0, time.FixedZone("CEST", 2*3600)), wantNext: 30 * time.Minute},
		{name: "Empty", reason: "No window cannot be read.", window: "", now: day(2, 12, 30, 0), wantErr: true},
		{name: "NoEnd", reason: "A start alone cannot be read.", window: "sat:23:00", now: day(2, 12, 30, 0), wantErr: true},
		{name: "BadDay", reason: "An unknown day cannot be read.", window: "xyz:10:00-sun:01:00", now: day(2, 12, 30, 0), wantErr: true},
		{name: "BadHour", reason: "An hour past 23 cannot be read.", window: "sat:25:00-sun:01:00", now: day(2, 12, 30, 0), wantErr: true},
		{name: "NoTime", reason: "A day without a time cannot be read.", window: "sat:23:00-sun", now: day(2, 12, 30, 0), wantErr: true},
		{name: "Seconds", reason: "A time with seconds is not ddd:hh24:mi.", window: "sat:23:00-sun:01:00:00", now: day(2, 12, 30, 0), wantErr: true},
		{name: "DailyWindow", reason: "A daily backup window hh24:mi-hh24:mi is not a weekly one.", window: "03:00-03:30", now: day(2, 12, 30, 0), wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in, next, err := inWeeklyWindow(tc.window, tc.now)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\ninWeeklyWindow(%q, %s) error %v, want one %t", tc.reason, tc.window, tc.now, err, tc.wantErr)
			}
			if in != tc.wantIn || next != tc.wantNext {
				t.Errorf("%s\ninWeeklyWindow(%q, %s) = %t, %s; want %t, %s", tc.reason, tc.window, tc.now, in, next, tc.wantIn, tc.wantNext)
			}
			if !tc.wantErr && !in {
				// Where it says the window starts, it is in.
				if in, _, _ := inWeeklyWindow(tc.window, tc.now.Add(next)); !in {
					t.Errorf("%s\n%s after %s is not in %q", tc.reason, next, tc.now, tc.window)
				}
			}
		})
	}
}

// TestParameterDigest: the digest the status keeps of the parameters applied tells equal sets
// from different ones.
func TestParameterDigest(t *testing.T) {
	base := map[string]string{"max_connections": "200", "log_min_duration_statement": "500", "work_mem": "64MB"}
	reordered := map[string]string{}
	for _, k := range []string{"work_mem", "max_connections", "log_min_duration_statement"} {
		reordered[k] = base[k]
	}
	changed := func(change func(map[string]string)) map[string]string {
		m := maps.Clone(base)
		change(m)
		return m
	}
	cases := []struct {
		name     string
		reason   string
		a, b     map[string]string
		wantSame bool
	}{
		{name: "Equal", reason: "Equal maps, built in another order, have equal digests.", a: base, b: reordered, wantSame: true},
		{name: "OtherValue", reason: "A different value differs.", a: base, b: changed(func(m map[string]string) { m["max_connections"] = "201" })},
		{name: "OtherKey", reason: "The same value under another name differs.",
			a: base, b: changed(func(m map[string]string) { delete(m, "work_mem"); m["maintenance_work_mem"] = "64MB" })},
		{name: "ExtraKey", reason: "One more parameter differs.", a: base, b: changed(func(m map[string]string) { m["shared_buffers"] = "16384" })},
		{name: "FewerKeys", reason: "One fewer parameter differs.", a: base, b: changed(func(m map[string]string) { delete(m, "work_mem") })},
		{name: "EmptyValue", reason: "A parameter set to the empty string is not one left out.",
			a: map[string]string{"search_path": ""}, b: map[string]string{}},
		{name: "SeparatorsInValues", reason: "A value holding the digest's own separators is not taken for two parameters.",
			a: map[string]string{"a": "b\nc=d"}, b: map[string]string{"a": "b", "c": "d"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := parameterDigest(tc.a), parameterDigest(tc.b)
			if (a == b) != tc.wantSame {
				t.Errorf("%s\nparameterDigest(%v) = %q, parameterDigest(%v) = %q; want equal %t", tc.reason, tc.a, a, tc.b, b, tc.wantSame)
			}
		})
	}
	for _, empty := range []map[string]string{nil, {}} {
		if got := parameterDigest(empty); got != "" {
			t.Errorf("No parameters have the empty digest, as a status that never applied any: parameterDigest(%#v) = %q", empty, got)
		}
	}
	if got := parameterDigest(base); got != parameterDigest(base) || len(got) != 16 {
		t.Errorf("A digest is stable and 16 characters long: got %q", got)
	}
}
