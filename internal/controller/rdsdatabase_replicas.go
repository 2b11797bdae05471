package controller

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// zoneLabel is the well-known Node label naming the availability zone it runs in.
const zoneLabel = "topology.kubernetes.io/zone"

// Nodes are read (their labels only) to place read replicas in the cluster's zones.
// +kubebuilder:rbac:groups="",resources=nodes,verbs=get;list

// wantedReplicas returns how many read replicas db asks for.
func wantedReplicas(db *v1.RDSDatabase) int {
	if ha := db.Spec.HighAvailability; ha != nil {
		return int(ha.ReadReplicas)
	}
	return 0
}

// reconcileReplicas brings the read replicas to the number asked: it creates the missing
// ones in the cluster's least used zones and deletes those numbered above the count. It
// never touches the primary, and never a replica whose owner tag names another object. It
// never stops the reconcile: the primary's Secrets and Service do not wait for readers;
// s.soon asks for an early look while replicas change.
func (r *RDSDatabaseReconciler) reconcileReplicas(ctx context.Context, s *scope) (ctrl.Result, error) {
	db, primary := s.db, s.instance
	if engineOf(db).aurora {
		return ctrl.Result{}, nil // Aurora's readers are instances of its cluster
	}
	want := wantedReplicas(db)
	if want == 0 && len(primary.ReplicaIDs) == 0 {
		meta.RemoveStatusCondition(&db.Status.Conditions, v1.ConditionReplicasReady)
		db.Status.Replicas = nil
		return ctrl.Result{}, nil
	}
	owner := naming.Owner(db.Namespace, db.Name)
	wanted, ids := numberedInstances(want, func(n int) string { return naming.ReplicaIdentifier(db.Namespace, db.Name, n) }, primary.ReplicaIDs)

	var statuses []v1.ReplicaStatus
	var waiting []string
	// Databases per zone, to place new replicas where there are fewest: the primary counts,
	// so the first replica goes to another zone than it.
	zones := map[string]int{primary.AvailabilityZone: 1}
	var missing []string
	for _, id := range ids {
		obs, err := s.cloud.Observe(ctx, id)
		if err != nil {
			return r.replicasFailed(s, err)
		}
		if !obs.Exists {
			if _, ok := wanted[id]; ok {
				missing = append(missing, id)
			}
			continue
		}
		in := obs.Instance
		if in.Tags[v1.TagOwner] != owner || in.Tags[v1.TagRole] != v1.RoleReplica {
			// Someone else's replica of our primary, or a database holding our name: never ours to change.
			if _, ok := wanted[id]; ok {
				waiting = append(waiting, fmt.Sprintf("%s exists with owner tag %q: the operator will not use it", id, in.Tags[v1.TagOwner]))
			}
			continue
		}
		if _, ok := wanted[id]; !ok {
			if in.Phase != cloud.PhaseDeleting {
				if err := s.cloud.Delete(ctx, id, cloud.DeleteOptions{}); err != nil {
					return r.replicasFailed(s, err)
				}
				r.event(db, corev1.EventTypeNormal, v1.EventReplicaDeleteRequested, "Deleting read replica %s: spec asks for %d", id, want)
			}
			waiting = append(waiting, id+" deleting")
			continue
		}
		zones[in.AvailabilityZone]++
		ready := in.Phase == cloud.PhaseAvailable && in.Endpoint != ""
		statuses = append(statuses, v1.ReplicaStatus{Identifier: id, Ready: ready, AvailabilityZone: in.AvailabilityZone, Status: in.Status, Endpoint: in.Endpoint, Port: in.Port})
		if !ready {
			waiting = append(waiting, id+" "+in.Status)
		}
	}
	if len(missing) > 0 && primary.Phase != cloud.PhaseAvailable {
		// RDS makes a replica only of an available database (not one backing up).
		for _, id := range missing {
			waiting = append(waiting, id+" waits for the primary to be available")
		}
		missing = nil
	}
	if len(missing) > 0 {
		candidates, err := r.nodeZones(ctx, s, primary.Region)
		if err != nil {
			// Placement is a preference: without the Nodes' zones, RDS picks.
			log.FromContext(ctx).Info("cannot list Nodes to place read replicas in their zones; the cloud picks the zones", "error", err.Error())
			candidates = nil
		}
		for _, id := range missing {
			zone := leastUsed(candidates, zones)
			groups := s.desired.SecurityGroupIDs
			if len(groups) == 0 {
				groups = primary.SecurityGroupIDs
			}
			replica := cloud.Replica{
				Identifier: id, Source: s.identifier, InstanceClass: s.desired.InstanceClass, AvailabilityZone: zone,
				SecurityGroupIDs: groups, PubliclyAccessible: s.desired.PubliclyAccessible, Tags: replicaTags(s.desired.Tags),
			}
			if err := s.cloud.CreateReplica(ctx, replica); err != nil {
				return r.replicasFailed(s, err)
			}
			zones[zone]++
			where := zone
			if where == "" {
				where = "a zone the cloud picks (no Node has a " + zoneLabel + " label in the database's region)"
			}
			r.event(db, corev1.EventTypeNormal, v1.EventReplicaCreateRequested, "Asked the cloud for read replica %s of %s in %s", id, s.identifier, where)
			statuses = append(statuses, v1.ReplicaStatus{Identifier: id, AvailabilityZone: zone, Status: "creating"})
			waiting = append(waiting, id+" creating")
		}
	}
	sort.Slice(statuses, func(i, j int) bool { return replicaOrder(wanted, statuses[i].Identifier, statuses[j].Identifier) })
	db.Status.Replicas = statuses
	s.reader = firstAvailable(statuses)
	if len(waiting) > 0 {
		s.soon = true
		setCondition(db, v1.ConditionReplicasReady, metav1.ConditionFalse, v1.ReasonReplicasPending, "read replicas: "+strings.Join(waiting, ", "))
		return ctrl.Result{}, nil
	}
	if want == 0 {
		meta.RemoveStatusCondition(&db.Status.Conditions, v1.ConditionReplicasReady)
		return ctrl.Result{}, nil
	}
	replicaZones := map[string]bool{}
	for _, st := range statuses {
		replicaZones[st.AvailabilityZone] = true
	}
	setCondition(db, v1.ConditionReplicasReady, metav1.ConditionTrue, v1.ReasonReplicasAvailable,
		fmt.Sprintf("%d read replicas are available in %s", want, strings.Join(sortedKeys(replicaZones), ", ")))
	return ctrl.Result{}, nil
}

// replicasFailed records a failed call about a read replica in ReplicasReady, with an Event,
// and looks again soon. It never stops the pass: the primary serves without its readers,
// and its Secrets and Service must not wait for them. A call the rate limiter deferred is
// only a wait.
func (r *RDSDatabaseReconciler) replicasFailed(s *scope, err error) (ctrl.Result, error) {
	s.soon = true
	// The readers last seen that are still asked for stay in use: a failed look is no
	// reason to take them away, nor to keep one the spec no longer wants.
	db := s.db
	var still []v1.ReplicaStatus
	for _, rs := range db.Status.Replicas {
		for n := 1; n <= wantedReplicas(db); n++ {
			if rs.Identifier == naming.ReplicaIdentifier(db.Namespace, db.Name, n) {
				still = append(still, rs)
			}
		}
	}
	s.reader = firstAvailable(still)
	if _, wait := cloud.RetryAfter(err); wait {
		return ctrl.Result{}, nil
	}
	s.announce(v1.ConditionReplicasReady, metav1.ConditionFalse, v1.ReasonCloudError, "read replicas: "+err.Error(), corev1.EventTypeWarning, "")
	return ctrl.Result{}, nil
}

// endpointAddress is a host and port.
type endpointAddress struct {
	host string
	port int32
}

// firstAvailable returns the first available replica's endpoint, empty when none is.
func firstAvailable(replicas []v1.ReplicaStatus) endpointAddress {
	for _, r := range replicas {
		if r.Ready {
			return endpointAddress{host: r.Endpoint, port: r.Port}
		}
	}
	return endpointAddress{}
}

// numberedInstances returns the identifiers of instances 1 to want (made by id) with their
// numbers, and every identifier to look at: those and the existing ones, wanted ones first
// by number, then the others.
func numberedInstances(want int, id func(n int) string, existing []string) (map[string]int, []string) {
	wanted := make(map[string]int, want)
	for n := 1; n <= want; n++ {
		wanted[id(n)] = n
	}
	ids := slices.Clone(existing)
	for i := range wanted {
		if !slices.Contains(ids, i) {
			ids = append(ids, i)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return replicaOrder(wanted, ids[i], ids[j]) })
	return wanted, ids
}

// replicaOrder sorts wanted replicas by number, then others by identifier.
func replicaOrder(wanted map[string]int, a, b string) bool {
	na, oka := wanted[a]
	nb, okb := wanted[b]
	switch {
	case oka && okb:
		return na < nb
	case oka != okb:
		return oka
	}
	return a < b
}

// replicaTags are the primary's tags, marked as a replica's.
func replicaTags(primary map[string]string) map[string]string {
	tags := maps.Clone(primary)
	if tags == nil {
		tags = map[string]string{}
	}
	tags[v1.TagRole] = v1.RoleReplica
	return tags
}

// nodeZones returns the zones the cluster's Nodes run in that belong to region (a zone is
// its region and a letter), sorted; none when the region is unknown. Only Node metadata is
// read.
func (r *RDSDatabaseReconciler) nodeZones(ctx context.Context, s *scope, region string) ([]string, error) {
	if region == "" {
		return nil, nil
	}
	var nodes metav1.PartialObjectMetadataList
	nodes.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("NodeList"))
	if err := r.APIReader.List(ctx, &nodes); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, n := range nodes.Items {
		if z := n.Labels[zoneLabel]; s.cloud.ZoneIn(region, z) {
			seen[z] = true
		}
	}
	return sortedKeys(seen), nil
}

// leastUsed returns the candidate zone holding the fewest replicas (the first such, in
// order), or "" when there are no candidates.
func leastUsed(candidates []string, used map[string]int) string {
	best := ""
	for _, z := range candidates {
		if best == "" || used[z] < used[best] {
			best = z
		}
	}
	return best
}
