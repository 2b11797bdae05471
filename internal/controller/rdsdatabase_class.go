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
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// Placement is where the databases of a class are made: the provider that makes them, and
// the operator's defaults with the class's parameters over them.
type Placement struct {
	Cloud    cloud.Provider
	Defaults Defaults
	// EngineCA is what the certificates of the placement's database servers chain to;
	// nil connects over TLS without verifying the server.
	EngineCA *engine.CABundle
}

// Clouds turns a DatabaseClass into its Placement. It is the one place that knows which
// provider serves which kind of class (package operator wires it); the controller only asks.
type Clouds interface {
	// For returns the placement of class's databases, with base as the operator's
	// defaults. An error says why the class cannot be served (its provider is not
	// configured in this operator, its parameters cannot reach the cloud...).
	For(ctx context.Context, class *v1.DatabaseClass, base Defaults) (Placement, error)
}

// classRecheck is how often an object waiting for a missing or unusable class is looked at
// again; a change of the class itself wakes it at once.
const classRecheck = ownerRecheck

// errNoPlacement ends a pass that cannot know where its database is: the condition says
// why, and the object waits for its class.
var errNoPlacement = errors.New("no placement")

// reconcilePlacement decides, once, where the object's database is made, records it in the
// status (status.class and status.provider never change afterwards, but for the one move
// of fallBackAfterRefusal before anything exists) and puts that placement's provider and
// defaults in the scope for the phases after it.
func (r *RDSDatabaseReconciler) reconcilePlacement(ctx context.Context, s *scope) (ctrl.Result, error) {
	if err := r.place(ctx, s); err != nil {
		if errors.Is(err, errNoPlacement) {
			return ctrl.Result{RequeueAfter: classRecheck}, nil
		}
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, nil
}

// place fills s.cloud, s.defaults, s.engineCA and s.class. It returns errNoPlacement (with
// the Provisioned condition saying why) when the object's class is missing or cannot be
// served, and no fallback of it can take an object not placed yet.
func (r *RDSDatabaseReconciler) place(ctx context.Context, s *scope) error {
	db := s.db
	name, decided := db.Status.Class, db.Status.Provider != ""
	if !decided && db.Status.Cloud != nil {
		// Made before classes existed: it stays on the operator's own AWS settings.
		decided = true
	}
	if !decided {
		var err error
		if name, err = r.classOf(ctx, s); err != nil {
			return err
		}
		if name != "" && r.madeOnBuiltin(ctx, s) {
			// Created on the operator's own settings by a pass that ended before the status
			// said so (recordPlacement writes nothing for them): it stays there.
			name = ""
		}
	}
	if name == "" {
		s.cloud, s.defaults, s.engineCA = r.Cloud, r.Defaults, r.EngineCA
		db.Status.Class, db.Status.Provider = "", v1.ProviderAWS
		return nil
	}
	class := &v1.DatabaseClass{}
	if err := r.Client.Get(ctx, client.ObjectKey{Name: name}, class); err != nil {
		if !apierrors.IsNotFound(err) {
			return errorf(db, "read DatabaseClass "+name, err)
		}
		what := "does not exist"
		if decided {
			what = "was deleted, and this object's database was made on it: create it again as it was"
		}
		s.announce(v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonClassNotFound,
			fmt.Sprintf("DatabaseClass %s %s", name, what), corev1.EventTypeWarning, "")
		return errNoPlacement
	}
	if r.Clouds == nil {
		s.announce(v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonClassUnavailable,
			fmt.Sprintf("DatabaseClass %s cannot be served: this operator runs without DatabaseClass support", name), corev1.EventTypeWarning, "")
		return errNoPlacement
	}
	p, err := r.Clouds.For(ctx, class, r.Defaults)
	if err != nil {
		why := fmt.Sprintf("%s cannot be served: %v", describeClass(class), err)
		if decided || class.Spec.Fallback == "" || db.Spec.RestoreFrom != nil {
			// An object placed before stays, with what an earlier pass may have made there.
			if !decided && class.Spec.Fallback != "" {
				why += "; a restore is not made on the fallback: its snapshot is in this class's cloud"
			}
			s.announce(v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonClassUnavailable, why, corev1.EventTypeWarning, "")
			return errNoPlacement
		}
		if class, p, err = r.placeOnFallback(ctx, s, class, why); err != nil {
			return err
		}
	}
	s.cloud, s.defaults, s.engineCA, s.class = p.Cloud, p.Defaults, p.EngineCA, class
	db.Status.Class, db.Status.Provider = class.Name, class.Spec.Provider
	return nil
}

// recordPlacement writes the status with the placement before the first request that could
// make something on a DatabaseClass's cloud: after a crash, the object is found on the same
// class even if the default class changed meanwhile. A database on the operator's own
// settings needs no early write (the common case, and a write per new object): place looks
// there first for an object it has not placed yet.
func (r *RDSDatabaseReconciler) recordPlacement(ctx context.Context, s *scope) error {
	if s.before.Status.Provider != "" || s.db.Status.Class == "" {
		return nil
	}
	if err := r.writeStatus(ctx, s); err != nil {
		return err
	}
	s.before = s.db.DeepCopy()
	return nil
}

// objectsOfClass returns the objects made on class, and those not yet placed anywhere.
func (r *RDSDatabaseReconciler) objectsOfClass(ctx context.Context, class client.Object) []reconcile.Request {
	all := &v1.RDSDatabaseList{}
	if err := r.Client.List(ctx, all); err != nil {
		return nil
	}
	var out []reconcile.Request
	for _, db := range all.Items {
		if db.Status.Class == class.GetName() || db.Status.Provider == "" && db.Status.Cloud == nil {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&db)})
		}
	}
	return out
}

// placementOf names where db's database is, for messages: its class and provider.
func placementOf(db *v1.RDSDatabase) string {
	if db.Status.Class == "" {
		return "the operator's own " + db.Status.Provider + " settings (no DatabaseClass)"
	}
	return fmt.Sprintf("DatabaseClass %s (provider %s)", db.Status.Class, db.Status.Provider)
}

// madeOnBuiltin reports whether the operator's own cloud has a database with the object's
// identifier that names the object as its owner. The shared view answers it without a call.
func (r *RDSDatabaseReconciler) madeOnBuiltin(ctx context.Context, s *scope) bool {
	if r.Cloud == nil {
		return false
	}
	obs, err := r.Cloud.Observe(ctx, s.identifier)
	return err == nil && obs.Exists && obs.Instance.Tags[v1.TagOwner] == naming.Owner(s.db.Namespace, s.db.Name)
}

// classOf returns the name of the class a new object lands on: its spec.class, else the one
// default class, else "" (the operator's own AWS settings).
func (r *RDSDatabaseReconciler) classOf(ctx context.Context, s *scope) (string, error) {
	if s.db.Spec.Class != "" {
		return s.db.Spec.Class, nil
	}
	defaults, err := r.defaultClasses(ctx)
	if err != nil {
		return "", errorf(s.db, "list DatabaseClasses", err)
	}
	switch len(defaults) {
	case 0:
		return "", nil
	case 1:
		return defaults[0], nil
	}
	s.announce(v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonClassUnavailable,
		fmt.Sprintf("spec.class is empty and %d DatabaseClasses are marked default (%v): name one in spec.class, or leave one default (annotation %s)",
			len(defaults), defaults, v1.AnnotationDefaultClass), corev1.EventTypeWarning, "")
	return "", errNoPlacement
}

// defaultClasses returns the names of the classes marked default, sorted.
func (r *RDSDatabaseReconciler) defaultClasses(ctx context.Context) ([]string, error) {
	classes := &v1.DatabaseClassList{}
	if err := r.Client.List(ctx, classes); err != nil {
		return nil, err
	}
	var defaults []string
	for _, c := range classes.Items {
		if c.IsDefault() {
			defaults = append(defaults, c.Name)
		}
	}
	slices.Sort(defaults)
	return defaults, nil
}

// describeClass names a class and its provider, for messages.
func describeClass(c *v1.DatabaseClass) string {
	return fmt.Sprintf("DatabaseClass %s (provider %s)", c.Name, c.Spec.Provider)
}
