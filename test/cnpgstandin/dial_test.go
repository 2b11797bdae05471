package cnpgstandin

import (
	"testing"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func TestServiceOf(t *testing.T) {
	type result struct {
		Svc           types.NamespacedName
		ClusterDomain bool
		OK            bool
	}
	svc := func(ns, name string, domain bool) result {
		return result{Svc: types.NamespacedName{Namespace: ns, Name: name}, ClusterDomain: domain, OK: true}
	}
	cases := []struct {
		host, namespace string
		want            result
		reason          string
	}{
		{"db-rw.shop.svc.cluster.local", "", svc("shop", "db-rw", true), "the fully qualified name"},
		{"db-rw.shop.svc.cluster.local.", "", svc("shop", "db-rw", true), "a rooted name is the same name"},
		{"db-ro.shop.svc", "", svc("shop", "db-ro", true), "the name in the cluster's domain"},
		{"db-r.shop", "", svc("shop", "db-r", false), "<svc>.<ns>, as the resolver's search path completes it"},
		{"db-rw", "shop", svc("shop", "db-rw", false), "a bare name resolves in the client's namespace"},
		{"db-rw", "", result{}, "a bare name resolves nowhere without the client's namespace"},
		{"a.b.svc.cluster.local.extra", "", result{}, "more labels are no Service name"},
		{"db-rw.svc", "", result{}, "a .svc name needs a namespace"},
		{"127.0.0.1", "", result{}, "an IPv4 address is no Service name"},
		{"db.internal.example.com", "", result{}, "a name of many labels is a real host's"},
	}
	for _, c := range cases {
		var got result
		got.Svc, got.ClusterDomain, got.OK = serviceOf(c.host, c.namespace)
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("serviceOf(%q, %q): %s: -want +got:\n%s", c.host, c.namespace, c.reason, diff)
		}
	}
}

func TestRoutesOf(t *testing.T) {
	cluster := func(instances int, disabled ...cnpgv1.ServiceSelectorType) *cnpgv1.Cluster {
		c := &cnpgv1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "db"}}
		c.Spec.Instances = instances
		if len(disabled) > 0 {
			c.Spec.Managed = &cnpgv1.ManagedConfiguration{Services: &cnpgv1.ManagedServices{DisabledDefaultServices: disabled}}
		}
		return c
	}
	key := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: "shop", Name: name} }
	noReplica := route{why: "the Cluster has no replica (spec.instances is 1)"}
	cases := []struct {
		name    string
		cluster *cnpgv1.Cluster
		addr    string
		want    map[types.NamespacedName]route
		reason  string
	}{
		{"one instance", cluster(1), "localhost:5000", map[types.NamespacedName]route{
			key("db-rw"): {addr: "localhost:5000"}, key("db-r"): {addr: "localhost:5000"}, key("db-ro"): noReplica,
		}, "-ro selects replicas, and a single instance is none"},
		{"replicas", cluster(3), "localhost:5000", map[types.NamespacedName]route{
			key("db-rw"): {addr: "localhost:5000"}, key("db-r"): {addr: "localhost:5000"}, key("db-ro"): {addr: "localhost:5000"},
		}, "the one server stands in for the replicas too"},
		{"starting", cluster(3), "", map[types.NamespacedName]route{
			key("db-rw"): {why: "starting"}, key("db-r"): {why: "starting"}, key("db-ro"): {why: "starting"},
		}, "no Service has an endpoint before the server runs"},
		{"disabled", cluster(3, cnpgv1.ServiceSelectorTypeRO, cnpgv1.ServiceSelectorTypeR), "localhost:5000", map[types.NamespacedName]route{
			key("db-rw"): {addr: "localhost:5000"},
		}, "a disabled Service leads nowhere"},
	}
	for _, c := range cases {
		why := ""
		if c.addr == "" {
			why = "starting"
		}
		if diff := cmp.Diff(c.want, routesOf(c.cluster, c.addr, why), cmp.AllowUnexported(route{})); diff != "" {
			t.Errorf("%s: %s: -want +got:\n%s", c.name, c.reason, diff)
		}
	}
}
