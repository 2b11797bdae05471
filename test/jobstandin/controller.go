package jobstandin

import (
	"context"
	"fmt"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// reconciler decides, for each Job, whether it is run: it starts the run of a Job that is
// not finished, and stops that of a Job gone, being deleted or suspended. The run itself
// (runJob) reads the Job afresh before every step.
type reconciler struct {
	client client.Client
	s      *StandIn
}

// Reconcile implements reconcile.Reconciler.
func (r *reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	job := &batchv1.Job{}
	if err := r.client.Get(ctx, req.NamespacedName, job); apierrors.IsNotFound(err) {
		r.s.forget(req.NamespacedName) // its pod goes with it
		return ctrl.Result{}, nil
	} else if err != nil {
		return ctrl.Result{}, err
	}
	switch {
	case !job.DeletionTimestamp.IsZero():
		r.s.forget(req.NamespacedName)
	case ptr.Deref(job.Spec.ManagedBy, batchv1.JobControllerName) != batchv1.JobControllerName:
		// Another controller's Job, which the Job controller leaves alone too.
	case finished(job):
	case ptr.Deref(job.Spec.Suspend, false):
		r.s.forget(req.NamespacedName) // the Job controller deletes the pod of a suspended Job
	default:
		if why := unsupported(job); why != "" {
			r.s.ignore(job, why)
		} else {
			r.s.run(job)
		}
	}
	return ctrl.Result{}, nil
}

// finished reports whether Job job has finished: Complete or Failed.
func finished(job *batchv1.Job) bool {
	return hasCondition(job.Status, batchv1.JobComplete) || hasCondition(job.Status, batchv1.JobFailed)
}

// unsupported says what of Job job's spec the stand-in cannot run; empty when it can.
func unsupported(job *batchv1.Job) string {
	spec := job.Spec
	pod := spec.Template.Spec
	var why []string
	if n := len(pod.Containers); n != 1 {
		why = append(why, fmt.Sprintf("%d containers, not one", n))
	}
	if len(pod.InitContainers) > 0 {
		why = append(why, "init containers")
	}
	if ptr.Deref(spec.Completions, 1) != 1 || ptr.Deref(spec.Parallelism, 1) != 1 {
		why = append(why, "completions or parallelism other than 1")
	}
	if ptr.Deref(spec.CompletionMode, batchv1.NonIndexedCompletion) != batchv1.NonIndexedCompletion {
		why = append(why, "an Indexed completion mode")
	}
	for _, c := range pod.Containers {
		if len(c.Command) == 0 {
			why = append(why, "a container without a command (the image's entrypoint is not known here)")
		}
		why = append(why, unsupportedEnv(c)...)
	}
	for _, v := range pod.Volumes {
		if v.PersistentVolumeClaim == nil && v.Secret == nil && v.ConfigMap == nil && v.EmptyDir == nil {
			why = append(why, fmt.Sprintf("volume %s is not a persistentVolumeClaim, secret, configMap or emptyDir", v.Name))
		}
	}
	return strings.Join(why, "; ")
}
