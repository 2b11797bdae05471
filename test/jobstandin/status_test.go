package jobstandin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// TestApiserverJobStatusRules records what kube-apiserver (1.37) accepts on a Job's status
// subresource, which the stand-in's writes must follow (see the package comment): the
// sequences the stand-in writes are accepted, and each shortcut is refused with the
// apiserver's reason. The Jobs are managed by another controller, so no stand-in runs them;
// the rules are the same for every Job.
func TestApiserverJobStatusRules(t *testing.T) {
	ns := namespace(t)
	t0 := metav1.NewTime(time.Now().Add(-time.Minute).Truncate(time.Second))
	t1 := metav1.NewTime(t0.Add(10 * time.Second))
	cond := func(typ batchv1.JobConditionType, reason string) batchv1.JobCondition {
		return batchv1.JobCondition{Type: typ, Status: corev1.ConditionTrue, Reason: reason, Message: reason, LastProbeTime: t1, LastTransitionTime: t1}
	}
	created := func(st *batchv1.JobStatus) {
		st.StartTime, st.Active, st.Ready, st.Terminating = &t0, 1, ptr.To[int32](0), ptr.To[int32](0)
		st.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{}
	}
	ready := func(st *batchv1.JobStatus) { st.Ready = ptr.To[int32](1) }
	succeeded := func(st *batchv1.JobStatus) {
		st.Active, st.Ready, st.Succeeded = 0, ptr.To[int32](0), 1
		st.Conditions = append(st.Conditions, cond(batchv1.JobSuccessCriteriaMet, batchv1.JobReasonCompletionsReached))
	}
	complete := func(st *batchv1.JobStatus) {
		st.Conditions = append(st.Conditions, cond(batchv1.JobComplete, batchv1.JobReasonCompletionsReached))
		st.CompletionTime = &t1
	}
	failed := func(st *batchv1.JobStatus) { st.Active, st.Ready, st.Failed = 0, ptr.To[int32](0), st.Failed+1 }
	failureTarget := func(st *batchv1.JobStatus) {
		st.Conditions = append(st.Conditions, cond(batchv1.JobFailureTarget, batchv1.JobReasonBackoffLimitExceeded))
	}
	failedCond := func(st *batchv1.JobStatus) {
		st.Conditions = append(st.Conditions, cond(batchv1.JobFailed, batchv1.JobReasonBackoffLimitExceeded))
	}
	both := func(a, b func(*batchv1.JobStatus)) func(*batchv1.JobStatus) {
		return func(st *batchv1.JobStatus) { a(st); b(st) }
	}
	type step = func(*batchv1.JobStatus)
	cases := []struct {
		reason string
		steps  []step
		// refused is part of the apiserver's message refusing the last step; empty
		// when every step is accepted.
		refused string
	}{
		{reason: "the stand-in's success: created, ready, succeeded with SuccessCriteriaMet, then Complete with completionTime",
			steps: []step{created, ready, succeeded, complete}},
		{reason: "the stand-in's failure: each failed attempt counted, then FailureTarget, then Failed",
			steps: []step{created, failed, created, failed, failureTarget, failedCond}},
		{reason: "SuccessCriteriaMet and Complete may come in one write (the Job controller makes two)",
			steps: []step{created, both(succeeded, complete)}},
		{reason: "Complete needs SuccessCriteriaMet", steps: []step{created, both(failed, complete)},
			refused: "cannot set Complete=True condition without the SuccessCriteriaMet=true condition"},
		{reason: "SuccessCriteriaMet is never removed", steps: []step{created, both(succeeded, complete), func(st *batchv1.JobStatus) { st.Conditions = st.Conditions[1:] }},
			refused: "cannot disable the SuccessCriteriaMet=True condition"},
		{reason: "Complete needs completionTime", steps: []step{created, succeeded, func(st *batchv1.JobStatus) {
			st.Conditions = append(st.Conditions, cond(batchv1.JobComplete, batchv1.JobReasonCompletionsReached))
		}}, refused: "completionTime is required for Complete jobs"},
		{reason: "completionTime needs Complete", steps: []step{created, func(st *batchv1.JobStatus) { st.CompletionTime = &t1 }},
			refused: "cannot set completionTime when there is no Complete=True condition"},
		{reason: "a finished Job has no active pod", steps: []step{created, both(ready, func(st *batchv1.JobStatus) {
			st.Succeeded = 1
			st.Conditions = append(st.Conditions, cond(batchv1.JobSuccessCriteriaMet, batchv1.JobReasonCompletionsReached))
			complete(st)
		})}, refused: "active>0 is invalid for finished job"},
		{reason: "a finished Job has a startTime", steps: []step{both(succeeded, complete)},
			refused: "startTime is required for finished job"},
		{reason: "Failed needs FailureTarget", steps: []step{created, both(failed, failedCond)},
			refused: "cannot set Failed=True condition without the FailureTarget=true condition"},
		{reason: "no more ready pods than active ones", steps: []step{created, func(st *batchv1.JobStatus) { st.Ready = ptr.To[int32](2) }},
			refused: "cannot set more ready pods than active"},
		{reason: "startTime is immutable once set (the Job not suspended)", steps: []step{created, func(st *batchv1.JobStatus) { st.StartTime = &t1 }},
			refused: "field is immutable for unsuspended job once set"},
		{reason: "the failed counter never decreases", steps: []step{created, failed, func(st *batchv1.JobStatus) { st.Failed = 0 }},
			refused: "cannot decrease the failed counter"},
		{reason: "the succeeded counter never decreases", steps: []step{created, succeeded, func(st *batchv1.JobStatus) { st.Succeeded = 0 }},
			refused: "cannot decrease the succeeded counter"},
		{reason: "SuccessCriteriaMet never sits beside FailureTarget", steps: []step{created, both(failureTarget, succeeded)},
			refused: "cannot set SuccessCriteriaMet=True and FailureTarget=true conditions"},
		{reason: "a terminal condition is never removed", steps: []step{created, succeeded, complete, func(st *batchv1.JobStatus) { st.Conditions = st.Conditions[:1] }},
			refused: "cannot disable the terminal Complete=True condition"},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			ctx := context.Background()
			job := dumpJob(ns, fmt.Sprintf("rules-%d", i), "exit 0")
			job.Spec.ManagedBy = ptr.To("example.com/not-the-job-controller")
			create(t, job)
			for n, change := range c.steps {
				change(&job.Status)
				err := env.client.Status().Update(ctx, job)
				last := n == len(c.steps)-1
				switch {
				case last && c.refused != "" && err == nil:
					t.Errorf("%s: accepted, want refused with %q", c.reason, c.refused)
				case last && c.refused != "" && !strings.Contains(err.Error(), c.refused):
					t.Errorf("%s: refused with %v, want %q", c.reason, err, c.refused)
				case err != nil && (!last || c.refused == ""):
					t.Fatalf("%s: step %d refused: %v", c.reason, n+1, err)
				}
			}
		})
	}
}
