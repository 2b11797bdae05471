package logapi

import (
	"context"
	"encoding/base64"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// APIServiceName is the name of the APIService that routes the log API's group to the
// operator.
const APIServiceName = Version + "." + Group

// Local says where a log API runs outside the cluster's network: on this machine, for the
// local stack and the tests, which have no Pods and no kube-proxy. (In a cluster, the Helm
// chart routes the APIService to the operator's Pods through a Service.)
type Local struct {
	// Namespace and Service name the Service the APIService names.
	Namespace, Service string
	// Port is where the log API listens on this machine.
	Port int
	// CABundle is what the log API's certificate chains to; the certificate must be valid
	// for Service.Namespace.svc, the name kube-apiserver verifies.
	CABundle []byte
}

// The Service and namespace a local log API is registered under, as the chart names them.
const (
	LocalNamespace = "aws-rds-operator-system"
	LocalService   = "aws-rds-operator-logs"
)

// NewLocal describes a log API listening on port on this machine, registered under
// LocalNamespace/LocalService, with a serving certificate ca signs for the name
// kube-apiserver verifies (and localhost); it returns the certificate and its key, PEM
// encoded.
func NewLocal(ca *serverproc.CA, port int) (l Local, certPEM, keyPEM []byte, err error) {
	l = Local{Namespace: LocalNamespace, Service: LocalService, Port: port, CABundle: ca.PEM}
	certPEM, keyPEM, err = ca.Issue(serverproc.Leaf{CommonName: l.ServerName(), DNSNames: []string{l.ServerName(), "localhost"}})
	return l, certPEM, keyPEM, err
}

// ServerName is the name kube-apiserver expects the log API's certificate to carry.
func (l Local) ServerName() string { return l.Service + "." + l.Namespace + ".svc" }

// RegisterLocal routes the log API's group to a log API on this machine: an ExternalName
// Service naming localhost (kube-apiserver resolves it itself, as it does for admission
// webhooks, where Endpoints could not hold a loopback address) and the APIService. It
// replaces what an earlier run registered.
func RegisterLocal(ctx context.Context, c client.Client, l Local) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: l.Namespace}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", l.Namespace, err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: l.Namespace, Name: l.Service}}
	if err := c.Delete(ctx, svc); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	svc.Spec = corev1.ServiceSpec{
		Type: corev1.ServiceTypeExternalName, ExternalName: "localhost",
		Ports: []corev1.ServicePort{{Name: "https", Port: int32(l.Port), TargetPort: intstr.FromInt32(int32(l.Port))}},
	}
	if err := c.Create(ctx, svc); err != nil {
		return fmt.Errorf("create the log API's Service: %w", err)
	}
	api := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1",
		"kind":       "APIService",
		"metadata":   map[string]any{"name": APIServiceName},
		"spec": map[string]any{
			"group": Group, "version": Version,
			"groupPriorityMinimum": int64(1000), "versionPriority": int64(15),
			"caBundle": base64.StdEncoding.EncodeToString(l.CABundle),
			"service":  map[string]any{"namespace": l.Namespace, "name": l.Service, "port": int64(l.Port)},
		},
	}}
	if err := c.Delete(ctx, api.DeepCopy()); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	if err := c.Create(ctx, api); err != nil {
		return fmt.Errorf("create the log API's APIService: %w", err)
	}
	return nil
}
