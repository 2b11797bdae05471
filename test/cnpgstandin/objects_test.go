package cnpgstandin

import (
	"testing"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func testCluster() *cnpgv1.Cluster {
	c := &cnpgv1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "db", UID: "uid-1"}}
	c.Spec.Instances = 1
	c.Spec.ImageName = "ghcr.io/cloudnative-pg/postgresql:16.4"
	return c
}

func TestDesiredServices(t *testing.T) {
	owner := []metav1.OwnerReference{{APIVersion: "postgresql.cnpg.io/v1", Kind: "Cluster", Name: "db", UID: "uid-1", Controller: ptr.To(true)}}
	labels := func(extra map[string]string) map[string]string {
		l := map[string]string{
			"cnpg.io/cluster": "db", "app.kubernetes.io/name": "postgresql", "app.kubernetes.io/instance": "db",
			"app.kubernetes.io/version": "16", "app.kubernetes.io/component": "database", "app.kubernetes.io/managed-by": "cloudnative-pg",
		}
		for k, v := range extra {
			l[k] = v
		}
		return l
	}
	ports := []corev1.ServicePort{{Name: "postgres", Protocol: corev1.ProtocolTCP, Port: 5432, TargetPort: intstr.FromInt32(5432)}}
	svc := func(name string, selector map[string]string, extra map[string]string, annotations map[string]string) *corev1.Service {
		return &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name, Labels: labels(extra), Annotations: annotations, OwnerReferences: owner},
			Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Ports: ports, Selector: selector},
		}
	}
	rw := map[string]string{"cnpg.io/cluster": "db", "cnpg.io/instanceRole": "primary"}
	ro := map[string]string{"cnpg.io/cluster": "db", "cnpg.io/instanceRole": "replica"}
	r := map[string]string{"cnpg.io/cluster": "db", "cnpg.io/podRole": "instance"}

	inherited := testCluster()
	inherited.Spec.InheritedMetadata = &cnpgv1.EmbeddedObjectMetadata{Labels: map[string]string{"team": "shop"}, Annotations: map[string]string{"note": "x"}}
	disabled := testCluster()
	disabled.Spec.Managed = &cnpgv1.ManagedConfiguration{Services: &cnpgv1.ManagedServices{DisabledDefaultServices: []cnpgv1.ServiceSelectorType{cnpgv1.ServiceSelectorTypeR}}}
	cases := []struct {
		name    string
		cluster *cnpgv1.Cluster
		want    []*corev1.Service
		reason  string
	}{
		{"defaults", testCluster(), []*corev1.Service{
			svc("db-rw", rw, nil, map[string]string{}), svc("db-ro", ro, nil, map[string]string{}), svc("db-r", r, nil, map[string]string{}),
		}, "CloudNativePG's three Services: -rw on the primary, -ro on the replicas, -r on every instance"},
		{"inherited metadata", inherited, []*corev1.Service{
			svc("db-rw", rw, map[string]string{"team": "shop"}, map[string]string{"note": "x"}),
			svc("db-ro", ro, map[string]string{"team": "shop"}, map[string]string{"note": "x"}),
			svc("db-r", r, map[string]string{"team": "shop"}, map[string]string{"note": "x"}),
		}, "spec.inheritedMetadata goes on every object of the Cluster"},
		{"disabled -r", disabled, []*corev1.Service{
			svc("db-rw", rw, nil, map[string]string{}), svc("db-ro", ro, nil, map[string]string{}),
		}, "a Service in disabledDefaultServices is not made"},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, desiredServices(c.cluster)); diff != "" {
			t.Errorf("%s: %s: -want +got:\n%s", c.name, c.reason, diff)
		}
	}
}

func TestServerDNSNames(t *testing.T) {
	disabled := testCluster()
	disabled.Spec.Managed = &cnpgv1.ManagedConfiguration{Services: &cnpgv1.ManagedServices{DisabledDefaultServices: []cnpgv1.ServiceSelectorType{cnpgv1.ServiceSelectorTypeRO, cnpgv1.ServiceSelectorTypeR}}}
	cases := []struct {
		name    string
		cluster *cnpgv1.Cluster
		want    []string
		reason  string
	}{
		{"defaults", testCluster(), []string{
			"db-rw", "db-rw.shop", "db-rw.shop.svc", "db-rw.shop.svc.cluster.local",
			"db-ro", "db-ro.shop", "db-ro.shop.svc", "db-ro.shop.svc.cluster.local",
			"db-r", "db-r.shop", "db-r.shop.svc", "db-r.shop.svc.cluster.local",
		}, "every name a client may reach a Service by, as CloudNativePG's GetClusterAltDNSNames"},
		{"disabled", disabled, []string{"db-rw", "db-rw.shop", "db-rw.shop.svc", "db-rw.shop.svc.cluster.local"}, "no name of a disabled Service"},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, serverDNSNames(c.cluster)); diff != "" {
			t.Errorf("%s: %s: -want +got:\n%s", c.name, c.reason, diff)
		}
	}
}

func TestApplicationOwner(t *testing.T) {
	secret := func(name string) *cnpgv1.LocalObjectReference { return &cnpgv1.LocalObjectReference{Name: name} }
	cases := []struct {
		name                            string
		bootstrap                       *cnpgv1.BootstrapConfiguration
		owner, database, secret, reason string
	}{
		{
			name: "no bootstrap", owner: "app", database: "app", secret: "db-app",
			reason: "CloudNativePG's defaults: database app owned by app, its Secret <cluster>-app",
		},
		{
			name:      "initdb",
			bootstrap: &cnpgv1.BootstrapConfiguration{InitDB: &cnpgv1.BootstrapInitDB{Database: "orders", Owner: "master", Secret: secret("db-master")}},
			owner:     "master", database: "orders", secret: "db-master",
			reason: "initdb's owner, database and Secret",
		},
		{
			name:      "initdb owner defaulted",
			bootstrap: &cnpgv1.BootstrapConfiguration{InitDB: &cnpgv1.BootstrapInitDB{Database: "orders"}},
			owner:     "orders", database: "orders", secret: "db-app",
			reason: "the owner defaults to the database's name",
		},
		{
			name: "recovery",
			bootstrap: &cnpgv1.BootstrapConfiguration{Recovery: &cnpgv1.BootstrapRecovery{
				Backup: &cnpgv1.BackupSource{LocalObjectReference: cnpgv1.LocalObjectReference{Name: "final"}}, Database: "orders", Owner: "master", Secret: secret("db-master"),
			}},
			owner: "master", database: "orders", secret: "db-master",
			reason: "the recovery bootstrap's owner, database and Secret, as for initdb",
		},
		{
			name:      "recovery defaulted",
			bootstrap: &cnpgv1.BootstrapConfiguration{Recovery: &cnpgv1.BootstrapRecovery{Source: "elsewhere"}},
			owner:     "app", database: "app", secret: "db-app",
			reason: "CloudNativePG's webhook defaults the recovery's database and owner as initdb's",
		},
	}
	for _, c := range cases {
		cluster := testCluster()
		cluster.Spec.Bootstrap = c.bootstrap
		owner, database := applicationOwner(cluster)
		if owner != c.owner || database != c.database || applicationSecretName(cluster) != c.secret {
			t.Errorf("%s: owner %q, database %q, Secret %q; want %q, %q, %q: %s",
				c.name, owner, database, applicationSecretName(cluster), c.owner, c.database, c.secret, c.reason)
		}
	}
}
