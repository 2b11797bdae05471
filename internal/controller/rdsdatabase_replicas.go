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

// reconcileReplicas brings the database's readers to the number asked: read replicas of an
// instance, or reader instances of a database made of several (Instance.Members), which
// the provider tells apart. It creates the missing ones in the cluster's
// least used zones, deletes those numbered above the count, brings each to the instance
// class asked, and never touches the database itself or a reader whose owner tag names
// another object. It never stops the reconcile: the Secrets and Service do not wait for
// readers; s.soon asks for an early look while readers change.
func (r *RDSDatabaseReconciler) reconcileReplicas(ctx context.Context, s *scope) (ctrl.Result, error) {
	db, primary := s.db, s.instance
	want := wantedReplicas(db)
	if want == 0 && len(primary.ReplicaIDs) == 0 {
		meta.RemoveStatusCondition(&db.Status.Conditions, v1.ConditionReplicasReady)
		db.Status.Replicas, db.Status.Members = nil, writerOnly(primary)
		return ctrl.Result{}, nil
	}
	owner := naming.Owner(db.Namespace, db.Name)
	wanted, ids := numberedInstances(want, readerNames(db, primary), primary.ReplicaIDs)

	var statuses []v1.ReplicaStatus
	var waiting []string
	// Databases per zone, to place new readers where there are fewest: the database (its
	// writer) counts, so the first reader goes to another zone than it.
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
		if !ownReader(in, owner) {
			// Someone else's reader of our database, or a database holding our name: never ours to change.
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
				r.event(db, corev1.EventTypeNormal, v1.EventReplicaDeleteRequested, "Deleting reader %s: spec asks for %d", id, want)
			}
			waiting = append(waiting, id+" deleting")
			continue
		}
		zones[in.AvailabilityZone]++
		ready := in.Phase.Serving() && in.Endpoint != ""
		statuses = append(statuses, v1.ReplicaStatus{Identifier: id, Ready: ready, AvailabilityZone: in.AvailabilityZone, Status: in.Status, Endpoint: in.Endpoint, Port: in.Port})
		switch {
		case !ready:
			waiting = append(waiting, id+" "+in.Status)
		case in.InstanceClass != s.desired.InstanceClass && in.Phase == cloud.PhaseAvailable:
			class := s.desired.InstanceClass
			immediately := db.Spec.ApplyImmediately == nil || *db.Spec.ApplyImmediately
			if err := s.cloud.Update(ctx, id, cloud.Changes{InstanceClass: &class}, cloud.UpdateOptions{ApplyImmediately: immediately}); err != nil {
				return r.replicasFailed(s, err)
			}
			r.event(db, corev1.EventTypeNormal, v1.EventModifyRequested, "Asked the cloud to change reader %s's instance class %s to %s", id, in.InstanceClass, class)
			waiting = append(waiting, id+" changing class")
		case in.ReplicaSource == s.identifier && in.Phase == cloud.PhaseAvailable && tokensDiffer(s.desired.IAMAuthentication, in):
			// A read replica of its own (a reader that is a member of its database follows it) takes tokens
			// as its source does, for the users who log in with them.
			immediately := db.Spec.ApplyImmediately == nil || *db.Spec.ApplyImmediately
			if err := s.cloud.Update(ctx, id, cloud.Changes{IAMAuthentication: s.desired.IAMAuthentication}, cloud.UpdateOptions{ApplyImmediately: immediately}); err != nil {
				return r.replicasFailed(s, err)
			}
			r.event(db, corev1.EventTypeNormal, v1.EventModifyRequested, "Asked the cloud to set token logins to %t on reader %s", *s.desired.IAMAuthentication, id)
		}
	}
	if len(missing) > 0 && primary.Phase != cloud.PhaseAvailable {
		// A cloud makes a reader only of an available database (not one backing up).
		for _, id := range missing {
			waiting = append(waiting, id+" waits for the database to be available")
		}
		missing = nil
	}
	if len(missing) > 0 {
		candidates, err := r.nodeZones(ctx, s, primary.Region)
		if err != nil {
			// Placement is a preference: without the Nodes' zones, the cloud picks.
			log.FromContext(ctx).Info("cannot list Nodes to place readers in their zones; the cloud picks the zones", "error", err.Error())
			candidates = nil
		}
		for _, id := range missing {
			zone := leastUsed(candidates, zones)
			groups := s.desired.SecurityGroupIDs
			if len(groups) == 0 {
				groups = primary.SecurityGroupIDs
			}
			replica := cloud.Replica{
				Identifier: id, Source: s.identifier, Engine: s.desired.Engine, InstanceClass: s.desired.InstanceClass, AvailabilityZone: zone,
				SecurityGroupIDs: groups, PubliclyAccessible: s.desired.PubliclyAccessible, IAMAuthentication: s.desired.IAMAuthentication,
				Tags: replicaTags(s.desired.Tags),
			}
			if err := s.cloud.CreateReplica(ctx, replica); err != nil {
				return r.replicasFailed(s, err)
			}
			zones[zone]++
			where := zone
			if where == "" {
				where = "a zone the cloud picks (no Node has a " + zoneLabel + " label in the database's region)"
			}
			r.event(db, corev1.EventTypeNormal, v1.EventReplicaCreateRequested, "Asked the cloud for reader %s of %s in %s", id, s.identifier, where)
			statuses = append(statuses, v1.ReplicaStatus{Identifier: id, AvailabilityZone: zone, Status: asked})
			waiting = append(waiting, id+" creating")
		}
	}
	sort.Slice(statuses, func(i, j int) bool { return replicaOrder(wanted, statuses[i].Identifier, statuses[j].Identifier) })
	showReaders(s, statuses)
	if len(waiting) > 0 {
		s.soon = true
		setCondition(db, v1.ConditionReplicasReady, metav1.ConditionFalse, v1.ReasonReplicasPending, "readers: "+strings.Join(waiting, ", "))
		return ctrl.Result{}, nil
	}
	if want == 0 {
		meta.RemoveStatusCondition(&db.Status.Conditions, v1.ConditionReplicasReady)
		return ctrl.Result{}, nil
	}
	readerZones := map[string]bool{}
	for _, st := range statuses {
		readerZones[st.AvailabilityZone] = true
	}
	setCondition(db, v1.ConditionReplicasReady, metav1.ConditionTrue, v1.ReasonReplicasAvailable,
		fmt.Sprintf("%d readers are available in %s", want, strings.Join(sortedKeys(readerZones), ", ")))
	return ctrl.Result{}, nil
}

// ownReader reports whether in is a reader this owner made: its owner tag, and the role tag
// of a read replica (or, on clusters made by earlier versions, of a cluster instance).
func ownReader(in cloud.Instance, owner string) bool {
	role := in.Tags[v1.TagRole]
	return in.Tags[v1.TagOwner] == owner && (role == v1.RoleReplica || role == v1.RoleClusterInstance)
}

// readerNames names reader number n of db: a read replica's name, or for a database made of
// instances the next cluster instance name its writer does not hold.
func readerNames(db *v1.RDSDatabase, primary *cloud.Instance) func(n int) string {
	if len(primary.Members) == 0 && !primary.Incomplete {
		return func(n int) string { return naming.ReplicaIdentifier(db.Namespace, db.Name, n) }
	}
	writer := writerOf(primary)
	var names []string
	next := 1
	return func(n int) string {
		for ; len(names) < n; next++ {
			if id := naming.ClusterInstanceIdentifier(db.Namespace, db.Name, next); id != writer {
				names = append(names, id)
			}
		}
		return names[n-1]
	}
}

// writerOf returns the identifier of the database's writer instance, "" when it is not made
// of instances or has none.
func writerOf(in *cloud.Instance) string {
	for _, m := range in.Members {
		if m.Writer {
			return m.Identifier
		}
	}
	return ""
}

// writerOnly is status.members of a database made of instances without readers: its writer.
func writerOnly(primary *cloud.Instance) []v1.ClusterMemberStatus {
	writer := writerOf(primary)
	if writer == "" {
		return nil
	}
	return []v1.ClusterMemberStatus{{Identifier: writer, Role: roleWriter, Ready: primary.Phase.Serving(),
		AvailabilityZone: primary.AvailabilityZone, Status: primary.Status}}
}

// Member roles shown in status.members.
const (
	roleWriter = "writer"
	roleReader = "reader"
)

// asked is the status shown for a reader just asked for, until the cloud reports its own
// word for it.
var asked = strings.ToLower(string(cloud.PhaseCreating))

// showReaders puts the readers in status (status.members, writer first, for a database made
// of instances; status.replicas otherwise) and picks where the readers are reached: the
// cloud's reader endpoint when it has one, else the first ready reader.
func showReaders(s *scope, readers []v1.ReplicaStatus) {
	db, primary := s.db, s.instance
	s.reader = firstAvailable(readers)
	if s.reader.host != "" && primary.ReaderEndpoint != "" {
		s.reader = endpointAddress{host: primary.ReaderEndpoint, port: primary.Port}
	}
	if len(primary.Members) == 0 {
		db.Status.Replicas, db.Status.Members = readers, nil
		return
	}
	members := writerOnly(primary)
	for _, r := range readers {
		members = append(members, v1.ClusterMemberStatus{Identifier: r.Identifier, Role: roleReader, Ready: r.Ready, AvailabilityZone: r.AvailabilityZone, Status: r.Status})
	}
	db.Status.Replicas, db.Status.Members = nil, members
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
	name := readerNames(db, s.instance)
	wanted := map[string]bool{}
	for n := 1; n <= wantedReplicas(db); n++ {
		wanted[name(n)] = true
	}
	var still []v1.ReplicaStatus
	for _, rs := range db.Status.Replicas {
		if wanted[rs.Identifier] {
			still = append(still, rs)
		}
	}
	readerReady := false
	for _, m := range db.Status.Members {
		readerReady = readerReady || m.Role == roleReader && m.Ready && wanted[m.Identifier]
	}
	s.reader = firstAvailable(still)
	if (s.reader.host != "" || readerReady) && s.instance.ReaderEndpoint != "" {
		s.reader = endpointAddress{host: s.instance.ReaderEndpoint, port: s.instance.Port}
	}
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

// tokensDiffer tells whether a reader takes tokens otherwise than wanted (nil: as the cloud
// has it), counting a change that waits for the maintenance window as made.
func tokensDiffer(want *bool, in cloud.Instance) bool {
	if want == nil {
		return false
	}
	have := in.IAMAuthentication
	if in.Pending.IAMAuthentication != nil {
		have = *in.Pending.IAMAuthentication
	}
	return *want != have
}
