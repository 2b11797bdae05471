package cnpgstandin

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	"k8s.io/apimachinery/pkg/types"
)

// route is where one of a Cluster's Services leads.
type route struct {
	// addr is the server's address; empty when the Service has no ready endpoint.
	addr string
	// why says why it has none.
	why string
}

// Dial opens a connection to address (host:port) as a pod would: a Cluster's Service name
// (<svc>, <svc>.<ns>, <svc>.<ns>.svc or <svc>.<ns>.svc.cluster.local, <svc> being
// <cluster>-rw, -ro or -r; a bare <svc> in Options.Namespace) and port 5432 reach the
// Cluster's server. A name ending in .svc or .svc.cluster.local that is no such Service, or
// a Service without a ready endpoint, is an error saying so; any other address is dialed
// as it is. Its signature is that of pgconn.DialFunc.
func (s *StandIn) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	svc, clusterDomain, ok := serviceOf(host, s.opts.Namespace)
	if !ok {
		return d.DialContext(ctx, network, address)
	}
	s.mu.Lock()
	r, known := s.routes[svc]
	s.mu.Unlock()
	switch {
	case !known && clusterDomain:
		return nil, fmt.Errorf("dial %s: no CloudNativePG Cluster in namespace %s has a Service %s (served by the stand-in)", address, svc.Namespace, svc.Name)
	case !known: // perhaps a real host whose name has one or two labels
		return d.DialContext(ctx, network, address)
	case port != strconv.Itoa(Port):
		return nil, fmt.Errorf("dial %s: Service %s/%s has no port %s, only %d", address, svc.Namespace, svc.Name, port, Port)
	case r.addr == "":
		return nil, fmt.Errorf("dial %s: Service %s/%s has no ready endpoint: %s", address, svc.Namespace, svc.Name, r.why)
	}
	return d.DialContext(ctx, network, r.addr)
}

// serviceOf reads host as a pod's resolver would a Service's name: <svc>.<ns> followed by
// .svc or .svc.cluster.local (clusterDomain), or not, or a bare <svc> in namespace
// (when set). ok is false when host cannot be a Service's name.
func serviceOf(host, namespace string) (svc types.NamespacedName, clusterDomain, ok bool) {
	host = strings.TrimSuffix(host, ".")
	for _, suffix := range []string{".svc.cluster.local", ".svc"} {
		if rest, found := strings.CutSuffix(host, suffix); found {
			host, clusterDomain = rest, true
			break
		}
	}
	labels := strings.Split(host, ".")
	switch {
	case len(labels) == 2 && labels[0] != "" && labels[1] != "":
		return types.NamespacedName{Namespace: labels[1], Name: labels[0]}, clusterDomain, true
	case len(labels) == 1 && !clusterDomain && namespace != "" && labels[0] != "":
		return types.NamespacedName{Namespace: namespace, Name: labels[0]}, false, true
	}
	return types.NamespacedName{}, false, false
}

// routesOf returns where each enabled Service of Cluster c leads when its server serves at
// addr (empty while it does not, for why): -rw and -r to the server, -ro as well when the
// Cluster has replicas, which the one server stands in for.
func routesOf(c *cnpgv1.Cluster, addr, why string) map[types.NamespacedName]route {
	out := map[types.NamespacedName]route{}
	for _, svc := range services {
		if !serviceEnabled(c, svc.selector) {
			continue
		}
		r := route{addr: addr, why: why}
		if svc.suffix == suffixRO && c.Spec.Instances < 2 && addr != "" {
			r = route{why: "the Cluster has no replica (spec.instances is 1)"}
		}
		out[types.NamespacedName{Namespace: c.Namespace, Name: c.Name + svc.suffix}] = r
	}
	return out
}

// route makes Dial lead Cluster c's Services as routesOf says, in place of what it did.
func (s *StandIn) route(c *cnpgv1.Cluster, addr, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unroute(types.NamespacedName{Namespace: c.Namespace, Name: c.Name})
	for svc, r := range routesOf(c, addr, why) {
		s.routes[svc] = r
	}
}

// unroute forgets the Services of a Cluster. The caller holds s.mu.
func (s *StandIn) unroute(cluster types.NamespacedName) {
	for _, svc := range services {
		delete(s.routes, types.NamespacedName{Namespace: cluster.Namespace, Name: cluster.Name + svc.suffix})
	}
}
