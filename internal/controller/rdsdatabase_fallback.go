package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// maxFallbacks bounds an object's chain of fallbacks: the class it asks for and at most this
// many fallbacks after it.
const maxFallbacks = 8

// noFallback says why no class along a chain of fallbacks can make an object's database:
// the Provisioned condition's reason and the end of its message.
type noFallback struct {
	reason, why string
}

// placeOnFallback finds, for an object not placed yet whose class from cannot be served
// (why says so), the first class along from's fallbacks that can, and queues the FellBack
// Event, sent once the status that records the new class is written. When none can it
// returns errNoPlacement, the Provisioned condition saying why.
func (r *RDSDatabaseReconciler) placeOnFallback(ctx context.Context, s *scope, from *v1.DatabaseClass, why string) (*v1.DatabaseClass, Placement, error) {
	to, p, no, err := r.followFallbacks(ctx, from, []string{from.Name})
	if err != nil {
		return nil, Placement{}, errorf(s.db, "read the fallbacks of DatabaseClass "+from.Name, err)
	}
	if no != nil {
		s.announce(v1.ConditionProvisioned, metav1.ConditionFalse, no.reason, why+"; "+no.why, corev1.EventTypeWarning, "")
		return nil, Placement{}, errNoPlacement
	}
	s.events = append(s.events, pendingEvent{eventType: corev1.EventTypeWarning, reason: v1.ReasonFellBack,
		note: why + ": the database is made on its fallback, " + describeClass(to)})
	return to, p, nil
}

// fallBackAfterRefusal moves an object to its class's fallback when the class's cloud refused
// the object's first create for quota or capacity (cloud.ErrNoCapacity, which made nothing):
// status.class and status.provider name the fallback, the FellBack condition and Event say
// from which class to which and why, and the next pass creates the database there. It
// reports whether it handled the refusal (moved, or said why no fallback can take it); the
// caller reports any other refusal as it reports every cloud error.
//
// Only an object of which no database was ever seen moves (status.cloud empty, and the
// create the cloud just refused came after an Observe that found none): a database that
// exists, or existed, never moves, and a later refusal of its class's cloud is an ordinary
// CloudError. A restore does not move either: its snapshot is in its class's cloud.
//
// Crash safety: recordPlacement wrote the class before the create. The move is written by
// the pass's status write; a crash before it leaves the first class recorded and nothing
// made (the refusal made nothing), so the next pass asks the first class again and, refused
// again, moves again (or, the quota raised meanwhile, makes the database there).
func (r *RDSDatabaseReconciler) fallBackAfterRefusal(ctx context.Context, s *scope, desired cloud.Desired, refused error) (ctrl.Result, bool, error) {
	db, from := s.db, s.class
	if !errors.Is(refused, cloud.ErrNoCapacity) || from == nil || from.Spec.Fallback == "" || db.Status.Cloud != nil || desired.RestoreFromSnapshot != "" {
		return ctrl.Result{}, false, nil
	}
	passed, err := r.passedThrough(ctx, s, from.Name)
	if err != nil {
		return ctrl.Result{}, true, errorf(db, "read the chain of fallbacks", err)
	}
	to, _, no, err := r.followFallbacks(ctx, from, passed)
	if err != nil {
		return ctrl.Result{}, true, errorf(db, "read the fallbacks of DatabaseClass "+from.Name, err)
	}
	why := fmt.Sprintf("the cloud of %s refused to make the database for quota or capacity (%v)", describeClass(from), refused)
	if no != nil {
		s.announce(v1.ConditionProvisioned, metav1.ConditionFalse, no.reason, why+"; "+no.why, corev1.EventTypeWarning, "")
		return ctrl.Result{}, true, errorf(db, "cloud", refused)
	}
	if len(desired.Parameters) > 0 {
		// A cloud that keeps parameters apart from databases may have made the database's
		// set before the refused create: nothing of the object stays behind in from's cloud.
		if err := s.cloud.DeleteParameters(ctx, desired, ""); err != nil {
			result, err := r.cloudFailed(s, err)
			return result, true, err
		}
	}
	db.Status.Class, db.Status.Provider = to.Name, to.Spec.Provider
	db.Status.RequestedStorageGiB = 0 // nothing was asked of the fallback yet
	s.announce(v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonFellBack,
		why+": it is made on the fallback, "+describeClass(to), corev1.EventTypeWarning, "")
	return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, true, nil
}

// followFallbacks walks from's fallbacks to the first class whose provider this operator can
// serve, and returns it with its placement. A class on passed (the object's chain up to
// from, from included) is never gone back to, so that a cycle of fallbacks ends; nor is a
// chain followed past maxFallbacks. When no class can take the object, noFallback says why;
// err is a failed read.
func (r *RDSDatabaseReconciler) followFallbacks(ctx context.Context, from *v1.DatabaseClass, passed []string) (*v1.DatabaseClass, Placement, *noFallback, error) {
	passed = slices.Clone(passed)
	trail := ""
	for name := from.Spec.Fallback; ; {
		switch {
		case slices.Contains(passed, name):
			return nil, Placement{}, &noFallback{v1.ReasonClassUnavailable, fmt.Sprintf("%sits fallbacks lead back to DatabaseClass %s", trail, name)}, nil
		case len(passed) > maxFallbacks:
			return nil, Placement{}, &noFallback{v1.ReasonClassUnavailable, fmt.Sprintf("%sits chain of fallbacks is longer than %d classes", trail, maxFallbacks)}, nil
		}
		class := &v1.DatabaseClass{}
		if err := r.Client.Get(ctx, client.ObjectKey{Name: name}, class); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, Placement{}, &noFallback{v1.ReasonClassNotFound, fmt.Sprintf("%sits fallback DatabaseClass %s does not exist", trail, name)}, nil
			}
			return nil, Placement{}, nil, err
		}
		p, err := r.Clouds.For(ctx, class, r.Defaults)
		if err == nil {
			return class, p, nil, nil
		}
		trail += fmt.Sprintf("its fallback %s cannot be served either: %v; ", describeClass(class), err)
		if class.Spec.Fallback == "" {
			return nil, Placement{}, &noFallback{v1.ReasonClassUnavailable, trail + "and it has no fallback"}, nil
		}
		passed = append(passed, name)
		name = class.Spec.Fallback
	}
}

// passedThrough returns the classes of the object's chain of fallbacks up to current, the
// class it is on: from the class it asks for (spec.class, else the default class) along each
// class's fallback to current, current included. The object moves only forward along that
// chain. When current is not on it (the default class or a fallback changed since the
// object moved), it is current alone.
func (r *RDSDatabaseReconciler) passedThrough(ctx context.Context, s *scope, current string) ([]string, error) {
	name := s.db.Spec.Class
	if name == "" {
		defaults, err := r.defaultClasses(ctx)
		if err != nil {
			return nil, err
		}
		if len(defaults) != 1 {
			return []string{current}, nil
		}
		name = defaults[0]
	}
	var passed []string
	for name != "" && len(passed) <= maxFallbacks && !slices.Contains(passed, name) {
		passed = append(passed, name)
		if name == current {
			return passed, nil
		}
		class := &v1.DatabaseClass{}
		if err := r.Client.Get(ctx, client.ObjectKey{Name: name}, class); err != nil {
			if apierrors.IsNotFound(err) {
				break
			}
			return nil, err
		}
		name = class.Spec.Fallback
	}
	return []string{current}, nil
}

// movedMeanwhile reports whether the object, placed on a class that falls back, was moved to
// another class by a pass this one's (cached) copy predates: creating on the class it left
// would make a second database. It reads the object past the cache, once per create asked
// of such a class, and only then.
func (r *RDSDatabaseReconciler) movedMeanwhile(ctx context.Context, s *scope) (bool, error) {
	if s.class == nil || s.class.Spec.Fallback == "" || r.APIReader == nil {
		return false, nil
	}
	fresh := &v1.RDSDatabase{}
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(s.db), fresh); err != nil {
		return false, errorf(s.db, "read the object before its create", err)
	}
	return fresh.Status.Class != s.db.Status.Class, nil
}
