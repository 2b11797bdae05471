package jobstandin

import (
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// The messages of the conditions the Job controller writes, with their reasons.
const (
	messageCompletionsReached   = "Reached expected number of succeeded pods"
	messageBackoffLimitExceeded = "Job has reached the specified backoff limit"
	messageDeadlineExceeded     = "Job was active longer than specified deadline"
)

// Each function below changes a Job's status as the Job controller (Kubernetes 1.37) does at
// one step of a pod's life, in an order kube-apiserver's validation of the status
// subresource accepts (see the package comment). Each is one status write.

// podCreated: the Job's pod exists and is not ready yet. The first one starts the Job.
func podCreated(st *batchv1.JobStatus, now metav1.Time) {
	if st.StartTime == nil {
		st.StartTime = &now
	}
	st.Active, st.Ready, st.Terminating = 1, ptr.To[int32](0), ptr.To[int32](0)
	if st.UncountedTerminatedPods == nil {
		st.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{}
	}
}

// podReady: its container runs (no readiness probe is run).
func podReady(st *batchv1.JobStatus) {
	st.Ready = ptr.To[int32](1)
}

// podSucceeded: the container exited 0; the Job has met its success criteria.
func podSucceeded(st *batchv1.JobStatus, now metav1.Time) {
	st.Active, st.Ready = 0, ptr.To[int32](0)
	st.Succeeded++
	setCondition(st, batchv1.JobSuccessCriteriaMet, batchv1.JobReasonCompletionsReached, messageCompletionsReached, now)
}

// jobComplete: the Job is Complete, at the time of that condition.
func jobComplete(st *batchv1.JobStatus, now metav1.Time) {
	setCondition(st, batchv1.JobComplete, batchv1.JobReasonCompletionsReached, messageCompletionsReached, now)
	st.CompletionTime = &now
}

// podFailed: the container exited non-zero, or was killed.
func podFailed(st *batchv1.JobStatus) {
	st.Active, st.Ready = 0, ptr.To[int32](0)
	st.Failed++
}

// failureTarget: the Job is going to fail, for reason (BackoffLimitExceeded,
// DeadlineExceeded); no pod of it is active.
func failureTarget(st *batchv1.JobStatus, reason, message string, now metav1.Time) {
	st.Active, st.Ready = 0, ptr.To[int32](0)
	setCondition(st, batchv1.JobFailureTarget, reason, message, now)
}

// jobFailed: the Job has Failed, for the reason of its FailureTarget condition.
func jobFailed(st *batchv1.JobStatus, now metav1.Time) {
	for _, c := range st.Conditions {
		if c.Type == batchv1.JobFailureTarget {
			setCondition(st, batchv1.JobFailed, c.Reason, c.Message, now)
			return
		}
	}
}

// setCondition adds the condition t (True) unless the Job has it already.
func setCondition(st *batchv1.JobStatus, t batchv1.JobConditionType, reason, message string, now metav1.Time) {
	for _, c := range st.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return
		}
	}
	st.Conditions = append(st.Conditions, batchv1.JobCondition{
		Type: t, Status: corev1.ConditionTrue, Reason: reason, Message: message,
		LastProbeTime: now, LastTransitionTime: now,
	})
}
