package deploy

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/logapi"
)

// TestChartLogAPI: the chart routes the log API's group to the operator's Pods through a
// Service, with a certificate the APIService's caBundle verifies for the name kube-apiserver
// checks, the manager serves it with that certificate, and may read the front proxy's CA;
// logAPI.enabled=false renders none of it.
func TestChartLogAPI(t *testing.T) {
	requireCluster(t)
	manifests, objs := renderChart(t)
	var api unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "APIService" {
			api = o
		}
	}
	if api.GetName() != logapi.APIServiceName {
		t.Fatalf("APIService %q, want %s", api.GetName(), logapi.APIServiceName)
	}
	group, _, _ := unstructured.NestedString(api.Object, "spec", "group")
	svcName, _, _ := unstructured.NestedString(api.Object, "spec", "service", "name")
	svcNS, _, _ := unstructured.NestedString(api.Object, "spec", "service", "namespace")
	caB64, _, _ := unstructured.NestedString(api.Object, "spec", "caBundle")
	if group != logapi.Group || svcNS != chartNS {
		t.Errorf("APIService routes group %q to %s/%s", group, svcNS, svcName)
	}
	var svc corev1.Service
	if err := findNamed(objs, "Service", svcName, &svc); err != nil {
		t.Fatal(err)
	}
	var dep appsv1.Deployment
	if err := findNamed(objs, "Deployment", chartFullname, &dep); err != nil {
		t.Fatal(err)
	}
	pod := dep.Spec.Template.Spec
	c := pod.Containers[0]
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort.StrVal != "logs" || !slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == "logs" }) {
		t.Errorf("the Service's port %+v does not reach the manager's logs port %+v", svc.Spec.Ports, c.Ports)
	}
	var certDir string
	for _, a := range c.Args {
		if v, ok := strings.CutPrefix(a, "--log-api-cert-dir="); ok {
			certDir = v
		}
	}
	var secret corev1.Secret
	if err := find(objs, "Secret", &secret); err != nil {
		t.Fatal(err)
	}
	mounted := slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
		return m.MountPath == filepath.Clean(certDir) && m.ReadOnly && slices.ContainsFunc(pod.Volumes, func(v corev1.Volume) bool {
			return v.Name == m.Name && v.Secret != nil && v.Secret.SecretName == secret.Name
		})
	})
	if !mounted || !slices.ContainsFunc(c.Args, func(a string) bool { return strings.HasPrefix(a, "--log-api-bind-address=:") }) {
		t.Errorf("the manager does not serve the log API with the Secret's certificate: args %q, mounts %+v", c.Args, c.VolumeMounts)
	}
	// kube-apiserver verifies the certificate against caBundle for <service>.<namespace>.svc.
	ca, err := base64.StdEncoding.DecodeString(caB64)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(ca) {
		t.Fatalf("caBundle holds no certificate")
	}
	block, _ := pem.Decode(secret.Data["tls.crt"])
	if block == nil {
		t.Fatalf("the Secret's tls.crt is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: svcName + "." + chartNS + ".svc"}); err != nil {
		t.Errorf("the log API's certificate does not verify as kube-apiserver checks it: %v", err)
	}
	var binding rbacv1.RoleBinding
	if err := find(objs, "RoleBinding", &binding); err != nil {
		t.Fatal(err)
	}
	if binding.Namespace != "kube-system" || binding.RoleRef.Name != "extension-apiserver-authentication-reader" || len(binding.Subjects) != 1 || binding.Subjects[0].Kind != rbacv1.ServiceAccountKind {
		t.Errorf("RoleBinding %s/%s -> %s for %+v, want the operator bound to kube-system's extension-apiserver-authentication-reader", binding.Namespace, binding.Name, binding.RoleRef.Name, binding.Subjects)
	}
	if err := dryRunApply(manifests); err != nil {
		t.Fatalf("the apiserver refuses the rendered chart: %v", err)
	}

	off, err := helmTemplate("logAPI.enabled=false")
	if err != nil {
		t.Fatal(err)
	}
	objs, err = decode(off)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"APIService", "Secret", "RoleBinding"} {
		if slices.Contains(kinds(objs), kind) {
			t.Errorf("logAPI.enabled=false still renders a %s", kind)
		}
	}
	if err := findNamed(objs, "Deployment", chartFullname, &dep); err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(dep.Spec.Template.Spec.Containers[0].Args, func(a string) bool { return strings.HasPrefix(a, "--log-api") }) {
		t.Errorf("logAPI.enabled=false still passes log API flags: %q", dep.Spec.Template.Spec.Containers[0].Args)
	}
}
