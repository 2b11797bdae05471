package controller

import (
	"context"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// reconcileService points the Service <name>-rds at the database's endpoint, once the
// database is available, so applications reach it as <name>-rds.<namespace>.svc; and the
// Service <name>-rds-ro at a reader while there is one.
func (r *RDSDatabaseReconciler) reconcileService(ctx context.Context, s *scope) (ctrl.Result, error) {
	db := s.db
	want := endpointService(db, naming.ServiceName(db.Name), s.instance.Endpoint, s.instance.Port)
	if err := r.applyService(ctx, db, want); err != nil {
		return conflictRequeue(err)
	}
	db.Status.Service = want.Name
	reader := naming.ReaderServiceName(db.Name)
	if s.reader.host != "" {
		if err := r.applyService(ctx, db, endpointService(db, reader, s.reader.host, s.reader.port)); err != nil {
			return conflictRequeue(err)
		}
		db.Status.ReaderService = reader
		return ctrl.Result{}, nil
	}
	if db.Status.ReaderService != "" {
		if err := r.deleteServiceNamed(ctx, db, reader); err != nil {
			return ctrl.Result{}, err
		}
		db.Status.ReaderService = ""
	}
	return ctrl.Result{}, nil
}

// applyService creates or patches the Service want.
func (r *RDSDatabaseReconciler) applyService(ctx context.Context, db *v1.RDSDatabase, want *corev1.Service) error {
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: want.Name, Namespace: want.Namespace}}
	_, err := controllerutil.CreateOrPatch(ctx, r.Client, svc, func() error {
		svc.Labels = want.Labels
		svc.Spec.Type = want.Spec.Type
		svc.Spec.ExternalName = want.Spec.ExternalName
		svc.Spec.Ports = want.Spec.Ports
		return controllerutil.SetControllerReference(db, svc, r.Client.Scheme())
	})
	if err != nil {
		return errorf(db, "apply service "+want.Name, err)
	}
	return nil
}

// endpointService builds the ExternalName Service for an endpoint. It is owned by the
// RDSDatabase, which deletes it explicitly first on deletion.
func endpointService(db *v1.RDSDatabase, name, host string, port int32) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: db.Namespace,
			Labels:    map[string]string{v1.LabelDatabase: db.Name, v1.LabelManagedBy: v1.ManagedByValue},
		},
		Spec: corev1.ServiceSpec{
			Type:         corev1.ServiceTypeExternalName,
			ExternalName: strings.TrimSuffix(host, "."),
			// TargetPort as the apiserver would default it, so re-applying changes nothing.
			Ports: []corev1.ServicePort{{Name: engineOf(db).name, Port: port, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(port)}},
		},
	}
}

// deleteService removes the Services; a missing one is fine.
func (r *RDSDatabaseReconciler) deleteService(ctx context.Context, db *v1.RDSDatabase) error {
	if err := r.deleteServiceNamed(ctx, db, naming.ReaderServiceName(db.Name)); err != nil {
		return err
	}
	return r.deleteServiceNamed(ctx, db, naming.ServiceName(db.Name))
}

// deleteServiceNamed removes the Service name; a missing one is fine.
func (r *RDSDatabaseReconciler) deleteServiceNamed(ctx context.Context, db *v1.RDSDatabase, name string) error {
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: db.Namespace}}
	// The cache holds every Service the operator made: one it does not hold needs no
	// delete request on each pass of a deletion.
	if err := r.Client.Get(ctx, client.ObjectKeyFromObject(svc), svc); apierrors.IsNotFound(err) {
		return nil
	}
	if err := r.Client.Delete(ctx, svc); err != nil && !apierrors.IsNotFound(err) {
		return errorf(db, "delete service "+svc.Name, err)
	}
	return nil
}
